// Harvesting against loopback sources on the real database (SQLite, or PostgreSQL with DATABASE_URL): the official
// DCAT-AP-NO examples, every serialisation, Hydra paging, CKAN and data.norge.no, incremental updates, removal, local
// enrichments, merging across sources, a crash mid-run, and hostile or broken sources (each reported, nothing applied).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writer, Parser } from 'n3';
import jsonld from 'jsonld';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANONYMOUS, CLI_ACTOR } from '../../access/model';
import { createTestApp, type TestApp } from '../../../test/helpers/app';
import { startHarvestServer, type HarvestServer } from '../../../test/helpers/harvest-server';
import type { SourceKind } from './model';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dcat-ap-no');
const fixture = (f: string) => fs.readFileSync(path.join(fixtures, f), 'utf8');
const EXAMPLES = ['DCAT-AP-NO2.0-examples.ttl', 'dataset-series-example.ttl', 'test.ttl', 'test2.ttl'];
const DIGDIR = '991825827';

let t: TestApp;
let src: HarvestServer;

beforeAll(async () => {
  t = await createTestApp({ env: { HARVEST_ALLOW_PRIVATE: 'true', HARVEST_TIMEOUT_MS: '1500', HARVEST_MAX_BYTES: String(2 * 1024 * 1024) } });
  src = await startHarvestServer();
});
afterAll(async () => {
  await src?.close();
  await t?.close();
});

async function addSource(kind: SourceKind, p: string, name = `${kind} ${p}`) {
  return t.services.harvest.create(CLI_ACTOR, { name, kind, url: `${src.url}${p}` });
}
const run = (id: string) => t.services.harvest.runNow(CLI_ACTOR, id);

async function datasetsOf(sourceId: string) {
  return t.db.selectFrom('datasets').selectAll().where('origin', '=', sourceId).orderBy('id').execute();
}

function quadsOf(turtle: string) {
  return new Parser().parse(turtle);
}

const DCAT = 'http://www.w3.org/ns/dcat#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

describe('the official DCAT-AP-NO examples', () => {
  it('harvest from a loopback server with every dataset, distribution, publisher and licence preserved', async () => {
    for (const f of EXAMPLES) {
      src.serve(`/examples/${f}`, 'text/turtle', fixture(f));
      const source = await addSource('dcat', `/examples/${f}`, `example ${f}`);
      const report = await run(source.id);
      expect(report.state, `${f}: ${report.error}`).toBe('succeeded');
      const quads = quadsOf(fixture(f));
      const datasets = quads.filter((q) => q.predicate.value === RDF_TYPE && (q.object.value === `${DCAT}Dataset` || q.object.value === `${DCAT}DatasetSeries`)).map((q) => q.subject.value);
      expect(report.added, f).toBe(new Set(datasets).size);
      expect(report.failed, f).toBe(0);
      const rows = await datasetsOf(source.id);
      expect(rows).toHaveLength(new Set(datasets).size);
      for (const uri of new Set(datasets)) {
        const link = await t.db.selectFrom('harvest_records').selectAll().where('source_id', '=', source.id).where('uri', '=', uri).executeTakeFirstOrThrow();
        const ds = await t.services.catalog.getDataset(ANONYMOUS, link.dataset_id);
        const dists = quads.filter((q) => q.subject.value === uri && q.predicate.value === `${DCAT}distribution`).map((q) => q.object.value);
        expect(ds.distributions.map((d) => d.accessUrl).sort(), uri).toEqual(dists.map((d) => quads.find((q) => q.subject.value === d && q.predicate.value === `${DCAT}accessURL`)?.object.value).sort());
        const licences = quads.filter((q) => q.subject.value === uri && q.predicate.value === 'http://purl.org/dc/terms/license').map((q) => q.object.value);
        if (licences.length) expect(ds.licence).toBe(licences[0]);
        // Every publisher in these examples is Digdir, in three URI forms (API, old, organisation catalogue).
        expect(ds.publisher.orgnr).toBe(DIGDIR);
        expect(ds.state).toBe('published');
      }
    }
    // The publisher's name came from the foaf:Agent the examples describe.
    const org = await t.db.selectFrom('organizations').selectAll().where('orgnr', '=', DIGDIR).executeTakeFirstOrThrow();
    expect(org.name).toBe('Digitaliseringsdirektoratet');
    expect(org.harvested).toBe(1);
    // Titles in all three languages and the distribution media types survive.
    const [row] = await t.db.selectFrom('harvest_records').select('dataset_id').where('uri', '=', 'https://example.com/test/relasjon/begrep/testDatasett').execute();
    const ds = await t.services.catalog.getDataset(ANONYMOUS, row!.dataset_id);
    expect(ds.title).toEqual({ nb: 'Test av relasjon til begrep', en: 'Test of relation to concept', nn: 'Test av relasjon til omgrep' });
    expect(ds.distributions.map((d) => d.mediaType).sort()).toEqual(['application/json', 'application/json', 'application/json', 'application/json']);
    // Distribution 4 gives the file type as dcat:packageFormat only; it is read from there.
    expect(ds.distributions.filter((d) => d.format === 'JSON')).toHaveLength(4);
    expect(ds.temporal).toEqual({ start: '2002-01-01', end: '2024-01-01' });
    expect(ds.contactPoint.email).toBe('fellesdatakatalog@digdir.no');
    expect(ds.themes).toEqual(['http://publications.europa.eu/resource/authority/data-theme/ENER']);
    expect(ds.losThemes).toEqual(['https://psi.norge.no/los/ord/allergi']);
    const prov = await t.services.harvest.provenanceOf(ds.id);
    expect(prov?.otherThemes.sort()).toEqual(['http://eurovoc.europa.eu/100145', 'http://eurovoc.europa.eu/100181']);
    // Harvested datasets are listed and searchable like any published dataset.
    const found = await t.services.catalog.listDatasets(ANONYMOUS, { q: 'relasjon til begrep', limit: 10, offset: 0 } as never);
    expect(found.items.map((d) => d.id)).toContain(ds.id);
  });
});

