// Browser-test harness: a real Datafabrikken server on a loopback port (fresh database: SQLite, or PostgreSQL when
// DATABASE_URL is set), Debian's Chromium driven by playwright-core, and axe-core checking WCAG 2.1 AA on every page.
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { openPlatform, type Platform } from '../../src/platform/index';
import { buildApp } from '../../src/server';
import { createServices, type Services } from '../../src/services';
import { createTestEnv } from '../helpers/db';

export interface RunningServer {
  baseUrl: string;
  services: Services;
  platform: Platform;
  stop(): Promise<void>;
}

/** `env`: extra configuration (e.g. OIDC_*); with PORT and BASE_URL in it the server listens on that port. */
export async function startServer(opts: { seed?: boolean; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const env = await createTestEnv('df-e2e-');
  const { dataDir, databaseUrl } = env;
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', PORT: '0', SEED_DEMO: opts.seed ? 'true' : 'false', REGISTRY_URL: '', ...opts.env });
  const logger = pino({ level: 'silent' });
  const platform = await openPlatform(config, logger);
  const services = createServices(platform);
  services.tables.registerJobs();
  services.harvest.registerJobs();
  await platform.jobs.start();
  if (opts.seed) {
    const { seedAll } = await import('../../src/cli/serve');
    await seedAll(services, platform, { waitForJobs: true });
  }
  const app = await buildApp({ services, logger });
  await app.listen({ port: config.port, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    services,
    platform,
    async stop() {
      await app.close();
      await platform.close();
      await env.cleanup();
    },
  };
}

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('Chromium was not found: install Debian\'s chromium package (apt-get install chromium) or set CHROMIUM_PATH.');
}

export async function launchBrowser(): Promise<{ browser: Browser; context: BrowserContext; page: Page; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
  });
  const context = await browser.newContext({ locale: 'nb-NO' });
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    async close() {
      await browser.close();
    },
  };
}

/** Runs axe-core with the WCAG 2.1 A/AA rules on the current page and returns violations in a readable form. */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations.map((v) => `${page.url()} ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}

/** Page-structure rules every page keeps: exactly one h1 and exactly one `main` landmark. Returns the problems. */
export async function structureProblems(page: Page): Promise<string[]> {
  const [h1s, mains] = await Promise.all([page.locator('h1').count(), page.locator('main, [role=main]').count()]);
  const problems: string[] = [];
  if (h1s !== 1) problems.push(`${page.url()} has ${h1s} h1 elements (want exactly 1)`);
  if (mains !== 1) problems.push(`${page.url()} has ${mains} main landmarks (want exactly 1)`);
  return problems;
}

/**
 * axe needs JavaScript, which a `javaScriptEnabled: false` context refuses (the analysis never returns). Our pages
 * ship no scripts, so the same HTML, loaded with a <base> into a scripting page (`scratch`), is checked instead.
 */
export async function axeViolationsWithoutJs(noJsPage: Page, scratch: Page): Promise<string[]> {
  const url = noJsPage.url();
  const html = (await noJsPage.content()).replace(/<head>/i, `<head><base href="${new URL('/', url).href}">`);
  await scratch.setContent(html, { waitUntil: 'load' });
  // Contrast checks need the real styles: every stylesheet of the page must have loaded through the <base>.
  const sheets = await scratch.evaluate<{ linked: number; loaded: number }>(
    "({ linked: document.querySelectorAll('link[rel=stylesheet]').length, loaded: [...document.styleSheets].filter((s) => s.cssRules.length > 0).length })",
  );
  if (sheets.loaded < sheets.linked) throw new Error(`Only ${sheets.loaded} of ${sheets.linked} stylesheets loaded for ${url}`);
  return (await axeViolations(scratch)).map((v) => v.replace(/^\S+/, `${url} (no JS)`));
}

/** Collects axe violations and structure problems per visited page state, labelled, for one assertion at the end. */
export function pageChecker(page: () => Page): { check(label: string): Promise<void>; problems: string[] } {
  const problems: string[] = [];
  return {
    problems,
    async check(label: string) {
      const p = page();
      const found = [...(await axeViolations(p)), ...(await structureProblems(p))];
      problems.push(...found.map((v) => `[${label}] ${v}`));
    },
  };
}

/** Signs in through the sign-in form, as a person would, and waits for the account page. */
export async function signInWithForm(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/logg-inn`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.locator('main form button[type=submit]').click();
  await page.waitForURL('**/konto');
}

/** Creates a draft dataset of `orgnr` through the new-dataset form; returns the dataset page's URL. */
export async function createDatasetWithForm(page: Page, base: string, orgnr: string, text: { title: string; description: string }): Promise<string> {
  await page.goto(`${base}/datasett/ny?org=${orgnr}`);
  await page.fill('#title_nb', text.title);
  await page.fill('#description_nb', text.description);
  await page.locator('main form').filter({ has: page.locator('#title_nb') }).locator('button[type=submit]').click();
  await page.waitForURL(/\/datasett\/[0-9a-f-]{36}$/);
  return page.url();
}
