// HTTP tests of the tables domain through app.inject on a fresh database (SQLite, or PostgreSQL with DATABASE_URL):
// upload (multipart) → ingest job → rows API, with each route's error cases in order: unauthenticated, invalid,
// forbidden, not found, success.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { createTestApp, bearerFor, signIn, type TestApp, multipart } from '../helpers/app';
import { startS3rver, type RunningS3rver } from '../helpers/s3rver';

const fixtures = path.resolve(__dirname, '../fixtures/tables');
const LDIR = '981544315';
const SSB = '971526920';
const UPLOAD_LIMIT = 3_000_000;

let t: TestApp;
let editor: string; // bearer tokens
let outsider: string;
let editorRead: string; // a read-only token of the editor
let publicId: string;
let restrictedId: string;


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
const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
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
  editorRead = await bearerFor(t.services, 'editor@example.no', ['read']);
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
    contactPoint: { email: 'data@example.no' },
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

    const xls = await upload(publicId, editor, { name: 'ok' }, { name: 'x.xls', content: Buffer.from('PK') });
    expect(xls.statusCode).toBe(422);
    expect(xls.json().error.details.problems[0]).toMatchObject({ field: '/file', code: 'xls_unsupported' });

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
    expect(body.version).toMatchObject({ version: 1, state: 'pending', errorCode: null });
    expect(body.version.import).toMatchObject({ jobId: body.job.id, givenOptions: {}, fromVersion: null });
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

    // The job: anonymous callers must sign in; outsiders and read-only tokens get the 404 of an unknown id, never 403.
    expect((await t.app.inject({ url: body.job.url })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/jobs/nope' })).statusCode).toBe(401);
    const hidden = await t.app.inject({ url: body.job.url, headers: auth(outsider) });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.code).toBe('job_not_found');
    expect((await t.app.inject({ url: body.job.url, headers: auth(editorRead) })).statusCode).toBe(404);
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
    const res = await upload(publicId, editor, { name: 'kommuner' }, { name: 'kommuner.csv', content: Buffer.from([0x01, 0x00, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]) });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const job = (await t.app.inject({ url: res.headers.location as string, headers: auth(editor) })).json();
    expect(job.state).toBe('failed');
    expect(job.error).toBe('Ingest failed [file_not_text]: The file is not text: it holds binary data.');
    const d = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/kommuner` })).json();
    expect(d.currentVersion.version).toBe(1);
    expect(d.latestVersion).toMatchObject({ version: 2, state: 'failed', errorCode: 'file_not_text' });
    expect(d.latestVersion.error).toMatch(/binary data/);
    const rows = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/kommuner/rows?_size=3` })).json();
    expect(rows.total).toBe(358);
    expect(rows.rows).toHaveLength(3);
  });
});

