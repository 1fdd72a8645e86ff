// The DCAT-AP-NO routes through app.inject: content negotiation (each type, default Turtle, 406), suffixes, Hydra
// paging, the per-publisher catalogue, the dump (ETag/304), one dataset, errors (400 bad page/publisher, 404 unknown,
// draft, beyond the last page), what non-open datasets expose, and special characters through every serialisation.
import fs from 'node:fs';
import path from 'node:path';
import rdf from '@zazuko/env-node';
import jsonld from 'jsonld';
import { Parser, Writer, type Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import type { AccessRights, DatasetInput } from '../../src/catalog/model';
import { bundledDocumentLoader, DCAT_RESOURCES, RemoteContextRefusedError } from '../../src/interop/dcat/serialise';
import { vocabularyQuads } from '../../src/interop/dcat/vocabulary';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
const ORG = '991825827'; // Digitaliseringsdirektoratet
const BIG = '974760673'; // Brønnøysundregistrene: 101 datasets, for paging
const BASE = 'http://localhost:3000';
const HOSTILE = 'Sitat "dobbelt" og \'enkelt\'\nny linje\ttab <b>fet</b> & amp; \\ bakstrek — Ωμέγα 日本語 ǅ 🚀 ]]> --> ';

async function dataset(orgnr: string, title: string, accessRights: AccessRights = 'PUBLIC', extra: Partial<DatasetInput> = {}, publish = true) {
  const ds = await t.services.catalog.createDataset(CLI_ACTOR, {
    orgnr,
    title: { nb: title, en: `${title} (en)` },
    description: { nb: `Beskrivelse av ${title}.` },
    licence: 'http://data.norge.no/nlod/no/2.0',
    accessRights,
    // DCAT-AP-NO makes dcat:theme mandatory (the catalogue's publish rules do not, yet: see the report).
    themes: ['http://publications.europa.eu/resource/authority/data-theme/GOVE'],
    // Restricted and non-public datasets need a contact point to be published (issue 7).
    ...(accessRights === 'PUBLIC' ? {} : { contactPoint: { email: 'data@example.no' } }),
    ...extra,
  });
  if (publish) await t.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  return ds.id;
}

const get = (url: string, accept?: string) => t.app.inject({ url, headers: accept ? { accept } : {} });

function turtle(text: string): Quad[] {
  return new Parser({ format: 'Turtle' }).parse(text);
}
function ntriples(quads: Quad[]): string {
  return new Writer({ format: 'N-Triples' }).quadsToString(quads);
}
async function canonical(nt: string): Promise<string> {
  return (await jsonld.canonize(nt as never, { algorithm: 'URDNA2015', inputFormat: 'application/n-quads', format: 'application/n-quads' })) as string;
}
async function fromJsonld(text: string): Promise<string> {
  return (await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', documentLoader: bundledDocumentLoader as never })) as string;
}
function fromRdfXml(text: string): Promise<Quad[]> {
  return new Promise((resolve, reject) => {
    const out: Quad[] = [];
    const p = new RdfXmlParser();
    p.on('data', (q: Quad) => out.push(q));
    p.on('error', reject);
    p.on('end', () => resolve(out));
    p.write(text);
    p.end();
  });
}

let open = '';
let restricted = '';
let nonPublic = '';
let draft = '';
let hostile = '';

beforeAll(async () => {
  t = await createTestApp();
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: BIG, name: 'Brønnøysundregistrene' });
  open = await dataset(ORG, 'Åpne data', 'PUBLIC', { keywords: { nb: ['åpen'] }, themes: ['http://publications.europa.eu/resource/authority/data-theme/GOVE'], frequency: 'ANNUAL', temporal: { start: '2024-01-01', end: '2024-12-31' }, contactPoint: { name: 'Digdir', email: 'post@digdir.no', phone: '+47 22 45 10 00', url: 'https://www.digdir.no' } });
  await t.services.catalog.addDistribution(CLI_ACTOR, open, { title: { nb: 'Fil' }, downloadUrl: 'https://files.example.no/open.csv', format: 'CSV', mediaType: 'text/csv', byteSize: 1234 });
  restricted = await dataset(ORG, 'Betinget', 'RESTRICTED', { legalBasis: { restriction: 'https://lovdata.no/lov/1967-02-10/§13', access: 'Offentleglova § 13 første ledd' } });
  await t.services.catalog.addDistribution(CLI_ACTOR, restricted, { title: { nb: 'Fil' }, downloadUrl: 'https://files.example.no/restricted-secret.csv', accessUrl: 'https://files.example.no/restricted-door', format: 'CSV' });
  nonPublic = await dataset(ORG, 'Ikke-allmenn', 'NON_PUBLIC');
  await t.services.catalog.addDistribution(CLI_ACTOR, nonPublic, { title: { nb: 'Fil' }, downloadUrl: 'https://files.example.no/nonpublic-secret.csv' });
  draft = await dataset(ORG, 'Kladd som aldri vises', 'PUBLIC', {}, false);
  hostile = await dataset(ORG, HOSTILE, 'PUBLIC', { description: { nb: HOSTILE, nn: 'Нет & <да>', en: '"quoted"\r\nCRLF' }, keywords: { nb: ['a"b', '<c>&d'] }, provenance: HOSTILE, landingPage: 'https://example.no/a"b<c>|d{e}^f`g' });
  for (let i = 0; i < 101; i++) await dataset(BIG, `Registerdatasett ${String(i).padStart(3, '0')}`);
}, 120_000);
afterAll(async () => t?.close());

