// GET /api/v1/datasets/{id}/tables/{table}/profile and the profile on the dataset page (issue 9.4, 10.2): computed in
// the ingest job, stored with the version, shown to readers of all rows only (resolveDataAccess), with SVG charts
// and numbers in the page's language; under a consent "not available"; outsiders get a 401/403 without values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { mod11CheckDigit } from '../../src/identifiers/mod11';
import { ORGNR_WEIGHTS } from '../../src/identifiers';
import { bearerFor, createTestApp, multipart, type TestApp } from '../helpers/app';

function orgnr(n: number): string {
  for (;;) {
    const eight = String(n).padStart(8, '0');
    const check = mod11CheckDigit(eight, ORGNR_WEIGHTS);
    if (check !== undefined) return `${eight}${check}`;
    n++;
  }
}

const OWNER = '981544315';
const BANK = '971526920';
const FARM_A = orgnr(91100000);
const FARM_B = orgnr(91200000);
const OUTSIDER_ORG = orgnr(91400000);
const PASSWORD = 'correct horse battery';
const SECRET = 'HEMMELIGKATEGORI';

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<'PUBLIC' | 'RESTRICTED', string> = { PUBLIC: '', RESTRICTED: '' };
const auth = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const json = (who: string) => ({ ...auth(who), 'content-type': 'application/json' });

