// The three source types, each an async generator of pages: the records of one page (already normalised) and the
// records of that page that could not be read. A page that cannot be fetched or parsed throws, which fails the run
// before anything is switched in (a partial list would otherwise remove every dataset on the missing pages).
import type { ContactPoint, LangList } from '../../catalog/model';
import { fetchJson, harvestFetch, HarvestFetchError, type FetchPolicy } from './fetch';
import { nextPageOf, recordsFromStore } from './dcat-map';
import type { HarvestDistribution, HarvestRecord, RecordFailure, SourceKind } from './model';
import {
  httpOrNull,
  langOf,
  langText,
  langTextFromJson,
  licenceFromCkan,
  normaliseAccessRights,
  normaliseDate,
  normaliseFormat,
  normaliseFrequency,
  normaliseMediaType,
  orgnrFromAny,
  ORGNR_EXTRA_KEYS,
  sortThemes,
  spatialCode,
} from './normalise';
import { parseRdf, RDF_ACCEPT, RdfParseError, syntaxOf } from './rdf';

export interface Page {
  url: string;
  records: HarvestRecord[];
  failures: RecordFailure[];
}

/** Hard bounds on paging, whatever a source claims: a source that pages forever is cut off with a clear error. */
export const MAX_PAGES = 10_000;
export const CKAN_PAGE_SIZE = 100;
export const NORGE_PAGE_SIZE = 100;

export type SourceReader = (url: string, policy: FetchPolicy, signal?: AbortSignal) => AsyncGenerator<Page>;

// --- DCAT RDF -------------------------------------------------------------------------------------------------------

export async function* readDcat(url: string, policy: FetchPolicy, signal?: AbortSignal): AsyncGenerator<Page> {
  const seen = new Set<string>();
  let next: string | null = url;
  while (next) {
    if (seen.has(next)) throw new HarvestFetchError(`The Hydra paging loops back to ${next}.`);
    if (seen.size >= MAX_PAGES) throw new HarvestFetchError(`More than ${MAX_PAGES} Hydra pages; stopped.`);
    seen.add(next);
    const res = await harvestFetch(next, policy, { accept: RDF_ACCEPT }, signal);
    if (res.status < 200 || res.status >= 300) {
      res.body.resume();
      throw new HarvestFetchError(`${res.url} answered HTTP ${res.status}.`);
    }
    if (res.contentType === 'text/html' || res.contentType === 'application/xhtml+xml') {
      res.body.resume();
      throw new RdfParseError(`${res.url} answered an HTML page, not RDF.`);
    }
    const store = await parseRdf(res.body, syntaxOf(res.contentType, res.url), res.url);
    const page = recordsFromStore(store);
    const pageUrl = res.url;
    next = nextPageOf(store, pageUrl);
    yield { url: pageUrl, ...page };
  }
}

// --- CKAN Action API ------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** The Action API base (…/api/3/action) of a CKAN site given as its home page, its API or the action URL. */
export function ckanActionBase(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  const i = path.search(/\/api(\/3)?(\/action)?(\/package_search)?$/);
  const root = i >= 0 ? path.slice(0, i) : path;
  return `${u.origin}${root}/api/3/action`;
}

function extrasOf(pkg: Json): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of arr(pkg.extras)) {
    const k = str(obj(e).key);
    const v = str(obj(e).value);
    if (k && v) m.set(k.toLowerCase(), v);
  }
  return m;
}

