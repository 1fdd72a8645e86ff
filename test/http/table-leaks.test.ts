// Nothing of a non-open table leaks through its metadata (issue 6, lesson 2). A NON_PUBLIC and a RESTRICTED dataset
// (both published, so their metadata is public) get tables whose files carry a marker value in every column position:
// in the first row (also of a header-less file whose first row is data), in values with leading zeros (the old column
// note quoted one), and in a broken line far into a file so that its ingest fails (the old failure message quoted the
// line). Every response an outsider can get — anonymous, a signed-in user of another organisation, that user's read
// token; HTML and JSON; successes and errors — is searched for the markers. None may appear, while the publisher does
// read the values in the rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { bearerFor, createTestApp, signIn, type SignedIn, type TestApp, multipart } from '../helpers/app';

const MARK = 'LEAKMARKER7731';
const MARK_DIGITS = '0177317731'; // a code with leading zeros: the kind of value the old keptAsText note quoted
const ORG = '981544315';
const OTHER = '971526920';

let t: TestApp;
let editorToken: string;
let outsiderSession: SignedIn;
let outsiderRead: string;
const datasets: Record<'NON_PUBLIC' | 'RESTRICTED', string> = { NON_PUBLIC: '', RESTRICTED: '' };
const jobIds: string[] = [];


