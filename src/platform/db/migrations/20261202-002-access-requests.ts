// Access requests, grants and in-app notifications (issue 7), and the audit log made append-only and hash-chained.
//   access_requests — an application for data access on behalf of one organisation (requester_orgnr) to the dataset's
//                     owner (owner_orgnr): purpose, intended use, GDPR art. 6 basis (art. 9 when special categories),
//                     data minimisation (JSON {table: [columns]}), recipients, period wanted, deletion at the end; the
//                     owner's decision (terms or reason), and one open question/answer for "more information".
//   access_grants   — the data-sharing agreement an approval produces: 'offered' until the requester accepts, then
//                     'active' until valid_to (expired) or revocation ('revoked'). Renewal moves valid_to.
//   notifications   — a user's in-app notices (kind + value-free params + link), read_at once seen.
//   audit_log       — gains seq (the chain order), prev_hash and hash = sha256(canonical entry + prev_hash); existing
//                     entries are chained here in (at, id) order; triggers then refuse UPDATE and DELETE.
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { auditHash, GENESIS_HASH } from '../../../access/audit';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('requester_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('requester_orgnr', 'text', (c) => c.notNull().references('organizations.orgnr'))
    .addColumn('owner_orgnr', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('intended_use', 'text', (c) => c.notNull())
    .addColumn('legal_basis_art6', 'text', (c) => c.notNull())
    .addColumn('special_categories', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('legal_basis_art9', 'text')
    .addColumn('legal_basis_note', 'text')
    .addColumn('data_scope', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_to', 'text', (c) => c.notNull())
    .addColumn('deletion', 'text', (c) => c.notNull())
    .addColumn('terms', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('info_question', 'text')
    .addColumn('info_answer', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_requests_owner_state').on('access_requests').columns(['owner_orgnr', 'state']).execute();
  await db.schema.createIndex('access_requests_requester').on('access_requests').columns(['requester_orgnr', 'created_at']).execute();
  await db.schema.createIndex('access_requests_dataset').on('access_requests').column('dataset_id').execute();

  await db.schema
    .createTable('access_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('access_requests.id').onDelete('cascade'))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('grantee_orgnr', 'text', (c) => c.notNull())
    .addColumn('owner_orgnr', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text', (c) => c.notNull())
    .addColumn('terms', 'text', (c) => c.notNull())
    .addColumn('licence', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('accepted_by', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text')
    .addColumn('revoke_reason', 'text')
    .addColumn('renewed_at', 'text')
    .execute();
  await db.schema.createIndex('access_grants_lookup').on('access_grants').columns(['dataset_id', 'grantee_orgnr', 'state']).execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('link', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .execute();
  await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();

  await db.schema.alterTable('audit_log').addColumn('seq', 'integer').execute();
  await db.schema.alterTable('audit_log').addColumn('prev_hash', 'text').execute();
  await db.schema.alterTable('audit_log').addColumn('hash', 'text').execute();
  // Chain what is there, oldest first.
  const rows = await sql<{ id: string; at: string; actor_user_id: string | null; action: string; resource_type: string; resource_id: string; details: string }>`
    select id, at, actor_user_id, action, resource_type, resource_id, details from audit_log order by at, id`.execute(db);
  let prev = GENESIS_HASH;
  let seq = 0;
  for (const r of rows.rows) {
    seq += 1;
    const hash = auditHash({ seq, ...r }, prev);
    await sql`update audit_log set seq = ${seq}, prev_hash = ${prev}, hash = ${hash} where id = ${r.id}`.execute(db);
    prev = hash;
  }
  await db.schema.createIndex('audit_log_seq').on('audit_log').column('seq').unique().execute();
  if (isPostgres(db)) {
    await sql`create or replace function audit_log_append_only() returns trigger language plpgsql as $$ begin raise exception 'audit_log is append-only'; end $$`.execute(db);
    await sql`create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop trigger if exists audit_log_no_update on audit_log`.execute(db);
    await sql`drop function if exists audit_log_append_only()`.execute(db);
  } else {
    await sql`drop trigger if exists audit_log_no_update`.execute(db);
    await sql`drop trigger if exists audit_log_no_delete`.execute(db);
  }
  await db.schema.dropIndex('audit_log_seq').execute();
  await db.schema.alterTable('audit_log').dropColumn('hash').execute();
  await db.schema.alterTable('audit_log').dropColumn('prev_hash').execute();
  await db.schema.alterTable('audit_log').dropColumn('seq').execute();
  await db.schema.dropTable('notifications').execute();
  await db.schema.dropTable('access_grants').execute();
  await db.schema.dropTable('access_requests').execute();
}
