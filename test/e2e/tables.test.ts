// The table-upload journey in a real browser: an editor (user, organisation and membership made through the services,
// as the CLI does) signs in, creates a dataset, uploads a small semicolon-separated CSV with decimal commas and
// kommunenummer with leading zeros through the upload page, waits for the ingest, and sees the columns with their types
// and the first rows ("0301" intact) on the dataset page. An empty file gets a clear error in the reader's language.
// axe-core must report zero WCAG 2.1 AA violations, and every page one h1 and one main landmark, in every state.
// The second journey uploads a messy file (';'-separated, a title line above the header), sees how it was read on the
// import page, sets the lines to skip, reads it again and sees the corrected table — at desktop and at 390 px.
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

/** Waits until the import page's status region shows a finished ingest (upload.js reloads the page when it is). */
async function waitForStatus(p: Page): Promise<string> {
  for (let i = 0; i < 120; i++) {
    const text = (await p.locator('#ingest-status').textContent().catch(() => '')) ?? '';
    if (/lest inn:|feilet/.test(text) && !(await p.locator('#ingest-status[data-job-url]').count())) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`The ingest did not finish: ${await p.locator('#ingest-status').textContent()}`);
}

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
    await page.waitForURL(`${datasetUrl}/tabeller/kommuner/innlesing`);
    // The import page follows the ingest by itself (upload.js) and ends with a clear success message.
    await waitForStatus(page);
    expect(await page.locator('#ingest-status').textContent()).toContain('Versjon 1 er lest inn: 5 rader.');
    await check('import page after a successful upload');
    await page.goto(datasetUrl);

    // Read the columns and the first rows.
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
    // Decimal numbers as a bokmål reader writes them: a decimal comma.
    expect(Number((firstRow[3] ?? '').replace(',', '.'))).toBeCloseTo(10.775729206388, 9);
    expect(firstRow[3]).toContain(',');
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

  it('reads a messy file, shows how, and reads it again with the publisher’s options — at desktop and 390 px', async () => {
    const base = server.baseUrl;
    const { catalog } = server.services;
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: ORGNR,
      title: { nb: 'Befolkning per kommune' },
      description: { nb: 'Innbyggere per kommune, fra et regneark.' },
      accessRights: 'PUBLIC',
      licence: 'http://data.norge.no/nlod/no/2.0',
    });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    const { csv } = await kommunerCsv(12);
    // What a spreadsheet export often looks like: a title line above the header.
    const messy = `Kommuner med midtpunkt, eksportert fra regneark\r\n${csv}`;
    await page.goto(`${base}/konto`);
    if (page.url().includes('/logg-inn')) {
      await page.fill('#email', EMAIL);
      await page.fill('#password', PASSWORD);
      await page.locator('main form button[type=submit]').click();
      await page.waitForURL('**/konto');
    }

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const name = `befolkning-${width}`;
      await page.goto(`${base}/datasett/${ds.id}/tabeller/ny`);
      await page.fill('#name', name);
      await page.setInputFiles('#file', { name: 'befolkning.csv', mimeType: 'text/csv', buffer: Buffer.from(messy, 'utf8') });
      await page.locator('main form button[type=submit]').click();
      await page.waitForURL(`**/tabeller/${name}/innlesing`);
      const first = await waitForStatus(page);
      expect(first).toMatch(/Versjon 1 (er lest inn|.*feilet)/);
      await check(`import page after the first read (${width} px)`);
      // How the file was read, in words.
      const report = (await page.locator('main dl').first().textContent()) ?? '';
      expect(report).toContain('Tegnsett');
      expect(report).toContain('Linjer å hoppe over øverst');

      // Override: one line to skip, the header row, ';' — and read again.
      await page.fill('#opt-skipLines', '1');
      await page.selectOption('#opt-delimiter', ';');
      await page.check('#opt-header-yes');
      await page.locator('main form button[type=submit]').click();
      await page.waitForURL(`**/tabeller/${name}/innlesing`);
      const second = await waitForStatus(page);
      expect(second).toContain('Versjon 2');
      await check(`import page after the re-read (${width} px)`);
      expect(await page.inputValue('#opt-skipLines')).toBe('1');
      // The corrected table: the real header, every municipality a row.
      expect(second).toContain('Versjon 2 er lest inn: 12 rader.');
      const columns = await page.locator('main table').first().locator('tbody th code').allTextContents();
      expect(columns).toEqual(['kommunenummer', 'kommunenavn', 'fylkesnummer', 'lengdegrad', 'breddegrad']);

      await page.goto(`${base}/datasett/${ds.id}#table-${name}-section`);
      await check(`dataset page with the table (${width} px)`);
      if (width === 390) {
        // Wide tables scroll inside their own focusable region: nothing of the tables section reaches past the screen
        // (the rest of the page's layout at this width is the global CSS's, checked by its own tests).
        const wide = await page.evaluate(
          `[...document.querySelectorAll('[aria-labelledby="tables-heading"] *')].filter((e) => !e.closest('[role=region]') || e.matches('[role=region]')).filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.tagName + '.' + e.className)`,
        );
        expect(wide).toEqual([]);
        // The five-column preview is wider than the screen and scrolls inside its region.
        const scroller = await page.evaluate(`(() => { const r = document.querySelector('#table-${name}-section [role=region][aria-label^="De første"]'); return r ? [r.scrollWidth > r.clientWidth, getComputedStyle(r).overflowX] : null; })()`);
        expect(scroller).toEqual([true, 'auto']);
        const region = page.locator(`#table-${name}-section [role=region][tabindex="0"]`).first();
        expect(await region.count()).toBe(1);
        expect(await region.getAttribute('aria-label')).toBeTruthy();
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(checker.problems).toEqual([]);
  });
});
