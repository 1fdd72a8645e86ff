// HTTP tests of every tabular format through the existing upload route (SQLite, or PostgreSQL with DATABASE_URL):
// XLSX (sheets, the sheet choice on the import page and in the API), JSON, NDJSON and Parquet, dispatched by content,
// and bad input ending as a failed version with a translated reason — never a crash or a half-visible version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { zipSync, strToU8 } from 'fflate';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLI_ACTOR } from '../../src/access/model';
import { createTestApp, bearerFor, signIn, type TestApp, multipart } from '../helpers/app';

const fixtures = path.resolve(__dirname, '../fixtures/tables');
const LDIR = '981544315';
const SSB = '971526920';

let t: TestApp;
let editor: string;
let outsider: string;
let datasetId: string;
let work: string;

async function upload(token: string, fields: Record<string, string>, file: { name: string; content: Buffer }) {
  const body = multipart(fields, file);
  return t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
}

async function table(name: string, token = editor) {
  const res = await t.app.inject({ url: `/api/v1/datasets/${datasetId}/tables/${name}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function rows(name: string) {
  return (await t.app.inject({ url: `/api/v1/datasets/${datasetId}/tables/${name}/rows?_size=1000` })).json().rows as Record<string, unknown>[];
}

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const grants = () =>
  workbook((wb) => {
    wb.addWorksheet('Forside').getCell('A1').value = null;
    const a = wb.addWorksheet('Tilskudd 2022');
    a.addRow(['Pristilskudd til jordbruksforetak 2022']);
    a.addRow([]);
    a.addRow(['komnr', 'navn', 'beløp']);
    a.addRow(['0301', 'NORDRE LINDEBERG GÅRD', 3709]);
    a.addRow(['1103', 'HÅ GARD', 1250.5]);
    const b = wb.addWorksheet('Tilskudd 2023');
    b.addRow(['komnr', 'beløp']);
    b.addRow(['5001', 10]);
  });

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'formats-http-'));
  t = await createTestApp({ env: { UPLOAD_LIMIT: '50000000', BASE_URL: 'https://data.example.no' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: LDIR, name: 'Landbruksdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: SSB, name: 'Statistisk sentralbyrå' });
  await accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await accounts.createUser({ email: 'outsider@example.no', password: 'correct horse battery', name: 'Outsider' });
  await organisations.addMember(CLI_ACTOR, LDIR, { email: 'editor@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, SSB, { email: 'outsider@example.no', role: 'admin' });
  editor = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsider = await bearerFor(t.services, 'outsider@example.no', ['read', 'write']);
  const ds = await catalog.createDataset(CLI_ACTOR, {
    orgnr: LDIR,
    title: { nb: 'Pristilskudd' },
    description: { nb: 'Pristilskudd per jordbruksforetak.' },
    accessRights: 'PUBLIC',
    licence: 'http://data.norge.no/nlod/no/2.0',
  });
  await catalog.publishDataset(CLI_ACTOR, ds.id);
  datasetId = ds.id;
});

afterAll(async () => {
  await t?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('XLSX through the upload route', () => {
  it('names the table after the file, reads the first sheet with values, skips its title rows and lists the sheets', async () => {
    const res = await upload(editor, {}, { name: 'Tilskudd 2022.xlsx', content: await grants() });
    expect(res.statusCode).toBe(202);
    expect(res.json().table.name).toBe('tilskudd-2022');
    expect(res.json().version.import.sourceFormat).toBe('xlsx');
    await t.services.jobs.drain(60_000);
    const tab = await table('tilskudd-2022');
    const v = tab.currentVersion;
    expect(v).toMatchObject({ version: 1, state: 'ready', rowCount: 2 });
    expect(v.columns).toEqual([
      { name: 'komnr', type: 'VARCHAR', nullable: false, keptAsText: 'leading_zeros', semanticType: 'kommunenummer' },
      { name: 'navn', type: 'VARCHAR', nullable: false },
      { name: 'beløp', type: 'DOUBLE', nullable: false },
    ]);
    expect(v.import).toMatchObject({
      sourceFormat: 'xlsx',
      sourceOptions: { sheet: 'Tilskudd 2022', header: true, headerRows: 1, skipLines: 2 },
      skipped: [{ reason: 'leading', count: 2, lines: [1, 2] }],
      recordCount: 5,
      // Rows as the workbook stores them: exceljs writes no empty row 2, and a row for Forside's empty A1.
      sheets: [{ name: 'Forside', rows: 1, columns: 0 }, { name: 'Tilskudd 2022', rows: 4, columns: 3 }, { name: 'Tilskudd 2023', rows: 2, columns: 2 }],
      notes: [],
    });
    expect(await rows('tilskudd-2022')).toEqual([
      { komnr: '0301', navn: 'NORDRE LINDEBERG GÅRD', beløp: 3709 },
      { komnr: '1103', navn: 'HÅ GARD', beløp: 1250.5 },
    ]);
    // Outsiders see the public schema only: no sheets, no import report.
    const seen = await table('tilskudd-2022', outsider);
    expect(seen.detailLevel).toBe('full'); // PUBLIC data: everyone may read it
  });

  it('re-reads another sheet through the API, and says so when the sheet does not exist', async () => {
    const post = (sourceOptions: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables/tilskudd-2022/versions`, headers: { authorization: `Bearer ${editor}` }, payload: { sourceOptions } });
    expect((await post({ sheet: '' })).statusCode).toBe(422);
    expect((await post({ headerRows: 3 })).statusCode).toBe(422);
    const ok = await post({ sheet: 'Tilskudd 2023' });
    expect(ok.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const tab = await table('tilskudd-2022');
    expect(tab.currentVersion).toMatchObject({ version: 2, rowCount: 1 });
    expect(tab.currentVersion.import.sourceOptions.sheet).toBe('Tilskudd 2023');
    expect(await rows('tilskudd-2022')).toEqual([{ komnr: '5001', beløp: 10 }]);
    expect((await post({ sheet: 'Finnes ikke' })).statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const after = await table('tilskudd-2022');
    expect(after.latestVersion).toMatchObject({ version: 3, state: 'failed', errorCode: 'xlsx_sheet_not_found' });
    expect(after.latestVersion.import.errorParams).toEqual({ sheets: 3 });
    expect(after.currentVersion.version).toBe(2);
  });

  it('the import page offers the sheets of the workbook, without the CSV-only options, and re-reads the one chosen', async () => {
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const page = `/datasett/${datasetId}/tabeller/tilskudd-2022/innlesing`;
    const res = await t.app.inject({ url: page, headers: { cookie: ed.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Excel-regneark (XLSX)');
    expect(res.body).toContain('Regnearket har ikke noe ark med det valgte navnet.');
    expect(res.body).toMatch(/<select[^>]*id="opt-sheet"[^>]*name="sheet"/);
    expect(res.body).toContain('<option value="Tilskudd 2022">Tilskudd 2022 (4 rader, 3 kolonner)</option>');
    expect(res.body).toContain('id="opt-headerRows"');
    expect(res.body).not.toContain('id="opt-delimiter"');
    expect(res.body).not.toContain('id="opt-encoding"');
    const post = await t.app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ed.cookie },
      payload: new URLSearchParams({ _csrf: ed.csrf, fromVersion: '3', sheet: 'Tilskudd 2022', headerRows: '1', header: 'yes', skipLines: '', decimalSeparator: '.', thousandsSeparator: 'none' }).toString(),
    });
    expect(post.statusCode).toBe(303);
    await t.services.jobs.drain(60_000);
    const tab = await table('tilskudd-2022');
    expect(tab.currentVersion).toMatchObject({ version: 4, rowCount: 2 });
    expect(tab.currentVersion.import.sourceOptions.sheet).toBe('Tilskudd 2022');
    const en = await t.app.inject({ url: `${page}?lang=en`, headers: { cookie: ed.cookie } });
    expect(en.body).toContain('Sheets in the workbook');
  });

  it('an XLSX with a merged group header and formulas reports its notes on the import page', async () => {
    const content = await workbook((wb) => {
      const ws = wb.addWorksheet('Befolkning');
      ws.addRow(['kommune', 'Befolkning', null]);
      ws.addRow([null, 'Menn', 'Kvinner']);
      ws.mergeCells('B1:C1');
      ws.mergeCells('A1:A2');
      ws.addRow(['Oslo', 350000, { formula: 'B3*1.01' }]);
      ws.addRow(['Bergen', 140000, 143000]);
    });
    expect((await upload(editor, { name: 'befolkning' }, { name: 'befolkning.xlsx', content })).statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const tab = await table('befolkning');
    expect(tab.currentVersion.columns.map((c: { name: string }) => c.name)).toEqual(['kommune', 'Befolkning Menn', 'Befolkning Kvinner']);
    expect(tab.currentVersion.import.notes).toEqual([{ reason: 'formula_without_value', count: 1, lines: [3], columns: ['Befolkning Kvinner'] }]);
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const res = await t.app.inject({ url: `/datasett/${datasetId}/tabeller/befolkning/innlesing`, headers: { cookie: ed.cookie } });
    expect(res.body).toContain('Formler uten lagret verdi (tomme i tabellen): 1 rader, for eksempel rad 3; kolonner: Befolkning Kvinner.');
  });
});

