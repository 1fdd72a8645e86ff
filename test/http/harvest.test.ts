// Harvest sources over HTTP: the JSON API under /api/v1/harvest-sources (operator only, through the access door) and
// the operator pages at /operator/hosting, each route walked unauthenticated → invalid → forbidden → not found →
// success; the dataset page of a harvested dataset says where it came from; the CLI adds, lists and harvests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main';
import { bearerFor, createTestApp, FORM_HEADERS, form, signIn, type SignedIn, type TestApp } from '../helpers/app';
import { startHarvestServer, type HarvestServer } from '../helpers/harvest-server';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dcat-ap-no');

let t: TestApp;
let src: HarvestServer;
let operator: SignedIn;
let alice: SignedIn;
let opToken: string;
let opNoAdmin: string;
let aliceToken: string;
const json = { 'content-type': 'application/json' };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await createTestApp({ env: { HARVEST_ALLOW_PRIVATE: 'true', HARVEST_TIMEOUT_MS: '2000' } });
  t.services.harvest.registerJobs();
  await t.services.jobs.start();
  src = await startHarvestServer();
  src.serve('/catalog.ttl', 'text/turtle', fs.readFileSync(path.join(fixtures, 'test.ttl'), 'utf8'));
  src.serve('/broken.ttl', 'text/turtle', '<http://a> <http://b> "unterminated .');
  await t.services.accounts.createUser({ email: 'operator@example.no', password: 'correct horse battery', name: 'Olga Operatør', isOperator: true });
  await t.services.accounts.createUser({ email: 'alice@example.no', password: 'correct horse battery', name: 'Alice' });
  operator = await signIn(t.app, { email: 'operator@example.no', password: 'correct horse battery' });
  alice = await signIn(t.app, { email: 'alice@example.no', password: 'correct horse battery' });
  opToken = await bearerFor(t.services, 'operator@example.no', ['read', 'write', 'admin']);
  opNoAdmin = await bearerFor(t.services, 'operator@example.no', ['read', 'write']);
  aliceToken = await bearerFor(t.services, 'alice@example.no', ['read', 'write', 'admin']);
});
afterAll(async () => {
  await src?.close();
  await t?.close();
});

