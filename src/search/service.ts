// Search over the catalogue: relevance-ranked full text with facets, and suggestions as you type.
// Rules:
// - every hit, count and suggestion goes through whereVisible() (the catalog's one list filter): nothing the actor
//   may not see is listed or counted;
// - the page of hits, the total and every facet count come from ONE statement over one set of hits (a CTE), so the
//   counts always add up to the total the page shows;
// - words are matched by their Norwegian stem, in any order, every word required; words of four letters or more also
//   match as prefixes (compounds). When that finds fewer than FUZZY_BELOW datasets, vocabulary words within one edit
//   (two for long words) are added per word and the search runs again (`fuzzy: true` in the answer);
// - facets count within the filtered hits; several values of one facet are OR-ed, facets AND-ed.
import { sql, type RawBuilder } from 'kysely';
import type { Actor } from '../access/model';
import type { CatalogService } from '../catalog/service';
import { whereVisible } from '../catalog/service';
import type { Db } from '../database';
import { ValidationError } from '../errors';
import { isPostgres, indexMissing } from './indexer';
import { NEW_DAYS, STORED_FACETS, type FacetCount, type FacetName, type SearchParams, type SearchResult, type SearchSort, type Suggestion } from './model';
import { BM25_WEIGHTS, ftsMatch, pgTsQuery, typoAlternatives, type TermGroup } from './query';
import { createSqliteReader } from './sqlite-reader';
import { queryTerms } from './text';

export const FUZZY_BELOW = 3;
export const SEARCH_LIMIT_MAX = 100;
export const FACET_LIMIT_DEFAULT = 30;
/** Deepest page offered: ranking everything past it costs more than anyone reads. */
export const SEARCH_OFFSET_MAX = 10_000;
const SUGGEST_LIMIT = 8;

interface HitsPlan {
  groups: TermGroup[];
  params: SearchParams;
  facets: boolean;
}

type Row = { kind: string; k: string | null; v: string | null; n: number | string };

/**
 * `sqliteFile`: the SQLite database file, so search statements run in worker threads with their own read-only
 * connections (sqlite-reader.ts) instead of blocking the event loop; without it (or on PostgreSQL) they run on `db`.
 */
