// Consent (samtykke, issue 7.3): a table an owner marks as consent-based, keyed on an organisation-number column;
// consents a consumer organisation requests from the organisation the rows are about (the subject); and every event
// of a consent, kept for the subject to see (requested, accepted, rejected, revoked, expired, used).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_tables')
    .addColumn('table_id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('table_id', 'text', (c) => c.notNull())
    .addColumn('subject_orgnr', 'text', (c) => c.notNull())
    .addColumn('consumer_orgnr', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consents_consumer').on('consents').columns(['consumer_orgnr', 'table_id', 'state']).execute();
  await db.schema.createIndex('consents_subject').on('consents').columns(['subject_orgnr', 'state']).execute();
  await db.schema.createIndex('consents_due').on('consents').columns(['state', 'valid_to']).execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('consent_id', 'text', (c) => c.notNull())
    .addColumn('subject_orgnr', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_events_consent').on('consent_events').columns(['consent_id', 'at']).execute();
  await db.schema.createIndex('consent_events_subject').on('consent_events').columns(['subject_orgnr', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('consent_events').execute();
  await db.schema.dropTable('consents').execute();
  await db.schema.dropTable('consent_tables').execute();
}
