// The match side of search on both back ends, from the same analysed query terms (text.ts):
// - SQLite: an FTS5 MATCH over the stems, each term `"stem"` or `"stem"*` (prefix, for compounds), alternatives for
//   typos OR-ed into the term's group; every group must match (word order free). Stems hold only letters and digits,
//   so quoting them is all the escaping FTS5 syntax needs. Ranked by bm25() with title weighted highest.
// - PostgreSQL: a tsquery AND-ing one group per term, each `to_tsquery('norwegian', 'word:*') || to_tsquery('simple',
//   'word:*')` (+ alternatives); words hold only letters and digits, so the tsquery text cannot carry operators.
//   Ranked by ts_rank_cd with weights D 0.1, C 0.2, B 0.4, A 1.0.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DbOrTx } from '../database';
import { isPostgres } from './indexer';
import { editDistance, trigrams, typoBudget, type QueryTerm } from './text';

/** A term and the vocabulary words that may be what the user meant (empty unless typo tolerance kicked in). */
export interface TermGroup {
  term: QueryTerm;
  alternatives: string[];
}

/** BM25 weights per FTS5 column: title, keywords, publisher, columns, body (description and distributions). */
export const BM25_WEIGHTS = [10, 4, 3, 2, 1] as const;

export function ftsMatch(groups: TermGroup[]): string {
  return groups
    .map(({ term, alternatives }) => {
      const own = `"${term.stem}"${term.prefix ? '*' : ''}`;
      return alternatives.length === 0 ? own : `(${[own, ...alternatives.map((a) => `"${a}"`)].join(' OR ')})`;
    })
    .join(' AND ');
}

export function pgTsQuery(groups: TermGroup[]): RawBuilder<unknown> {
  const parts = groups.map(({ term, alternatives }) => {
    const w = term.prefix ? `${term.word}:*` : term.word;
    const alts = alternatives.map((a) => sql`to_tsquery('norwegian', ${a})`);
    return sql`(${sql.join([sql`to_tsquery('norwegian', ${w})`, sql`to_tsquery('simple', ${w})`, ...alts], sql` || `)})`;
  });
  return sql`(${sql.join(parts, sql` && `)})`;
}

/** `datasets.id` is among the documents matching the groups (for lists that filter by text but rank otherwise). */
export function datasetMatches(db: DbOrTx, groups: TermGroup[]): RawBuilder<SqlBool> {
  if (isPostgres(db)) return sql<SqlBool>`datasets.id in (select dataset_id from search_docs where doc @@ ${pgTsQuery(groups)})`;
  return sql<SqlBool>`datasets.id in (select dataset_id from search_docs where doc_id in (select rowid from search_fts where search_fts match ${ftsMatch(groups)}))`;
}

/** Vocabulary words within the term's typo budget, nearest first (at most `max`). */
export async function typoAlternatives(db: DbOrTx, term: QueryTerm, max = 3): Promise<string[]> {
  const budget = typoBudget(term.stem);
  if (budget === 0) return [];
  let candidates: string[];
  if (isPostgres(db)) {
    // pg_trgm's % uses its threshold (0.3 by default, too strict for short words with one typo); lowered for this
    // statement only, inside a transaction on a pooled connection.
    candidates = await db.transaction().execute(async (tx) => {
      await sql`set local pg_trgm.similarity_threshold = 0.2`.execute(tx);
      const r = await sql<{ term: string }>`select term from search_terms where term % ${term.stem} order by similarity(term, ${term.stem}) desc limit 60`.execute(tx);
      return r.rows.map((x) => x.term);
    });
  } else {
    const grams = trigrams(term.stem);
    if (grams.length === 0) return [];
    const match = grams.map((g) => `"${g}"`).join(' OR ');
    const r = await sql<{ term: string }>`select term from search_terms_tri where search_terms_tri match ${match} order by rank limit 60`.execute(db);
    candidates = r.rows.map((x) => x.term);
  }
  return candidates
    .filter((c) => c !== term.stem)
    .map((c) => ({ c, d: editDistance(term.stem, c, budget) }))
    .filter((x) => x.d <= budget)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((x) => x.c);
}
