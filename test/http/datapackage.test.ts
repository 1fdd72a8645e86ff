// HTTP tests of the Frictionless export: the Data Package of a dataset (API twin and /datasets/{id}/datapackage.json)
// and the CSV download of a table, for the real fixture tables ingested through the upload API and the job queue.
// Every package is validated against the official v2 profiles (resources/frictionless) with Ajv; any error fails.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { validateDataPackage } from '../../src/interop/datapackage/validate';
import { bearerFor, createTestApp, signIn, type TestApp, multipart } from '../helpers/app';

const fixtures = path.resolve(__dirname, '../fixtures/tables');
const LDIR = '981544315';
const SSB = '971526920';
const BASE = 'https://data.example.no';
const UPLOAD_LIMIT = 4_000_000;

let t: TestApp;
let editor: string;
let outsider: string;
let publicId: string;
let restrictedId: string;
let draftId: string;
let emptyId: string;
let copyId: string;


async function upload(datasetId: string, fields: Record<string, string>, file: { name: string; content: Buffer }): Promise<void> {
  const body = multipart(fields, file);
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${editor}` }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const fixture = (name: string) => ({ name, content: fs.readFileSync(path.join(fixtures, name)) });

// Cells a spreadsheet would run as formulas, quotes, commas, a line break, negative numbers, dates and booleans.
const TRICKY = [
  'navn;belop;dato;aktiv;merknad',
  '=SUM(A1:A9);-5;2024-01-31;true;"sier ""hei"", og går"',
  '+47 22 00 00 00;12;2024-02-01;false;"to',
  'linjer"',
  '@cmd;0;2024-02-02;true;-',
  'Bø i Telemark;-7;2024-02-03;false;',
].join('\n');

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: BASE, UPLOAD_LIMIT: String(UPLOAD_LIMIT) } });
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
  const make = async (title: string, accessRights: 'PUBLIC' | 'RESTRICTED', publish: boolean) => {
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: LDIR,
      title: { nb: title, en: `${title} (en)` },
      description: { nb: `Beskrivelse av ${title}.` },
      keywords: { nb: ['landbruk', 'tilskudd'], en: ['agriculture'] },
      accessRights,
      licence: 'http://data.norge.no/nlod/no/2.0',
      issued: '2023-01-15',
      contactPoint: { email: 'data@example.no' },
    });
    if (publish) await catalog.publishDataset(CLI_ACTOR, ds.id);
    return ds.id;
  };
  publicId = await make('Pristilskudd 2022', 'PUBLIC', true);
  restrictedId = await make('Begrenset', 'RESTRICTED', true);
  draftId = await make('Utkast', 'PUBLIC', false);
  emptyId = await make('Uten tabeller', 'PUBLIC', true);
  copyId = await make('Kopi', 'PUBLIC', true);
  await upload(publicId, { name: 'pristilskudd', title: 'Pristilskudd per foretak' }, fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'));
  await upload(publicId, { name: 'kommuner', title: 'Kommuner 2024' }, fixture('ssb_klass131_kommuner_2024_latin1.csv'));
  await upload(publicId, { name: 'postnummer', sourceOptions: JSON.stringify({ header: false, delimiter: '\t', encoding: 'windows-1252' }) }, fixture('bring_postnummerregister_2025_ansi.txt'));
  await upload(publicId, { name: 'partistotte' }, fixture('kmd_partistotte_2014.original.csv'));
  await upload(publicId, { name: 'tricky', sourceOptions: JSON.stringify({ delimiter: ';', columnTypes: { navn: 'text', merknad: 'text' } }) }, { name: 'tricky.csv', content: Buffer.from(TRICKY) });
  // Ragged records: the ingest fails, the table has no ready version.
  await upload(publicId, { name: 'broken' }, { name: 'broken.csv', content: Buffer.from('a,b\n1,2,3\n4\n') });
  await upload(restrictedId, { name: 'pristilskudd' }, fixture('ldir_pristilskudd_jordbruksforetak_2022.csv'));
  await upload(draftId, { name: 'kommuner' }, fixture('ssb_klass131_kommuner_2024_latin1.csv'));
  await t.services.jobs.drain(120_000);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

interface Pkg {
  name: string;
  resources: { name: string; path: string; schema: { fields: { name: string; type: string; constraints?: { required: boolean }; description?: string; 'x-semanticType'?: string }[]; missingValues: string[] } }[];
  [k: string]: unknown;
}

describe('GET /api/v1/datasets/:id/datapackage', () => {
  it('hides drafts of other organisations (404), answers 404 for unknown datasets and 409 without a ready table', async () => {
    expect((await t.app.inject({ url: `/api/v1/datasets/${draftId}/datapackage` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/datasets/${draftId}/datapackage`, headers: auth(outsider) })).statusCode).toBe(404);
    const unknown = await t.app.inject({ url: '/api/v1/datasets/no-such-dataset/datapackage' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('dataset_not_found');
    const empty = await t.app.inject({ url: `/api/v1/datasets/${emptyId}/datapackage` });
    expect(empty.statusCode).toBe(409);
    expect(empty.json().error.code).toBe('datapackage_no_tables');
    // The draft's own editors get its package.
    const draft = await t.app.inject({ url: `/api/v1/datasets/${draftId}/datapackage`, headers: auth(editor) });
    expect(draft.statusCode).toBe(200);
    expect(validateDataPackage(draft.json())).toEqual([]);
  });

  it('describes the public dataset with one resource per table, valid against the official v2 profiles', async () => {
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/datapackage` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const pkg = res.json() as Pkg;
    expect(validateDataPackage(pkg)).toEqual([]);
    expect(pkg).toMatchObject({
      $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
      name: `datafabrikken-${publicId}`,
      title: 'Pristilskudd 2022',
      description: 'Beskrivelse av Pristilskudd 2022.',
      homepage: `${BASE}/datasett/${publicId}`,
      created: '2023-01-15T00:00:00Z',
      keywords: ['landbruk', 'tilskudd', 'agriculture'],
      licenses: [{ name: 'NLOD_2_0', path: 'http://data.norge.no/nlod/no/2.0' }],
      contributors: [{ title: 'Landbruksdirektoratet', roles: ['publisher'], 'x-orgnr': LDIR }],
    });
    // The failed table has no version to describe: not a resource.
    expect(pkg.resources.map((r) => r.name)).toEqual(['kommuner', 'partistotte', 'postnummer', 'pristilskudd', 'tricky']);
    for (const r of pkg.resources) {
      expect(r).toMatchObject({ type: 'table', format: 'csv', mediatype: 'text/csv', encoding: 'utf-8', dialect: { header: true, delimiter: ',' } });
      expect(r.path).toBe(`${BASE}/api/v1/datasets/${publicId}/tables/${r.name}/rows.csv`);
      expect(r.schema.missingValues[0]).toBe('');
    }
    const farm = pkg.resources.find((r) => r.name === 'pristilskudd');
    const tableApi = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd` })).json();
    expect(farm?.schema.fields.map((f) => f.name)).toEqual(tableApi.columns.map((c: { name: string }) => c.name));
    // komnr keeps its leading zeros: text, with the reason as a note; the identifier columns carry their semantic type.
    const komnr = farm?.schema.fields.find((f) => f.name === 'komnr');
    expect(komnr).toMatchObject({ type: 'string' });
    expect(komnr?.description).toMatch(/^Kept as text/);
    const tricky = pkg.resources.find((r) => r.name === 'tricky');
    expect(tricky?.schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['navn', 'string'],
      ['belop', 'integer'],
      ['dato', 'date'],
      ['aktiv', 'boolean'],
      ['merknad', 'string'],
    ]);
    expect(tricky?.schema.fields.find((f) => f.name === 'belop')?.constraints).toEqual({ required: true });
    expect(tricky?.schema.fields.find((f) => f.name === 'merknad')?.constraints).toBeUndefined();
    // The same document at the conventional address.
    const file = await t.app.inject({ url: `/datasets/${publicId}/datapackage.json` });
    expect(file.statusCode).toBe(200);
    expect(file.json()).toEqual(pkg);
  });

  it('gives outsiders of a RESTRICTED dataset a valid package whose schema says nothing about the values', async () => {
    for (const headers of [{}, auth(outsider)]) {
      const res = await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/datapackage`, headers });
      expect(res.statusCode).toBe(200);
      const pkg = res.json() as Pkg;
      expect(validateDataPackage(pkg)).toEqual([]);
      expect(pkg['x-accessRights']).toBe('RESTRICTED');
      const [farm] = pkg.resources;
      expect(farm?.path).toBe(`${BASE}/api/v1/datasets/${restrictedId}/tables/pristilskudd/rows.csv`);
      expect(farm?.schema.missingValues).toEqual(['']);
      expect(res.body).not.toMatch(/Kept as text|x-semanticType|"enum"|"examples?"|missingMarkers/);
    }
    // Readers of the data get the full description.
    const full = (await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/datapackage`, headers: auth(editor) })).json() as Pkg;
    expect(validateDataPackage(full)).toEqual([]);
    expect(JSON.stringify(full)).toMatch(/Kept as text/);
  });

  it('is documented in the OpenAPI document and linked from the dataset page only when there is a package', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/datasets/{id}/datapackage', '/api/v1/datasets/{id}/tables/{table}/rows.csv']));
    const page = await t.app.inject({ url: `/datasett/${publicId}` });
    expect(page.body).toContain(`<link rel="alternate" type="application/json" href="/datasets/${publicId}/datapackage.json"`);
    expect(page.body).toContain(`href="/datasets/${publicId}/datapackage.json"`);
    const none = await t.app.inject({ url: `/datasett/${emptyId}` });
    expect(none.statusCode).toBe(200);
    expect(none.body).not.toContain('datapackage.json');
  });
});

