// Every tabular format through tableToParquet: XLSX, JSON, NDJSON, Parquet, dispatched by content; real files from
// test/fixtures/tables (see its README) and bad input built here. The XLSX files are written with exceljs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { zipSync, strToU8 } from 'fflate';
import { DuckDBInstance } from '@duckdb/node-api';
import { EngineError, type IngestResult } from './index';
import { createDuckDbEngine, type DuckDbTableEngine } from './duckdb';
import { checkZipSizes, convertCell, excelSerialToDate, isDateFormat, readZipDirectory } from './xlsx';
import { flattenRecord, quoteLongNumbers } from './json';

const FIXTURES = join(__dirname, '../../../test/fixtures/tables');
const fixture = (name: string) => join(FIXTURES, name);

let work: string;
let engine: DuckDbTableEngine;
let n = 0;
const out = () => join(work, `out-${++n}.parquet`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'formats-test-'));
  engine = await createDuckDbEngine({ memoryLimit: '1GB', threads: 2, tempDir: join(work, 'duck') });
});

afterAll(async () => {
  await engine?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function engineError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<EngineError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  if (message) expect((err as EngineError).message).toMatch(message);
  return err as EngineError;
}

function col(r: IngestResult, name: string) {
  const c = r.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${r.columns.map((x) => x.name).join(', ')}`);
  return c;
}

async function allRows(path: string, total: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let offset = 0; offset < total; offset += 10_000) rows.push(...(await engine.readRows(path, { offset, limit: 10_000 })));
  return rows;
}

async function writeXlsx(path: string, build: (wb: ExcelJS.Workbook) => void): Promise<string> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  await wb.xlsx.writeFile(path);
  return path;
}

/** An XLSX of an ingested table, cells typed as the table's columns: numbers, dates, booleans, text. */
async function xlsxOfTable(table: string, result: IngestResult, path: string): Promise<string> {
  const rows = await allRows(table, result.rowCount);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const ws = wb.addWorksheet('Data');
  if (result.detected.header) ws.addRow(result.columns.map((c) => c.name)).commit();
  for (const r of rows) {
    const row = ws.addRow(result.columns.map((c) => {
      const v = r[c.name];
      if (v === null || v === undefined) return null;
      if (c.type === 'DATE') return new Date(`${String(v)}T00:00:00Z`);
      return v as ExcelJS.CellValue;
    }));
    result.columns.forEach((c, i) => {
      if (c.type === 'DOUBLE') row.getCell(i + 1).numFmt = '0.00';
      if (c.type === 'DATE') row.getCell(i + 1).numFmt = 'yyyy-mm-dd';
    });
    row.commit();
  }
  ws.commit();
  await wb.commit();
  return path;
}

describe('an XLSX made from a fixture gives the same table', () => {
  for (const file of ['kmd_partistotte_2014.original.csv', 'ldir_pristilskudd_jordbruksforetak_2022.csv', 'ssb_klass131_kommuner_2024_latin1.csv', 'bring_postnummerregister_2025_ansi.txt']) {
    it(file, async () => {
      const csvTable = out();
      const csv = await engine.tableToParquet(fixture(file), csvTable);
      expect(csv.format).toBe('csv');
      const xlsxPath = await xlsxOfTable(csvTable, csv, join(work, `${file}.xlsx`));
      const xlsxTable = out();
      const xlsx = await engine.tableToParquet(xlsxPath, xlsxTable);
      expect(xlsx.format).toBe('xlsx');
      expect(xlsx.columns).toEqual(csv.columns);
      expect(xlsx.rowCount).toBe(csv.rowCount);
      expect(xlsx.detected.header).toBe(csv.detected.header);
      const [a, b] = [await allRows(xlsxTable, xlsx.rowCount), await allRows(csvTable, csv.rowCount)];
      const firstDiff = a.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(b[i]));
      expect(firstDiff === -1 ? null : [a[firstDiff], b[firstDiff]]).toBeNull();
      expect(a).toEqual(b);
      expect(xlsx.sheets).toEqual([{ name: 'Data', rows: csv.rowCount + (csv.detected.header ? 1 : 0), columns: csv.columns.length }]);
    }, 120_000);
  }

  it('keeps the quirks the foundation tests: komnr "0301" text, 1 316 303,34 a number, cp1252 letters', async () => {
    const kmd = await engine.tableToParquet(fixture('kmd_partistotte_2014.original.csv'), out());
    expect(col(kmd, 'stemmestonad').type).toBe('DOUBLE');
    const ldirTable = out();
    const ldir = await engine.tableToParquet(await xlsxOfTable(ldirTable, await engine.tableToParquet(fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'), ldirTable), join(work, 'ldir2.xlsx')), out());
    expect(col(ldir, 'komnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros', semanticType: 'kommunenummer' });
    const bring = out();
    await engine.tableToParquet(await xlsxOfTable(bring, await engine.tableToParquet(fixture('bring_postnummerregister_2025_ansi.txt'), bring), join(work, 'bring2.xlsx')), out());
    const rows = await engine.readRows(bring, { offset: 0, limit: 6000 });
    expect(rows.some((r) => String(r.column2).includes('Æ') || String(r.column2).includes('Ø') || String(r.column2).includes('Å'))).toBe(true);
  }, 120_000);
});

describe('every other file of the shared data folder ingests with the right types', () => {
  const types = (r: IngestResult) => Object.fromEntries(r.columns.map((c) => [c.name, `${c.type}${c.keptAsText ? `/${c.keptAsText}` : ''}${c.semanticType ? `@${c.semanticType}` : ''}`]));
  it('farms, subsidies with space thousands, counties, a correspondence, kindergartens, the 2024 renumbering', async () => {
    const foretak = await engine.tableToParquet(fixture('ldir_foretak_orgnr_komnr_gardsnr.csv'), out());
    expect(foretak.rowCount).toBe(54_733);
    expect(types(foretak)).toEqual({
      orgnr: 'VARCHAR/identifier_name@orgnr', komnr: 'VARCHAR/leading_zeros@kommunenummer', gardsnr: 'BIGINT', bruksnr: 'BIGINT', festenr: 'BIGINT',
      produsentnummer_8: 'VARCHAR/leading_zeros', produsentnummer_10: 'VARCHAR/leading_zeros',
    });
    const industriTable = out();
    const industri = await engine.tableToParquet(fixture('ldir_pristilskudd_industriforetak_2019_thousandsep.csv'), industriTable);
    expect(industri.detected.thousandsSeparator).toBe(' ');
    expect(types(industri)).toMatchObject({ orgnr: 'VARCHAR/identifier_name@orgnr', t_prisnedkorn: 'BIGINT' });
    expect((await engine.readRows(industriTable, { offset: 0, limit: 1 }))[0]?.t_prisnedkorn).toBe(371491);
    const fylkerTable = out();
    const fylker = await engine.tableToParquet(fixture('ssb_klass104_fylker_2024_latin1.csv'), fylkerTable);
    expect(fylker.detected.encoding).toBe('windows-1252');
    expect(types(fylker)).toMatchObject({ code: 'VARCHAR/leading_zeros', level: 'BIGINT', name: 'VARCHAR' });
    expect((await engine.readRows(fylkerTable, { offset: 0, limit: 20 })).map((r) => r.name)).toContain('Møre og Romsdal');
    const corrTable = out();
    const corr = await engine.tableToParquet(fixture('ssb_klass_corr1236_kommune_orgnr_latin1.csv'), corrTable);
    expect(types(corr)).toMatchObject({ targetCode: 'VARCHAR/leading_zeros', sourceName: 'VARCHAR', targetName: 'VARCHAR' });
    expect((await engine.readRows(corrTable, { offset: 0, limit: 1 }))[0]).toMatchObject({ sourceName: 'FÆRDER KOMMUNE', targetName: 'Færder' });
    const barnehager = await engine.tableToParquet(fixture('stavanger_barnehager.bom.csv'), out());
    expect(types(barnehager)).toEqual({ nord: 'DOUBLE', oest: 'DOUBLE', breddegrad: 'DOUBLE', lengdegrad: 'DOUBLE', adresse: 'VARCHAR', barnehagens_navn: 'VARCHAR' });
    const reform = await engine.tableToParquet(fixture('kommunenummer_2023_til_2024.csv'), out());
    expect(types(reform)).toMatchObject({ kommunenummer_2023: 'VARCHAR/leading_zeros@kommunenummer', kommunenummer_2024: 'VARCHAR/leading_zeros@kommunenummer' });
  }, 60_000);
});

describe('XLSX reading', () => {
  it('skips title rows, combines a merged group header over two rows, reads dates, formulas, rich text and errors', async () => {
    const path = await writeXlsx(join(work, 'merged.xlsx'), (wb) => {
      const ws = wb.addWorksheet('Tilskudd');
      ws.addRow(['Tilskudd 2022']);
      ws.addRow([]);
      ws.addRow(['komnr', 'Befolkning', null, 'dato', 'sum']);
      ws.addRow([null, 'Menn', 'Kvinner', null, null]);
      ws.mergeCells('B3:C3');
      ws.mergeCells('A3:A4');
      ws.mergeCells('D3:D4');
      ws.mergeCells('E3:E4');
      ws.addRow(['0301', 100, 200.5, new Date(Date.UTC(2022, 0, 31)), { formula: 'B5+C5', result: 300.5 }]);
      ws.addRow(['1103', 5, 6, new Date(Date.UTC(2022, 1, 1)), { formula: 'B6+C6' }]);
      ws.addRow([]);
      ws.addRow(['5001', { richText: [{ text: 'fi' }, { font: { bold: true }, text: 've' }] }, 7, new Date(Date.UTC(2022, 1, 2)), { error: '#N/A' }]);
    });
    const table = out();
    const r = await engine.tableToParquet(path, table);
    expect(r.columns.map((c) => c.name)).toEqual(['komnr', 'Befolkning Menn', 'Befolkning Kvinner', 'dato', 'sum']);
    expect(col(r, 'komnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros', semanticType: 'kommunenummer' });
    expect(col(r, 'Befolkning Menn').type).toBe('VARCHAR'); // a text cell ("five") among numbers
    expect(col(r, 'Befolkning Kvinner').type).toBe('DOUBLE');
    expect(col(r, 'dato').type).toBe('DATE');
    expect(col(r, 'sum')).toMatchObject({ type: 'DOUBLE', nullable: true });
    expect(r.detected).toMatchObject({ sheet: 'Tilskudd', header: true, headerRows: 2, skipLines: 2 });
    expect(r.skipped).toEqual([{ reason: 'leading', count: 2, lines: [1, 2] }, { reason: 'blank', count: 1, lines: [7] }]);
    expect(r.notes).toEqual([
      { reason: 'formula_without_value', count: 1, lines: [6], columns: ['sum'] },
      { reason: 'error_value', count: 1, lines: [8], columns: ['sum'] },
    ]);
    expect(r.recordCount).toBe(r.rowCount + 2 + 2 + 1);
    expect(await engine.readRows(table, { offset: 0, limit: 10 })).toEqual([
      { komnr: '0301', 'Befolkning Menn': '100', 'Befolkning Kvinner': 200.5, dato: '2022-01-31', sum: 300.5 },
      { komnr: '1103', 'Befolkning Menn': '5', 'Befolkning Kvinner': 6, dato: '2022-02-01', sum: null },
      { komnr: '5001', 'Befolkning Menn': 'five', 'Befolkning Kvinner': 7, dato: '2022-02-02', sum: null },
    ]);
  });

  it('lists the sheets, defaults to the first sheet with values and reads the one chosen', async () => {
    const path = await writeXlsx(join(work, 'sheets.xlsx'), (wb) => {
      wb.addWorksheet('Forside');
      const a = wb.addWorksheet('Data 2022');
      a.addRow(['år', 'beløp']);
      a.addRow([2022, 10]);
      const b = wb.addWorksheet('Data 2023');
      b.addRow(['år', 'beløp', 'merknad']);
      b.addRow([2023, 11.5, 'ny']);
      b.addRow([2023, 12, null]);
    });
    const first = await engine.tableToParquet(path, out());
    expect(first.detected.sheet).toBe('Data 2022');
    expect(first.sheets).toEqual([{ name: 'Forside', rows: 0, columns: 0 }, { name: 'Data 2022', rows: 2, columns: 2 }, { name: 'Data 2023', rows: 3, columns: 3 }]);
    expect(first.rowCount).toBe(1);
    const chosen = await engine.tableToParquet(path, out(), { sheet: 'Data 2023' });
    expect(chosen.rowCount).toBe(2);
    expect(chosen.columns.map((c) => [c.name, c.type])).toEqual([['år', 'BIGINT'], ['beløp', 'DOUBLE'], ['merknad', 'VARCHAR']]);
    await engineError(engine.tableToParquet(path, out(), { sheet: 'Finnes ikke' }), 'xlsx_sheet_not_found', /3 sheets/);
    await engineError(engine.tableToParquet(path, out(), { sheet: 'Forside' }), 'xlsx_sheet_empty');
    const empty = await writeXlsx(join(work, 'empty.xlsx'), (wb) => { wb.addWorksheet('Ark1'); });
    await engineError(engine.tableToParquet(empty, out()), 'xlsx_sheet_empty', /every sheet is empty/);
  });

  it('keeps numbers formatted with leading zeros and numbers in identifier columns as text; 1904 dates', async () => {
    const path = await writeXlsx(join(work, 'codes.xlsx'), (wb) => {
      const ws = wb.addWorksheet('A');
      ws.addRow(['knr', 'orgnr', 'tall', 'tid']);
      for (const [k, o, t, d] of [[301, 974760673, 1, Date.UTC(2022, 0, 1, 12, 30)], [1103, 971524960, 2, Date.UTC(2022, 0, 2)]] as const) {
        const row = ws.addRow([k, o, t, new Date(d)]);
        row.getCell(1).numFmt = '0000';
      }
    });
    const table = out();
    const r = await engine.tableToParquet(path, table);
    expect(col(r, 'knr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros', semanticType: 'kommunenummer' });
    expect(col(r, 'orgnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'identifier_name', semanticType: 'orgnr' });
    expect(col(r, 'tall').type).toBe('BIGINT');
    expect(col(r, 'tid').type).toBe('TIMESTAMP');
    expect(await engine.readRows(table, { offset: 0, limit: 2 })).toEqual([
      { knr: '0301', orgnr: '974760673', tall: 1, tid: '2022-01-01T12:30:00' },
      { knr: '1103', orgnr: '971524960', tall: 2, tid: '2022-01-02T00:00:00' },
    ]);
    // Serial numbers: the 1900 system (with its phantom 29 February) and the 1904 system.
    expect(excelSerialToDate(44562, false).toISOString()).toBe('2022-01-01T00:00:00.000Z');
    expect(excelSerialToDate(1, false).toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect(excelSerialToDate(61, false).toISOString()).toBe('1900-03-01T00:00:00.000Z');
    expect(excelSerialToDate(43100, true).toISOString()).toBe('2022-01-01T00:00:00.000Z');
    expect(isDateFormat('yyyy-mm-dd')).toBe(true);
    expect(isDateFormat('[$-414]d. mmmm yyyy')).toBe(true);
    expect(isDateFormat('#,##0.00')).toBe(false);
    expect(isDateFormat('"kr" 0')).toBe(false);
    expect(convertCell({ formula: 'TODAY()', result: 44562 }, 'dd.mm.yyyy', false).cell).toEqual({ kind: 'date', text: '2022-01-01' });
    expect(convertCell({ formula: 'TODAY()', result: 43100 }, 'dd.mm.yyyy', true).cell).toEqual({ kind: 'date', text: '2022-01-01' });
    expect(convertCell({ richText: [{ text: 'a' }, { text: 'b' }] }, undefined, false).cell).toEqual({ kind: 'text', text: 'ab' });
    expect(convertCell({ text: 'lenke', hyperlink: 'https://example.org' }, undefined, false).cell).toEqual({ kind: 'text', text: 'lenke' });
  });

  it('reads a workbook in the 1904 date system', async () => {
    const path = await writeXlsx(join(work, 'd1904.xlsx'), (wb) => {
      wb.properties.date1904 = true;
      const ws = wb.addWorksheet('A');
      ws.addRow(['dato', 'n']);
      ws.addRow([new Date(Date.UTC(2022, 0, 1)), 1]);
      ws.addRow([{ formula: 'A2+1', result: 43101 }, 2]);
      ws.getCell('A3').numFmt = 'yyyy-mm-dd';
    });
    const table = out();
    const r = await engine.tableToParquet(path, table);
    expect(col(r, 'dato').type).toBe('DATE');
    expect((await engine.readRows(table, { offset: 0, limit: 2 })).map((x) => x.dato)).toEqual(['2022-01-01', '2022-01-02']);
  });

  it('reads a 1 MB cell and 10,000 columns within the limits, and refuses wider than the memory allows', async () => {
    const big = 'x'.repeat(1 << 20);
    const path = await writeXlsx(join(work, 'bigcell.xlsx'), (wb) => {
      const ws = wb.addWorksheet('A');
      ws.addRow(['id', 'tekst']);
      ws.addRow([1, big]);
    });
    const table = out();
    await engine.tableToParquet(path, table);
    expect((await engine.readRows(table, { offset: 0, limit: 1 }))[0]?.tekst).toBe(big);

    const wide = join(work, 'wide.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: wide });
    const ws = wb.addWorksheet('A');
    ws.addRow(Array.from({ length: 10_000 }, (_, i) => `k${i + 1}`)).commit();
    ws.addRow(Array.from({ length: 10_000 }, (_, i) => i)).commit();
    ws.commit();
    await wb.commit();
    const err = await engineError(engine.tableToParquet(wide, out()), 'too_many_columns', /10000 columns/);
    expect(err.params).toMatchObject({ columns: 10_000, limit: 7629 });
    // Within the limit: 2,000 columns are read (the CSV path's wide-file batches).
    const ok = join(work, 'wide2000.xlsx');
    const wb2 = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: ok });
    const ws2 = wb2.addWorksheet('A');
    ws2.addRow(Array.from({ length: 2000 }, (_, i) => `k${i + 1}`)).commit();
    for (let r = 0; r < 3; r++) ws2.addRow(Array.from({ length: 2000 }, (_, i) => i * r)).commit();
    ws2.commit();
    await wb2.commit();
    const r = await engine.tableToParquet(ok, out());
    expect(r.columns).toHaveLength(2000);
    expect(r.columns.every((c) => c.type === 'BIGINT')).toBe(true);
    expect(r.rowCount).toBe(3);
  }, 180_000);

  it('refuses a zip bomb from its directory, and one whose directory lies about its size', async () => {
    const zeros = new Uint8Array(100 << 20);
    const parts = { '[Content_Types].xml': strToU8('<Types/>'), 'xl/workbook.xml': strToU8('<workbook/>'), 'xl/worksheets/sheet1.xml': zeros };
    const bomb = join(work, 'bomb.xlsx');
    await writeFile(bomb, zipSync(parts, { level: 9 }));
    const err = await engineError(engine.tableToParquet(bomb, out()), 'xlsx_zip_bomb', /zip bomb/);
    expect(Number(err.params.ratio)).toBeGreaterThan(200);
    expect(() => checkZipSizes([{ name: 'a', compressed: 1, uncompressed: 5 * 1024 ** 3 }])).toThrow(/zip bomb/);
    expect(() => checkZipSizes([{ name: 'a', compressed: 1 << 20, uncompressed: 20 << 20 }])).not.toThrow();

    // The same archive with the sheet's declared size patched down to 1,000 bytes (local header and directory).
    const liar = Buffer.from(zipSync(parts, { level: 9 }));
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    for (let i = liar.indexOf(name); i >= 0; i = liar.indexOf(name, i + 1)) {
      if (liar.readUInt32LE(i - 30) === 0x04034b50) liar.writeUInt32LE(1000, i - 30 + 22);
      if (liar.readUInt32LE(i - 46) === 0x02014b50) liar.writeUInt32LE(1000, i - 46 + 24);
    }
    const lying = join(work, 'liar.xlsx');
    await writeFile(lying, liar);
    expect((await readZipDirectory(lying)).find((e) => e.name === 'xl/worksheets/sheet1.xml')?.uncompressed).toBe(1000);
    await engineError(engine.tableToParquet(lying, out()), 'xlsx_zip_bomb', /more data than its zip directory declares/);
  });

  it('refuses a password-protected XLSX, an old .xls, a damaged zip and a ZIP that is no workbook', async () => {
    // Office writes an encrypted workbook as an OLE compound file whose directory holds EncryptionInfo and
    // EncryptedPackage; an .xls is one holding "Workbook". Built here: a header sector and one directory sector.
    const cfb = (streams: string[]) => {
      const buf = Buffer.alloc(1024 + 512);
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(buf, 0);
      buf.writeUInt16LE(0x3e, 0x18);
      buf.writeUInt16LE(3, 0x1a);
      buf.writeUInt16LE(0xfffe, 0x1c);
      buf.writeUInt16LE(9, 0x1e);
      buf.writeUInt32LE(0, 0x30);
      ['Root Entry', ...streams].forEach((s, i) => {
        const name = Buffer.from(`${s}\0`, 'utf16le');
        name.copy(buf, 512 + i * 128);
        buf.writeUInt16LE(name.length, 512 + i * 128 + 64);
      });
      return buf;
    };
    const encrypted = join(work, 'locked.xlsx');
    await writeFile(encrypted, cfb(['EncryptionInfo', 'EncryptedPackage']));
    await engineError(engine.tableToParquet(encrypted, out()), 'xlsx_encrypted', /password/);
    const xls = join(work, 'old.xls');
    await writeFile(xls, cfb(['Workbook', 'SummaryInformation']));
    await engineError(engine.tableToParquet(xls, out()), 'xls_unsupported', /\.xls/);

    const good = await writeXlsx(join(work, 'good.xlsx'), (wb) => {
      const ws = wb.addWorksheet('A');
      ws.addRow(['a', 'b']);
      for (let i = 0; i < 2000; i++) ws.addRow([i, `rad ${i}`]);
    });
    const cut = join(work, 'cut.xlsx');
    await copyFile(good, cut);
    await truncate(cut, Math.floor((await readFile(good)).length / 2));
    await engineError(engine.tableToParquet(cut, out()), 'xlsx_invalid', /damaged/);
    const garbled = Buffer.from(await readFile(good));
    const at = garbled.indexOf(Buffer.from('xl/worksheets/sheet1.xml')) + 40;
    for (let i = at; i < at + 200 && i < garbled.length; i++) garbled[i] = (garbled[i] as number) ^ 0x5a;
    const bad = join(work, 'garbled.xlsx');
    await writeFile(bad, garbled);
    await engineError(engine.tableToParquet(bad, out()), 'xlsx_invalid', /damaged/);

    const zip = join(work, 'plain.zip');
    await writeFile(zip, zipSync({ 'data/a.csv': strToU8('a;b\n1;2\n') }));
    const err = await engineError(engine.tableToParquet(zip, out()), 'file_not_text', /ZIP archive/);
    expect(err.params).toEqual({ kind: 'zip' });
  });
});

describe('JSON and NDJSON', () => {
  it('reads the Kartverket county file: nested objects flattened with dotted names, arrays kept as JSON text', async () => {
    const table = out();
    const r = await engine.tableToParquet(fixture('kartverket_kommuneinfo_fylker_kommuner_2023.json'), table);
    expect(r.format).toBe('json');
    expect(r.rowCount).toBe(11);
    expect(r.columns.map((c) => c.name)).toEqual(['avgrensningsboks.coordinates', 'avgrensningsboks.crs.properties.name', 'avgrensningsboks.crs.type', 'avgrensningsboks.type', 'fylkesnavn', 'fylkesnummer', 'kommuner']);
    expect(col(r, 'fylkesnummer')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros', semanticType: 'fylkesnummer' });
    expect(r.notes).toEqual([{ reason: 'nested_as_json', count: 11, lines: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], columns: ['avgrensningsboks.coordinates', 'kommuner'] }]);
    const [first] = await engine.readRows(table, { offset: 0, limit: 1 });
    expect(first?.fylkesnavn).toBe('Oslo');
    expect(first?.fylkesnummer).toBe('03');
    const kommuner = JSON.parse(String(first?.kommuner)) as { kommunenummer: string }[];
    expect(kommuner[0]?.kommunenummer).toBe('0301');
  });

  it('refuses an API response that is one object, not an array of records, saying where', async () => {
    const err = await engineError(engine.tableToParquet(fixture('brreg_download_komm.json'), out()), 'json_not_array', /not an array of objects/);
    expect(err.params).toEqual({ line: 1, column: 1 });
  });

  it('takes the union of keys with nulls, records it, keeps long numbers as their digits and types by kind', async () => {
    const path = join(work, 'mixed.json');
    await writeFile(path, `[
  {"komnr": "0301", "navn": "Oslo", "innbyggere": 709037, "andel": 0.5, "aktiv": true, "dato": "2022-01-31", "id": 12345678901234567890},
  {"komnr": "1103", "navn": "Stavanger", "innbyggere": 144699, "andel": 1, "aktiv": false, "dato": "2022-02-01", "id": 1,
   "adresse": {"gate": "Rådhusgata 1", "post": {"nr": "0037"}}},
  {"komnr": "5001", "innbyggere": null, "andel": 2.25, "aktiv": true, "dato": "2022-02-02", "tags": [1, 2]}
]`);
    const table = out();
    const r = await engine.tableToParquet(path, table);
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([
      ['komnr', 'VARCHAR'], ['navn', 'VARCHAR'], ['innbyggere', 'BIGINT'], ['andel', 'DOUBLE'], ['aktiv', 'BOOLEAN'], ['dato', 'DATE'],
      ['id', 'VARCHAR'], ['adresse.gate', 'VARCHAR'], ['adresse.post.nr', 'VARCHAR'], ['tags', 'VARCHAR'],
    ]);
    expect(col(r, 'id').keptAsText).toBe('too_large');
    expect(r.notes).toEqual([
      { reason: 'missing_keys', count: 3, lines: [1, 2, 3], columns: ['navn', 'id', 'adresse.gate', 'adresse.post.nr', 'tags'] },
      { reason: 'nested_as_json', count: 1, lines: [3], columns: ['tags'] },
    ]);
    const rows = await engine.readRows(table, { offset: 0, limit: 3 });
    expect(rows[0]).toMatchObject({ komnr: '0301', id: '12345678901234567890', andel: 0.5, aktiv: true, dato: '2022-01-31', 'adresse.gate': null });
    expect(rows[1]).toMatchObject({ 'adresse.post.nr': '0037', id: '1' });
    expect(rows[2]).toMatchObject({ navn: null, innbyggere: null, tags: '[1,2]' });
    expect(quoteLongNumbers('{"a": 12345678901234567, "b": "12345678901234567", "c": 1.5}')).toBe('{"a": "12345678901234567", "b": "12345678901234567", "c": 1.5}');
    expect([...flattenRecord({ a: { b: 1 }, 'a.b': 2, e: {} }).keys()]).toEqual(['a.b', 'a.b_2', 'e']);
  });

  it('reads NDJSON, skipping and recording blank lines', async () => {
    const path = join(work, 'rows.ndjson');
    await writeFile(path, '{"a": 1, "b": "x"}\r\n\n{"a": 2, "b": "y"}\n{"a": 3.5}\n');
    const table = out();
    const r = await engine.tableToParquet(path, table);
    expect(r.format).toBe('ndjson');
    expect(r.rowCount).toBe(3);
    expect(r.skipped).toEqual([{ reason: 'blank', count: 1, lines: [2] }]);
    expect(r.recordCount).toBe(4);
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([['a', 'DOUBLE'], ['b', 'VARCHAR']]);
  });

  it('says where JSON is broken or records are not objects', async () => {
    const write = async (name: string, text: string | Buffer) => { const p = join(work, name); await writeFile(p, text); return p; };
    let err = await engineError(engine.tableToParquet(await write('broken.json', '[\n {"a": 1},\n {"a": 2,, "b": 3}\n]'), out()), 'json_invalid', /line 3/);
    expect(err.params).toMatchObject({ line: 3 });
    err = await engineError(engine.tableToParquet(await write('notobj.json', '[{"a": 1}, 2, 3]'), out()), 'json_not_objects', /Record 2/);
    expect(err.params).toEqual({ line: 1, record: 2 });
    err = await engineError(engine.tableToParquet(await write('broken.ndjson', '{"a": 1}\n{"a": }\n'), out()), 'json_invalid', /line 2/);
    expect(err.params).toMatchObject({ line: 2 });
    await engineError(engine.tableToParquet(await write('unclosed.json', '[{"a": 1}, {"a": 2}'), out()), 'json_invalid', /ends before/);
    await engineError(engine.tableToParquet(await write('after.json', '[{"a": 1}] x'), out()), 'json_invalid');
    await engineError(engine.tableToParquet(await write('emptyarr.json', '[ ]'), out()), 'file_empty');
    await engineError(engine.tableToParquet(await write('latin1.json', Buffer.concat([Buffer.from('[{"navn": "B'), Buffer.from([0xf8]), Buffer.from('"}]')])), out()), 'encoding_unsupported', /UTF-8/);
  });

  it('streams a large array with bounded records (50,000 records)', async () => {
    const path = join(work, 'big.json');
    const parts = ['['];
    for (let i = 0; i < 50_000; i++) parts.push(`${i ? ',' : ''}{"id": ${i}, "komnr": "${String(i % 9999).padStart(4, '0')}", "v": ${i / 4}}\n`);
    parts.push(']');
    await writeFile(path, parts.join(''));
    const r = await engine.tableToParquet(path, out());
    expect(r.rowCount).toBe(50_000);
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([['id', 'BIGINT'], ['komnr', 'VARCHAR'], ['v', 'DOUBLE']]);
  });
});

describe('Parquet in', () => {
  it('keeps the producer types, flattens structs, keeps lists as JSON text, writes zstd and checks the row count', async () => {
    const src = join(work, 'in.parquet');
    const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT i::INTEGER AS n, (i * 1.5)::DECIMAL(10,2) AS d, ['0301', '1103', '5001'][i] AS komnr,
        DATE '2022-01-01' + i::INTEGER AS dato, TIMESTAMPTZ '2022-01-01 12:00:00+01' AS ts, {'navn': 'x' || i, 'post': {'nr': '0037'}} AS adr,
        [i, i + 1] AS liste, CAST(CAST('1000000000000000000000' AS DECIMAL(38,0)) * i AS DECIMAL(38,0)) AS stor
      FROM range(1, 4) t(i)) TO '${src}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    const table = out();
    const r = await engine.tableToParquet(src, table);
    expect(r.format).toBe('parquet');
    expect(r.rowCount).toBe(3);
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([
      ['n', 'BIGINT'], ['d', 'DOUBLE'], ['komnr', 'VARCHAR'], ['dato', 'DATE'], ['ts', 'TIMESTAMP'], ['adr.navn', 'VARCHAR'], ['adr.post.nr', 'VARCHAR'], ['liste', 'VARCHAR'], ['stor', 'VARCHAR'],
    ]);
    expect(col(r, 'komnr').semanticType).toBe('kommunenummer');
    expect(col(r, 'stor').keptAsText).toBe('too_large');
    expect(r.notes).toEqual([{ reason: 'nested_as_json', count: 1, columns: ['liste'] }, { reason: 'timezone_to_utc', count: 1, columns: ['ts'] }]);
    expect((await engine.readRows(table, { offset: 0, limit: 1 }))[0]).toEqual({
      n: 1, d: 1.5, komnr: '0301', dato: '2022-01-02', ts: '2022-01-01T11:00:00', 'adr.navn': 'x1', 'adr.post.nr': '0037', liste: '[1,2]', stor: '1000000000000000000000',
    });
    const inst2 = await DuckDBInstance.create(':memory:');
    const c2 = await inst2.connect();
    const meta = (await c2.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${table}')`)).getRowObjects();
    c2.closeSync();
    inst2.closeSync();
    expect(meta.map((m) => String(m.compression))).toEqual(['ZSTD']);
  });

  it('refuses binary columns and a damaged Parquet file', async () => {
    const src = join(work, 'blob.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT 1 AS a, '\\xAA'::BLOB AS b) TO '${src}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    const err = await engineError(engine.tableToParquet(src, out()), 'parquet_unsupported_type', /Column 2/);
    expect(err.params).toEqual({ column: 2 });
    const cut = join(work, 'cut.parquet');
    await writeFile(cut, (await readFile(src)).subarray(0, 40));
    await engineError(engine.tableToParquet(cut, out()), 'invalid_parquet');
  });
});

describe('dispatch by content, not by name', () => {
  it('reads a CSV named .xlsx as CSV, and an XLSX named .csv as XLSX', async () => {
    const csvAsXlsx = join(work, 'really-csv.xlsx');
    await copyFile(fixture('kmd_partistotte_2014.original.csv'), csvAsXlsx);
    expect((await engine.tableToParquet(csvAsXlsx, out())).format).toBe('csv');
    const xlsxAsCsv = join(work, 'really-xlsx.csv');
    await writeXlsx(xlsxAsCsv, (wb) => { wb.addWorksheet('A').addRow(['a']); wb.getWorksheet('A')?.addRow([1]); });
    expect((await engine.tableToParquet(xlsxAsCsv, out())).format).toBe('xlsx');
    const pdf = join(work, 'x.pdf');
    await writeFile(pdf, '%PDF-1.4\n%\xff\n');
    await engineError(engine.tableToParquet(pdf, out()), 'file_not_text');
  });
});
