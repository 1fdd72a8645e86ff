// The DuckDB table engine against real Norwegian files (test/fixtures/tables, see its README) and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDateValue, DuckDBDecimalValue, DuckDBTimestampTZValue, DuckDBTimestampValue } from '@duckdb/node-api';
import { EngineError, type ConvertResult } from './index';
import { detectDialect } from './dialect';
import {
  createDuckDbEngine,
  detectEncoding,
  isIdentifierName,
  looksLikeHeader,
  semanticTypeOfName,
  sniffFileKind,
  toJsonValue,
  transcodeToUtf8,
  type DuckDbTableEngine,
} from './duckdb';

const FIXTURES = join(__dirname, '../../../test/fixtures/tables');
const fixture = (name: string) => join(FIXTURES, name);

let work: string;
let tempDir: string;
let engine: DuckDbTableEngine;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'engine-test-'));
  tempDir = join(work, 'duck-tmp');
  engine = await createDuckDbEngine({ memoryLimit: '256MiB', threads: 2, tempDir });
});

afterAll(async () => {
  await engine?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function column(result: ConvertResult, name: string) {
  const col = result.columns.find((c) => c.name === name);
  if (!col) throw new Error(`no column ${name} in ${result.columns.map((c) => c.name).join(', ')}`);
  return col;
}

async function expectEngineError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  expect((err as EngineError).message).toMatch(message);
}

describe('engine settings', () => {
  it('opens DuckDB with the given memory, thread and temp limits and no extension auto-loading', async () => {
    expect(await engine.currentSetting('memory_limit')).toBe('256.0 MiB');
    expect(await engine.currentSetting('threads')).toBe('2');
    expect(await engine.currentSetting('temp_directory')).toBe(tempDir);
    expect(await engine.currentSetting('autoinstall_known_extensions')).toBe('false');
    expect(await engine.currentSetting('autoload_known_extensions')).toBe('false');
  });

  it('refuses work after close', async () => {
    const other = await createDuckDbEngine({ memoryLimit: '64MiB', threads: 1, tempDir });
    expect(await other.currentSetting('threads')).toBe('1');
    await other.close();
    await expectEngineError(other.currentSetting('threads'), 'engine_closed', /closed/);
    await other.close(); // twice is fine
  });

  it('rejects work in flight when closed, leaving no files', async () => {
    const dir = join(work, 'closing');
    const other = await createDuckDbEngine({ memoryLimit: '64MiB', threads: 1, tempDir: join(dir, 'tmp') });
    const out = join(dir, 'ldir.parquet');
    const pending = other.csvToParquet(fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'), out);
    await other.close();
    await expectEngineError(pending, 'engine_closed', /closed/);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });
});

describe('ldir pristilskudd 2022 (UTF-8 with BOM, ";")', () => {
  const out = () => join(work, 'ldir.parquet');
  let result: ConvertResult;

  beforeAll(async () => {
    result = await engine.csvToParquet(fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'), out());
  });

  it('detects the dialect and counts every row', () => {
    expect(result.rowCount).toBe(24_899);
    expect(result.detected).toEqual({ encoding: 'utf-8', delimiter: ';', quote: '"', escape: '"', header: true, skipLines: 0, commentPrefix: '', decimalSeparator: '.', thousandsSeparator: '' });
    expect(result.recordCount).toBe(24_900);
    expect(result.skipped).toEqual([]);
    expect(result.columns[0]?.name).toBe('komnr'); // the BOM is not part of the first name
    expect(result.columns).toHaveLength(15);
  });

  it('keeps code columns as text and amounts numeric', async () => {
    expect(column(result, 'komnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros', semanticType: 'kommunenummer' });
    expect(column(result, 'orgnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'identifier_name', semanticType: 'orgnr' });
    expect(column(result, 'sum_tilskudd')).toMatchObject({ type: 'BIGINT', nullable: false });
    expect(column(result, 'navn').keptAsText).toBeUndefined();
    const [first] = await engine.readRows(out(), { offset: 0, limit: 1 });
    expect(first).toEqual({
      komnr: '0301', navn: 'NORDRE LINDEBERG GÅRD', orgnr: '988178616',
      distriktstilskudd_egg: 0, distriktstilskudd_kjott: 0, distriktstilskudd_gris: 0, grunntilskudd_kjott: 0,
      tilskudd_norsk_ull: 0, tilskudd_norsk_skinn: 0, distriktstilskudd_melk: 3709, grunntilskudd_melk: 0,
      kvalitetstilskudd_storfe: 0, frakttilskudd_kraftfor: 0, tilskudd_lam_og_kje: 0, sum_tilskudd: 3709,
    });
  });

  it('pages through all rows in file order, matching the CSV line by line', async () => {
    const lines = (await readFile(fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'), 'utf8')).replace(/^\uFEFF/, '').trim().split('\n').slice(1);
    expect(lines).toHaveLength(24_899);
    const rows: Record<string, unknown>[] = [];
    for (let offset = 0; ; offset += 10_000) {
      const page = await engine.readRows(out(), { offset, limit: 10_000 });
      rows.push(...page);
      if (page.length < 10_000) {
        expect(page).toHaveLength(4_899); // the last page is short
        break;
      }
    }
    expect(rows).toHaveLength(24_899);
    let mismatches = 0;
    lines.forEach((line, i) => {
      const f = line.split(';');
      const row = rows[i]!;
      if (row.komnr !== f[0] || row.orgnr !== f[2] || row.sum_tilskudd !== Number(f[14])) mismatches++;
    });
    expect(mismatches).toBe(0);
    expect(rows.every((r) => typeof r.orgnr === 'string' && /^\d{9}$/.test(r.orgnr))).toBe(true);
  });

  it('returns consecutive rows for consecutive pages and an empty page past the end', async () => {
    const a = await engine.readRows(out(), { offset: 100, limit: 20 });
    const b = await engine.readRows(out(), { offset: 120, limit: 20 });
    const ab = await engine.readRows(out(), { offset: 100, limit: 40 });
    expect([...a, ...b]).toEqual(ab);
    const last = await engine.readRows(out(), { offset: 24_890, limit: 50 });
    expect(last).toHaveLength(9);
    expect(last[8]).toMatchObject({ komnr: '5444', navn: 'TROND DANILOFF OG GUNN SVANE ANS', orgnr: '986392483', sum_tilskudd: 1_049_770 });
    expect(await engine.readRows(out(), { offset: 24_899, limit: 10 })).toEqual([]);
  });

  it('describes the Parquet file', async () => {
    const d = await engine.describeParquet(out());
    expect(d.rowCount).toBe(24_899);
    expect(d.columns.map((c) => [c.name, c.type])).toEqual(result.columns.map((c) => [c.name, c.type]));
    expect(d.columns.find((c) => c.name === 'komnr')?.nullable).toBe(false);
  });
});

describe('SSB Klass 131 (Latin-1, ",", quoted)', () => {
  it('decodes Norwegian letters and keeps codes as text', async () => {
    const out = join(work, 'ssb.parquet');
    const result = await engine.csvToParquet(fixture('ssb_klass131_kommuner_2024_latin1.csv'), out);
    // Not UTF-8, so read as Windows-1252, which decodes Latin-1 text the same.
    expect(result.detected).toMatchObject({ encoding: 'windows-1252', delimiter: ',', header: true });
    expect(result.rowCount).toBe(358);
    expect(column(result, 'code')).toMatchObject({ type: 'VARCHAR', nullable: false });
    expect(column(result, 'level').type).toBe('BIGINT');
    expect(column(result, 'validFrom')).toMatchObject({ type: 'VARCHAR', nullable: true }); // all empty
    const rows = await engine.readRows(out, { offset: 0, limit: 1000 });
    expect(rows).toHaveLength(358);
    expect(rows[0]).toMatchObject({ code: '0301', name: 'Oslo', level: 1, parentCode: null });
    expect(rows[0]?.notes).toContain('overført til 0301 Oslo');
    const byCode = new Map(rows.map((r) => [r.code, r.name]));
    expect(byCode.get('1867')).toBe('Bø');
    expect(byCode.get('3218')).toBe('Ås');
    expect(byCode.get('4613')).toBe('Bømlo');
    expect(byCode.get('9999')).toBe('Uoppgitt');
  });
});

describe('Bring postnummerregister (cp1252, TAB, CRLF, no header)', () => {
  it('reads every line as data with leading zeros kept', async () => {
    const out = join(work, 'bring.parquet');
    const result = await engine.csvToParquet(fixture('bring_postnummerregister_2025_ansi.txt'), out);
    expect(result.detected).toMatchObject({ encoding: 'windows-1252', delimiter: '\t', header: false });
    expect(result.rowCount).toBe(5_137);
    expect(result.columns.map((c) => c.type)).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR']);
    expect(result.columns[0]?.keptAsText).toBe('leading_zeros');
    const rows = await engine.readRows(out, { offset: 0, limit: 2 });
    expect(rows[0]).toEqual({ column1: '0001', column2: 'OSLO', column3: '0301', column4: 'OSLO', column5: 'P' });
    const around = await engine.readRows(out, { offset: 644, limit: 1 }); // line 645 of the file
    expect(around[0]).toEqual({ column1: '1311', column2: 'HØVIKODDEN', column3: '3201', column4: 'BÆRUM', column5: 'G' });
    const [last] = await engine.readRows(out, { offset: 5_136, limit: 5 });
    expect(last).toEqual({ column1: '9991', column2: 'BÅTSFJORD', column3: '5632', column4: 'BÅTSFJORD', column5: 'P' });
  });

  it('follows explicit options over detection', async () => {
    const out = join(work, 'bring-header.parquet');
    const result = await engine.csvToParquet(fixture('bring_postnummerregister_2025_ansi.txt'), out, { header: true, delimiter: '\t' });
    expect(result.rowCount).toBe(5_136);
    expect(result.columns[0]?.name).toBe('0001');
  });
});

describe('KMD partistøtte 2014 (decimal comma, space thousands)', () => {
  it('parses decimal-comma amounts and keeps kommune numbers as text', async () => {
    const out = join(work, 'kmd.parquet');
    const result = await engine.csvToParquet(fixture('kmd_partistotte_2014.original.csv'), out);
    expect(result.detected).toEqual({ encoding: 'utf-8', delimiter: ';', quote: '"', escape: '"', header: true, skipLines: 0, commentPrefix: '', decimalSeparator: ',', thousandsSeparator: ' ' });
    expect(result.rowCount).toBe(2_709);
    expect(column(result, 'kummunenr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'identifier_name' });
    expect(column(result, 'totalt').type).toBe('DOUBLE');
    expect(column(result, 'relativdel').type).toBe('DOUBLE');
    expect(column(result, 'stemmer').type).toBe('BIGINT');
    const [first] = await engine.readRows(out, { offset: 0, limit: 1 });
    expect(first).toMatchObject({
      partinamn: 'ØSTFOLD ARBEIDERPARTI', fylkesnr: '1', kummunenr: '100', stemmer: 47_298, relativdel: 40.1,
      grunnstonad: 47_639, stemmestonad: 1_316_303.34, totalt: 1_363_942.34,
    });
  });
});

describe('types and JSON values', () => {
  it('infers dates, timestamps, booleans, decimals and keeps big and zero-padded numbers exact', async () => {
    const csv = join(work, 'types.csv');
    await writeFile(csv, [
      'dato;tid;dato_no;flagg;stor;belop;telefon;tekst;tom',
      '2024-01-31;2024-01-31 13:45:10.25;31.12.2023;true;9007199254740993;1 234,50;+4722334455;a;',
      '2023-12-01;2023-12-01T00:00:00;01.02.2024;FALSE;12;-0,5;22334455;b;',
      ';;;;;;;;',
    ].join('\r\n'));
    const out = join(work, 'types.parquet');
    const result = await engine.csvToParquet(csv, out);
    expect(result.columns.map((c) => [c.name, c.type])).toEqual([
      ['dato', 'DATE'], ['tid', 'TIMESTAMP'], ['dato_no', 'DATE'], ['flagg', 'BOOLEAN'], ['stor', 'BIGINT'],
      ['belop', 'DOUBLE'], ['telefon', 'VARCHAR'], ['tekst', 'VARCHAR'], ['tom', 'VARCHAR'],
    ]);
    expect(column(result, 'dato').nullable).toBe(true);
    expect(column(result, 'telefon').keptAsText).toBe('plus_sign');
    const rows = await engine.readRows(out, { offset: 0, limit: 10 });
    expect(rows).toEqual([
      { dato: '2024-01-31', tid: '2024-01-31T13:45:10.25', dato_no: '2023-12-31', flagg: true, stor: '9007199254740993', belop: 1234.5, telefon: '+4722334455', tekst: 'a', tom: null },
      { dato: '2023-12-01', tid: '2023-12-01T00:00:00', dato_no: '2024-02-01', flagg: false, stor: 12, belop: -0.5, telefon: '22334455', tekst: 'b', tom: null },
      { dato: null, tid: null, dato_no: null, flagg: null, stor: null, belop: null, telefon: null, tekst: null, tom: null },
    ]);
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows);
  });

  it('converts DuckDB values to JSON-safe values', () => {
    expect(toJsonValue(null)).toBeNull();
    expect(toJsonValue(42n)).toBe(42);
    expect(toJsonValue(2n ** 60n)).toBe('1152921504606846976');
    expect(toJsonValue(new DuckDBDecimalValue(123456n, 10, 2))).toBe(1234.56);
    expect(toJsonValue(new DuckDBDateValue(19_753))).toBe('2024-01-31');
    expect(toJsonValue(new DuckDBTimestampValue(1_706_708_710_250_000n))).toBe('2024-01-31T13:45:10.25');
    expect(toJsonValue(new DuckDBTimestampTZValue(0n))).toBe('1970-01-01T00:00:00Z');
    expect(toJsonValue(Number.NaN)).toBeNull();
  });

  it('recognises identifier column names but not amounts, codes or land-register numbers', () => {
    for (const name of ['orgnr', 'komnr', 'Kommunenummer', 'knr', 'postnummer', 'fnr', 'kontonummer', 'produsentnummer_10', 'foretak_orgnr', 'leverandørOrgnr', 'telefon']) {
      expect(isIdentifierName(name), name).toBe(true);
    }
    for (const name of ['sum_tilskudd', 'belop', 'antall', 'gardsnr', 'bruksnr', 'stemmer', 'knrx_total', 'navn', 'kode', 'code', 'sourceCode', 'kommunekode_tekst']) {
      expect(isIdentifierName(name), name).toBe(name === 'kommunekode_tekst');
    }
  });

  it('names semantic identifier kinds in nb and en', () => {
    const cases: [string, string | undefined][] = [
      ['ORG.NR', 'orgnr'], ['org_nr', 'orgnr'], ['organisasjonsnummer', 'orgnr'], ['OrganizationNumber', 'orgnr'],
      ['municipality_id', 'kommunenummer'], ['kommune_nr', 'kommunenummer'], ['muni_num_2020', 'kommunenummer'], ['Kommunenr', 'kommunenummer'],
      ['postnr', 'postnummer'], ['zip_code', 'postnummer'], ['fnr', 'fodselsnummer'], ['personnummer', 'fodselsnummer'],
      ['fylkesnr', 'fylkesnummer'], ['kontonummer', 'kontonummer'], ['bank_account_number', 'kontonummer'],
      ['kode', undefined], ['code', undefined], ['navn', undefined], ['antall_2020', undefined],
    ];
    for (const [name, kind] of cases) expect(semanticTypeOfName(name), name).toBe(kind);
  });

  it('decides the delimiter, the quote and comment lines from a sample', () => {
    const d = (text: string) => detectDialect(Buffer.from(text), false, {});
    expect(d('a;b;c\n1;2;3\n')).toMatchObject({ delimiter: ';', quote: '"' });
    expect(d('"x, y";b\n"1,5";2\n')).toMatchObject({ delimiter: ';', quote: '"' });
    expect(d('a\tb|c\n1\t2|3\n4\t5|6\n')).toMatchObject({ delimiter: '\t' });
    expect(d("'a, b','c'\n'1, 2','3'\n")).toMatchObject({ delimiter: ',', quote: "'" });
    expect(d('# note\na;b\n1;2\n')).toMatchObject({ delimiter: ';', commentPrefix: '#' });
    expect(d('Tabell 1\na;b\n1;2\n3;4\n')).toMatchObject({ delimiter: ';', skipLines: 1 });
    // Given options win.
    expect(detectDialect(Buffer.from('a;b,c\n1;2,3\n'), false, { delimiter: ',' })).toMatchObject({ delimiter: ',' });
  });

  it('sniffs the kind of a file from its content', async () => {
    const p = join(work, 'kind');
    await writeFile(p, Buffer.from([0x50, 0x41, 0x52, 0x31, 0, 0]));
    expect(await sniffFileKind(p)).toBe('parquet');
    await writeFile(p, '%PDF-1.7\n');
    expect(await sniffFileKind(p)).toBe('pdf');
    await writeFile(p, '{"a": 1}');
    expect(await sniffFileKind(p)).toBe('json');
    expect(await sniffFileKind(fixture('bring_postnummerregister_2025_ansi.txt'))).toBe('delimited-text');
  });

  it('judges the header row', () => {
    expect(looksLikeHeader([['komnr', 'navn'], ['0301', 'Oslo']])).toBe(true);
    expect(looksLikeHeader([['0001', 'OSLO', '0301'], ['0010', 'OSLO', '0301']])).toBe(false);
    expect(looksLikeHeader([['region', '2019', '2020'], ['Oslo', '12', '13']])).toBe(true);
    expect(looksLikeHeader([['Oslo', '12,5'], ['Bergen', '13']])).toBe(false);
    expect(looksLikeHeader([['01.01.2024', 'x']])).toBe(false);
    expect(looksLikeHeader([['Kari Nordmann', 'Storgata 1'], ['Ola Hansen', 'Kirkeveien 12'], ['Per Olsen', 'Fjordgata 3']])).toBe(false);
    expect(looksLikeHeader([['navn', 'adresse'], ['Ola Hansen', 'Kirkeveien 12'], ['Per Olsen', 'Fjordgata 3']])).toBe(true);
    expect(looksLikeHeader([['navn', 'sitat'], ['Kari', 'sa hei'], ['Ola', 'nei']])).toBe(true);
    expect(looksLikeHeader([['Oslo', 'Viken'], ['Bergen', 'Vestland'], ['Bodø', 'Nordland']])).toBe(false);
    expect(looksLikeHeader([['navn', 'navn'], ['Kari', 'x'], ['Ola', 'y']])).toBe(false);
  });
});

describe('paths and concurrency', () => {
  it('handles quotes and spaces in paths and runs conversions side by side', async () => {
    const dir = join(work, "o'brien's dir");
    await mkdir(dir, { recursive: true });
    const src = join(dir, "kommuner 'latin1'.csv");
    await copyFile(fixture('ssb_klass131_kommuner_2024_latin1.csv'), src);
    const [a, b] = await Promise.all([
      engine.csvToParquet(src, join(dir, "a'1.parquet")),
      engine.csvToParquet(fixture('kmd_partistotte_2014.original.csv'), join(dir, 'b.parquet')),
    ]);
    expect(a.rowCount).toBe(358);
    expect(b.rowCount).toBe(2_709);
    expect((await engine.readRows(join(dir, "a'1.parquet"), { offset: 1, limit: 1 }))[0]?.name).toBe('Eigersund');
  });
});

describe('bad input', () => {
  it('rejects an empty file', async () => {
    const p = join(work, 'empty.csv');
    await writeFile(p, '');
    await expectEngineError(engine.csvToParquet(p, join(work, 'empty.parquet')), 'file_empty', /empty/);
  });

  it('rejects a file of blank lines', async () => {
    const p = join(work, 'blank.csv');
    await writeFile(p, '\uFEFF\r\n\r\n  \r\n');
    await expectEngineError(engine.csvToParquet(p, join(work, 'blank.parquet')), 'file_empty', /empty/);
  });

  it('rejects binary garbage', async () => {
    const p = join(work, 'garbage.bin');
    await writeFile(p, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), randomBytes(200_000)]));
    await expectEngineError(engine.csvToParquet(p, join(work, 'garbage.parquet')), 'file_not_text', /not valid CSV: it contains binary data/);
    expect(existsSync(join(work, 'garbage.parquet'))).toBe(false);
  });

  it('rejects a missing file', async () => {
    await expectEngineError(engine.csvToParquet(join(work, 'nope.csv'), join(work, 'nope.parquet')), 'file_not_found', /does not exist/);
    await expectEngineError(engine.readRows(join(work, 'nope.parquet'), { offset: 0, limit: 1 }), 'file_not_found', /does not exist/);
    await expectEngineError(engine.describeParquet(join(work, 'nope.parquet')), 'file_not_found', /does not exist/);
  });

  it('rejects a CSV whose rows do not fit its header', async () => {
    const p = join(work, 'ragged.csv');
    await writeFile(p, 'a;b;c\n1;2;3\n4;5;6;7;8;9\n7;8;9\n');
    await expectEngineError(engine.csvToParquet(p, join(work, 'ragged.parquet')), 'ragged_rows', /line 3 has 6/);
    expect(existsSync(join(work, 'ragged.parquet'))).toBe(false);
  });

  it('rejects a non-Parquet file and bad paging arguments', async () => {
    await expectEngineError(engine.readRows(fixture('kmd_partistotte_2014.original.csv'), { offset: 0, limit: 1 }), 'invalid_parquet', /not a valid Parquet/);
    await expectEngineError(engine.describeParquet(fixture('kmd_partistotte_2014.original.csv')), 'invalid_parquet', /not a valid Parquet/);
    const out = join(work, 'ldir.parquet');
    await expectEngineError(engine.readRows(out, { offset: -1, limit: 1 }), 'invalid_argument', /offset/);
    await expectEngineError(engine.readRows(out, { offset: 0, limit: 1e6 }), 'invalid_argument', /limit/);
    await expectEngineError(engine.csvToParquet(fixture('kmd_partistotte_2014.original.csv'), join(work, 'x.parquet'), { delimiter: ';;' }), 'invalid_argument', /delimiter/);
    await expectEngineError(engine.csvToParquet(fixture('kmd_partistotte_2014.original.csv'), join(work, 'x.parquet'), { commentPrefix: '//' }), 'invalid_argument', /commentPrefix/);
  });

  it('leaves no staging files behind', async () => {
    expect((await readdir(tempDir)).filter((f) => f.startsWith('ingest-'))).toEqual([]);
  });
});

describe('encoding detection', () => {
  it('tells UTF-8 from Latin-1 across chunk boundaries', async () => {
    const utf8 = join(work, 'enc-utf8.csv');
    // 'ø' (2 bytes) placed so that it straddles the 1 MB read boundary.
    await writeFile(utf8, Buffer.concat([Buffer.alloc((1 << 20) - 1, 0x61), Buffer.from('ø\n', 'utf8')]));
    expect(await detectEncoding(utf8)).toEqual({ encoding: 'utf-8', bom: 0 });
    const latin = join(work, 'enc-latin.csv');
    await writeFile(latin, Buffer.concat([Buffer.alloc(3 << 20, 0x61), Buffer.from([0xf8, 0x0a])]));
    expect(await detectEncoding(latin)).toEqual({ encoding: 'windows-1252', bom: 0, firstNonUtf8Line: 1 });
    // A cp1252 byte after 2 MB of UTF-8: refused, naming its line, also past the first chunks.
    const mixed = join(work, 'enc-mixed.csv');
    await writeFile(mixed, Buffer.concat([Buffer.from('Tromsø\n'.repeat(300_000), 'utf8'), Buffer.from('Bø\n', 'latin1')]));
    const err = await detectEncoding(mixed).then(() => undefined, (e: unknown) => e);
    expect((err as EngineError).code).toBe('encoding_unsupported');
    expect((err as EngineError).params).toEqual({ reason: 'mixed', line: 300_001 });
    const truncated = join(work, 'enc-trunc.csv');
    await writeFile(truncated, Buffer.from([0x61, 0xc3]));
    expect((await detectEncoding(truncated)).encoding).toBe('windows-1252');
  });
});

// Windows-1252 bytes for the characters it has outside Latin-1; anything else below U+0100 is its own byte.
const CP1252: Record<string, number> = { '€': 0x80, '…': 0x85, 'Š': 0x8a, 'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97, 'š': 0x9a, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f };
function cp1252(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const code = CP1252[ch] ?? ch.charCodeAt(0);
    if (code > 0xff) throw new Error(`${ch} has no Windows-1252 byte`);
    return code;
  }));
}

describe('Windows-1252 ("ANSI") files', () => {
  const lines = [
    'navn;beløp;merknad',
    'Bø;€ 1 234,50;“sitat” – …',
    'Šibenik;€ 99,00;Œuvre — ‘ok’ Ž ž Ÿ',
  ];

  it('decodes €, curly quotes, dashes and Š/Ž/Œ through a UTF-8 copy, and reports windows-1252', async () => {
    const src = join(work, 'ansi.csv');
    await writeFile(src, cp1252(`${lines.join('\r\n')}\r\n`));
    const out = join(work, 'ansi.parquet');
    const result = await engine.csvToParquet(src, out);
    expect(result.detected).toMatchObject({ encoding: 'windows-1252', delimiter: ';', header: true });
    expect(result.columns.map((c) => c.name)).toEqual(['navn', 'beløp', 'merknad']);
    expect(await engine.readRows(out, { offset: 0, limit: 10 })).toEqual([
      { navn: 'Bø', beløp: '€ 1 234,50', merknad: '“sitat” – …' },
      { navn: 'Šibenik', beløp: '€ 99,00', merknad: 'Œuvre — ‘ok’ Ž ž Ÿ' },
    ]);
    expect((await readdir(tempDir)).filter((f) => f.startsWith('ingest-'))).toEqual([]);
  });

  it('still reads strict Latin-1 when asked, which maps 0x80–0x9F to control characters', async () => {
    const out = join(work, 'ssb-as-latin1.parquet');
    const result = await engine.csvToParquet(fixture('ssb_klass131_kommuner_2024_latin1.csv'), out, { encoding: 'iso-8859-1' });
    expect(result.detected.encoding).toBe('iso-8859-1');
    expect((await engine.readRows(out, { offset: 0, limit: 1000 })).find((r) => r.code === '1867')?.name).toBe('Bø');
    // This is why Windows-1252 is the default for single-byte files: as strict Latin-1 the € is a control character.
    const src = join(work, 'ansi-as-latin1.csv');
    await writeFile(src, cp1252(`${lines.join('\n')}\n`));
    const out2 = join(work, 'ansi-as-latin1.parquet');
    await engine.csvToParquet(src, out2, { encoding: 'iso-8859-1' });
    expect((await engine.readRows(out2, { offset: 0, limit: 1 }))[0]?.beløp).toBe('\u0080 1 234,50');
  });

  it('names the uploaded file, not the temp copy, in errors, and removes the copy', async () => {
    const src = join(work, 'ragged ansi.csv');
    await writeFile(src, cp1252('a;b;c\n€;2;3\n4;5;6;7;8;9\n7;8;9\n'));
    const err = await engine.csvToParquet(src, join(work, 'ragged-ansi.parquet')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('ragged_rows');
    expect((err as EngineError).message).toMatch(/line 3 has 6/);
    expect((err as EngineError).message).not.toContain(tempDir);
    expect((err as EngineError).params).toMatchObject({ line: 3, fields: 6, expected: 3, count: 1 });
    expect((await readdir(tempDir)).filter((f) => f.startsWith('ingest-'))).toEqual([]);
  });

  it('transcodes across 1 MB chunk boundaries without losing a byte', async () => {
    const src = join(work, 'ansi-big.csv');
    const line = 'Bø €;“x” – y\n';
    const count = Math.ceil((2.5 * (1 << 20)) / line.length);
    await writeFile(src, cp1252(line.repeat(count)));
    const target = join(work, 'ansi-big.utf8.csv');
    await transcodeToUtf8(src, target);
    const text = await readFile(target, 'utf8');
    expect(text.length).toBe(line.length * count);
    expect(text).toBe(line.repeat(count));
  });
});

describe('publisher options and value-free errors', () => {
  async function convert(name: string, text: string, opts = {}) {
    const p = join(work, name);
    await writeFile(p, text);
    const out = join(work, `${name}.parquet`);
    const result = await engine.csvToParquet(p, out, opts);
    return { result, rows: await engine.readRows(out, { offset: 0, limit: 100 }) };
  }

  it('forces column types by name, and fails when a forced type does not fit every value', async () => {
    const text = 'navn;antall\nKari;3\nOla;4\n';
    const { result, rows } = await convert('types-forced.csv', text, { columnTypes: { antall: 'text' } });
    expect(column(result, 'antall')).toMatchObject({ type: 'VARCHAR', keptAsText: 'publisher_choice' });
    expect(result.detected.columnTypes).toEqual({ antall: 'text' });
    expect(rows).toEqual([{ navn: 'Kari', antall: '3' }, { navn: 'Ola', antall: '4' }]);
    const err = await convert('types-bad.csv', text, { columnTypes: { navn: 'integer' } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('column_type_mismatch');
    expect((err as EngineError).params).toEqual({ column: 1, count: 2, type: 'BIGINT' });
    expect((err as EngineError).message).not.toMatch(/Kari|Ola/);
    const unknown = await convert('types-unknown.csv', text, { columnTypes: { antal: 'integer' } }).then(() => undefined, (e: unknown) => e);
    expect((unknown as EngineError).code).toBe('invalid_argument');
    expect((unknown as EngineError).params).toEqual({ option: 'columnTypes', count: 1 });
  });

  it('detects dot thousands with a decimal comma, and honours separators given', async () => {
    const text = 'navn;beløp\nA;1.234\nB;2.500,5\n';
    const auto = await convert('sep-auto.csv', text);
    expect(auto.result.detected).toMatchObject({ decimalSeparator: ',', thousandsSeparator: '.' });
    expect(auto.rows).toEqual([{ navn: 'A', beløp: 1234 }, { navn: 'B', beløp: 2500.5 }]);
    const none = await convert('sep-none.csv', text, { thousandsSeparator: '' });
    expect(none.rows).toEqual([{ navn: 'A', beløp: '1.234' }, { navn: 'B', beløp: '2.500,5' }]);
    const dot = await convert('sep-dot.csv', 'navn;beløp\nA;1.5\nB;2\n', { decimalSeparator: '.' });
    expect(dot.rows).toEqual([{ navn: 'A', beløp: 1.5 }, { navn: 'B', beløp: 2 }]);
  });

  it('skips the lines it is told to, and reports them', async () => {
    const { result, rows } = await convert('skip.csv', 'Rapport\nLaget 2024\nnavn;antall\nKari;3\n', { skipLines: 2 });
    expect(result.skipped).toEqual([{ reason: 'leading', count: 2, lines: [1, 2] }]);
    expect(result.recordCount).toBe(4); // rows + header + skipped lines
    expect(rows).toEqual([{ navn: 'Kari', antall: 3 }]);
  });

  it('reads a header as data when told there is none', async () => {
    const result = await engine.csvToParquet(fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'), join(work, 'ldir-nohead.parquet'), { header: false });
    expect(result.rowCount).toBe(24_900);
    expect((await engine.readRows(join(work, 'ldir-nohead.parquet'), { offset: 0, limit: 1 }))[0]).toMatchObject({ column1: 'komnr', column3: 'orgnr' });
  });

  it('gives no semantic type when the values fail the check digit', async () => {
    const { result } = await convert('bad-orgnr.csv', 'orgnr;navn\n100000000;A\n200000000;B\n');
    expect(column(result, 'orgnr')).toMatchObject({ type: 'VARCHAR', keptAsText: 'identifier_name' });
    expect(column(result, 'orgnr').semanticType).toBeUndefined();
    const good = await convert('good-orgnr.csv', 'orgnr;navn\n100000008;A\n200000005;B\n');
    expect(column(good.result, 'orgnr').semanticType).toBe('orgnr');
  });

  it('never puts values from the file or server paths in errors', async () => {
    const cases: [string, string, string][] = [
      ['secret-ragged.csv', 'navn;kode\nHEMMELIG;1\nHEMMELIG;2;3\n', 'ragged_rows'],
      ['secret-quote.csv', 'navn;kode\n"HEMMELIG"x;1\n', 'invalid_csv'],
    ];
    for (const [name, text, code] of cases) {
      const p = join(work, name);
      await writeFile(p, text);
      const err = await engine.csvToParquet(p, join(work, `${name}.parquet`), { quote: '"' }).then(() => undefined, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(EngineError);
      expect((err as EngineError).code, name).toBe(code);
      const shown = `${(err as EngineError).message} ${JSON.stringify((err as EngineError).params)}`;
      expect(shown).not.toContain('HEMMELIG');
      expect(shown).not.toContain(work);
      expect((err as EngineError).status).toBe(422);
    }
  });
});

describe('detected options read the real files the same way again', () => {
  for (const name of ['ldir_pristilskudd_jordbruksforetak_2022.csv', 'ssb_klass131_kommuner_2024_latin1.csv', 'bring_postnummerregister_2025_ansi.txt', 'kmd_partistotte_2014.original.csv']) {
    it(name, async () => {
      const first = await engine.csvToParquet(fixture(name), join(work, `rt1-${name}.parquet`));
      const second = await engine.csvToParquet(fixture(name), join(work, `rt2-${name}.parquet`), first.detected);
      expect(second).toEqual(first);
      expect(await engine.readRows(join(work, `rt2-${name}.parquet`), { offset: 0, limit: 10_000 }))
        .toEqual(await engine.readRows(join(work, `rt1-${name}.parquet`), { offset: 0, limit: 10_000 }));
    });
  }
});
