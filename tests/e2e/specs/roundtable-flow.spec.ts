import { expect, test, type Browser } from '@playwright/test';
import { checkA11y, PASSWORD, signUp, tabUntil, uniq } from './helpers';

async function newUserPage(browser: Browser) {
  const context = await browser.newContext({ locale: 'en-GB' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  return { context, page };
}

test('facilitator invites an employer and a union representative who join by link', async ({ browser, baseURL }) => {
  const run = uniq('rt');
  const alice = { email: `alice-${run}@example.org`, name: `Alice ${run}`, org: 'DUFA steering group' };
  const bob = { email: `bob-${run}@example.org`, name: `Bob ${run}`, org: 'TeleCo A/S' };
  const carol = { email: `carol-${run}@example.org`, name: `Carol ${run}`, org: 'United Telecom Workers' };
  const title = `Digital upskilling 50+ ${run}`;

  // --- A: sign up, create a roundtable -------------------------------------------------
  const A = await newUserPage(browser);
  await A.page.goto('/');
  await expect(A.page).toHaveURL(/\/signin\?next=%2F$/);
  await expect(A.page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await checkA11y(A.page, 'signin');

  await A.page.getByRole('main').getByRole('link', { name: 'Create account' }).click();
  await expect(A.page.getByRole('heading', { level: 1, name: 'Create account' })).toBeVisible();
  await expect(A.page).toHaveTitle(/Create account/);
  await checkA11y(A.page, 'signup');

  // Client-side validation is linked to the field.
  await A.page.getByLabel('Email').fill(alice.email);
  await A.page.getByLabel('Display name').fill(alice.name);
  await A.page.getByLabel('Password').fill('short');
  await A.page.getByRole('button', { name: 'Create account' }).click();
  await expect(A.page.getByRole('alert')).toBeVisible();
  const pw = A.page.getByLabel('Password');
  await expect(pw).toHaveAttribute('aria-invalid', 'true');
  await expect(pw).toHaveAccessibleDescription(/at least 10 characters/i);
  await expect(pw).toBeFocused();

  await signUp(A.page, alice.email, alice.name);
  await expect(A.page.getByRole('heading', { level: 1, name: 'My roundtables' })).toBeVisible();
  await expect(A.page).toHaveURL(/\/$/);
  await expect(A.page.getByRole('banner')).toContainText(alice.name);
  await checkA11y(A.page, 'home');

  await A.page.getByRole('link', { name: 'Create roundtable' }).click();
  await expect(A.page.getByRole('heading', { level: 1, name: 'New roundtable' })).toBeVisible();
  await checkA11y(A.page, 'new roundtable');
  await A.page.getByLabel('Title').fill(title);
  await A.page.getByLabel('Theme').selectOption('ageing_workforce');
  await A.page.getByLabel('Description').fill('Design an upskilling programme for workers aged 50+ together.');
  await A.page.getByLabel(/Your organisation/).fill(alice.org);
  await A.page.getByRole('button', { name: 'Create roundtable' }).click();

  await expect(A.page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(A.page).toHaveURL(/\/roundtables\/[^/]+$/);
  const roundtableUrl = A.page.url();
  await expect(A.page.getByText('Ageing workforce')).toBeVisible();
  await expect(A.page.getByRole('heading', { name: 'Invite a participant' })).toBeVisible();

  // Employer invitation, copied with the Copy button.
  await A.page.getByLabel('Side').selectOption('employer');
  await A.page.getByLabel('Role', { exact: true }).selectOption('member');
  await A.page.getByRole('button', { name: 'Create invitation' }).click();
  const link = A.page.getByLabel(/Invitation link/);
  await expect(link).toHaveValue(/\/invite\/.+/);
  const employerUrl = await link.inputValue();
  await A.page.getByRole('button', { name: 'Copy' }).click();
  await expect(A.page.getByRole('status').filter({ hasText: 'Copied' })).toBeVisible();
  expect(await A.page.evaluate(() => navigator.clipboard.readText())).toBe(employerUrl);
  await checkA11y(A.page, 'roundtable (facilitator)');

  // Union invitation.
  await A.page.getByLabel('Side').selectOption('union');
  await A.page.getByRole('button', { name: 'Create invitation' }).click();
  await expect(link).not.toHaveValue(employerUrl);
  const unionUrl = await link.inputValue();
  expect(unionUrl).toMatch(/\/invite\/.+/);

  // The links point at the server under test.
  expect(new URL(employerUrl).origin).toBe(new URL(baseURL!).origin);

  // --- B: opens the employer link signed out, signs up through it, accepts ---------------
  const B = await newUserPage(browser);
  await B.page.goto(employerUrl);
  await expect(B.page.getByRole('heading', { level: 1, name: 'Invitation' })).toBeVisible();
  await expect(B.page.getByText(title)).toBeVisible();
  await expect(B.page.getByRole('main')).toContainText('Employer');
  await expect(B.page.getByRole('main')).toContainText('Member');
  await checkA11y(B.page, 'invite (signed out)');
  await B.page.getByRole('link', { name: 'Create an account to accept' }).click();
  await expect(B.page).toHaveURL(/\/signup\?next=/);
  await signUp(B.page, bob.email, bob.name);
  await expect(B.page).toHaveURL(new RegExp(`/invite/`));
  await B.page.getByLabel('Organisation').fill(bob.org);
  await checkA11y(B.page, 'invite (signed in)');
  await B.page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(B.page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(B.page).toHaveURL(roundtableUrl);
  // Members do not get the invite form.
  await expect(B.page.getByRole('heading', { name: 'Invite a participant' })).toHaveCount(0);

  // --- C: already has an account; signs in with the keyboard only, accepts the union link --
  const C = await newUserPage(browser);
  const reg = await C.page.request.post('/api/v1/auth/register', {
    data: { email: carol.email, password: PASSWORD, display_name: carol.name },
    headers: { Origin: new URL(baseURL!).origin },
  });
  expect(reg.status(), await reg.text()).toBe(201);
  await C.context.clearCookies(); // the request shares the context's cookie jar: start signed out
  await C.page.goto(unionUrl);
  await expect(C.page.getByRole('main')).toContainText('Union');
  await C.page.getByRole('link', { name: 'Sign in to accept' }).click();
  await expect(C.page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  // Keyboard only: the first Tab reaches the skip link, then the form; Enter submits.
  await C.page.locator('body').click({ position: { x: 1, y: 1 } });
  await C.page.keyboard.press('Tab');
  await expect(C.page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
  await tabUntil(C.page, 'input[type="email"]');
  await C.page.keyboard.type(carol.email);
  await C.page.keyboard.press('Tab');
  await expect(C.page.getByLabel('Password')).toBeFocused();
  await C.page.keyboard.type(PASSWORD);
  await C.page.keyboard.press('Enter');
  await expect(C.page).toHaveURL(/\/invite\//);
  await expect(C.page.getByLabel('Organisation')).toBeVisible();
  await C.page.getByLabel('Organisation').focus();
  await C.page.keyboard.type(carol.org);
  await C.page.keyboard.press('Enter');
  await expect(C.page.getByRole('heading', { level: 1, name: title })).toBeVisible();

  // --- Everyone sees the others grouped by side, with organisation ------------------------
  for (const { page, who } of [
    { page: A.page, who: 'A' },
    { page: B.page, who: 'B' },
    { page: C.page, who: 'C' },
  ]) {
    const employer = page.locator('section[data-side="employer"]');
    const union = page.locator('section[data-side="union"]');
    // A is polling every 5 s; B and C loaded after everyone joined except B (who polls).
    await expect(employer, `employer group seen by ${who}`).toContainText(bob.name, { timeout: 15_000 });
    await expect(employer).toContainText(bob.org);
    await expect(union, `union group seen by ${who}`).toContainText(carol.name, { timeout: 15_000 });
    await expect(union).toContainText(carol.org);
    await expect(page.getByTestId('participant').filter({ hasText: alice.name })).toContainText(alice.org);
  }
  await checkA11y(C.page, 'roundtable (member)');

  // --- Facilitator changes a role --------------------------------------------------------
  await A.page.getByLabel(`Role for ${carol.name}`).selectOption('observer');
  await expect(A.page.getByRole('status').filter({ hasText: `${carol.name}: role changed to Observer` })).toBeAttached();
  await C.page.reload();
  await expect(C.page.locator('section[data-side="union"]')).toContainText('Observer');

  // --- Language switch: Danish, remembered across reloads ---------------------------------
  await B.page.getByLabel('Language').selectOption('da');
  await expect(B.page.getByRole('heading', { level: 2, name: 'Deltagere' })).toBeVisible();
  await expect(B.page.locator('html')).toHaveAttribute('lang', 'da');
  await expect(B.page.locator('section[data-side="employer"] h3')).toHaveText('Arbejdsgiver');
  await expect(B.page.locator('section[data-side="union"] h3')).toHaveText('Fagforening');
  await B.page.reload();
  await expect(B.page.getByRole('heading', { level: 2, name: 'Deltagere' })).toBeVisible();
  await expect(B.page.getByLabel('Sprog')).toHaveValue('da');
  await checkA11y(B.page, 'roundtable (Danish)');
  await B.page.getByRole('link', { name: 'Mine rundborde' }).click();
  await expect(B.page.getByRole('heading', { level: 1, name: 'Mine rundborde' })).toBeVisible();
  await expect(B.page).toHaveTitle(/Mine rundborde/);
  await expect(B.page.getByRole('link', { name: title })).toBeVisible();

  // --- Facilitator removes a participant (with confirmation) ------------------------------
  A.page.once('dialog', (d) => d.accept());
  await A.page.getByRole('button', { name: `Remove ${carol.name}` }).click();
  await expect(A.page.locator('section[data-side="union"]')).not.toContainText(carol.name);
  await A.page.reload();
  await expect(A.page.locator('section[data-side="employer"]')).toContainText(bob.name);
  await expect(A.page.locator('section[data-side="union"]')).not.toContainText(carol.name);

  // --- A used single-use invitation is refused -------------------------------------------
  await A.page.goto(employerUrl);
  await expect(A.page.getByRole('alert')).toHaveText('This invitation has expired or has already been used.');

  // --- Sign out ----------------------------------------------------------------------------
  await A.page.getByRole('button', { name: 'Sign out' }).click();
  await expect(A.page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await A.page.goto('/');
  await expect(A.page).toHaveURL(/\/signin/);

  await Promise.all([A.context.close(), B.context.close(), C.context.close()]);
});

test('sign-in problems and unknown invitations are announced', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto('/signin');
  await page.getByLabel('Email').fill(`nobody-${uniq('x')}@example.org`);
  await page.getByLabel('Password').fill('wrong password 123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('alert')).not.toBeEmpty();
  await checkA11y(page, 'signin with error');

  await page.goto('/invite/does-not-exist');
  await expect(page.getByRole('heading', { level: 1, name: 'Invitation' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('This invitation does not exist.');
  await checkA11y(page, 'invite (unknown)');

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await context.close();
});

test('Danish is chosen from the browser language', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'da-DK' });
  const page = await context.newPage();
  await page.goto('/signup');
  await expect(page.getByRole('heading', { level: 1, name: 'Opret konto' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'da');
  await expect(page.getByText('Mindst 10 tegn.')).toBeVisible();
  await checkA11y(page, 'signup (Danish)');
  await context.close();
});
