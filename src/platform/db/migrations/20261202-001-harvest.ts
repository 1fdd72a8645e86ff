// Harvesting other catalogues (issue 8 §2):
// - `harvest_sources`: what to harvest (DCAT RDF, CKAN, data.norge.no search), how often (`interval_minutes`, null =
//   on demand only) and when next (`next_run_at`, claimed by compare-and-set so several nodes enqueue one run);
// - `harvest_runs`: one row per run with its report (counts, `failures` as JSON [{record, reason}], `error` when the
//   whole run failed);
// - `harvest_records`: which dataset each source record became, the hash of what was applied last (incremental
//   updates) and the applied field values (`applied`, JSON) so a field changed locally since is a local enrichment
//   and kept; `extras` holds what the catalogue has no column for (other themes, publisher URI, score);
// - `harvest_staged`: a run's records until the switch, which applies them in one transaction;
// - organizations.harvested (0/1): a publisher row created by harvesting (a real orgnr not registered here, or an
//   external agent `ext-…` without one); it has no members, so nobody signs in or publishes as it, and a real
//   organisation may still claim its orgnr. `agent_uri` is the publisher's URI as the source gave it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('harvest_sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // dcat | ckan | norge
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('interval_minutes', 'integer')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('harvest_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_id', 'text', (c) => c.notNull().references('harvest_sources.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull()) // queued | running | succeeded | failed
    .addColumn('trigger', 'text', (c) => c.notNull()) // manual | schedule | cli
    .addColumn('job_id', 'text')
    .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('merged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('harvest_runs_source_idx').on('harvest_runs').columns(['source_id', 'created_at']).execute();
  await db.schema
    .createTable('harvest_records')
    .addColumn('source_id', 'text', (c) => c.notNull().references('harvest_sources.id').onDelete('cascade'))
    .addColumn('record_key', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('uri', 'text')
    .addColumn('identifier', 'text')
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('applied', 'text', (c) => c.notNull())
    .addColumn('extras', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('harvest_records_pk', ['source_id', 'record_key'])
    .execute();
  await db.schema.createIndex('harvest_records_dataset_idx').on('harvest_records').column('dataset_id').execute();
  await db.schema.createIndex('harvest_records_uri_idx').on('harvest_records').column('uri').execute();
  await db.schema.createIndex('harvest_records_identifier_idx').on('harvest_records').column('identifier').execute();
  await db.schema
    .createTable('harvest_staged')
    .addColumn('run_id', 'text', (c) => c.notNull().references('harvest_runs.id').onDelete('cascade'))
    .addColumn('record_key', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('harvest_staged_pk', ['run_id', 'record_key'])
    .execute();
  await db.schema.alterTable('organizations').addColumn('harvested', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('organizations').addColumn('agent_uri', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('agent_uri').execute();
  await db.schema.alterTable('organizations').dropColumn('harvested').execute();
  await db.schema.dropTable('harvest_staged').execute();
  await db.schema.dropTable('harvest_records').execute();
  await db.schema.dropTable('harvest_runs').execute();
  await db.schema.dropTable('harvest_sources').execute();
}
