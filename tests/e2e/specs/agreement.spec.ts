import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { AGREEMENT_SCREENS, atEachScreen, checkA11y, person, post, uniq } from './helpers';

// Agreement (issue 10): a facilitator proposes a version for agreement; an employer member and a
// union member, each in their own browser, endorse; every open panel follows live; the version
// shows as agreed with its seal; the agreed text downloads as Word and PDF. A second proposal, to
// which the union member objects with a reason, stays open. The Activity page lists the steps.

interface VersionOut {
  id: string;
  number: number;
  name: string;
  sha256: string;
}
interface AgreementOut {
  id: string;
  state: string;
  seal: string | null;
  sha256: string;
}

/** Opens the document and, in its history, the version numbered `n`. */
async function openVersion(page: Page, docId: string, n: number) {
  await page.goto(`/documents/${docId}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await page.locator(`[data-testid=version][data-number="${n}"]`).getByRole('button', { name: /^View/ }).click();
  const view = page.getByTestId('review-view');
  await expect(view.getByTestId('version-text')).toBeVisible();
  return view;
}

/** A datetime-local value `days` from now, in the browser's own time zone. */
const localIn = (page: Page, days: number) =>
  page.evaluate((d) => {
    const t = new Date(Date.now() + d * 86_400_000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}`;
  }, days);

