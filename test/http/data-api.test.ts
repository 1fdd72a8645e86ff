// HTTP tests of the data API (src/data-api) on a fresh database (SQLite, or PostgreSQL with DATABASE_URL) and the real
// DuckDB engine: every filter operator against the same filter computed here, sort, fields, keyset paging with ties,
// counts, aggregates, versions, every output format read back with a real parser, downloads with ETag, Range and
// gzip, access (401/403, audit), and the RowRestriction applied to every query of the layer.
import { gunzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import type { RowRestriction } from '../../src/access/data-access';
import { createQueryLayer } from '../../src/data-api/layer';
import { parseRowsQuery } from '../../src/data-api/query';
import { csvStream } from '../../src/data-api/writers';
import { createTestApp, bearerFor, type TestApp, multipart } from '../helpers/app';

const ORG = '981544315';
let t: TestApp;
let editor: string;
let outsider: string;
let publicId: string;
let restrictedId: string;

interface Row { antall: number; gruppe: string; kommunenummer: string; belop: number; dato: string; tid: string; aktiv: boolean; merknad: string | null }

const GROUPS = ['Oslo', 'Bergen', 'Tromsø'];
const NOTES = ['=SUM(A1)', '+47 22 00 00 00', '-rabatt', '@kunde', 'a, b og c', 'sitat "her"', 'vanlig'];
/** 60 rows with ties in gruppe and dato, nulls in merknad, negative numbers and text that looks like formulas. */
const ROWS: Row[] = Array.from({ length: 60 }, (_, i) => ({
  antall: i * 7 - 100,
  gruppe: GROUPS[i % 3] as string,
  kommunenummer: ['0301', '4601', '5501', '1103'][i % 4] as string,
  belop: Math.round((i * 13.37 - 200) * 100) / 100,
  dato: `2024-0${(i % 9) + 1}-1${i % 10}`,
  tid: `2024-05-0${(i % 9) + 1} 1${i % 10}:30:00`,
  aktiv: i % 2 === 0,
  merknad: i % 5 === 0 ? null : (NOTES[i % NOTES.length] as string),
}));
const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const CSV = Buffer.from(
  `antall,gruppe,kommunenummer,belop,dato,tid,aktiv,merknad\n${ROWS.map((r) => [String(r.antall), r.gruppe, r.kommunenummer, String(r.belop), r.dato, r.tid, String(r.aktiv), csvCell(r.merknad ?? '')].join(',')).join('\n')}\n`,
);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const rowsUrl = (q = '', id = publicId, table = 'tall') => `/api/v1/datasets/${id}/tables/${table}/rows${q ? `?${q}` : ''}`;
const get = async (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });
const json = async (q: string) => {
  const res = await get(rowsUrl(q));
  expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
  return res.json() as { rows: Record<string, unknown>[]; total: number | null; totalExact: boolean; next: string | null; version: number };
};
const antall = (rows: Record<string, unknown>[]) => rows.map((r) => r.antall);
const expected = (pred: (r: Row) => boolean) => ROWS.filter(pred).map((r) => r.antall);

