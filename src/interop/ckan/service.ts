// The CKAN Action API over our catalogue (issue 8 part 3). Every action takes the request's actor and reaches data only
// through the access door: lists through the catalog service's listDatasets (which applies datasetVisibility), rows
// through tables.rows (which authorises and audits). Nothing is stored here.
//
// Search is done over the visible catalogue in memory: the catalog service lists at most 100 datasets a page and has
// no facets, so package_search reads every visible dataset (bounded by MAX_SCAN) and filters, facets, sorts and pages
// that list. A catalogue past MAX_SCAN answers a clear error instead of a partial (wrong) count.
import type { Actor } from '../../access/model';
import type { CatalogService } from '../../catalog/service';
import type { Dataset, Distribution } from '../../catalog/model';
import { euDataThemes, findEuTheme, findLicence, isLosUri, labelIn } from '../../catalog/vocabularies';
import { DomainError } from '../../errors';
import type { OrganizationView } from '../../organisations/model';
import type { TablesService } from '../../tables/service';
import { MAX_PAGE_SIZE } from '../../tables/service';
import { urls } from '../../web/urls';
import {
  CKAN_VERSION,
  CkanError,
  datastoreType,
  idPrefixOfName,
  packageName,
  validationError,
  type CkanGroup,
  type CkanOrganization,
  type CkanPackage,
  type CkanResource,
} from './model';

/** Datasets package_search and friends read at most; past this they answer an error rather than a partial answer. */
export const MAX_SCAN = 10_000;
export const SEARCH_ROWS_MAX = 1000;
export const SEARCH_ROWS_DEFAULT = 10;
/** CKAN's own cap on datastore_search's limit (ckan.datastore.search.rows_max). */
export const DATASTORE_LIMIT_MAX = 32_000;
export const DATASTORE_LIMIT_DEFAULT = 100;
/**
 * `filters`, `q` and `sort` need every row of the table: our rows API reads pages in file order with no filter. They are
 * allowed on tables up to this many rows (read page by page and filtered here); above it they are a Validation Error.
 */
export const DATASTORE_SCAN_MAX = 100_000;
const FACET_FIELDS = ['organization', 'tags', 'res_format', 'license_id', 'groups'] as const;
type FacetField = (typeof FACET_FIELDS)[number];
const FACET_TITLES: Record<FacetField, string> = { organization: 'Organizations', tags: 'Tags', res_format: 'Formats', license_id: 'Licenses', groups: 'Groups' };

export type Params = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CkanDeps {
  catalog: Pick<CatalogService, 'listDatasets' | 'getDataset'>;
  tables: Pick<TablesService, 'rows' | 'getTable'>;
  organisations: { list(opts: { limit: number; offset: number }): Promise<{ items: OrganizationView[]; total: number }> };
  baseUrl: string;
  /** Overrides DATASTORE_SCAN_MAX (tests). */
  datastoreScanMax?: number;
}

// --- parameter helpers -------------------------------------------------------------------------------------------

function allowOnly(params: Params, allowed: string[]): void {
  // `_` is the cache-buster jQuery-based CKAN front ends add to GET requests; nothing else passes unnoticed (JSONP's
  // `callback` included: answering JSON to a client that asked for a script would be a silent wrong answer).
  const unknown = Object.keys(params).filter((k) => !allowed.includes(k) && k !== '_');
  if (unknown.length > 0) {
    // Names are cut and listed as data (fromEntries defines own properties, so "__proto__" stays a plain key).
    const names = unknown.slice(0, 20).map((k) => k.slice(0, 100));
    const fields = Object.fromEntries(names.map((k) => [k, ['Unknown parameter.']]));
    throw new CkanError('Validation Error', `Unknown parameter(s): ${names.join(', ')}. This action takes ${allowed.join(', ') || 'no parameters'}.`, fields);
  }
}

