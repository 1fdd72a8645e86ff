// Table imports report how a file was read and why it failed without quoting it (issue 6):
//   error_code / error_params — a value-free failure (`tables.error.<code>` with line numbers and counts), replacing the
//                               free-text `error`, which could hold a raw CSV line from the engine;
//   record_count              — the engine's independent count of records in the file (compare with row_count);
//   skipped                   — JSON SkippedLines[]: lines left out on purpose, by reason;
//   given_options             — JSON CsvReadOptions the publisher gave (source_options keeps what was used);
//   from_version              — the version whose stored source file a re-ingest reused.
// Existing rows: free-text errors are replaced by the generic code 'unknown' and cleared, and column notes that held
// a sentence with an example value are reduced to their reason code.
import { sql, type Kysely } from 'kysely';

const KEPT_AS_TEXT_CODES = ['leading_zeros', 'plus_sign', 'identifier_name', 'too_large', 'publisher_choice'];

function reasonCode(note: string): string {
  if (KEPT_AS_TEXT_CODES.includes(note)) return note;
  if (/leading zero/i.test(note)) return 'leading_zeros';
  if (/\+|plus/i.test(note)) return 'plus_sign';
  if (/large|digits/i.test(note)) return 'too_large';
  return 'identifier_name';
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('table_versions')
    .addColumn('error_code', 'text')
    .execute();
  await db.schema.alterTable('table_versions').addColumn('error_params', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('table_versions').addColumn('record_count', 'bigint').execute();
  await db.schema.alterTable('table_versions').addColumn('skipped', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('table_versions').addColumn('given_options', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('table_versions').addColumn('from_version', 'integer').execute();

  await sql`update table_versions set error_code = 'unknown', error = null where error is not null`.execute(db);
  // Column notes: keep only reason codes (older rows said e.g. `values have leading zeros (e.g. "0301")`).
  const rows = await sql<{ id: string; columns: string }>`select id, columns from table_versions where columns like ${'%keptAsText%'}`.execute(db);
  for (const row of rows.rows) {
    let columns: unknown;
    try {
      columns = JSON.parse(row.columns);
    } catch {
      continue;
    }
    if (!Array.isArray(columns)) continue;
    const cleaned = columns.map((c: Record<string, unknown>) => (typeof c.keptAsText === 'string' ? { ...c, keptAsText: reasonCode(c.keptAsText) } : c));
    await sql`update table_versions set columns = ${JSON.stringify(cleaned)} where id = ${row.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['from_version', 'given_options', 'skipped', 'record_count', 'error_params', 'error_code']) {
    await db.schema.alterTable('table_versions').dropColumn(column).execute();
  }
}