async function upload(datasetId: string, name: string, content: Buffer) {
  const body = multipart({ name }, { name: `${name}.csv`, content });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, ...auth(editor) }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
  await t.services.jobs.drain(60_000);
}

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: 'https://data.example.no' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Landbruksdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: '971526920', name: 'Statistisk sentralbyrå' });
  await accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await accounts.createUser({ email: 'outsider@example.no', password: 'correct horse battery', name: 'Outsider' });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, '971526920', { email: 'outsider@example.no', role: 'admin' });
  editor = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsider = await bearerFor(t.services, 'outsider@example.no', ['read']);
  const base = { orgnr: ORG, description: { nb: 'Tall.' }, licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@example.no' } };
  const pub = await catalog.createDataset(CLI_ACTOR, { ...base, title: { nb: 'Tall for testing' }, accessRights: 'PUBLIC' });
  await catalog.publishDataset(CLI_ACTOR, pub.id);
  publicId = pub.id;
  const restricted = await catalog.createDataset(CLI_ACTOR, { ...base, title: { nb: 'Begrensede tall' }, accessRights: 'RESTRICTED' });
  await catalog.publishDataset(CLI_ACTOR, restricted.id);
  restrictedId = restricted.id;
  await upload(publicId, 'tall', CSV);
  await upload(restrictedId, 'tall', CSV);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('the table as ingested', () => {
  it('has the column types the filters are typed by', async () => {
    const table = (await get(`/api/v1/datasets/${publicId}/tables/tall`)).json();
    expect(Object.fromEntries(table.columns.map((c: { name: string; type: string }) => [c.name, c.type]))).toEqual({
      antall: 'BIGINT', gruppe: 'VARCHAR', kommunenummer: 'VARCHAR', belop: 'DOUBLE', dato: 'DATE', tid: 'TIMESTAMP', aktiv: 'BOOLEAN', merknad: 'VARCHAR',
    });
  });
});

describe('filters', () => {
  const all = { _size: '1000' };
  const q = (extra: string) => `${new URLSearchParams(all).toString()}&${extra}`;
  const cases: [string, (r: Row) => boolean][] = [
    ['gruppe=Bergen', (r) => r.gruppe === 'Bergen'],
    ['kommunenummer=0301', (r) => r.kommunenummer === '0301'],
    ['antall=-100', (r) => r.antall === -100],
    ['aktiv=true', (r) => r.aktiv],
    ['dato=2024-03-12', (r) => r.dato === '2024-03-12'],
    ['gruppe__ne=Oslo', (r) => r.gruppe !== 'Oslo'],
    ['merknad__ne=vanlig', (r) => r.merknad !== 'vanlig'],
    ['antall__gt=200', (r) => r.antall > 200],
    ['antall__gte=201', (r) => r.antall >= 201],
    ['belop__lt=-100.5', (r) => r.belop < -100.5],
    ['belop__lte=0', (r) => r.belop <= 0],
    ['dato__gte=2024-05-01', (r) => r.dato >= '2024-05-01'],
    ['tid__lt=2024-05-03T00:00:00', (r) => r.tid < '2024-05-03 00:00:00'],
    ['gruppe__in=Oslo,Troms%C3%B8', (r) => r.gruppe === 'Oslo' || r.gruppe === 'Tromsø'],
    ['antall__in=-100,-93,5', (r) => [-100, -93, 5].includes(r.antall)],
    [`merknad__in=${encodeURIComponent('a\\, b og c')},vanlig`, (r) => r.merknad === 'a, b og c' || r.merknad === 'vanlig'],
    ['merknad__contains=SUM', (r) => (r.merknad ?? '').toLowerCase().includes('sum')],
    ['gruppe__startswith=ber', (r) => r.gruppe.toLowerCase().startsWith('ber')],
    ['merknad__isnull=true', (r) => r.merknad === null],
    ['merknad__isnull=false', (r) => r.merknad !== null],
    ['gruppe=Oslo&antall__gt=0&aktiv=false', (r) => r.gruppe === 'Oslo' && r.antall > 0 && !r.aktiv],
    ['antall__gte=0&antall__lt=100', (r) => r.antall >= 0 && r.antall < 100],
  ];
  for (const [filter, pred] of cases) {
    it(filter, async () => {
      const page = await json(q(filter));
      const want = expected(pred);
      expect(want.length, 'the case selects something').toBeGreaterThan(0);
      expect(antall(page.rows)).toEqual(want);
      expect(page.total).toBe(want.length);
      expect(page.totalExact).toBe(true);
    });
  }

  it('a value of the wrong type is a 400 naming the column and the value', async () => {
    for (const [param, column, value] of [['antall=tolv', 'antall', 'tolv'], ['belop__gt=1,5', 'belop', '1,5'], ['dato=2024-02-30', 'dato', '2024-02-30'], ['aktiv=kanskje', 'aktiv', 'kanskje'], ['tid__lt=i%20morgen', 'tid', 'i morgen'], ['antall__in=1,x', 'antall', 'x'], ['antall=99999999999999999999', 'antall', '99999999999999999999']] as const) {
      const res = await get(rowsUrl(param));
      expect(res.statusCode, param).toBe(400);
      const err = res.json().error;
      expect(err.code).toBe('invalid_request');
      expect(err.message).toContain(`"${column}"`);
      expect(err.message).toContain(JSON.stringify(value));
    }
  });

  it('unknown columns, operators and parameters are a 400 naming them; repeated ones too', async () => {
    const cases: [string, string][] = [
      ['kommunenr=0301', 'kommunenr'],
      ['gruppe__like=Os', '__like'],
      ['_limit=5', '_limit'],
      ['_sort=nope', 'nope'],
      ['_fields=gruppe,nope', 'nope'],
      ['_group=nope', 'nope'],
      ['_agg=sum:gruppe', 'gruppe'],
      ['_agg=median:belop', 'median:belop'],
      ['antall__contains=1', 'antall'],
      ['gruppe=Oslo&gruppe=Bergen', 'gruppe'],
      ['_count=maybe', '_count'],
      ['_format=pdf', '_format'],
      ['merknad__in=a\\b', '_'],
    ];
    for (const [param, named] of cases) {
      const res = await get(rowsUrl(param));
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error.message, param).toContain(named === '_' ? 'backslash' : named);
    }
  });

  it('_size: 1–10,000 (10,001 is a 400), default 100', async () => {
    expect((await get(rowsUrl('_size=10001'))).statusCode).toBe(400);
    expect((await get(rowsUrl('_size=10001'))).json().error.message).toContain('_size');
    expect((await get(rowsUrl('_size=0'))).statusCode).toBe(400);
    expect((await json('_size=10000')).rows).toHaveLength(60);
    expect((await json('')).rows).toHaveLength(60);
  });
});