function str(params: Params, key: string): string | undefined {
  const v = params[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw validationError(key, `${key} must be a string.`);
}

function requiredStr(params: Params, key: string): string {
  const v = str(params, key)?.trim();
  if (!v) throw validationError(key, 'Missing value');
  return v;
}

function int(params: Params, key: string, fallback: number, min: number, max: number): number {
  const v = params[key];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw validationError(key, `${key} must be a whole number from ${min} to ${max}.`);
  return n;
}

function bool(params: Params, key: string, fallback: boolean): boolean {
  const v = params[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1|yes)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|0|no)$/i.test(v)) return false;
  throw validationError(key, `${key} must be true or false.`);
}

/** A parameter CKAN takes as JSON in a query string and as itself in a POST body (facet.field, filters, fields). */
function jsonish(params: Params, key: string): unknown {
  const v = params[key];
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('[') && !s.startsWith('{')) return v;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw validationError(key, `${key} is not valid JSON.`);
  }
}

function stringList(params: Params, key: string): string[] | undefined {
  const v = jsonish(params, key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw validationError(key, `${key} must be a list of strings.`);
}

// --- presenting ----------------------------------------------------------------------------------------------------

const text = (t: { nb?: string; en?: string; nn?: string }) => t.nb ?? t.en ?? t.nn ?? '';

function licenceOf(uri: string | null) {
  const l = findLicence(uri);
  if (l) return { license_id: l.code.replace(/_/g, '-').replace(/-(\d)-(\d)$/, '-$1.$2'), license_title: l.label.en, license_url: l.uri };
  return { license_id: uri ?? 'notspecified', license_title: uri ? uri : 'License not specified', license_url: uri ?? '' };
}

function themeGroups(ds: Dataset) {
  return ds.themes.flatMap((uri) => {
    const t = findEuTheme(uri);
    return t ? [{ id: t.code.toLowerCase(), name: t.code.toLowerCase(), title: labelIn(t.label, 'nb'), display_name: labelIn(t.label, 'nb'), description: labelIn(t.label, 'en'), image_url: '' }] : [];
  });
}

function tagsOf(ds: Dataset): string[] {
  return [...new Set(ds.keywords.nb ?? ds.keywords.en ?? ds.keywords.nn ?? [])];
}

export function createCkanService(deps: CkanDeps) {
  const abs = (path: string) => `${deps.baseUrl}${path}`;
  const scanMax = deps.datastoreScanMax ?? DATASTORE_SCAN_MAX;

  function orgDict(orgnr: string, name: string, created: string): CkanOrganization {
    return { id: orgnr, name: orgnr, title: name, description: '', image_url: '', created, type: 'organization', is_organization: true, state: 'active', approval_status: 'approved' };
  }

  function resourceDict(ds: Dataset, d: Distribution, position: number): CkanResource {
    const open = ds.accessRights === 'PUBLIC';
    // Non-open data: the URL is the dataset page (where access is asked for), never the rows API or a file.
    const hosted = d.tableName !== null;
    const url = !open ? abs(urls.dataset(ds.id)) : hosted ? abs(urls.api.rows(ds.id, d.tableName ?? '')) : (d.downloadUrl ?? d.accessUrl ?? abs(urls.dataset(ds.id)));
    return {
      id: d.id,
      package_id: ds.id,
      name: text(d.title) || (d.tableName ?? d.format ?? d.id),
      description: text(d.description),
      format: d.format ?? (hosted ? 'CSV' : ''),
      mimetype: d.mediaType,
      url,
      size: d.byteSize,
      created: d.createdAt,
      last_modified: d.updatedAt,
      datastore_active: hosted,
      url_type: hosted ? 'datastore' : null,
      state: 'active',
      position,
    };
  }

  function packageDict(ds: Dataset, orgCreated: Map<string, string> = new Map()): CkanPackage {
    const tags = tagsOf(ds);
    const extras: { key: string; value: string }[] = [{ key: 'access_rights', value: `http://publications.europa.eu/resource/authority/access-right/${ds.accessRights}` }];
    if (ds.themes.length) extras.push({ key: 'theme', value: JSON.stringify(ds.themes) });
    const los = ds.losThemes.filter(isLosUri);
    if (los.length) extras.push({ key: 'los_theme', value: JSON.stringify(los) });
    if (ds.spatial.length) extras.push({ key: 'spatial', value: JSON.stringify(ds.spatial) });
    if (ds.temporal.start) extras.push({ key: 'temporal_start', value: ds.temporal.start });
    if (ds.temporal.end) extras.push({ key: 'temporal_end', value: ds.temporal.end });
    if (ds.frequency) extras.push({ key: 'frequency', value: `http://publications.europa.eu/resource/authority/frequency/${ds.frequency}` });
    if (ds.contactPoint.name) extras.push({ key: 'contact_name', value: ds.contactPoint.name });
    if (ds.contactPoint.email) extras.push({ key: 'contact_email', value: ds.contactPoint.email });
    if (ds.contactPoint.url) extras.push({ key: 'contact_uri', value: ds.contactPoint.url });
    if (ds.issued) extras.push({ key: 'issued', value: ds.issued });
    if (ds.modified) extras.push({ key: 'modified', value: ds.modified });
    extras.push({ key: 'uri', value: abs(urls.dataset(ds.id)) });
    return {
      id: ds.id,
      name: packageName(ds),
      title: text(ds.title),
      notes: text(ds.description),
      url: ds.landingPage ?? abs(urls.dataset(ds.id)),
      type: 'dataset',
      ...licenceOf(ds.licence),
      organization: orgDict(ds.publisher.orgnr, ds.publisher.name, orgCreated.get(ds.publisher.orgnr) ?? ''),
      owner_org: ds.publisher.orgnr,
      author: null,
      maintainer: ds.contactPoint.name ?? null,
      maintainer_email: ds.contactPoint.email ?? null,
      tags: tags.map((name) => ({ name, display_name: name })),
      groups: themeGroups(ds),
      resources: ds.distributions.map((d, i) => resourceDict(ds, d, i)),
      metadata_created: ds.createdAt,
      metadata_modified: ds.updatedAt,
      private: ds.state !== 'published',
      state: ds.state === 'published' ? 'active' : ds.state === 'draft' ? 'draft' : 'deleted',
      num_resources: ds.distributions.length,
      num_tags: tags.length,
      extras,
    };
  }

  /** Every dataset the actor may see (any state), through the catalog service; bounded by MAX_SCAN. */
  async function visible(actor: Actor, q?: string): Promise<Dataset[]> {
    const out: Dataset[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await deps.catalog.listDatasets(actor, { limit: 100, offset, q, sort: 'updated' });
      if (page.total > MAX_SCAN) throw new CkanError('Validation Error', `The catalogue holds more than ${MAX_SCAN} datasets, more than this CKAN interface searches; use /api/v1/datasets.`);
      out.push(...page.items);
      if (page.items.length < 100 || out.length >= page.total) return out;
    }
  }

  const published = async (actor: Actor, q?: string) => (await visible(actor, q)).filter((d) => d.state === 'published');

  async function findPackage(actor: Actor, idOrName: string): Promise<Dataset> {
    // An id is one read through the access door; only a name needs the visible catalogue.
    if (UUID.test(idOrName)) {
      const ds = await deps.catalog.getDataset(actor, idOrName.toLowerCase()).catch((err: unknown) => {
        if (err instanceof DomainError && err.status === 404) return undefined;
        throw err;
      });
      if (!ds || ds.state === 'archived') throw new CkanError('Not Found Error', 'Not found');
      return ds;
    }
    const prefix = idPrefixOfName(idOrName);
    const all = await visible(actor);
    const found = all.find((d) => d.id === idOrName) ?? (prefix ? all.find((d) => packageName(d) === idOrName) : undefined);
    if (!found || found.state === 'archived') throw new CkanError('Not Found Error', 'Not found');
    return found;
  }

  async function findResource(actor: Actor, id: string): Promise<{ ds: Dataset; d: Distribution; position: number }> {
    for (const ds of await visible(actor)) {
      const position = ds.distributions.findIndex((d) => d.id === id);
      const d = ds.distributions[position];
      if (d && ds.state !== 'archived') return { ds, d, position };
    }
    throw new CkanError('Not Found Error', 'Not found: Resource was not found.');
  }

  function facetValues(ds: Dataset, field: FacetField): string[] {
    switch (field) {
      case 'organization':
        return [ds.publisher.orgnr];
      case 'tags':
        return tagsOf(ds);
      case 'res_format':
        return [...new Set(ds.distributions.map((d) => d.format ?? (d.tableName ? 'CSV' : '')).filter(Boolean))];
      case 'license_id':
        return [licenceOf(ds.licence).license_id];
      case 'groups':
        return themeGroups(ds).map((g) => g.name);
    }
  }

  /** fq: space-separated `field:value` terms (optionally `+field:"quoted value"`), all of which must hold (AND). */
  function parseFq(fq: string): { field: FacetField; value: string }[] {
    const terms: { field: FacetField; value: string }[] = [];
    const re = /\s*\+?([A-Za-z_]+):(?:"((?:[^"\\]|\\.)*)"|(\S+))/y;
    let rest = fq.trim();
    while (rest.length > 0) {
      re.lastIndex = 0;
      const m = re.exec(rest);
      if (!m) throw validationError('fq', `fq must be field:value terms (${FACET_FIELDS.join(', ')}), e.g. organization:974760673 tags:"vann".`);
      const field = m[1] as FacetField;
      if (!FACET_FIELDS.includes(field)) throw validationError('fq', `fq cannot filter on "${m[1]}"; use ${FACET_FIELDS.join(', ')}.`);
      terms.push({ field, value: (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1') });
      rest = rest.slice(re.lastIndex).trim();
      if (/^AND\s/i.test(rest)) rest = rest.slice(3).trim();
    }
    return terms;
  }

  function groupDict(code: string, label: string, description: string, count: number): CkanGroup {
    return { id: code, name: code, title: label, display_name: label, description, image_url: '', created: '2026-01-01T00:00:00', package_count: count, type: 'group', is_organization: false, state: 'active', approval_status: 'approved' };
  }

  /** Every registered organisation (public facts), bounded by MAX_SCAN. */
  async function allOrganisations(): Promise<OrganizationView[]> {
    const all: OrganizationView[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await deps.organisations.list({ limit: 100, offset });
      all.push(...page.items);
      if (page.items.length < 100 || all.length >= page.total || all.length >= MAX_SCAN) return all;
    }
  }

  async function orgCreatedMap(): Promise<Map<string, string>> {
    return new Map((await allOrganisations()).map((o) => [o.orgnr, o.createdAt]));
  }

  async function orgs(actor: Actor) {
    const all = await allOrganisations();
    const counts = new Map<string, number>();
    for (const d of await published(actor)) counts.set(d.publisher.orgnr, (counts.get(d.publisher.orgnr) ?? 0) + 1);
    return all.filter((o) => o.status === 'approved').map((o) => ({ ...orgDict(o.orgnr, o.name, o.createdAt), package_count: counts.get(o.orgnr) ?? 0 }));
  }

  const actions = {
    async status_show(_actor: Actor, p: Params) {
      allowOnly(p, []);
      return { site_title: 'Datafabrikken', site_description: 'Datafabrikken: norske virksomheter deler data.', site_url: deps.baseUrl, ckan_version: CKAN_VERSION, error_emails_to: null, locale_default: 'nb', extensions: [] as string[] };
    },

    async package_list(actor: Actor, p: Params) {
      allowOnly(p, ['limit', 'offset']);
      const limit = int(p, 'limit', MAX_SCAN, 1, MAX_SCAN);
      const offset = int(p, 'offset', 0, 0, MAX_SCAN);
      return (await published(actor)).map(packageName).sort().slice(offset, offset + limit);
    },

    async current_package_list_with_resources(actor: Actor, p: Params) {
      allowOnly(p, ['limit', 'offset']);
      const limit = int(p, 'limit', 10, 1, SEARCH_ROWS_MAX);
      const offset = int(p, 'offset', 0, 0, MAX_SCAN);
      const created = await orgCreatedMap();
      return (await published(actor)).slice(offset, offset + limit).map((d) => packageDict(d, created));
    },

    async package_show(actor: Actor, p: Params) {
      // We have one schema, so use_default_schema changes nothing; parameters we cannot honour are refused, not ignored.
      allowOnly(p, ['id', 'use_default_schema']);
      return packageDict(await findPackage(actor, requiredStr(p, 'id')), await orgCreatedMap());
    },

    async resource_show(actor: Actor, p: Params) {
      allowOnly(p, ['id']);
      const { ds, d, position } = await findResource(actor, requiredStr(p, 'id'));
      return resourceDict(ds, d, position);
    },

    async package_search(actor: Actor, p: Params) {
      allowOnly(p, ['q', 'fq', 'rows', 'start', 'sort', 'facet', 'facet.field', 'facet.limit', 'facet.mincount', 'include_private', 'include_drafts']);
      const rows = int(p, 'rows', SEARCH_ROWS_DEFAULT, 0, SEARCH_ROWS_MAX);
      const start = int(p, 'start', 0, 0, MAX_SCAN);
      const q = str(p, 'q')?.trim();
      const sort = str(p, 'sort')?.trim() || 'score desc, metadata_modified desc';
      const sorts: Record<string, (a: CkanPackage, b: CkanPackage) => number> = {
        'metadata_modified desc': (a, b) => b.metadata_modified.localeCompare(a.metadata_modified),
        'metadata_modified asc': (a, b) => a.metadata_modified.localeCompare(b.metadata_modified),
        'metadata_created desc': (a, b) => b.metadata_created.localeCompare(a.metadata_created),
        'title_string asc': (a, b) => a.title.localeCompare(b.title, 'nb'),
        'title_string desc': (a, b) => b.title.localeCompare(a.title, 'nb'),
        'name asc': (a, b) => a.name.localeCompare(b.name),
        // No relevance score here: the catalogue's text search is a match, so "score" ties and modified decides.
        'score desc': (a, b) => b.metadata_modified.localeCompare(a.metadata_modified),
        'score desc, metadata_modified desc': (a, b) => b.metadata_modified.localeCompare(a.metadata_modified),
      };
      const compare = sorts[sort];
      if (!compare) throw validationError('sort', `sort must be one of: ${Object.keys(sorts).join('; ')}.`);
      const facetFields = bool(p, 'facet', true) ? (stringList(p, 'facet.field') ?? []) : [];
      for (const f of facetFields) if (!FACET_FIELDS.includes(f as FacetField)) throw validationError('facet.field', `Cannot facet on "${f}"; use ${FACET_FIELDS.join(', ')}.`);
      const facetLimit = int(p, 'facet.limit', 50, 0, 1000);
      const facetMin = int(p, 'facet.mincount', 1, 0, MAX_SCAN);
      const terms = parseFq(str(p, 'fq') ?? '');
      const qText = q && q !== '*:*' ? q : undefined;
      // CKAN's private datasets are our drafts: include_private/include_drafts add the drafts the actor may see.
      const withDrafts = bool(p, 'include_private', false) || bool(p, 'include_drafts', false);
      const pool = withDrafts ? (await visible(actor, qText)).filter((d) => d.state !== 'archived') : await published(actor, qText);
      const hits = pool.filter((ds) => terms.every((t) => facetValues(ds, t.field).includes(t.value)));
      const facets: Record<string, Record<string, number>> = {};
      const searchFacets: Record<string, { title: string; items: { name: string; display_name: string; count: number }[] }> = {};
      for (const f of facetFields as FacetField[]) {
        const counts = new Map<string, number>();
        for (const ds of hits) for (const v of facetValues(ds, f)) counts.set(v, (counts.get(v) ?? 0) + 1);
        const top = [...counts.entries()].filter(([, n]) => n >= facetMin).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, facetLimit);
        facets[f] = Object.fromEntries(top);
        const display = (v: string) => {
          if (f === 'organization') return hits.find((d) => d.publisher.orgnr === v)?.publisher.name ?? v;
          if (f === 'groups') return euDataThemes().find((t) => t.code.toLowerCase() === v)?.label.nb ?? v;
          return v;
        };
        searchFacets[f] = { title: FACET_TITLES[f], items: top.map(([name, count]) => ({ name, display_name: display(name), count })) };
      }
      const created = await orgCreatedMap();
      const results = hits.map((d) => packageDict(d, created)).sort(compare).slice(start, start + rows);
      return { count: hits.length, sort, results, facets, search_facets: searchFacets };
    },

    async organization_list(actor: Actor, p: Params) {
      allowOnly(p, ['all_fields', 'limit', 'offset', 'sort', 'organizations', 'include_dataset_count']);
      const allFields = bool(p, 'all_fields', false);
      // CKAN's defaults: 1000 names, or 25 full dicts (ckan.group_and_organization_list[_all_fields]_max).
      const limit = int(p, 'limit', allFields ? 25 : 1000, 1, 1000);
      const offset = int(p, 'offset', 0, 0, MAX_SCAN);
      const only = stringList(p, 'organizations');
      // CKAN sorts by title unless told otherwise; it accepts name, title and package_count, each asc or desc.
      const m = /^(name|title|package_count)(?:\s+(asc|desc))?$/.exec((str(p, 'sort') ?? 'title asc').trim());
      if (!m) throw validationError('sort', 'sort must be name, title or package_count, optionally followed by asc or desc.');
      const key = m[1] as 'name' | 'title' | 'package_count';
      const dir = m[2] === 'desc' ? -1 : 1;
      const list = (await orgs(actor))
        .filter((o) => !only || only.includes(o.name))
        .sort((a, b) => dir * (key === 'package_count' ? (a.package_count ?? 0) - (b.package_count ?? 0) : a[key].localeCompare(b[key], 'nb')));
      const page = list.slice(offset, offset + limit);
      return allFields ? page : page.map((o) => o.name);
    },

    async organization_show(actor: Actor, p: Params) {
      allowOnly(p, ['id', 'include_datasets', 'include_dataset_count']);
      const id = requiredStr(p, 'id');
      const includeDatasets = bool(p, 'include_datasets', false);
      const org = (await orgs(actor)).find((o) => o.id === id);
      if (!org) throw new CkanError('Not Found Error', 'Not found: Organization was not found.');
      if (!includeDatasets) return org;
      const created = new Map([[org.id, org.created]]);
      const packages = (await published(actor)).filter((d) => d.publisher.orgnr === id).slice(0, 1000).map((d) => packageDict(d, created));
      return { ...org, packages };
    },

    async group_list(actor: Actor, p: Params) {
      allowOnly(p, ['all_fields', 'limit', 'offset', 'sort']);
      const allFields = bool(p, 'all_fields', false);
      const limit = int(p, 'limit', 1000, 1, 1000);
      const offset = int(p, 'offset', 0, 0, 1000);
      const counts = new Map<string, number>();
      for (const d of await published(actor)) for (const g of themeGroups(d)) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
      const groups = euDataThemes()
        .map((t) => groupDict(t.code.toLowerCase(), labelIn(t.label, 'nb'), labelIn(t.label, 'en'), counts.get(t.code.toLowerCase()) ?? 0))
        .sort((a, b) => a.name.localeCompare(b.name))
        .slice(offset, offset + limit);
      return allFields ? groups : groups.map((g) => g.name);
    },

    async tag_list(actor: Actor, p: Params) {
      allowOnly(p, ['query', 'all_fields']);
      const query = str(p, 'query')?.trim().toLowerCase();
      const allFields = bool(p, 'all_fields', false);
      const tags = new Set<string>();
      for (const d of await published(actor)) for (const t of tagsOf(d)) if (!query || t.toLowerCase().includes(query)) tags.add(t);
      const sorted = [...tags].sort((a, b) => a.localeCompare(b, 'nb'));
      return allFields ? sorted.map((name) => ({ id: name, name, display_name: name, vocabulary_id: null })) : sorted;
    },

    async datastore_search(actor: Actor, p: Params) {
      allowOnly(p, ['resource_id', 'id', 'filters', 'q', 'fields', 'sort', 'limit', 'offset', 'include_total', 'records_format']);
      const resourceId = str(p, 'resource_id') ?? str(p, 'id');
      if (!resourceId?.trim()) throw validationError('resource_id', 'Missing value');
      const limit = int(p, 'limit', DATASTORE_LIMIT_DEFAULT, 0, DATASTORE_LIMIT_MAX);
      const offset = int(p, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const includeTotal = bool(p, 'include_total', true);
      const format = str(p, 'records_format') ?? 'objects';
      if (format !== 'objects') throw validationError('records_format', 'Only records_format "objects" is supported.');
      const filtersRaw = jsonish(p, 'filters');
      if (filtersRaw !== undefined && (typeof filtersRaw !== 'object' || filtersRaw === null || Array.isArray(filtersRaw))) throw validationError('filters', 'filters must be a JSON object of column: value.');
      const filters = (filtersRaw ?? {}) as Record<string, unknown>;
      const q = str(p, 'q')?.trim() || undefined;
      const sortText = str(p, 'sort')?.trim() || undefined;

      const { ds, d } = await findResource(actor, resourceId.trim());
      if (!d.tableName) throw new CkanError('Not Found Error', 'Resource "' + d.id + '" is not a hosted table, so it has no DataStore.');
      const table = await deps.tables.getTable(actor, ds.id, d.tableName);
      const columns = table.columns;
      const names = columns.map((c) => c.name);
      // Authorise (and audit) before anything about the rows is checked or said: the first page through tables.rows,
      // from the start when the whole table is to be filtered or sorted, else from the asked offset.
      const scanning = Object.keys(filters).length > 0 || q !== undefined || sortText !== undefined;
      const firstSize = scanning ? MAX_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, Math.max(1, limit));
      const first = await deps.tables.rows(actor, ds.id, d.tableName, { offset: scanning ? 0 : offset, size: firstSize });
      const total = first.total;

      const fields = stringList(p, 'fields');
      for (const f of fields ?? []) if (f !== '_id' && !names.includes(f)) throw validationError('fields', `Field "${f}" is not a column of this table.`);
      for (const [k, v] of Object.entries(filters)) {
        if (!names.includes(k)) throw validationError('filters', `Field "${k}" is not a column of this table.`);
        const scalar = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);
        if (!(Array.isArray(v) ? v.every(scalar) : scalar(v))) throw validationError('filters', `The filter on "${k}" must be a value or a list of values.`);
      }
      const sortKeys = (sortText ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const m = /^"?([^"]+?)"?(?:\s+(asc|desc))?$/i.exec(s);
        if (!m || !names.includes(m[1] ?? '')) throw validationError('sort', 'sort must be column names of this table, each optionally followed by asc or desc.');
        return { key: m[1] ?? '', desc: (m[2] ?? '').toLowerCase() === 'desc' };
      });
      const needsScan = scanning;
      if (needsScan && total > scanMax) {
        throw new CkanError('Validation Error', `filters, q and sort are supported on tables of up to ${scanMax} rows; this one is larger. Page through it with limit and offset.`, { filters: ['Table too large to filter.'] });
      }

      let records: Record<string, unknown>[];
      let matched = total;
      const withId = (row: Record<string, unknown>, i: number) => ({ _id: i + 1, ...row });
      if (needsScan) {
        const all: Record<string, unknown>[] = first.rows.map(withId);
        for (let o = first.rows.length; o < total; o += MAX_PAGE_SIZE) {
          const page = await deps.tables.rows(actor, ds.id, d.tableName, { offset: o, size: MAX_PAGE_SIZE });
          if (page.rows.length === 0) break;
          all.push(...page.rows.map((r, i) => withId(r, o + i)));
        }
        const textCols = columns.filter((c) => datastoreType(c.type) === 'text').map((c) => c.name);
        const needle = q?.toLowerCase();
        const kept = all.filter((r) => {
          for (const [k, want] of Object.entries(filters)) {
            const wants = Array.isArray(want) ? want : [want];
            if (!wants.some((w) => String(r[k] ?? '') === String(w ?? '') && (r[k] === null) === (w === null))) return false;
          }
          return !needle || textCols.some((c) => typeof r[c] === 'string' && (r[c] as string).toLowerCase().includes(needle));
        });
        if (sortKeys.length) {
          kept.sort((a, b) => {
            for (const s of sortKeys) {
              const x = a[s.key];
              const y = b[s.key];
              const c = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'nb');
              if (c !== 0) return s.desc ? -c : c;
            }
            return 0;
          });
        }
        matched = kept.length;
        records = kept.slice(offset, offset + limit);
      } else {
        records = first.rows.slice(0, limit).map((r, i) => withId(r, offset + i));
        let o = offset + records.length;
        while (records.length < limit && o < total) {
          const size = Math.min(MAX_PAGE_SIZE, limit - records.length);
          const page = await deps.tables.rows(actor, ds.id, d.tableName, { offset: o, size });
          if (page.rows.length === 0) break;
          records.push(...page.rows.map((r, i) => withId(r, o + i)));
          o += page.rows.length;
        }
      }
      const wanted = fields ?? ['_id', ...names];
      const outFields = wanted.map((id) => ({ id, type: id === '_id' ? 'int' : datastoreType(columns.find((c) => c.name === id)?.type ?? 'VARCHAR') }));
      const projected = records.map((r) => Object.fromEntries(wanted.map((k) => [k, r[k] ?? null])));
      const link = (off: number) => `${urls.ckan.action('datastore_search')}?${new URLSearchParams({ resource_id: d.id, offset: String(off), ...(limit !== DATASTORE_LIMIT_DEFAULT ? { limit: String(limit) } : {}) }).toString()}`;
      return {
        resource_id: d.id,
        fields: outFields,
        records: projected,
        ...(includeTotal ? { total: matched, total_was_estimated: false } : {}),
        limit,
        offset,
        ...(Object.keys(filters).length ? { filters } : {}),
        ...(q ? { q } : {}),
        ...(sortText ? { sort: sortText } : {}),
        _links: { start: link(0), next: link(offset + limit) },
      };
    },

    async datastore_search_sql(_actor: Actor, p: Params) {
      allowOnly(p, ['sql']);
      requiredStr(p, 'sql');
      throw new CkanError('Bad request', 'Action not available: datastore_search_sql. Datafabrikken has no SQL endpoint yet; use datastore_search with filters, q, sort, limit and offset.');
    },

    async help_show(_actor: Actor, p: Params) {
      allowOnly(p, ['name']);
      const name = requiredStr(p, 'name');
      if (!Object.hasOwn(actions, name)) throw new CkanError('Not Found Error', 'Action name not known');
      return `${name}: the CKAN 2.10 action of that name, answered by Datafabrikken. See ${abs(urls.apiDocs())}.`;
    },
  };

  return {
    actionNames: () => Object.keys(actions),
    helpUrl: (action: string) => abs(`${urls.ckan.action('help_show')}?name=${encodeURIComponent(action)}`),
    /** Runs an action; our domain errors become CKAN's (401 counts as CKAN's Authorization Error, as CKAN does). */
    async run(actor: Actor, action: string, params: Params): Promise<unknown> {
      if (!Object.hasOwn(actions, action)) throw new CkanError('Bad request', 'Action name not known: ' + action.slice(0, 100));
      try {
        return await actions[action as keyof typeof actions](actor, params);
      } catch (err) {
        throw toCkanError(err);
      }
    },
  };
}

/** Our typed domain errors as CKAN's. Messages of domain errors name ids and rules, never a table's values. */
export function toCkanError(err: unknown): unknown {
  if (err instanceof CkanError) return err;
  if (err instanceof DomainError) {
    if (err.status === 404) return new CkanError('Not Found Error', 'Not found');
    if (err.status === 401 || err.status === 403) return new CkanError('Authorization Error', err.status === 401 ? 'Access denied: sign in with an API token (Authorization header) to read this data.' : 'Access denied: you may not read the data of this dataset.');
    if (err.status === 400 || err.status === 409 || err.status === 422) return new CkanError('Validation Error', err.message);
  }
  return err;
}

export type CkanService = ReturnType<typeof createCkanService>;