describe('JSON, NDJSON and Parquet through the upload route', () => {
  it('reads the Kartverket JSON with dotted names, an NDJSON file and a Parquet file, by content', async () => {
    expect((await upload(editor, {}, { name: 'kartverket_kommuneinfo_fylker_kommuner_2023.json', content: fs.readFileSync(path.join(fixtures, 'kartverket_kommuneinfo_fylker_kommuner_2023.json')) })).statusCode).toBe(202);
    expect((await upload(editor, { name: 'linjer' }, { name: 'linjer.ndjson', content: Buffer.from('{"komnr":"0301","n":1}\n{"komnr":"1103","n":2.5,"ekstra":true}\n') })).statusCode).toBe(202);
    const parquet = path.join(work, 'in.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT * FROM (VALUES ('0301', 1::INTEGER, DATE '2024-01-01'), ('1103', 2, DATE '2024-01-02')) v(komnr, n, dato)) TO '${parquet}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    // Named .csv on purpose: the content decides.
    expect((await upload(editor, { name: 'parkett' }, { name: 'parkett.csv', content: fs.readFileSync(parquet) })).statusCode).toBe(202);
    await t.services.jobs.drain(60_000);

    const k = await table('kartverket-kommuneinfo-fylker-kommuner-2023');
    expect(k.currentVersion).toMatchObject({ rowCount: 11 });
    expect(k.currentVersion.import.sourceFormat).toBe('json');
    expect(k.currentVersion.columns.map((c: { name: string }) => c.name)).toContain('avgrensningsboks.crs.type');
    expect(k.currentVersion.import.notes[0]).toMatchObject({ reason: 'nested_as_json', columns: ['avgrensningsboks.coordinates', 'kommuner'] });

    const l = await table('linjer');
    expect(l.currentVersion.import.sourceFormat).toBe('ndjson');
    expect(l.currentVersion.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([['komnr', 'VARCHAR'], ['n', 'DOUBLE'], ['ekstra', 'BOOLEAN']]);
    expect(l.currentVersion.import.notes).toEqual([{ reason: 'missing_keys', count: 1, lines: [1], columns: ['ekstra'] }]);
    expect(await rows('linjer')).toEqual([{ komnr: '0301', n: 1, ekstra: null }, { komnr: '1103', n: 2.5, ekstra: true }]);

    const p = await table('parkett');
    expect(p.currentVersion.import.sourceFormat).toBe('parquet');
    expect(p.currentVersion.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([['komnr', 'VARCHAR'], ['n', 'BIGINT'], ['dato', 'DATE']]);
    expect(await rows('parkett')).toEqual([{ komnr: '0301', n: 1, dato: '2024-01-01' }, { komnr: '1103', n: 2, dato: '2024-01-02' }]);
  });
});

describe('bad input through the upload route', () => {
  it('an encrypted workbook, a zip bomb, a damaged zip and an API response fail with their reasons; .xls and PDF are refused at once', async () => {
    const cfb = Buffer.alloc(1536);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(cfb, 0);
    cfb.writeUInt16LE(9, 0x1e);
    cfb.writeUInt32LE(0, 0x30);
    ['Root Entry', 'EncryptionInfo', 'EncryptedPackage'].forEach((s, i) => Buffer.from(`${s}\0`, 'utf16le').copy(cfb, 512 + i * 128));
    const bomb = Buffer.from(zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'xl/workbook.xml': strToU8('<workbook/>'), 'xl/worksheets/sheet1.xml': new Uint8Array(100 << 20) }, { level: 9 }));
    const good = await grants();
    const cases: [string, string, Buffer, string][] = [
      ['laast', 'låst.xlsx', cfb, 'xlsx_encrypted'],
      ['bombe', 'bombe.xlsx', bomb, 'xlsx_zip_bomb'],
      ['avkuttet', 'avkuttet.xlsx', good.subarray(0, Math.floor(good.length / 2)), 'xlsx_invalid'],
      ['brreg', 'brreg.json', fs.readFileSync(path.join(fixtures, 'brreg_download_komm.json')), 'json_not_array'],
      ['tom-liste', 'tom.json', Buffer.from('[]'), 'file_empty'],
    ];
    for (const [name, filename, content] of cases) expect((await upload(editor, { name }, { name: filename, content })).statusCode, name).toBe(202);
    await t.services.jobs.drain(60_000);
    for (const [name, , , code] of cases) {
      const tab = await table(name);
      expect(tab.latestVersion, name).toMatchObject({ state: 'failed', errorCode: code });
      expect(tab.currentVersion, name).toBeNull();
      expect((await t.app.inject({ url: `/api/v1/datasets/${datasetId}/tables/${name}/rows` })).statusCode, name).toBe(409);
    }
    expect((await table('brreg')).latestVersion.import.errorParams).toEqual({ line: 1, column: 1 });
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const locked = await t.app.inject({ url: `/datasett/${datasetId}/tabeller/laast/innlesing`, headers: { cookie: ed.cookie } });
    expect(locked.body).toContain('Regnearket er beskyttet med passord (kryptert).');
    const lockedNn = await t.app.inject({ url: `/datasett/${datasetId}/tabeller/laast/innlesing?lang=nn`, headers: { cookie: ed.cookie } });
    expect(lockedNn.body).toContain('Reknearket er verna med passord (kryptert).');
    const brreg = await t.app.inject({ url: `/datasett/${datasetId}/tabeller/brreg/innlesing?lang=en`, headers: { cookie: ed.cookie } });
    expect(brreg.body).toContain('The JSON file is not an array of objects nor one object a line (for example a single API response). (Line 1.)');

    const xls = await upload(editor, { name: 'gammel' }, { name: 'Gammel.xls', content: cfb });
    expect(xls.statusCode).toBe(422);
    expect(xls.json().error.details.problems[0]).toMatchObject({ field: '/file', code: 'xls_unsupported' });
    const pdf = await upload(editor, { name: 'pdf' }, { name: 'tabell.xlsx', content: Buffer.from('%PDF-1.7\n') });
    expect(pdf.statusCode).toBe(422);
    expect(pdf.json().error.details.problems[0]).toMatchObject({ field: '/file', code: 'unsupported_format' });
    // The web upload page says it in words.
    const form = multipart({ _csrf: ed.csrf, name: 'gammel' }, { name: 'Gammel.xls', content: cfb });
    const web = await t.app.inject({ method: 'POST', url: `/datasett/${datasetId}/tabeller/ny`, headers: { ...form.headers, cookie: ed.cookie, origin: 'https://data.example.no' }, payload: form.payload });
    expect(web.statusCode).toBe(422);
    expect(web.body).toContain('Gamle Excel-filer (.xls, Excel 97–2003) kan ikke leses.');
  }, 120_000);
});
