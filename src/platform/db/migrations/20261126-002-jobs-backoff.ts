// Jobs keep their backoff base so a retry scheduled after a restart uses the delay the job was enqueued with.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('backoff_ms', 'integer', (c) => c.notNull().defaultTo(1000))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('backoff_ms').execute();
}