export function recordFromCkan(pkg: Json, site: string): HarvestRecord {
  const id = str(pkg.id);
  const name = str(pkg.name);
  if (!id && !name) throw new Error('a package without id or name');
  const extras = extrasOf(pkg);
  const org = obj(pkg.organization);
  const orgExtras = extrasOf(org);
  const uri = httpOrNull(extras.get('uri') ?? extras.get('dcat_uri') ?? null) ?? `${site}/dataset/${encodeURIComponent(name ?? id!)}`;
  const identifier = extras.get('identifier') ?? extras.get('guid') ?? id;
  const title = langTextFromJson(pkg.title_translated ?? pkg.title ?? name, 500);
  if (!title.nb && !title.nn && !title.en) throw new Error('a package without a title');
  const keywords: LangList = {};
  const tags = arr(pkg.tags)
    .map((t) => str(obj(t).display_name) ?? str(obj(t).name))
    .filter((t): t is string => t !== null)
    .slice(0, 50)
    .map((t) => t.slice(0, 100));
  if (tags.length) keywords.nb = [...new Set(tags)];
  const orgnrCandidates = [...ORGNR_EXTRA_KEYS.map((k) => extras.get(k)), ...ORGNR_EXTRA_KEYS.map((k) => orgExtras.get(k)), str(org.orgnr), str(org.name), str(extras.get('publisher_uri'))];
  const themeRefs = [...arr(pkg.groups).map((g) => str(obj(g).name) ?? ''), ...(extras.get('theme') ? [extras.get('theme')!] : [])].flatMap((t) => {
    if (t.startsWith('[')) {
      try {
        return arr(JSON.parse(t)).filter((x): x is string => typeof x === 'string');
      } catch {
        return [t];
      }
    }
    return [t];
  });
  const distributions: HarvestDistribution[] = arr(pkg.resources).map((r0) => {
    const r = obj(r0);
    const url = httpOrNull(str(r.url));
    const size = Number(r.size);
    return {
      uri: str(r.id) ? `${site}/dataset/${encodeURIComponent(name ?? id!)}/resource/${encodeURIComponent(str(r.id)!)}` : null,
      title: langTextFromJson(r.name_translated ?? r.name, 500),
      description: langTextFromJson(r.description_translated ?? r.description),
      accessUrl: url,
      downloadUrl: url && r.url_type === 'upload' ? url : null,
      mediaType: normaliseMediaType(str(r.mimetype)),
      format: normaliseFormat(str(r.format)),
      licence: null,
      byteSize: Number.isSafeInteger(size) && size >= 0 ? size : null,
    };
  });
  const contact: ContactPoint = {};
  const cName = str(pkg.maintainer) ?? str(pkg.author) ?? str(extras.get('contact_name'));
  const cMail = str(pkg.maintainer_email) ?? str(pkg.author_email) ?? str(extras.get('contact_email'));
  if (cName) contact.name = cName.slice(0, 200);
  if (cMail && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(cMail)) contact.email = cMail;
  return {
    key: uri,
    uri,
    identifier,
    title,
    description: langTextFromJson(pkg.notes_translated ?? pkg.notes),
    keywords,
    ...sortThemes(themeRefs),
    accessRights: normaliseAccessRights(extras.get('access_rights') ?? null) ?? (pkg.private === true ? 'NON_PUBLIC' : 'PUBLIC'),
    licence: licenceFromCkan(pkg.license_id, pkg.license_url),
    contactPoint: contact,
    spatial: (extras.get('spatial_uri') ? [spatialCode(extras.get('spatial_uri')!)] : []).filter((c): c is string => c !== null),
    temporal: { start: normaliseDate(extras.get('temporal_start') ?? null)?.slice(0, 10) ?? null, end: normaliseDate(extras.get('temporal_end') ?? null)?.slice(0, 10) ?? null },
    frequency: normaliseFrequency(extras.get('frequency') ?? null),
    provenance: str(extras.get('provenance'))?.slice(0, 2000) ?? null,
    issued: normaliseDate(extras.get('issued') ?? str(pkg.metadata_created)),
    modified: normaliseDate(extras.get('modified') ?? str(pkg.metadata_modified)),
    landingPage: httpOrNull(str(pkg.url)) ?? `${site}/dataset/${encodeURIComponent(name ?? id!)}`,
    publisher: {
      orgnr: orgnrFromAny(orgnrCandidates),
      uri: httpOrNull(extras.get('publisher_uri') ?? null) ?? (str(org.name) ? `${site}/organization/${encodeURIComponent(str(org.name)!)}` : null),
      name: (str(org.title) ?? str(extras.get('publisher_name')) ?? str(org.name))?.slice(0, 300) ?? null,
    },
    distributions,
  };
}

