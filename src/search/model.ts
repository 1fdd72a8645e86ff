// The search index's tables and what a search asks and answers. The index is derived from the catalogue (datasets,
// their publisher, distributions and the column names of their tables' current versions) and rebuilt from it.
import type { Generated } from 'kysely';
import type { Dataset } from '../catalog/model';

export interface SearchDocsTable {
  doc_id: Generated<number>;
  dataset_id: string;
  /** Folded title that sorts in Norwegian order byte-wise (titleSortKey). */
  title_sort: string;
  indexed_at: string;
}

export interface SearchFacetsTable {
  doc_id: number;
  facet: FacetName;
  value: string;
}

export interface SearchTermsTable {
  term: string;
}

/**
 * Facets and their values:
 * - access: PUBLIC, RESTRICTED, NON_PUBLIC, UNKNOWN (each dataset exactly one), plus OPEN — "Åpne data" as
 *   data.norge.no counts it: PUBLIC with an open licence (NLOD, CC BY, CC0), a subset of PUBLIC;
 * - theme: EU data theme code (ENVI); los: LOS URI; format: file-type code (CSV); publisher: orgnr;
 * - spatial: fylkesnummer (2 digits, also for every kommune given) and kommunenummer (4 digits);
 * - provenance: local or harvested (datasets.origin);
 * - new: computed at query time (first published, or created, in the last 7 days), never stored.
 */
export const STORED_FACETS = ['access', 'theme', 'los', 'format', 'publisher', 'spatial', 'provenance'] as const;
export type FacetName = (typeof STORED_FACETS)[number];
export const ACCESS_FACET_VALUES = ['OPEN', 'PUBLIC', 'RESTRICTED', 'NON_PUBLIC', 'UNKNOWN'] as const;
export const PROVENANCE_VALUES = ['local', 'harvested'] as const;

export type SearchSort = 'relevance' | 'modified' | 'title' | 'newest';
export const SEARCH_SORTS: readonly SearchSort[] = ['relevance', 'modified', 'title', 'newest'];

export interface SearchFilters {
  access?: string[];
  theme?: string[];
  los?: string[];
  format?: string[];
  publisher?: string[];
  spatial?: string[];
  provenance?: string[];
  /** Only datasets first published (or created) in the last 7 days. */
  isNew?: boolean;
}

export interface SearchParams {
  q?: string;
  filters?: SearchFilters;
  /** Kept from the list API: draft and archived are visible to the publisher's members only. */
  state?: 'draft' | 'published' | 'archived';
  sort?: SearchSort;
  limit: number;
  offset: number;
  /** Top values returned per facet (most frequent first). */
  facetLimit?: number;
}

export interface FacetCount {
  value: string;
  count: number;
  /** Publisher facet: the organisation's name (public). */
  label?: string;
}

export interface SearchResult {
  items: Dataset[];
  total: number;
  facets: Record<FacetName | 'new', FacetCount[]>;
  /** True when the words as written found too little and similar words (typos) were added. */
  fuzzy: boolean;
  /** The words searched for after analysis (stop words dropped). */
  terms: string[];
}

export interface Suggestion {
  id: string;
  title: string;
}

/** How many days a dataset counts as new. */
export const NEW_DAYS = 7;

/** Raw filter values as a URL carries them: repeated parameters and/or comma-separated lists. */
export type RawFilters = Partial<Record<FacetName, string | string[] | undefined>> & { isNew?: boolean };

const FILTER_RULES: Record<FacetName, { test: (v: string) => boolean; normalise: (v: string) => string; hint: string }> = {
  access: { test: (v) => (ACCESS_FACET_VALUES as readonly string[]).includes(v), normalise: (v) => v.toUpperCase(), hint: ACCESS_FACET_VALUES.join(', ') },
  theme: { test: (v) => /^[A-Z_]{3,10}$/.test(v), normalise: (v) => (v.split('/').pop() ?? v).toUpperCase(), hint: 'an EU data theme code such as ENVI' },
  los: { test: (v) => /^https:\/\/psi\.norge\.no\/los\/[a-z0-9/_-]+$/.test(v), normalise: (v) => v, hint: 'a LOS URI (https://psi.norge.no/los/…)' },
  format: { test: (v) => /^[A-Z0-9_.+-]{1,40}$/.test(v), normalise: (v) => v.toUpperCase(), hint: 'a file-type code such as CSV' },
  publisher: { test: (v) => /^\d{9}$/.test(v), normalise: (v) => v.replace(/\s/g, ''), hint: 'an organisasjonsnummer (9 digits)' },
  spatial: { test: (v) => /^\d{2}(\d{2})?$/.test(v), normalise: (v) => v, hint: 'a fylkesnummer (2 digits) or kommunenummer (4 digits)' },
  provenance: { test: (v) => (PROVENANCE_VALUES as readonly string[]).includes(v), normalise: (v) => v.toLowerCase(), hint: PROVENANCE_VALUES.join(', ') },
};

export const MAX_FILTER_VALUES = 20;

/**
 * Filters from raw URL values. `strict` (the API) reports every bad value as a problem; otherwise (web pages, where a
 * stale bookmark should still show results) bad values are dropped.
 */
export function cleanFilters(raw: RawFilters, strict: boolean): { filters: SearchFilters; problems: { field: string; code: string; message: string }[] } {
  const filters: SearchFilters = {};
  const problems: { field: string; code: string; message: string }[] = [];
  for (const facet of STORED_FACETS) {
    const given = raw[facet];
    if (given === undefined) continue;
    const values = (Array.isArray(given) ? given : [given]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    const rule = FILTER_RULES[facet];
    const ok: string[] = [];
    for (const v of values) {
      const n = rule.normalise(v);
      if (rule.test(n)) ok.push(n);
      else if (strict) problems.push({ field: `/${facet}`, code: 'invalid_filter', message: `"${v.slice(0, 60)}" is not a valid ${facet} value: expected ${rule.hint}.` });
    }
    if (ok.length > MAX_FILTER_VALUES) {
      if (strict) problems.push({ field: `/${facet}`, code: 'too_many_values', message: `At most ${MAX_FILTER_VALUES} ${facet} values.` });
      ok.length = MAX_FILTER_VALUES;
    }
    if (ok.length > 0) filters[facet] = [...new Set(ok)];
  }
  if (raw.isNew) filters.isNew = true;
  return { filters, problems };
}
