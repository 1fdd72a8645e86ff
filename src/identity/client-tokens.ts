// Resolving a machine client's access token (`Authorization: Bearer dfm_…`) to its Actor. A separate file, not
// service.ts, because the accounts service's resolveActor calls it and the identity service depends on the accounts
// service (sessions): this file depends on nothing but the database, so there is no import cycle.
//
// The Actor of a machine client: `user: null` (it is no person, so decide() never lets it change anything and
// `kind` is 'anonymous' — code that tests kind === 'user' must not take it for a signed-in person), `client: {id,
// orgnr}`, `via: 'client'`, the token's scopes, no memberships. Grants of its organisation apply through
// actingOrganisations(actor) in src/access/model.ts.
import crypto from 'node:crypto';
import type { Actor } from '../access/model';
import type { TokenScope } from '../accounts/model';
import type { DbOrTx } from '../database';
import { UnauthenticatedError } from '../errors';
import { CLIENT_SCOPES, CLIENT_TOKEN_PREFIX } from './model';

export function hashClientToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function isClientToken(token: string): boolean {
  return token.startsWith(CLIENT_TOKEN_PREFIX);
}

function scopesOf(json: string): TokenScope[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((s): s is TokenScope => (CLIENT_SCOPES as readonly unknown[]).includes(s)) : [];
  } catch {
    return [];
  }
}

/** The Actor of a valid access token; unknown, expired or of a disabled client → UnauthenticatedError (401). */
export async function actorFromClientToken(db: DbOrTx, token: string, now: Date = new Date()): Promise<Actor> {
  const row = await db
    .selectFrom('client_access_tokens')
    .innerJoin('machine_clients', 'machine_clients.id', 'client_access_tokens.client_id')
    .select(['client_access_tokens.scopes as scopes', 'client_access_tokens.expires_at as expires_at', 'machine_clients.id as client_id', 'machine_clients.orgnr as orgnr', 'machine_clients.disabled_at as disabled_at'])
    .where('client_access_tokens.token_hash', '=', hashClientToken(token))
    .executeTakeFirst();
  if (!row) throw new UnauthenticatedError('The access token is not valid.');
  if (Date.parse(row.expires_at) <= now.getTime()) throw new UnauthenticatedError('The access token has expired: ask the token endpoint for a new one.');
  if (row.disabled_at) throw new UnauthenticatedError('The machine client of this access token has been disabled.');
  return { kind: 'anonymous', user: null, memberships: {}, scopes: scopesOf(row.scopes), via: 'client', client: { id: row.client_id, orgnr: row.orgnr } };
}
