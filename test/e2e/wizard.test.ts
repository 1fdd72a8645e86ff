// The standalone sharing wizard "Kan du dele datasettet?" in a browser WITHOUT JavaScript (desktop, 1280 px): start,
// an answer that reveals more questions, a step sent with an answer missing (errors keep the answers), a stop on the
// result page, "change the answer" back to its step, the save-for-later link resuming in a new tab, and a clean result.
// Then the same pages at phone width (390 px). axe-core reports zero WCAG 2.1 AA violations on every page state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { axeViolations, axeViolationsWithoutJs, launchBrowser, startServer, structureProblems, type RunningServer } from './harness';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let noJs: BrowserContext;
let phone: BrowserContext;
let page: Page;
let scratch: Page;
const problems: string[] = [];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  noJs = await browser.browser.newContext({ locale: 'nb-NO', viewport: DESKTOP, javaScriptEnabled: false });
  phone = await browser.browser.newContext({ locale: 'nb-NO', viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  page = await noJs.newPage();
  scratch = await (await browser.browser.newContext({ locale: 'nb-NO', viewport: DESKTOP })).newPage();
  // The scratch page must be on the server's origin so it may read the stylesheets (contrast checks).
  await scratch.goto(`${server.baseUrl}/`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function checkNoJs(label: string): Promise<void> {
  problems.push(...(await axeViolationsWithoutJs(page, scratch)).map((v) => `[${label}] ${v}`));
  problems.push(...(await structureProblems(page)).map((v) => `[${label}] ${v}`));
}

/** Answers one step: checks each radio by id, then presses the step's submit button. */
async function answer(p: Page, ids: string[]): Promise<void> {
  for (const id of ids) await p.locator(`#${id}`).check();
  await p.locator('form.df-form button[type=submit]').click();
  await p.waitForLoadState('load');
}

const CLEAN_REST: [string, string[]][] = [
  ['taushetsplikt', ['q-conf_public_body-no', 'q-conf_sector_law-no']],
  ['avtaler', ['q-contract_nda-no']],
  ['immaterielle-rettigheter', ['q-ip_licence-nlod', 'q-ip_own_rights-yes', 'q-ip_secret-no']],
  ['nasjonal-sikkerhet', ['q-ns_harm-no', 'q-ns_classified-no']],
  ['offentlig-stotte', ['q-sa_public_to_private-no']],
  ['konkurranserett', ['q-comp_undertakings-no']],
];

describe('the standalone wizard without JavaScript', () => {
  it('reaches a stop, resolves it and ends with a clean result', async () => {
    await page.goto(`${server.baseUrl}/kan-du-dele`);
    expect(await page.locator('h1').textContent()).toBe('Kan du dele datasettet?');
    await checkNoJs('start');
    await page.getByRole('link', { name: 'Start veiviseren' }).click();
    expect(new URL(page.url()).pathname).toBe('/kan-du-dele/personopplysninger');
    await checkNoJs('step 1');

    // "Yes, personal data" reveals the art. 6 and art. 9 questions on the same step.
    await answer(page, ['q-pd_present-yes']);
    expect(new URL(page.url()).pathname).toBe('/kan-du-dele/personopplysninger');
    await expect(page.locator('legend', { hasText: 'artikkel 6' }).count()).resolves.toBe(1);
    await checkNoJs('step 1 revealed');
    await answer(page, ['q-pd_art6_basis-none', 'q-pd_special-no']);
    expect(new URL(page.url()).pathname).toBe('/kan-du-dele/taushetsplikt');

    // Sent with one answer missing: an error summary, the given answer kept, the missing one named.
    await answer(page, ['q-conf_public_body-no']);
    await expect(page.locator('.ds-error-summary').textContent()).resolves.toContain('særlov');
    expect(await page.locator('#q-conf_public_body-no').isChecked()).toBe(true);
    await checkNoJs('step 2 with an error');
    await answer(page, ['q-conf_sector_law-no']);

    for (const [slug, ids] of CLEAN_REST.slice(1)) {
      expect(new URL(page.url()).pathname).toBe(`/kan-du-dele/${slug}`);
      await answer(page, ids);
    }
    expect(new URL(page.url()).pathname).toBe('/kan-du-dele/resultat');
    const stops = page.locator('.ds-alert[data-color=danger]');
    expect(await stops.count()).toBe(1);
    await expect(stops.textContent()).resolves.toContain('Du har ikke et behandlingsgrunnlag');
    await expect(page.locator('main').textContent()).resolves.toContain('Hva du kan gjøre');
    await checkNoJs('result with a stop');

    // The save-for-later link resumes the same answers in a fresh tab.
    const saved = await page.getByRole('link', { name: 'Lagre til senere' }).getAttribute('href');
    const other = await noJs.newPage();
    await other.goto(`${server.baseUrl}${saved}`);
    expect(await other.locator('.ds-alert[data-color=danger]').count()).toBe(1);
    await other.close();

    // "Change the answer" goes back to the step; a lawful basis clears the stop.
    await stops.getByRole('link', { name: 'Endre svaret' }).click();
    expect(new URL(page.url()).pathname).toBe('/kan-du-dele/personopplysninger');
    expect(await page.locator('#q-pd_art6_basis-none').isChecked()).toBe(true);
    await answer(page, ['q-pd_art6_basis-public_task']);
    await page.getByRole('navigation', { name: 'Steg i veiviseren' }).getByRole('link', { name: 'Resultat' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('Ingen stopp funnet');
    await expect(page.locator('main').textContent()).resolves.toContain('ikke juridisk rådgivning');
    expect(await page.locator('.ds-alert[data-color=danger]').count()).toBe(0);
    await checkNoJs('clean result');

    // English and nynorsk renderings of the same result.
    await page.goto(`${page.url()}&lang=en`);
    await expect(page.locator('main').textContent()).resolves.toContain('No stops found');
    await checkNoJs('clean result (en)');
    await page.goto(page.url().replace('lang=en', 'lang=nn'));
    await expect(page.locator('main').textContent()).resolves.toContain('Ingen stopp funne');
    await checkNoJs('clean result (nn)');

    expect(problems).toEqual([]);
  });
});

describe('the standalone wizard at phone width', () => {
  it('start, a step with an error, a stop and a clean result fit 390 px and are axe clean', async () => {
    const p = await phone.newPage();
    const found: string[] = [];
    const check = async (label: string) => {
      found.push(...(await axeViolations(p)).map((v) => `[phone ${label}] ${v}`));
      found.push(...(await structureProblems(p)).map((v) => `[phone ${label}] ${v}`));
      const width = await p.evaluate('document.documentElement.scrollWidth');
      if ((width as number) > PHONE.width) found.push(`[phone ${label}] page scrolls sideways: ${String(width)} px`);
    };
    await p.goto(`${server.baseUrl}/kan-du-dele`);
    await check('start');
    await p.getByRole('link', { name: 'Start veiviseren' }).click();
    await p.locator('form.df-form button[type=submit]').click();
    await p.waitForLoadState('load');
    expect(await p.locator('.ds-error-summary').count()).toBe(1);
    await check('step with an error');
    await answer(p, ['q-pd_present-yes']);
    await answer(p, ['q-pd_art6_basis-consent', 'q-pd_special-yes']);
    await answer(p, ['q-pd_art9_basis-none']);
    for (const [, ids] of CLEAN_REST) await answer(p, ids);
    expect(new URL(p.url()).pathname).toBe('/kan-du-dele/resultat');
    await expect(p.locator('.ds-alert[data-color=danger]').textContent()).resolves.toContain('artikkel 9 nr. 2');
    await check('result with a stop');
    await p.goto(p.url().replace('pd_present=yes', 'pd_present=no'));
    await expect(p.locator('main').textContent()).resolves.toContain('Ingen stopp funnet');
    await check('clean result');
    await p.close();
    expect(found).toEqual([]);
  });
});