/** Marker in every column: first row, a leading-zero code column, a decimal column. */
function withHeader(): Buffer {
  const lines = ['navn;kode;belop', `${MARK};${MARK_DIGITS};12,5`];
  for (let i = 0; i < 200; i++) lines.push(`Sted ${i};0${String(3000 + i)};${i},25`);
  lines.push(`Sted ${MARK};${MARK_DIGITS};99,5`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** No header: the first row is data (a number in it says so to both engines), markers in every column. */
function headerless(): Buffer {
  const lines = [`${MARK};${MARK_DIGITS};42`];
  for (let i = 0; i < 50; i++) lines.push(`Sted ${i};0${String(3000 + i)};${i}`);
  lines.push(`x${MARK};${MARK_DIGITS};7`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Fine for 5,000 rows, then a broken line quoting the marker: the ingest fails. */
function brokenFarIn(): Buffer {
  const lines = ['navn;kode;belop'];
  for (let i = 0; i < 5000; i++) lines.push(`Sted ${i};0${String(10000 + i)};${i}`);
  lines.push(`${MARK};"${MARK_DIGITS};${MARK};${MARK};"${MARK}`);
  for (let i = 0; i < 10; i++) lines.push(`Etter ${i};0${String(20000 + i)};${i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** A ragged line early on, within the part of the file the old engine quoted in its message. */
function brokenEarly(): Buffer {
  const lines = ['navn;kode;belop'];
  for (let i = 0; i < 30; i++) lines.push(`Sted ${i};0${String(10000 + i)};${i}`);
  lines.push(`${MARK};${MARK_DIGITS};${MARK};${MARK}`);
  for (let i = 0; i < 10; i++) lines.push(`Etter ${i};0${String(20000 + i)};${i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

const FILES: [string, () => Buffer][] = [
  ['med-overskrift', withHeader],
  ['uten-overskrift', headerless],
  ['odelagt', brokenFarIn],
  ['odelagt-tidlig', brokenEarly],
];

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Landbruksdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: OTHER, name: 'Statistisk sentralbyrå' });
  await accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await accounts.createUser({ email: 'outsider@example.no', password: 'correct horse battery', name: 'Outsider' });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, OTHER, { email: 'outsider@example.no', role: 'admin' });
  editorToken = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsiderRead = await bearerFor(t.services, 'outsider@example.no', ['read']);
  outsiderSession = await signIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery' });
  for (const access of ['NON_PUBLIC', 'RESTRICTED'] as const) {
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: ORG,
      title: { nb: `Tilskudd (${access})` },
      description: { nb: 'Tilskudd per foretak.' },
      accessRights: access,
      licence: 'http://data.norge.no/nlod/no/2.0',
      contactPoint: { email: 'data@example.no' },
    });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    datasets[access] = ds.id;
    for (const [name, file] of FILES) {
      const body = multipart({ name }, { name: `${name}.csv`, content: file() });
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${ds.id}/tables`, headers: { ...body.headers, authorization: `Bearer ${editorToken}` }, payload: body.payload });
      expect(res.statusCode, res.body).toBe(202);
      jobIds.push(res.json().job.id);
    }
  }
  await t.services.jobs.drain(60_000);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

type Who = { label: string; headers: Record<string, string> };
const outsiders = (): Who[] => [
  { label: 'anonymous', headers: {} },
  { label: 'other organisation (session)', headers: { cookie: outsiderSession.cookie } },
  { label: 'other organisation (read token)', headers: { authorization: `Bearer ${outsiderRead}` } },
];

function expectClean(label: string, body: string): void {
  expect(body.includes(MARK), `${label} contains ${MARK}`).toBe(false);
  expect(body.includes(MARK_DIGITS), `${label} contains ${MARK_DIGITS}`).toBe(false);
}

describe('non-open tables through their metadata', () => {
  it('the files were ingested as intended: two ready, one failed', async () => {
    for (const id of Object.values(datasets)) {
      const list = (await t.app.inject({ url: `/api/v1/datasets/${id}/tables`, headers: { authorization: `Bearer ${editorToken}` } })).json().items;
      const states = Object.fromEntries(list.map((x: { name: string; latestVersion: { state: string } }) => [x.name, x.latestVersion.state]));
      expect(states).toEqual({ 'med-overskrift': 'ready', 'uten-overskrift': 'ready', odelagt: 'failed', 'odelagt-tidlig': 'failed' });
    }
  });

  it('the publisher sees the values in the rows, and the full import report', async () => {
    for (const id of Object.values(datasets)) {
      const rows = await t.app.inject({ url: `/api/v1/datasets/${id}/tables/med-overskrift/rows?_size=1000`, headers: { authorization: `Bearer ${editorToken}` } });
      expect(rows.statusCode).toBe(200);
      expect(rows.body).toContain(MARK);
      expect(rows.body).toContain(MARK_DIGITS);
      const detail = (await t.app.inject({ url: `/api/v1/datasets/${id}/tables/med-overskrift`, headers: { authorization: `Bearer ${editorToken}` } })).json();
      expect(detail.detailLevel).toBe('full');
      expect(detail.currentVersion.import.sourceOptions).toMatchObject({ delimiter: ';' });
      expect(detail.columns.find((c: { name: string }) => c.name === 'kode')).toMatchObject({ type: 'VARCHAR', keptAsText: 'leading_zeros' });
      const page = await t.app.inject({ url: `/datasett/${id}`, headers: { authorization: `Bearer ${editorToken}` } });
      expect(page.body).toContain(MARK);
      // The profile holds the markers (min of navn and kode, a top value of kode): the leak checks below can fail.
      const profile = await t.app.inject({ url: `/api/v1/datasets/${id}/tables/med-overskrift/profile`, headers: { authorization: `Bearer ${editorToken}` } });
      expect(profile.statusCode).toBe(200);
      expect(profile.body).toContain(MARK);
      expect(profile.body).toContain(MARK_DIGITS);
      expect(page.body).toContain('Kolonneprofil');
    }
  });

  it('job records and failure messages hold no values, even for the publisher', async () => {
    for (const id of jobIds) {
      const job = await t.app.inject({ url: `/api/v1/jobs/${id}`, headers: { authorization: `Bearer ${editorToken}` } });
      expect(job.statusCode).toBe(200);
      expectClean(`job ${id} for the publisher`, job.body);
    }
    for (const id of Object.values(datasets)) for (const name of ['odelagt', 'odelagt-tidlig']) {
      const detail = await t.app.inject({ url: `/api/v1/datasets/${id}/tables/${name}`, headers: { authorization: `Bearer ${editorToken}` } });
      expectClean('failed table for the publisher', detail.body);
      expect(detail.json().latestVersion.errorCode).toMatch(/^(invalid_csv|ragged_rows|record_count_mismatch)$/);
      const page = await t.app.inject({ url: `/datasett/${id}/tabeller/${name}/innlesing`, headers: { authorization: `Bearer ${editorToken}` } });
      expect(page.statusCode).toBe(200);
      expectClean('import page of the failed table for the publisher', page.body);
    }
  });

  it('outsiders find no marker in any response they can get', async () => {
    for (const who of outsiders()) {
      for (const [access, id] of Object.entries(datasets)) {
        const seen: string[] = [];
        const get = async (url: string, extra: Record<string, string> = {}) => {
          const res = await t.app.inject({ url, headers: { ...who.headers, ...extra } });
          expectClean(`${who.label} GET ${url} (${access}, ${res.statusCode})`, res.body);
          seen.push(`${res.statusCode} ${url}`);
          return res;
        };
        for (const lang of ['nb', 'nn', 'en']) {
          const page = await get(`/datasett/${id}?lang=${lang}`);
          expect(page.statusCode).toBe(200);
          expect(page.body).toContain('navn'); // column names are public metadata
          expect(page.body).not.toMatch(/<svg|Kolonneprofil|Column profile/); // no profile, no chart
        }
        await get(`/api/v1/datasets/${id}`);
        await get(`/api/v1/datasets/${id}/distributions`);
        const list = await get(`/api/v1/datasets/${id}/tables`);
        expect(list.statusCode).toBe(200);
        for (const item of list.json().items) {
          expect(item.detailLevel).toBe('schema');
          expect(item.latestVersion.import).toBeUndefined();
        }
        for (const [name] of FILES) {
          const detail = await get(`/api/v1/datasets/${id}/tables/${name}`);
          expect(detail.statusCode).toBe(200);
          for (const c of detail.json().columns) expect(Object.keys(c).sort()).toEqual(['name', 'nullable', 'type']);
          const rows = await get(`/api/v1/datasets/${id}/tables/${name}/rows`);
          expect([401, 403, 409]).toContain(rows.statusCode);
          // The column profile (values, counts, shares, semantic types) is data: refused, and the error holds none of it.
          const profile = await get(`/api/v1/datasets/${id}/tables/${name}/profile`);
          expect([401, 403, 409]).toContain(profile.statusCode);
          expect(profile.body).not.toMatch(/topValues|histogram|distinctCount|validShare|semantic/);
          await get(`/api/v1/datasets/${id}/tables/${name}/profile`, { accept: 'text/html' });
          await get(`/api/v1/datasets/${id}/tables/${name}/rows?_size=1000&_offset=0`, { accept: 'text/html' });
          const importPage = await get(`/datasett/${id}/tabeller/${name}/innlesing`);
          expect([303, 403]).toContain(importPage.statusCode);
        }
        const upload = multipart({ name: 'med-overskrift' }, { name: 'x.csv', content: Buffer.from('a;b\n1;2\n') });
        const up = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/tables`, headers: { ...upload.headers, ...who.headers }, payload: upload.payload });
        expect([401, 403]).toContain(up.statusCode);
        expectClean(`${who.label} upload`, up.body);
        const re = await t.app.inject({
          method: 'POST',
          url: `/api/v1/datasets/${id}/tables/med-overskrift/versions`,
          headers: { ...who.headers, 'content-type': 'application/json' },
          payload: { sourceOptions: { header: false } },
        });
        expect([401, 403]).toContain(re.statusCode);
        expectClean(`${who.label} re-ingest`, re.body);
        expect(seen.length).toBeGreaterThan(10);
      }
      for (const jobId of jobIds) {
        const job = await t.app.inject({ url: `/api/v1/jobs/${jobId}`, headers: who.headers });
        // Anonymous: sign in first (whatever the id); signed in without the right to update the dataset: as unknown.
        expect(job.statusCode).toBe(who.label === 'anonymous' ? 401 : 404);
        expectClean(`${who.label} job`, job.body);
      }
      for (const url of ['/', '/datasett', `/api/v1/datasets`]) {
        const res = await t.app.inject({ url, headers: who.headers });
        expect(res.statusCode).toBe(200);
        expectClean(`${who.label} ${url}`, res.body);
      }
      // Search: nothing from the files is found; a search page only echoes the query, as often as for any other word.
      for (const q of [MARK, MARK_DIGITS]) {
        const api = await t.app.inject({ url: `/api/v1/datasets?q=${q}`, headers: who.headers });
        expect(api.json().items).toEqual([]);
        const html = await t.app.inject({ url: `/datasett?q=${q}`, headers: who.headers });
        const control = await t.app.inject({ url: `/datasett?q=${'Q'.repeat(q.length)}`, headers: who.headers });
        expect(html.body.split(q).length).toBe(control.body.split('Q'.repeat(q.length)).length);
      }
    }
  });

  it('the failed table shows its state and a translated, value-free reason to outsiders', async () => {
    const page = await t.app.inject({ url: `/datasett/${datasets.NON_PUBLIC}` });
    expect(page.body).toContain('Innlesingen av versjon 1 feilet.');
    expect(page.body).not.toMatch(/\(Linje \d+\.\)/); // line numbers are for the publisher
    const en = await t.app.inject({ url: `/datasett/${datasets.RESTRICTED}?lang=en` });
    expect(en.body).toContain('Reading in version 1 failed.');
  });
});