describe('sort, fields and keyset paging', () => {
  it('sorts by several columns, "-" descending, ties in file order', async () => {
    const page = await json('_size=1000&_sort=gruppe,-antall');
    const want = [...ROWS].sort((a, b) => (a.gruppe < b.gruppe ? -1 : a.gruppe > b.gruppe ? 1 : b.antall - a.antall)).map((r) => r.antall);
    expect(antall(page.rows)).toEqual(want);
  });

  it('NULLs sort last in both directions', async () => {
    for (const sort of ['merknad', '-merknad']) {
      const page = await json(`_size=1000&_sort=${sort}&_fields=merknad`);
      const values = page.rows.map((r) => r.merknad);
      const firstNull = values.indexOf(null);
      expect(values.slice(firstNull).every((v) => v === null), sort).toBe(true);
      expect(firstNull).toBe(60 - ROWS.filter((r) => r.merknad === null).length);
    }
  });

  it('_fields returns those columns in that order', async () => {
    const page = await json('_size=2&_fields=belop,gruppe');
    expect(Object.keys(page.rows[0] ?? {})).toEqual(['belop', 'gruppe']);
  });

  it('pages through ties with no duplicates or gaps, pinned to the version', async () => {
    for (const sort of ['gruppe', '-aktiv,gruppe', 'dato', '-merknad', '']) {
      const seen: unknown[] = [];
      let url: string | null = `https://data.example.no${rowsUrl(`_size=7&_fields=antall${sort ? `&_sort=${sort}` : ''}&merknad__ne=vanlig`)}`;
      let pages = 0;
      while (url) {
        const res = await get(url.replace('https://data.example.no', ''));
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json();
        seen.push(...antall(page.rows));
        url = page.next;
        if (url) expect(url).toContain('_version=1');
        pages += 1;
      }
      const want = expected((r) => r.merknad !== 'vanlig');
      expect([...seen].sort(), sort).toEqual([...want].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBe(Math.ceil(want.length / 7));
    }
  });

  it('refuses a cursor that is malformed, or from another query or version', async () => {
    const first = await json('_size=5&_sort=gruppe');
    const cursor = new URL(first.next as string).searchParams.get('_cursor') as string;
    expect((await get(rowsUrl(`_cursor=${cursor}&_sort=gruppe&_size=5`))).statusCode).toBe(200);
    for (const q of [`_cursor=${cursor}&_sort=-gruppe`, `_cursor=${cursor}`, `_cursor=${cursor}&_sort=gruppe&gruppe=Oslo`, '_cursor=bm90LWEtY3Vyc29y', '_cursor=%%%', `_cursor=${cursor}&_sort=gruppe&_offset=5`]) {
      const res = await get(rowsUrl(q));
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.message).toContain('_cursor');
    }
  });

  it('keeps _offset for older clients', async () => {
    const page = await get(rowsUrl('_size=3&_offset=57'));
    expect(page.json()).toMatchObject({ offset: 57, size: 3, total: 60, next: null });
    expect(antall(page.json().rows)).toEqual(ROWS.slice(57).map((r) => r.antall));
  });
});

