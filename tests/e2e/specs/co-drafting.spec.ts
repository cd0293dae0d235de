import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { checkA11y, person, post, tabUntil, uniq } from './helpers';

// Real-time co-drafting: two people type into the same document at once over the y-websocket
// protocol; both converge, the server's Markdown rendering shows both, observers are read-only.



async function invite(request: APIRequestContext, baseURL: string, rtId: string, side: string, role: string) {
  const inv = await post<{ token: string }>(request, baseURL, `/api/v1/roundtables/${rtId}/invitations`, { side, role });
  return inv.token;
}

async function accept(page: Page, baseURL: string, token: string, organisation: string) {
  await post(page.request, baseURL, `/api/v1/invitations/${encodeURIComponent(token)}/accept`, { organisation });
}

const editorOf = (page: Page) => page.getByRole('textbox', { name: /^Document text/ });

/** The document's text without other people's caret labels (decorations, not content). */
const contentText = (editor: Locator) =>
  editor.evaluate((el) => {
    const copy = el.cloneNode(true) as HTMLElement;
    copy.querySelectorAll('.collab-caret').forEach((c) => c.remove());
    return copy.textContent ?? '';
  });

/** Waits until the document has synced and shows some text (a programme starts from a template). */
async function openEditor(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const editor = editorOf(page);
  await expect(editor).toBeVisible();
  await expect(editor).not.toHaveText('', { timeout: 15_000 });
  return editor;
}

