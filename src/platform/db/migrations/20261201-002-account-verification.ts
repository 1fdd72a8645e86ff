// E-mail verification, password reset and sturdier sign-in throttling (issue 6).
// - users.email_verified_at: when the current address was confirmed (ISO text); null = not verified.
// - account_tokens: single-use links sent by mail (verify an address, reset a password). Only the sha-256 of the
//   token is stored; `email` binds a verification to the address it was sent to, so a changed address needs a new one.
// - rate_limits gains `subject` (the account a counter concerns, so a password reset can clear them all), `last_at`
//   (the latest hit, for growing delays) and `expires_at` (each counter's own window end, for purging).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email_verified_at', 'text').execute();

  await db.schema
    .createTable('account_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull()) // verify_email | reset_password
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('account_tokens_user_idx').on('account_tokens').columns(['user_id', 'purpose']).execute();

  await db.schema.alterTable('rate_limits').addColumn('subject', 'text').execute();
  await db.schema.alterTable('rate_limits').addColumn('last_at', 'text').execute();
  await db.schema.alterTable('rate_limits').addColumn('expires_at', 'text').execute();
  await db.schema.createIndex('rate_limits_subject_idx').on('rate_limits').column('subject').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('rate_limits_subject_idx').ifExists().execute();
  await db.schema.alterTable('rate_limits').dropColumn('expires_at').execute();
  await db.schema.alterTable('rate_limits').dropColumn('last_at').execute();
  await db.schema.alterTable('rate_limits').dropColumn('subject').execute();
  await db.schema.dropTable('account_tokens').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('email_verified_at').execute();
}