describe('counts and aggregates', () => {
  it('_count exact, estimate (exact on small tables) and none', async () => {
    expect((await json('_size=2&gruppe=Oslo')).total).toBe(20);
    expect(await json('_size=2&gruppe=Oslo&_count=estimate')).toMatchObject({ total: 20, totalExact: true });
    expect(await json('_size=2&gruppe=Oslo&_count=none')).toMatchObject({ total: null, totalExact: false });
    expect((await json('_size=2&_count=none')).total).toBe(null);
  });

  it('groups with count, sum, avg, min and max; filters apply first', async () => {
    const page = await json('_group=gruppe&_agg=count,sum:antall,avg:belop,min:dato,max:merknad&aktiv=true');
    const want = [...GROUPS].sort().map((g) => {
      const rs = ROWS.filter((r) => r.gruppe === g && r.aktiv);
      const notes = rs.map((r) => r.merknad).filter((m): m is string => m !== null).sort();
      return {
        gruppe: g, count: rs.length, 'sum:antall': rs.reduce((s, r) => s + r.antall, 0),
        'avg:belop': rs.reduce((s, r) => s + r.belop, 0) / rs.length, 'min:dato': rs.map((r) => r.dato).sort()[0], 'max:merknad': notes[notes.length - 1],
      };
    });
    expect(page.rows).toHaveLength(3);
    page.rows.forEach((row, i) => {
      const w = want[i] as Record<string, unknown>;
      expect(row).toMatchObject({ gruppe: w.gruppe, count: w.count, 'sum:antall': w['sum:antall'], 'min:dato': w['min:dato'], 'max:merknad': w['max:merknad'] });
      expect(row['avg:belop'] as number).toBeCloseTo(w['avg:belop'] as number, 9);
    });
    expect(page.total).toBe(3);
  });

  it('totals without _group, sorting by an aggregate, and paging groups', async () => {
    expect((await json('_agg=count,max:antall')).rows).toEqual([{ count: 60, 'max:antall': 313 }]);
    const byCount = await json('_group=kommunenummer,aktiv&_sort=-count,kommunenummer&_size=3');
    expect(byCount.rows).toHaveLength(3);
    expect(byCount.next).toContain('_offset=3');
    const rest = await get((byCount.next as string).replace('https://data.example.no', ''));
    expect(rest.json().rows.length).toBeGreaterThan(0);
  });
});

describe('versions', () => {
  it('reads a given version; latest by default; an unknown version is a 404', async () => {
    const v2 = Buffer.from('antall,gruppe\n1,Ny\n2,Ny\n');
    await upload(publicId, 'versjoner', CSV);
    await upload(publicId, 'versjoner', v2);
    const latest = (await get(rowsUrl('', publicId, 'versjoner'))).json();
    expect(latest).toMatchObject({ version: 2, total: 2 });
    const first = (await get(rowsUrl('_version=1&_size=5', publicId, 'versjoner'))).json();
    expect(first).toMatchObject({ version: 1, total: 60 });
    expect(first.next).toContain('_version=1');
    expect((await get(rowsUrl('_version=3', publicId, 'versjoner'))).statusCode).toBe(404);
    expect((await get(rowsUrl('_version=x', publicId, 'versjoner'))).statusCode).toBe(400);
    // Columns are the version's: v2 has no belop.
    expect((await get(rowsUrl('_version=2&belop=1', publicId, 'versjoner'))).statusCode).toBe(400);
    expect((await get(rowsUrl('_version=1&belop__gt=100', publicId, 'versjoner'))).statusCode).toBe(200);
  });
});

