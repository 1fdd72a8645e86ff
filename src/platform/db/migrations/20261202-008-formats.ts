// Every tabular format (issue 9.3): a table version keeps, next to its import report, what only some formats have —
// the sheets of a workbook (name, rows, columns; the import page offers them) and the notes of the ingest (formula
// cells without a value, error cells, missing JSON keys, nested values kept as JSON text, time zones made UTC).
// JSON { sheets?: SheetInfo[], notes: IngestNote[] }; '{}' for versions ingested before.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('table_versions').addColumn('source_info', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('table_versions').dropColumn('source_info').execute();
}
