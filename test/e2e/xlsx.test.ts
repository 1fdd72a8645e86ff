// The XLSX journey in a real browser: an editor uploads a workbook without giving a table name (the table is named
// after the file), waits for the ingest on the import page, sees the format and the workbook's sheets, picks another
// sheet in the import form (no JavaScript needed) and reads it again — axe-clean at desktop and at 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer, createDatasetWithForm, signInWithForm } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const check = pageChecker(() => page).check;

const EMAIL = 'regneark@example.no';
const PASSWORD = 'regneark er ogsaa data';
const ORGNR = '974760673';

async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const a = wb.addWorksheet('Tilskudd 2022');
  a.addRow(['Pristilskudd 2022']);
  a.addRow(['komnr', 'navn', 'beløp']);
  a.addRow(['0301', 'Nordre Lindeberg gård', 3709.5]);
  a.addRow(['1103', 'Hå gard', 1250]);
  const b = wb.addWorksheet('Tilskudd 2023');
  b.addRow(['komnr', 'beløp']);
  b.addRow(['5001', 10]);
  b.addRow(['4601', 11]);
  b.addRow(['1804', 12]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function waitForStatus(p: Page): Promise<string> {
  for (let i = 0; i < 160; i++) {
    const text = (await p.locator('#ingest-status').textContent().catch(() => '')) ?? '';
    if (/lest inn:|feilet/.test(text) && !(await p.locator('#ingest-status[data-job-url]').count())) return text;
    await new Promise((r) => setTimeout(r, 250));
    if (i % 8 === 7) await p.reload();
  }
  throw new Error(`The ingest did not finish: ${await p.locator('#ingest-status').textContent()}`);
}

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations } = server.services;
  await accounts.createUser({ email: EMAIL, password: PASSWORD, name: 'Rune Regneark' });
  await organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Registerenheten i Brønnøysund' });
  await organisations.addMember(CLI_ACTOR, ORGNR, { email: EMAIL, role: 'editor' });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('XLSX upload journey', () => {
  it('uploads a workbook, sees its sheets on the import page, reads another sheet — accessibly, also at 390 px', async () => {
    const base = server.baseUrl;
    await signInWithForm(page, base, EMAIL, PASSWORD);
    const datasetUrl = await createDatasetWithForm(page, base, ORGNR, { title: 'Pristilskudd fra regneark', description: 'Pristilskudd per kommune, lastet opp som Excel-regneark.' });

    await page.getByRole('link', { name: 'Last opp en tabell' }).click();
    await page.waitForURL(/\/tabeller\/ny$/);
    // No table name: it comes from the file name.
    await page.setInputFiles('#file', { name: 'Tilskudd 2022.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await workbook() });
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL(`${datasetUrl}/tabeller/tilskudd-2022/innlesing`);
    expect(await waitForStatus(page)).toContain('Versjon 1 er lest inn: 2 rader.');
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('Excel-regneark (XLSX)');
    expect(main).toContain('Tilskudd 2023 (4 rader, 2 kolonner)');
    expect(await page.locator('#opt-sheet option').allTextContents()).toEqual(['Automatisk', 'Tilskudd 2022 (4 rader, 3 kolonner)', 'Tilskudd 2023 (4 rader, 2 kolonner)']);
    expect(await page.locator('#opt-delimiter').count()).toBe(0);
    await check('import page of an XLSX upload');

    await page.selectOption('#opt-sheet', 'Tilskudd 2023');
    await page.locator('main form[action$="/innlesing"] button[type=submit]').click();
    await page.waitForURL(`${datasetUrl}/tabeller/tilskudd-2022/innlesing`);
    expect(await waitForStatus(page)).toContain('Versjon 2 er lest inn: 3 rader.');
    expect(await page.locator('main').textContent()).toContain('Tilskudd 2023 (valgt av deg)');
    await page.setViewportSize({ width: 390, height: 844 });
    await check('import page of an XLSX upload at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 120_000);
});
