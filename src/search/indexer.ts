// The write side of search: turns a dataset (with its publisher's name, distributions and the column names of its
// tables' current versions) into one search document, its facet values and new vocabulary, on either back end.
// Called inside the catalog's and tables' write transactions (indexDatasets(tx, [id])), so the index changes with the
// data it mirrors or not at all; `rebuildIndex` recreates it from the catalogue.
//
// What is indexed is public metadata only: titles, descriptions, keywords, publisher name, table names and titles,
// and column NAMES (which every visitor may see, see src/access/table-visibility.ts). Never cell values, never the
// import report's column notes. Drafts are indexed too; the query side filters with whereVisible().
import { PostgresAdapter, sql, type RawBuilder } from 'kysely';
import type { DbOrTx } from '../database';
import type { LangList, LangText } from '../catalog/model';
import { isOpenLicence } from '../catalog/vocabularies';
import { nowIso, parseJson } from '../platform/db/index';
import type { FacetName } from './model';
import { analyse, identifierWords, stem, titleSortKey, words } from './text';

export function isPostgres(db: DbOrTx): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The text of a search document per field, before analysis. */
export interface DocText {
  title: string;
  keywords: string;
  publisher: string;
  columns: string;
  body: string;
}

export interface DocSource {
  datasetId: string;
  text: DocText;
  titleSort: string;
  facets: { facet: FacetName; value: string }[];
}

const langValues = (t: LangText | LangList): string[] => [t.nb, t.nn, t.en].flat().filter((v): v is string => typeof v === 'string' && v !== '');

/** File-type code of a distribution: its format (a code or an EU file-type URI) or, failing that, its media type. */
export function formatCode(format: string | null, mediaType: string | null): string | null {
  if (format) {
    const code = format.includes('/') ? (format.split('/').filter(Boolean).pop() ?? '') : format;
    const c = code.toUpperCase().replace(/[^A-Z0-9_.+-]/g, '');
    if (c) return c.slice(0, 40);
  }
  if (mediaType) {
    const m = mediaType.toLowerCase();
    const known: Record<string, string> = {
      'text/csv': 'CSV',
      'application/json': 'JSON',
      'application/geo+json': 'GEOJSON',
      'application/xml': 'XML',
      'text/xml': 'XML',
      'application/vnd.apache.parquet': 'PARQUET',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
      'application/pdf': 'PDF',
      'text/html': 'HTML',
      'application/ld+json': 'JSON_LD',
      'text/turtle': 'RDF_TURTLE',
    };
    if (known[m]) return known[m];
  }
  return null;
}

export function accessFacets(accessRights: string, licence: string | null): string[] {
  const a = ['PUBLIC', 'RESTRICTED', 'NON_PUBLIC'].includes(accessRights) ? accessRights : 'UNKNOWN';
  return a === 'PUBLIC' && isOpenLicence(licence) ? ['OPEN', a] : [a];
}

