// Import of a Data Package by URL (POST /api/v1/organizations/{orgnr}/datapackages/from-url): a zip URL and a
// datapackage.json URL with relative resource paths, served from a loopback server, become a draft dataset with its
// tables; the network rules of the harvester apply (private addresses refused unless allowed), and every refusal is a
// 422 naming the problem with nothing created.
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { bearerFor, createTestApp, type TestApp } from '../helpers/app';
import { startHarvestServer, type HarvestServer } from '../helpers/harvest-server';

const ORG = '981544315';
let t: TestApp;
let strict: TestApp;
let src: HarvestServer;
let editor: string;
let outsider: string;

const DESCRIPTOR = {
  name: 'tilskudd',
  title: 'Tilskudd til foretak',
  licenses: [{ name: 'NLOD-2.0', path: 'https://data.norge.no/nlod/no/2.0' }],
  resources: [{ name: 'tilskudd', path: 'data/tilskudd.csv', format: 'csv', mediatype: 'text/csv', dialect: { delimiter: ';' }, encoding: 'utf-8' }],
};
const CSV = 'kommunenummer;belop\n0301;10\n4601;20\n';

async function datasetsOfOrg(app: TestApp): Promise<number> {
  return Number((await app.db.selectFrom('datasets').select((eb) => eb.fn.countAll().as('n')).where('orgnr', '=', ORG).executeTakeFirstOrThrow()).n);
}

const post = (app: TestApp, token: string, url: string) =>
  app.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/datapackages/from-url`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { url } });

beforeAll(async () => {
  src = await startHarvestServer();
  t = await createTestApp({ env: { HARVEST_ALLOW_PRIVATE: 'true', HARVEST_TIMEOUT_MS: '1500' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Landbruksdirektoratet' });
  await t.services.accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await t.services.accounts.createUser({ email: 'outsider@example.no', password: 'correct horse battery', name: 'Outsider' });
  await t.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  editor = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsider = await bearerFor(t.services, 'outsider@example.no', ['read', 'write']);
  src.serve('/pkg.zip', 'application/zip', Buffer.from(zipSync({ 'datapackage.json': Buffer.from(JSON.stringify(DESCRIPTOR)), 'data/tilskudd.csv': Buffer.from(CSV) })));
  src.serve('/pkg/datapackage.json', 'application/json', JSON.stringify(DESCRIPTOR));
  src.serve('/pkg/data/tilskudd.csv', 'text/csv', CSV);
  src.serve('/remote/datapackage.json', 'application/json', JSON.stringify({ ...DESCRIPTOR, resources: [{ ...DESCRIPTOR.resources[0], path: `${src.url}/pkg/data/tilskudd.csv` }] }));
  src.serve('/html', 'text/html', '<!doctype html><p>Logg inn</p>');
  src.serve('/missing-file/datapackage.json', 'application/json', JSON.stringify(DESCRIPTOR));
}, 120_000);

afterAll(async () => {
  await strict?.close();
  await t?.close();
  await src?.close();
});

describe('Data Package import by URL', () => {
  it('imports a zip URL and a datapackage.json URL with relative paths as draft datasets with their tables', async () => {
    for (const p of ['/pkg.zip', '/pkg/datapackage.json']) {
      const res = await post(t, editor, `${src.url}${p}`);
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as { dataset: { id: string }; tables: { name: string }[] };
      expect(body.tables.map((x) => x.name)).toEqual(['tilskudd']);
      await t.services.jobs.drain(60_000);
      const rows = await t.services.tables.rows(CLI_ACTOR, body.dataset.id, 'tilskudd', {});
      expect(rows.rows).toEqual([
        { kommunenummer: '0301', belop: 10 },
        { kommunenummer: '4601', belop: 20 },
      ]);
      expect((await t.services.catalog.getDataset(CLI_ACTOR, body.dataset.id)).state).toBe('draft');
    }
  });

  it('refuses, creating nothing: a remote resource URL, a missing file, an HTML answer, HTTP 404, a non-http URL', async () => {
    const before = await datasetsOfOrg(t);
    const cases: [string, RegExp][] = [
      [`${src.url}/remote/datapackage.json`, /URL|remote|path/i],
      [`${src.url}/html`, /neither a zip nor a datapackage\.json/],
      [`${src.url}/nothing-here.zip`, /could not be fetched/],
      [`${src.url}/missing-file/datapackage.json`, /could not be fetched.*HTTP 404/],
      ['file:///etc/passwd', /could not be fetched/],
    ];
    for (const [url, message] of cases) {
      const res = await post(t, editor, url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(422);
      expect(res.body, url).toMatch(message);
    }
    expect(await datasetsOfOrg(t)).toBe(before);
  });

  it('is for editors of the organisation only, and checks the body', async () => {
    expect((await post(t, outsider, `${src.url}/pkg.zip`)).statusCode).toBe(403);
    const anon = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/datapackages/from-url`, headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' }, payload: { url: `${src.url}/pkg.zip` } });
    expect(anon.statusCode).toBe(401);
    const extra = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/datapackages/from-url`, headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' }, payload: { url: `${src.url}/pkg.zip`, sneaky: 1 } });
    expect(extra.statusCode).toBe(400);
  });

  it('refuses a loopback source when private addresses are not allowed', async () => {
    strict = await createTestApp();
    await strict.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Landbruksdirektoratet' });
    await strict.services.accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
    await strict.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
    const token = await bearerFor(strict.services, 'editor@example.no', ['read', 'write']);
    const res = await post(strict, token, `${src.url}/pkg.zip`);
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/private or loopback/i);
    expect(await datasetsOfOrg(strict)).toBe(0);
  });
});
