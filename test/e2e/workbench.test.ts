// The analysis workbench in a real browser (issue 11.3): a signed-in analyst writes a join in the SQL editor, sees the
// result, picks a bar chart and draws it, downloads the result as CSV and the ML bundle (zip: Parquet + data card),
// saves the query as shared, opens its page, and a visitor without an account opens the shared link and sees the same
// chart; a shared query over a RESTRICTED table is a 404 page to that visitor. Everything works without JavaScript
// (the pages have none). axe-core: zero WCAG 2.1 AA violations in every state, at desktop width and at 390 px.
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { sqlTableName } from '../../src/sql/model';
import { launchBrowser, pageChecker, signInWithForm, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;
const ORGNR = '974760673';
const PASSWORD = 'correct horse battery';
const names = { kommuner: '', fylker: '', hemmelig: '' };

async function datasetWithTable(title: string, table: string, csv: string, accessRights: 'PUBLIC' | 'RESTRICTED' = 'PUBLIC'): Promise<string> {
  const { catalog, tables } = server.services;
  const ds = await catalog.createDataset(CLI_ACTOR, { orgnr: ORGNR, title: { nb: title }, description: { nb: `${title}.` }, accessRights, licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@example.no' } });
  await catalog.publishDataset(CLI_ACTOR, ds.id);
  await tables.createTableFromFile(CLI_ACTOR, ds.id, { name: table, filename: `${table}.csv`, stream: Readable.from([Buffer.from(csv)]) });
  return sqlTableName({ id: ds.id, orgnr: ORGNR, title: ds.title }, table);
}

beforeAll(async () => {
  server = await startServer();
  const { organisations, accounts } = server.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Statistisk sentralbyrå' });
  await accounts.createUser({ email: 'analytiker@example.no', password: PASSWORD, name: 'Analytiker' });
  await organisations.addMember(CLI_ACTOR, ORGNR, { email: 'analytiker@example.no', role: 'editor' });
  names.kommuner = await datasetWithTable('Kommuner', 'kommuner', 'kommunenummer;navn;fylke;innbyggere\n0301;Oslo;03;717710\n4601;Bergen;46;291940\n4640;Sogndal;46;12278\n5001;Trondheim;50;214565\n');
  names.fylker = await datasetWithTable('Fylker', 'fylker', 'fylke;fylkesnavn\n03;Oslo\n46;Vestland\n50;Trøndelag\n');
  names.hemmelig = await datasetWithTable('Tilskudd', 'tilskudd', 'kommunenummer;belop\n0301;1000\n4601;2500\n', 'RESTRICTED');
  await server.services.jobs.drain(60_000);
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function download(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: await fs.readFile(file as string) };
}

async function journey(width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${server.baseUrl}/sql`);
  const sql = `SELECT f.fylkesnavn, sum(k.innbyggere) AS innbyggere\nFROM "${names.kommuner}" k JOIN "${names.fylker}" f USING (fylke)\nGROUP BY f.fylkesnavn ORDER BY innbyggere DESC`;
  await page.getByLabel('SQL-spørring').fill(sql);
  await page.getByRole('button', { name: 'Kjør' }).click();
  await expect.poll(() => page.locator('#sql-result tbody tr').count()).toBe(3);
  // A chart is suggested at once (text against a number); choose a bar chart explicitly and draw it.
  expect(await page.locator('.df-result-chart').count()).toBe(1);
  await page.getByLabel('Diagramtype').selectOption('bar');
  await page.getByLabel('Kolonne langs x-aksen').selectOption('fylkesnavn');
  await page.getByLabel('Tallkolonne langs y-aksen').selectOption('innbyggere');
  await page.getByRole('button', { name: 'Tegn diagram' }).click();
  await expect.poll(() => page.locator('.df-result-chart rect.df-chart-bar').count()).toBe(3);
  expect(await page.locator('.df-result-chart title').first().textContent()).toBe('innbyggere etter fylkesnavn');
  await check(`workbench result and chart ${width}px`);
  // No sideways scrolling on a phone.
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);

  const csv = await download(() => page.getByRole('button', { name: 'CSV', exact: true }).click());
  expect(csv.name).toBe('resultat.csv');
  expect(csv.bytes.toString('utf8').split('\r\n').slice(0, 2)).toEqual(['fylkesnavn,innbyggere', 'Oslo,717710']);
  const ml = await download(() => page.getByRole('button', { name: 'ML-pakke (Parquet + datakort)' }).click());
  const files = unzipSync(new Uint8Array(ml.bytes));
  expect(Object.keys(files).sort()).toEqual(['README.md', 'data.parquet', 'datacard.json']);
  const card = JSON.parse(Buffer.from(files['datacard.json']!).toString('utf8'));
  expect(card.inputs.map((i: { sqlName: string }) => i.sqlName).sort()).toEqual([names.fylker, names.kommuner].sort());

  // Save it, shared; the saved page shows the chart and the share link.
  await page.getByLabel('Tittel').fill(`Innbyggere per fylke ${width}`);
  await page.getByLabel('Alle med lenken som har tilgang til alle tabellene den leser').check();
  await page.getByRole('button', { name: 'Lagre spørringen' }).click();
  await page.waitForURL(/\/sql\/lagret\/[0-9a-f-]{36}$/);
  const shared = page.url();
  expect(await page.locator('h1').textContent()).toBe(`Innbyggere per fylke ${width}`);
  expect(await page.locator('.df-result-chart rect.df-chart-bar').count()).toBe(3);
  expect(await page.locator('pre[data-lang="python"]').first().textContent()).toContain('/result');
  await check(`saved query ${width}px`);
  await page.getByRole('link', { name: 'Mine lagrede spørringer' }).first().click().catch(() => undefined);
  await page.goto(`${server.baseUrl}/sql/lagret`);
  expect(await page.getByRole('link', { name: `Innbyggere per fylke ${width}` }).count()).toBe(1);
  await check(`saved list ${width}px`);

  // A visitor without an account opens the shared link: same chart, rows of open data.
  const visitor = await browser.browser.newContext();
  const vpage = await visitor.newPage();
  await vpage.setViewportSize({ width, height: 900 });
  await vpage.goto(shared);
  expect(await vpage.locator('h1').textContent()).toBe(`Innbyggere per fylke ${width}`);
  expect(await vpage.locator('.df-result-chart rect.df-chart-bar').count()).toBe(3);
  expect(await vpage.getByRole('button', { name: 'Slett spørringen' }).count()).toBe(0);
  await visitor.close();
}

describe('the analysis workbench', () => {
  it('runs, charts, exports, saves and shares a query at desktop width and on a phone', async () => {
    await signInWithForm(page, server.baseUrl, 'analytiker@example.no', PASSWORD);
    await journey(1280);
    await journey(390);
    expect(checker.problems).toEqual([]);
  }, 240_000);

  it('a shared query over a restricted table is a 404 page to a visitor', async () => {
    await page.goto(`${server.baseUrl}/sql`);
    await page.getByLabel('SQL-spørring').fill(`SELECT kommunenummer, belop FROM "${names.hemmelig}"`);
    await page.getByRole('button', { name: 'Kjør' }).click();
    await expect.poll(() => page.locator('#sql-result tbody tr').count()).toBe(2);
    await page.getByLabel('Tittel').fill('Tilskudd internt');
    await page.getByLabel('Alle med lenken som har tilgang til alle tabellene den leser').check();
    await page.getByRole('button', { name: 'Lagre spørringen' }).click();
    await page.waitForURL(/\/sql\/lagret\/[0-9a-f-]{36}$/);
    const visitor = await browser.browser.newContext();
    const vpage = await visitor.newPage();
    const res = await vpage.goto(page.url());
    expect(res?.status()).toBe(404);
    expect(await vpage.content()).not.toContain('Tilskudd internt');
    await visitor.close();
  }, 120_000);
});
