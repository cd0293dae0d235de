import { expect, test, type Locator, type Page } from '@playwright/test';
import { atEachScreen, checkA11y, person, post, uniq } from './helpers';

// Review (issue 9): two sides edit, save versions and compare them (the union's insertion shows as
// the union's), comment on a passage (the other side sees the thread arrive live, the highlight stays
// on the passage while text is typed before it, deleting the passage orphans the thread), and a
// facilitator restores an old version while another editor is connected.

const editorOf = (page: Page) => page.getByRole('textbox', { name: /^Document text|^Dokumentets tekst/ });

const contentText = (editor: Locator) =>
  editor.evaluate((el) => {
    const copy = el.cloneNode(true) as HTMLElement;
    copy.querySelectorAll('.collab-caret').forEach((c) => c.remove());
    return copy.textContent ?? '';
  });

async function openEditor(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const editor = editorOf(page);
  await expect(editor).toBeVisible();
  return editor;
}

/** Appends a paragraph at the end of the text by keyboard. */
async function typeParagraph(page: Page, editor: Locator, text: string) {
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type(text, { delay: 5 });
}

/**
 * Selects `passage` inside the editor, as a person dragging over it would (it may span several text
 * nodes: highlights and marks split them); `collapse` puts the caret at its start instead.
 */
async function select(editor: Locator, passage: string, collapse = false) {
  await editor.focus();
  await editor.evaluate(
    (el, [passage, collapse]) => {
      const nodes: Text[] = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
        acceptNode: (n) => (n.parentElement?.closest('.collab-caret') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
      });
      for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
      const all = nodes.map((n) => n.data).join('');
      const at = all.indexOf(passage as string);
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
      if (collapse) range.collapse(true);
      else range.setEnd(...locate(at + (passage as string).length));
      const sel = window.getSelection()!;
      sel.removeAllRanges();
      sel.addRange(range);
    },
    [passage, collapse] as const,
  );
}

/** What the editor highlights as commented, joined. */
const highlighted = (editor: Locator) =>
  editor.evaluate((el) => [...el.querySelectorAll('.comment-mark')].map((m) => m.textContent ?? '').join(''));

