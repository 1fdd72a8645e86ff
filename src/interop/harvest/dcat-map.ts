// DCAT (any DCAT-AP flavour, DCAT-AP-NO first) from an RDF store to harvest records: every dcat:Dataset and
// dcat:DatasetSeries, its distributions, publisher and licence. A record that cannot be read (no URI or identifier,
// no title in any language) is a failure of that record only.
import type { Term } from 'n3';
import type { Graph } from './rdf';
import type { ContactPoint, LangList } from '../../catalog/model';
import type { HarvestDistribution, HarvestPublisher, HarvestRecord, RecordFailure } from './model';
import {
  httpOrNull,
  langOf,
  langText,
  normaliseAccessRights,
  normaliseDate,
  normaliseDay,
  normaliseFormat,
  normaliseFrequency,
  normaliseLicence,
  normaliseMediaType,
  orgnrFromAny,
  sortThemes,
  spatialCode,
} from './normalise';

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const FOAF = 'http://xmlns.com/foaf/0.1/';
const VCARD = 'http://www.w3.org/2006/vcard/ns#';
const SCHEMA = 'http://schema.org/';
const SKOS = 'http://www.w3.org/2004/02/skos/core#';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const HYDRA = 'http://www.w3.org/ns/hydra/core#';

class View {
  constructor(private readonly store: Graph) {}
  objects(s: Term, p: string): Term[] {
    return this.store.objects(s, p);
  }
  first(s: Term, ...ps: string[]): Term | undefined {
    for (const p of ps) {
      const o = this.objects(s, p)[0];
      if (o) return o;
    }
    return undefined;
  }
  value(s: Term, ...ps: string[]): string | null {
    return this.first(s, ...ps)?.value ?? null;
  }
  texts(s: Term, p: string): { value: string; lang: string }[] {
    return this.objects(s, p)
      .filter((o) => o.termType === 'Literal')
      .map((o) => ({ value: o.value, lang: (o as unknown as { language: string }).language }));
  }
}

function keywordsOf(v: View, s: Term): LangList {
  const out: LangList = {};
  for (const k of v.texts(s, `${DCAT}keyword`)) {
    const lang = langOf(k.lang) ?? 'nb';
    const list = (out[lang] ??= []);
    const w = k.value.trim().slice(0, 100);
    if (w && !list.includes(w) && list.length < 50) list.push(w);
  }
  return out;
}

function contactOf(v: View, s: Term): ContactPoint {
  const c = v.first(s, `${DCAT}contactPoint`);
  if (!c) return {};
  const out: ContactPoint = {};
  const name = v.value(c, `${VCARD}fn`, `${VCARD}hasOrganizationName`, `${VCARD}organization-unit`, `${VCARD}organization-name`);
  if (name) out.name = name.slice(0, 200);
  let email = v.first(c, `${VCARD}hasEmail`);
  if (email && email.termType === 'BlankNode') email = v.first(email, `${VCARD}value`);
  const e = email?.value.replace(/^mailto:/i, '').trim();
  if (e && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) out.email = e.slice(0, 254);
  const tel = v.value(c, `${VCARD}hasTelephone`)?.replace(/^tel:/i, '').trim();
  if (tel && /^\+?[\d\s()-]{5,25}$/.test(tel)) out.phone = tel;
  const url = httpOrNull(v.value(c, `${VCARD}hasURL`));
  if (url) out.url = url;
  return out;
}

/** Agents described in the document, by URI and by orgnr (a document may name one agent in two URI forms). */
function agentIndex(v: View, store: Graph): Map<string, string> {
  const names = new Map<string, string>();
  for (const type of [`${FOAF}Agent`, `${FOAF}Organization`]) {
    for (const a of store.subjectsOfType(type)) {
      const name = langText(v.texts(a, `${FOAF}name`)).nb ?? langText(v.texts(a, `${FOAF}name`)).en ?? langText(v.texts(a, `${FOAF}name`)).nn;
      if (!name) continue;
      names.set(a.value, name);
      const orgnr = orgnrFromAny([a.value, v.value(a, `${DCT}identifier`)]);
      if (orgnr && !names.has(`orgnr:${orgnr}`)) names.set(`orgnr:${orgnr}`, name);
    }
  }
  return names;
}

function publisherOf(v: View, s: Term, agents: Map<string, string>, catalogPublisher: Term | undefined): HarvestPublisher {
  const p = v.first(s, `${DCT}publisher`) ?? catalogPublisher;
  if (!p) return { orgnr: null, uri: null, name: null };
  const uri = p.termType === 'NamedNode' ? p.value : null;
  const orgnr = orgnrFromAny([uri, v.value(p, `${DCT}identifier`), v.value(p, 'https://data.norge.no/vocabulary/dcatno#organizationNumber')]);
  const own = langText(v.texts(p, `${FOAF}name`));
  const name = own.nb ?? own.nn ?? own.en ?? (uri ? agents.get(uri) : undefined) ?? (orgnr ? agents.get(`orgnr:${orgnr}`) : undefined) ?? null;
  return { orgnr, uri, name: name ? name.slice(0, 300) : null };
}

