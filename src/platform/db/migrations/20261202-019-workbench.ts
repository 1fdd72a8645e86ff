// The analysis workbench (issue 11.3): saved queries with an optional chart. A saved query belongs to the user who
// saved it; `sharing` 'shared' lets anyone open it who may read every table it reads (`inputs`, the SQL names the
// sandbox found when it was last saved) — checked at every view, never stored as a grant.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saved_queries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('sql', 'text', (c) => c.notNull())
    .addColumn('chart', 'text') // JSON ChartSpec or null
    .addColumn('sharing', 'text', (c) => c.notNull().defaultTo('private'))
    .addColumn('inputs', 'text', (c) => c.notNull().defaultTo('[]')) // JSON string[]
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saved_queries_owner').on('saved_queries').columns(['owner_id', 'updated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saved_queries').ifExists().execute();
}