export function createSearchService({ db, catalog, sqliteFile }: { db: Db; catalog: Pick<CatalogService, 'datasetsByIds'>; sqliteFile?: string }) {
  const pg = isPostgres(db);
  const reader = !pg && sqliteFile ? createSqliteReader(sqliteFile) : undefined;
  let indexChecked: Promise<unknown> | undefined;

  /** Once per process: datasets that predate the index (or a lost one) are indexed before the first search. */
  function ensureIndexed(): Promise<unknown> {
    indexChecked ??= indexMissing(db).catch((err: unknown) => {
      indexChecked = undefined;
      throw err;
    });
    return indexChecked;
  }

  function newSince(): string {
    return new Date(Date.now() - NEW_DAYS * 86_400_000).toISOString();
  }

  /** The visible, filtered, matched datasets with their score and sort keys, as a query to put in a CTE. */
  function hitsQuery(actor: Actor, plan: HitsPlan) {
    const { params, groups } = plan;
    let qb = whereVisible(db.selectFrom('datasets'), actor).innerJoin('search_docs', 'search_docs.dataset_id', 'datasets.id');
    let score: RawBuilder<number> = sql<number>`0`;
    if (groups.length > 0) {
      if (pg) {
        const tsq = pgTsQuery(groups);
        qb = qb.where(sql<boolean>`search_docs.doc @@ ${tsq}`);
        score = sql<number>`ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', search_docs.doc, ${tsq})`;
      } else {
        const m = sql<{ doc_id: number; score: number }>`(select rowid as doc_id, -bm25(search_fts, ${sql.join(BM25_WEIGHTS.map((w) => sql.lit(w)))}) as score from search_fts where search_fts match ${ftsMatch(groups)})`;
        qb = qb.innerJoin(m.as('m'), 'm.doc_id', 'search_docs.doc_id');
        score = sql<number>`m.score`;
      }
    }
    if (params.state) qb = qb.where('datasets.state', '=', params.state);
    const f = params.filters ?? {};
    for (const facet of STORED_FACETS) {
      const values = f[facet];
      if (!values || values.length === 0) continue;
      qb = qb.where('search_docs.doc_id', 'in', (eb) => eb.selectFrom('search_facets').select('search_facets.doc_id').where('search_facets.facet', '=', facet).where('search_facets.value', 'in', values));
    }
    if (f.isNew) qb = qb.where(sql<boolean>`coalesce(datasets.published_at, datasets.created_at) >= ${newSince()}`);
    return qb.select([
      'datasets.id',
      'search_docs.doc_id',
      'search_docs.title_sort',
      'datasets.updated_at',
      sql<string>`coalesce(datasets.published_at, '')`.as('published'),
      sql<string>`coalesce(datasets.published_at, datasets.created_at)`.as('first_seen'),
      'datasets.created_at',
      score.as('score'),
    ]);
  }

  function orderBy(sort: SearchSort): RawBuilder<unknown> {
    switch (sort) {
      case 'relevance':
        return sql`score desc, updated_at desc, id`;
      case 'modified':
        return sql`updated_at desc, id`;
      case 'title':
        return sql`title_sort, id`;
      case 'newest':
        return sql`published desc, created_at desc, id`;
    }
  }

  async function run(actor: Actor, plan: HitsPlan): Promise<{ ids: string[]; total: number; facets: SearchResult['facets'] }> {
    const { params } = plan;
    const sort = params.sort ?? (plan.groups.length > 0 ? 'relevance' : 'newest');
    const limit = Math.max(1, Math.min(SEARCH_LIMIT_MAX, Math.trunc(params.limit) || 20));
    const offset = Math.max(0, Math.min(SEARCH_OFFSET_MAX, Math.trunc(params.offset) || 0));
    const facetLimit = Math.max(1, Math.min(500, params.facetLimit ?? FACET_LIMIT_DEFAULT));
    const hits = hitsQuery(actor, plan);
    const order = orderBy(sort);
    const branches: RawBuilder<unknown>[] = [
      sql`select * from (select 'hit' as kind, id as k, cast(null as text) as v, row_number() over (order by ${order}) as n from hits order by ${order} limit ${limit} offset ${offset}) page`,
      sql`select 'total' as kind, cast(null as text) as k, cast(null as text) as v, count(*) as n from hits`,
    ];
    if (plan.facets) {
      branches.push(
        sql`select 'facet' as kind, facet as k, value as v, n from (select f.facet, f.value, count(*) as n, row_number() over (partition by f.facet order by count(*) desc, f.value) as r from hits join search_facets f on f.doc_id = hits.doc_id group by f.facet, f.value) fc where r <= ${facetLimit}`,
        sql`select 'new' as kind, 'new' as k, cast(null as text) as v, count(*) as n from hits where first_seen >= ${newSince()}`,
      );
    }
    // Materialised: the hits are computed once, then paged, counted and faceted (SQLite would otherwise inline the CTE
    // into every branch and run the match four times).
    const statement = sql<Row>`with hits as materialized ${hits} ${sql.join(branches, sql` union all `)}`;
    const compiled = statement.compile(db);
    const rows = reader ? await reader.all<Row>(compiled.sql, compiled.parameters) : (await statement.execute(db)).rows;
    const hitRows = rows.filter((r) => r.kind === 'hit').sort((a, b) => Number(a.n) - Number(b.n));
    const facets = emptyFacets();
    for (const r of rows) {
      if (r.kind === 'facet' && r.k && r.v !== null) facets[r.k as FacetName]?.push({ value: r.v, count: Number(r.n) });
      if (r.kind === 'new' && Number(r.n) > 0) facets.new.push({ value: 'true', count: Number(r.n) });
    }
    for (const list of Object.values(facets)) list.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    const total = Number(rows.find((r) => r.kind === 'total')?.n ?? 0);
    return { ids: hitRows.map((r) => r.k ?? ''), total, facets };
  }

  async function groupsFor(q: string | undefined, fuzzy: boolean): Promise<TermGroup[]> {
    const terms = queryTerms(q ?? '');
    if (!fuzzy) return terms.map((term) => ({ term, alternatives: [] }));
    return Promise.all(terms.map(async (term) => ({ term, alternatives: await typoAlternatives(db, term) })));
  }

  return {
    async search(actor: Actor, params: SearchParams): Promise<SearchResult> {
      if (params.offset > SEARCH_OFFSET_MAX) {
        throw new ValidationError([{ field: '/offset', code: 'offset_too_deep', message: `Results are paged up to offset ${SEARCH_OFFSET_MAX}; narrow the search with words or filters.` }]);
      }
      await ensureIndexed();
      let groups = await groupsFor(params.q, false);
      // A query of punctuation only has no word to find: nothing matches (rather than everything).
      if (groups.length === 0 && params.q?.trim()) return { items: [], total: 0, facets: emptyFacets(), fuzzy: false, terms: [] };
      let result = await run(actor, { groups, params, facets: true });
      let fuzzy = false;
      if (groups.length > 0 && result.total < FUZZY_BELOW) {
        const widened = await groupsFor(params.q, true);
        if (widened.some((g) => g.alternatives.length > 0)) {
          // The vocabulary holds words of every dataset, drafts too: only a widened search that finds more of what
          // this actor may see is used (and said), so `fuzzy` never tells that a hidden dataset has a similar word.
          const wider = await run(actor, { groups: widened, params, facets: true });
          if (wider.total > result.total) {
            groups = widened;
            result = wider;
            fuzzy = true;
          }
        }
      }
      const items = await catalog.datasetsByIds(actor, result.ids);
      const orgnrs = result.facets.publisher.map((f) => f.value);
      if (orgnrs.length > 0) {
        const names = new Map((await db.selectFrom('organizations').select(['orgnr', 'name']).where('orgnr', 'in', orgnrs).execute()).map((o) => [o.orgnr, o.name]));
        for (const f of result.facets.publisher) f.label = names.get(f.value) ?? f.value;
      }
      return { items, total: result.total, facets: result.facets, fuzzy, terms: groups.map((g) => g.term.word) };
    },

    /** Titles of visible datasets for what has been typed so far: every word, the last one as a prefix. */
    async suggest(actor: Actor, q: string, locale: string): Promise<Suggestion[]> {
      await ensureIndexed();
      const terms = queryTerms(q);
      if (terms.length === 0) return [];
      const last = terms[terms.length - 1];
      if (last && last.word.length >= 2) last.prefix = true;
      const { ids } = await run(actor, { groups: terms.map((term) => ({ term, alternatives: [] })), params: { limit: SUGGEST_LIMIT, offset: 0, sort: 'relevance' }, facets: false });
      const items = await catalog.datasetsByIds(actor, ids);
      return items.map((d) => ({ id: d.id, title: (locale === 'en' ? d.title.en : locale === 'nn' ? d.title.nn : d.title.nb) ?? d.title.nb ?? d.title.en ?? d.title.nn ?? '' }));
    },

    ensureIndexed,

    /** Stops the SQLite reader threads (they are unref'd, so a process may also just exit). */
    async close(): Promise<void> {
      await reader?.close();
    },
  };
}

function emptyFacets(): SearchResult['facets'] {
  return { access: [], theme: [], los: [], format: [], publisher: [], spatial: [], provenance: [], new: [] } satisfies Record<FacetName | 'new', FacetCount[]>;
}

export type SearchService = ReturnType<typeof createSearchService>;