describe('GET /api/v1/datasets/:id/tables/:table/rows', () => {
  it('rejects bad paging parameters with 400', async () => {
    for (const q of ['_size=0', '_size=10001', '_size=abc', '_offset=-1', '_offset=x']) {
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
    expect(first.next).toMatch(new RegExp(`^https://data\\.example\\.no/api/v1/datasets/${publicId}/tables/pristilskudd/rows\\?_size=5&_version=1&_cursor=[A-Za-z0-9_-]+$`));
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
    expect(html).toContain('Filen er ikke en tabell i et format tjenesten leser (CSV, XLSX, JSON, NDJSON eller Parquet).');
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
    expect(anon.body).not.toContain('De første');
    expect(anon.body).not.toContain('<td>Hå</td>');
    const outsiderPage = await t.app.inject({ url: `/datasett/${restrictedId}?lang=nn`, headers: auth(outsider) });
    expect(outsiderPage.body).toContain('Du har ikkje tilgang til dataa i denne tabellen.');
    const member = await t.app.inject({ url: `/datasett/${restrictedId}`, headers: auth(editor) });
    expect(member.body).toContain('<td>Hå</td>');
  });
});

describe('the upload page', () => {
  it('lets editors upload a CSV without JavaScript, the CSRF token as the first field (never in the URL)', async () => {
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
    expect(form.body).toContain(`<form method="post" action="${url}" enctype="multipart/form-data"`);
    expect(form.body).not.toContain('_csrf=');
    // The hidden token is the form's first control, so it is the first multipart field a browser sends.
    const formHtml = form.body.slice(form.body.indexOf(`action="${url}"`));
    expect(formHtml.indexOf(`name="_csrf" value="${ed.csrf}"`)).toBeLessThan(formHtml.indexOf('name="name"'));
    expect(form.body).toMatch(/<label class="ds-label" for="file">Fil<\/label>/);

    // `x-csrf-token` satisfies the global preHandler of this tree (the hardening branch leaves multipart web requests
    // to the handler); the handler's own check of the first field must refuse these all the same.
    const csv = { name: 'fylker.csv', content: fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv')) };
    const web = (cookie: string) => ({ cookie, 'x-csrf-token': ed.csrf });
    const noCsrf = multipart({ name: 'fylker' }, csv);
    const rejected = await t.app.inject({ method: 'POST', url, headers: { ...noCsrf.headers, ...web(ed.cookie) }, payload: noCsrf.payload });
    expect(rejected.statusCode).toBe(403);
    const late = multipart({ name: 'fylker', _csrf: ed.csrf }, csv);
    expect((await t.app.inject({ method: 'POST', url, headers: { ...late.headers, ...web(ed.cookie) }, payload: late.payload })).statusCode).toBe(403);
    const wrong = multipart({ _csrf: 'x'.repeat(ed.csrf.length), name: 'fylker' }, csv);
    expect((await t.app.inject({ method: 'POST', url, headers: { ...wrong.headers, ...web(ed.cookie) }, payload: wrong.payload })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/fylker`, headers: auth(editor) })).statusCode).toBe(404);

    const bad = multipart({ _csrf: ed.csrf, name: 'Fylker i Norge', title: 'Mine fylker' }, csv);
    const invalid = await t.app.inject({ method: 'POST', url, headers: { ...bad.headers, ...web(ed.cookie) }, payload: bad.payload });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('value="Fylker i Norge"');
    expect(invalid.body).toContain('value="Mine fylker"');
    expect(invalid.body).toContain('Tabellnavnet kan bare ha små bokstaver');
    expect(invalid.body).toContain('aria-invalid="true"');

    const pdf = multipart({ _csrf: ed.csrf, name: 'pdf' }, { name: 'data.csv', content: Buffer.from('%PDF-1.4\n') });
    const refused = await t.app.inject({ method: 'POST', url, headers: { ...pdf.headers, ...web(ed.cookie) }, payload: pdf.payload });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Denne filtypen kan ikke leses som tabell.');

    const good = multipart({ _csrf: ed.csrf, name: 'kommuner-web', title: 'Kommuner fra skjema' }, csv);
    const ok = await t.app.inject({ method: 'POST', url, headers: { ...good.headers, ...web(ed.cookie) }, payload: good.payload });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/datasett/${publicId}/tabeller/kommuner-web/innlesing`);
    // The waiting page: a status region the island keeps current, and a plain refresh link without JavaScript.
    const waiting = await t.app.inject({ url: ok.headers.location as string, headers: { cookie: ed.cookie } });
    expect(waiting.statusCode).toBe(200);
    if (waiting.body.includes('data-job-url')) {
      expect(waiting.body).toMatch(/<div class="ds-alert" data-color="info" role="status" id="ingest-status" data-job-url="\/api\/v1\/jobs\/[^"]+"/);
      expect(waiting.body).toContain('<script src="/static/upload.js" defer></script>');
      expect(waiting.body).toContain('>Oppdater</a>');
    }
    expect(waiting.body).not.toMatch(/<script>/);
    await t.services.jobs.drain(60_000);
    const after = await t.app.inject({ url: `/datasett/${publicId}` });
    expect(after.body).toContain('<caption>Kolonner i «Kommuner fra skjema»</caption>');
    expect(after.body).not.toContain(`href="${url}"`);
    const done = await t.app.inject({ url: ok.headers.location as string, headers: { cookie: ed.cookie } });
    expect(done.body).toContain('Versjon 1 er lest inn: 358 rader.');
    expect(done.body).not.toContain('upload.js');
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'table.upload').execute();
    expect(audit.map((a) => JSON.parse(a.details).via)).toContain('session');
  });

  it('serves the island script', async () => {
    const res = await t.app.inject({ url: '/static/upload.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.body).toContain("getElementById('ingest-status')");
  });
});

describe('hostile and malformed uploads', () => {
  const url = () => `/api/v1/datasets/${publicId}/tables`;
  const versionCount = async () => Number((await t.db.selectFrom('table_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('refuses PDF by its first bytes whatever the name and unknown extensions, accepts .tab and no extension', async () => {
    for (const [name, content] of [
      ['data.tsv', Buffer.from('%PDF-1.7\n')],
      ['data', Buffer.from('%PDF-1.4\n')],
      ['data.docx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4])],
    ] as const) {
      const res = await upload(publicId, editor, { name: 'format' }, { name, content });
      expect(res.statusCode, name).toBe(422);
      expect(res.json().error.details.problems[0]).toMatchObject({ field: '/file', code: 'unsupported_format' });
    }
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/format` })).statusCode).toBe(404);
    for (const [name, content] of [
      ['kommuner', Buffer.from('kode;navn\n0301;Oslo\n1101;Eigersund\n')],
      ['kommuner.tab', Buffer.from('kode\tnavn\n0301\tOslo\n')],
    ] as const) {
      const res = await upload(publicId, editor, { name: `fmt-${name.replace('.', '-')}` }, { name, content });
      expect(res.statusCode, name).toBe(202);
    }
    await t.services.jobs.drain(60_000);
    const tab = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/fmt-kommuner-tab` })).json();
    expect(tab.currentVersion.import.sourceFormat).toBe('tsv');
    expect(tab.columns.map((c: { name: string }) => c.name)).toEqual(['kode', 'navn']);
  });

  it('answers malformed multipart with 400, never 500, and stores nothing for an interrupted upload', async () => {
    const before = await versionCount();
    const noBoundary = await t.app.inject({ method: 'POST', url: url(), headers: { ...auth(editor), 'content-type': 'multipart/form-data' }, payload: 'hello' });
    expect([400, 415]).toContain(noBoundary.statusCode);
    const garbage = await t.app.inject({ method: 'POST', url: url(), headers: { ...auth(editor), 'content-type': 'multipart/form-data; boundary=xyz' }, payload: '--xyz\r\nnonsense' });
    expect(garbage.statusCode).toBe(400);
    // The body ends in the middle of the file: nothing is kept, no version waits forever.
    const whole = multipart({ name: 'avbrutt' }, { name: 'a.csv', content: Buffer.alloc(200_000, 'a;b\n1;2\n') });
    const cut = whole.payload.subarray(0, 100_000);
    const aborted = await t.app.inject({ method: 'POST', url: url(), headers: { ...whole.headers, ...auth(editor) }, payload: cut });
    expect(aborted.statusCode).toBe(400);
    expect(aborted.json().error.code).toMatch(/upload_incomplete|invalid_multipart/);
    expect(await versionCount()).toBe(before);
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/avbrutt` })).statusCode).toBe(404);
    // One stored source file per uploaded version (re-ingests share theirs), none for the interrupted upload.
    const blobsDir = path.join(t.services.platform.config.dataDir, 'blobs');
    const sources = await t.db.selectFrom('table_versions').select('source_blob_key').distinct().execute();
    expect(fs.readdirSync(path.join(blobsDir, 'objects', 'uploads'))).toHaveLength(sources.length);
    expect(fs.existsSync(path.join(blobsDir, 'tmp')) ? fs.readdirSync(path.join(blobsDir, 'tmp')) : []).toEqual([]);
  });

  it('refuses NUL and control characters in name and title', async () => {
    const nulName = await upload(publicId, editor, { name: 'abc\u0000def' }, { name: 'a.csv', content: Buffer.from('a\n1\n') });
    expect(nulName.statusCode).toBe(422);
    expect(nulName.json().error.details.problems[0]).toMatchObject({ field: '/name', code: 'invalid_table_name' });
    const nulTitle = await upload(publicId, editor, { name: 'nul', title: 'Tittel\u0000x' }, { name: 'a.csv', content: Buffer.from('a\n1\n') });
    expect(nulTitle.statusCode).toBe(422);
    expect(nulTitle.json().error.details.problems[0]).toMatchObject({ field: '/title', code: 'invalid_characters' });
  });

  it('checks sourceOptions on upload: bad JSON and unknown keys 400, invalid values 422, good ones kept as given', async () => {
    const send = (sourceOptions: string) => upload(publicId, editor, { name: 'opts', sourceOptions }, { name: 'a.csv', content: Buffer.from('a;b\n1;2\n') });
    const notJson = await send('{delimiter');
    expect(notJson.statusCode).toBe(400);
    const unknown = await send('{"delimiter":";","sheetName":"Ark1"}');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.problems[0]).toMatchObject({ field: '/sourceOptions/sheetName', code: 'unknown_field' });
    const wrongType = await send('{"header":"yes"}');
    expect(wrongType.statusCode).toBe(400);
    for (const bad of ['{"delimiter":";;"}', '{"encoding":"klingon"}', '{"skipLines":-1}', '{"decimalSeparator":";"}', '{"columnTypes":{"a":"money"}}', '{"decimalSeparator":",","thousandsSeparator":","}']) {
      const res = await send(bad);
      expect(res.statusCode, bad).toBe(422);
      expect(res.json().error.details.problems[0].field, bad).toMatch(/^\/sourceOptions\//);
    }
    const ok = await send('{"delimiter":";","header":true,"decimalSeparator":","}');
    expect(ok.statusCode).toBe(202);
    expect(ok.json().version.import.givenOptions).toEqual({ delimiter: ';', header: true, decimalSeparator: ',' });
    await t.services.jobs.drain(60_000);
  });
});

describe('POST /api/v1/datasets/:id/tables/:table/versions (re-ingest)', () => {
  const url = (table = 'opts', id = publicId) => `/api/v1/datasets/${id}/tables/${table}/versions`;
  const post = (payload: unknown, headers: Record<string, string> = auth(editor), target = url()) =>
    t.app.inject({ method: 'POST', url: target, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

  it('walks 401, 400, 422, 403, 404, 409 and 202', async () => {
    expect((await post({}, {})).statusCode).toBe(401);
    const unknown = await post({ sourceOptions: { delimiter: ';', sheetName: 1 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.problems[0].code).toBe('unknown_field');
    expect((await post({ sourceOptions: {}, extra: true })).statusCode).toBe(400);
    const invalid = await post({ sourceOptions: { delimiter: 'ab' } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error.details.problems[0]).toMatchObject({ field: '/sourceOptions/delimiter', code: 'invalid_option' });
    const unknownColumn = await post({ sourceOptions: { columnTypes: { nope: 'text' } } });
    expect(unknownColumn.statusCode).toBe(422);
    expect(unknownColumn.json().error.details.problems[0].code).toBe('unknown_column');
    expect((await post({}, auth(outsider))).statusCode).toBe(403);
    expect((await post({}, auth(editorRead))).statusCode).toBe(403);
    expect((await post({}, auth(editor), url('nope'))).statusCode).toBe(404);
    expect((await post({}, auth(editor), url('opts', 'no-such-dataset'))).statusCode).toBe(404);
    expect((await post({ fromVersion: 99 })).statusCode).toBe(404);

    const res = await post({ sourceOptions: { delimiter: ';', header: false }, fromVersion: 1 });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/jobs/${body.job.id}`);
    expect(body.version).toMatchObject({ version: 2, state: 'pending' });
    expect(body.version.import).toMatchObject({ fromVersion: 1, givenOptions: { delimiter: ';', header: false } });
    // A second re-ingest while this one is pending: 409.
    const busy = await post({});
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe('ingest_pending');
    await t.services.jobs.drain(60_000);
    const d = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/opts`, headers: auth(editor) })).json();
    expect(d.currentVersion.version).toBe(2);
    expect(d.columns.map((c: { name: string }) => c.name)).toEqual(['column0', 'column1'].map((n, i) => d.columns[i]?.name ?? n));
    expect(d.rowCount).toBe(2); // the header line is now a row
    const v1 = d.versions.find((v: { version: number }) => v.version === 1);
    expect(v1.import.sourceFormat).toBe(d.currentVersion.import.sourceFormat);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'table.reingest').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ via: 'token', fromVersion: 1, table: 'opts', version: 2 });
  });

  it('is documented in OpenAPI', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    const op = doc.paths['/api/v1/datasets/{id}/tables/{table}/versions'].post;
    expect(op.tags).toEqual(['tables']);
    expect(op.responses['202']).toBeDefined();
    expect(JSON.stringify(op.requestBody)).toContain('skipLines');
  });
});

describe('the import page', () => {
  it('shows publishers how the file was read and re-reads it with their options; keeps input and says why on errors', async () => {
    const page = `/datasett/${publicId}/tabeller/opts/innlesing`;
    expect((await t.app.inject({ url: page })).statusCode).toBe(303);
    const out = await signIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery' });
    expect((await t.app.inject({ url: page, headers: { cookie: out.cookie } })).statusCode).toBe(403);
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    expect((await t.app.inject({ url: `/datasett/${publicId}/tabeller/nope/innlesing`, headers: { cookie: ed.cookie } })).statusCode).toBe(404);
    const res = await t.app.inject({ url: page, headers: { cookie: ed.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="ds-heading" data-size="lg">Innlesing av «opts»</h1>');
    expect(res.body).toContain('Semikolon (;)');
    expect(res.body).toContain('Poster i filen (talt uavhengig)');
    expect(res.body).toMatch(/<input class="ds-input" type="radio" id="opt-header-no" name="header" value="no" checked/);

    const post = (fields: Record<string, string>, cookie = ed.cookie) =>
      t.app.inject({ method: 'POST', url: page, headers: { ...FORM, cookie }, payload: new URLSearchParams(fields).toString() });
    expect((await post({ fromVersion: '2', header: 'yes' })).statusCode).toBe(403); // no CSRF token
    const bad = await post({ _csrf: ed.csrf, fromVersion: '2', delimiter: ';', header: 'yes', skipLines: 'tre', decimalSeparator: '.', thousandsSeparator: 'none' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="tre"');
    expect(bad.body).toContain('Skriv et heltall fra 0 til 1000.');
    expect(bad.body).toContain('href="#opt-skipLines"');
    const badEn = await t.app.inject({ method: 'POST', url: `${page}?lang=en`, headers: { ...FORM, cookie: ed.cookie }, payload: new URLSearchParams({ _csrf: ed.csrf, skipLines: '5000' }).toString() });
    expect(badEn.statusCode).toBe(422);
    expect(badEn.body).toContain('Enter a whole number from 0 to 1000.');
    const same = await post({ _csrf: ed.csrf, fromVersion: '2', decimalSeparator: ',', thousandsSeparator: ',' });
    expect(same.statusCode).toBe(422);
    expect(same.body).toContain('Tusenskilletegnet kan ikke være det samme som desimaltegnet.');

    const ok = await post({ _csrf: ed.csrf, fromVersion: '2', delimiter: ';', quote: '"', header: 'yes', skipLines: '0', commentPrefix: '', decimalSeparator: '.', thousandsSeparator: 'none' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(page);
    await t.services.jobs.drain(60_000);
    const d = (await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/opts`, headers: auth(editor) })).json();
    expect(d.currentVersion).toMatchObject({ version: 3, rowCount: 1 });
    expect(d.columns.map((c: { name: string }) => c.name)).toEqual(['a', 'b']);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'table.reingest').execute();
    expect(audit.map((a) => JSON.parse(a.details).via)).toEqual(expect.arrayContaining(['token', 'session']));
  });
});