describe('GET /api/v1/datasets/:id/tables/:table/rows.csv', () => {
  it('walks the access door: 401 anonymous, 403 outsider, 404 unknown table or dataset, then the data', async () => {
    const url = `/api/v1/datasets/${restrictedId}/tables/pristilskudd/rows.csv`;
    const anon = await t.app.inject({ url });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['content-type']).toMatch(/^application\/json/);
    // The route takes no input but its ids: a malformed table name is simply no table (names are public metadata).
    expect((await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/Not%20OK/rows.csv`, headers: auth(outsider) })).statusCode).toBe(404);
    expect((await t.app.inject({ url, headers: auth(outsider) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/nope/rows.csv` })).json().error.code).toBe('table_not_found');
    expect((await t.app.inject({ url: `/api/v1/datasets/no-such/tables/nope/rows.csv` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/datasets/${draftId}/tables/kommuner/rows.csv` })).statusCode).toBe(404);
    const broken = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/broken/rows.csv` });
    expect(broken.statusCode).toBe(409);
    expect(broken.json().error.code).toBe('table_not_ready');
    const before = await t.db.selectFrom('audit_log').select('id').where('action', '=', 'table.read').execute();
    const ok = await t.app.inject({ url, headers: auth(editor) });
    expect(ok.statusCode).toBe(200);
    expect(ok.body.split('\r\n').length - 2).toBe(24_899);
    // Every page of non-open data read for the download is in the audit log (25 pages of at most 1000 rows).
    const after = await t.db.selectFrom('audit_log').select('id').where('action', '=', 'table.read').execute();
    expect(after.length - before.length).toBe(25);
  });

  it('streams the whole farm table as RFC 4180 CSV that reads back to the same rows', async () => {
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows.csv` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe('attachment; filename="pristilskudd-v1.csv"');
    const lines = res.body.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.length - 2).toBe(24_899);
    const columns = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd` })).json().columns as { name: string; type: string }[];
    expect(lines[0]).toBe(columns.map((c) => c.name).join(','));
    // Read the CSV back in through the platform itself (header, comma, UTF-8, nothing detected): the same rows.
    await upload(copyId, { name: 'kopi', sourceOptions: JSON.stringify({ delimiter: ',', header: true, encoding: 'utf-8', quote: '"' }) }, { name: 'kopi.csv', content: Buffer.from(res.body) });
    await t.services.jobs.drain(60_000);
    const copy = (await t.app.inject({ url: `/api/v1/datasets/${copyId}/tables/kopi` })).json();
    expect(copy.rowCount).toBe(24_899);
    expect(copy.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual(columns.map((c) => [c.name, c.type]));
    for (const offset of [0, 12_000, 24_000]) {
      const a = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=1000&_offset=${offset}` })).json().rows;
      const b = (await t.app.inject({ url: `/api/v1/datasets/${copyId}/tables/kopi/rows?_size=1000&_offset=${offset}` })).json().rows;
      expect(b).toEqual(a);
    }
  }, 120_000);

  it('ends a download with an error rather than mix two versions when a new one switches in midway', async () => {
    const { filename, lines } = await t.services.dataPackages.csv(CLI_ACTOR, restrictedId, 'pristilskudd');
    expect(filename).toBe('pristilskudd-v1.csv');
    const it = lines[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatch(/^komnr,navn,orgnr,/);
    expect(((await it.next()).value as string).split('\r\n').length - 1).toBe(1000);
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${restrictedId}/tables/pristilskudd/versions`, headers: auth(editor), payload: {} });
    expect(again.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    await expect(it.next()).rejects.toMatchObject({ code: 'table_changed' });
  });

  it('quotes what needs quoting and defuses formula cells in text columns only', async () => {
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/tricky/rows.csv` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      [
        'navn,belop,dato,aktiv,merknad',
        `'=SUM(A1:A9),-5,2024-01-31,true,"sier ""hei"", og går"`,
        `'+47 22 00 00 00,12,2024-02-01,false,"to\nlinjer"`,
        `'@cmd,0,2024-02-02,true,'-`,
        'Bø i Telemark,-7,2024-02-03,false,',
        '',
      ].join('\r\n'),
    );
  });

  it('reads every fixture table out in full', async () => {
    for (const name of ['kommuner', 'postnummer', 'partistotte']) {
      const table = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/${name}` })).json();
      const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/${name}/rows.csv` });
      expect(res.statusCode).toBe(200);
      // Records, not lines: a quoted cell may hold a line break; none of these files has one.
      expect(res.body.split('\r\n').length - 2).toBe(table.rowCount);
    }
  });
});

