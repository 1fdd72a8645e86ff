// The analysis workbench (issue 11.3): saved queries and their sharing rule, charts from results, exports (CSV,
// Parquet, XLSX, the ML bundle with its data card) on the API and the /sql pages. One open table, one RESTRICTED table
// whose rows carry a marker; an owner editor, an outsider of another organisation, anonymous callers. A shared query
// that reads the restricted table is a 404 to the outsider — the same answer as an id that does not exist, and
// nothing of it (title, SQL text naming the table, values) reaches them.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { sqlTableName } from '../../src/sql/model';
import { bearerFor, cookieHeader, createTestApp, csrfFromPage, form, FORM_HEADERS, multipart, signIn, type SignedIn, type TestApp } from '../helpers/app';

const ORG = '974760673';
const OTHER = '971526920';
const MARK = 'HEMMELIG9917';
const PASSWORD = 'correct horse battery';

let t: TestApp;
let editor: string;
let outsider: string;
let editorSession: SignedIn;
let outsiderSession: SignedIn;
const names = { kommuner: '', tilskudd: '' };
const ids = { kommuner: '', tilskudd: '' };

async function upload(datasetId: string, name: string, lines: string[]): Promise<void> {
  const body = multipart({ name }, { name: `${name}.csv`, content: Buffer.from(`${lines.join('\n')}\n`) });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${editor}` }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Statistisk sentralbyrå' });
  await organisations.create(CLI_ACTOR, { orgnr: OTHER, name: 'Landbruksdirektoratet' });
  await accounts.createUser({ email: 'editor@example.no', password: PASSWORD, name: 'Editor' });
  await accounts.createUser({ email: 'outsider@example.no', password: PASSWORD, name: 'Outsider' });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, OTHER, { email: 'outsider@example.no', role: 'admin' });
  editor = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsider = await bearerFor(t.services, 'outsider@example.no', ['read', 'write']);
  editorSession = await signIn(t.app, { email: 'editor@example.no', password: PASSWORD });
  outsiderSession = await signIn(t.app, { email: 'outsider@example.no', password: PASSWORD });
  const make = async (title: string, accessRights: 'PUBLIC' | 'RESTRICTED') => {
    const ds = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: title }, description: { nb: `${title}.` }, accessRights, licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@example.no' } });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    return ds;
  };
  const k = await make('Kommuner i Norge', 'PUBLIC');
  const r = await make('Tilskudd til foretak', 'RESTRICTED');
  ids.kommuner = k.id;
  ids.tilskudd = r.id;
  await upload(k.id, 'kommuner', ['kommunenummer;navn;fylke;innbyggere;areal', '0301;Oslo;03;717710;454,0', '1103;Stavanger;11;149048;262,5', '4601;Bergen;46;291940;464,7', '1108;Sandnes;11;83726;303,4', '5001;Trondheim;50;214565;341,9']);
  await upload(r.id, 'tilskudd', ['kommunenummer;mottaker;belop', `0301;${MARK} AS;1000`, `1103;${MARK} Stavanger;2500`]);
  await t.services.jobs.drain(60_000);
  names.kommuner = sqlTableName({ id: k.id, orgnr: ORG, title: k.title }, 'kommuner');
  names.tilskudd = sqlTableName({ id: r.id, orgnr: ORG, title: r.title }, 'tilskudd');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });
const openSql = () => `SELECT fylke, sum(innbyggere) AS innbyggere FROM "${names.kommuner}" GROUP BY fylke ORDER BY fylke`;
const restrictedSql = () => `SELECT k.navn, t.belop FROM "${names.tilskudd}" t JOIN "${names.kommuner}" k USING (kommunenummer) ORDER BY k.navn`;

async function save(token: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/v1/queries', headers: json(token), payload: JSON.stringify(body) });
}

describe('saved queries (API)', () => {
  it('saves a query with a chart, lists it, runs it in every format; the owner changes and deletes it', async () => {
    const res = await save(editor, { title: 'Innbyggere per fylke', sql: openSql(), chart: { kind: 'bar', x: 'fylke', y: 'innbyggere' }, sharing: 'private' });
    expect(res.statusCode, res.body).toBe(201);
    const saved = res.json();
    expect(saved).toMatchObject({ title: 'Innbyggere per fylke', sharing: 'private', chart: { kind: 'bar', x: 'fylke', y: 'innbyggere' }, inputs: [names.kommuner], mine: true });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/queries', headers: bearer(editor) });
    expect(list.json().items.map((q: { id: string }) => q.id)).toContain(saved.id);

    const result = await t.app.inject({ method: 'GET', url: saved.links.result, headers: bearer(editor) });
    expect(result.statusCode).toBe(200);
    expect(result.json().rows).toEqual([['03', 717710], ['11', 232774], ['46', 291940], ['50', 214565]]);
    const csv = await t.app.inject({ method: 'GET', url: `${saved.links.result}?_format=csv`, headers: bearer(editor) });
    expect(csv.headers['content-disposition']).toContain('innbyggere-per-fylke.csv');
    expect(csv.body.split('\r\n')[1]).toBe('03,717710');

    const parquet = await t.app.inject({ method: 'GET', url: `${saved.links.result}?_format=parquet`, headers: bearer(editor) });
    expect(parquet.statusCode).toBe(200);
    expect(parquet.headers['content-type']).toContain('application/vnd.apache.parquet');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'df-wb-'));
    const file = path.join(dir, 'r.parquet');
    await fs.writeFile(file, parquet.rawPayload);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const read = await conn.runAndReadAll(`SELECT fylke, innbyggere, typeof(fylke) AS tf, typeof(innbyggere) AS ti FROM read_parquet('${file}') ORDER BY fylke`);
    // sum() of BIGINT is a HUGEINT, which Parquet cannot hold: it is kept exact as DECIMAL(38,0), not made a DOUBLE.
    const first = read.getRowObjectsJson()[0]!;
    expect(first).toMatchObject({ fylke: '03', tf: 'VARCHAR', ti: 'DECIMAL(38,0)' });
    expect(Number(first.innbyggere)).toBe(717710);
    conn.closeSync();
    await fs.rm(dir, { recursive: true, force: true });

    const xlsx = await t.app.inject({ method: 'GET', url: `${saved.links.result}?_format=xlsx`, headers: bearer(editor) });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.getRow(2).values).toEqual([undefined, '03', 717710]);

    const put = await t.app.inject({ method: 'PUT', url: saved.links.self, headers: json(editor), payload: JSON.stringify({ title: 'Folk per fylke', chart: { kind: 'line', x: 'fylke', y: 'innbyggere' } }) });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ title: 'Folk per fylke', chart: { kind: 'line' }, sql: openSql() });
    const del = await t.app.inject({ method: 'DELETE', url: saved.links.self, headers: bearer(editor) });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: saved.links.self, headers: bearer(editor) })).statusCode).toBe(404);
  });

  it('refuses bad input with a clear error and saves nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/queries', headers: bearer(editor) })).json().items.length;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ title: '', sql: openSql() }, 422, 'title_missing'],
      [{ title: 'x'.repeat(201), sql: openSql() }, 422, 'title_too_long'],
      [{ title: 'Feil', sql: 'DELETE FROM x' }, 400, 'sql_not_read_only'],
      [{ title: 'Feil', sql: 'SELECT * FROM read_csv(\'/etc/passwd\')' }, 400, 'sql_function_not_allowed'],
      [{ title: 'Feil', sql: 'SELECT 1 AS a' , chart: { kind: 'bar', x: 'a', y: 'nope' } }, 422, 'chart_column_unknown'],
      [{ title: 'Feil', sql: `SELECT navn, navn AS n2 FROM "${names.kommuner}"`, chart: { kind: 'bar', x: 'navn', y: 'n2' } }, 422, 'chart_y_not_numeric'],
      [{ title: 'Feil', sql: 'SELECT 1 AS a', chart: { kind: 'pie', x: 'a', y: 'a' } }, 400, ''],
      [{ title: 'Feil', sql: 'SELECT 1 AS a', extra: true }, 400, ''],
      [{ title: 'Feil', sql: `SELECT * FROM "${ORG}/finnes-ikke-00000000/x"` }, 400, 'sql_table_not_found'],
    ];
    for (const [body, status, code] of cases) {
      const res = await save(editor, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(JSON.stringify(res.json()), JSON.stringify(body)).toContain(code);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/queries', headers: bearer(editor) })).json().items.length).toBe(before);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/queries', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ title: 'x', sql: 'SELECT 1' }) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/queries' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/queries/../../etc' })).statusCode).toBe(404);
    const long = (await t.app.inject({ method: 'GET', url: `/api/v1/queries/${'x'.repeat(150)}` })).statusCode;
    expect(long >= 400 && long < 500).toBe(true);
  });

  it('a shared query over open data opens for anyone; over restricted data only for readers, and is a 404 like a missing id otherwise', async () => {
    const open = (await save(editor, { title: 'Åpen deling', sql: openSql(), sharing: 'shared' })).json();
    const priv = (await save(editor, { title: 'Privat', sql: openSql(), sharing: 'private' })).json();
    const secret = (await save(editor, { title: `Hemmelig ${MARK}`, sql: restrictedSql(), sharing: 'shared', chart: { kind: 'bar', x: 'navn', y: 'belop' } })).json();
    expect(secret.inputs.sort()).toEqual([names.kommuner, names.tilskudd].sort());
    // Open inputs: anonymous and the outsider see it and its rows.
    expect((await t.app.inject({ method: 'GET', url: open.links.self })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: open.links.result, headers: bearer(outsider) })).json().rows.length).toBe(4);
    expect((await t.app.inject({ method: 'GET', url: open.links.self, headers: bearer(outsider) })).json().mine).toBe(false);
    // Not the owner: may not change or delete it.
    expect((await t.app.inject({ method: 'PUT', url: open.links.self, headers: json(outsider), payload: JSON.stringify({ title: 'Mitt nå' }) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: open.links.self, headers: bearer(outsider) })).statusCode).toBe(403);
    // Private: 404 to others.
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/queries/00000000-0000-4000-8000-000000000000', headers: bearer(outsider) });
    expect(missing.statusCode).toBe(404);
    for (const url of [priv.links.self, priv.links.result, secret.links.self, secret.links.result, secret.links.dataCard, secret.links.mlExport, `/sql/lagret/${secret.id}`, `/sql/lagret/${secret.id}/eksport?format=csv`]) {
      for (const headers of [{}, bearer(outsider)]) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, url).toBe(404);
        expect(res.body).not.toContain(MARK);
        expect(res.body).not.toContain(names.tilskudd);
        expect(res.body).not.toContain('Hemmelig');
      }
    }
    // The outsider's page view is the same 404 page as a missing id.
    const page = await t.app.inject({ method: 'GET', url: `/sql/lagret/${secret.id}`, headers: { cookie: outsiderSession.cookie } });
    const nothing = await t.app.inject({ method: 'GET', url: '/sql/lagret/00000000-0000-4000-8000-000000000000', headers: { cookie: outsiderSession.cookie } });
    expect(page.statusCode).toBe(404);
    expect(page.body.replace(/[0-9a-f-]{36}/g, '')).toBe(nothing.body.replace(/[0-9a-f-]{36}/g, ''));
    // The owner (a reader of the restricted table) sees it; its read is audited by the SQL service.
    const own = await t.app.inject({ method: 'GET', url: secret.links.result, headers: bearer(editor) });
    expect(own.json().rows).toEqual([['Oslo', 1000], ['Stavanger', 2500]]);
  });
});

describe('data card and ML export', () => {
  it('names every input with publisher, licence, access and the version read, and the columns with their sources', async () => {
    const saved = (await save(editor, { title: 'Tilskudd per kommune', description: 'Til modellen.', sql: restrictedSql() })).json();
    const card = (await t.app.inject({ method: 'GET', url: saved.links.dataCard, headers: bearer(editor) })).json();
    expect(card).toMatchObject({ title: 'Tilskudd per kommune', description: 'Til modellen.', rows: 2, truncated: false, query: restrictedSql() });
    expect(card.inputs.map((i: { sqlName: string }) => i.sqlName).sort()).toEqual([names.kommuner, names.tilskudd].sort());
    const tilskudd = card.inputs.find((i: { sqlName: string }) => i.sqlName === names.tilskudd);
    expect(tilskudd.dataset).toMatchObject({ id: ids.tilskudd, title: 'Tilskudd til foretak', publisher: { orgnr: ORG, name: 'Statistisk sentralbyrå' }, licence: 'http://data.norge.no/nlod/no/2.0', accessRights: 'RESTRICTED' });
    expect(tilskudd.version).toMatchObject({ number: 1, rowCount: 2, restricted: false });
    expect(card.columns).toEqual([
      { name: 'navn', type: 'VARCHAR', source: { table: names.kommuner, column: 'navn' } },
      { name: 'belop', type: 'BIGINT', source: { table: names.tilskudd, column: 'belop' } },
    ]);
    expect(card.notes.join(' ')).toContain('not open data');

    const zip = await t.app.inject({ method: 'GET', url: saved.links.mlExport, headers: bearer(editor) });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'data.parquet', 'datacard.json']);
    expect(Buffer.from(files['data.parquet']!).subarray(0, 4).toString()).toBe('PAR1');
    expect(JSON.parse(strFromU8(files['datacard.json']!)).inputs).toHaveLength(2);
    const readme = strFromU8(files['README.md']!);
    expect(readme).toContain('# Tilskudd per kommune');
    expect(readme).toContain('Statistisk sentralbyrå (974760673)');
    expect(readme).toContain('```sql');

    const adhoc = await t.app.inject({ method: 'POST', url: '/api/v1/sql/ml-export', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ sql: openSql(), title: 'Fylker' }) });
    expect(adhoc.statusCode).toBe(200);
    expect(Object.keys(unzipSync(new Uint8Array(adhoc.rawPayload))).sort()).toEqual(['README.md', 'data.parquet', 'datacard.json']);
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/sql/ml-export', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ sql: restrictedSql() }) });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('sql_table_not_found');
    expect(refused.body).not.toContain(MARK);
  });

  it('the SQL API answers Parquet and XLSX too, and an unknown format is a 400 naming it', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/sql?_format=parquet', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ sql: 'SELECT 1 AS a WHERE false' }) });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    const x = await t.app.inject({ method: 'POST', url: '/api/v1/sql', headers: { 'content-type': 'application/json', accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, payload: JSON.stringify({ sql: 'SELECT DATE \'2024-01-01\' AS d, 1.5::DECIMAL(4,1) AS n' }) });
    expect(x.statusCode).toBe(200);
    expect(x.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/sql?_format=pdf', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ sql: 'SELECT 1' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('sql_unsupported_format');
  });
});