describe('numbers and bad paging', () => {
  it('formats typed numbers for the page language, leaves codes as written', async () => {
    const csv = Buffer.from('kommunenummer;innbyggere;areal\n0301;1316303;454,03\n1101;15141;1316303,34\n');
    expect((await upload(publicId, editor, { name: 'tall' }, { name: 'tall.csv', content: csv })).statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const nb = (await t.app.inject({ url: `/datasett/${publicId}` })).body;
    expect(nb).toContain('<td>0301</td>');
    expect(nb).toContain('<td class="df-num">1\u00a0316\u00a0303</td>');
    expect(nb).toContain('<td class="df-num">1\u00a0316\u00a0303,34</td>');
    const en = (await t.app.inject({ url: `/datasett/${publicId}?lang=en` })).body;
    expect(en).toContain('<td class="df-num">1,316,303.34</td>');
    expect(en).toContain('<td>0301</td>');
  });

  it('rejects out-of-range and non-digit paging with 400', async () => {
    for (const q of ['_offset=1e20', '_offset=99999999999999999999', '_size=1e3', '_size=10.0', '_offset=%00']) {
      const res = await t.app.inject({ url: `/api/v1/datasets/${publicId}/tables/pristilskudd/rows?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
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
    expect((await services.platform.blobs.head(parquetKey))?.size).toBe(table.currentVersion.import.byteSize);

    fs.rmSync(path.join(services.platform.config.dataDir, 'cache'), { recursive: true, force: true });
    const last = (await s3app.app.inject({ url: `/api/v1/datasets/${ds.id}/tables/pristilskudd/rows?_offset=24898&_size=10` })).json();
    expect(last.rows).toHaveLength(1);
    expect(last.total).toBe(24_899);
    const first = (await s3app.app.inject({ url: `/api/v1/datasets/${ds.id}/tables/pristilskudd/rows?_size=1` })).json();
    expect(first.rows[0].komnr).toBe('0301');
  });
});

// --- import report details (the engine's exact detection: ragged rows, comment lines) -------------------------------
describe('import report details', () => {
  it('a ragged row fails with ragged_rows: the publisher sees the line, outsiders the code only', async () => {
    const res = await upload(restrictedId, editor, { name: 'ragget' }, { name: 'r.csv', content: Buffer.from('a;b\n1;2\n3;4;5\n6;7\n') });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const mine = (await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/ragget`, headers: auth(editor) })).json();
    expect(mine.latestVersion).toMatchObject({ state: 'failed', errorCode: 'ragged_rows' });
    expect(mine.latestVersion.import.errorParams.line).toBe(3);
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const page = await t.app.inject({ url: `/datasett/${restrictedId}/tabeller/ragget/innlesing`, headers: { cookie: ed.cookie } });
    expect(page.body).toContain('En rad har et annet antall felt enn overskriftsraden.');
    expect(page.body).toContain('(Linje 3.)');
    const theirs = (await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/ragget` })).json();
    expect(theirs.latestVersion).toMatchObject({ state: 'failed', errorCode: 'ragged_rows' });
    expect(theirs.latestVersion.import).toBeUndefined();
    const anonPage = await t.app.inject({ url: `/datasett/${restrictedId}` });
    expect(anonPage.body).toContain('En rad har et annet antall felt enn overskriftsraden.');
    expect(anonPage.body).not.toContain('(Linje 3.)');
  });

  it('skipped lines are reported by reason with line numbers to the publisher, never to outsiders', async () => {
    const csv = '# Kilde: SSB\na;b\n1;2\n# midt i\n3;4\n';
    const res = await upload(restrictedId, editor, { name: 'kommentert', sourceOptions: '{"commentPrefix":"#"}' }, { name: 'k.csv', content: Buffer.from(csv) });
    expect(res.statusCode).toBe(202);
    await t.services.jobs.drain(60_000);
    const mine = (await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/kommentert`, headers: auth(editor) })).json();
    expect(mine.rowCount).toBe(2);
    expect(mine.currentVersion.import.skipped).toEqual([{ reason: 'comment', count: 2, lines: [1, 4] }]);
    expect(mine.currentVersion.import.recordCount).toBeGreaterThanOrEqual(3);
    const ed = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const page = await t.app.inject({ url: `/datasett/${restrictedId}/tabeller/kommentert/innlesing`, headers: { cookie: ed.cookie } });
    expect(page.body).toContain('Linjer som ble hoppet over: 2.');
    expect(page.body).toContain('Kommentarlinjer: 2 (linje 1, 4)');
    // The dataset page says so too, to those who see the import report; outsiders see the table without it.
    expect((await t.app.inject({ url: `/datasett/${restrictedId}`, headers: auth(editor) })).body).toContain('Linjer som ble hoppet over: 2.');
    expect((await t.app.inject({ url: `/datasett/${restrictedId}` })).body).not.toContain('hoppet over');
    const theirs = await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/kommentert`, headers: auth(outsider) });
    expect(theirs.json().currentVersion.import).toBeUndefined();
    expect(theirs.body).not.toContain('skipped');
  });
});