const CATALOG = (datasets: { id: string; title: string; licence?: string; extra?: string }[], next?: string) => `
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<http://ex.no/cat> a dcat:Catalog ; dct:publisher <https://data.brreg.no/enhetsregisteret/api/enheter/${DIGDIR}> ;
  dcat:dataset ${datasets.map((d) => `<http://ex.no/ds/${d.id}>`).join(', ') || '<http://ex.no/none>'} .
${next ? `<http://ex.no/cat> hydra:view [ hydra:next <${next}> ] .` : ''}
${datasets
  .map(
    (d) => `<http://ex.no/ds/${d.id}> a dcat:Dataset ; dct:title "${d.title}"@no ; dct:description "Om ${d.title}"@nb ;
  ${d.licence ? `dct:license <${d.licence}> ;` : ''} ${d.extra ?? ''}
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <http://ex.no/files/${d.id}.csv> ; dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ] .`,
  )
  .join('\n')}`;

describe('DCAT sources', () => {
  it('reads Turtle, N-Triples, JSON-LD and RDF/XML alike', async () => {
    const turtle = CATALOG([{ id: 'a', title: 'Alfa', licence: 'http://data.norge.no/nlod/no/2.0' }, { id: 'b', title: 'Beta' }]);
    const quads = quadsOf(turtle);
    const nt = new Writer({ format: 'N-Triples' });
    nt.addQuads(quads);
    const ntText = await new Promise<string>((res, rej) => nt.end((e, r) => (e ? rej(e) : res(r))));
    const jsonldDoc = await jsonld.fromRDF(quads as never);
    const rdfxml = `<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY dct "http://purl.org/dc/terms/"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://ex.no/ds/a"><dct:title xml:lang="nb">Alfa</dct:title><dct:license rdf:resource="http://data.norge.no/nlod/no/2.0"/>
    <dct:publisher rdf:resource="&dct;ignored"/></dcat:Dataset>
  <dcat:Dataset rdf:about="http://ex.no/ds/b"><dct:title>Beta</dct:title></dcat:Dataset>