describe('the /sql page as workbench', () => {
  it('runs, draws a chart (suggested, then chosen), saves, shows the saved page, exports, and keeps input on errors', async () => {
    const cookie = editorSession.cookie;
    const csrf = await csrfFromPage(t.app, cookie, '/sql');
    const run = await t.app.inject({ method: 'POST', url: '/sql', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql() }) });
    expect(run.statusCode).toBe(200);
    expect(run.body).toContain('class="df-chart df-result-chart"');
    expect(run.body).toContain('innbyggere etter fylke');
    expect(run.body).toContain('Python (pandas)');
    expect(run.body).toContain('name="format" value="parquet"');
    const line = await t.app.inject({ method: 'POST', url: '/sql', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql(), chart_kind: 'line', chart_x: 'fylke', chart_y: 'innbyggere' }) });
    expect(line.body).toContain('class="df-chart-line"');
    const badChart = await t.app.inject({ method: 'POST', url: '/sql', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql(), chart_kind: 'scatter', chart_x: 'fylke', chart_y: 'innbyggere' }) });
    expect(badChart.body).toContain('Et punktdiagram trenger en tallkolonne langs x-aksen.');

    const noTitle = await t.app.inject({ method: 'POST', url: '/sql/lagre', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql(), title: '', description: 'Beholdes', sharing: 'shared' }) });
    expect(noTitle.statusCode).toBe(422);
    expect(noTitle.body).toContain('Gi spørringen en tittel.');
    expect(noTitle.body).toContain('Beholdes');
    expect(noTitle.body).toContain('value="shared" checked');

    const ok = await t.app.inject({ method: 'POST', url: '/sql/lagre', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql(), title: 'Fra siden', sharing: 'private', chart_kind: 'bar', chart_x: 'fylke', chart_y: 'innbyggere' }) });
    expect(ok.statusCode).toBe(303);
    const page = await t.app.inject({ method: 'GET', url: ok.headers.location as string, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Fra siden');
    expect(page.body).toContain('df-result-chart');
    expect(page.body).toContain('/api/v1/queries/');
    const exp = await t.app.inject({ method: 'GET', url: `${ok.headers.location}/eksport?format=xlsx`, headers: { cookie } });
    expect(exp.statusCode).toBe(200);
    expect(exp.headers['content-disposition']).toContain('fra-siden.xlsx');
    const badFormat = await t.app.inject({ method: 'GET', url: `${ok.headers.location}/eksport?format=pdf`, headers: { cookie } });
    expect(badFormat.statusCode).toBe(422);

    const adhoc = await t.app.inject({ method: 'POST', url: '/sql/eksport', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: openSql(), format: 'csv' }) });
    expect(adhoc.statusCode).toBe(200);
    expect(adhoc.body.split('\r\n')[0]).toBe('fylke,innbyggere');
    const writes = await t.app.inject({ method: 'POST', url: '/sql/eksport', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: 'DROP TABLE x', format: 'csv' }) });
    expect(writes.statusCode).toBe(400);
    expect(writes.body).toContain('DROP TABLE x');

    const list = await t.app.inject({ method: 'GET', url: '/sql/lagret', headers: { cookie } });
    expect(list.body).toContain('Fra siden');
    const del = await t.app.inject({ method: 'POST', url: `${ok.headers.location}/slett`, headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf }) });
    expect(del.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: ok.headers.location as string, headers: { cookie } })).statusCode).toBe(404);
    // Without CSRF: refused.
    expect((await t.app.inject({ method: 'POST', url: '/sql/lagre', headers: { ...FORM_HEADERS, cookie }, payload: form({ sql: openSql(), title: 'x' }) })).statusCode).toBe(403);
    // Anonymous: the saved list sends to sign-in.
    expect((await t.app.inject({ method: 'GET', url: '/sql/lagret' })).statusCode).toBe(303);
    expect(cookieHeader).toBeTypeOf('function');
  });
});
