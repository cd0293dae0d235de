import { expect, test } from '@playwright/test';
import { atEachScreen, checkA11y, person, post, uniq } from './helpers';

// A secret ballot at a roundtable: the facilitator writes a secret poll (the form says what secrecy
// guarantees), opens it, the lone employer member votes. While open, the figures move only in steps
// of 5 ballots and no split by side is shown; once closed, the employer side's split says
// "fewer than 5" instead of a number that would give the ballot away.



test('a secret poll shows figures in steps while open and withholds a lone side after close', async ({ browser, baseURL }) => {
  const run = uniq('sp');
  const F = await person(browser, baseURL!, `Frida ${run}`, `frida-${run}@example.org`);
  const B = await person(browser, baseURL!, `Bent ${run}`, `bent-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Pay agreement ${run}`,
    theme: 'ageing_workforce',
    description: 'A vote nobody should be able to trace.',
    organisation: 'DUFA',
  });
  const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
    side: 'employer',
    role: 'member',
  });
  await post(B.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: 'TeleCo A/S' });

  // --- The facilitator writes a secret poll; the form says what secrecy guarantees -----------------
  const question = `Sign the senior-staff agreement? ${run}`;
  await F.page.goto(`/roundtables/${rt.id}`);
  const polls = F.page.getByTestId('polls-section');
  await expect(polls.getByTestId('live-connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const guarantee = polls.getByTestId('secret-guarantee');
  await expect(guarantee).toContainText('Nobody, facilitators included, can see who voted what.');
  await expect(guarantee).toContainText('only for a side with at least 5 ballots');
  await expect(guarantee).toContainText('Live results move only in steps of 5 ballots.');
  await expect(guarantee).toContainText('A ballot cannot be changed once cast.');
  const secretBox = polls.getByRole('checkbox', { name: 'Secret ballot' });
  // Screen readers hear the guarantees with the checkbox.
  await expect(secretBox).toHaveAccessibleDescription(/Nobody, facilitators included, can see who voted what/);
  await polls.getByLabel('Question', { exact: true }).fill(question);
  await polls.getByLabel('Option 1', { exact: true }).fill('Yes, sign it');
  await polls.getByLabel('Option 2', { exact: true }).fill('No, renegotiate');
  await secretBox.check();
  await polls.getByRole('button', { name: 'Create poll' }).click();
  const card = polls.getByTestId('poll').filter({ hasText: question });
  await expect(card).toHaveAttribute('data-status', 'draft');
  await expect(card.locator('.poll-meta')).toContainText('Secret ballot');
  await card.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(card).toHaveAttribute('data-status', 'open');

  // --- The employer member votes: one ballot, below the step of 5 ---------------------------------
  await B.page.goto(`/roundtables/${rt.id}`);
  const bCard = B.page.getByTestId('poll').filter({ hasText: question });
  await expect(bCard).toHaveAttribute('data-status', 'open', { timeout: 15_000 });
  await bCard.getByRole('radio', { name: 'Yes, sign it' }).check();
  await bCard.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(bCard.getByTestId('voted')).toContainText('Thank you for your vote.');
  // A secret ballot cannot be changed.
  await expect(bCard.getByRole('button', { name: 'Change my vote' })).toHaveCount(0);

  // Both see a figure that moves in steps and no split by side (the one ballot is not counted yet).
  for (const [who, c] of [['member', bCard], ['facilitator', card]] as const) {
    const results = c.getByTestId('results');
    await expect(results, who).toHaveAttribute('data-secret', 'live-step', { timeout: 15_000 });
    await expect(results.getByTestId('secret-step'), who).toContainText('Results update in steps of 5 ballots to keep ballots secret');
    await expect(results, who).toContainText('Total votes: 0');
    await expect(results.getByTestId('split'), who).toHaveCount(0);
    for (const group of ['Employer', 'Union', 'Neutral']) await expect(results, who).not.toContainText(group);
  }
  await checkA11y(B.page, 'secret poll open (member)');
  await atEachScreen(B.page, bCard.getByTestId('results'), 'secret-live-step');

  // The presenter says it too, in projector type.
  const P = await F.context.newPage();
  await P.setViewportSize({ width: 1920, height: 1080 });
  await P.goto(`/roundtables/${rt.id}/present`);
  await expect(P.getByRole('heading', { level: 1, name: question })).toBeVisible();
  await expect(P.getByTestId('secret-step')).toContainText('Results update in steps of 5 ballots to keep ballots secret');
  await checkA11y(P, 'presenter (secret poll open)');
  await atEachScreen(P, P.getByTestId('results'), 'secret-presenter');

  // --- Four union members vote too (over the API): five ballots, a lone employer among them -------
  const list = await (await F.page.request.get(`${baseURL}/api/v1/roundtables/${rt.id}/polls`)).json();
  const p = (list as { id: string; question: string; options: { id: string }[] }[]).find((x) => x.question === question)!;
  for (let i = 0; i < 4; i++) {
    const U = await person(browser, baseURL!, `Ulla ${i} ${run}`, `ulla-${i}-${run}@example.org`);
    const uinv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, { side: 'union', role: 'member' });
    await post(U.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(uinv.token)}/accept`, { organisation: 'CWU' });
    await post(U.page.request, baseURL!, `/api/v1/polls/${p.id}/ballots`, { choices: [p.options[1].id] });
    await U.context.close();
  }

  // --- Closed: neither side has 5 ballots, so neither split is shown: "fewer than 5" ---------------
  await card.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(card).toHaveAttribute('data-status', 'closed');
  await expect(bCard).toHaveAttribute('data-status', 'closed', { timeout: 15_000 });
  for (const [who, c] of [['member', bCard], ['facilitator', card]] as const) {
    const results = c.getByTestId('results');
    await expect(results, who).toHaveAttribute('data-secret', 'closed', { timeout: 15_000 });
    await expect(results, who).toContainText('Total votes: 5');
    await expect(results.getByTestId('secret-step'), who).toHaveCount(0);
    const split = results.getByTestId('split');
    await expect(split.getByRole('columnheader', { name: 'Employer (1)' }), who).toBeVisible();
    for (const option of ['Yes, sign it', 'No, renegotiate']) {
      const row = split.getByRole('row', { name: new RegExp(option) });
      await expect(row.locator('td[data-group="employer"]'), `${who}: ${option}`).toHaveText('fewer than 5');
      await expect(row.locator('td[data-group="union"]'), `${who}: ${option}`).toHaveText('fewer than 5');
      // Sides with no ballots have nothing to withhold.
      await expect(row.locator('td[data-group="neutral"]'), `${who}: ${option}`).toHaveText('—');
    }
    // No percentage by side anywhere in the split.
    await expect(split, who).not.toContainText('%');
    await expect(results.getByTestId('secret-note'), who).toContainText('only if it cast at least 5 ballots');
  }
  await checkA11y(B.page, 'secret poll closed (member)');
  await atEachScreen(B.page, bCard.getByTestId('results'), 'secret-withheld');

  // --- Danish ------------------------------------------------------------------------------------
  await B.page.getByLabel('Language').selectOption('da');
  const daSplit = bCard.getByTestId('split');
  await expect(daSplit.getByRole('columnheader', { name: 'Arbejdsgiver (1)' })).toBeVisible();
  await expect(daSplit.getByRole('row', { name: /Yes, sign it/ }).locator('td[data-group="employer"]')).toHaveText('færre end 5');
  await expect(bCard.getByTestId('secret-note')).toContainText('mindst 5 stemmer');
  await checkA11y(B.page, 'secret poll closed (member, Danish)');
  // On a phone the Danish split is wider than the screen: it scrolls on its own, and the keyboard reaches it.
  await B.page.setViewportSize({ width: 390, height: 844 });
  const region = bCard.getByRole('region', { name: 'Stemmer fordelt på arbejdsgiver, fagforening, neutrale og salen' });
  await expect(region).toHaveAttribute('tabindex', '0');
  await region.focus();
  await B.page.keyboard.press('ArrowRight');
  await expect.poll(() => region.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
  await checkA11y(B.page, 'secret poll closed (member, Danish, phone)');
  await B.page.setViewportSize({ width: 1280, height: 720 });
  await atEachScreen(B.page, bCard.getByTestId('results'), 'secret-withheld-da');

  await F.page.getByLabel('Language').selectOption('da');
  await expect(polls.getByRole('checkbox', { name: 'Hemmelig afstemning' })).toHaveAccessibleDescription(
    /Ingen – heller ikke facilitatorerne – kan se, hvem der har stemt hvad/,
  );
  await expect(polls.getByTestId('secret-guarantee')).toContainText('Løbende resultater flytter sig kun i trin af 5 stemmer.');
  await checkA11y(F.page, 'new poll form (Danish)');

  await Promise.all([F.context.close(), B.context.close()]);
});
