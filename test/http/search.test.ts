// HTTP tests for search: GET /api/v1/datasets (words, facets, filters, sort, paging, 400s), GET
// /api/v1/search/suggestions, and the /datasett page (facet form, filters and paging in the URL, no-results link),
// through app.inject on a fresh database (SQLite, or PostgreSQL when DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import type { DatasetInput } from '../../src/catalog/model';
import { bearerFor, createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
const SSB = '971526920';
const DIGDIR = '991825827';
let kommune: string;
let barnehage: string;
let vann: string;
let draft: string;
let memberToken: string;

async function publish(input: Partial<DatasetInput> & { orgnr: string; title: { nb: string } }): Promise<string> {
  const ds = await t.services.catalog.createDataset(CLI_ACTOR, { description: { nb: 'Data for alle.' }, accessRights: 'PUBLIC', licence: 'https://data.norge.no/nlod/no/2.0/', contactPoint: { email: 'data@example.no' }, ...input });
  await t.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  return ds.id;
}

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });
const problems = (r: { json(): unknown }) => (r.json() as { error: { code: string; details: { problems: { field: string; code: string; message: string }[] } } }).error;

beforeAll(async () => {
  t = await createTestApp();
  await t.services.organisations.create(CLI_ACTOR, { orgnr: SSB, name: 'Statistisk sentralbyrå' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: DIGDIR, name: 'Digitaliseringsdirektoratet' });
  kommune = await publish({ orgnr: SSB, title: { nb: 'Befolkning per kommune' }, themes: ['SOCI'], spatial: ['0301'] });
  barnehage = await publish({ orgnr: SSB, title: { nb: 'Barnehager i Norge' }, themes: ['EDUC'], spatial: ['4601'] });
  vann = await publish({ orgnr: DIGDIR, title: { nb: 'Vannkvalitet i Ålesund' }, themes: ['ENVI'], accessRights: 'RESTRICTED', licence: null, spatial: ['1508'] });
  draft = (await t.services.catalog.createDataset(CLI_ACTOR, { orgnr: DIGDIR, title: { nb: 'Vannkvalitet utkast' }, accessRights: 'PUBLIC' })).id;
  await t.services.accounts.createUser({ email: 'member@example.no', password: 'correct horse battery', name: 'Mona' });
  await t.services.organisations.addMember(CLI_ACTOR, DIGDIR, { email: 'member@example.no', role: 'member' });
  memberToken = await bearerFor(t.services, 'member@example.no');
});
afterAll(async () => t?.close());

