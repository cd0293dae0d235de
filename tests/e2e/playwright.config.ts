import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The config is evaluated in the runner and in each worker: keep one database path for all of them.
if (!process.env.E2E_DB) {
  process.env.E2E_DB = join(mkdtempSync(join(tmpdir(), 'accord-e2e-')), 'accord.db');
}
const port = Number(process.env.E2E_PORT ?? 18080);
// E2E_BASE_URL runs the specs against a server that is already running (no webServer is started).
const external = process.env.E2E_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './specs',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    locale: 'en-GB',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: external ? undefined : {
    command: '${ACCORD_BIN:-../../target/debug/accord} serve',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ACCORD_BIND: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${process.env.E2E_DB}?mode=rwc`,
      ACCORD_PUBLIC_URL: baseURL,
    },
  },
});