test('both sides agree a version live; an objection blocks the next; the activity lists it all', async ({ browser, baseURL }) => {
  const run = uniq('ag');
  const origin = new URL(baseURL!).origin;
  const F = await person(browser, baseURL!, `Freja ${run}`, `freja-${run}@example.org`);
  const E = await person(browser, baseURL!, `Erik ${run}`, `erik-${run}@example.org`);
  const U = await person(browser, baseURL!, `Ulla ${run}`, `ulla-${run}@example.org`);
  const rt = await post<{ id: string }>(F.page.request, baseURL!, '/api/v1/roundtables', {
    title: `Agreement ${run}`,
    theme: 'technological_upskilling',
    description: 'Agree the programme.',
    organisation: 'DUFA',
  });
  for (const [who, side, org] of [
    [E, 'employer', 'TeleCo A/S'],
    [U, 'union', '3F'],
  ] as const) {
    const inv = await post<{ token: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/invitations`, { side, role: 'member' });
    await post(who.page.request, baseURL!, `/api/v1/invitations/${encodeURIComponent(inv.token)}/accept`, { organisation: org });
  }
  const doc = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, {
    title: `Programme ${run}`,
    kind: 'programme',
  });
  const v1 = await post<VersionOut>(F.page.request, baseURL!, `/api/v1/documents/${doc.id}/versions`, { name: 'Final draft' });
  expect(v1.number).toBe(1);

  // --- Everyone opens v1; only the facilitator may propose it --------------------------------------
  const viewF = await openVersion(F.page, doc.id, 1);
  const viewE = await openVersion(E.page, doc.id, 1);
  const viewU = await openVersion(U.page, doc.id, 1);
  await expect(viewE.getByTestId('propose-agreement')).toHaveCount(0);
  await expect(viewE.getByTestId('version-agreements')).toContainText('This version has not been proposed for agreement.');

  await viewF.getByTestId('propose-agreement').click();
  const form = viewF.getByTestId('propose-form');
  await expect(form.getByRole('heading', { name: 'Propose v1 “Final draft” for agreement' })).toBeFocused();
  await form.getByLabel('Everyone on each side').check();
  await expect(form.getByLabel('Objections block')).toBeChecked();
  await form.getByLabel('Closes at (optional)').fill(await localIn(F.page, 2));
  await checkA11y(F.page, 'propose form');
  await form.getByRole('button', { name: 'Propose v1 “Final draft”' }).click();

  const panelF = viewF.getByTestId('agreement-panel');
  await expect(panelF).toHaveAttribute('data-state', 'open');
  await expect(panelF.getByTestId('agreement-status')).toBeFocused();
  await expect(panelF.getByTestId('agreement-progress')).toHaveText('Employer 0 of 1 · Union 0 of 1');
  await expect(panelF.getByTestId('agreement-countdown')).toContainText(/Closes in (1 day|2 days)/);
  await expect(panelF.getByTestId('agreement-sha256')).toHaveText(v1.sha256);
  // The facilitator is neutral: no position to take, but a way to withdraw.
  await expect(panelF.getByTestId('position-controls')).toHaveCount(0);
  await expect(panelF.getByRole('button', { name: 'Withdraw proposal' })).toBeVisible();
  await checkA11y(F.page, 'agreement panel, open (facilitator)');

  // --- The proposal reaches the others without a reload -----------------------------------------
  const panelE = viewE.getByTestId('agreement-panel');
  const panelU = viewU.getByTestId('agreement-panel');
  for (const p of [panelE, panelU]) {
    await expect(p).toHaveAttribute('data-state', 'open');
    await expect(p.getByTestId('agreement-progress')).toHaveText('Employer 0 of 1 · Union 0 of 1');
  }
  await expect(E.page.getByTestId('open-agreement')).toContainText('v1 “Final draft” is proposed for agreement.');
  await expect(E.page.locator('[data-testid=version][data-number="1"]').getByTestId('proposed-badge')).toBeVisible();

  // The endorse button names exactly what is endorsed: number, name, the first 12 characters of the hash.
  const endorseE = panelE.getByRole('button', { name: `Endorse v1 “Final draft” · ${v1.sha256.slice(0, 12)}` });
  await expect(endorseE).toBeVisible();
  await checkA11y(E.page, 'agreement panel, open (employer member)');
  await atEachScreen(E.page, panelE, 'agreement-panel-open-voter', AGREEMENT_SCREENS, true);

  // --- Erik (employer) endorses: all three panels follow ---------------------------------------
  await endorseE.click();
  await expect(panelE.getByTestId('agreement-status')).toBeFocused();
  await expect(E.page.getByTestId('agreement-announcer')).toContainText('Your endorsement of v1 “Final draft” is recorded.');
  for (const p of [panelF, panelE, panelU]) {
    await expect(p.getByTestId('agreement-progress')).toHaveText('Employer 1 of 1 · Union 0 of 1');
    await expect(p.getByTestId('agreement-side-employer').getByTestId('voter')).toHaveAttribute('data-position', 'endorse');
  }
  await expect(panelE.getByTestId('position-controls')).toContainText('Your position: Endorses.');

  // --- Ulla (union) endorses by keyboard: agreed, sealed, everywhere ---------------------------
  const endorseU = panelU.getByRole('button', { name: /^Endorse v1 “Final draft” · [0-9a-f]{12}$/ });
  await endorseU.focus();
  await U.page.keyboard.press('Enter');
  await expect(panelU.getByTestId('agreement-status')).toBeFocused();
  const agreed = (await (await F.page.request.get(`/api/v1/roundtables/${rt.id}/agreements`)).json()) as AgreementOut[];
  expect(agreed[0].state).toBe('agreed');
  expect(agreed[0].seal).toMatch(/^[0-9a-f]{64}$/);
  for (const p of [panelF, panelE, panelU]) {
    await expect(p).toHaveAttribute('data-state', 'agreed');
    await expect(p.getByTestId('agreement-progress')).toHaveText('Employer 1 of 1 · Union 1 of 1');
    await expect(p.getByTestId('agreement-outcome')).toContainText('Agreed by both sides');
    await expect(p.getByTestId('agreement-seal')).toHaveText(agreed[0].seal!);
    await expect(p.getByTestId('position-controls')).toHaveCount(0);
  }
  await expect(F.page.getByTestId('agreement-announcer')).toContainText('v1 “Final draft” is agreed by both sides.');
  // Agreed: nothing more to propose on this version.
  await expect(viewF.getByTestId('propose-agreement')).toHaveCount(0);
  for (const page of [F.page, E.page, U.page]) {
    await expect(page.locator('[data-testid=version][data-number="1"]').getByTestId('agreed-badge')).toHaveText('✓ Agreed');
    await expect(page.getByTestId('open-agreement')).toHaveCount(0);
  }
  // The whole seal is on screen, wrapped, not clipped.
  const sealBox = await panelF.getByTestId('agreement-seal').evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
  expect(sealBox.sw).toBeLessThanOrEqual(sealBox.cw + 1);
  await checkA11y(F.page, 'agreement panel, agreed');
  await atEachScreen(F.page, panelF, 'agreement-panel-agreed', AGREEMENT_SCREENS, true);

  // --- The roundtable lists the agreed text, with downloads -------------------------------------
  await F.page.goto(`/roundtables/${rt.id}#agreed`);
  const item = F.page.getByTestId('agreed-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(`Programme ${run}`);
  await expect(item).toContainText('v1 “Final draft”');
  await expect(item.getByTestId('agreed-seal')).toHaveText(agreed[0].seal!);
  for (const [format, magic] of [
    ['docx', 'PK'],
    ['pdf', '%PDF'],
  ] as const) {
    const link = item.locator(`a[data-format=${format}]`);
    await expect(link).toHaveAttribute('href', new RegExp(`/api/v1/versions/${v1.id}/export\\.${format}\\?lang=en$`));
    const [download] = await Promise.all([F.page.waitForEvent('download'), link.click()]);
    expect(await download.failure()).toBeNull();
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(0, magic.length).toString('latin1'), `${format} download`).toBe(magic);
    expect(bytes.length).toBeGreaterThan(500);
  }
  for (const format of ['md', 'html'] as const) {
    const res = await F.page.request.get((await item.locator(`a[data-format=${format}]`).getAttribute('href'))!);
    expect(res.status(), format).toBe(200);
  }
  await checkA11y(F.page, 'roundtable with agreed texts');
  await atEachScreen(F.page, F.page.getByTestId('agreed-section'), 'agreed-list', AGREEMENT_SCREENS, true);

  // --- A second proposal: the union member objects, with a reason; it stays open ---------------
  // Freja adds a paragraph, so the second version's text (and hash) differs from the first.
  await F.page.goto(`/documents/${doc.id}`);
  await expect(F.page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const editorF = F.page.getByRole('textbox', { name: /^Document text/ });
  await editorF.click();
  await F.page.keyboard.press('Control+End');
  await F.page.keyboard.press('Enter');
  await F.page.keyboard.type(`Ten days of paid training leave a year ${run}`, { delay: 5 });
  await expect.poll(async () => (await F.page.request.get(`/api/v1/documents/${doc.id}/markdown`)).text()).toContain(`paid training leave a year ${run}`);
  const v2 = await post<VersionOut>(F.page.request, baseURL!, `/api/v1/documents/${doc.id}/versions`, { name: 'Second draft' });
  expect(v2.sha256).not.toBe(v1.sha256);
  const viewF2 = await openVersion(F.page, doc.id, 2);
  const viewE2 = await openVersion(E.page, doc.id, 2);
  const viewU2 = await openVersion(U.page, doc.id, 2);
  await viewF2.getByTestId('propose-agreement').click();
  await viewF2.getByTestId('propose-form').getByLabel('At least one on each side').check();
  await viewF2.getByTestId('propose-form').getByRole('button', { name: 'Propose v2 “Second draft”' }).click();
  const panelF2 = viewF2.getByTestId('agreement-panel');
  await expect(panelF2).toHaveAttribute('data-state', 'open');
  const panelE2 = viewE2.getByTestId('agreement-panel');
  const panelU2 = viewU2.getByTestId('agreement-panel');
  await expect(panelU2).toHaveAttribute('data-state', 'open');
  await panelE2.getByRole('button', { name: `Endorse v2 “Second draft” · ${v2.sha256.slice(0, 12)}` }).click();
  await expect(panelU2.getByTestId('agreement-progress')).toHaveText('Employer 1 of 1 · Union 0 of 1');

  // Keyboard only: Object opens the reason, which is required.
  const objectU = panelU2.getByRole('button', { name: 'Object', exact: true });
  await objectU.focus();
  await U.page.keyboard.press('Enter');
  const reason = panelU2.getByRole('textbox', { name: 'Why do you object?' });
  await expect(reason).toBeFocused();
  await panelU2.getByRole('button', { name: 'Send objection' }).focus();
  await U.page.keyboard.press('Enter');
  await expect(panelU2.getByText('An objection needs a reason.')).toBeVisible();
  await expect(reason).toBeFocused();
  await checkA11y(U.page, 'objection form with its error');
  const why = `Ten days of paid training leave are missing ${run}`;
  await U.page.keyboard.type(why);
  await panelU2.getByRole('button', { name: 'Send objection' }).click();
  await expect(panelU2.getByTestId('agreement-status')).toBeFocused();
  for (const p of [panelF2, panelE2, panelU2]) {
    await expect(p).toHaveAttribute('data-state', 'open');
    await expect(p.getByTestId('agreement-blocked')).toBeVisible();
    const ulla = p.getByTestId('agreement-side-union').getByTestId('voter');
    await expect(ulla).toHaveAttribute('data-position', 'object');
    await expect(ulla).toContainText(why);
    await expect(ulla).toContainText('3F');
  }
  const second = (await (await F.page.request.get(`/api/v1/roundtables/${rt.id}/agreements`)).json()) as AgreementOut[];
  expect(second[0].state).toBe('open');
  await checkA11y(F.page, 'agreement panel blocked by an objection');
  await atEachScreen(F.page, panelF2, 'agreement-panel-objection', AGREEMENT_SCREENS, true);

  // A stale hash is refused and said in the reader's language (the server compares the hash sent).
  const stale = await U.page.request.post(`/api/v1/agreements/${second[0].id}/positions`, {
    data: { position: 'endorse', sha256: v1.sha256 },
    headers: { Origin: origin },
  });
  expect(stale.status()).toBe(409);
  expect(((await stale.json()) as { type: string }).type).toBe('urn:accord:problem:version-hash-mismatch');

  // Danish: the endorse button still names the version and its hash.
  await E.page.getByLabel('Language').selectOption('da');
  await expect(panelE2.getByRole('button', { name: `Tiltræd v2 »Second draft« · ${v2.sha256.slice(0, 12)}` })).toBeVisible();
  await expect(panelE2.getByTestId('agreement-progress')).toHaveText('Arbejdsgiver 1 af 1 · Fagforening 0 af 1');
  await checkA11y(E.page, 'agreement panel in Danish');
  await E.page.getByLabel('Sprog').selectOption('en');

  // Freja withdraws the blocked proposal (confirmed in place; Cancel has focus first); everyone sees it.
  await panelF2.getByRole('button', { name: 'Withdraw proposal' }).click();
  await expect(panelF2.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await panelF2.getByRole('button', { name: 'Yes, withdraw' }).click();
  await expect(panelF2.getByTestId('agreement-status')).toBeFocused();
  for (const p of [panelF2, panelE2, panelU2]) {
    await expect(p).toHaveAttribute('data-state', 'withdrawn');
    await expect(p.getByTestId('agreement-outcome')).toContainText('Withdrawn');
    await expect(p.getByTestId('position-controls')).toHaveCount(0);
  }
  await expect(U.page.getByTestId('agreement-announcer')).toContainText('The proposal of v2 “Second draft” was withdrawn.');

  // --- The Activity page lists the steps --------------------------------------------------------
  await F.page.goto(`/roundtables/${rt.id}`);
  await F.page.getByTestId('activity-link').click();
  await expect(F.page.getByRole('heading', { level: 1, name: `Activity: Agreement ${run}` })).toBeVisible();
  const activity = F.page.getByTestId('activity');
  const doc1 = `“Programme ${run}”`;
  for (const line of [
    `Freja ${run} proposed v1 “Final draft” of ${doc1} for agreement. Rule: Everyone on each side must endorse; any objection blocks.`,
    `Erik ${run} endorsed v1 “Final draft” of ${doc1}.`,
    `v1 “Final draft” of ${doc1} was agreed when Ulla ${run} endorsed it (seal ${agreed[0].seal!.slice(0, 12)}…).`,
    `Ulla ${run} objected to v2 “Second draft” of ${doc1}: “${why}”`,
    `Freja ${run} withdrew the proposal of v2 “Second draft” of ${doc1}.`,
    `Ulla ${run} joined as a member on the union side, for 3F.`,
    `Freja ${run} created the roundtable “Agreement ${run}”.`,
  ]) {
    await expect(activity.getByText(line, { exact: false })).toHaveCount(1);
  }
  // Each entry says the side in words.
  const objection = activity.getByTestId('activity-entry').filter({ hasText: why });
  await expect(objection.locator('.badge')).toHaveText('Union');
  await checkA11y(F.page, 'activity');
  await atEachScreen(F.page, activity, 'activity', AGREEMENT_SCREENS);
  await F.page.getByLabel('Language').selectOption('da');
  await expect(activity.getByText(`Erik ${run} tiltrådte v1 »Final draft« af »Programme ${run}«.`)).toBeVisible();
  await checkA11y(F.page, 'activity in Danish');
  await F.page.getByLabel('Sprog').selectOption('en');

  // Paged: older entries come with "Load older", which moves focus to the first it adds.
  const notes = await post<{ id: string }>(F.page.request, baseURL!, `/api/v1/roundtables/${rt.id}/documents`, { title: `Notes ${run}`, kind: 'notes' });
  for (let i = 1; i <= 45; i++) await post(F.page.request, baseURL!, `/api/v1/documents/${notes.id}/versions`, { name: `Note ${i}` });
  await F.page.reload();
  await expect(activity.getByTestId('activity-entry')).toHaveCount(50);
  await F.page.getByTestId('load-older').click();
  await expect(activity.getByTestId('activity-entry').nth(50)).toBeFocused();
  await expect(F.page.getByTestId('activity-status')).toContainText('older entries loaded');
  await expect(activity.getByText(`Freja ${run} created the roundtable “Agreement ${run}”.`)).toBeVisible();
  await expect(F.page.getByTestId('load-older')).toHaveCount(0);
  await expect(F.page.getByText('That is everything')).toBeVisible();

  for (const p of [F, E, U]) await p.context.close();
});