test('two sides review: versions, a diff by side, comments on a passage, restore', async ({ browser, baseURL }) => {
  const run = uniq('rv');
  const F = await person(browser, baseURL!, `Freja ${run}`, `freja-${run}@example.org`);
  const E = await person(browser, baseURL!, `Erik ${run}`, `erik-${run}@example.org`);
  const U = await person(browser, baseURL!, `Ulla ${run}`, `ulla-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Review ${run}`,
    theme: 'technological_upskilling',
    description: 'Review the programme together.',
    organisation: 'DUFA',
  });
  for (const [who, side, org] of [
    [E, 'employer', 'TeleCo A/S'],
    [U, 'union', '3F'],
  ] as const) {
    const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
      side,
      role: 'member',
    });
    await post(who.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: org });
  }
  const doc = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, {
    title: `Recommendation ${run}`,
    kind: 'notes',
  });
  const docUrl = `/documents/${doc.id}`;

  // --- The roundtable page has sections one can link to -----------------------------------------
  await F.page.goto(`/roundtables/${rt.id}#documents`);
  await expect(F.page.getByTestId('section-nav')).toBeVisible();
  await expect(F.page.locator('#documents-heading')).toBeFocused();
  await F.page.getByTestId('section-nav').getByRole('link', { name: 'Participants' }).click();
  await expect(F.page).toHaveURL(/#people$/);
  await checkA11y(F.page, 'roundtable with sections');

  // --- Erik (employer) writes and saves v1 -------------------------------------------------------
  const editorE = await openEditor(E.page, docUrl);
  const employerText = `The employer funds courses ${run}`;
  await typeParagraph(E.page, editorE, employerText);
  const history = E.page.getByTestId('history');
  await expect(history).toBeVisible();
  await expect.poll(async () => (await E.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).toContain(employerText);
  await history.getByLabel('Name').fill('Employer draft');
  await history.getByRole('button', { name: 'Save version' }).click();
  await expect(E.page.getByTestId('history-status')).toContainText('Version saved: v1');
  await checkA11y(E.page, 'document with history');

  // --- Ulla (union) adds a paragraph; the comparison attributes it to the union -------------------
  const editorU = await openEditor(U.page, docUrl);
  await expect.poll(() => contentText(editorU)).toContain(employerText);
  const unionText = `The union asks for paid training leave ${run}`;
  await typeParagraph(U.page, editorU, unionText);
  await expect.poll(() => contentText(editorE)).toContain(unionText);
  await expect.poll(async () => (await E.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).toContain(unionText);
  const v1 = E.page.locator('[data-testid=version][data-number="1"]');
  await v1.getByRole('button', { name: /Compare with now/ }).click();
  const view = E.page.getByTestId('review-view');
  await expect(view.getByTestId('diff-summary')).toContainText('Union added');
  const unionIns = view.getByTestId('diff').locator('ins.diff-ins--union');
  await expect(unionIns).toContainText('paid training leave');
  await expect(unionIns).toHaveAttribute('title', new RegExp(`Ulla ${run}.*Union`));
  // Erik's own text was already in v1: nothing of it shows as inserted.
  await expect(view.getByTestId('diff').locator('ins.diff-ins--employer')).toHaveCount(0);
  await checkA11y(E.page, 'comparison');
  await atEachScreen(E.page, view, 'review-diff');

  // --- Erik comments on Ulla's passage; Ulla sees it arrive live ---------------------------------
  const passage = 'paid training leave';
  await select(editorE, passage);
  await E.page.keyboard.press('Control+Alt+M');
  const form = E.page.locator('form.comment-form');
  await expect(form).toBeVisible();
  await form.getByLabel('Your comment').fill('How many days a year?\nAnd who pays?');
  await form.getByRole('button', { name: 'Add comment' }).click();
  await expect.poll(() => highlighted(editorE)).toBe(passage);
  const threadU = U.page.getByTestId('comment-thread').filter({ hasText: 'How many days a year?' });
  await expect(threadU).toBeVisible();
  await expect(threadU).toContainText(passage);
  await expect(U.page.getByTestId('comments-announcer')).toContainText(/comment/i);
  await expect.poll(() => highlighted(editorU)).toBe(passage);
  await checkA11y(U.page, 'comments panel');
  await atEachScreen(U.page, U.page.getByTestId('comments-panel'), 'comments-panel');

  // Ulla types before the passage: the highlight stays on it, on both screens.
  await select(editorU, 'The union asks', true);
  await U.page.keyboard.type('Revised: ');
  await expect.poll(() => contentText(editorE)).toContain(`Revised: The union asks`);
  await expect.poll(() => highlighted(editorE)).toBe(passage);
  await expect.poll(() => highlighted(editorU)).toBe(passage);

  // Ulla replies; the reply reaches Erik.
  await threadU.getByRole('button', { name: 'Reply' }).click();
  await threadU.getByRole('textbox').fill('Ten days, paid by the fund.');
  await threadU.getByRole('button', { name: 'Send reply' }).click();
  await expect(E.page.getByTestId('comment-thread').filter({ hasText: 'Ten days, paid by the fund.' })).toBeVisible();

  // --- Ulla deletes her paragraph: the thread is kept, as orphaned ----------------------------
  await select(editorU, `Revised: ${unionText}`);
  await U.page.keyboard.press('Backspace');
  await expect.poll(() => contentText(editorE)).not.toContain(passage);
  await expect.poll(async () => (await E.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).not.toContain(passage);
  await E.page.reload();
  await expect(E.page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const orphanTab = E.page.locator('[data-filter=orphaned]');
  await expect(orphanTab).toContainText('1');
  await orphanTab.click();
  const orphan = E.page.getByTestId('comment-thread').filter({ hasText: 'How many days a year?' });
  await expect(orphan).toContainText(passage);
  await checkA11y(E.page, 'orphaned comments');

  // --- Freja restores v1 while Erik is connected ------------------------------------------------
  await typeParagraph(E.page, editorE, `Erik's later work ${run}`);
  await expect.poll(async () => (await F.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).toContain('later work');
  await openEditor(F.page, docUrl);
  const fv1 = F.page.locator('[data-testid=version][data-number="1"]');
  await fv1.getByRole('button', { name: /^Restore/ }).click();
  const dialog = F.page.getByRole('dialog', { name: 'Restore v1?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('as a new change');
  await checkA11y(F.page, 'restore dialog');
  await F.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await fv1.getByRole('button', { name: /^Restore/ }).click();
  await dialog.getByRole('button', { name: 'Restore v1' }).click();
  await expect(F.page.getByTestId('history-status')).toContainText('Restored v1');
  await expect.poll(() => contentText(editorE), { timeout: 15_000 }).not.toContain('later work');
  await expect.poll(() => contentText(editorE)).toContain(employerText);
  // Nothing is lost: the text before the restore is an automatic version.
  const autos = F.page.getByTestId('auto-versions');
  await autos.locator('summary').click();
  await expect(autos.getByTestId('version')).toHaveCount(1);

  // --- The same page in Danish -------------------------------------------------------------------
  await F.page.getByLabel('Language').selectOption('da');
  await expect(F.page.getByRole('heading', { name: 'Historik' })).toBeVisible();
  await expect(F.page.getByRole('button', { name: 'Gem version' })).toBeVisible();
  await checkA11y(F.page, 'history in Danish');
  await F.page.getByLabel('Sprog').selectOption('en');

  for (const p of [F, E, U]) await p.context.close();
});