describe('GET /catalog content negotiation', () => {
  it('answers Turtle by default and for */*', async () => {
    for (const accept of [undefined, '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      const res = await get(`/catalog?publisher=${ORG}`, accept);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/turtle; charset=utf-8');
      expect(turtle(res.body).length).toBeGreaterThan(10);
    }
  });

  it('answers each RDF type it is asked for, and the same graph in each', async () => {
    const ttl = await canonical(ntriples(turtle((await get(`/catalog?publisher=${ORG}`, 'text/turtle')).body)));
    const nt = await get(`/catalog?publisher=${ORG}`, 'application/n-triples');
    expect(nt.headers['content-type']).toBe('application/n-triples; charset=utf-8');
    expect(await canonical(nt.body)).toBe(ttl);
    const jl = await get(`/catalog?publisher=${ORG}`, 'application/ld+json');
    expect(jl.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    expect(await canonical(await fromJsonld(jl.body))).toBe(ttl);
    const rx = await get(`/catalog?publisher=${ORG}`, 'application/rdf+xml');
    expect(rx.headers['content-type']).toBe('application/rdf+xml; charset=utf-8');
    expect(await canonical(ntriples(await fromRdfXml(rx.body)))).toBe(ttl);
  });

  it('prefers by q value', async () => {
    const res = await get('/catalog', 'text/turtle;q=0.5, application/ld+json;q=0.9');
    expect(res.headers['content-type']).toBe('application/ld+json; charset=utf-8');
  });

  it('is 406 with a message naming what it can send for anything else', async () => {
    for (const accept of ['text/html', 'application/json', 'image/png, text/turtle;q=0']) {
      const res = await get('/catalog', `${accept}`);
      expect(res.statusCode).toBe(406);
      expect(res.body).toMatch(/Turtle|text\/turtle/);
    }
    const json = await t.app.inject({ url: '/catalog', headers: { accept: 'application/json' } });
    expect(json.json().error.code).toBe('not_acceptable');
  });

  it('tells a browser in its language (an HTML page) what it can have', async () => {
    const res = await get('/catalog', 'text/html');
    expect(res.statusCode).toBe(406);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Katalogen finnes som Turtle, JSON-LD, RDF/XML og N-Triples');
    const en = await t.app.inject({ url: '/catalog?lang=en', headers: { accept: 'text/html' } });
    expect(en.statusCode).toBe(406);
    expect(en.body).toContain('The catalogue is available as Turtle, JSON-LD, RDF/XML and N-Triples');
  });

  it('answers by suffix whatever Accept says', async () => {
    const cases = [
      ['ttl', 'text/turtle'],
      ['jsonld', 'application/ld+json'],
      ['rdf', 'application/rdf+xml'],
      ['nt', 'application/n-triples'],
    ] as const;
    for (const [suffix, type] of cases) {
      const res = await get(`/catalog.${suffix}?publisher=${ORG}`, 'text/html');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
    }
  });
});

describe('what the catalogue shows', () => {
  it('lists published datasets only, never a draft', async () => {
    const body = (await get('/catalog.nt?publisher=' + ORG)).body;
    expect(body).toContain(`<${BASE}/datasets/${open}>`);
    expect(body).toContain(`<${BASE}/datasets/${restricted}>`);
    expect(body).not.toContain(draft);
    expect(body).not.toContain('Kladd som aldri vises');
  });

  it('writes no download URL, and no link of their own, for RESTRICTED and NON_PUBLIC datasets', async () => {
    const quads = turtle((await get(`/catalog.ttl?publisher=${ORG}`)).body);
    const downloads = quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#downloadURL').map((q) => q.object.value);
    expect(downloads).toEqual(['https://files.example.no/open.csv']);
    const all = quads.map((q) => q.object.value).join('\n');
    expect(all).not.toContain('secret');
    expect(all).not.toContain('restricted-door');
    for (const id of [restricted, nonPublic]) {
      const dist = quads.find((q) => q.subject.value === `${BASE}/datasets/${id}` && q.predicate.value === 'http://www.w3.org/ns/dcat#distribution')!.object;
      expect(quads.find((q) => q.subject.equals(dist) && q.predicate.value === 'http://www.w3.org/ns/dcat#accessURL')?.object.value).toBe(`${BASE}/datasett/${id}`);
    }
  });

  it('writes the publisher as an Enhetsregisteret URI and the vocabularies as URIs', async () => {
    const body = (await get(`/datasets/${open}.nt`)).body;
    expect(body).toContain(`<https://data.brreg.no/enhetsregisteret/api/enheter/${ORG}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Agent>`);
    expect(body).toContain('<http://publications.europa.eu/resource/authority/access-right/PUBLIC>');
    expect(body).toContain('<http://publications.europa.eu/resource/authority/frequency/ANNUAL>');
    expect(body).toContain('<http://publications.europa.eu/resource/authority/licence/NLOD_2_0>');
    expect(body).toContain('<http://publications.europa.eu/resource/authority/file-type/CSV>');
    expect(body).toContain('<https://www.iana.org/assignments/media-types/text/csv>');
    expect(body).toContain('<mailto:post@digdir.no>');
    expect(body).toContain('<tel:+4722451000>');
    // The two profiles disagree on byteSize's datatype (decimal vs nonNegativeInteger): it is left out (service.ts).
    expect(body).not.toContain('byteSize');
    expect(body).toContain('"2024-12-31"^^<http://www.w3.org/2001/XMLSchema#date>');
  });
});

describe('the hand-made catalogue (non-open datasets, files, legal bases, hostile text) is valid too', () => {
  it('has 0 violations of DCAT-AP-NO 2.0 and SEMIC DCAT-AP 3.0.1', async () => {
    const data = rdf.dataset();
    for (const q of turtle((await get(`/catalog.ttl?publisher=${ORG}`)).body)) data.add(q);
    for (const q of vocabularyQuads()) data.add(q);
    for (const files of [['DCAT-AP-NO-shacl_shapes_2.00.ttl'], ['3.0.1_shacl_shapes.ttl', '3.0.1_shacl_range.ttl']]) {
      const shapes = rdf.dataset();
      for (const f of files) for (const q of turtle(fs.readFileSync(path.join(DCAT_RESOURCES, f), 'utf8'))) shapes.add(q);
      const report = await new SHACLValidator(shapes, { factory: rdf }).validate(data);
      const violations = report.results.filter((r) => r.severity?.value === 'http://www.w3.org/ns/shacl#Violation').map((r) => `${r.focusNode?.value} ${r.path?.value}: ${r.message.map((m) => m.value).join(' ')}`);
      expect(violations, files.join(', ')).toEqual([]);
    }
  });

  it('writes legal bases as dcatno statements, a link as their source', async () => {
    const body = (await get(`/datasets/${restricted}.nt`)).body;
    expect(body).toContain('<https://data.norge.no/vocabulary/dcatno#legalBasisForRestriction>');
    expect(body).toContain('<https://data.norge.no/vocabulary/dcatno#legalBasisForAccess>');
    expect(body).toContain('<http://purl.org/dc/terms/source> "https://lovdata.no/lov/1967-02-10/§13"');
  });
});

describe('paging and the per-publisher catalogue', () => {
  it('pages a catalogue of more than 100 datasets with Hydra links', async () => {
    const quads = turtle((await get(`/catalog.ttl?publisher=${BIG}`)).body);
    const datasets = quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#dataset');
    expect(datasets).toHaveLength(100);
    const link = (p: string) => quads.find((q) => q.predicate.value === `http://www.w3.org/ns/hydra/core#${p}`)?.object.value;
    expect(link('view')).toBe(`${BASE}/catalog?publisher=${BIG}&page=1`);
    expect(link('first')).toBe(`${BASE}/catalog?publisher=${BIG}&page=1`);
    expect(link('next')).toBe(`${BASE}/catalog?publisher=${BIG}&page=2`);
    expect(link('last')).toBe(`${BASE}/catalog?publisher=${BIG}&page=2`);
    expect(link('previous')).toBeUndefined();
    expect(link('totalItems')).toBe('101');

    const second = turtle((await get(`/catalog.ttl?publisher=${BIG}&page=2`)).body);
    expect(second.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#dataset')).toHaveLength(1);
    expect(second.find((q) => q.predicate.value === 'http://www.w3.org/ns/hydra/core#previous')?.object.value).toBe(`${BASE}/catalog?publisher=${BIG}&page=1`);
    expect(second.find((q) => q.predicate.value === 'http://www.w3.org/ns/hydra/core#next')).toBeUndefined();
  });

  it('keeps one publisher to its own datasets', async () => {
    const body = (await get(`/catalog.nt?publisher=${ORG}`)).body;
    expect(body).not.toContain('Registerdatasett');
    expect(body).toContain(`<${BASE}/catalog?publisher=${ORG}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Catalog>`);
  });

  it('refuses a bad page or publisher with 400, and a page past the end with 404', async () => {
    for (const q of ['page=0', 'page=abc', 'page=-1', 'page=1.5', `page=${'9'.repeat(30)}`]) {
      const res = await get(`/catalog.ttl?${q}`, 'application/json');
      expect(res.statusCode, q).toBe(400);
    }
    expect((await get('/catalog.ttl?page=0', 'application/json')).json().error.code).toBe('invalid_page');
    const bad = await get('/catalog.ttl?publisher=123456789', 'application/json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_publisher');
    expect((await get('/catalog.ttl?unknown=1', 'application/json')).statusCode).toBe(400);
    expect((await get(`/catalog.ttl?publisher=${BIG}&page=3`, 'application/json')).statusCode).toBe(404);
  });
});

describe('the dataset page links its RDF twins', () => {
  it('has a <link rel="alternate"> for each serialisation', async () => {
    const page = await get(`/datasett/${open}`);
    expect(page.statusCode).toBe(200);
    for (const [type, suffix] of [['text/turtle', 'ttl'], ['application/ld+json', 'jsonld'], ['application/rdf+xml', 'rdf'], ['application/n-triples', 'nt']] as const) {
      expect(page.body).toMatch(new RegExp(`<link rel="alternate" type="${type.replace('+', '\\+')}" href="/datasets/${open}\\.${suffix}"`));
    }
  });
});

describe('GET /datasets/{id}.{suffix}', () => {
  it('answers one dataset with its distributions in each serialisation', async () => {
    for (const suffix of ['ttl', 'jsonld', 'rdf', 'nt']) {
      const res = await get(`/datasets/${open}.${suffix}`);
      expect(res.statusCode, suffix).toBe(200);
      expect(res.body).toContain('open.csv');
    }
    expect((await get(`/datasets/${open}`, 'application/n-triples')).headers['content-type']).toBe('application/n-triples; charset=utf-8');
  });

  it('is 404 for an unknown dataset, a draft, and an unknown suffix; 406 for an unknown type', async () => {
    expect((await get('/datasets/00000000-0000-0000-0000-000000000000.ttl')).statusCode).toBe(404);
    expect((await get(`/datasets/${draft}.ttl`)).statusCode).toBe(404);
    expect((await get(`/datasets/${draft}`)).statusCode).toBe(404);
    expect((await get(`/datasets/${open}.xlsx`)).statusCode).toBe(404);
    expect((await get(`/datasets/${open}`, 'image/png')).statusCode).toBe(406);
    expect((await get(`/datasets/${encodeURIComponent('<x>&"\'')}.ttl`)).statusCode).toBe(404);
    // Past Fastify's parameter length: 414, a clear refusal before any lookup.
    expect((await get(`/datasets/${'a'.repeat(500)}.ttl`)).statusCode).toBe(414);
  });

  it('sends a browser dereferencing the dataset URI to the dataset page (303), never for a draft', async () => {
    const res = await get(`/datasets/${open}`, 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/datasett/${open}`);
    expect((await get(`/datasets/${draft}`, 'text/html')).statusCode).toBe(404);
  });
});

describe('special characters survive every serialisation', () => {
  it('Turtle, N-Triples, JSON-LD and RDF/XML give the same graph, with the text unchanged', async () => {
    const ttlQuads = turtle((await get(`/datasets/${hostile}.ttl`)).body);
    const titles = ttlQuads.filter((q) => q.predicate.value === 'http://purl.org/dc/terms/title' && q.object.termType === 'Literal' && (q.object as { language: string }).language === 'nb');
    // The catalogue keeps the title as stored (trimmed at the edges by the catalog service).
    const stored = (await t.services.catalog.getDataset(CLI_ACTOR, hostile)).title.nb;
    expect(stored).toBe(HOSTILE.trim());
    expect(titles.map((q) => q.object.value)).toEqual([stored]);
    const reference = await canonical(ntriples(ttlQuads));
    expect(reference).toContain('Ωμέγα 日本語');
    expect(await canonical((await get(`/datasets/${hostile}.nt`)).body)).toBe(reference);
    expect(await canonical(await fromJsonld((await get(`/datasets/${hostile}.jsonld`)).body))).toBe(reference);
    // A stored URL with characters no IRI may hold is percent-encoded, the same address.
    const landing = ttlQuads.find((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#landingPage')?.object.value;
    expect(landing).toBe('https://example.no/a%22b%3Cc%3E%7Cd%7Be%7D%5Ef%60g');
    const rdfxml = (await get(`/datasets/${hostile}.rdf`)).body;
    expect(rdfxml.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    expect(await canonical(ntriples(await fromRdfXml(rdfxml)))).toBe(reference);
  });
});

describe('JSON-LD never fetches', () => {
  it('the document loader serves the bundled context and refuses any other URL', async () => {
    const ctx = await bundledDocumentLoader('https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld');
    expect(ctx.document).toHaveProperty('@context');
    await expect(bundledDocumentLoader('https://example.org/context.jsonld')).rejects.toBeInstanceOf(RemoteContextRefusedError);
    await expect(bundledDocumentLoader('http://127.0.0.1:1/x')).rejects.toBeInstanceOf(RemoteContextRefusedError);
  });

  it('a document naming a remote context fails to expand through our loader', async () => {
    await expect(jsonld.expand({ '@context': 'https://example.org/evil.jsonld', name: 'x' }, { documentLoader: bundledDocumentLoader as never })).rejects.toThrow();
  });
});

describe('GET /catalog/dump.ttl', () => {
  it('is every dataset in one file with an ETag and Last-Modified; 304 while nothing changed; a new tag after a change', async () => {
    const first = await get('/catalog/dump.ttl');
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('text/turtle; charset=utf-8');
    const etag = String(first.headers.etag);
    expect(first.headers['last-modified']).toBeTruthy();
    const quads = turtle(first.body);
    // Unpaged: all 101 + 4 published, no Hydra view.
    expect(quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#dataset')).toHaveLength(105);
    expect(quads.some((q) => q.predicate.value.startsWith('http://www.w3.org/ns/hydra/core#'))).toBe(false);
    expect(first.body).not.toContain(draft);

    const again = await t.app.inject({ url: '/catalog/dump.ttl', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect((await get('/catalog/dump.ttl')).body).toBe(first.body);

    await t.services.catalog.publishDataset(CLI_ACTOR, draft);
    const changed = await get('/catalog/dump.ttl');
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body).toContain(draft);
    await t.services.catalog.archiveDataset(CLI_ACTOR, draft);
  });
});
