// The CKAN-compatible Action API (issue 8 part 3): CKAN's envelope, error shape, statuses and field names for every
// action, fq and facets consistent with counts, paging, datastore_search over a hosted table, and the same access rules
// as everywhere — a NON_PUBLIC and a RESTRICTED dataset's rows and values never reach an outsider, drafts stay hidden.
// No CKAN client library is installed, so the shapes ckanapi/ckanext-harvest read are checked directly (schema checks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { EU_THEME_BASE } from '../../src/catalog/vocabularies';
import { CkanError } from '../../src/interop/ckan/model';
import { createCkanService } from '../../src/interop/ckan/service';
import { bearerFor, createTestApp, signIn, type TestApp, multipart } from '../helpers/app';

const ORG = '981544315';
const OTHER = '971526920';
const MARK = 'SECRETVALUE4412';

let t: TestApp;
let editorRead: string;
let outsiderRead: string;
const ids = { water: '', people: '', nonPublic: '', restricted: '', draft: '' };
const res = { water: '', people: '', nonPublic: '', restricted: '', draft: '' };


/** 1,500 rows: more than one page of the rows API (1,000). */
function waterCsv(): Buffer {
  const lines = ['sted;verdi;dato'];
  for (let i = 0; i < 1500; i++) lines.push(`${i % 3 === 0 ? 'Ålesund' : i % 3 === 1 ? 'Molde' : 'Kristiansund'};${i};2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

function secretCsv(): Buffer {
  const lines = ['navn;belop'];
  lines.push(`${MARK};100`);
  for (let i = 0; i < 20; i++) lines.push(`Foretak ${i};${i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function upload(datasetId: string, name: string, content: Buffer, token: string) {
  const body = multipart({ name }, { name: `${name}.csv`, content });
  const r = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  expect(r.statusCode, r.body).toBe(202);
}

async function publishedDataset(input: Parameters<TestApp['services']['catalog']['createDataset']>[1]) {
  const ds = await t.services.catalog.createDataset(CLI_ACTOR, { description: { nb: 'Beskrivelse.' }, licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@example.no' }, ...input });
  await t.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  return ds.id;
}

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
  const editorWrite = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  editorRead = await bearerFor(t.services, 'editor@example.no', ['read']);
  outsiderRead = await bearerFor(t.services, 'outsider@example.no', ['read']);

  ids.water = await publishedDataset({ orgnr: ORG, title: { nb: 'Vannkvalitet i Ålesund og Møre' }, keywords: { nb: ['vann', 'miljø'] }, themes: [`${EU_THEME_BASE}ENVI`], accessRights: 'PUBLIC', frequency: 'ANNUAL' });
  ids.people = await publishedDataset({ orgnr: OTHER, title: { nb: 'Befolkning per kommune' }, keywords: { nb: ['befolkning', 'miljø'] }, themes: [`${EU_THEME_BASE}SOCI`], accessRights: 'PUBLIC', licence: 'http://creativecommons.org/licenses/by/4.0/' });
  ids.nonPublic = await publishedDataset({ orgnr: ORG, title: { nb: 'Tilskudd per foretak' }, accessRights: 'NON_PUBLIC' });
  ids.restricted = await publishedDataset({ orgnr: ORG, title: { nb: 'Begrenset register' }, accessRights: 'RESTRICTED' });
  ids.draft = (await catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: 'Hemmelig utkast' }, accessRights: 'PUBLIC' })).id;
  const dist = await catalog.addDistribution(CLI_ACTOR, ids.people, { title: { nb: 'Befolkning CSV' }, downloadUrl: 'https://www.ssb.no/befolkning.csv', format: 'CSV', mediaType: 'text/csv' });
  res.people = dist.id;
  await upload(ids.water, 'malinger', waterCsv(), editorWrite);
  await upload(ids.nonPublic, 'tilskudd', secretCsv(), editorWrite);
  await upload(ids.restricted, 'register', secretCsv(), editorWrite);
  await upload(ids.draft, 'utkast', secretCsv(), editorWrite);
  await t.services.jobs.drain(60_000);
  const tableDist = async (id: string) => (await catalog.getDataset(CLI_ACTOR, id)).distributions.find((d) => d.tableName)?.id ?? '';
  res.water = await tableDist(ids.water);
  res.nonPublic = await tableDist(ids.nonPublic);
  res.restricted = await tableDist(ids.restricted);
  res.draft = await tableDist(ids.draft);
  expect(res.water && res.nonPublic && res.restricted && res.draft).toBeTruthy();
}, 120_000);

