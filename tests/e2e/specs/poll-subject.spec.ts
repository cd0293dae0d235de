import { expect, test, type Locator, type Page } from '@playwright/test';
import { AGREEMENT_SCREENS, atEachScreen, checkA11y, person, post, uniq } from './helpers';

// Polls tied to what they decide: a facilitator saves a version and asks for an indicative vote on
// it from the version view (the audience box locked, with its reason), opens it; an employer and a
// union member, each in their own browser, follow the link to vote and see "Decides: <document>
// v1 “name” · <hash>" above the options, with the version's text to unfold and a link back; the
// closed poll is listed with its result on that version, live everywhere. A poll on a comment
// thread's passage shows the quote; the server's 422 on `subject` is said in words; the roundtable
// form's "Decides" picker locks the audience box too.

interface VersionOut {
  id: string;
  number: number;
  name: string;
  sha256: string;
}

const editorOf = (page: Page) => page.getByRole('textbox', { name: /^Document text|^Dokumentets tekst/ });

async function openDocument(page: Page, docId: string) {
  await page.goto(`/documents/${docId}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
}

/** Selects `passage` inside the editor, as a person dragging over it would. */
async function select(editor: Locator, passage: string) {
  await editor.focus();
  await editor.evaluate((el, passage) => {
    const nodes: Text[] = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentElement?.closest('.collab-caret') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
    const at = nodes.map((n) => n.data).join('').indexOf(passage);
    if (at < 0) throw new Error(`${passage} not in the editor`);
    const locate = (offset: number): [Text, number] => {
      for (const n of nodes) {
        if (offset <= n.data.length) return [n, offset];
        offset -= n.data.length;
      }
      const last = nodes[nodes.length - 1];
      return [last, last.data.length];
    };
    const range = document.createRange();
    range.setStart(...locate(at));
    range.setEnd(...locate(at + passage.length));
    const sel = window.getSelection()!;
    sel.removeAllRanges();
    sel.addRange(range);
  }, passage);
}

/** The subject block sits above the options (or the results) of its card. */
async function expectAbove(upper: Locator, lower: Locator) {
  const a = await upper.boundingBox();
  const b = await lower.boundingBox();
  expect(a && b && a.y + a.height <= b.y + 1, 'the subject block is above the options').toBe(true);
}

test('an indicative vote on a version, voted by both sides with the version above the options; a poll on a passage', async ({ browser, baseURL }) => {
  const run = uniq('ps');
  const F = await person(browser, baseURL!, `Freja ${run}`, `freja-${run}@example.org`);
  const E = await person(browser, baseURL!, `Erik ${run}`, `erik-${run}@example.org`);
  const U = await person(browser, baseURL!, `Ulla ${run}`, `ulla-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Indicative ${run}`,
    theme: 'technological_upskilling',
    description: 'An indicative vote before the formal agreement.',
    organisation: 'DUFA',
  });
  for (const [who, side, org] of [
    [E, 'employer', 'TeleCo A/S'],
    [U, 'union', '3F'],
  ] as const) {
    const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, { side, role: 'member' });
    await post(who.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: org });
  }
  const title = `Programme ${run}`;
  const doc = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, { title, kind: 'programme' });

  // --- Freja writes a paragraph and saves v1 -------------------------------------------------------
  await openDocument(F.page, doc.id);
  const editorF = editorOf(F.page);
  await editorF.click();
  await F.page.keyboard.press('Control+End');
  await F.page.keyboard.press('Enter');
  const paragraph = `Ten days of paid training leave a year ${run}`;
  await F.page.keyboard.type(paragraph, { delay: 5 });
  await expect.poll(async () => (await F.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).toContain(paragraph);
  const history = F.page.getByTestId('history');
  await history.getByLabel('Name').fill('Draft for Monday');
  await history.getByRole('button', { name: 'Save version' }).click();
  await expect(F.page.getByTestId('history-status')).toContainText('Version saved: v1');
  const v1 = ((await (await F.page.request.get(`/api/v1/documents/${doc.id}/versions`)).json()) as VersionOut[])[0];
  expect(v1.number).toBe(1);
  const label = `Decides: ${title} v1 “Draft for Monday” · ${v1.sha256.slice(0, 12)}`;

  // --- …and asks for an indicative vote on it from the version view ----------------------------
  await F.page.locator('[data-testid=version][data-number="1"]').getByRole('button', { name: /^View/ }).click();
  const viewF = F.page.getByTestId('review-view');
  const pollsF = viewF.getByTestId('version-polls');
  await expect(pollsF).toContainText('No poll decides this version yet.');
  await pollsF.getByRole('button', { name: 'Ask for an indicative vote' }).click();
  const form = pollsF.getByTestId('indicative-form');
  await expect(form.getByRole('heading', { name: 'Indicative vote on v1 “Draft for Monday”' })).toBeFocused();
  await expect(form).toContainText(label);
  await expect(form.getByLabel('Question')).toHaveValue('Do you support v1 “Draft for Monday” as it stands?');
  await expect(form.getByLabel('Option 1', { exact: true })).toHaveValue('Yes');
  await expect(form.getByLabel('Option 3', { exact: true })).toHaveValue('Abstain');
  // Drafts are never shown to the conference audience: the box stays unticked, and says why.
  const audienceBox = form.getByRole('checkbox', { name: 'Open to the conference audience' });
  await expect(audienceBox).not.toBeChecked();
  await expect(audienceBox).toBeDisabled();
  await expect(audienceBox).toHaveAccessibleDescription(/Drafts are not shown to the conference audience/);
  await audienceBox.click({ force: true });
  await expect(audienceBox).not.toBeChecked();
  await checkA11y(F.page, 'indicative vote form');
  await atEachScreen(F.page, form, 'indicative-form', AGREEMENT_SCREENS, true);
  await form.getByRole('button', { name: 'Create poll' }).click();

  // The new poll takes focus where it is listed; Freja opens it from there.
  const itemF = pollsF.getByTestId('subject-poll');
  await expect(itemF).toHaveCount(1);
  await expect(itemF.getByRole('heading', { name: 'Do you support v1 “Draft for Monday” as it stands?' })).toBeFocused();
  await expect(itemF).toHaveAttribute('data-status', 'draft');
  const pollId = (await itemF.getAttribute('data-poll-id'))!;
  const created = (await (await F.page.request.get(`/api/v1/polls/${pollId}`)).json()) as { audience: boolean; subject: unknown };
  expect(created.audience).toBe(false);
  expect(created.subject).toEqual({ version_id: v1.id });
  await itemF.getByRole('button', { name: 'Open poll' }).click();
  await expect(itemF).toHaveAttribute('data-status', 'open');
  await expect(itemF.getByTestId('subject-poll-link')).toHaveAttribute('href', `/roundtables/${rt.id}#poll-${pollId}`);

  // The server says no to an audience poll with a subject, naming the field.
  const refused = await F.page.request.post(`/api/v1/roundtables/${rt.id}/polls`, {
    data: { question: 'Q?', kind: 'single', options: ['a', 'b'], audience: true, subject: { version_id: v1.id } },
    headers: { Origin: new URL(baseURL!).origin },
  });
  expect(refused.status()).toBe(422);
  expect(((await refused.json()) as { errors: { field: string }[] }).errors[0].field).toBe('subject');

  // --- Erik (employer) follows the link from his own version view and votes ----------------------
  await openDocument(E.page, doc.id);
  await E.page.locator('[data-testid=version][data-number="1"]').getByRole('button', { name: /^View/ }).click();
  const itemE = E.page.getByTestId('review-view').getByTestId('subject-poll');
  await expect(itemE).toHaveAttribute('data-status', 'open');
  await expect(itemE.getByRole('button', { name: 'Open poll' })).toHaveCount(0);
  await itemE.getByRole('link', { name: 'Vote on the roundtable page' }).click();
  await expect(E.page).toHaveURL(new RegExp(`/roundtables/${rt.id}#poll-${pollId}$`));
  const cardE = E.page.locator(`[data-testid=poll][data-poll-id="${pollId}"]`);
  await expect(cardE.getByRole('heading', { name: 'Do you support v1 “Draft for Monday” as it stands?' })).toBeFocused();
  const subjectE = cardE.getByTestId('poll-subject');
  await expect(subjectE.getByTestId('poll-subject-label')).toHaveText(label);
  await expectAbove(subjectE, cardE.locator('form.ballot, fieldset').first());
  // The version's text unfolds in place.
  await expect(subjectE.getByTestId('poll-subject-text')).toBeHidden();
  await subjectE.getByText('Show the text of v1 “Draft for Monday”').click();
  await expect(subjectE.getByTestId('poll-subject-text')).toContainText(paragraph);
  await checkA11y(E.page, 'poll with its subject, before voting (employer)');
  await atEachScreen(E.page, cardE, 'subject-poll-card-voter', AGREEMENT_SCREENS, true);
  await cardE.getByLabel('Yes', { exact: true }).check();
  await cardE.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(cardE.getByTestId('voted')).toBeVisible();
  // The results link back to the version the same way.
  await expectAbove(subjectE, cardE.getByTestId('results'));

  // --- Ulla (union) opens the poll's address directly and votes ---------------------------------
  await U.page.goto(`/roundtables/${rt.id}#poll-${pollId}`);
  const cardU = U.page.locator(`[data-testid=poll][data-poll-id="${pollId}"]`);
  await expect(cardU.getByRole('heading', { name: 'Do you support v1 “Draft for Monday” as it stands?' })).toBeFocused();
  await expect(cardU.getByTestId('poll-subject-label')).toHaveText(label);
  await expectAbove(cardU.getByTestId('poll-subject'), cardU.locator('form.ballot, fieldset').first());
  await checkA11y(U.page, 'poll with its subject, before voting (union)');
  await cardU.getByLabel('No', { exact: true }).check();
  await cardU.getByRole('button', { name: 'Vote', exact: true }).click();
  await expect(cardU.getByTestId('voted')).toBeVisible();
  await expect(cardU.getByTestId('results')).toContainText('50% — 1 of 2');

  // Danish: the same block, in Danish.
  await U.page.getByLabel('Language').selectOption('da');
  await expect(cardU.getByTestId('poll-subject-label')).toHaveText(`Afgør: ${title} v1 »Draft for Monday« · ${v1.sha256.slice(0, 12)}`);
  await checkA11y(U.page, 'poll with its subject in Danish');
  await U.page.getByLabel('Sprog').selectOption('en');

  // Erik follows the subject's link back to the version: it opens in the version view.
  await cardE.getByTestId('poll-subject-link').click();
  await expect(E.page).toHaveURL(new RegExp(`/documents/${doc.id}\\?version=${v1.id}$`));
  const viewE = E.page.getByTestId('review-view');
  await expect(viewE.getByRole('heading', { level: 2, name: 'v1 · Draft for Monday' })).toBeFocused();
  const itemE2 = viewE.getByTestId('subject-poll');
  await expect(itemE2).toHaveAttribute('data-status', 'open');
  // Erik has voted: the link no longer asks him to.
  await expect(itemE2.getByRole('link', { name: 'See the poll on the roundtable page' })).toBeVisible();

  // --- Freja closes it from the version view: the result is listed with the version, live -------
  await itemF.getByRole('button', { name: 'Close poll' }).click();
  const summary = 'Yes 50% — 1 of 2 · No 50% — 1 of 2 · Abstain 0% — 0 of 2';
  for (const item of [itemF, itemE2]) {
    await expect(item).toHaveAttribute('data-status', 'closed');
    await expect(item.getByTestId('subject-poll-result')).toHaveText(`Result: ${summary}`);
    await expect(item.getByRole('link', { name: 'Full results on the roundtable page' })).toBeVisible();
  }
  await checkA11y(E.page, 'version view with its closed poll');
  await atEachScreen(E.page, viewE.getByTestId('version-polls'), 'version-polls-closed', AGREEMENT_SCREENS, true);
  // The closed poll on the roundtable page still shows what it decided, above its results.
  await U.page.reload();
  await expect(cardU).toHaveAttribute('data-status', 'closed');
  await expect(cardU.getByTestId('poll-subject-label')).toHaveText(label);
  await expectAbove(cardU.getByTestId('poll-subject'), cardU.getByTestId('results'));
  await atEachScreen(U.page, cardU, 'subject-poll-card-closed', AGREEMENT_SCREENS, true);

  // --- A poll on a passage, from its comment thread ------------------------------------------------
  const passage = 'paid training leave';
  await select(editorF, passage);
  await F.page.keyboard.press('Control+Alt+M');
  const commentForm = F.page.locator('form.comment-form');
  await commentForm.getByLabel('Your comment').fill('Is ten days the right number?');
  await commentForm.getByRole('button', { name: 'Add comment' }).click();
  const thread = F.page.getByTestId('comment-thread').filter({ hasText: 'Is ten days the right number?' });
  await expect(thread).toBeVisible();
  await thread.getByRole('button', { name: 'Poll on this passage' }).click();
  const passageForm = thread.getByTestId('passage-poll-form');
  await expect(passageForm.getByRole('heading', { name: 'Poll on this passage' })).toBeFocused();
  await expect(passageForm).toContainText(passage);
  await expect(passageForm.getByRole('checkbox', { name: 'Open to the conference audience' })).toBeDisabled();
  await checkA11y(F.page, 'poll form on a passage');
  await atEachScreen(F.page, passageForm, 'passage-poll-form', AGREEMENT_SCREENS, true);

  // Were the thread deleted meanwhile, the server's 422 on `subject` is said in words.
  await F.page.route(`**/api/v1/roundtables/${rt.id}/polls`, (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({
          status: 422,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'urn:accord:problem:validation',
            title: 'Invalid input',
            status: 422,
            detail: 'subject: names no version or passage of this roundtable',
            errors: [{ field: 'subject', message: 'names no version or passage of this roundtable' }],
          }),
        })
      : route.continue(),
  );
  await passageForm.getByRole('button', { name: 'Create poll' }).click();
  await expect(passageForm.getByRole('alert')).toHaveText(
    'What this poll should decide is not part of this roundtable any more (deleted since?). Reload the page and try again.',
  );
  await F.page.unroute(`**/api/v1/roundtables/${rt.id}/polls`);
  await passageForm.getByRole('button', { name: 'Create poll' }).click();
  const passageItem = thread.getByTestId('subject-poll');
  await expect(passageItem.getByRole('heading', { name: 'Do you support this passage as it stands?' })).toBeFocused();
  await passageItem.getByRole('button', { name: 'Open poll' }).click();
  await expect(passageItem).toHaveAttribute('data-status', 'open');
  const passagePollId = (await passageItem.getAttribute('data-poll-id'))!;
  await checkA11y(F.page, 'comment thread with its poll');
  await atEachScreen(F.page, thread, 'thread-with-poll', AGREEMENT_SCREENS, true);

  // Erik sees the quoted passage above the options, with a link to it in the document.
  await E.page.goto(`/roundtables/${rt.id}#poll-${passagePollId}`);
  const cardP = E.page.locator(`[data-testid=poll][data-poll-id="${passagePollId}"]`);
  await expect(cardP.getByTestId('poll-subject-quote')).toHaveText(passage);
  await expect(cardP.getByTestId('poll-subject-label')).toHaveText(`Decides on a passage of ${title}:`);
  await expectAbove(cardP.getByTestId('poll-subject'), cardP.locator('form.ballot, fieldset').first());
  await checkA11y(E.page, 'poll on a passage');
  await atEachScreen(E.page, cardP, 'passage-poll-card', AGREEMENT_SCREENS, true);
  await cardP.getByTestId('poll-subject-link').click();
  await expect(E.page).toHaveURL(new RegExp(`/documents/${doc.id}\\?comment=`));
  const threadE = E.page.getByTestId('comment-thread').filter({ hasText: 'Is ten days the right number?' });
  await expect(threadE).toBeFocused();
  await expect(threadE.getByTestId('subject-poll')).toHaveAttribute('data-status', 'open');

  // --- The roundtable's own form: "Decides" locks the audience box too ---------------------------
  await F.page.goto(`/roundtables/${rt.id}#polls`);
  const newPoll = F.page.getByTestId('polls-section');
  const picker = newPoll.getByLabel('Decides (optional)');
  await expect(picker.locator('option', { hasText: `${title} v1 “Draft for Monday”` })).toHaveCount(1);
  const box = newPoll.getByRole('checkbox', { name: 'Open to the conference audience' });
  await box.check();
  await picker.selectOption({ label: `${title} v1 “Draft for Monday”` });
  await expect(box).not.toBeChecked();
  await expect(box).toBeDisabled();
  await picker.selectOption({ label: 'Nothing in particular' });
  await expect(box).toBeEnabled();
  await checkA11y(F.page, 'roundtable poll form with Decides');

  // The presenter view names what the poll decides (its label, not its text).
  await F.page.goto(`/roundtables/${rt.id}/present`);
  const presenter = F.page.getByTestId('presenter');
  for (let i = 0; i < 4 && !(await presenter.getByTestId('poll-subject').count()); i++) await F.page.keyboard.press('n');
  await expect(presenter.getByTestId('poll-subject')).toBeVisible();
  await expect(presenter.getByTestId('poll-subject-text')).toHaveCount(0);
  await checkA11y(F.page, 'presenter with a subject');
  await atEachScreen(F.page, presenter, 'presenter-subject', AGREEMENT_SCREENS);

  for (const p of [F, E, U]) await p.context.close();
});
