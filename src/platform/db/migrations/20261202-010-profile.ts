// Column profiles (issue 9.4): per ready table version and column, the profile computed in the ingest job
// (src/platform/engine/profile.ts) as JSON. Written in the same transaction that marks the version ready, so a ready
// version always has its profile; versions are immutable, so profiles never change. The profile holds VALUES (min/max,
// top values, histogram bounds): it is data, served only through resolveDataAccess() (src/tables/profile.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('column_profiles')
    .addColumn('version_id', 'text', (c) => c.notNull().references('table_versions.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull()) // 0-based column position in the version
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull()) // JSON ColumnProfile
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('column_profiles_pk', ['version_id', 'position'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('column_profiles').ifExists().execute();
}
