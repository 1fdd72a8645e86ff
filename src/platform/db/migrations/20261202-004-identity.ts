// Identity (issue 7.4): OpenID Connect sign-in and machine clients in the Maskinporten pattern.
// - oidc_links: a local account linked to an (issuer, subject) of an OpenID provider; one account per pair.
// - oidc_flows: a sign-in in progress (state, nonce, PKCE verifier), keyed by the sha-256 of a short-lived HttpOnly
//   cookie, deleted when the callback uses it (single use).
// - machine_clients: a client of an organisation with its public keys (JWKS as JSON text) and scopes (JSON array).
// - client_assertion_jtis: the `jti` of every accepted assertion until its `exp`, so a replay is refused.
// - client_access_tokens: the sha-256 of each opaque access token issued, with its client, scopes and end.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addUniqueConstraint('oidc_links_issuer_subject', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('oidc_links_user_idx').on('oidc_links').column('user_id').execute();

  await db.schema
    .createTable('oidc_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull()) // signin | link
    .addColumn('user_id', 'text') // the signed-in user who links (intent link)
    .addColumn('next', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('machine_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('orgnr', 'text', (c) => c.notNull().references('organizations.orgnr').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('jwks', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .addColumn('disabled_by', 'text')
    .execute();
  await db.schema.createIndex('machine_clients_org_idx').on('machine_clients').column('orgnr').execute();

  await db.schema
    .createTable('client_assertion_jtis')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('client_assertion_jtis_pk', ['client_id', 'jti'])
    .execute();
  await db.schema.createIndex('client_assertion_jtis_exp_idx').on('client_assertion_jtis').column('expires_at').execute();

  await db.schema
    .createTable('client_access_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('machine_clients.id').onDelete('cascade'))
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('client_access_tokens_exp_idx').on('client_access_tokens').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('client_access_tokens').ifExists().execute();
  await db.schema.dropTable('client_assertion_jtis').ifExists().execute();
  await db.schema.dropTable('machine_clients').ifExists().execute();
  await db.schema.dropTable('oidc_flows').ifExists().execute();
  await db.schema.dropTable('oidc_links').ifExists().execute();
}