</rdf:RDF>`;
    const cases: [string, string, string][] = [
      ['/fmt/cat.nt', 'application/n-triples', ntText],
      ['/fmt/cat.jsonld', 'application/ld+json', JSON.stringify(jsonldDoc)],
      ['/fmt/cat.rdf', 'application/rdf+xml', rdfxml],
      ['/fmt/sniffed', 'application/octet-stream', turtle],
    ];
    for (const [p, type, doc] of cases) {
      // Each serialisation names its own datasets (the same URIs would merge into the first source's datasets).
      const body = doc.replaceAll('http://ex.no/ds/', `http://ex.no${p}/ds/`);
      src.serve(p, type, body);
      const s = await addSource('dcat', p);
      const r = await run(s.id);
      expect(r.state, `${p}: ${r.error}`).toBe('succeeded');
      expect(r.added, p).toBe(2);
      const rows = await datasetsOf(s.id);
      expect(rows.map((d) => JSON.parse(d.title).nb).sort()).toEqual(['Alfa', 'Beta']);
      expect(rows.find((d) => JSON.parse(d.title).nb === 'Alfa')!.licence).toBe('http://data.norge.no/nlod/no/2.0');
    }
  });

  it('follows Hydra paging, updates incrementally, removes what is gone and keeps local enrichments', async () => {
    src.serve('/paged/1', 'text/turtle', CATALOG([{ id: 'p1', title: 'En' }, { id: 'p2', title: 'To' }], `${src.url}/paged/2`));
    src.serve('/paged/2', 'text/turtle', CATALOG([{ id: 'p3', title: 'Tre' }]));
    const s = await addSource('dcat', '/paged/1');
    const first = await run(s.id);
    expect(first).toMatchObject({ state: 'succeeded', added: 3, pages: 2, updated: 0, removed: 0 });
    const before = await datasetsOf(s.id);
    // Harvested without a licence or access rights: kept, scored low, not public.
    expect(before.every((d) => d.access_rights === 'NON_PUBLIC' && d.licence === null)).toBe(true);
    const p1 = (await t.db.selectFrom('harvest_records').selectAll().where('uri', '=', 'http://ex.no/ds/p1').where('source_id', '=', s.id).executeTakeFirstOrThrow());
    expect(p1.score).toBeLessThan(60);

    // A local enrichment: an editor here adds a LOS theme and rewrites the description.
    await t.db.updateTable('datasets').set({ los_themes: JSON.stringify(['https://psi.norge.no/los/tema/helse-og-omsorg']), description: JSON.stringify({ nb: 'Vår beskrivelse' }) }).where('id', '=', p1.dataset_id).execute();

    // Unchanged source: nothing written.
    expect(await run(s.id)).toMatchObject({ state: 'succeeded', added: 0, updated: 0, unchanged: 3, removed: 0 });

    // The source changes p1's title and description, drops p3, adds p4.
    src.serve('/paged/1', 'text/turtle', CATALOG([{ id: 'p1', title: 'En (ny)' }, { id: 'p2', title: 'To' }], `${src.url}/paged/2`));
    src.serve('/paged/2', 'text/turtle', CATALOG([{ id: 'p4', title: 'Fire' }]));
    expect(await run(s.id)).toMatchObject({ state: 'succeeded', added: 1, updated: 1, unchanged: 1, removed: 1 });
    const p1After = await t.db.selectFrom('datasets').selectAll().where('id', '=', p1.dataset_id).executeTakeFirstOrThrow();
    expect(JSON.parse(p1After.title)).toEqual({ nb: 'En (ny)' });
    expect(JSON.parse(p1After.description)).toEqual({ nb: 'Vår beskrivelse' });
    expect(JSON.parse(p1After.los_themes)).toEqual(['https://psi.norge.no/los/tema/helse-og-omsorg']);
    const titles = (await datasetsOf(s.id)).map((d) => JSON.parse(d.title).nb).sort();
    expect(titles).toEqual(['En (ny)', 'Fire', 'To']);
    // The dataset kept its id (links, assessments, bookmarks survive an update).
    expect(before.map((d) => d.id)).toContain(p1.dataset_id);
  });

  it('makes harvested datasets searchable with provenance "harvested" at the switch, and never re-exports them in /catalog', async () => {
    const pub = 'dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;';
    src.serve('/searchable', 'text/turtle', CATALOG([{ id: 's1', title: 'Fuglekasser langs kysten', licence: 'http://data.norge.no/nlod/no/2.0', extra: pub }]));
    const s = await addSource('dcat', '/searchable');
    expect((await run(s.id)).added).toBe(1);
    const found = await t.services.search.search(ANONYMOUS, { q: 'fuglekassene', limit: 10, offset: 0 });
    expect(found.items.map((d) => d.title.nb)).toEqual(['Fuglekasser langs kysten']);
    expect(found.facets.provenance).toEqual([{ value: 'harvested', count: 1 }]);
    const catalog = await t.app.inject({ url: '/catalog.ttl' });
    expect(catalog.statusCode).toBe(200);
    expect(catalog.body).not.toContain('Fuglekasser');
    // Gone from the source: gone from search in the same switch.
    src.serve('/searchable', 'text/turtle', CATALOG([]));
    expect((await run(s.id)).removed).toBe(1);
    expect((await t.services.search.search(ANONYMOUS, { q: 'fuglekasser', limit: 10, offset: 0 })).total).toBe(0);
  });

  it('merges the same dataset from two sources by URI, and hands it over when the owner drops it', async () => {
    src.serve('/dup/a', 'text/turtle', CATALOG([{ id: 'shared', title: 'Felles' }, { id: 'only-a', title: 'Bare A' }]));
    src.serve('/dup/b', 'text/turtle', CATALOG([{ id: 'shared', title: 'Felles' }]));
    const a = await addSource('dcat', '/dup/a');
    const b = await addSource('dcat', '/dup/b');
    expect(await run(a.id)).toMatchObject({ added: 2 });
    expect(await run(b.id)).toMatchObject({ added: 0, merged: 1 });
    const shared = await t.db.selectFrom('harvest_records').select(['dataset_id', 'source_id']).where('uri', '=', 'http://ex.no/ds/shared').where('source_id', 'in', [a.id, b.id]).execute();
    expect(new Set(shared.map((r) => r.dataset_id)).size).toBe(1);
    const prov = await t.services.harvest.provenanceOf(shared[0]!.dataset_id);
    expect(prov?.alsoIn).toEqual([b.name]);
    src.serve('/dup/a', 'text/turtle', CATALOG([{ id: 'only-a', title: 'Bare A' }]));
    expect(await run(a.id)).toMatchObject({ removed: 0 });
    const ds = await t.db.selectFrom('datasets').select('origin').where('id', '=', shared[0]!.dataset_id).executeTakeFirstOrThrow();
    expect(ds.origin).toBe(b.id);
  });

  it('reports a record it cannot read and harvests the rest', async () => {
    src.serve('/bad-record', 'text/turtle', CATALOG([{ id: 'ok', title: 'Fin' }]) + '\n[] a <http://www.w3.org/ns/dcat#Dataset> . <http://ex.no/ds/untitled> a <http://www.w3.org/ns/dcat#Dataset> .');
    const s = await addSource('dcat', '/bad-record');
    const r = await run(s.id);
    expect(r).toMatchObject({ state: 'succeeded', added: 1, failed: 2 });
    expect(r.failures.map((f) => f.reason).sort()).toEqual(['a dataset without a URI or a dct:identifier', 'a dataset without a title']);
  });

  it('keeps publishers without an organisation number as external agents', async () => {
    src.serve('/foreign', 'text/turtle', `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://ex.se/ds/1> a dcat:Dataset ; dct:title "Svensk data"@sv ; dct:publisher <http://ex.se/org/smhi> ;
  dct:issued "2024-03-01T12:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
<http://ex.se/org/smhi> a foaf:Organization ; foaf:name "SMHI"@sv .`);
    const s = await addSource('dcat', '/foreign');
    expect(await run(s.id)).toMatchObject({ state: 'succeeded', added: 1 });
    const [ds] = await datasetsOf(s.id);
    expect(ds!.orgnr).toMatch(/^ext-[0-9a-f]{16}$/);
    const org = await t.db.selectFrom('organizations').selectAll().where('orgnr', '=', ds!.orgnr).executeTakeFirstOrThrow();
    expect(org).toMatchObject({ name: 'SMHI', harvested: 1, agent_uri: 'http://ex.se/org/smhi' });
    // A Swedish-only title is kept (as bokmål, the only place it can go); the zone-less time is Oslo time (CET).
    expect(JSON.parse(ds!.title)).toEqual({ nb: 'Svensk data' });
    expect(ds!.issued).toBe('2024-03-01T11:00:00.000Z');
    // A harvested publisher has no members: nobody can publish as it.
    expect(await t.db.selectFrom('memberships').select('user_id').where('orgnr', '=', ds!.orgnr).execute()).toEqual([]);
  });

  it('leaves the previous state intact when a run crashes between staging and switching', async () => {
    src.serve('/crash', 'text/turtle', CATALOG([{ id: 'c1', title: 'Først' }]));
    const s = await addSource('dcat', '/crash');
    await run(s.id);
    const before = await datasetsOf(s.id);
    // A run that staged a changed catalogue and then died (its process killed): state "running", staged rows left.
    const crashed = '00000000-0000-4000-8000-000000000001';
    await t.db.insertInto('harvest_runs').values({ id: crashed, source_id: s.id, state: 'running', trigger: 'manual', job_id: null, error: null, created_at: new Date().toISOString(), started_at: new Date().toISOString(), finished_at: null }).execute();
    await t.db.insertInto('harvest_staged').values({ run_id: crashed, record_key: 'http://ex.no/ds/zzz', hash: 'x', payload: '{}' }).execute();
    expect((await datasetsOf(s.id)).map((d) => d.title)).toEqual(before.map((d) => d.title));
    // The next run marks it interrupted, drops its staging and applies only its own reading.
    const next = await run(s.id);
    expect(next).toMatchObject({ state: 'succeeded', unchanged: 1, added: 0 });
    const old = await t.services.harvest.run(CLI_ACTOR, s.id, crashed);
    expect(old.state).toBe('failed');
    expect(old.error).toMatch(/Interrupted/);
    expect(await t.db.selectFrom('harvest_staged').select('run_id').execute()).toEqual([]);
  });
});