// --- import -------------------------------------------------------------------------------------------------------

function zipUpload(zip: Uint8Array, token?: string) {
  const body = multipartFile(Buffer.from(zip));
  return t.app.inject({ method: 'POST', url: `/api/v1/organizations/${LDIR}/datapackages`, headers: { ...body.headers, ...(token ? auth(token) : {}) }, payload: body.payload });
}

function multipartFile(content: Buffer): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----df${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pakke.zip"\r\nContent-Type: application/zip\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const enc = (s: string) => new TextEncoder().encode(s);
const KOMMUNER = fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv'));
const descriptor = (resources: unknown[], extra: Record<string, unknown> = {}) =>
  enc(JSON.stringify({ name: 'kommuner-2024', title: 'Kommuner fra en pakke', description: 'Importert.', keywords: ['kommuner'], licenses: [{ name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/' }], resources, ...extra }));
const kommunerResource = (p = 'data/kommuner.csv') => ({ name: 'Kommuner.2024', path: p, format: 'csv', encoding: 'ISO-8859-1', dialect: { delimiter: ',', quoteChar: '"', header: true } });

async function datasetCount(): Promise<number> {
  const rows = await t.db.selectFrom('datasets').select('id').execute();
  return rows.length;
}

async function refused(zip: Uint8Array, code: string): Promise<void> {
  const before = await datasetCount();
  const res = await zipUpload(zip, editor);
  expect(res.statusCode, res.body).toBe(422);
  expect(res.json().error.details.problems.map((p: { code: string }) => p.code)).toContain(code);
  expect(await datasetCount()).toBe(before);
}

/** Rewrites the uncompressed size in every local and central header of a one-file zip (a header that lies). */
function lieAboutSize(zip: Uint8Array, size: number): Uint8Array {
  const out = Buffer.from(zip);
  for (let i = 0; i < out.length - 4; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

describe('POST /api/v1/organizations/:orgnr/datapackages', () => {
  const good = () => zipSync({ 'datapackage.json': descriptor([kommunerResource()]), 'data/kommuner.csv': KOMMUNER });

  it('needs a signed-in editor of the organisation and a multipart zip', async () => {
    expect((await zipUpload(good())).statusCode).toBe(401);
    const json = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${LDIR}/datapackages`, headers: auth(editor), payload: { file: 'x' } });
    expect(json.statusCode).toBe(415);
    const noFile = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${LDIR}/datapackages`, headers: { ...auth(editor), 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--\r\n' });
    expect(noFile.statusCode).toBe(422);
    expect((await zipUpload(good(), outsider)).statusCode).toBe(403);
    const other = multipartFile(Buffer.from(good()));
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/organizations/000000000/datapackages', headers: { ...other.headers, ...auth(editor) }, payload: other.payload })).statusCode).toBe(403);
  });

  it('imports a package with a Latin-1 CSV as a draft dataset whose table is read with the dialect', async () => {
    const res = await zipUpload(good(), editor);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/datasets/${body.dataset.id}`);
    expect(body.tables).toEqual([{ name: 'kommuner_2024', job: { id: expect.any(String), url: expect.stringMatching(/^\/api\/v1\/jobs\//) } }]);
    await t.services.jobs.drain(60_000);
    const ds = (await t.app.inject({ url: `/api/v1/datasets/${body.dataset.id}`, headers: auth(editor) })).json();
    expect(ds).toMatchObject({ state: 'draft', title: { nb: 'Kommuner fra en pakke' }, description: { nb: 'Importert.' }, keywords: { nb: ['kommuner'] }, accessRights: 'NON_PUBLIC', licence: 'http://creativecommons.org/licenses/by/4.0/' });
    // A draft: nobody else sees it.
    expect((await t.app.inject({ url: `/api/v1/datasets/${body.dataset.id}` })).statusCode).toBe(404);
    const table = (await t.app.inject({ url: `/api/v1/datasets/${body.dataset.id}/tables/kommuner_2024`, headers: auth(editor) })).json();
    expect(table.currentVersion?.state).toBe('ready');
    expect(table.rowCount).toBe(358);
    expect(table.currentVersion.import.givenOptions).toEqual({ delimiter: ',', quote: '"', header: true, encoding: 'iso-8859-1' });
    const rows = (await t.app.inject({ url: `/api/v1/datasets/${body.dataset.id}/tables/kommuner_2024/rows?_size=1000`, headers: auth(editor) })).json().rows;
    expect(JSON.stringify(rows)).toContain('Bø');
  });

  it('keeps the column types the Table Schema declares (digits declared string stay text)', async () => {
    const res = await zipUpload(
      zipSync({
        'datapackage.json': enc(JSON.stringify({ title: 'Typer', resources: [{ name: 'typer', path: 't.csv', schema: { fields: [{ name: 'postnr', type: 'string' }, { name: 'antall', type: 'integer' }] } }] })),
        't.csv': enc('postnr,antall\n1234,5\n5678,6\n'),
      }),
      editor,
    );
    expect(res.statusCode, res.body).toBe(201);
    await t.services.jobs.drain(60_000);
    const table = (await t.app.inject({ url: `/api/v1/datasets/${res.json().dataset.id}/tables/typer`, headers: auth(editor) })).json();
    expect(table.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['postnr', 'VARCHAR'],
      ['antall', 'BIGINT'],
    ]);
  });

  it('reads its own export back: same metadata, same tables, same rows', async () => {
    const pkg = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/datapackage` })).json() as Pkg;
    const files: Record<string, Uint8Array> = {};
    const local = { ...pkg, resources: pkg.resources.filter((r) => r.name !== 'pristilskudd').map((r) => ({ ...r, path: `${r.name}.csv` })) };
    for (const r of local.resources) files[`${r.name}.csv`] = enc((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/${r.name}/rows.csv` })).body);
    files['datapackage.json'] = enc(JSON.stringify(local));
    const res = await zipUpload(zipSync(files), editor);
    expect(res.statusCode, res.body).toBe(201);
    await t.services.jobs.drain(60_000);
    const id = res.json().dataset.id as string;
    const ds = (await t.app.inject({ url: `/api/v1/datasets/${id}`, headers: auth(editor) })).json();
    expect(ds).toMatchObject({ title: { nb: 'Pristilskudd 2022' }, accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0' });
    for (const r of local.resources) {
      const a = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/${r.name}/rows?_size=1000` })).json();
      const b = (await t.app.inject({ url: `/api/v1/datasets/${id}/tables/${r.name}/rows?_size=1000`, headers: auth(editor) })).json();
      expect(b.total, r.name).toBe(a.total);
      if (r.name !== 'tricky') expect(b.rows, r.name).toEqual(a.rows);
    }
  });

  it('refuses hostile and broken packages with a 422 and creates nothing', async () => {
    await refused(enc('not a zip at all'), 'datapackage_not_zip');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource('../kommuner.csv')]), '../kommuner.csv': KOMMUNER }), 'datapackage_unsafe_path');
    // Absolute and escaping resource paths already break the profile's path pattern (the importer checks again).
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource('/etc/kommuner.csv')]), 'data/kommuner.csv': KOMMUNER }), 'datapackage_profile');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource('a/../../kommuner.csv')]), 'data/kommuner.csv': KOMMUNER }), 'datapackage_profile');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource()]), 'data/kommuner.csv': KOMMUNER, '/etc/passwd': enc('x') }), 'datapackage_unsafe_path');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource()]), 'data/kommuner.csv': KOMMUNER, 'C:\\x.csv': enc('x') }), 'datapackage_unsafe_path');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource('https://example.com/kommuner.csv')]) }), 'datapackage_remote_path');
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource('data/mangler.csv')]) }), 'datapackage_missing_file');
    await refused(zipSync({ 'datapackage.json': descriptor([{ ...kommunerResource(), format: 'xlsx', path: 'data/k.xlsx' }]), 'data/k.xlsx': KOMMUNER }), 'datapackage_unsupported_format');
    await refused(zipSync({ 'datapackage.json': descriptor([{ ...kommunerResource(), encoding: 'ebcdic' }]), 'data/kommuner.csv': KOMMUNER }), 'invalid_option');
    await refused(zipSync({ 'datapackage.json': descriptor([]) }), 'datapackage_profile');
    await refused(zipSync({ 'data/kommuner.csv': KOMMUNER }), 'datapackage_no_descriptor');
    await refused(zipSync({ 'datapackage.json': enc('{"resources": [') }), 'datapackage_invalid_json');
    await refused(zipSync({ 'datapackage.json': Buffer.from('{"title": "Bø", "resources": []}', 'latin1') }), 'datapackage_not_utf8');
    // A 2 MB descriptor and a 100 MB one (compressed to 100 kB): refused by their declared size, never inflated.
    await refused(zipSync({ 'datapackage.json': enc(`{"resources":[],"x":"${randomBytes(1_000_000).toString('hex')}"}`) }), 'datapackage_descriptor_too_large');
    await refused(zipSync({ 'datapackage.json': new Uint8Array(100 * 1024 * 1024).fill(32) }, { level: 1 }), 'datapackage_too_large');
    // A zip bomb within the size cap (3.5 MB of zeros in a few kB), and one whose headers lie about the size.
    await refused(zipSync({ 'datapackage.json': descriptor([kommunerResource()]), 'data/kommuner.csv': new Uint8Array(3_500_000) }), 'datapackage_zip_bomb');
    await refused(lieAboutSize(zipSync({ 'datapackage.json': descriptor([kommunerResource()]) }), 100), 'datapackage_zip_bomb');
  }, 60_000);

  it('lists every problem of a package that breaks the profile', async () => {
    const res = await zipUpload(zipSync({ 'datapackage.json': enc(JSON.stringify({ name: 42, resources: [{ path: 'x.csv' }] })) }), editor);
    expect(res.statusCode).toBe(422);
    const fields = res.json().error.details.problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['/datapackage.json/name', '/datapackage.json/resources/0']));
  });
});