describe('JSON API /api/v1/harvest-sources', () => {
  let sourceId: string;

  it('POST: 401 → 415 → 400 (unknown field, bad kind) → 403 (user; operator token without admin) → 422 → 201', async () => {
    const body = { name: 'Testkatalog', kind: 'dcat', url: `${src.url}/catalog.ttl` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: json, payload: body })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opToken), 'content-type': 'text/plain' }, payload: 'x' })).statusCode).toBe(415);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opToken), ...json }, payload: { ...body, colour: 'red' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('invalid_request');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opToken), ...json }, payload: { ...body, kind: 'ftp' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(aliceToken), ...json }, payload: body })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opNoAdmin), ...json }, payload: body })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opToken), ...json }, payload: { ...body, url: 'ftp://example.no/x' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems[0]).toMatchObject({ field: '/url', code: 'invalid_url' });
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { ...auth(opToken), ...json }, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Testkatalog', kind: 'dcat', intervalMinutes: null, enabled: true, lastRun: null });
    sourceId = created.json().id;
  });

  it('a cookie-authenticated change needs proof of same origin', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources', headers: { cookie: operator.cookie, ...json }, payload: { name: 'x', kind: 'dcat', url: `${src.url}/x` } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
  });

  it('GET list and one: 401 → 403 → 404 → 200', async () => {
    expect((await t.app.inject({ url: '/api/v1/harvest-sources' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/harvest-sources', headers: auth(aliceToken) })).statusCode).toBe(403);
    const list = await t.app.inject({ url: '/api/v1/harvest-sources', headers: auth(opToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((s: { id: string }) => s.id)).toContain(sourceId);
    expect((await t.app.inject({ url: `/api/v1/harvest-sources/${sourceId}` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `/api/v1/harvest-sources/${sourceId}`, headers: auth(aliceToken) })).statusCode).toBe(403);
    const missing = await t.app.inject({ url: '/api/v1/harvest-sources/nope', headers: auth(opToken) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('harvest_source_not_found');
    expect((await t.app.inject({ url: `/api/v1/harvest-sources/${sourceId}`, headers: auth(opToken) })).json()).toMatchObject({ id: sourceId });
  });

  it('PATCH: 401 → 400 → 403 → 404 → 422 → 200', async () => {
    const url = `/api/v1/harvest-sources/${sourceId}`;
    expect((await t.app.inject({ method: 'PATCH', url, headers: json, payload: { intervalMinutes: 60 } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PATCH', url, headers: { ...auth(opToken), ...json }, payload: { intervalMinutes: 1 } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url, headers: { ...auth(aliceToken), ...json }, payload: { intervalMinutes: 60 } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/harvest-sources/nope', headers: { ...auth(opToken), ...json }, payload: { intervalMinutes: 60 } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url, headers: { ...auth(opToken), ...json }, payload: { name: '   ' } })).statusCode).toBe(422);
    const ok = await t.app.inject({ method: 'PATCH', url, headers: { ...auth(opToken), ...json }, payload: { intervalMinutes: 60 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ intervalMinutes: 60, nextRunAt: expect.any(String) });
  });

  it('POST …/runs queues a run (202); a second is 409 while one is active; the report shows what happened', async () => {
    const url = `/api/v1/harvest-sources/${sourceId}/runs`;
    expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/harvest-sources/nope/runs', headers: auth(opToken) })).statusCode).toBe(404);
    const queued = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(queued.statusCode).toBe(202);
    expect(queued.json()).toMatchObject({ state: 'queued', trigger: 'manual', jobId: expect.any(String) });
    await t.services.jobs.drain(30_000);
    // While a run is queued or running (here: one a worker holds), another is 409.
    const now = new Date().toISOString();
    await t.db.insertInto('harvest_runs').values({ id: 'held', source_id: sourceId, state: 'running', trigger: 'schedule', job_id: null, error: null, created_at: now, started_at: now, finished_at: null }).execute();
    const again = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('harvest_run_active');
    await t.db.deleteFrom('harvest_runs').where('id', '=', 'held').execute();
    // A run whose job has ended without finishing it (its worker died) does not block the source: it is marked
    // interrupted and a new run is queued.
    await t.db.insertInto('harvest_runs').values({ id: 'orphan', source_id: sourceId, state: 'running', trigger: 'manual', job_id: queued.json().jobId, error: null, created_at: now, started_at: now, finished_at: null }).execute();
    const next = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(next.statusCode).toBe(202);
    await t.services.jobs.drain(30_000);
    expect((await t.app.inject({ url: `${url}/orphan`, headers: auth(opToken) })).json()).toMatchObject({ state: 'failed', error: expect.stringMatching(/Interrupted/) });
    const runId = queued.json().id;
    expect((await t.app.inject({ url: `${url}/${runId}` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `${url}/${runId}`, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `${url}/nope`, headers: auth(opToken) })).statusCode).toBe(404);
    const report = await t.app.inject({ url: `${url}/${runId}`, headers: auth(opToken) });
    expect(report.json()).toMatchObject({ state: 'succeeded', added: 2, failed: 0 });
    const runs = await t.app.inject({ url, headers: auth(opToken) });
    expect(runs.json().items.length).toBeGreaterThanOrEqual(1);
    expect((await t.app.inject({ url, headers: auth(aliceToken) })).statusCode).toBe(403);
    // The harvested dataset is in the public list and its page says where it came from.
    const list = await t.app.inject({ url: '/api/v1/datasets?q=relasjon' });
    const ds = list.json().items.find((d: { title: { nb?: string } }) => d.title.nb === 'Test av relasjon til begrep');
    expect(ds).toBeDefined();
    const page = await t.app.inject({ url: `/datasett/${ds.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Høstet fra Testkatalog');
    expect(page.body).toContain('http://eurovoc.europa.eu/100145');
  });

  it('DELETE: 401 → 403 → 404 → 200, removing the datasets only it brought', async () => {
    const url = `/api/v1/harvest-sources/${sourceId}`;
    expect((await t.app.inject({ method: 'DELETE', url })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/harvest-sources/nope', headers: auth(opToken) })).statusCode).toBe(404);
    const res = await t.app.inject({ method: 'DELETE', url, headers: auth(opToken) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ removedDatasets: 2 });
    expect(await t.db.selectFrom('datasets').select('id').where('origin', '=', sourceId).execute()).toEqual([]);
  });
});

describe('operator pages /operator/hosting', () => {
  it('anonymous visitors are sent to sign in; other users get 403; the operator sees the page in nb, nn and en', async () => {
    const anon = await t.app.inject({ url: '/operator/hosting' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toContain('/logg-inn');
    expect((await t.app.inject({ url: '/operator/hosting', headers: { cookie: alice.cookie } })).statusCode).toBe(403);
    const nb = await t.app.inject({ url: '/operator/hosting', headers: { cookie: operator.cookie } });
    expect(nb.statusCode).toBe(200);
    expect(nb.body).toContain('Høsting av kataloger');
    expect((await t.app.inject({ url: '/operator/hosting?lang=nn', headers: { cookie: operator.cookie } })).body).toContain('Hausting av katalogar');
    expect((await t.app.inject({ url: '/operator/hosting?lang=en', headers: { cookie: operator.cookie } })).body).toContain('Harvesting catalogues');
  });

  it('adding a source: no CSRF → 403; invalid → 422 with the input kept; valid → 303 to the source', async () => {
    const payload = { name: 'Skjemakilde', kind: 'dcat', url: `${src.url}/broken.ttl`, intervalMinutes: '' };
    expect((await t.app.inject({ method: 'POST', url: '/operator/hosting', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form(payload) })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/operator/hosting', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ ...payload, url: 'not a url', intervalMinutes: '2', _csrf: operator.csrf }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Skriv en fullstendig http- eller https-adresse.');
    expect(bad.body).toContain('value="Skjemakilde"');
    expect((await t.app.inject({ method: 'POST', url: '/operator/hosting', headers: { ...FORM_HEADERS, cookie: alice.cookie }, payload: form({ ...payload, _csrf: alice.csrf }) })).statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/operator/hosting', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ ...payload, _csrf: operator.csrf }) });
    expect(ok.statusCode).toBe(303);
    const location = ok.headers.location as string;
    expect(location).toMatch(/^\/operator\/hosting\/[0-9a-f-]+\?done=created$/);
    const id = location.split('/')[3]!.split('?')[0]!;

    // Run it from the page: queued, then the failure is reported with its reason.
    expect((await t.app.inject({ method: 'POST', url: `/operator/hosting/${id}/kjor`, headers: { ...FORM_HEADERS, cookie: alice.cookie }, payload: form({ _csrf: alice.csrf }) })).statusCode).toBe(403);
    const run = await t.app.inject({ method: 'POST', url: `/operator/hosting/${id}/kjor`, headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ _csrf: operator.csrf }) });
    expect(run.statusCode).toBe(303);
    expect(run.headers.location).toBe(`/operator/hosting/${id}?done=queued`);
    await t.services.jobs.drain(30_000);
    const page = await t.app.inject({ url: `/operator/hosting/${id}`, headers: { cookie: operator.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Feilet');
    expect(page.body).toContain('Malformed Turtle');
    expect((await t.app.inject({ url: '/operator/hosting/nope', headers: { cookie: operator.cookie } })).statusCode).toBe(404);

    const del = await t.app.inject({ method: 'POST', url: `/operator/hosting/${id}/slett`, headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ _csrf: operator.csrf }) });
    expect(del.statusCode).toBe(303);
    expect(del.headers.location).toBe('/operator/hosting?done=deleted&count=0');
  });
});

describe('CLI: harvest add, list, SOURCE', () => {
  it('adds a source, lists it and harvests it with a report; a failed run exits 1', async () => {
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), env: { DATA_DIR: t.platform.config.dataDir, DATABASE_URL: t.platform.config.databaseUrl, LOG_LEVEL: 'silent', HARVEST_ALLOW_PRIVATE: 'true', REGISTRY_URL: '' } };
    expect(await main(['harvest', 'add', '--name', 'CLI-kilde', '--kind', 'dcat', '--url', `${src.url}/catalog.ttl`], io)).toBe(0);
    expect(await main(['harvest', 'add', '--name', 'x', '--kind', 'gopher', '--url', `${src.url}/x`], io)).toBe(2);
    expect(await main(['harvest', 'list'], io)).toBe(0);
    expect(out.join('\n')).toContain('CLI-kilde');
    out.length = 0;
    expect(await main(['harvest', 'CLI-kilde'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/Harvest of CLI-kilde: succeeded\.\nadded 2, updated 0/);
    expect(await main(['harvest', 'add', '--name', 'CLI-brutt', '--kind', 'dcat', '--url', `${src.url}/broken.ttl`], io)).toBe(0);
    out.length = 0;
    expect(await main(['harvest', 'CLI-brutt', '--json'], io)).toBe(1);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ state: 'failed', error: expect.stringMatching(/Malformed Turtle/) });
    expect(await main(['harvest', 'no-such-source'], io)).toBe(1);
  });
});

describe('the scheduler', () => {
  it('enqueues a due source once even when two nodes tick at the same moment', async () => {
    const s = await t.services.harvest.create((await import('../../src/access/model')).CLI_ACTOR, { name: 'Planlagt', kind: 'dcat', url: `${src.url}/catalog.ttl`, intervalMinutes: 5 });
    const now = new Date(Date.now() + 1000);
    const [a, b] = await Promise.all([t.services.harvest.tick(now), t.services.harvest.tick(now)]);
    expect(a + b).toBe(1);
    expect(await t.services.harvest.tick(now)).toBe(0);
    await t.services.jobs.drain(30_000);
    const runs = await t.db.selectFrom('harvest_runs').selectAll().where('source_id', '=', s.id).execute();
    expect(runs.map((r) => [r.trigger, r.state])).toEqual([['schedule', 'succeeded']]);
    const after = await t.db.selectFrom('harvest_sources').select('next_run_at').where('id', '=', s.id).executeTakeFirstOrThrow();
    expect(Date.parse(after.next_run_at!)).toBeGreaterThan(now.getTime() + 4 * 60_000);
  });
});
