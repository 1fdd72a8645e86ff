// HTTP tests of the tables domain through app.inject on a fresh database (SQLite, or PostgreSQL with DATABASE_URL):
// upload (multipart) → ingest job → rows API, with each route's error cases in order: unauthenticated, invalid,
// forbidden, not found, success.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { createTestApp, bearerFor, signIn, type TestApp } from '../helpers/app';
import { startS3rver, type RunningS3rver } from '../helpers/s3rver';

const fixtures = path.resolve(__dirname, '../fixtures/tables');
const LDIR = '981544315';
const SSB = '971526920';
const UPLOAD_LIMIT = 3_000_000;

let t: TestApp;
let editor: string; // bearer tokens
let outsider: string;
let publicId: string;
let restrictedId: string;

function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer; type?: string }): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----df${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`));
    parts.push(file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function upload(datasetId: string, token: string | undefined, fields: Record<string, string>, file?: { name: string; content: Buffer }) {
  const body = multipart(fields, file);
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/datasets/${datasetId}/tables`,
    headers: { ...body.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: body.payload,
  });
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const farmCsv = () => fs.readFileSync(path.join(fixtures, 'ldir_pristilskudd_jordbruksforetak_2022.csv'));

beforeAll(async () => {
  t = await createTestApp({ env: { UPLOAD_LIMIT: String(UPLOAD_LIMIT), BASE_URL: 'https://data.example.no' } });
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
  const pub = await catalog.createDataset(CLI_ACTOR, {
    orgnr: LDIR,
    title: { nb: 'Pristilskudd 2022' },
    description: { nb: 'Pristilskudd per jordbruksforetak.' },
    accessRights: 'PUBLIC',
    licence: 'http://data.norge.no/nlod/no/2.0',
  });
  await catalog.publishDataset(CLI_ACTOR, pub.id);
  publicId = pub.id;
  const restricted = await catalog.createDataset(CLI_ACTOR, {
    orgnr: LDIR,
    title: { nb: 'Begrenset' },
    description: { nb: 'Data med begrenset tilgang.' },
    accessRights: 'RESTRICTED',
    licence: 'http://data.norge.no/nlod/no/2.0',
  });
  await catalog.publishDataset(CLI_ACTOR, restricted.id);
  restrictedId = restricted.id;
});

afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/datasets/:id/tables', () => {
  it('needs a signed-in editor, multipart, a valid name and a known dataset', async () => {
    expect((await upload(publicId, undefined, { name: 'x' }, { name: 'x.csv', content: Buffer.from('a\n1\n') })).statusCode).toBe(401);

    const json = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${publicId}/tables`, headers: auth(editor), payload: { name: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('unsupported_media_type');

    const bad = await upload(publicId, editor, { name: 'Not OK!' }, { name: 'x.csv', content: Buffer.from('a\n1\n') });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems[0]).toMatchObject({ field: '/name', code: 'invalid_table_name' });

    const noFile = await upload(publicId, editor, { name: 'ok' });
    expect(noFile.statusCode).toBe(422);
    expect(noFile.json().error.details.problems[0]).toMatchObject({ field: '/file', code: 'required' });

    const xlsx = await upload(publicId, editor, { name: 'ok' }, { name: 'x.xlsx', content: Buffer.from('PK') });
    expect(xlsx.statusCode).toBe(422);

    const empty = await upload(publicId, editor, { name: 'ok' }, { name: 'empty.csv', content: Buffer.alloc(0) });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.details.problems[0]).toMatchObject({ field: '/file' });

    expect((await upload(publicId, outsider, { name: 'x' }, { name: 'x.csv', content: Buffer.from('a\n1\n') })).statusCode).toBe(403);
    expect((await upload('no-such-dataset', editor, { name: 'x' }, { name: 'x.csv', content: Buffer.from('a\n1\n') })).statusCode).toBe(404);

    const huge = await upload(publicId, editor, { name: 'huge' }, { name: 'huge.csv', content: Buffer.alloc(UPLOAD_LIMIT + 10_000, 'a,b\n') });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
    // Nothing was created for the rejected uploads.
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables` })).json().items).toEqual([]);
  });

  it('accepts the farm-subsidy CSV, ingests it through the queue and pages through all 24,899 rows', async () => {
    const res = await upload(publicId, editor, { name: 'pristilskudd', title: 'Pristilskudd 2022' }, { name: 'ldir_pristilskudd_jordbruksforetak_2022.csv', content: farmCsv() });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/jobs/${body.job.id}`);
    expect(body.version).toMatchObject({ version: 1, state: 'pending', jobId: body.job.id });
    expect(body.table).toMatchObject({ name: 'pristilskudd', title: 'Pristilskudd 2022', currentVersion: null });
    // The new table is one of the dataset's distributions at once (the catalogue shows it with the dataset).
    const distributions = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/distributions` })).json().items;
    expect(distributions).toEqual([
      expect.objectContaining({
        tableId: body.table.id,
        tableName: 'pristilskudd',
        rowsUrl: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows`,
        title: { nb: 'Pristilskudd 2022' },
        format: 'CSV',
        mediaType: 'text/csv',
      }),
    ]);

    // The job: invisible to the anonymous and to outsiders, visible to the editor.
    expect((await t.app.inject({ url: body.job.url })).statusCode).toBe(401);
    expect((await t.app.inject({ url: body.job.url, headers: auth(outsider) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/jobs/nope', headers: auth(editor) })).statusCode).toBe(404);

    await t.services.jobs.drain(60_000);
    const job = await t.app.inject({ url: body.job.url, headers: auth(editor) });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({ id: body.job.id, type: 'ingestTable', state: 'succeeded', progress: 100, attempts: 1, error: null, datasetId: publicId });
    expect(job.json().result).toMatchObject({ rowCount: 24_899 });

    const detail = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd` });
    expect(detail.statusCode).toBe(200);
    const d = detail.json();
    expect(d.rowCount).toBe(24_899);
    expect(d.currentVersion.state).toBe('ready');
    expect(d.versions).toHaveLength(1);
    const types = Object.fromEntries(d.columns.map((c: { name: string; type: string }) => [c.name, c.type]));
    expect(types).toMatchObject({ komnr: 'VARCHAR', navn: 'VARCHAR', orgnr: 'VARCHAR', sum_tilskudd: 'BIGINT' });

    const list = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables` });
    expect(list.json().items.map((i: { name: string }) => i.name)).toEqual(['pristilskudd']);

    let url: string | null = `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=1000`;
    let count = 0;
    let pages = 0;
    while (url) {
      const page: { statusCode: number; json(): unknown } = await t.app.inject({ url });
      expect(page.statusCode).toBe(200);
      const p = page.json() as { rows: Record<string, unknown>[]; total: number; next: string | null };
      if (pages === 0) {
        expect(p.rows[0]?.komnr).toBe('0301');
        expect(typeof p.rows[0]?.orgnr).toBe('string');
        expect(p.rows[0]?.sum_tilskudd).toBe(3709);
      }
      expect(p.total).toBe(24_899);
      count += p.rows.length;
      pages++;
      url = p.next ? p.next.replace('https://data.example.no', '') : null;
    }
    expect(count).toBe(24_899);
    expect(pages).toBe(25);
  });

  it('reads Latin-1 files with ø and å intact', async () => {
    const res = await upload(publicId, editor, { name: 'kommuner', title: 'Kommuner 2024' }, { name: 'kommuner.csv', content: fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv')) });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const rows = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/kommuner/rows?_size=1000` })).json();
    expect(rows.total).toBe(358);
    expect(rows.next).toBeNull();
    const names = rows.rows.map((r: { name: string }) => r.name);
    expect(names).toContain('Bø');
    expect(names).toContain('Ås');
  });

  it('marks a broken upload failed and keeps serving the previous version', async () => {
    const res = await upload(publicId, editor, { name: 'kommuner' }, { name: 'kommuner.csv', content: Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]) });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const job = (await t.app.inject({ url: res.headers.location as string, headers: auth(editor) })).json();
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/not valid CSV/);
    const d = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/kommuner` })).json();
    expect(d.currentVersion.version).toBe(1);
    expect(d.latestVersion).toMatchObject({ version: 2, state: 'failed' });
    expect(d.latestVersion.error).toMatch(/binary data/);
    const rows = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/kommuner/rows?_size=3` })).json();
    expect(rows.total).toBe(358);
    expect(rows.rows).toHaveLength(3);
  });
});

