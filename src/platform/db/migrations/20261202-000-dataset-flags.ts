// Two facts about a dataset that several domains read, added once so they do not each invent their own:
// - `hidden` (0/1): the owner hides a NON_PUBLIC dataset's metadata; outsiders then get 404 everywhere (issue 7).
//   The access door (decide, whereVisible) is the only reader that decides anything from it.
// - `origin`: 'local' for datasets published here, else the id of the harvest source it came from (issue 8); search
//   facets it as provenance and the dataset page says where it came from.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('datasets').addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('datasets').addColumn('origin', 'text', (c) => c.notNull().defaultTo('local')).execute();
  await db.schema.createIndex('datasets_origin').on('datasets').column('origin').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('datasets_origin').execute();
  await db.schema.alterTable('datasets').dropColumn('origin').execute();
  await db.schema.alterTable('datasets').dropColumn('hidden').execute();
}
