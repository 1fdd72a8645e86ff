// Full-text search (issue 10.1). One row per dataset in `search_docs` (an integer doc_id for the FTS rowid and facet
// joins), its facet values in `search_facets`, and the vocabulary of stems in `search_terms` for typo tolerance.
// Text lives per back end:
// - SQLite: an FTS5 table `search_fts` (rowid = doc_id) holding Norwegian stems computed in Node (snowball-stemmers),
//   columns title, keywords, publisher, columns, body (BM25 weights at query time); prefix indexes for compounds;
//   `search_terms_tri`, an FTS5 trigram table over the vocabulary, finds typo candidates.
// - PostgreSQL: `search_docs.doc` a tsvector built with the `norwegian` configuration (title also with `simple`),
//   weighted A (title) B (keywords, publisher) C (columns) D (description), GIN-indexed; pg_trgm's GIN index on
//   `search_terms.term` finds typo candidates. pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may
//   create it.
// The index is derived data: the search service rebuilds it when it finds datasets missing from it.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .createTable('search_docs')
    .addColumn('doc_id', pg ? 'serial' : 'integer', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().unique().references('datasets.id').onDelete('cascade'))
    .addColumn('title_sort', 'text', (c) => c.notNull())
    .addColumn('indexed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('search_facets')
    .addColumn('doc_id', 'integer', (c) => c.notNull().references('search_docs.doc_id').onDelete('cascade'))
    .addColumn('facet', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_facets_pk', ['doc_id', 'facet', 'value'])
    .execute();
  await db.schema.createIndex('search_facets_value').on('search_facets').columns(['facet', 'value', 'doc_id']).execute();
  await db.schema.createTable('search_terms').addColumn('term', 'text', (c) => c.primaryKey()).execute();
  if (pg) {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`alter table search_docs add column doc tsvector not null default ''::tsvector`.execute(db);
    await sql`create index search_docs_doc on search_docs using gin (doc)`.execute(db);
    await sql`create index search_terms_trgm on search_terms using gin (term gin_trgm_ops)`.execute(db);
  } else {
    await sql`create virtual table search_fts using fts5(title, keywords, publisher, columns, body, tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4 5')`.execute(db);
    await sql`create virtual table search_terms_tri using fts5(term, tokenize = 'trigram')`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) {
    await sql`drop table if exists search_terms_tri`.execute(db);
    await sql`drop table if exists search_fts`.execute(db);
  }
  await db.schema.dropTable('search_terms').execute();
  await db.schema.dropTable('search_facets').execute();
  await db.schema.dropTable('search_docs').execute();
}