describe('GET /api/v1/datasets/:id/tables/:table/rows', () => {
  it('rejects bad paging parameters with 400', async () => {
    for (const q of ['_size=0', '_size=1001', '_size=abc', '_offset=-1', '_offset=x']) {
      const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
  });

  it('answers 404 for unknown tables and datasets', async () => {
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/nope/rows` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('table_not_found');
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/nope` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/datasets/nope/tables' })).statusCode).toBe(404);
  });

  it('serves a page from an offset with a next link', async () => {
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=2&_offset=24897` });
    const p = res.json();
    expect(p).toMatchObject({ offset: 24_897, size: 2, total: 24_899, next: null });
    expect(p.rows).toHaveLength(2);
    const first = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=5` })).json();
    expect(first.rows).toHaveLength(5);
    expect(first.next).toBe(`https://data.example.no/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=5&_offset=5`);
  });

  it('keeps RESTRICTED data behind the access door: 401 anonymous, 403 non-member, 200 member', async () => {
    const res = await upload(restrictedId, editor, { name: 'kommuner' }, { name: 'kommuner.csv', content: fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv')) });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const url = `/api/v1/datasets/${restrictedId}/tables/kommuner/rows`;
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    const forbidden = await t.app.inject({ url, headers: auth(outsider) });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.details.reason).toBe('access_request_required');
    const ok = await t.app.inject({ url, headers: auth(editor) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().rows).toHaveLength(100);
    // The schema stays public metadata.
    expect((await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/kommuner` })).json().rowCount).toBe(358);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/datasets/{id}/tables/{table}/rows'].get.tags).toEqual(['tables']);
    expect(doc.paths['/api/v1/jobs/{id}'].get.tags).toEqual(['jobs']);
  });
});

describe('the dataset page (tables section)', () => {
  it('shows columns with types, the first ten rows in a labelled scroll region, the row count and JSON links', async () => {
    const res = await t.app.inject({ url: `/datasett/${publicId}` });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('<h2 class="ds-heading" data-size="md" id="tables-heading">Tabeller</h2>');
    expect(html).toContain('<caption>Kolonner i «Pristilskudd 2022»</caption>');
    expect(html).toMatch(/24\s899 rader, 15 kolonner \(versjon 1\)/);
    expect(html).toContain('<th scope="col">komnr</th>');
    expect(html).toMatch(/<div class="df-table-wrap" role="region" aria-label="De første 10 radene i «Pristilskudd 2022»" tabindex="0">/);
    expect(html).toContain('<td>NORDRE LINDEBERG GÅRD</td>');
    const preview = html.slice(html.indexOf('De første 10 radene i «Pristilskudd 2022»'));
    expect(preview.slice(0, preview.indexOf('</table>')).match(/<tr>/g)).toHaveLength(11);
    expect(html).toContain(`href="/api/v1/datasets/${publicId}/tables/pristilskudd/rows?_size=1000"`);
    // The table's distribution links to the preview on the page and to its rows API.
    const dists = html.slice(html.indexOf('id="distributions-heading"'), html.indexOf('id="tables-heading"'));
    expect(dists).toContain('<a class="ds-link" href="#table-pristilskudd">Se tabellen</a>');
    expect(dists).toContain(`<a class="ds-link" href="/api/v1/datasets/${publicId}/tables/pristilskudd/rows" type="application/json">Rader som JSON (API)</a>`);
    // The failed second upload of "kommuner" is reported; its first version (Latin-1) still shows "Hå" (row 9).
    expect(html).toContain('Innlesingen av versjon 2 feilet. Tabellen viser forrige versjon.');
    expect(html).toContain('<td>Hå</td>');
    const en = await t.app.inject({ url: `/datasett/${publicId}?lang=en` });
    expect(en.body).toContain('<caption>Columns of “Pristilskudd 2022”</caption>');
    expect(en.body).toMatch(/24,899 rows, 15 columns/);
  });

  it('shows columns but no rows to someone without access to the data', async () => {
    const anon = await t.app.inject({ url: `/datasett/${restrictedId}` });
    expect(anon.statusCode).toBe(200);
    expect(anon.body).toContain('<caption>Kolonner i «kommuner»</caption>');
    expect(anon.body).toContain('Logg inn for å se om du har tilgang.');
    expect(anon.body).not.toContain('role="region"');
    expect(anon.body).not.toContain('<td>Hå</td>');
    const outsiderPage = await t.app.inject({ url: `/datasett/${restrictedId}?lang=nn`, headers: auth(outsider) });
    expect(outsiderPage.body).toContain('Du har ikkje tilgang til dataa i denne tabellen.');
    const member = await t.app.inject({ url: `/datasett/${restrictedId}`, headers: auth(editor) });
    expect(member.body).toContain('<td>Hå</td>');
  });
});

describe('the upload page', () => {
  it('lets editors upload a CSV without JavaScript, re-rendering the form on errors', async () => {
    const url = `/datasett/${publicId}/tabeller/ny`;
    const anon = await t.app.inject({ url });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/logg-inn\?next=/);

    const out = await signIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery' });
    expect((await t.app.inject({ url, headers: { cookie: out.cookie } })).statusCode).toBe(403);

    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const datasetPage = await t.app.inject({ url: `/datasett/${publicId}`, headers: { cookie: ed.cookie } });
    expect(datasetPage.body).toContain(`href="${url}"`);
    const form = await t.app.inject({ url, headers: { cookie: ed.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`action="${url}?_csrf=${encodeURIComponent(ed.csrf)}"`);
    expect(form.body).toContain('enctype="multipart/form-data"');
    expect(form.body).toMatch(/<label class="ds-label" for="file">Fil<\/label>/);

    const csv = { name: 'fylker.csv', content: fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv')) };
    const noCsrf = multipart({ name: 'fylker' }, csv);
    const rejected = await t.app.inject({ method: 'POST', url, headers: { ...noCsrf.headers, cookie: ed.cookie }, payload: noCsrf.payload });
    expect(rejected.statusCode).toBe(403);

    const bad = multipart({ name: 'Fylker i Norge', title: 'Mine fylker' }, csv);
    const invalid = await t.app.inject({ method: 'POST', url: `${url}?_csrf=${encodeURIComponent(ed.csrf)}`, headers: { ...bad.headers, cookie: ed.cookie }, payload: bad.payload });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('value="Fylker i Norge"');
    expect(invalid.body).toContain('value="Mine fylker"');
    expect(invalid.body).toContain('Tabellnavnet kan bare ha små bokstaver');
    expect(invalid.body).toContain('aria-invalid="true"');

    const good = multipart({ name: 'kommuner-web', title: 'Kommuner fra skjema' }, csv);
    const ok = await t.app.inject({ method: 'POST', url: `${url}?_csrf=${encodeURIComponent(ed.csrf)}`, headers: { ...good.headers, cookie: ed.cookie }, payload: good.payload });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/datasett/${publicId}#table-kommuner-web-section`);
    await t.services.jobs.drain(60_000);
    const after = await t.app.inject({ url: `/datasett/${publicId}` });
    expect(after.body).toContain('<caption>Kolonner i «Kommuner fra skjema»</caption>');
    expect(after.body).not.toContain(`href="${url}"`);
  });
});

describe('with the S3 blob store', () => {
  let s3: RunningS3rver;
  let s3app: TestApp;

  beforeAll(async () => {
    s3 = await startS3rver();
    s3app = await createTestApp({
      env: { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey },
    });
    s3app.services.tables.registerJobs();
    await s3app.services.jobs.start();
  });

  afterAll(async () => {
    await s3app?.close();
    await s3?.stop();
  });

  it('uploads to S3, ingests from it and reads rows back after the local cache is gone', async () => {
    const { services } = s3app;
    expect(services.platform.blobs.kind).toBe('s3');
    await services.organisations.create(CLI_ACTOR, { orgnr: LDIR, name: 'Landbruksdirektoratet' });
    const ds = await services.catalog.createDataset(CLI_ACTOR, {
      orgnr: LDIR,
      title: { nb: 'Pristilskudd 2022' },
      description: { nb: 'Pristilskudd.' },
      accessRights: 'PUBLIC',
      licence: 'http://data.norge.no/nlod/no/2.0',
    });
    await services.catalog.publishDataset(CLI_ACTOR, ds.id);
    await services.accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
    await services.organisations.addMember(CLI_ACTOR, LDIR, { email: 'editor@example.no', role: 'editor' });
    const token = await bearerFor(services, 'editor@example.no', ['write']);
    const body = multipart({ name: 'pristilskudd' }, { name: 'pristilskudd.csv', content: farmCsv() });
    const res = await s3app.app.inject({ method: 'POST', url: `/api/v1/datasets/${ds.id}/tables`, headers: { ...body.headers, ...auth(token) }, payload: body.payload });
    expect(res.statusCode).toBe(202);
    await services.jobs.drain(60_000);
    const table = (await s3app.app.inject({ url: `/api/v1/datasets/${ds.id}/tables/pristilskudd` })).json();
    expect(table.rowCount).toBe(24_899);
    const parquetKey = `tables/${table.id}/${table.currentVersion.id}.parquet`;
    expect((await services.platform.blobs.head(parquetKey))?.size).toBe(table.currentVersion.byteSize);

    fs.rmSync(path.join(services.platform.config.dataDir, 'cache'), { recursive: true, force: true });
    const last = (await s3app.app.inject({ url: `/api/v1/datasets/${ds.id}/tables/pristilskudd/rows?_offset=24898&_size=10` })).json();
    expect(last.rows).toHaveLength(1);
    expect(last.total).toBe(24_899);
    const first = (await s3app.app.inject({ url: `/api/v1/datasets/${ds.id}/tables/pristilskudd/rows?_size=1` })).json();
    expect(first.rows[0].komnr).toBe('0301');
  });
});
