// The table-upload journey in a real browser: an editor (user, organisation and membership made through the services,
// as the CLI does) signs in, creates a dataset, uploads a small semicolon-separated CSV with decimal commas and
// kommunenummer with leading zeros through the upload page, waits for the ingest, and sees the columns with their types
// and the first rows ("0301" intact) on the dataset page. An empty file gets a clear error in the reader's language.
// axe-core must report zero WCAG 2.1 AA violations, and every page one h1 and one main landmark, in every state.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'redaktor@example.no';
const PASSWORD = 'kommunedata er gull verdt';
const ORGNR = '974760673'; // Brønnøysundregistrene

/**
 * A small upload built from real data: the first municipalities of Kartverket's kommuneinfo (resources/seed,
 * CC BY 4.0), written the way Norwegian spreadsheets export: ';' between fields, ',' as the decimal sign.
 */
async function kommunerCsv(rows: number): Promise<{ csv: string; first: string[] }> {
  const text = await readFile(new URL('../../resources/seed/kartverket_kommuner_2023.csv', import.meta.url), 'utf8');
  const lines = text.trim().split('\n').slice(1, rows + 1);
  const out = ['kommunenummer;kommunenavn;fylkesnummer;lengdegrad;breddegrad'];
  let first: string[] = [];
  for (const line of lines) {
    const f = line.split(',');
    const row = [f[0] ?? '', f[1] ?? '', f[3] ?? '', (f[6] ?? '').replace('.', ','), (f[7] ?? '').replace('.', ',')];
    if (first.length === 0) first = row;
    out.push(row.join(';'));
  }
  return { csv: `${out.join('\r\n')}\r\n`, first };
}

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

/** Reloads the dataset page until the table section shows a finished ingest (ready or failed), at most ~30 s. */
async function waitForIngest(p: Page, tableName: string): Promise<string> {
  const section = p.locator(`#table-${tableName}-section`);
  for (let i = 0; i < 60; i++) {
    const text = (await section.count()) > 0 ? ((await section.textContent()) ?? '') : '';
    if (/rader, \d+ kolonner|feilet/.test(text)) return text;
    await new Promise((r) => setTimeout(r, 500));
    await p.reload();
  }
  throw new Error(`The ingest of ${tableName} did not finish: ${await section.textContent()}`);
}

describe('table upload journey', () => {
  it('uploads a Norwegian CSV, waits for the ingest and sees typed columns and rows with leading zeros — accessibly', async () => {
    const base = server.baseUrl;
    const { csv, first } = await kommunerCsv(5);
    expect(first[0]).toBe('0301');

    // Sign in as the editor.
    await page.goto(`${base}/logg-inn`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/konto');
    expect(await page.locator('main').textContent()).toContain('Registerenheten i Brønnøysund');

    // Create a dataset.
    await page.goto(`${base}/datasett/ny?org=${ORGNR}`);
    await page.fill('#title_nb', 'Kommuner med midtpunkt');
    await page.fill('#description_nb', 'Kommunenummer, navn og et punkt inne i kommunen.');
    await page.locator('main form').filter({ has: page.locator('#title_nb') }).locator('button[type=submit]').click();
    await page.waitForURL(/\/datasett\/[0-9a-f-]{36}$/);
    const datasetUrl = page.url();
    expect(await page.locator('#tables-heading').textContent()).toBe('Tabeller');
    await check('new dataset with its empty tables section');

    // Upload the CSV through the upload page.
    await page.getByRole('link', { name: 'Last opp en tabell' }).click();
    await page.waitForURL(/\/tabeller\/ny$/);
    await check('upload page');
    await page.fill('#name', 'kommuner');
    await page.fill('#title', 'Kommuner 2023');
    await page.setInputFiles('#file', { name: 'kommuner.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL(`${datasetUrl}#table-kommuner-section`);

    // Wait for the ingest, then read the columns and the first rows.
    const summary = await waitForIngest(page, 'kommuner');
    expect(summary).toContain('5 rader, 5 kolonner (versjon 1)');
    const columns = page.locator('#table-kommuner-section table').first();
    const typeOf = async (name: string) => (await columns.locator('tr', { has: page.locator(`th code:text-is("${name}")`) }).locator('td').first().textContent())?.trim();
    expect(await typeOf('kommunenummer')).toBe('Tekst (VARCHAR)');
    expect(await typeOf('kommunenavn')).toBe('Tekst (VARCHAR)');
    expect(await typeOf('lengdegrad')).toBe('Desimaltall (DOUBLE)');
    expect(await typeOf('breddegrad')).toBe('Desimaltall (DOUBLE)');
    expect(await columns.locator('tr', { has: page.locator('th code:text-is("kommunenummer")') }).textContent()).toContain('ledende nuller');
    const rows = page.getByRole('region', { name: /De første 5 radene i «Kommuner 2023»/ });
    const firstRow = (await rows.locator('tbody tr').first().locator('td').allTextContents()).map((s) => s.trim());
    expect(firstRow[0]).toBe('0301');
    expect(firstRow[1]).toBe('Oslo');
    expect(firstRow[2]).toBe('03');
    expect(Number(firstRow[3])).toBeCloseTo(10.775729206388, 9);
    await check('dataset page with the ingested table');

    // An empty file: a clear error in bokmål, the form kept, nothing half-made.
    await page.goto(`${datasetUrl}/tabeller/ny`);
    await page.fill('#name', 'tom');
    await page.setInputFiles('#file', { name: 'tom.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
    await page.locator('main form button[type=submit]').click();
    await page.waitForLoadState();
    expect(page.url()).toMatch(/\/tabeller\/ny/);
    expect(await page.locator('main').textContent()).toContain('Filen er tom');
    expect(await page.getAttribute('#file', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('#name')).toBe('tom');
    await check('upload page with an empty file');
    await page.goto(datasetUrl);
    expect(await page.locator('#table-tom-section').count()).toBe(0);

    expect(checker.problems).toEqual([]);
  });
});
