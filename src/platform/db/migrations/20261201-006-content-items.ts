// Competence content (issue 12): guides, courses, videos and news, keyed by (id, lang). Rows with source 'repo' are
// imported from content/** on start-up and follow their file (repo_hash = sha256 of the file); rows with source
// 'operator' were added or overridden from /operator/innhold and are never overwritten by an import (repo_hash = the
// file they override at the time, so the operator page can say the repository version changed since).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('content_items')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('duration', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('free', 'integer', (c) => c.notNull())
    .addColumn('link', 'text')
    .addColumn('published', 'text')
    .addColumn('updated', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('repo_hash', 'text')
    .addColumn('updated_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('content_items_pk', ['id', 'lang'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('content_items').execute();
}