export async function* readCkan(url: string, policy: FetchPolicy, signal?: AbortSignal): AsyncGenerator<Page> {
  const base = ckanActionBase(url);
  const site = base.replace(/\/api\/3\/action$/, '');
  let total: number | null = null;
  for (let start = 0, page = 0; total === null || start < total; start += CKAN_PAGE_SIZE, page++) {
    if (page >= MAX_PAGES) throw new HarvestFetchError(`More than ${MAX_PAGES} CKAN pages; stopped.`);
    const pageUrl = `${base}/package_search?rows=${CKAN_PAGE_SIZE}&start=${start}&sort=${encodeURIComponent('id asc')}`;
    const body = obj(await fetchJson(pageUrl, policy, {}, signal));
    if (body.success !== true) throw new HarvestFetchError(`${pageUrl}: CKAN answered success=false (${str(obj(body.error).message) ?? 'no message'}).`);
    const result = obj(body.result);
    const count = Number(result.count);
    if (!Number.isSafeInteger(count) || count < 0) throw new HarvestFetchError(`${pageUrl}: the answer has no result.count; not a CKAN package_search.`);
    total = count;
    const results = arr(result.results);
    const records: HarvestRecord[] = [];
    const failures: RecordFailure[] = [];
    results.forEach((r, i) => {
      try {
        records.push(recordFromCkan(obj(r), site));
      } catch (err) {
        failures.push({ record: str(obj(r).name) ?? str(obj(r).id) ?? `#${start + i + 1}`, reason: (err as Error).message });
      }
    });
    yield { url: pageUrl, records, failures };
    if (results.length === 0) break;
  }
}

// --- data.norge.no search API ---------------------------------------------------------------------------------------
// fdk-search-service (the search behind data.norge.no): POST {base}/search/datasets with {pagination: {page, size}}
// answers {hits: [SearchObject], page: {currentPage, size, totalElements, totalPages}}. A hit carries id, uri, title,
// description, keyword[] (language maps, `no` among the keys), dataTheme[{code}], losTheme[{losPaths}],
// organization {id (orgnr), uri, name, prefLabel}, accessRights {code}, spatial[{uri, code}], fdkFormatPrefixed
// ("MEDIA_TYPE text/csv", "FILE_TYPE CSV"), metadata {deleted, changed}. It carries no licence and no distributions:
// datasets from this source are harvested with what the search gives (and score lower); point a DCAT source at the
// same catalogue's RDF for the full record.

export function norgeSearchUrl(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  if (/\/search\/datasets$/.test(path)) return `${u.origin}${path}`;
  if (/\/search$/.test(path)) return `${u.origin}${path}/datasets`;
  return `${u.origin}${path}/search/datasets`;
}