function distributionOf(v: View, d: Term): HarvestDistribution {
  const formatTerm = v.first(d, `${DCT}format`);
  const media = v.value(d, `${DCAT}mediaType`);
  const pkg = v.value(d, `${DCAT}packageFormat`);
  const formatValue = formatTerm?.value ?? null;
  const mediaType = normaliseMediaType(media) ?? normaliseMediaType(formatValue) ?? normaliseMediaType(pkg);
  const format = normaliseFormat(formatValue && !normaliseMediaType(formatValue) ? formatValue : null) ?? normaliseFormat(pkg && /file-type\//.test(pkg) ? pkg : null);
  const size = Number(v.value(d, `${DCAT}byteSize`));
  return {
    uri: d.termType === 'NamedNode' ? d.value : null,
    title: langText(v.texts(d, `${DCT}title`), 500),
    description: langText(v.texts(d, `${DCT}description`)),
    accessUrl: httpOrNull(v.value(d, `${DCAT}accessURL`)),
    downloadUrl: httpOrNull(v.value(d, `${DCAT}downloadURL`)),
    mediaType,
    format,
    licence: normaliseLicence(v.value(d, `${DCT}license`)),
    byteSize: Number.isSafeInteger(size) && size >= 0 ? size : null,
  };
}

function datasetOf(v: View, s: Term, agents: Map<string, string>, catalogPublisher: Term | undefined): HarvestRecord {
  const uri = s.termType === 'NamedNode' ? s.value : null;
  const identifier = v.value(s, `${DCT}identifier`)?.trim().slice(0, 500) || null;
  const key = uri ?? identifier;
  if (!key) throw new Error('a dataset without a URI or a dct:identifier');
  const title = langText(v.texts(s, `${DCT}title`), 500);
  if (!title.nb && !title.nn && !title.en) throw new Error('a dataset without a title');
  const themeRefs = v.objects(s, `${DCAT}theme`).map((t) => t.value);
  const distributions = v.objects(s, `${DCAT}distribution`).map((d) => distributionOf(v, d));
  const temporal = v.first(s, `${DCT}temporal`);
  const provenance = v.first(s, `${DCT}provenance`);
  const spatial = [...new Set(v.objects(s, `${DCT}spatial`).map((t) => spatialCode(t.value)).filter((c): c is string => c !== null))];
  const licence = normaliseLicence(v.value(s, `${DCT}license`)) ?? distributions.find((d) => d.licence)?.licence ?? null;
  return {
    key,
    uri,
    identifier,
    title,
    description: langText(v.texts(s, `${DCT}description`)),
    keywords: keywordsOf(v, s),
    ...sortThemes(themeRefs),
    accessRights: normaliseAccessRights(v.value(s, `${DCT}accessRights`)),
    licence,
    contactPoint: contactOf(v, s),
    spatial,
    temporal: {
      start: temporal ? normaliseDay(v.value(temporal, `${DCAT}startDate`, `${SCHEMA}startDate`)) : null,
      end: temporal ? normaliseDay(v.value(temporal, `${DCAT}endDate`, `${SCHEMA}endDate`)) : null,
    },
    frequency: normaliseFrequency(v.value(s, `${DCT}accrualPeriodicity`)),
    provenance: provenance ? (provenance.termType === 'Literal' ? provenance.value : (langText(v.texts(provenance, `${SKOS}prefLabel`)).nb ?? langText(v.texts(provenance, `${RDFS}label`)).nb ?? provenance.value)).slice(0, 2000) : null,
    issued: normaliseDate(v.value(s, `${DCT}issued`)),
    modified: normaliseDate(v.value(s, `${DCT}modified`)),
    landingPage: httpOrNull(v.value(s, `${DCAT}landingPage`)),
    publisher: publisherOf(v, s, agents, catalogPublisher),
    distributions,
  };
}

/** Every dataset in the store as a record, with the failures of those that could not be read. */
export function recordsFromStore(store: Graph): { records: HarvestRecord[]; failures: RecordFailure[] } {
  const v = new View(store);
  const agents = agentIndex(v, store);
  const catalogs = store.subjectsOfType(`${DCAT}Catalog`);
  // A dataset without its own publisher takes its catalogue's.
  const catalogPublisherOf = new Map<string, Term>();
  for (const c of catalogs) {
    const p = v.first(c, `${DCT}publisher`);
    if (p) for (const d of v.objects(c, `${DCAT}dataset`)) catalogPublisherOf.set(d.value, p);
  }
  const seen = new Set<string>();
  const records: HarvestRecord[] = [];
  const failures: RecordFailure[] = [];
  for (const type of [`${DCAT}Dataset`, `${DCAT}DatasetSeries`]) {
    for (const s of store.subjectsOfType(type)) {
      if (seen.has(s.value)) continue;
      seen.add(s.value);
      try {
        records.push(datasetOf(v, s, agents, catalogPublisherOf.get(s.value)));
      } catch (err) {
        failures.push({ record: s.termType === 'NamedNode' ? s.value : (v.value(s, `${DCT}identifier`) ?? `_:${s.value}`), reason: (err as Error).message });
      }
    }
  }
  return { records, failures };
}

/** The next Hydra page the document links to (hydra:next, or the older hydra:nextPage), resolved against the page. */
export function nextPageOf(store: Graph, pageUrl: string): string | null {
  const next = store.objectsOf(`${HYDRA}next`)[0] ?? store.objectsOf(`${HYDRA}nextPage`)[0];
  if (!next || next.termType !== 'NamedNode') return null;
  try {
    return new URL(next.value, pageUrl).href;
  } catch {
    return null;
  }
}