describe('GET /api/v1/datasets', () => {
  it('400 for an unknown parameter, naming it (?kommunenummer=0301 does not silently return everything)', async () => {
    const r = await get('/api/v1/datasets?kommunenummer=0301');
    expect(r.statusCode).toBe(400);
    expect(problems(r).details.problems).toEqual([expect.objectContaining({ field: 'querystring/kommunenummer', code: 'unknown_field' })]);
    expect((await get('/api/v1/datasets?q=a&foo=1&bar=2')).json().error.message).toContain('"foo"');
  });

  it('sees a change as soon as it is committed (on SQLite the search runs on its own read-only connection in a worker)', async () => {
    const id = await publish({ orgnr: DIGDIR, title: { nb: 'Fersk fjordkatalog' } });
    expect((await get('/api/v1/datasets?q=fjordkatalog')).json().items.map((d: { id: string }) => d.id)).toEqual([id]);
    await t.services.catalog.archiveDataset(CLI_ACTOR, id);
    expect((await get('/api/v1/datasets?q=fjordkatalog')).json().total).toBe(0);
  });

  it('400 for bad filter values, naming parameter and value; 400 for bad sort, limit, offset and a too long q', async () => {
    const r = await get('/api/v1/datasets?access=OPEN,SECRET&publisher=123');
    expect(r.statusCode).toBe(400);
    expect(problems(r).code).toBe('invalid_request');
    expect(problems(r).details.problems.map((p) => p.field)).toEqual(['querystring/access', 'querystring/publisher']);
    expect(problems(r).details.problems[0]?.message).toContain('"SECRET"');
    for (const url of ['/api/v1/datasets?sort=random', '/api/v1/datasets?limit=0', '/api/v1/datasets?offset=10001', `/api/v1/datasets?q=${'x'.repeat(201)}`, '/api/v1/datasets?new=maybe', `/api/v1/datasets?${Array.from({ length: 21 }, () => 'theme=ENVI').join('&')}`]) {
      expect((await get(url)).statusCode, url).toBe(400);
    }
  });

  it('finds by stem, any word order and with a typo, ranked, with facets that add up to the total', async () => {
    const r = await get(`/api/v1/datasets?q=${encodeURIComponent('kommunene befolkning')}`);
    expect(r.statusCode).toBe(200);
    expect(r.json().items.map((d: { id: string }) => d.id)).toEqual([kommune]);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('ålesund vannkvalitet')}`)).json().items.map((d: { id: string }) => d.id)).toEqual([vann]);
    const typo = (await get('/api/v1/datasets?q=barnehagr')).json();
    expect(typo.items.map((d: { id: string }) => d.id)).toEqual([barnehage]);
    expect(typo.fuzzy).toBe(true);
    const all = (await get('/api/v1/datasets')).json();
    expect(all.total).toBe(3); // the draft is not listed or counted for anonymous callers
    const exclusive = all.facets.access.filter((f: { value: string }) => f.value !== 'OPEN');
    expect(exclusive.reduce((n: number, f: { count: number }) => n + f.count, 0)).toBe(all.total);
    expect(all.facets.access).toContainEqual({ value: 'OPEN', count: 2 });
    expect(all.facets.publisher).toContainEqual({ value: DIGDIR, count: 1, label: 'Digitaliseringsdirektoratet' });
    const asMember = (await get('/api/v1/datasets?q=vannkvalitet', { authorization: `Bearer ${memberToken}` })).json();
    expect(asMember.items.map((d: { id: string }) => d.id).sort()).toEqual([vann, draft].sort());
    expect(asMember.facets.publisher).toEqual([{ value: DIGDIR, count: 2, label: 'Digitaliseringsdirektoratet' }]);
  });

  it('filters by facets (repeated or comma-separated, OR within, AND across), sorts, pages with a next link keeping the filters', async () => {
    const two = (await get('/api/v1/datasets?theme=EDUC&theme=SOCI&publisher=971526920')).json();
    expect(two.items.map((d: { id: string }) => d.id).sort()).toEqual([kommune, barnehage].sort());
    const comma = (await get('/api/v1/datasets?theme=EDUC,SOCI&publisher=971526920&sort=title&limit=1')).json();
    expect(comma.total).toBe(2);
    expect(comma.items[0].id).toBe(barnehage); // "Barnehager" before "Befolkning"
    expect(comma.next).toBe('/api/v1/datasets?theme=EDUC%2CSOCI&publisher=971526920&sort=title&limit=1&offset=1');
    expect((await get(comma.next)).json().items[0].id).toBe(kommune);
    expect((await get('/api/v1/datasets?spatial=46')).json().items.map((d: { id: string }) => d.id)).toEqual([barnehage]); // county of 4601
    expect((await get('/api/v1/datasets?access=OPEN&access=RESTRICTED&spatial=15')).json().total).toBe(1);
    expect((await get('/api/v1/datasets?provenance=harvested')).json().total).toBe(0);
    expect((await get('/api/v1/datasets?new=true')).json().total).toBe(3);
    expect((await get('/api/v1/datasets?accessRights=RESTRICTED')).json().items.map((d: { id: string }) => d.id)).toEqual([vann]);
    expect((await get('/api/v1/datasets?q=is')).json().total).toBe(0);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('%_*"')}`)).json().total).toBe(0);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('NEAR(a b) OR "x" -y ^z')}`)).statusCode).toBe(200); // FTS syntax is just words
  });
});

describe('GET /api/v1/search/suggestions', () => {
  it('400 without q or with unknown parameters; visible titles for a prefix with their page', async () => {
    expect((await get('/api/v1/search/suggestions')).statusCode).toBe(400);
    expect((await get('/api/v1/search/suggestions?q=a&x=1')).statusCode).toBe(400);
    const r = await get('/api/v1/search/suggestions?q=vannk');
    expect(r.json()).toEqual({ items: [{ id: vann, title: 'Vannkvalitet i Ålesund', url: `/datasett/${vann}` }] });
    const member = await get('/api/v1/search/suggestions?q=vannk', { authorization: `Bearer ${memberToken}` });
    expect(member.json().items.map((i: { id: string }) => i.id).sort()).toEqual([vann, draft].sort());
  });
});

describe('GET /datasett', () => {
  it('renders hits, facet checkboxes with counts, filters and paging in the URL, and the suggestion island', async () => {
    const r = await get(`/datasett?q=${encodeURIComponent('kommunene')}`);
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`href="/datasett/${kommune}"`);
    expect(r.body).toContain('<script src="/static/search.js" defer');
    expect(r.body).toContain('list="q-suggestions"');
    const all = await get('/datasett');
    expect(all.body).toMatch(/name="tilgang" value="OPEN"[^>]*>\s*<label[^>]*>Åpne data \(2\)/);
    expect(all.body).toContain('name="utgiver" value="971526920"');
    const narrowed = await get('/datasett?tema=EDUC&utgiver=971526920&sortering=tittel');
    expect(narrowed.body).toContain(`href="/datasett/${barnehage}"`);
    expect(narrowed.body).not.toContain(`href="/datasett/${kommune}"`);
    expect(narrowed.body).toMatch(/name="tema" value="EDUC" checked/);
    // Removing one filter keeps the others (and the sort) in the link.
    expect(narrowed.body).toContain('href="/datasett?utgiver=971526920&amp;sortering=tittel"');
    const old = await get('/datasett?org=971526920&tilgang=PUBLIC');
    expect(old.body).toContain(`href="/datasett/${barnehage}"`);
    expect(old.body).not.toContain(`href="/datasett/${vann}"`);
    const en = await get('/datasett?lang=en&tilgang=OPEN');
    expect(en.body).toContain('Open data (2)');
    const js = await get('/static/search.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
  });

  it('no results: says so and links to ask for the data (and to the publisher when one is chosen); bad values are dropped', async () => {
    const r = await get('/datasett?q=ingenting&utgiver=971526920');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Ingen datasett passer søket.');
    expect(r.body).toContain('href="/datasett/etterspor?q=ingenting"');
    expect(r.body).toContain('href="/virksomheter/971526920"');
    const bad = await get('/datasett?tilgang=SECRET&sted=x&side=abc&sortering=zzz');
    expect(bad.statusCode).toBe(200);
    expect(bad.body).toContain('3 datasett');
  });
});