/** Reads what the documents of these datasets are made of (four queries for the whole batch). */
export async function loadDocSources(db: DbOrTx, datasetIds: string[]): Promise<DocSource[]> {
  if (datasetIds.length === 0) return [];
  const rows = await db
    .selectFrom('datasets')
    .innerJoin('organizations', 'organizations.orgnr', 'datasets.orgnr')
    .select([
      'datasets.id',
      'datasets.orgnr',
      'datasets.title',
      'datasets.description',
      'datasets.keywords',
      'datasets.themes',
      'datasets.los_themes',
      'datasets.access_rights',
      'datasets.licence',
      'datasets.spatial',
      'datasets.origin',
      'organizations.name as publisher_name',
    ])
    .where('datasets.id', 'in', datasetIds)
    .execute();
  const dists = await db.selectFrom('distributions').select(['dataset_id', 'title', 'description', 'format', 'media_type']).where('dataset_id', 'in', datasetIds).execute();
  const tables = await db
    .selectFrom('tables')
    .leftJoin('table_versions', 'table_versions.id', 'tables.current_version_id')
    .select(['tables.dataset_id', 'tables.name', 'tables.title', 'table_versions.columns'])
    .where('tables.dataset_id', 'in', datasetIds)
    .execute();
  return rows.map((r) => {
    const title = parseJson<LangText>(r.title, {});
    const description = parseJson<LangText>(r.description, {});
    const keywords = parseJson<LangList>(r.keywords, {});
    const facets: DocSource['facets'] = [];
    const add = (facet: FacetName, value: string) => {
      if (value && !facets.some((f) => f.facet === facet && f.value === value)) facets.push({ facet, value });
    };
    for (const a of accessFacets(r.access_rights, r.licence)) add('access', a);
    for (const t of parseJson<string[]>(r.themes, [])) add('theme', t.split('/').pop() ?? t);
    for (const l of parseJson<string[]>(r.los_themes, [])) add('los', l);
    add('publisher', r.orgnr);
    for (const s of parseJson<string[]>(r.spatial, [])) {
      add('spatial', s);
      if (/^\d{4}$/.test(s)) add('spatial', s.slice(0, 2));
    }
    add('provenance', r.origin === 'local' ? 'local' : 'harvested');
    const body: string[] = langValues(description);
    for (const d of dists.filter((x) => x.dataset_id === r.id)) {
      const f = formatCode(d.format, d.media_type);
      if (f) add('format', f);
      body.push(...langValues(parseJson<LangText>(d.title, {})), ...langValues(parseJson<LangText>(d.description, {})));
    }
    const columns: string[] = [];
    for (const t of tables.filter((x) => x.dataset_id === r.id)) {
      columns.push(...identifierWords(t.name), t.title);
      // Column names only: the allow-list every visitor sees. Notes and values stay out of the index.
      for (const c of parseJson<{ name?: unknown }[]>(t.columns, [])) if (typeof c.name === 'string') columns.push(...identifierWords(c.name));
    }
    return {
      datasetId: r.id,
      text: { title: langValues(title).join(' \n '), keywords: langValues(keywords).join(' \n '), publisher: r.publisher_name, columns: columns.join(' '), body: body.join(' \n ') },
      titleSort: titleSortKey(title.nb ?? title.en ?? title.nn ?? ''),
      facets,
    };
  });
}

function pgDoc(t: DocText): RawBuilder<string> {
  return sql<string>`setweight(to_tsvector('norwegian', ${t.title}), 'A') || setweight(to_tsvector('simple', ${t.title}), 'A') || setweight(to_tsvector('norwegian', ${t.keywords}), 'B') || setweight(to_tsvector('simple', ${t.publisher}), 'B') || setweight(to_tsvector('simple', ${t.columns}), 'C') || setweight(to_tsvector('norwegian', ${t.body}), 'D')`;
}

const stems = (text: string): string[] => words(text).map(stem);

/**
 * (Re)indexes these datasets: their documents, facets and vocabulary. Datasets that no longer exist are removed.
 * Runs on the caller's connection or transaction.
 */