describe('hostile and broken sources: reported on the run, nothing applied', () => {
  let guarded: string;
  let n = 0;
  beforeEach(async () => {
    // A catalogue that was harvested fine before the source went bad.
    src.serve('/bad', 'text/turtle', CATALOG([{ id: `kept-${++n}`, title: 'Beholdt' }]));
    guarded = (await addSource('dcat', '/bad', `bad ${Math.random()}`)).id;
    expect(await run(guarded)).toMatchObject({ state: 'succeeded', added: 1 });
  });

  async function expectFailure(handler: Parameters<HarvestServer['route']>[1], message: RegExp) {
    src.route('/bad', handler);
    const r = await run(guarded);
    expect(r.state).toBe('failed');
    expect(r.error).toMatch(message);
    const rows = await datasetsOf(guarded);
    expect(rows.map((d) => JSON.parse(d.title).nb)).toEqual(['Beholdt']);
  }

  it('malformed Turtle', () => expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'text/turtle' }).end(CATALOG([{ id: 'x', title: 'X' }]) + '\n<http://a> <http://b> "unterminated .'), /Malformed Turtle/));
  it('malformed RDF/XML', () => expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'application/rdf+xml' }).end('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'), /Malformed RDF\/XML/));
  it('RDF/XML with an external entity (XXE)', () =>
    expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'application/rdf+xml' }).end('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a"><rdf:value>&xxe;</rdf:value></rdf:Description></rdf:RDF>'), /external entity/));
  it('RDF/XML with an entity expansion bomb (billion laughs)', () =>
    expectFailure(
      (_q, res) =>
        res
          .writeHead(200, { 'content-type': 'application/rdf+xml' })
          .end(`<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a"><rdf:value>&lol3;</rdf:value></rdf:Description></rdf:RDF>`),
      /expansion bomb/,
    ));
  it('RDF/XML with many references to one long entity', () =>
    expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'application/rdf+xml' }).end(`<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY big "${'x'.repeat(500)}">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a"><rdf:value>${'&big;'.repeat(10_000)}</rdf:value></rdf:Description></rdf:RDF>`), /more than 4 MB/));
  it('JSON-LD with a remote context (never fetched)', async () => {
    src.serve('/remote-context.jsonld', 'application/ld+json', '{"@context": {}}');
    await expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify({ '@context': `${src.url}/remote-context.jsonld`, '@id': 'http://a', '@type': 'http://www.w3.org/ns/dcat#Dataset' })), /remote @context/);
    expect(src.hits('/remote-context.jsonld')).toBe(0);
  });
  it('a document over the size cap (streamed: refused without reading it all)', () =>
    expectFailure((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      const line = `# ${'x'.repeat(1022)}\n`;
      let sent = 0;
      const push = () => {
        while (sent < 100 * 1024 && res.write(line)) sent++;
        if (sent < 100 * 1024) res.once('drain', push);
        else res.end();
      };
      push();
    }, /larger than the limit/));
  it('a declared Content-Length over the cap', () => expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'text/turtle', 'content-length': String(100 * 1024 * 1024) }).end(), /larger than the limit/));
  it('an HTML answer', () => expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>Login</p>'), /HTML page/));
  it('HTTP 500', () => expectFailure((_q, res) => res.writeHead(500).end('boom'), /HTTP 500/));
  it('a source that never answers (timeout)', () => expectFailure(() => undefined, /did not answer within 1500 ms/));
  it('endless redirects', () => expectFailure((req, res) => res.writeHead(302, { location: `/bad?n=${Number(/n=(\d+)/.exec(req.url ?? '')?.[1] ?? 0) + 1}` }).end(), /More than 5 redirects/));
  it('a redirect loop', () => expectFailure((_q, res) => res.writeHead(302, { location: '/bad' }).end(), /Redirect loop/));
  it('a Hydra next link that loops', () => expectFailure((_q, res) => res.writeHead(200, { 'content-type': 'text/turtle' }).end(CATALOG([{ id: 'kept', title: 'Beholdt' }], `${src.url}/bad`)), /loops back/));
});