test('two sides co-draft a programme in real time; observers read only', async ({ browser, baseURL }) => {
  const run = uniq('cd');
  const A = await person(browser, baseURL!, `Alice ${run}`, `alice-${run}@example.org`);
  const B = await person(browser, baseURL!, `Bent ${run}`, `bent-${run}@example.org`);
  const C = await person(browser, baseURL!, `Carla ${run}`, `carla-${run}@example.org`);

  // --- A: roundtable (API) and invitations; B joins as employer member, C as union observer ----
  const rt = await post<{ id: string }>(A.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Co-drafting ${run}`,
    theme: 'technological_upskilling',
    description: 'Draft the programme together.',
    organisation: 'DUFA',
  });
  await accept(B.page, baseURL!, await invite(A.page.request, baseURL!, rt.id, 'employer', 'member'), 'TeleCo A/S');
  await accept(C.page, baseURL!, await invite(A.page.request, baseURL!, rt.id, 'union', 'observer'), 'Union');

  // --- A creates a programme document from the roundtable page ---------------------------------
  await A.page.goto(`/roundtables/${rt.id}`);
  await expect(A.page.getByRole('heading', { level: 2, name: 'Documents' })).toBeVisible();
  await expect(A.page.getByText('No documents yet.')).toBeVisible();
  const docTitle = `Programme ${run}`;
  await A.page.getByLabel('Title').fill(docTitle);
  await expect(A.page.getByLabel('Kind')).toHaveValue('programme');
  await A.page.getByRole('button', { name: 'Create document' }).click();
  await expect(A.page).toHaveURL(/\/documents\/[^/]+$/);
  await expect(A.page.getByRole('heading', { level: 1, name: docTitle })).toBeVisible();
  const docUrl = A.page.url();
  const docId = decodeURIComponent(docUrl.split('/documents/')[1]);
  const editorA = await openEditor(A.page, docUrl);

  // The observer sees the list but no form; members see the document listed.
  await C.page.goto(`/roundtables/${rt.id}`);
  await expect(C.page.getByRole('link', { name: docTitle })).toBeVisible();
  await expect(C.page.getByText('Upskilling programme')).toBeVisible();
  await expect(C.page.getByRole('button', { name: 'Create document' })).toHaveCount(0);

  await B.page.goto(`/roundtables/${rt.id}`);
  await B.page.getByRole('link', { name: docTitle }).click();
  await expect(B.page.getByRole('heading', { level: 1, name: docTitle })).toBeVisible();
  const editorB = await openEditor(B.page, docUrl);

  // The toolbar and editor are labelled; buttons carry pressed state.
  for (const name of ['Heading 1', 'Heading 2', 'Heading 3', 'Paragraph', 'Bullet list', 'Numbered list', 'Bold', 'Italic']) {
    await expect(A.page.getByRole('button', { name, exact: true })).toHaveAttribute('aria-pressed', /true|false/);
  }
  await expect(A.page.getByRole('toolbar', { name: 'Formatting' })).toBeVisible();
  await expect(editorA).toHaveAttribute('aria-multiline', 'true');

  // --- Each sees the other in "Editing now" ----------------------------------------------------
  const nowA = A.page.getByTestId('editing-now');
  const nowB = B.page.getByTestId('editing-now');
  await expect(nowA).toContainText(B.name);
  await expect(nowA.locator('li', { hasText: B.name })).toContainText('Employer');
  await expect(nowB).toContainText(A.name);

  // --- Both type at the same time into different paragraphs ----------------------------------
  const textA = `Alice writes the objectives ${run}`;
  const textB = `Bent adds the employer view ${run}`;
  // A: a new paragraph at the very end; B: a new paragraph right after the first block.
  await editorA.click();
  await A.page.keyboard.press('Control+End');
  await A.page.keyboard.press('Enter');
  await editorB.click();
  await B.page.keyboard.press('Control+Home');
  await B.page.keyboard.press('End');
  await B.page.keyboard.press('Enter');
  await Promise.all([A.page.keyboard.type(textA, { delay: 15 }), B.page.keyboard.type(textB, { delay: 15 })]);

  for (const [who, editor] of [['A', editorA], ['B', editorB]] as const) {
    await expect.poll(() => contentText(editor), { message: `${who} sees A's text` }).toContain(textA);
    await expect.poll(() => contentText(editor), { message: `${who} sees B's text` }).toContain(textB);
  }
  await expect.poll(async () => (await contentText(editorA)) === (await contentText(editorB)), { timeout: 10_000 }).toBe(true);
  // Neither text was interleaved into the other: each stands whole inside one block.
  // (Which block a concurrent Enter lands in is ProseMirror's choice, not ours.)
  const blocksA = await editorA.evaluate((el) =>
    [...el.querySelectorAll('p, h1, h2, h3, li')].map((b) => {
      const copy = b.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('.collab-caret').forEach((c) => c.remove());
      return copy.textContent ?? '';
    }),
  );
  expect(blocksA.some((t) => t.includes(textA))).toBe(true);
  expect(blocksA.some((t) => t.includes(textB))).toBe(true);

  // A sees B's caret, labelled with B's name.
  await expect(A.page.locator('.collab-caret__label', { hasText: B.name })).toBeAttached();

  // --- The server's Markdown rendering has both texts ------------------------------------------
  await expect
    .poll(async () => (await A.page.request.get(`/api/v1/documents/${docId}/markdown`)).text(), { timeout: 10_000 })
    .toContain(textA);
  const md = await (await A.page.request.get(`/api/v1/documents/${docId}/markdown`)).text();
  expect(md).toContain(textB);
  await expect(A.page.getByRole('link', { name: 'Download Markdown' })).toHaveAttribute('href', `/api/v1/documents/${docId}/markdown`);
  await expect(A.page.getByRole('link', { name: 'HTML', exact: true })).toHaveAttribute('href', `/api/v1/documents/${docId}/html`);

  // --- Keyboard: Ctrl+B toggles bold (button state follows); undo is per user ------------------
  await A.page.keyboard.press('Enter');
  await A.page.keyboard.press('Control+b');
  await expect(A.page.getByRole('button', { name: 'Bold', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await A.page.keyboard.type('Strong point');
  await expect(editorA.locator('strong', { hasText: 'Strong point' })).toBeVisible();
  await expect(editorB.locator('strong', { hasText: 'Strong point' })).toBeVisible();
  await A.page.keyboard.press('Control+b');
  await expect(A.page.getByRole('button', { name: 'Bold', exact: true })).toHaveAttribute('aria-pressed', 'false');

  // B undoes: only B's own typing goes, A's stays; redo brings it back.
  await editorB.focus();
  await B.page.keyboard.press('Control+z');
  await expect.poll(() => contentText(editorB)).not.toContain(textB);
  await expect.poll(() => contentText(editorA)).not.toContain(textB);
  await expect.poll(() => contentText(editorB)).toContain(textA);
  await expect(editorB.locator('strong', { hasText: 'Strong point' })).toBeVisible();
  await B.page.keyboard.press('Control+Shift+z');
  await expect.poll(() => contentText(editorA)).toContain(textB);

  // --- Offline: B keeps typing, the indicator says so, the edit merges on reconnect ---------
  const textOffline = `Written offline by Bent ${run}`;
  await B.context.setOffline(true);
  await expect(B.page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
  await expect(B.page.getByRole('status').filter({ hasText: 'Offline' })).toBeAttached();
  await editorB.focus();
  await B.page.keyboard.press('Control+End');
  await B.page.keyboard.press('Enter');
  await B.page.keyboard.type(textOffline);
  await B.context.setOffline(false);
  await expect(B.page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect.poll(() => contentText(editorA), { timeout: 15_000 }).toContain(textOffline);

  // Keyboard only: Tab reaches the toolbar, then the editor; Ctrl+K opens the link dialog.
  await A.page.getByRole('heading', { level: 1 }).focus();
  await tabUntil(A.page, '[role="toolbar"] button');
  await tabUntil(A.page, '[contenteditable="true"]', 5);
  await A.page.keyboard.press('Control+End');
  await A.page.keyboard.press('Enter');
  await A.page.keyboard.press('Control+k');
  const dialog = A.page.getByRole('dialog', { name: 'Link' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Web address (URL)')).toBeFocused();
  await A.page.keyboard.type('javascript:alert(1)');
  await A.page.keyboard.press('Enter');
  await expect(dialog.getByRole('alert')).toBeVisible();
  await dialog.getByLabel('Web address (URL)').fill('https://example.org/dufa');
  await A.page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(editorA).toBeFocused();
  await expect(editorB.locator('a[href="https://example.org/dufa"]')).toBeVisible();
  await expect
    .poll(async () => (await A.page.request.get(`/api/v1/documents/${docId}/markdown`)).text(), { timeout: 10_000 })
    .toContain('https://example.org/dufa');

  // Escape leads from the text to the toolbar; arrow keys move inside it; Tab goes back to the text.
  await A.page.keyboard.press('Escape');
  await A.page.keyboard.press('Home');
  await expect(A.page.getByRole('button', { name: 'Paragraph' })).toBeFocused();
  await A.page.keyboard.press('ArrowRight');
  await expect(A.page.getByRole('button', { name: 'Heading 1' })).toBeFocused();
  await A.page.keyboard.press('End');
  await expect(A.page.getByRole('button', { name: 'Redo' })).toBeFocused();
  await A.page.keyboard.press('Tab');
  await expect(editorA).toBeFocused();

  await checkA11y(A.page, 'document editor');

  // --- The observer: read-only editor, notice, no toolbar, typing changes nothing --------------
  const editorC = await openEditor(C.page, docUrl);
  await expect(C.page.getByTestId('read-only-notice')).toBeVisible();
  await expect(editorC).toHaveAttribute('contenteditable', 'false');
  await expect(editorC).toHaveAttribute('aria-readonly', 'true');
  await expect(C.page.getByRole('toolbar')).toHaveCount(0);
  await expect.poll(() => contentText(editorC)).toContain(textA);
  const before = await contentText(editorC);
  await editorC.click();
  await C.page.keyboard.type('observer was here');
  await C.page.waitForTimeout(300);
  expect(await contentText(editorC)).toBe(before);
  await expect(nowA).toContainText(C.name);
  await expect(nowA.locator('li', { hasText: C.name })).toContainText('viewing only');
  await checkA11y(C.page, 'document editor (observer)');
  expect(await (await A.page.request.get(`/api/v1/documents/${docId}/markdown`)).text()).not.toContain('observer was here');

  // --- Leaving removes people from "Editing now" --------------------------------------------
  await B.context.close();
  await expect(nowA).not.toContainText(B.name, { timeout: 15_000 });

  // --- Danish --------------------------------------------------------------------------------
  await A.page.getByLabel('Language').selectOption('da');
  await expect(A.page.getByRole('heading', { level: 2, name: 'Redigerer nu' })).toBeVisible();
  await expect(A.page.getByTestId('connection')).toContainText('Forbundet');
  await expect(A.page.getByRole('button', { name: 'Fed', exact: true })).toBeVisible();
  await expect(A.page.getByRole('textbox', { name: /^Dokumenttekst/ })).toBeVisible();

  await Promise.all([A.context.close(), C.context.close()]);
});
