// An operator harvests a catalogue in a real browser, without JavaScript: adds a DCAT source at /operator/hosting
// (first with a bad URL: the error keeps the input), runs it, reads the report, and finds the harvested dataset in the
// catalogue with where it came from — also on a phone-width screen. axe-core checks WCAG 2.1 AA on every state.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startHarvestServer, type HarvestServer } from '../helpers/harvest-server';
import { axeViolationsWithoutJs, launchBrowser, startServer, structureProblems, type RunningServer } from './harness';

const fixture = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dcat-ap-no/test.ttl'), 'utf8');
const OPERATOR = { email: 'hanne.hoster@example.no', password: 'høsting er gøy hele året', name: 'Hanne Høster' };

let server: RunningServer;
let src: HarvestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let noJsContext: BrowserContext;
let noJs: Page;
const problems: string[] = [];

async function check(label: string): Promise<void> {
  const found = [...(await axeViolationsWithoutJs(noJs, browser.page)), ...(await structureProblems(noJs))];
  problems.push(...found.map((v) => `[${label}] ${v}`));
}

beforeAll(async () => {
  server = await startServer({ env: { HARVEST_ALLOW_PRIVATE: 'true', HARVEST_TIMEOUT_MS: '5000' } });
  await server.services.accounts.createUser({ ...OPERATOR, isOperator: true });
  src = await startHarvestServer();
  src.serve('/catalog.ttl', 'text/turtle', fixture);
  browser = await launchBrowser();
  noJsContext = await browser.browser.newContext({ locale: 'nb-NO', javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  noJs = await noJsContext.newPage();
  await browser.page.goto(`${server.baseUrl}/`);
});

afterAll(async () => {
  await noJsContext?.close();
  await browser?.close();
  await src?.close();
  await server?.stop();
});

describe('harvesting from the operator page', () => {
  it('adds a source, runs it, shows the report and the harvested dataset says where it came from', async () => {
    const base = server.baseUrl;
    await noJs.goto(`${base}/operator/hosting`);
    await noJs.waitForURL('**/logg-inn?next=*');
    await noJs.fill('#email', OPERATOR.email);
    await noJs.fill('#password', OPERATOR.password);
    await noJs.locator('main form button[type=submit]').last().click();
    await noJs.waitForURL('**/operator/hosting');
    expect(await noJs.locator('h1').textContent()).toBe('Høsting av kataloger');
    await check('empty list');

    // A bad URL: 422, the error names the field, the name is kept.
    await noJs.fill('#name', 'Digdirs testkatalog');
    await noJs.selectOption('#kind', 'dcat');
    await noJs.fill('#url', 'ikke en adresse');
    await noJs.locator('form[action="/operator/hosting"] button[type=submit]').click();
    await noJs.waitForLoadState();
    expect(await noJs.locator('.ds-error-summary').textContent()).toContain('Skriv en fullstendig http- eller https-adresse.');
    expect(await noJs.inputValue('#name')).toBe('Digdirs testkatalog');
    await check('add form with an error');

    await noJs.fill('#url', `${src.url}/catalog.ttl`);
    await noJs.locator('form[action="/operator/hosting"] button[type=submit]').click();
    await noJs.waitForURL('**/operator/hosting/*?done=created');
    expect(await noJs.locator('[role=status]').textContent()).toContain('Kilden er lagt til.');
    await check('source added');

    await noJs.getByRole('button', { name: 'Høst Digdirs testkatalog nå' }).click();
    await noJs.waitForURL('**?done=queued');
    await server.platform.jobs.drain(30_000);
    await noJs.reload();
    const report = noJs.locator('details.df-report').first();
    expect(await report.locator('summary').textContent()).toContain('Fullført');
    const facts = await report.locator('dl').textContent();
    expect(facts).toContain('Lagt til2');
    expect(facts).toContain('Kunne ikke leses0');
    await check('report');

    // The catalogue lists the harvested dataset, and its page says where it came from.
    await noJs.goto(`${base}/datasett?q=${encodeURIComponent('relasjon til begrep')}`);
    await noJs.getByRole('link', { name: 'Test av relasjon til begrep' }).first().click();
    await noJs.waitForLoadState();
    expect(await noJs.locator('#harvest-provenance').textContent()).toBe('Høstet fra Digdirs testkatalog');
    expect(await noJs.locator('main').textContent()).toContain('Digitaliseringsdirektoratet');
    await check('harvested dataset page');

    // The list of sources shows the last run.
    await noJs.goto(`${base}/operator/hosting`);
    expect(await noJs.locator('table').textContent()).toContain('Fullført');
    await check('list with a source');

    expect(problems).toEqual([]);
  });
});
