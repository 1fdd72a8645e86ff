// Organisations are real and verified (issue 6 §3): a claim by an ordinary user starts pending until an operator
// approves or rejects it, and each organisation records when (and from which source) it was last checked against
// Enhetsregisteret. `registry_units` is the local copy of Enhetsregisteret records — API answers cached on lookup and
// the bulk download imported by `datafabrikken registry import` — used when the API cannot be reached.
// Existing organisations were registered before claims existed; they stay approved (the column default).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const columns: string[] = [
    'claimed_by', // user id of the claimant (null: created by an operator or the CLI)
    'claimed_at',
    'claimed_name', // the name the claimant typed, shown beside the official one
    'decided_by', // user id (or "cli") of the operator who approved or rejected
    'decided_at',
    'rejection_reason',
    'registry_checked_at', // null = not checked against Enhetsregisteret
    'registry_source', // api | file
    'registry_status', // active | bankrupt | winding_up | deleted | not_found, from the last check
  ];
  await db.schema.alterTable('organizations').addColumn('status', 'text', (c) => c.notNull().defaultTo('approved')).execute();
  for (const name of columns) await db.schema.alterTable('organizations').addColumn(name, 'text').execute();
  await db.schema.createIndex('organizations_status_idx').on('organizations').column('status').execute();

  await db.schema
    .createTable('registry_units')
    .addColumn('orgnr', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull()) // enhet | underenhet
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('org_form', 'text')
    .addColumn('municipality', 'text') // kommunenummer of forretningsadresse (beliggenhetsadresse for underenheter)
    .addColumn('status', 'text', (c) => c.notNull()) // active | bankrupt | winding_up | deleted
    .addColumn('deleted_at', 'text') // slettedato
    .addColumn('parent_orgnr', 'text') // overordnetEnhet
    .addColumn('source', 'text', (c) => c.notNull()) // api | file
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('registry_units').execute();
  await db.schema.dropIndex('organizations_status_idx').execute();
  for (const name of ['registry_status', 'registry_source', 'registry_checked_at', 'rejection_reason', 'decided_at', 'decided_by', 'claimed_name', 'claimed_at', 'claimed_by', 'status']) {
    await db.schema.alterTable('organizations').dropColumn(name).execute();
  }
}
