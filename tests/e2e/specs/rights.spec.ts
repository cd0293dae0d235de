import { expect, test, type Page } from '@playwright/test';
import { atEachScreen, checkA11y, PASSWORD, person, post, uniq } from './helpers';

// Rights change while pages are open: a member has a document open in the editor (and the roundtable
// page in another tab); the facilitator, in another browser, makes them an observer: the editor says
// so and turns read-only without a reload, the polls section announces the new role. Then the member
// signs out in a third tab: both open pages say they were signed out.



const editorOf = (page: Page) => page.getByRole('textbox', { name: /^(Document text|Dokumenttekst)/ });

test('an open editor and polls section follow a role change and a sign-out elsewhere', async ({ browser, baseURL }) => {
  const run = uniq('rg');
  const F = await person(browser, baseURL!, `Frida ${run}`, `frida-${run}@example.org`);
  const B = await person(browser, baseURL!, `Bent ${run}`, `bent-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Rights ${run}`,
    theme: 'technological_upskilling',
    description: 'Roles change during a meeting.',
    organisation: 'DUFA',
  });
  const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
    side: 'employer',
    role: 'member',
  });
  await post(B.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: 'TeleCo A/S' });
  const doc = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, {
    title: `Programme ${run}`,
    kind: 'programme',
  });

  // --- The member: the document open for editing, the roundtable page in a second tab ------------
  const editorPage = B.page;
  await editorPage.goto(`/documents/${doc.id}`);
  await expect(editorPage.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const editor = editorOf(editorPage);
  await expect(editor).toHaveAttribute('contenteditable', 'true');
  await expect(editorPage.getByRole('toolbar', { name: 'Formatting' })).toBeVisible();
  await expect(editorPage.getByTestId('rights-notice')).toHaveCount(0);

  const roomPage = await B.context.newPage();
  await roomPage.goto(`/roundtables/${rt.id}`);
  const polls = roomPage.getByTestId('polls-section');
  await expect(polls.getByTestId('live-connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });

  // --- The facilitator makes the member an observer ---------------------------------------------
  await F.page.goto(`/roundtables/${rt.id}`);
  await F.page.getByLabel(`Role for ${B.name}`).selectOption('observer');
  await expect(F.page.locator('section[data-side="employer"]')).toContainText('Observer');

  // The editor says so, on its own, and stops taking input.
  const notice = editorPage.getByTestId('rights-notice');
  await expect(notice).toHaveText('You are now an observer: you can read and comment, but no longer edit.', { timeout: 15_000 });
  await expect(editorPage.getByRole('alert').filter({ hasText: 'You are now an observer' })).toBeVisible();
  await expect(editor).toHaveAttribute('contenteditable', 'false');
  await expect(editor).toHaveAttribute('aria-readonly', 'true');
  await expect(editorPage.getByRole('toolbar')).toHaveCount(0);
  const before = await editor.textContent();
  await editor.click();
  await editorPage.keyboard.type('typed after the role change');
  await editorPage.waitForTimeout(300);
  expect(await editor.textContent()).toBe(before);
  await checkA11y(editorPage, 'editor with the observer notice');
  await atEachScreen(editorPage, notice, 'rights-observer');

  // The polls section announces the new role (a status message, not an alert: nothing ended).
  await expect(polls.getByTestId('live-announcer')).toHaveText(/Your role is now: Observer\./, { timeout: 15_000 });
  await expect(polls.getByTestId('rights-notice')).toHaveCount(0);

  // --- The member signs out in a third tab --------------------------------------------------------
  const other = await B.context.newPage();
  await other.goto('/');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(other.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  await expect(notice).toHaveText('You were signed out. Sign in again to continue.', { timeout: 15_000 });
  await expect(editor).toHaveAttribute('contenteditable', 'false');
  // Nothing keeps trying: the socket was closed for good, not "reconnecting".
  await expect(editorPage.getByTestId('connection')).toHaveCount(0);
  await expect(polls.getByTestId('rights-notice')).toHaveText('You were signed out. Sign in again to continue.', { timeout: 15_000 });
  await expect(polls.getByTestId('live-connection')).toHaveCount(0);
  // Who is here is no longer known; neither page pretends otherwise.
  await expect(editorPage.getByTestId('editing-now')).toHaveCount(0);
  await expect(editorPage.getByTestId('editing-now-unknown')).toHaveText('Not connected, so who is here is not known.');
  await expect(polls.getByTestId('presence')).toHaveCount(0);
  await checkA11y(editorPage, 'editor with the signed-out notice');
  await checkA11y(roomPage, 'polls section with the signed-out notice');
  await atEachScreen(editorPage, notice, 'rights-signed-out');
  await atEachScreen(roomPage, polls.getByTestId('rights-notice'), 'rights-signed-out-polls');

  // --- Danish ------------------------------------------------------------------------------------
  await editorPage.getByLabel('Language').selectOption('da');
  await expect(notice).toHaveText('Du er blevet logget ud. Log ind igen for at fortsætte.');
  await checkA11y(editorPage, 'editor with the signed-out notice (Danish)');
  await atEachScreen(editorPage, notice, 'rights-signed-out-da');

  await Promise.all([F.context.close(), B.context.close()]);
});

test('the observer notice in Danish', async ({ browser, baseURL }) => {
  const run = uniq('rd');
  const F = await person(browser, baseURL!, `Frida ${run}`, `frida-${run}@example.org`);
  const context = await browser.newContext({ locale: 'da-DK' });
  const page = await context.newPage();
  const res = await page.request.post('/api/v1/auth/register', {
    data: { email: `bent-${run}@example.org`, password: PASSWORD, display_name: `Bent ${run}` },
    headers: { Origin: new URL(baseURL!).origin },
  });
  expect(res.status(), await res.text()).toBe(201);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Rettigheder ${run}`,
    theme: 'ageing_workforce',
    description: 'Roller skifter under et møde.',
    organisation: 'DUFA',
  });
  const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, {
    side: 'union',
    role: 'member',
  });
  const me = await post<{ roundtable_id: string }>(page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, {
    organisation: 'Fagforbundet',
  });
  expect(me.roundtable_id).toBe(rt.id);
  const doc = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, {
    title: `Anbefaling ${run}`,
    kind: 'recommendation',
  });

  await page.goto(`/documents/${doc.id}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect(editorOf(page)).toHaveAttribute('contenteditable', 'true');

  // The facilitator changes the role over the API this time (the same PATCH the page sends).
  const participants = await (await F.page.request.get(`/api/v1/roundtables/${rt.id}/participants`)).json() as { user_id: string; display_name: string }[];
  const bent = participants.find((p) => p.display_name === `Bent ${run}`)!;
  const patch = await F.page.request.patch(`/api/v1/roundtables/${rt.id}/participants/${bent.user_id}`, {
    data: { role: 'observer' },
    headers: { Origin: new URL(baseURL!).origin },
  });
  expect(patch.ok(), await patch.text()).toBe(true);

  await expect(page.getByTestId('rights-notice')).toHaveText('Du er nu observatør: du kan læse og kommentere, men ikke længere redigere.', {
    timeout: 15_000,
  });
  await expect(editorOf(page)).toHaveAttribute('contenteditable', 'false');
  await checkA11y(page, 'editor with the observer notice (Danish)');
  await atEachScreen(page, page.getByTestId('rights-notice'), 'rights-observer-da');

  // Signing out with the member's cookies (POST /auth/logout) ends the socket too.
  const out = await page.request.post('/api/v1/auth/logout', { headers: { Origin: new URL(baseURL!).origin } });
  expect(out.ok(), await out.text()).toBe(true);
  await expect(page.getByTestId('rights-notice')).toHaveText('Du er blevet logget ud. Log ind igen for at fortsætte.', { timeout: 15_000 });

  await Promise.all([F.context.close(), context.close()]);
});