describe('private addresses', () => {
  it('are refused unless HARVEST_ALLOW_PRIVATE is set, when added and when a redirect leads there', async () => {
    const strict = await createTestApp();
    try {
      await expect(strict.services.harvest.create(CLI_ACTOR, { name: 'lokal', kind: 'dcat', url: `${src.url}/x` })).rejects.toMatchObject({ status: 422 });
      await expect(strict.services.harvest.create(CLI_ACTOR, { name: 'lokal', kind: 'dcat', url: 'http://localhost:8080/x' })).rejects.toMatchObject({ status: 422 });
      await expect(strict.services.harvest.create(CLI_ACTOR, { name: 'meta', kind: 'dcat', url: 'http://169.254.169.254/latest' })).rejects.toMatchObject({ status: 422 });
      // A source stored while allowed (or whose name now resolves privately) fails at connection time, on the run.
      const now = new Date().toISOString();
      await strict.db.insertInto('harvest_sources').values({ id: 's1', name: 'was allowed', kind: 'dcat', url: `http://localhost:${new URL(src.url).port}/examples/test.ttl`, interval_minutes: null, next_run_at: null, last_run_id: null, created_by: null, created_at: now, updated_at: now }).execute();
      const r = await strict.services.harvest.runNow(CLI_ACTOR, 's1');
      expect(r.state).toBe('failed');
      expect(r.error).toMatch(/private or loopback address/);
    } finally {
      await strict.close();
    }
  });
});

