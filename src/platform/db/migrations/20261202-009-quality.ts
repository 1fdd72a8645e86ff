// Metadata quality (issue 9.7): what the URL check job found for each external access/download URL of a
// distribution (one row per URL, keyed by its SHA-256). Hosted tables and files are never checked: they count as
// reachable. `requested_at` is set when a check is queued, `checked_at` when it has run.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('quality_url_checks')
    .addColumn('url_hash', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'integer')
    .addColumn('content_type', 'text')
    .addColumn('syntax_valid', 'integer')
    .addColumn('error', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('quality_url_checks').execute();
}