export function recordFromNorge(hit: Json): HarvestRecord | null {
  if (obj(hit.metadata).deleted === true) return null;
  const uri = httpOrNull(str(hit.uri));
  const identifier = str(hit.id);
  const key = uri ?? identifier;
  if (!key) throw new Error('a hit without uri or id');
  const title = langTextFromJson(hit.title, 500);
  if (!title.nb && !title.nn && !title.en) throw new Error('a hit without a title');
  const keywords: LangList = {};
  for (const k of arr(hit.keyword)) {
    for (const [tag, value] of Object.entries(obj(k))) {
      const lang = langOf(tag);
      if (!lang || typeof value !== 'string' || !value.trim()) continue;
      const list = (keywords[lang] ??= []);
      if (!list.includes(value.trim()) && list.length < 50) list.push(value.trim().slice(0, 100));
    }
  }
  const themeRefs = [
    ...arr(hit.dataTheme).map((t) => str(obj(t).uri) ?? str(obj(t).code) ?? ''),
    ...arr(hit.losTheme).flatMap((t) => arr(obj(t).losPaths).map((p) => (typeof p === 'string' ? `https://psi.norge.no/los/${p.includes('/') ? 'tema' : 'tema'}/${p.split('/').pop()}` : ''))),
  ];
  const org = obj(hit.organization);
  const formats = arr(hit.fdkFormatPrefixed).filter((f): f is string => typeof f === 'string');
  const distributions: HarvestDistribution[] = formats.length
    ? [
        {
          uri: null,
          title: {},
          description: {},
          accessUrl: uri,
          downloadUrl: null,
          mediaType: normaliseMediaType(formats.find((f) => f.startsWith('MEDIA_TYPE '))?.slice(11)),
          format: normaliseFormat(formats.find((f) => f.startsWith('FILE_TYPE '))?.slice(10)),
          licence: null,
          byteSize: null,
        },
      ]
    : [];
  const prefLabel = langTextFromJson(org.prefLabel);
  return {
    key,
    uri,
    identifier,
    title,
    description: langTextFromJson(hit.description),
    keywords,
    ...sortThemes(themeRefs),
    accessRights: normaliseAccessRights(str(obj(hit.accessRights).code) ?? str(obj(hit.accessRights).uri)),
    licence: null,
    contactPoint: {},
    spatial: arr(hit.spatial)
      .map((s) => spatialCode(str(obj(s).uri) ?? str(obj(s).code) ?? ''))
      .filter((c): c is string => c !== null),
    temporal: { start: null, end: null },
    frequency: null,
    provenance: str(obj(hit.provenance).code),
    issued: normaliseDate(str(obj(hit.metadata).firstHarvested)),
    modified: normaliseDate(arr(obj(hit.metadata).changed).filter((c): c is string => typeof c === 'string').at(-1) ?? null),
    landingPage: identifier ? `https://data.norge.no/datasets/${encodeURIComponent(identifier)}` : uri,
    publisher: {
      orgnr: orgnrFromAny([str(org.id), str(org.uri), str(org.orgPath)?.split('/').pop()]),
      uri: httpOrNull(str(org.uri)),
      name: (prefLabel.nb ?? prefLabel.nn ?? prefLabel.en ?? str(org.name))?.slice(0, 300) ?? null,
    },
    distributions,
  };
}

export async function* readNorge(url: string, policy: FetchPolicy, signal?: AbortSignal): AsyncGenerator<Page> {
  const endpoint = norgeSearchUrl(url);
  let totalPages: number | null = null;
  for (let page = 0; totalPages === null || page < totalPages; page++) {
    if (page >= MAX_PAGES) throw new HarvestFetchError(`More than ${MAX_PAGES} search pages; stopped.`);
    const body = obj(await fetchJson(endpoint, policy, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pagination: { page, size: NORGE_PAGE_SIZE } }) }, signal));
    const meta = obj(body.page);
    const tp = Number(meta.totalPages);
    if (!Array.isArray(body.hits) || !Number.isSafeInteger(tp) || tp < 0) throw new HarvestFetchError(`${endpoint}: the answer has no hits/page.totalPages; not the data.norge.no search API.`);
    totalPages = tp;
    const records: HarvestRecord[] = [];
    const failures: RecordFailure[] = [];
    body.hits.forEach((h: unknown, i: number) => {
      try {
        const r = recordFromNorge(obj(h));
        if (r) records.push(r);
      } catch (err) {
        failures.push({ record: str(obj(h).uri) ?? str(obj(h).id) ?? `#${page * NORGE_PAGE_SIZE + i + 1}`, reason: (err as Error).message });
      }
    });
    yield { url: `${endpoint}#page=${page}`, records, failures };
    if (body.hits.length === 0) break;
  }
}

export const READERS: Record<SourceKind, SourceReader> = { dcat: readDcat, ckan: readCkan, norge: readNorge };
void langText;
