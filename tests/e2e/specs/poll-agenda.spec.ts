import { expect, test, type Page } from '@playwright/test';
import { checkA11y, person, post, uniq } from './helpers';

// Polls you can manage: the create form starts over (nothing ticked) after a create; a draft is
// edited in place and deleted after a confirmation in place; an open poll is duplicated right
// after itself; the list is the agenda, reordered by keyboard (focus follows the poll, a live
// announcement says where it went) and by drag, and the presenter and a second browser follow it.

/** The question of each poll card, in the order the page lists them. */
async function listed(page: Page) {
  return page.getByTestId('polls-section').getByTestId('poll').locator('h4').allTextContents();
}

test('polls are edited, deleted, duplicated and reordered as one agenda', async ({ browser, baseURL }) => {
  const run = uniq('pa');
  const F = await person(browser, baseURL!, `Frida ${run}`, `frida-${run}@example.org`);
  const E = await person(browser, baseURL!, `Erik ${run}`, `erik-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Agenda ${run}`,
    theme: 'ageing_workforce',
    description: 'A session that runs to an agenda.',
    organisation: 'DUFA',
  });
  const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
    side: 'employer',
    role: 'member',
  });
  await post(E.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: 'TeleCo A/S' });

  await F.page.goto(`/roundtables/${rt.id}`);
  const polls = F.page.getByTestId('polls-section');
  await expect(polls.getByTestId('live-connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });

  // --- Create: the form starts over, nothing ticked -------------------------------------------------
  const form = polls.locator('form.poll-form').first();
  const A = `Start with lunch? ${run}`;
  await form.getByLabel('Question', { exact: true }).fill(A);
  await form.getByLabel('Option 1', { exact: true }).fill('Yes');
  await form.getByLabel('Option 2', { exact: true }).fill('No');
  await form.getByRole('checkbox', { name: 'Secret ballot' }).check();
  await form.getByRole('checkbox', { name: 'Open to the conference audience' }).check();
  await form.getByRole('button', { name: 'Create poll' }).click();
  const cardA = polls.locator(`[data-testid=poll][data-poll-id="${await polls.getByTestId('poll').filter({ hasText: A }).getAttribute('data-poll-id')}"]`);
  await expect(cardA).toHaveAttribute('data-status', 'draft');
  await expect(cardA.locator('.poll-meta')).toContainText('Secret ballot');
  await expect(form.getByLabel('Question', { exact: true })).toHaveValue('');
  await expect(form.getByRole('checkbox', { name: 'Secret ballot' })).not.toBeChecked();
  await expect(form.getByRole('checkbox', { name: 'Open to the conference audience' })).not.toBeChecked();
  await expect(form.getByLabel('Option 1', { exact: true })).toHaveValue('');

  // Two more, made elsewhere (the API): they arrive live, last in the agenda.
  const B = `Pay scales? ${run}`;
  const C = `Training budget? ${run}`;
  for (const q of [B, C]) {
    await post(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/polls`, { question: q, kind: 'single', options: ['Yes', 'No'] });
  }
  await expect.poll(() => listed(F.page)).toEqual([A, B, C]);

  // --- Edit a draft in place ------------------------------------------------------------------------
  await cardA.getByRole('button', { name: 'Edit', exact: true }).click();
  const edit = cardA.getByTestId('edit-poll-form');
  await expect(edit.getByLabel('Question', { exact: true })).toHaveValue(A);
  await expect(edit.getByRole('checkbox', { name: 'Secret ballot' })).toBeChecked();
  await checkA11y(F.page, 'editing a draft');
  const A2 = `Start with a long lunch? ${run}`;
  await edit.getByLabel('Question', { exact: true }).fill(A2);
  await edit.getByLabel('Option 2', { exact: true }).fill('No, work first');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  const cardA2 = cardA;
  await expect(cardA2.getByRole('heading', { level: 4, name: A2 })).toBeFocused();
  await expect(cardA2).toHaveAttribute('data-status', 'draft');
  await expect(cardA2.getByTestId('edit-poll-form')).toHaveCount(0);

  // --- Delete a draft: confirmed in place; "Keep it" keeps it ----------------------------------------
  const cardC = polls.getByTestId('poll').filter({ hasText: C });
  await cardC.getByRole('button', { name: 'Delete', exact: true }).click();
  const confirm = cardC.getByTestId('confirm-delete');
  await expect(confirm).toContainText(`Delete the draft “${C}”?`);
  await expect(confirm.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await checkA11y(F.page, 'confirming a delete');
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await expect(cardC.getByRole('button', { name: 'Delete', exact: true })).toBeFocused();
  await cardC.getByRole('button', { name: 'Delete', exact: true }).click();
  await cardC.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(cardC).toHaveCount(0);
  await expect(polls.getByTestId('live-announcer')).toContainText(`Draft deleted: ${C}`);
  await expect.poll(() => listed(F.page)).toEqual([A2, B]);

  // --- Open polls have no edit or delete, but a duplicate, placed right after them ------------------
  const cardB = polls.getByTestId('poll').filter({ hasText: B }).first();
  await cardB.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(cardB).toHaveAttribute('data-status', 'open');
  await expect(cardB.getByRole('button', { name: 'Edit', exact: true })).toHaveCount(0);
  await expect(cardB.getByRole('button', { name: 'Delete', exact: true })).toHaveCount(0);
  await cardA2.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(cardA2).toHaveAttribute('data-status', 'open');
  await cardA2.getByRole('button', { name: 'Duplicate' }).click();
  await expect.poll(() => listed(F.page)).toEqual([A2, A2, B]);
  const copy = polls.getByTestId('poll').nth(1);
  await expect(copy).toHaveAttribute('data-status', 'draft');
  await expect(copy.locator('h4')).toBeFocused();
  await expect(copy.locator('.poll-meta')).toContainText('Secret ballot');

  // A member's page follows the agenda live (drafts are shown to participants too).
  await E.page.goto(`/roundtables/${rt.id}`);
  await expect.poll(() => listed(E.page)).toEqual([A2, A2, B]);

  // --- Reorder by keyboard: focus stays on the moved poll, the move is announced --------------------
  const copyId = await copy.getAttribute('data-poll-id');
  const down = copy.getByRole('button', { name: `Move “${A2}” down` });
  await down.focus();
  await F.page.keyboard.press('Enter');
  await expect.poll(() => polls.getByTestId('poll').evaluateAll((els) => els.map((e) => e.getAttribute('data-poll-id')))).toEqual([
    expect.any(String),
    expect.any(String),
    copyId,
  ]);
  const moved = polls.locator(`[data-testid=poll][data-poll-id="${copyId}"]`);
  // At the bottom it moves no further down, so focus goes to "move up".
  await expect(moved.getByRole('button', { name: `Move “${A2}” up` })).toBeFocused();
  await expect(polls.getByTestId('live-announcer')).toContainText(`“${A2}” moved to place 3 of 3`);
  await expect.poll(() => listed(F.page)).toEqual([A2, B, A2]);
  await F.page.keyboard.press('Enter');
  await expect.poll(() => listed(F.page)).toEqual([A2, A2, B]);
  await expect(moved.getByRole('button', { name: `Move “${A2}” up` })).toBeFocused();
  await checkA11y(F.page, 'agenda after a keyboard move');

  // --- Reorder by drag: B dropped on the first poll goes first --------------------------------------
  // A tall window, so both ends of the drag are on screen without scrolling mid-drag.
  await F.page.setViewportSize({ width: 1280, height: 3000 });
  await polls.getByTestId('poll').first().scrollIntoViewIfNeeded();
  await cardB.getByTestId('drag-handle').dragTo(polls.getByTestId('poll').first());
  await expect.poll(() => listed(F.page)).toEqual([B, A2, A2]);
  // The server holds it: a reload, the member's page and the REST list all say the same.
  await expect.poll(() => listed(E.page)).toEqual([B, A2, A2]);
  await F.page.reload();
  await expect.poll(() => listed(F.page)).toEqual([B, A2, A2]);
  const rest = await (await F.page.request.get(`/api/v1/roundtables/${rt.id}/polls`)).json();
  expect(rest.map((p: { question: string }) => p.question)).toEqual([B, A2, A2]);

  // --- The presenter uses the same order -------------------------------------------------------------
  const P = await F.context.newPage();
  await P.setViewportSize({ width: 1920, height: 1080 });
  await P.goto(`/roundtables/${rt.id}/present`);
  // It starts at the last open poll in the agenda (the original A, second) …
  await expect(P.getByRole('heading', { level: 1, name: A2 })).toBeVisible();
  await expect(P.locator('.presenter-position')).toContainText('Poll 2 of 3');
  // … and "previous" is the first in the agenda, B.
  await P.getByRole('button', { name: 'Previous poll' }).click();
  await expect(P.getByRole('heading', { level: 1, name: B })).toBeVisible();
  await expect(P.locator('.presenter-position')).toContainText('Poll 1 of 3');
  await checkA11y(P, 'presenter in agenda order');
});
