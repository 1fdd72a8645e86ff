// The SQL page in a real browser: from a dataset page's "Spør med SQL" link to /sql, where the editor starts with a
// query over that dataset's table and the schema list shows the columns; a join with a second dataset is typed in,
// run with the form's button (a plain POST: the page has no script), and the result grid shows the rows with numbers
// formatted for the page's language. A refused statement shows its error in the reader's language with the query kept.
// axe-core must report zero WCAG 2.1 AA violations, and every page one h1 and one main landmark, in every state,
// at desktop width and at 390 px.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { sqlTableName } from '../../src/sql/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;
const ORGNR = '974760673';
const ids = { kommuner: '', fylker: '' };
const names = { kommuner: '', fylker: '' };

async function datasetWithTable(title: string, table: string, csv: string): Promise<{ id: string; name: string }> {
  const { catalog, tables } = server.services;
  const ds = await catalog.createDataset(CLI_ACTOR, { orgnr: ORGNR, title: { nb: title }, description: { nb: `${title}.` }, accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0' });
  await catalog.publishDataset(CLI_ACTOR, ds.id);
  await tables.createTableFromFile(CLI_ACTOR, ds.id, { name: table, filename: `${table}.csv`, stream: Readable.from([Buffer.from(csv)]) });
  return { id: ds.id, name: sqlTableName({ id: ds.id, orgnr: ORGNR, title: ds.title }, table) };
}

beforeAll(async () => {
  server = await startServer();
  await server.services.organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Statistisk sentralbyrå' });
  const k = await datasetWithTable('Kommuner', 'kommuner', 'kommunenummer;navn;fylke;innbyggere\n0301;Oslo;03;717710\n4601;Bergen;46;291940\n4640;Sogndal;46;12278\n');
  const f = await datasetWithTable('Fylker', 'fylker', 'fylke;fylkesnavn\n03;Oslo\n46;Vestland\n');
  await server.services.jobs.drain(60_000);
  ids.kommuner = k.id;
  ids.fylker = f.id;
  names.kommuner = k.name;
  names.fylker = f.name;
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function journey(width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${server.baseUrl}/datasett/${ids.kommuner}`);
  await page.getByRole('link', { name: 'Spør med SQL' }).click();
  await page.waitForURL(/\/sql\?dataset=/);
  expect(await page.getByLabel('SQL-spørring').inputValue()).toContain(`FROM "${names.kommuner}"`);
  await expect.poll(() => page.locator('.df-sql-schema summary').first().textContent()).toContain(names.kommuner);
  await check(`sql page ${width}px`);

  await page.locator('.df-sql-schema summary').filter({ hasText: names.fylker }).click();
  expect(await page.locator('.df-sql-schema details[open]').textContent()).toContain('fylkesnavn');

  await page.getByLabel('SQL-spørring').fill(
    `SELECT f.fylkesnavn, sum(k.innbyggere) AS innbyggere\nFROM "${names.kommuner}" k JOIN "${names.fylker}" f USING (fylke)\nGROUP BY 1 ORDER BY 2 DESC`,
  );
  await page.getByRole('button', { name: 'Kjør spørringen' }).click();
  await page.waitForSelector('#sql-result');
  const cells = await page.locator('#sql-result tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  expect(cells).toEqual([['Oslo', '717\u00a0710'], ['Vestland', '304\u00a0218']]);
  await check(`sql result ${width}px`);
  if (process.env.SQL_SCREENSHOTS) await page.screenshot({ path: `${process.env.SQL_SCREENSHOTS}/sql-${width}.png`, fullPage: true });

  await page.getByLabel('SQL-spørring').fill("SELECT * FROM read_csv('/etc/passwd')");
  await page.getByRole('button', { name: 'Kjør spørringen' }).click();
  await page.waitForSelector('#sql-error');
  expect(await page.locator('#sql-error').textContent()).toContain('Funksjonen read_csv er ikke tillatt');
  expect(await page.locator('#sql-error').textContent()).toContain('Bruk tabellene i listen under');
  expect(await page.getByLabel('SQL-spørring').inputValue()).toBe("SELECT * FROM read_csv('/etc/passwd')");
  await check(`sql error ${width}px`);
}

describe('SQL page', () => {
  it('opens from a dataset, runs a join and shows the grid, and explains a refusal (desktop and phone)', async () => {
    await journey(1280);
    await journey(390);
    expect(checker.problems).toEqual([]);
  });
});
