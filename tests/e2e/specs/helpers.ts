import AxeBuilder from '@axe-core/playwright';
import { expect, type APIRequestContext, type Browser, type Locator, type Page } from '@playwright/test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs axe (WCAG 2 A + AA) and fails (softly, so the flow continues) on serious or critical violations. */
export async function checkA11y(page: Page, label: string) {
  // Let the page settle (fonts, data) before scanning.
  await page.locator('main h1').first().waitFor();
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map(
    (v) => `[${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect.soft(summary, `axe violations on ${label} (${page.url()})`).toEqual([]);
}

export function uniq(prefix: string) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export const PASSWORD = 'correct horse battery';

export async function signUp(page: Page, email: string, name: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Presses Tab until `predicate` is true for the focused element (bounded). */
export async function tabUntil(page: Page, selector: string, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`keyboard focus never reached ${selector}`);
}

/** The screens Accord is used on: a phone in the audience, a participant's laptop, the room's projector. */
export const SCREENS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'projector', width: 1920, height: 1080 },
] as const;

/** The sizes issue 10 names: a phone, a 1366×768 laptop, a 1080p projector. */
export const AGREEMENT_SCREENS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'projector', width: 1920, height: 1080 },
] as const;

type Screen = { name: string; width: number; height: number };

/**
 * Shows `target` at each of SCREENS (or `screens`) and checks it fits: the page is no wider than the
 * window and `target` lies within it horizontally. With E2E_SCREENSHOTS=1, saves
 * <name>-<screen>.png into screenshots/ or E2E_SCREENSHOTS_DIR (not git-ignored: do not commit
 * them); with `whole`, also the target itself, however tall (<name>-<screen>-whole.png).
 */
export async function atEachScreen(page: Page, target: Locator, name: string, screens: readonly Screen[] = SCREENS, whole = false) {
  const original = page.viewportSize();
  for (const s of screens) {
    await page.setViewportSize({ width: s.width, height: s.height });
    await target.scrollIntoViewIfNeeded();
    // The innermost elements that stick out of the window, to say what to fix.
    const wide = await page.evaluate(() => {
      const w = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= w) return [];
      const out = [...document.body.querySelectorAll('*')].filter((el) => {
        const r = el.getBoundingClientRect();
        if (r.right <= w + 1 || r.width === 0) return false;
        // Inside a scrolling box (a wide table may scroll on its own)? Then the box is what counts.
        for (let p = el.parentElement; p; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) return false;
        }
        return ![...el.children].some((c) => c.getBoundingClientRect().right > w + 1);
      });
      return out.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${Math.round(el.getBoundingClientRect().right)}px)`);
    });
    expect.soft(wide, `${name} on a ${s.name}: wider than the window`).toEqual([]);
    const box = await target.boundingBox();
    expect.soft(box && box.x >= 0 && box.x + box.width <= s.width + 1, `${name} on a ${s.name}: cut off at the side`).toBe(true);
    if (process.env.E2E_SCREENSHOTS) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-${s.name}.png`) });
      if (whole) await target.screenshot({ path: join(SCREENSHOTS, `${name}-${s.name}-whole.png`) });
    }
  }
  if (original) await page.setViewportSize(original);
}

const SCREENSHOTS = process.env.E2E_SCREENSHOTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

/** A person in their own browser context, signed up (registering signs the context in: the request shares its cookie jar). */
export async function person(browser: Browser, baseURL: string, name: string, email: string) {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  const res = await page.request.post('/api/v1/auth/register', {
    data: { email, password: PASSWORD, display_name: name },
    headers: { Origin: new URL(baseURL).origin },
  });
  expect(res.status(), await res.text()).toBe(201);
  return { context, page, name };
}

/** A JSON POST as that person's browser would send it (same Origin); fails the test unless it succeeds. */
export async function post<T>(request: APIRequestContext, baseURL: string, path: string, data: unknown): Promise<T> {
  const res = await request.post(path, { data, headers: { Origin: new URL(baseURL).origin } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}
