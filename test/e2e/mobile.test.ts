// The platform on a phone (390 × 844, an iPhone 12–15 viewport): the front page, the dataset list, a seeded dataset
// page with a wide table, an organisation page, sign-in and sign-up, and — signed in as the operator — a dataset page
// with its editor buttons, the archive confirmation step, the "archived" notice after it and the "published" notice
// after publishing it again. Every page fits the width (no horizontal page scroll: long URLs and words wrap; wide
// tables scroll inside their own focusable region), and axe-core reports zero WCAG 2.1 AA violations at that width.
// Set SCREENSHOT_DIR to also keep full-page screenshots at 390 and 1280 px for a person to look at.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const OPERATOR = { email: 'drift@example.no', password: 'en lang og trygg frase' };
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let phone: BrowserContext;
let desktop: BrowserContext;
let page: Page;
const checker = pageChecker(() => page);

beforeAll(async () => {
  server = await startServer({ seed: true });
  await server.services.accounts.createUser({ ...OPERATOR, name: 'Driftsansvarlig', isOperator: true });
  browser = await launchBrowser();
  // axe needs pages from browser.newContext() (STACK.md); one context per screen size.
  phone = await browser.browser.newContext({ locale: 'nb-NO', viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  desktop = await browser.browser.newContext({ locale: 'nb-NO', viewport: DESKTOP });
  page = await phone.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function datasetWithTable(): Promise<{ id: string; orgnr: string }> {
  const { items } = await server.services.catalog.listDatasets(CLI_ACTOR, { q: 'avgrensning', limit: 5, offset: 0 });
  const ds = items.find((d) => d.distributions.some((x) => x.tableName === 'kommuner-2023'));
  if (!ds) throw new Error('the seeded Kartverket dataset with the kommuner-2023 table is missing');
  return { id: ds.id, orgnr: ds.publisher.orgnr };
}

/** How far the page scrolls sideways: 0 when everything fits. */
async function horizontalOverflow(p: Page): Promise<{ scrollWidth: number; culprits: string[] }> {
  return p.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.df-table-wrap'))
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + (el.textContent || '').trim().slice(0, 40));
    return { scrollWidth: document.documentElement.scrollWidth, culprits };
  })()`);
}

/** Full-page screenshots cut into pieces a person can read at full size (1,200 px tall each). */
async function screenshots(p: Page, name: string): Promise<void> {
  const { width, height } = await p.evaluate<{ width: number; height: number }>('({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight })');
  for (let y = 0, n = 1; y < height; y += 1200, n++) {
    await p.screenshot({ path: path.join(SCREENSHOT_DIR!, `${name}-${n}.png`), fullPage: true, clip: { x: 0, y, width, height: Math.min(1200, height - y) } });
  }
}

async function visit(label: string, url: string, expectText?: string): Promise<void> {
  await page.goto(`${server.baseUrl}${url}`);
  if (expectText) expect(await page.locator('main').textContent()).toContain(expectText);
  const overflow = await horizontalOverflow(page);
  expect(overflow, `${label} scrolls sideways at 390 px`).toEqual({ scrollWidth: expect.any(Number), culprits: [] });
  expect(overflow.scrollWidth, `${label} is wider than the phone`).toBeLessThanOrEqual(PHONE.width);
  await checker.check(`${label} @390`);
  if (SCREENSHOT_DIR) {
    const name = label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await screenshots(page, `df-phone-${name}`);
    const big = await desktop.newPage();
    await big.context().addCookies(await page.context().cookies());
    await big.goto(page.url());
    await screenshots(big, `df-desktop-${name}`);
    await big.close();
  }
}

describe('on a 390 px phone', () => {
  it('every public page fits the width and passes axe', async () => {
    const { id, orgnr } = await datasetWithTable();
    await visit('front page', '/');
    await visit('dataset list', '/datasett', 'Kommuner og fylker med avgrensning 2023');
    await visit('dataset with table', `/datasett/${id}`, 'Kommuner 2023 med avgrensningsboks');

    // The wide preview scrolls inside its own region, which a keyboard can reach and shows focus on.
    const region = page.getByRole('region', { name: /^De første \d+ radene i «Kommuner 2023 med avgrensningsboks»/ });
    expect(await region.count()).toBe(1);
    // Measure the preview region itself (the columns table has a scroll region of its own).
    const box = await region.evaluate((el) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { overflowX: string } }).getComputedStyle(el);
      return { scroll: el.scrollWidth, client: el.clientWidth, overflowX: style.overflowX };
    });
    expect(box.overflowX).toBe('auto');
    expect(box.scroll).toBeGreaterThan(box.client);
    await region.focus();
    const outline = await page.evaluate<{ focused: boolean; style: string; width: number }>(
      "(() => { const el = document.activeElement; const cs = getComputedStyle(el); return { focused: el.matches('.df-table-wrap[role=region]'), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) }; })()",
    );
    expect(outline.focused).toBe(true);
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);

    await visit('organisation', `/virksomheter/${orgnr}`, 'Kartverket');
    await visit('sign in', '/logg-inn');
    await visit('sign up', '/registrer');
    expect(checker.problems).toEqual([]);
  });

  it('signed in: the dataset page with editor buttons, the archive confirmation and its notice fit and pass axe', async () => {
    const { id } = await datasetWithTable();
    await page.goto(`${server.baseUrl}/logg-inn`);
    await page.fill('#email', OPERATOR.email);
    await page.fill('#password', OPERATOR.password);
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/konto');
    await visit('dataset as operator', `/datasett/${id}`);

    await page.getByRole('link', { name: 'Arkiver' }).click();
    await page.waitForURL(`**/datasett/${id}/arkiver`);
    await visit('archive confirmation', `/datasett/${id}/arkiver`, 'Ingenting slettes');
    await page.getByRole('button', { name: 'Arkiver datasettet' }).click();
    await page.waitForURL(`**/datasett/${id}`);
    expect(await page.getByRole('status').filter({ hasText: 'Datasettet er arkivert' }).count()).toBe(1);
    const overflow = await horizontalOverflow(page);
    expect(overflow.culprits).toEqual([]);
    await checker.check('archived notice @390');
    if (SCREENSHOT_DIR) await screenshots(page, 'df-phone-archived-notice');

    // Shown once: the next view has no notice.
    await page.reload();
    expect(await page.getByRole('status').filter({ hasText: 'Datasettet er arkivert' }).count()).toBe(0);

    // Publishing it again says so too.
    await page.getByRole('button', { name: 'Publiser' }).click();
    await page.waitForURL(`**/datasett/${id}`);
    expect(await page.getByRole('status').filter({ hasText: 'Datasettet er publisert' }).count()).toBe(1);
    await checker.check('published notice @390');
    expect(checker.problems).toEqual([]);
  });
});
