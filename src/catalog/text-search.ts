// Case-insensitive "contains" for free-text search that behaves the same on SQLite and PostgreSQL. SQLite's lower()
// folds ASCII only, so the Norwegian and other common Latin capitals are folded with replace() first; PostgreSQL's
// lower() would fold them anyway. LIKE wildcards in the user's text are escaped, so "50%" means the characters 50%.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';

const CAPITALS: readonly [string, string][] = [
  ['Æ', 'æ'],
  ['Ø', 'ø'],
  ['Å', 'å'],
  ['Ä', 'ä'],
  ['Ö', 'ö'],
  ['Ü', 'ü'],
  ['É', 'é'],
];

/** lower() that folds æøå on SQLite too. */
export function foldCase(column: Expression<unknown> | RawBuilder<unknown>): RawBuilder<string> {
  let expr: RawBuilder<unknown> = sql`${column}`;
  for (const [upper, lower] of CAPITALS) expr = sql`replace(${expr}, ${upper}, ${lower})`;
  return sql<string>`lower(${expr})`;
}

export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `column` contains `q`, ignoring case. */
export function containsText(column: Expression<unknown> | RawBuilder<unknown>, q: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${foldCase(column)} like ${likePattern(q)} escape '\\'`;
}