export async function indexDatasets(db: DbOrTx, datasetIds: string[]): Promise<void> {
  const ids = [...new Set(datasetIds)];
  if (ids.length === 0) return;
  const pg = isPostgres(db);
  const sources = await loadDocSources(db, ids);
  const gone = ids.filter((id) => !sources.some((s) => s.datasetId === id));
  if (gone.length > 0) await removeFromIndex(db, gone);
  if (sources.length === 0) return;
  const now = nowIso();
  const docIds = new Map<string, number>();
  for (let i = 0; i < sources.length; i += 200) {
    const chunk = sources.slice(i, i + 200);
    const rows = await db
      .insertInto('search_docs')
      .values(chunk.map((s) => ({ dataset_id: s.datasetId, title_sort: s.titleSort, indexed_at: now, ...(pg ? { doc: pgDoc(s.text) } : {}) })) as never)
      .onConflict((oc) => oc.column('dataset_id').doUpdateSet((eb) => ({ title_sort: eb.ref('excluded.title_sort'), indexed_at: eb.ref('excluded.indexed_at'), ...(pg ? { doc: sql`excluded.doc` } : {}) }) as never))
      .returning(['doc_id', 'dataset_id'])
      .execute();
    for (const r of rows) docIds.set(r.dataset_id, Number(r.doc_id));
  }
  const all = [...docIds.values()];
  for (let i = 0; i < all.length; i += 500) {
    const chunk = all.slice(i, i + 500);
    await db.deleteFrom('search_facets').where('doc_id', 'in', chunk).execute();
    if (!pg) await sql`delete from search_fts where rowid in (${sql.join(chunk)})`.execute(db);
  }
  const facetRows = sources.flatMap((s) => s.facets.map((f) => ({ doc_id: docIds.get(s.datasetId) ?? 0, facet: f.facet, value: f.value })));
  for (let i = 0; i < facetRows.length; i += 300) await db.insertInto('search_facets').values(facetRows.slice(i, i + 300)).execute();
  if (!pg) {
    for (const s of sources) {
      const t = s.text;
      await sql`insert into search_fts (rowid, title, keywords, publisher, columns, body) values (${docIds.get(s.datasetId)}, ${analyse(t.title)}, ${analyse(t.keywords)}, ${analyse(t.publisher)}, ${analyse(t.columns)}, ${analyse(t.body)})`.execute(db);
    }
  }
  const vocabulary = new Set<string>();
  for (const s of sources) for (const field of Object.values(s.text)) for (const w of stems(field)) if (w.length >= 4 && !/\d/.test(w)) vocabulary.add(w);
  const terms = [...vocabulary];
  for (let i = 0; i < terms.length; i += 400) {
    const added = await db
      .insertInto('search_terms')
      .values(terms.slice(i, i + 400).map((term) => ({ term })))
      .onConflict((oc) => oc.column('term').doNothing())
      .returning('term')
      .execute();
    if (!pg && added.length > 0) await sql`insert into search_terms_tri (term) values ${sql.join(added.map((a) => sql`(${a.term})`))}`.execute(db);
  }
}

export async function removeFromIndex(db: DbOrTx, datasetIds: string[]): Promise<void> {
  const docs = await db.selectFrom('search_docs').select('doc_id').where('dataset_id', 'in', datasetIds).execute();
  const ids = docs.map((d) => Number(d.doc_id));
  if (ids.length === 0) return;
  await db.deleteFrom('search_facets').where('doc_id', 'in', ids).execute();
  if (!isPostgres(db)) await sql`delete from search_fts where rowid in (${sql.join(ids)})`.execute(db);
  await db.deleteFrom('search_docs').where('doc_id', 'in', ids).execute();
}

/** One batch in one transaction (unless the caller already holds one), so a batch is indexed whole or not at all. */
async function indexBatch(db: DbOrTx, ids: string[]): Promise<void> {
  if (db.isTransaction) await indexDatasets(db, ids);
  else await db.transaction().execute((tx) => indexDatasets(tx, ids));
}

/** Indexes every dataset that is missing from the index (all of them after a fresh migration); returns how many. */
export async function indexMissing(db: DbOrTx, batch = 500): Promise<number> {
  let done = 0;
  for (;;) {
    const missing = await db
      .selectFrom('datasets')
      .leftJoin('search_docs', 'search_docs.dataset_id', 'datasets.id')
      .select('datasets.id')
      .where('search_docs.doc_id', 'is', null)
      .limit(batch)
      .execute();
    if (missing.length === 0) {
      // Fresh statistics after a bulk build, so SQLite's planner knows how selective a facet value is (without them it
      // may probe the facet list per dataset: seconds instead of milliseconds at 10,000 datasets).
      if (done > 0 && !isPostgres(db)) await sql`analyze`.execute(db);
      return done;
    }
    await indexBatch(
      db,
      missing.map((m) => m.id),
    );
    done += missing.length;
  }
}

/** Every document again, from the catalogue (after an organisation rename, or to repair the index). */
export async function rebuildIndex(db: DbOrTx, batch = 500): Promise<number> {
  let done = 0;
  let after = '';
  for (;;) {
    const ids = await db.selectFrom('datasets').select('id').where('id', '>', after).orderBy('id').limit(batch).execute();
    if (ids.length === 0) return done;
    await indexBatch(
      db,
      ids.map((r) => r.id),
    );
    done += ids.length;
    after = ids[ids.length - 1]?.id ?? after;
  }
}