afterAll(async () => {
  await t?.close();
});

// --- helpers: calls and small schema checks --------------------------------------------------------------------

type Headers = Record<string, string>;
async function get(action: string, query: Record<string, string> = {}, headers: Headers = {}) {
  const qs = new URLSearchParams(query).toString();
  return t.app.inject({ method: 'GET', url: `/api/3/action/${action}${qs ? `?${qs}` : ''}`, headers });
}
async function post(action: string, body: unknown, headers: Headers = {}) {
  return t.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
function ok(r: { statusCode: number; body: string; json(): Json }, action: string): Json {
  expect(r.statusCode, r.body).toBe(200);
  const body = r.json();
  expect(Object.keys(body).sort()).toEqual(['help', 'result', 'success']);
  expect(body.success).toBe(true);
  expect(body.help).toBe(`http://localhost:3000/api/3/action/help_show?name=${action}`);
  return body.result;
}
function fails(r: { statusCode: number; body: string; json(): Json }, status: number, type: string): Json {
  expect(r.statusCode, r.body).toBe(status);
  const body = r.json();
  expect(Object.keys(body).sort()).toEqual(['error', 'help', 'success']);
  expect(body.success).toBe(false);
  expect(typeof body.help).toBe('string');
  expect(body.error.__type).toBe(type);
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

const SHAPES = {
  package: { id: 'string', name: 'string', title: 'string', notes: 'string', url: 'string', license_id: 'string', license_title: 'string', license_url: 'string', organization: 'object', owner_org: 'string', tags: 'array', groups: 'array', resources: 'array', metadata_created: 'string', metadata_modified: 'string', private: 'boolean', state: 'string', num_resources: 'number', num_tags: 'number', extras: 'array', type: 'string' },
  resource: { id: 'string', package_id: 'string', name: 'string', description: 'string', format: 'string', url: 'string', created: 'string', last_modified: 'string', datastore_active: 'boolean' },
  organization: { id: 'string', name: 'string', title: 'string', description: 'string', image_url: 'string', created: 'string', package_count: 'number', type: 'string', is_organization: 'boolean', state: 'string' },
  group: { id: 'string', name: 'string', title: 'string', display_name: 'string', package_count: 'number', type: 'string', is_organization: 'boolean' },
  tag: { name: 'string', display_name: 'string' },
} as const;
function shape(value: Json, kind: keyof typeof SHAPES): void {
  for (const [k, type] of Object.entries(SHAPES[kind])) {
    const v = value[k];
    const actual = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
    expect(actual, `${kind}.${k}`).toBe(type);
  }
}
function packageShape(p: Json): void {
  shape(p, 'package');
  expect(p.name).toMatch(/^[a-z0-9-]{2,100}$/);
  shape({ ...p.organization, package_count: 0 }, 'organization');
  for (const r of p.resources) shape(r, 'resource');
  for (const tag of p.tags) shape(tag, 'tag');
  for (const e of p.extras) expect(Object.keys(e).sort()).toEqual(['key', 'value']);
  expect(p.num_resources).toBe(p.resources.length);
  expect(p.num_tags).toBe(p.tags.length);
}

const outsider = () => ({ authorization: outsiderRead });
const member = () => ({ authorization: editorRead });

// --- the envelope, unknown actions and bad input ---------------------------------------------------------------

describe('envelope and bad input', () => {
  it('status_show answers in CKAN’s envelope with a 2.10 version', async () => {
    const r = ok(await get('status_show'), 'status_show');
    expect(r.ckan_version).toMatch(/^2\.10\.\d+$/);
    expect(r.extensions).toEqual([]);
    expect(r.site_url).toBe('http://localhost:3000');
    expect(typeof r.site_title).toBe('string');
  });

  it('an unknown action is 400 "Bad request - Action name not known"', async () => {
    const e = fails(await get('package_delete'), 400, 'Bad request');
    expect(e.message).toMatch(/^Bad request - Action name not known/);
    fails(await get('__proto__'), 400, 'Bad request');
    fails(await get('constructor'), 400, 'Bad request');
  });

  it('unknown parameters are a Validation Error (409) naming them', async () => {
    const e = fails(await get('package_search', { q: 'vann', colour: 'blue' }), 409, 'Validation Error');
    expect(e.message).toContain('colour');
    expect(e.colour).toEqual(['Unknown parameter.']);
  });

  it('hostile parameter names cannot reshape the error', async () => {
    const e = fails(await post('package_search', '{"__type": "x", "message": "y"}'), 409, 'Validation Error');
    expect(e.message).toMatch(/^Unknown parameter\(s\)/);
    // Fastify's JSON parser refuses prototype poisoning outright.
    fails(await post('package_search', '{"__proto__": {"polluted": 1}}'), 400, 'Bad request');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const proto = fails(await t.app.inject({ url: '/api/3/action/package_search?__proto__=x&constructor=y' }), 409, 'Validation Error');
    expect(proto.__type).toBe('Validation Error');
    fails(await get('package_search', { callback: 'alert' }), 409, 'Validation Error');
    // Parameters CKAN knows but we cannot honour are refused, not silently ignored.
    fails(await get('organization_show', { id: ORG, include_users: 'true' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.water, distinct: 'true' }), 409, 'Validation Error');
    expect(ok(await get('package_search', { facet: 'false', 'facet.field': '["tags"]' }), 'package_search').facets).toEqual({});
    fails(await get('package_search', { q: 'a'.repeat(5000), [`${'k'.repeat(300)}`]: '1' }), 409, 'Validation Error');
    // A repeated parameter is not a string.
    const r = await t.app.inject({ url: '/api/3/action/package_search?fq=tags:vann&fq=tags:miljø' });
    fails(r, 409, 'Validation Error');
  });

  it('a POST carrying only the session cookie from another site is refused in CKAN’s shape; GET reads work with it', async () => {
    const session = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
    const r = await t.app.inject({ method: 'POST', url: '/api/3/action/package_search', headers: { cookie: session.cookie, 'content-type': 'application/json', origin: 'https://evil.example' }, payload: '{}' });
    fails(r, 403, 'Authorization Error');
    ok(await get('package_search', {}, { cookie: session.cookie }), 'package_search');
  });

  it('rows over 1000, a negative start and a bad sort are Validation Errors', async () => {
    expect(fails(await get('package_search', { rows: '5000' }), 409, 'Validation Error').rows).toBeDefined();
    fails(await get('package_search', { start: '-1' }), 409, 'Validation Error');
    fails(await get('package_search', { rows: '1e3' }), 409, 'Validation Error');
    fails(await get('package_search', { sort: 'drop table' }), 409, 'Validation Error');
    fails(await get('package_search', { 'facet.field': '["owner"]' }), 409, 'Validation Error');
    fails(await get('package_search', { 'facet.field': '["tags"' }), 409, 'Validation Error');
    fails(await get('package_search', { fq: 'secret_field:x' }), 409, 'Validation Error');
  });

  it('a malformed JSON body is 400 with CKAN’s JSON Error, a non-object body too', async () => {
    const e = fails(await post('package_search', '{"q": '), 400, 'Bad request');
    expect(e.message).toMatch(/^Bad request - JSON Error/);
    fails(await post('package_search', '[1,2]'), 400, 'Bad request');
  });

  it('NUL in a parameter is refused (input guard) in CKAN’s shape', async () => {
    const r = await t.app.inject({ url: '/api/3/action/package_search?q=a%00b' });
    expect(r.statusCode).toBe(400);
    expect(r.json().success).toBe(false);
  });

  it('a missing id is a Validation Error; help_show works', async () => {
    expect(fails(await get('package_show'), 409, 'Validation Error').id).toEqual(['Missing value']);
    expect(typeof ok(await get('help_show', { name: 'package_search' }), 'help_show')).toBe('string');
  });
});

// --- packages ------------------------------------------------------------------------------------------------------

describe('package_search', () => {
  it('lists published datasets only, with CKAN’s fields; drafts are invisible to outsiders', async () => {
    const r = ok(await get('package_search', { rows: '100' }), 'package_search');
    expect(Object.keys(r).sort()).toEqual(['count', 'facets', 'results', 'search_facets', 'sort']);
    expect(r.count).toBe(4);
    for (const p of r.results) packageShape(p);
    expect(r.results.map((p: Json) => p.id)).not.toContain(ids.draft);
    expect(JSON.stringify(r)).not.toContain('Hemmelig');
    const fromMember = ok(await get('package_search', { rows: '100' }, member()), 'package_search');
    expect(fromMember.count).toBe(4);
    // CKAN's include_private: the drafts the actor may see, marked private; an outsider still sees none.
    const withDrafts = ok(await get('package_search', { rows: '100', include_private: 'true' }, member()), 'package_search');
    expect(withDrafts.count).toBe(5);
    expect(withDrafts.results.find((p: Json) => p.id === ids.draft)).toMatchObject({ private: true, state: 'draft' });
    expect(ok(await get('package_search', { include_private: 'true' }, outsider()), 'package_search').count).toBe(4);
    expect(ok(await get('package_search', { include_drafts: 'true' }), 'package_search').count).toBe(4);
  });

  it('a package dict carries licence, organisation, tags, groups, resources and DCAT extras', async () => {
    const r = ok(await get('package_search', { q: 'Vannkvalitet' }), 'package_search');
    expect(r.count).toBe(1);
    const p = r.results[0];
    expect(p.name).toBe(`vannkvalitet-i-alesund-og-more-${ids.water.replace(/-/g, '').slice(0, 8)}`);
    expect(p.license_id).toBe('NLOD-2.0');
    expect(p.license_url).toBe('http://data.norge.no/nlod/no/2.0');
    expect(p.organization).toMatchObject({ id: ORG, name: ORG, title: 'Landbruksdirektoratet', type: 'organization', is_organization: true, state: 'active' });
    expect(p.organization.created).toBe((await t.services.organisations.get(ORG)).createdAt);
    expect(p.owner_org).toBe(ORG);
    expect(p.tags).toEqual([
      { name: 'vann', display_name: 'vann' },
      { name: 'miljø', display_name: 'miljø' },
    ]);
    expect(p.groups.map((g: Json) => g.name)).toEqual(['envi']);
    expect(p.private).toBe(false);
    expect(p.state).toBe('active');
    const extras = Object.fromEntries(p.extras.map((e: Json) => [e.key, e.value]));
    expect(extras.access_rights).toBe('http://publications.europa.eu/resource/authority/access-right/PUBLIC');
    expect(extras.frequency).toBe('http://publications.europa.eu/resource/authority/frequency/ANNUAL');
    expect(JSON.parse(extras.theme)).toEqual([`${EU_THEME_BASE}ENVI`]);
    const table = p.resources.find((x: Json) => x.id === res.water);
    expect(table).toMatchObject({ package_id: ids.water, datastore_active: true, url_type: 'datastore' });
    expect(table.url).toBe(`http://localhost:3000/api/v1/datasets/${ids.water}/tables/malinger/rows`);
  });

  it('non-open datasets link resources to the dataset page, never to the rows API', async () => {
    for (const id of [ids.nonPublic, ids.restricted]) {
      const p = ok(await get('package_show', { id }), 'package_show');
      packageShape(p);
      expect(p.resources.length).toBeGreaterThan(0);
      for (const r of p.resources) {
        expect(r.url).toBe(`http://localhost:3000/datasett/${id}`);
        expect(r.url).not.toContain('/rows');
      }
    }
  });

  it('fq terms AND together and match the facet counts', async () => {
    const all = ok(await get('package_search', { 'facet.field': JSON.stringify(['organization', 'tags', 'res_format', 'license_id', 'groups']), 'facet.limit': '50' }), 'package_search');
    expect(all.facets.organization).toEqual({ [ORG]: 3, [OTHER]: 1 });
    expect(all.search_facets.organization).toEqual({
      title: 'Organizations',
      items: [
        { name: ORG, display_name: 'Landbruksdirektoratet', count: 3 },
        { name: OTHER, display_name: 'Statistisk sentralbyrå', count: 1 },
      ],
    });
    for (const [field, counts] of Object.entries(all.facets as Record<string, Record<string, number>>)) {
      for (const [value, count] of Object.entries(counts)) {
        const r = ok(await get('package_search', { fq: `${field}:"${value}"`, rows: '0' }), 'package_search');
        expect(r.count, `${field}:${value}`).toBe(count);
      }
    }
    expect(all.facets.tags['miljø']).toBe(2);
    expect(all.facets.license_id).toEqual({ 'NLOD-2.0': 3, 'CC-BY-4.0': 1 });
    const both = ok(await get('package_search', { fq: `tags:miljø organization:${ORG}` }), 'package_search');
    expect(both.count).toBe(1);
    expect(both.results[0].id).toBe(ids.water);
    expect(ok(await get('package_search', { fq: 'groups:soci' }), 'package_search').results[0].id).toBe(ids.people);
    expect(ok(await get('package_search', { fq: 'res_format:CSV +license_id:CC-BY-4.0' }), 'package_search').count).toBe(1);
    const limited = ok(await get('package_search', { 'facet.field': '["organization"]', 'facet.limit': '1' }), 'package_search');
    expect(limited.search_facets.organization.items).toHaveLength(1);
  });

  it('pages with rows and start, and sorts', async () => {
    const byTitle = ok(await post('package_search', { sort: 'title_string asc', rows: 100 }), 'package_search');
    const titles = byTitle.results.map((p: Json) => p.title);
    expect(titles).toEqual([...titles].sort((a: string, b: string) => a.localeCompare(b, 'nb')));
    const seen: string[] = [];
    for (let start = 0; start < 4; start += 3) {
      const page = ok(await post('package_search', { sort: 'title_string asc', rows: 3, start }), 'package_search');
      expect(page.count).toBe(4);
      seen.push(...page.results.map((p: Json) => p.title));
    }
    expect(seen).toEqual(titles);
    const modified = ok(await get('package_search', { sort: 'metadata_modified desc', rows: '100' }), 'package_search').results.map((p: Json) => p.metadata_modified);
    expect(modified).toEqual([...modified].sort().reverse());
    expect(ok(await get('package_search', { sort: 'score desc', q: 'miljø' }), 'package_search').count).toBe(2);
  });
});

describe('package_show, package_list, current_package_list_with_resources, resource_show', () => {
  it('package_show finds a dataset by id and by name; drafts are Not Found to outsiders', async () => {
    const byId = ok(await get('package_show', { id: ids.water }), 'package_show');
    packageShape(byId);
    const byName = ok(await post('package_show', { id: byId.name }), 'package_show');
    expect(byName.id).toBe(ids.water);
    fails(await get('package_show', { id: ids.draft }), 404, 'Not Found Error');
    fails(await get('package_show', { id: ids.draft }, outsider()), 404, 'Not Found Error');
    fails(await get('package_show', { id: 'no-such-dataset-00000000' }), 404, 'Not Found Error');
    fails(await get('package_show', { id: '00000000-0000-4000-8000-000000000000' }), 404, 'Not Found Error');
    expect(ok(await get('package_show', { id: ids.water.toUpperCase() }), 'package_show').id).toBe(ids.water);
    const own = ok(await get('package_show', { id: ids.draft }, member()), 'package_show');
    expect(own).toMatchObject({ private: true, state: 'draft' });
  });

  it('package_list gives names, with limit and offset', async () => {
    const names = ok(await get('package_list'), 'package_list');
    expect(names).toHaveLength(4);
    for (const n of names) expect(n).toMatch(/^[a-z0-9-]+$/);
    expect(ok(await get('package_list', { limit: '2', offset: '1' }), 'package_list')).toEqual(names.slice(1, 3));
    expect(JSON.stringify(names)).not.toContain('hemmelig');
  });

  it('current_package_list_with_resources pages full dicts', async () => {
    const page = ok(await get('current_package_list_with_resources', { limit: '2', offset: '0' }), 'current_package_list_with_resources');
    expect(page).toHaveLength(2);
    for (const p of page) packageShape(p);
    const rest = ok(await get('current_package_list_with_resources', { limit: '10', offset: '2' }), 'current_package_list_with_resources');
    expect(rest).toHaveLength(2);
    fails(await get('current_package_list_with_resources', { limit: '0' }), 409, 'Validation Error');
  });

  it('resource_show answers a resource dict, Not Found otherwise', async () => {
    const r = ok(await get('resource_show', { id: res.people }), 'resource_show');
    shape(r, 'resource');
    expect(r).toMatchObject({ package_id: ids.people, format: 'CSV', mimetype: 'text/csv', url: 'https://www.ssb.no/befolkning.csv', datastore_active: false });
    fails(await get('resource_show', { id: 'nope' }), 404, 'Not Found Error');
  });
});

describe('organisations, groups and tags', () => {
  it('organization_list gives names or full dicts with counts of published datasets', async () => {
    // CKAN's default order is by title: Landbruksdirektoratet before Statistisk sentralbyrå.
    expect(ok(await get('organization_list'), 'organization_list')).toEqual([ORG, OTHER]);
    expect(ok(await get('organization_list', { sort: 'name desc' }), 'organization_list')).toEqual([ORG, OTHER].sort().reverse());
    expect(ok(await get('organization_list', { sort: 'package_count desc' }), 'organization_list')).toEqual([ORG, OTHER]);
    expect(ok(await get('organization_list', { organizations: JSON.stringify([OTHER]) }), 'organization_list')).toEqual([OTHER]);
    fails(await get('organization_list', { sort: 'created; drop' }), 409, 'Validation Error');
    const full = ok(await get('organization_list', { all_fields: 'true' }), 'organization_list');
    for (const o of full) shape(o, 'organization');
    expect(full.find((o: Json) => o.id === ORG).package_count).toBe(3);
    expect(ok(await get('organization_list', { limit: '1', offset: '1' }), 'organization_list')).toHaveLength(1);
    fails(await get('organization_list', { all_fields: 'maybe' }), 409, 'Validation Error');
  });

  it('organization_show, with and without datasets; unknown is Not Found', async () => {
    const o = ok(await get('organization_show', { id: ORG }), 'organization_show');
    shape(o, 'organization');
    expect(o.packages).toBeUndefined();
    const withDs = ok(await get('organization_show', { id: ORG, include_datasets: 'true' }), 'organization_show');
    expect(withDs.packages.map((p: Json) => p.id).sort()).toEqual([ids.water, ids.nonPublic, ids.restricted].sort());
    fails(await get('organization_show', { id: '999999999' }), 404, 'Not Found Error');
  });

  it('group_list lists the EU themes as groups with counts', async () => {
    const names = ok(await get('group_list'), 'group_list');
    expect(names).toContain('envi');
    expect(names).toContain('agri');
    const full = ok(await get('group_list', { all_fields: 'true' }), 'group_list');
    for (const g of full) shape(g, 'group');
    expect(full.find((g: Json) => g.name === 'envi').package_count).toBe(1);
  });

  it('tag_list lists keywords, filtered by query', async () => {
    expect(ok(await get('tag_list'), 'tag_list')).toEqual(['befolkning', 'miljø', 'vann']);
    expect(ok(await get('tag_list', { query: 'VAN' }), 'tag_list')).toEqual(['vann']);
  });
});

// --- datastore ------------------------------------------------------------------------------------------------------

describe('datastore_search', () => {
  it('reads records with CKAN types, total and _links; loops pages past 1000 rows', async () => {
    const r = ok(await get('datastore_search', { resource_id: res.water, limit: '1200' }), 'datastore_search');
    expect(r.resource_id).toBe(res.water);
    expect(r.fields).toEqual([
      { id: '_id', type: 'int' },
      { id: 'sted', type: 'text' },
      { id: 'verdi', type: 'int' },
      { id: 'dato', type: 'date' },
    ]);
    expect(r.total).toBe(1500);
    expect(r.records).toHaveLength(1200);
    expect(r.records[0]).toMatchObject({ _id: 1, sted: 'Ålesund', verdi: 0 });
    expect(r.records[1199]).toMatchObject({ _id: 1200, verdi: 1199 });
    expect(r._links.start).toContain('/api/3/action/datastore_search?');
    expect(r._links.next).toContain('offset=1200');
  });

  it('offset, fields and include_total', async () => {
    const r = ok(await post('datastore_search', { resource_id: res.water, offset: 1490, limit: 50, fields: ['verdi'], include_total: false }), 'datastore_search');
    expect(r.total).toBeUndefined();
    expect(r.fields).toEqual([{ id: 'verdi', type: 'int' }]);
    expect(r.records.map((x: Json) => x.verdi)).toEqual([1490, 1491, 1492, 1493, 1494, 1495, 1496, 1497, 1498, 1499]);
    const g = ok(await get('datastore_search', { resource_id: res.water, fields: 'sted,verdi', limit: '1' }), 'datastore_search');
    expect(Object.keys(g.records[0])).toEqual(['sted', 'verdi']);
  });

  it('filters, q and sort over the whole table', async () => {
    const f = ok(await get('datastore_search', { resource_id: res.water, filters: JSON.stringify({ sted: 'Molde' }), limit: '5' }), 'datastore_search');
    expect(f.total).toBe(500);
    expect(f.records.every((x: Json) => x.sted === 'Molde')).toBe(true);
    const two = ok(await post('datastore_search', { resource_id: res.water, filters: { sted: 'Molde', verdi: 4 } }), 'datastore_search');
    expect(two.total).toBe(1);
    expect(two.records[0]._id).toBe(5);
    // A list of values is an OR, as in CKAN.
    expect(ok(await post('datastore_search', { resource_id: res.water, filters: { verdi: [1, 2, 3] }, offset: 1, limit: 1 }), 'datastore_search')).toMatchObject({ total: 3, records: [{ verdi: 2, _id: 3 }] });
    const q = ok(await get('datastore_search', { resource_id: res.water, q: 'kristian', limit: '0' }), 'datastore_search');
    expect(q.total).toBe(500);
    const sorted = ok(await get('datastore_search', { resource_id: res.water, sort: 'verdi desc', limit: '3' }), 'datastore_search');
    expect(sorted.records.map((x: Json) => x.verdi)).toEqual([1499, 1498, 1497]);
  });

  it('bad input: limit over 32000, unknown columns, a non-object filter, a non-table resource, unknown id', async () => {
    fails(await get('datastore_search', { resource_id: res.water, limit: '32001' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.water, fields: 'nope' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.water, filters: '[1]' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.water, filters: '{bad' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.water, filters: '{"sted": {"$ne": 1}}' }), 409, 'Validation Error');
    expect(ok(await get('datastore_search', { resource_id: res.water, offset: '5000' }), 'datastore_search').records).toEqual([]);
    fails(await get('datastore_search', { resource_id: res.water, sort: 'verdi; drop' }), 409, 'Validation Error');
    fails(await get('datastore_search', { resource_id: res.people }), 404, 'Not Found Error');
    fails(await get('datastore_search', { resource_id: 'nope' }), 404, 'Not Found Error');
    fails(await get('datastore_search', {}), 409, 'Validation Error');
  });

  it('filters, q and sort on a table over the scan bound are a clear Validation Error, never a partial answer', async () => {
    const { catalog, tables, organisations } = t.services;
    const small = createCkanService({ catalog, tables, organisations, baseUrl: 'http://localhost:3000', datastoreScanMax: 1000 });
    for (const extra of [{ filters: { sted: 'Molde' } }, { q: 'molde' }, { sort: 'verdi desc' }]) {
      const err = await small.run(CLI_ACTOR, 'datastore_search', { resource_id: res.water, ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CkanError);
      expect((err as CkanError).type).toBe('Validation Error');
      expect((err as CkanError).message).toContain('up to 1000 rows');
    }
    const plain = (await small.run(CLI_ACTOR, 'datastore_search', { resource_id: res.water, offset: 1400, limit: 200 })) as { records: unknown[]; total: number };
    expect(plain.records).toHaveLength(100);
    expect(plain.total).toBe(1500);
  });

  it('datastore_search_sql is not available, said clearly', async () => {
    const e = fails(await get('datastore_search_sql', { sql: 'SELECT * FROM "x"' }), 400, 'Bad request');
    expect(e.message).toContain('Action not available');
  });
});

describe('access: NON_PUBLIC and RESTRICTED tables', () => {
  for (const which of ['nonPublic', 'restricted'] as const) {
    it(`${which}: anonymous and an outsider’s token get Authorization Error, never a value`, async () => {
      for (const headers of [{}, outsider(), { authorization: `Bearer ${outsiderRead}` }]) {
        const queries: Record<string, string>[] = [{ resource_id: res[which] }, { resource_id: res[which], q: MARK }, { resource_id: res[which], filters: JSON.stringify({ navn: MARK }) }, { resource_id: res[which], fields: 'nosuchcolumn' }];
        for (const query of queries) {
          const r = await get('datastore_search', query, headers);
          fails(r, 403, 'Authorization Error');
          // Not even the value asked for is echoed: errors never quote the request's values.
          expect(r.body).not.toContain(MARK);
          expect(r.body).not.toContain('Foretak');
        }
      }
    });

    it(`${which}: a member’s raw read token (as CKAN clients send it) reads the rows`, async () => {
      const r = ok(await get('datastore_search', { resource_id: res[which], filters: JSON.stringify({ navn: MARK }) }, member()), 'datastore_search');
      expect(r.total).toBe(1);
      expect(r.records[0].navn).toBe(MARK);
      const bearer = ok(await get('datastore_search', { resource_id: res[which], limit: '2' }, { authorization: `Bearer ${editorRead}` }), 'datastore_search');
      expect(bearer.records).toHaveLength(2);
    });
  }

  it('a draft’s table is Not Found to outsiders (resource_show and datastore_search), readable by its members', async () => {
    for (const headers of [{}, outsider()]) {
      for (const action of ['resource_show', 'datastore_search']) {
        const r = await get(action, action === 'resource_show' ? { id: res.draft } : { resource_id: res.draft }, headers);
        fails(r, 404, 'Not Found Error');
        expect(r.body).not.toContain(MARK);
      }
    }
    expect(ok(await get('datastore_search', { resource_id: res.draft }, member()), 'datastore_search').total).toBe(21);
  });

  it('an invalid raw token is refused, not treated as anonymous', async () => {
    fails(await get('status_show', {}, { authorization: 'df_not-a-real-token' }), 403, 'Authorization Error');
  });

  it('non-open rows reads are audited with the rows actually read', async () => {
    const before = await t.db.selectFrom('audit_log').select(['details']).where('action', '=', 'table.read').execute();
    ok(await get('datastore_search', { resource_id: res.nonPublic, offset: '5', limit: '2' }, member()), 'datastore_search');
    const after = await t.db.selectFrom('audit_log').select(['details']).where('action', '=', 'table.read').execute();
    expect(after.length).toBe(before.length + 1);
    const details = after.map((r) => JSON.parse(r.details) as Record<string, unknown>).find((d) => d.offset === 5 && d.size === 2);
    expect(details).toMatchObject({ datasetId: ids.nonPublic, table: 'tilskudd', rows: 2, via: 'token' });
  });

  it('no search result or error body of an outsider contains a value of a non-open table', async () => {
    for (const action of ['package_search', 'package_list', 'current_package_list_with_resources', 'tag_list', 'organization_list']) {
      const r = await get(action, {}, outsider());
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain(MARK);
    }
  });
});
