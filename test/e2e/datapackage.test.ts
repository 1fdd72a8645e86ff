// The Data Package journey in a real browser: an editor opens the organisation page, follows "Importer en datapakke",
// uploads a zip whose resource points to a web address (a clear error in bokmål, nothing created), then a good zip
// built from real data (Kartverket's kommuner, resources/seed, CC BY 4.0); the new draft dataset's table is read in,
// and the dataset page links its Data Package. axe-core must report zero WCAG 2.1 AA violations on every page.
import { readFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'redaktor@example.no';
const PASSWORD = 'kommunedata er gull verdt';
const ORGNR = '974760673';

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations } = server.services;
  await accounts.createUser({ email: EMAIL, password: PASSWORD, name: 'Rita Redaktør' });
  await organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Registerenheten i Brønnøysund' });
  await organisations.addMember(CLI_ACTOR, ORGNR, { email: EMAIL, role: 'editor' });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const enc = (s: string) => Buffer.from(s, 'utf8');
const descriptor = (path: string) =>
  enc(JSON.stringify({ name: 'kommuner', title: 'Kommuner fra Kartverket', description: 'Kommuner med et punkt inne i kommunen.', licenses: [{ name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/' }], resources: [{ name: 'kommuner', path, format: 'csv', dialect: { delimiter: ',', header: true } }] }));

describe('Data Package import journey', () => {
  it('imports a zip from the organisation page, shows a refused one clearly and links the package — accessibly', async () => {
    const base = server.baseUrl;
    const csv = await readFile(new URL('../../resources/seed/kartverket_kommuner_2023.csv', import.meta.url));
    await page.goto(`${base}/logg-inn`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/konto');

    await page.goto(`${base}/virksomheter/${ORGNR}`);
    await page.getByRole('link', { name: 'Importer en datapakke' }).click();
    await page.waitForURL(`**/virksomheter/${ORGNR}/datapakke`);
    await check('import page');

    const remote = zipSync({ 'datapackage.json': descriptor('https://example.com/kommuner.csv') });
    await page.setInputFiles('#file', { name: 'pakke.zip', mimeType: 'application/zip', buffer: Buffer.from(remote) });
    await page.locator('main form button[type=submit]').click();
    await page.waitForLoadState();
    expect(await page.locator('.ds-error-summary').textContent()).toContain('En ressurs viser til en nettadresse');
    await check('import page with a refused package');

    const good = zipSync({ 'datapackage.json': descriptor('kommuner.csv'), 'kommuner.csv': new Uint8Array(csv) });
    await page.setInputFiles('#file', { name: 'pakke.zip', mimeType: 'application/zip', buffer: Buffer.from(good) });
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL(/\/datasett\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').textContent()).toBe('Kommuner fra Kartverket');
    let link = 0;
    for (let i = 0; i < 60 && link === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
      link = await page.getByRole('link', { name: 'Datasettet som Frictionless Data Package' }).count();
    }
    expect(link).toBe(1);
    await check('imported dataset page with its Data Package link');
    const href = await page.getByRole('link', { name: 'Datasettet som Frictionless Data Package' }).getAttribute('href');
    const res = await page.request.get(`${base}${href}`);
    expect(res.status()).toBe(200);
    const pkg = (await res.json()) as { resources: { name: string }[] };
    expect(pkg.resources.map((r) => r.name)).toEqual(['kommuner']);
  }, 120_000);
});