describe('formats', () => {
  it('NDJSON by Accept and _format', async () => {
    for (const headers of [{ accept: 'application/x-ndjson' }, {}] as Record<string, string>[]) {
      const res = await get(rowsUrl(`_size=3&_fields=antall,gruppe${'accept' in headers ? '' : '&_format=ndjson'}`), headers);
      expect(res.headers['content-type']).toContain('application/x-ndjson');
      expect(res.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual(ROWS.slice(0, 3).map((r) => ({ antall: r.antall, gruppe: r.gruppe })));
      expect(res.headers.link).toMatch(/_cursor=.*rel="next"/);
      expect(res.headers['x-total-count']).toBe('60');
    }
  });

  it('CSV makes formula-like text safe, quotes commas and quotes, keeps negative numbers', async () => {
    const res = await get(rowsUrl('_size=13&_fields=antall,merknad'), { accept: 'text/csv' });
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="tall-for-testing-[0-9a-f]{8}_tall_v1_rows\.csv"/);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('antall,merknad');
    expect(lines.slice(1, 8)).toEqual(['-100,', "-93,'+47 22 00 00 00", "-86,'-rabatt", "-79,'@kunde", '-72,"a, b og c"', '-65,', '-58,vanlig']);
    expect(lines[13]).toBe('-16,"sitat ""her"""');
  });

  it('XLSX (exceljs reads it back) and Parquet (DuckDB reads it back)', async () => {
    const x = await get(rowsUrl('_size=4&_sort=-antall&_fields=antall,gruppe,dato&_format=xlsx'));
    expect(x.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0] as ExcelJS.Worksheet;
    expect(sheet.getRow(1).values).toEqual([undefined, 'antall', 'gruppe', 'dato']);
    const top = [...ROWS].sort((a, b) => b.antall - a.antall)[0] as Row;
    expect(sheet.getRow(2).getCell(1).value).toBe(top.antall);
    expect((sheet.getRow(2).getCell(3).value as Date).toISOString().slice(0, 10)).toBe(top.dato);
    expect(sheet.rowCount).toBe(5);

    const p = await get(rowsUrl('_size=4&_sort=-antall&_fields=antall,gruppe'), { accept: 'application/vnd.apache.parquet' });
    expect(p.statusCode).toBe(200);
    expect(p.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    const fs = await import('node:fs');
    const file = `${t.services.platform.config.dataDir}/read-back.parquet`;
    fs.writeFileSync(file, p.rawPayload);
    const back = await t.services.platform.engine.withConnection(async (c) => (await c.runAndReadAll(`SELECT antall, gruppe FROM read_parquet('${file}')`)).getRowObjectsJson());
    expect(back).toEqual([...ROWS].sort((a, b) => b.antall - a.antall).slice(0, 4).map((r) => ({ antall: String(r.antall), gruppe: r.gruppe })));
  });

  it('aggregates in CSV', async () => {
    const res = await get(rowsUrl('_group=gruppe&_format=csv'));
    expect(res.body).toBe('gruppe,count\r\nBergen,20\r\nOslo,20\r\nTromsø,20\r\n');
  });
});

describe('downloads', () => {
  const dl = (version: string, format: string, id = publicId) => `/api/v1/datasets/${id}/tables/tall/download/${version}/${format}`;

  it('the original file, byte for byte, with a name that says what it is', async () => {
    const res = await get(dl('latest', 'original'));
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(CSV)).toBe(true);
    expect(res.headers['content-disposition']).toMatch(/filename="tall-for-testing-[0-9a-f]{8}_tall_v1_original\.csv"/);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect((await get(dl('1', 'original'))).rawPayload.equals(CSV)).toBe(true);
  });

  it('conversions: CSV, JSON, Parquet, XLSX', async () => {
    const csv = await get(dl('latest', 'csv'));
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\n');
    expect(lines).toHaveLength(61);
    expect(lines[0]).toBe('antall,gruppe,kommunenummer,belop,dato,tid,aktiv,merknad');
    expect(csv.body).toContain("'=SUM(A1)");
    expect(csv.body).not.toMatch(/,=SUM/);
    expect(csv.headers['content-disposition']).toMatch(/_tall_v1\.csv"/);

    const j = await get(dl('1', 'json'));
    const rows = j.json() as Record<string, unknown>[];
    expect(rows).toHaveLength(60);
    expect(rows[1]).toMatchObject({ antall: ROWS[1]?.antall, gruppe: ROWS[1]?.gruppe, kommunenummer: ROWS[1]?.kommunenummer, dato: ROWS[1]?.dato });

    const p = await get(dl('latest', 'parquet'));
    expect(p.rawPayload.subarray(0, 4).toString()).toBe('PAR1');

    const x = await get(dl('latest', 'xlsx'));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets[0]?.rowCount).toBe(61);
    expect(wb.worksheets[0]?.getRow(2).getCell(8).value).toBe(null);
    expect(wb.worksheets[0]?.getRow(3).getCell(8).value).toBe('+47 22 00 00 00');
  });

  it('ETag from version and format: If-None-Match gives 304', async () => {
    const first = await get(dl('latest', 'csv'));
    const etag = first.headers.etag as string;
    const table = (await get(`/api/v1/datasets/${publicId}/tables/tall`)).json();
    expect(etag).toBe(`"${table.currentVersion.id}.csv"`);
    expect((await get(dl('latest', 'csv'), { 'if-none-match': etag })).statusCode).toBe(304);
    expect((await get(dl('1', 'csv'), { 'if-none-match': `"x", ${etag}` })).statusCode).toBe(304);
    expect((await get(dl('latest', 'parquet'), { 'if-none-match': etag })).statusCode).toBe(200);
  });

  it('Range: 206 with Content-Range, 416 past the end, whole file for several ranges', async () => {
    for (const format of ['original', 'csv']) {
      const whole = (await get(dl('latest', format))).rawPayload;
      const part = await get(dl('latest', format), { range: 'bytes=10-19' });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${whole.length}`);
      expect(part.rawPayload.equals(whole.subarray(10, 20))).toBe(true);
      const tail = await get(dl('latest', format), { range: 'bytes=-5' });
      expect(tail.rawPayload.equals(whole.subarray(whole.length - 5))).toBe(true);
      const past = await get(dl('latest', format), { range: `bytes=${whole.length}-` });
      expect(past.statusCode).toBe(416);
      expect(past.headers['content-range']).toBe(`bytes */${whole.length}`);
      expect((await get(dl('latest', format), { range: 'bytes=0-1,5-6' })).statusCode).toBe(200);
    }
  });

  it('gzip for CSV and JSON when Accept-Encoding allows it', async () => {
    const plain = await get(dl('latest', 'csv'));
    const zipped = await get(dl('latest', 'csv'), { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('Accept-Encoding');
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect((await get(dl('latest', 'parquet'), { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
  });

  it('unknown version, format or table: 404/400', async () => {
    expect((await get(dl('9', 'csv'))).statusCode).toBe(404);
    expect((await get(dl('latest', 'pdf'))).statusCode).toBe(400);
    expect((await get(dl('-1', 'csv'))).statusCode).toBe(400);
    expect((await get(`/api/v1/datasets/${publicId}/tables/nope/download/latest/csv`)).statusCode).toBe(404);
  });
});

describe('access', () => {
  it('non-open data: 401 anonymous, 403 outsider, 200 member with every read audited with its row count', async () => {
    for (const url of [rowsUrl('', restrictedId), `/api/v1/datasets/${restrictedId}/tables/tall/download/latest/csv`]) {
      expect((await get(url)).statusCode).toBe(401);
      expect((await get(url, auth(outsider))).statusCode).toBe(403);
      expect((await get(url, auth(editor))).statusCode).toBe(200);
    }
    // A 304 is still behind the door.
    const etag = (await get(`/api/v1/datasets/${restrictedId}/tables/tall/download/latest/csv`, auth(editor))).headers.etag as string;
    expect((await get(`/api/v1/datasets/${restrictedId}/tables/tall/download/latest/csv`, { 'if-none-match': etag })).statusCode).toBe(401);
    await get(rowsUrl('_size=5&gruppe=Oslo', restrictedId), auth(editor));
    const entries = await t.services.platform.dbh.db.selectFrom('audit_log').selectAll().where('action', 'in', ['table.read', 'table.download']).orderBy('at').execute();
    const details = entries.map((e) => JSON.parse(e.details));
    expect(details.some((d) => d.rows === 5 && d.filters === 1 && d.basis === 'member')).toBe(true);
    expect(details.some((d) => d.format === 'csv' && d.rows === 60)).toBe(true);
    // Public reads are not audited.
    expect(details.every((d) => d.datasetId === restrictedId)).toBe(true);
  });

  it('a RowRestriction is ANDed into every page, count, aggregate and export of the layer', async () => {
    const r = await t.services.dataApi.resolve(CLI_ACTOR, publicId, 'tall');
    const layer = createQueryLayer(t.services.platform.engine);
    const restriction: RowRestriction = { column: 'kommunenummer', values: ['0301', '5501'], consentIds: ['c-1'] };
    const allowed = (row: Row) => row.kommunenummer === '0301' || row.kommunenummer === '5501';
    const spec = (q: Record<string, string>) => parseRowsQuery(q, r.columns, r.version.id).spec;

    const page = await layer.page(r.parquet, r.columns, spec({ _size: '1000', _fields: 'antall' }), restriction);
    expect(page.rows.map((x) => x[0])).toEqual(expected(allowed));
    const filtered = await layer.page(r.parquet, r.columns, spec({ _size: '1000', _fields: 'antall', gruppe: 'Oslo', _sort: '-antall' }), restriction);
    expect(filtered.rows.map((x) => x[0])).toEqual(expected((x) => allowed(x) && x.gruppe === 'Oslo').reverse());
    expect(await layer.count(r.parquet, r.columns, spec({}), restriction)).toBe(expected(allowed).length);
    expect(await layer.count(r.parquet, r.columns, spec({ aktiv: 'true' }), restriction)).toBe(expected((x) => allowed(x) && x.aktiv).length);
    const agg = await layer.aggregate(r.parquet, r.columns, spec({ _group: 'kommunenummer' }), restriction);
    expect(agg.rows).toEqual([['0301', 15], ['5501', 15]]);
    const exported: unknown[] = [];
    for await (const batch of layer.exportBatches(r.parquet, r.columns, restriction)) exported.push(...batch.map((x) => x[0]));
    expect(exported).toEqual(expected(allowed));
    // The restricted reader's download path: DuckDB chunks → the CSV writer, and DuckDB's own COPY to Parquet.
    let csv = '';
    for await (const chunk of csvStream(['antall'], layer.exportBatches(r.parquet, r.columns, restriction, { fields: r.columns.filter((c) => c.name === 'antall') }))) csv += String(chunk);
    expect(csv.trim().split('\r\n').slice(1).map(Number)).toEqual(expected(allowed));
    const target = `${t.services.platform.config.dataDir}/restricted.parquet`;
    await layer.copy(r.parquet, r.columns, restriction, 'parquet', target);
    const back = await t.services.platform.engine.withConnection(async (c) => (await c.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet('${target}')`)).getRowObjectsJson());
    expect(back).toEqual([{ n: expected(allowed).length }]);
    // A restriction on a column the version lacks matches nothing (fail closed).
    expect(await layer.count(r.parquet, r.columns, spec({}), { column: 'fnr', values: ['1'], consentIds: [] })).toBe(0);
    // Hostile values are bound, never spliced into SQL.
    expect(await layer.count(r.parquet, r.columns, spec({}), { column: 'kommunenummer', values: ["0301') OR TRUE --"], consentIds: [] })).toBe(0);
  });

  it('hostile filter values are bound parameters', async () => {
    for (const v of ["Oslo' OR '1'='1", 'Oslo"; DROP TABLE x; --', '%', '\\\\']) {
      const page = await json(`gruppe=${encodeURIComponent(v)}`);
      expect(page.rows).toHaveLength(0);
    }
    expect((await json(`merknad__contains=${encodeURIComponent('%')}`)).rows).toHaveLength(0);
  });
});