describe('CKAN sources', () => {
  const pkg = (i: number, extra: Record<string, unknown> = {}) => ({
    id: `pkg-${i}`,
    name: `pakke-${i}`,
    title: `Pakke ${i}`,
    notes: i === 2 ? '' : `Beskrivelse ${i}`,
    license_id: i === 1 ? 'cc-by' : '',
    metadata_created: '2023-06-01T10:00:00.123456',
    metadata_modified: '2023-06-02T10:00:00.123456',
    organization: { name: 'kartverket', title: 'Kartverket', extras: [] },
    extras: [{ key: 'orgnr', value: '971040238' }],
    tags: [{ name: 'kart' }],
    resources: [{ id: `r${i}`, name: 'CSV', url: `http://ex.no/${i}.csv`, format: 'CSV', mimetype: 'text/csv' }],
    ...extra,
  });
  it('pages through package_search and normalises what CKAN sends', async () => {
    const all = [pkg(1), pkg(2), ...Array.from({ length: 148 }, (_, i) => pkg(i + 3)), { id: 'broken' }];
    src.route('/ckan/api/3/action/package_search', (req, res) => {
      const u = new URL(req.url!, 'http://x');
      const start = Number(u.searchParams.get('start'));
      const rows = Number(u.searchParams.get('rows'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ help: '', success: true, result: { count: all.length, results: all.slice(start, start + rows) } }));
    });
    const s = await t.services.harvest.create(CLI_ACTOR, { name: 'CKAN', kind: 'ckan', url: `${src.url}/ckan` });
    const r = await run(s.id);
    expect(r).toMatchObject({ state: 'succeeded', added: 150, failed: 1, pages: 2 });
    expect(r.failures[0]).toEqual({ record: 'broken', reason: 'a package without a title' });
    const link = await t.db.selectFrom('harvest_records').selectAll().where('source_id', '=', s.id).where('identifier', '=', 'pkg-1').executeTakeFirstOrThrow();
    const ds = await t.services.catalog.getDataset(ANONYMOUS, link.dataset_id);
    expect(ds.publisher.orgnr).toBe('971040238');
    expect(ds.licence).toBe('http://creativecommons.org/licenses/by/4.0/');
    expect(ds.accessRights).toBe('PUBLIC');
    // CKAN's zone-less timestamps are Oslo time (CEST in June).
    expect(ds.modified).toBe('2023-06-02T08:00:00.123Z');
    expect(ds.distributions[0]).toMatchObject({ accessUrl: 'http://ex.no/1.csv', format: 'CSV', mediaType: 'text/csv' });
    expect(ds.keywords).toEqual({ nb: ['kart'] });
  });
  it('reports a CKAN answering HTML or 500', async () => {
    src.serve('/ckan-html/api/3/action/package_search', 'text/html', '<html><body>Maintenance</body></html>');
    src.serve('/ckan-500/api/3/action/package_search', 'application/json', '{"success": false}', 500);
    const html = await t.services.harvest.create(CLI_ACTOR, { name: 'CKAN html', kind: 'ckan', url: `${src.url}/ckan-html/` });
    const e500 = await t.services.harvest.create(CLI_ACTOR, { name: 'CKAN 500', kind: 'ckan', url: `${src.url}/ckan-500/api/3/action` });
    expect(await run(html.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/text\/html.*not JSON/) });
    expect(await run(e500.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/HTTP 500/) });
  });
});

