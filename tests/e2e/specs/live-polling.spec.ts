import { expect, test, type Browser, type Page } from '@playwright/test';
import { checkA11y, person, post, uniq } from './helpers';

// Live polling at a conference: a facilitator creates an audience poll from the maturity template,
// opens it and starts a live session; three phones join with the code and vote; the presenter page
// updates live; an employer participant votes and sees the split by side; C on the presenter closes it.



/** A phone in the audience: small touch viewport, no account. */
async function phone(browser: Browser, locale = 'en-GB') {
  const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  return { context, page: await context.newPage() };
}

const QUESTION = 'Where is your organisation in digital upskilling?';

async function voteOnPhone(page: Page, option: string, voteButton = 'Vote') {
  const ballot = page.getByTestId('ballot');
  await expect(ballot.getByRole('group', { name: QUESTION })).toBeVisible();
  await ballot.getByRole('radio', { name: option }).check();
  await ballot.getByRole('button', { name: voteButton, exact: true }).click();
}

test('audience phones vote with a join code; the presenter updates live; participants see the split by side', async ({ browser, baseURL }) => {
  const run = uniq('lp');
  const F = await person(browser, baseURL!, `Frida ${run}`, `frida-${run}@example.org`);
  const B = await person(browser, baseURL!, `Bent ${run}`, `bent-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `DUFA closing conference ${run}`,
    theme: 'technological_upskilling',
    description: 'The Lisbon vote, at conference scale.',
    organisation: 'DUFA',
  });
  const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
    side: 'employer',
    role: 'member',
  });
  await post(B.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: 'TeleCo A/S' });

  // --- Facilitator: poll from the maturity template, open it, start a live session ----------------
  await F.page.goto(`/roundtables/${rt.id}`);
  const polls = F.page.getByTestId('polls-section');
  await expect(polls.getByRole('heading', { level: 2, name: 'Polls' })).toBeVisible();
  await expect(polls.getByTestId('live-connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  // Presence: the facilitator is in the room, on the neutral side.
  await expect(polls.locator('[data-presence-side="neutral"]')).toContainText(F.name);
  await polls.getByLabel('Template').selectOption('maturity');
  await polls.getByRole('button', { name: 'Create from template' }).click();
  const card = polls.getByTestId('poll').filter({ hasText: QUESTION });
  await expect(card).toHaveAttribute('data-status', 'draft');
  await expect(card).toContainText('Open to the conference audience');
  await card.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(card).toHaveAttribute('data-status', 'open');

  // The custom form: the options editor adds and removes rows, keyboard focus follows.
  await polls.getByLabel('Type of poll').selectOption('multiple');
  await polls.getByRole('button', { name: 'Add option' }).click();
  await expect(polls.getByLabel('Option 3', { exact: true })).toBeFocused();
  await polls.getByRole('button', { name: 'Remove option 3' }).click();
  await expect(polls.getByLabel('Option 2', { exact: true })).toBeFocused();
  await expect(polls.getByLabel('Maximum choices per voter')).toBeVisible();
  await checkA11y(F.page, 'roundtable with polls (facilitator)');

  await polls.getByRole('button', { name: 'Start live session' }).click();
  const code = (await polls.getByTestId('join-code').textContent())!.trim();
  expect(code).toMatch(/^[A-Z0-9-]{4,12}$/);
  await expect(polls.getByRole('img', { name: /QR code/ })).toBeVisible();

  // --- Presenter page ------------------------------------------------------------------------------
  await polls.getByRole('link', { name: 'Open the presenter view' }).click();
  const P = F.page;
  await expect(P).toHaveURL(new RegExp(`/roundtables/${rt.id}/present$`));
  await expect(P.getByRole('heading', { level: 1, name: QUESTION })).toBeVisible();
  await expect(P.getByTestId('presenter-code')).toContainText(code);
  await expect(P.getByTestId('presenter-help')).toContainText('C close');
  await expect(P.getByTestId('live-connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect(P.getByTestId('results')).toHaveAttribute('data-total', '0');
  await checkA11y(P, 'presenter');

  // --- Three phones join and vote different options -----------------------------------------------
  const phones = [await phone(browser), await phone(browser), await phone(browser, 'da-DK')];
  const [a1, a2, a3] = phones.map((p) => p.page);
  // 1: the join URL carries the code.
  await a1.goto(`/live/${code}`);
  await expect(a1.getByRole('heading', { level: 1, name: 'Join the session' })).toBeVisible();
  await expect(a1.getByLabel('Join code')).toHaveValue(code);
  await checkA11y(a1, 'audience join');
  await a1.getByLabel('Your name (optional)').fill('Ana');
  await a1.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(a1.getByRole('heading', { level: 1, name: `DUFA closing conference ${run}` })).toBeVisible();
  await voteOnPhone(a1, 'Not started');
  await expect(a1.getByTestId('thanks')).toHaveText('Thank you for your vote.');

  // 2: types the code (lower case, with a space) on /live.
  await a2.goto('/live');
  await a2.getByLabel('Join code').fill(` ${code.toLowerCase()} `);
  await a2.getByRole('button', { name: 'Join', exact: true }).click();
  await voteOnPhone(a2, 'Analyse and plan');
  await expect(a2.getByTestId('thanks')).toBeVisible();
  await expect(a2.getByTestId('results')).toBeVisible();
  await checkA11y(a2, 'audience after voting');

  // 3: a Danish phone.
  await a3.goto(`/live/${code}`);
  await expect(a3.getByRole('heading', { level: 1, name: 'Deltag i sessionen' })).toBeVisible();
  await a3.getByRole('button', { name: 'Deltag', exact: true }).click();
  await voteOnPhone(a3, 'Pilot', 'Stem');
  await expect(a3.getByTestId('thanks')).toHaveText('Tak for din stemme.');
  await expect(a3.getByTestId('results')).toContainText('33 % — 1 af 3', { timeout: 15_000 });

  // --- The presenter updated live: 3 votes, "33% — 1 of 3" ------------------------------------------
  await expect(P.getByTestId('results')).toHaveAttribute('data-total', '3', { timeout: 15_000 });
  await expect(P.getByTestId('results').getByText('33% — 1 of 3')).toHaveCount(3);
  await expect(P.getByTestId('results')).toContainText('Total votes: 3');
  await expect(P.getByTestId('results')).toContainText('0% — 0 of 3');

  // --- The employer participant votes and sees the split by side -----------------------------------
  await B.page.goto(`/roundtables/${rt.id}`);
  const bCard = B.page.getByTestId('poll').filter({ hasText: QUESTION });
  await expect(bCard).toHaveAttribute('data-status', 'open', { timeout: 15_000 });
  await bCard.getByRole('radio', { name: 'Analyse and plan' }).check();
  await bCard.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(bCard.getByTestId('voted')).toContainText('Thank you for your vote.');
  const split = bCard.getByTestId('split');
  await expect(split).toBeVisible();
  await expect(split.getByRole('columnheader', { name: /Employer/ })).toBeVisible();
  await expect(split.getByRole('columnheader', { name: /Audience/ })).toBeVisible();
  const row = split.getByRole('row', { name: /Analyse and plan/ });
  await expect(row).toContainText('100% — 1 of 1'); // the employer side
  await expect(row).toContainText('33% — 1 of 3'); // the audience
  await expect(bCard.getByTestId('results')).toContainText('50% — 2 of 4');
  await checkA11y(B.page, 'roundtable with results (member)');
  // The presenter follows: 4 votes.
  await expect(P.getByTestId('results')).toHaveAttribute('data-total', '4', { timeout: 15_000 });
  await expect(P.getByTestId('results')).toContainText('50% — 2 of 4');

  // --- Q&A: a phone asks, the facilitator approves, another phone upvotes ---------------------------
  await a1.getByRole('tab', { name: /Questions/ }).click();
  const qText = `Will unions be involved from the start? ${run}`;
  await a1.getByLabel('Ask a question').fill(qText);
  await a1.getByRole('button', { name: 'Send question' }).click();
  await expect(a1.getByRole('status').filter({ hasText: 'once a facilitator approves it' })).toBeVisible();
  const F2 = await F.context.newPage();
  await F2.goto(`/roundtables/${rt.id}`);
  const q = F2.getByTestId('qa-moderation').getByTestId('question').filter({ hasText: qText });
  await expect(q).toContainText('Waiting for approval');
  await q.getByRole('button', { name: 'Approve' }).click();
  await expect(q).toContainText('Approved');
  await a2.getByRole('tab', { name: /Questions/ }).click();
  const q2 = a2.getByTestId('question').filter({ hasText: qText });
  await expect(q2).toBeVisible({ timeout: 15_000 });
  await q2.getByRole('button', { name: /Upvote/ }).click();
  await expect(q2.getByRole('button', { name: /Upvote/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(q2).toContainText('Votes: 1');
  await expect(P.getByTestId('top-questions')).toContainText(qText, { timeout: 15_000 });
  await expect(P.getByTestId('top-questions')).toContainText('Votes: 1');

  // --- Keyboard on the presenter: Q hides the questions, C closes the poll ---------------------------
  await P.bringToFront();
  await P.locator('body').click({ position: { x: 5, y: 5 } });
  await P.keyboard.press('q');
  await expect(P.getByTestId('top-questions')).toHaveCount(0);
  await expect(P.getByTestId('live-announcer')).toHaveText('Questions hidden.');
  await P.keyboard.press('q');
  await expect(P.getByTestId('top-questions')).toBeVisible();
  await P.keyboard.press('c');
  await expect(P.getByTestId('presenter-status')).toHaveText('Closed');
  await expect(P.getByTestId('live-announcer')).toContainText(`Poll closed: ${QUESTION}`);
  await expect(F2.getByTestId('poll').filter({ hasText: QUESTION })).toHaveAttribute('data-status', 'closed', { timeout: 15_000 });
  await a1.getByRole('tab', { name: /Poll/ }).click();
  await expect(a1.getByTestId('waiting')).toBeVisible({ timeout: 15_000 });
  // A closed poll refuses ballots.
  const late = await a1.request.post(`/api/v1/polls/${await bCard.getAttribute('data-poll-id')}/ballots`, {
    data: { choices: [] },
    headers: { Origin: new URL(baseURL!).origin },
  });
  expect(late.status()).toBeGreaterThanOrEqual(400);

  await Promise.all([F.context.close(), B.context.close(), ...phones.map((p) => p.context.close())]);
});