describe('distributions carry real download URLs, for PUBLIC datasets only', () => {
  it('in the JSON API and in DCAT, and the URL downloads the CSV', async () => {
    const open = (await get(`/api/v1/datasets/${publicId}`)).json();
    const dist = open.distributions.find((d: { tableName: string | null }) => d.tableName === 'tall');
    expect(dist.downloadUrl).toBe(`/api/v1/datasets/${publicId}/tables/tall/download/latest/csv`);
    const csv = await get(dist.downloadUrl);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\n')).toHaveLength(62);
    const hidden = (await get(`/api/v1/datasets/${restrictedId}`, auth(editor))).json();
    expect(hidden.distributions.find((d: { tableName: string | null }) => d.tableName === 'tall').downloadUrl).toBe(null);

    const nt = (await get(`/datasets/${publicId}.nt`)).body;
    expect(nt).toContain(`<http://www.w3.org/ns/dcat#downloadURL> <https://data.example.no/api/v1/datasets/${publicId}/tables/tall/download/latest/csv>`);
    expect(nt).toContain('<http://publications.europa.eu/resource/authority/file-type/CSV>');
    expect((await get(`/datasets/${restrictedId}.nt`)).body).not.toContain('downloadURL');
  });
});

describe('OpenAPI', () => {
  it('documents the rows route parameters and the download route', async () => {
    const doc = (await get('/api/v1/openapi.json')).json();
    const rows = doc.paths['/api/v1/datasets/{id}/tables/{table}/rows'].get;
    const names = rows.parameters.map((p: { name: string }) => p.name);
    for (const n of ['_sort', '_fields', '_size', '_cursor', '_count', '_group', '_agg', '_version', '_format']) expect(names).toContain(n);
    expect(rows.description).toContain('__startswith');
    expect(rows.description).toContain('\\,');
    const download = doc.paths['/api/v1/datasets/{id}/tables/{table}/download/{version}/{format}'].get;
    expect(download.description).toContain('If-None-Match');
  });
});