describe('data.norge.no search API', () => {
  it('pages through POST /search/datasets and keeps language maps, themes and the publisher', async () => {
    const hit = (i: number) => ({
      id: `fdk-${i}`,
      uri: `https://data.example.no/ds/${i}`,
      title: { no: `Datasett ${i}`, en: `Dataset ${i}` },
      description: { nb: `Om ${i}` },
      keyword: [{ nb: 'vei' }, { en: 'road' }],
      dataTheme: [{ code: 'TRAN' }],
      losTheme: [],
      organization: { id: '971032081', uri: 'https://data.brreg.no/enhetsregisteret/api/enheter/971032081', name: 'STATENS VEGVESEN', prefLabel: { nb: 'Statens vegvesen' } },
      accessRights: { code: 'PUBLIC' },
      fdkFormatPrefixed: ['MEDIA_TYPE text/csv', 'FILE_TYPE CSV'],
      metadata: { firstHarvested: '2022-01-01T08:00:00', changed: ['2022-01-01T08:00:00', '2023-02-03T08:00:00'], deleted: false },
      searchType: 'DATASET',
    });
    const hits = Array.from({ length: 130 }, (_, i) => hit(i));
    let body = '';
    src.route('/fdk/search/datasets', (req, res, b) => {
      body = b;
      expect(req.method).toBe('POST');
      const { pagination } = JSON.parse(b) as { pagination: { page: number; size: number } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hits: hits.slice(pagination.page * pagination.size, (pagination.page + 1) * pagination.size), page: { currentPage: pagination.page, size: pagination.size, totalElements: hits.length, totalPages: Math.ceil(hits.length / pagination.size) } }));
    });
    const s = await t.services.harvest.create(CLI_ACTOR, { name: 'data.norge.no', kind: 'norge', url: `${src.url}/fdk` });
    const r = await run(s.id);
    expect(r).toMatchObject({ state: 'succeeded', added: 130, pages: 2 });
    expect(JSON.parse(body)).toEqual({ pagination: { page: 1, size: 100 } });
    const link = await t.db.selectFrom('harvest_records').selectAll().where('source_id', '=', s.id).where('uri', '=', 'https://data.example.no/ds/7').executeTakeFirstOrThrow();
    const ds = await t.services.catalog.getDataset(ANONYMOUS, link.dataset_id);
    expect(ds).toMatchObject({ title: { nb: 'Datasett 7', en: 'Dataset 7' }, publisher: { orgnr: '971032081', name: 'Statens vegvesen' }, accessRights: 'PUBLIC', themes: ['http://publications.europa.eu/resource/authority/data-theme/TRAN'], keywords: { nb: ['vei'], en: ['road'] }, modified: '2023-02-03T07:00:00.000Z' });
    expect(ds.distributions[0]).toMatchObject({ mediaType: 'text/csv', format: 'CSV' });
  });
});