/** Norwegian-style: ';', decimal comma with space thousands, komnr with leading zeros, dates, a category, e-mail. */
function csv(): Buffer {
  const lines = ['orgnr;komnr;dato;kategori;belop;epost'];
  const orgs = [FARM_A, FARM_B];
  for (let i = 0; i < 60; i++) {
    const cat = i % 3 === 0 ? SECRET : i % 3 === 1 ? 'Melk' : 'Kjøtt';
    lines.push(`${orgs[i % 2]};${i % 2 ? '0301' : '4601'};2024-0${1 + (i % 6)}-15;${cat};${i === 0 ? '1 316 303,34' : `${i},5`};bruker${i}@example.no`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function upload(datasetId: string, name: string): Promise<void> {
  const body = multipart({ name }, { name: `${name}.csv`, content: csv() });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, ...auth('editor') }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  for (const [nr, name] of [[OWNER, 'Landbruksdirektoratet'], [BANK, 'Banken'], [FARM_A, 'Gard A'], [FARM_B, 'Gard B'], [OUTSIDER_ORG, 'Annen']] as const) {
    await organisations.create(CLI_ACTOR, { orgnr: nr, name });
  }
  for (const [who, email, org, role] of [
    ['editor', 'editor@ldir.example', OWNER, 'editor'],
    ['bank', 'bank@bank.example', BANK, 'member'],
    ['farmA', 'admin@garda.example', FARM_A, 'admin'],
    ['outsider', 'admin@annen.example', OUTSIDER_ORG, 'admin'],
  ] as const) {
    await accounts.createUser({ email, password: PASSWORD, name: who, emailVerified: true });
    await organisations.addMember(CLI_ACTOR, org, { email, role });
    tokens[who] = await bearerFor(t.services, email, ['read', 'write']);
  }
  for (const access of ['PUBLIC', 'RESTRICTED'] as const) {
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: OWNER, title: { nb: `Tilskudd (${access})` }, description: { nb: 'Tilskudd per foretak.' }, accessRights: access,
      licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@ldir.example' },
    });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    ids[access] = ds.id;
    await upload(ds.id, 'tilskudd');
  }
  await upload(ids.RESTRICTED, 'uten-profil');
  await t.services.jobs.drain(60_000);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const profileUrl = (id: string, table = 'tilskudd') => `/api/v1/datasets/${id}/tables/${table}/profile`;
type Col = { name: string; type: string; nullCount: number; distinctCount: number; min: unknown; max: unknown; mean: number | null; topValues: { value: unknown; count: number }[]; histogram: { kind: string; bins: { from: unknown; to: unknown; count: number }[] } | null; semantic: { type: string; validShare: number; confirmed: boolean; basis: string } | null };

describe('GET …/tables/{table}/profile', () => {
  it('gives everyone the profile of a PUBLIC table: counts, values, histograms and semantic types', async () => {
    const res = await t.app.inject({ url: profileUrl(ids.PUBLIC) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { available: boolean; version: number; rowCount: number; columns: Col[] };
    expect(body).toMatchObject({ available: true, version: 1, rowCount: 60 });
    const col = (n: string) => body.columns.find((c) => c.name === n)!;
    expect(col('komnr')).toMatchObject({ type: 'VARCHAR', distinctCount: 2, min: '0301', max: '4601', semantic: { type: 'kommunenummer', confirmed: true, basis: 'name' } });
    expect(col('orgnr').semantic).toMatchObject({ type: 'orgnr', validShare: 1 });
    expect(col('epost').semantic).toMatchObject({ type: 'email', validShare: 1, confirmed: true });
    expect(col('belop')).toMatchObject({ type: 'DOUBLE', max: 1316303.34, min: 1.5 });
    expect(col('belop').histogram?.bins).toHaveLength(20);
    expect(col('dato').histogram).toMatchObject({ kind: 'month' });
    expect(col('dato').histogram!.bins.map((b) => b.count)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(col('kategori').topValues).toEqual([{ value: SECRET, count: 20 }, { value: 'Kjøtt', count: 20 }, { value: 'Melk', count: 20 }]);
    // The stored column schema takes its semantic type from the profile (one source of truth).
    const detail = (await t.app.inject({ url: `/api/v1/datasets/${ids.PUBLIC}/tables/tilskudd` })).json();
    expect(detail.columns.find((c: { name: string }) => c.name === 'epost').semanticType).toBe('email');
    expect(detail.columns.find((c: { name: string }) => c.name === 'komnr').semanticType).toBe('kommunenummer');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/api/v1/datasets/{id}/tables/{table}/profile']?.get).toBeDefined();
  });

  it('needs data access for a RESTRICTED table: 401 anonymous, 403 others, 200 the publisher (audited)', async () => {
    const anon = await t.app.inject({ url: profileUrl(ids.RESTRICTED) });
    expect(anon.statusCode).toBe(401);
    const other = await t.app.inject({ url: profileUrl(ids.RESTRICTED), headers: auth('outsider') });
    expect(other.statusCode).toBe(403);
    for (const r of [anon, other]) expect(r.body).not.toContain(SECRET);
    const mine = await t.app.inject({ url: profileUrl(ids.RESTRICTED), headers: auth('editor') });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(SECRET);
    const audit = await t.db.selectFrom('audit_log').select('action').where('action', '=', 'table.profile').execute();
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('404 for an unknown table or dataset, 409 for a version without a stored profile', async () => {
    expect((await t.app.inject({ url: profileUrl(ids.PUBLIC, 'nope') })).statusCode).toBe(404);
    expect((await t.app.inject({ url: profileUrl('nope') })).statusCode).toBe(404);
    expect((await t.app.inject({ url: profileUrl(ids.PUBLIC, 'Bad Name') })).statusCode).toBe(404);
    const table = await t.db.selectFrom('tables').select(['current_version_id']).where('dataset_id', '=', ids.RESTRICTED).where('name', '=', 'uten-profil').executeTakeFirstOrThrow();
    await t.db.deleteFrom('column_profiles').where('version_id', '=', table.current_version_id!).execute();
    const res = await t.app.inject({ url: profileUrl(ids.RESTRICTED, 'uten-profil'), headers: auth('editor') });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('profile_not_computed');
  });

  it('under a consent (some rows) the profile is not available, in the API and on the page', async () => {
    const mark = await t.app.inject({ method: 'PUT', url: `/api/v1/datasets/${ids.RESTRICTED}/tables/tilskudd/consent`, headers: json('editor'), payload: { column: 'orgnr' } });
    expect(mark.statusCode, mark.body).toBe(200);
    const req = await t.app.inject({
      method: 'POST', url: '/api/v1/consents', headers: json('bank'),
      payload: { consumerOrgnr: BANK, subjectOrgnr: FARM_A, datasetId: ids.RESTRICTED, table: 'tilskudd', purpose: 'Kredittvurdering', validTo: '2027-06-30' },
    });
    expect(req.statusCode, req.body).toBe(201);
    const ok = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${req.json().id}/accept`, headers: auth('farmA') });
    expect(ok.statusCode, ok.body).toBe(200);
    // The bank reads Gard A's rows…
    const rows = await t.app.inject({ url: `/api/v1/datasets/${ids.RESTRICTED}/tables/tilskudd/rows`, headers: auth('bank') });
    expect(rows.statusCode).toBe(200);
    expect(rows.json().total).toBe(30);
    // …but not the whole table's profile.
    const res = await t.app.inject({ url: profileUrl(ids.RESTRICTED), headers: auth('bank') });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('profile_not_available_under_consent');
    expect(res.body).not.toContain('"0301"'); // Gard B's kommune: in the whole table's profile, not in Gard A's rows
    const page = await t.app.inject({ url: `/datasett/${ids.RESTRICTED}`, headers: auth('bank') });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Profilen er ikke tilgjengelig under samtykke');
    expect(page.body).not.toContain('>0301<');
    expect(page.body).not.toContain('Kolonneprofil');
    expect(page.body).not.toContain('<svg');
  });
});

describe('the profile on the dataset page', () => {
  it('shows statistics, charts as accessible SVG with a text alternative, numbers in nb', async () => {
    const page = await t.app.inject({ url: `/datasett/${ids.PUBLIC}` });
    expect(page.statusCode).toBe(200);
    const html = page.body;
    expect(html).toContain('Kolonneprofil');
    expect(html).toContain('1\u00a0316\u00a0303,34');
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="chart-tilskudd-belop-title chart-tilskudd-belop-desc"/);
    expect(html).toContain('<title id="chart-tilskudd-belop-title">Fordeling av belop</title>');
    expect(html).toContain('Tidslinje for dato');
    expect(html).toContain('De 3 vanligste verdiene i kategori');
    expect(html).toContain('Tallene i diagrammet');
    expect(html).toContain('Kommunenummer (100');
    expect(html).not.toMatch(/<[^>]+\sstyle=/); // CSP: no inline style
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
  });

  it('formats numbers for English and Nynorsk readers', async () => {
    const en = await t.app.inject({ url: `/datasett/${ids.PUBLIC}?lang=en` });
    expect(en.body).toContain('1,316,303.34');
    expect(en.body).toContain('Distribution of belop');
    const nn = await t.app.inject({ url: `/datasett/${ids.PUBLIC}?lang=nn` });
    expect(nn.body).toContain('Tidsline for dato');
  });

  it('outsiders of a RESTRICTED table see neither the profile nor its values', async () => {
    for (const headers of [{}, auth('outsider')]) {
      const page = await t.app.inject({ url: `/datasett/${ids.RESTRICTED}`, headers });
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('Kolonneprofil');
      expect(page.body).not.toContain(SECRET);
      expect(page.body).not.toContain('<svg');
    }
  });
});
