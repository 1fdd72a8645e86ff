// The Content-Security-Policy in a real browser: the seeded catalogue's pages (front page, dataset list, a dataset
// with its table preview, organisations, sign-in, an editor's account pages) load their stylesheets and raise no CSP
// violation, and the language switch — a POST form with CSRF — remembers the choice and comes back to the same page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const violations: string[] = [];
const EDITOR = { email: 'csp.editor@example.no', password: 'ingen inline skript her', name: 'Cecilie CSP' };
const SSB = '971526920';

beforeAll(async () => {
  server = await startServer({ seed: true });
  await server.services.accounts.createUser(EDITOR);
  await server.services.organisations.addMember(CLI_ACTOR, SSB, { email: EDITOR.email, role: 'editor' });
  browser = await launchBrowser();
  page = browser.page;
  // Chromium reports every blocked inline style, script or foreign resource as a console error naming the policy.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function visit(path: string): Promise<void> {
  const res = await page.goto(`${server.baseUrl}${path}`);
  expect(res?.status(), path).toBeLessThan(400);
  expect(res?.headers()['content-security-policy'], path).toContain("script-src 'self'");
  // The stylesheets were applied (a blocked stylesheet would leave the header a plain block).
  const display = await page.locator('.df-header__inner').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(el).display);
  expect(display, path).toBe('flex');
}

describe('the Content-Security-Policy in a browser', () => {
  it('lets every page load its styles with no violation, and switches language with a POST form', async () => {
    const ssb = await server.services.catalog.listDatasets(CLI_ACTOR, { orgnr: SSB, limit: 20, offset: 0 });
    const withTable = ssb.items.find((d) => d.title.nb === 'Standard for kommuneinndeling 2024')?.id;
    expect(withTable).toBeTruthy();
    for (const path of ['/', '/datasett', `/datasett/${withTable}`, '/virksomheter', `/virksomheter/${SSB}`, '/api', '/logg-inn', '/registrer']) await visit(path);

    await page.goto(`${server.baseUrl}/logg-inn`);
    await page.fill('#email', EDITOR.email);
    await page.fill('#password', EDITOR.password);
    await Promise.all([page.waitForURL(/\/konto$/), page.locator('main form button[type="submit"]').first().click()]);
    for (const path of ['/konto', '/konto/tokens', '/konto/passord', `/datasett/${withTable}`, `/datasett/${withTable}/rediger`, '/datasett/ny']) await visit(path);

    // The language switch posts (with its CSRF token) and returns to the same page, now in English, and it sticks.
    await visit(`/datasett/${withTable}`);
    await Promise.all([page.waitForURL(new RegExp(`/datasett/${withTable}$`)), page.getByRole('button', { name: 'English' }).click()]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await visit('/datasett');
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    expect(violations).toEqual([]);
  }, 180_000);
});