describe('the import page /virksomheter/:orgnr/datapakke', () => {
  function webZip(fields: Record<string, string>, zip: Uint8Array): { payload: Buffer; headers: Record<string, string> } {
    return multipart(fields, { name: 'pakke.zip', content: Buffer.from(zip) });
  }

  it('sends strangers to sign in, refuses outsiders, checks the CSRF field first, shows localized problems and imports', async () => {
    const url = `/virksomheter/${LDIR}/datapakke`;
    const anon = await t.app.inject({ url });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/logg-inn\?next=/);
    const out = await signIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery' });
    expect((await t.app.inject({ url, headers: { cookie: out.cookie } })).statusCode).toBe(403);

    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    expect((await t.app.inject({ url: `/virksomheter/${LDIR}`, headers: { cookie: ed.cookie } })).body).toContain(`href="${url}"`);
    const form = await t.app.inject({ url, headers: { cookie: ed.cookie } });
    expect(form.statusCode).toBe(200);
    const formHtml = form.body.slice(form.body.indexOf(`action="${url}"`));
    expect(formHtml.indexOf(`name="_csrf" value="${ed.csrf}"`)).toBeLessThan(formHtml.indexOf('name="file"'));

    const zip = zipSync({ 'datapackage.json': descriptor([kommunerResource()]), 'data/kommuner.csv': KOMMUNER });
    const web = { cookie: ed.cookie, 'x-csrf-token': ed.csrf };
    const before = await datasetCount();
    const noCsrf = webZip({}, zip);
    expect((await t.app.inject({ method: 'POST', url, headers: { ...noCsrf.headers, ...web }, payload: noCsrf.payload })).statusCode).toBe(403);
    const remote = webZip({ _csrf: ed.csrf }, zipSync({ 'datapackage.json': descriptor([kommunerResource('https://example.com/k.csv')]) }));
    const bad = await t.app.inject({ method: 'POST', url, headers: { ...remote.headers, ...web }, payload: remote.payload });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('En ressurs viser til en nettadresse. Vi henter ikke filer fra nettet');
    expect(bad.body).toContain('(datapackage.json/resources/0/path)');
    const english = await t.app.inject({ method: 'POST', url: `${url}?lang=en`, headers: { ...remote.headers, ...web }, payload: remote.payload });
    expect(english.body).toContain('A resource points to a web address.');
    expect(await datasetCount()).toBe(before);

    const good = webZip({ _csrf: ed.csrf }, zip);
    const ok = await t.app.inject({ method: 'POST', url, headers: { ...good.headers, ...web }, payload: good.payload });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toMatch(/^\/datasett\/[0-9a-f-]{36}$/);
    expect(await datasetCount()).toBe(before + 1);
  });
});
