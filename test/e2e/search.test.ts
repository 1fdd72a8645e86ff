// Search in a browser, at desktop and phone width: type words (suggestions fill the datalist), search, narrow with
// two facets (checkboxes + "Bruk filter", a plain GET form), open a dataset from the hits. axe-core checks WCAG 2.1 AA
// on every state; the page must fit a phone's width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import type { DatasetInput } from '../../src/catalog/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

const SIZES = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
let target: string;

async function publish(input: Partial<DatasetInput> & { orgnr: string; title: { nb: string } }): Promise<string> {
  const ds = await server.services.catalog.createDataset(CLI_ACTOR, { description: { nb: 'Tall for hele landet.' }, accessRights: 'PUBLIC', licence: 'https://data.norge.no/nlod/no/2.0/', contactPoint: { email: 'data@example.no' }, ...input });
  await server.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  return ds.id;
}

beforeAll(async () => {
  server = await startServer();
  await server.services.organisations.create(CLI_ACTOR, { orgnr: '971526920', name: 'Statistisk sentralbyrå' });
  await server.services.organisations.create(CLI_ACTOR, { orgnr: '991825827', name: 'Digitaliseringsdirektoratet' });
  target = await publish({ orgnr: '971526920', title: { nb: 'Barnehager per kommune' }, themes: ['EDUC'], spatial: ['0301'] });
  await publish({ orgnr: '971526920', title: { nb: 'Barnehageansatte per kommune' }, themes: ['EDUC'], accessRights: 'RESTRICTED', licence: null });
  await publish({ orgnr: '991825827', title: { nb: 'Barnehagedekning i kommunene' }, themes: ['EDUC', 'SOCI'] });
  await publish({ orgnr: '971526920', title: { nb: 'Befolkning per kommune' }, themes: ['SOCI'] });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe.each(Object.entries(SIZES))('search at %s width', (label, viewport) => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.browser.newContext({ locale: 'nb-NO', viewport });
    page = await context.newPage();
  });
  afterAll(async () => context?.close());

  it('searches, narrows with two facets and opens a dataset', async () => {
    await page.goto(`${server.baseUrl}/datasett`);
    await checker.check(`${label}: list`);
    const box = page.getByLabel('Søk i datasett (tittel, beskrivelse, emneord, virksomhet og kolonnenavn)');
    await box.pressSequentially('barneh', { delay: 20 });
    // The island fills the datalist from /api/v1/search/suggestions.
    await expect.poll(() => page.locator('#q-suggestions option').count(), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await page.evaluate<string[]>("[...document.querySelectorAll('#q-suggestions option')].map((o) => o.value)")).toContain('Barnehager per kommune');
    await box.fill('barnehagene kommune');
    await page.getByRole('button', { name: 'Søk', exact: true }).click();
    await page.waitForURL(/q=barnehagene/);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('3 datasett');
    await checker.check(`${label}: results`);
    // Two facets: open data, and the publisher.
    await page.getByLabel('Åpne data (2)').check();
    await page.getByLabel('Statistisk sentralbyrå (2)').check();
    await page.getByRole('button', { name: 'Bruk filter' }).click();
    await page.waitForURL(/tilgang=OPEN/);
    expect(page.url()).toContain('utgiver=971526920');
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('1 datasett');
    await checker.check(`${label}: narrowed`);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(width, 'no sideways scrolling').toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Barnehager per kommune' }).click();
    await page.waitForURL(new RegExp(`/datasett/${target}$`));
    expect(await page.locator('h1').textContent()).toContain('Barnehager per kommune');
    await checker.check(`${label}: dataset`);
  }, 60_000);
});

it('has no accessibility violations on any page visited', () => {
  expect(checker.problems).toEqual([]);
});
