// Identity: OpenID Connect sign-in (ID-porten or any OpenID provider) and machine clients (Maskinporten pattern).
import type { Selectable } from 'kysely';

export interface OidcLinksTable {
  id: string;
  user_id: string;
  issuer: string;
  subject: string; // the provider's `sub`
  created_at: string;
  last_used_at: string | null;
}

export const OIDC_INTENTS = ['signin', 'link'] as const;
export type OidcIntent = (typeof OIDC_INTENTS)[number];

/** A sign-in in progress; `id` is the sha-256 of the df_oidc cookie (the browser that started it). */
export interface OidcFlowsTable {
  id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  intent: OidcIntent;
  user_id: string | null;
  next: string | null;
  created_at: string;
  expires_at: string;
}

export interface MachineClientsTable {
  id: string; // the client id, `iss` of its assertions
  orgnr: string;
  name: string;
  jwks: string; // JSON {"keys":[…]}: public keys only
  scopes: string; // JSON array of CLIENT_SCOPES
  created_by: string | null;
  created_at: string;
  disabled_at: string | null;
  disabled_by: string | null;
}

export interface ClientAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: string;
}

export interface ClientAccessTokensTable {
  token_hash: string; // sha-256 of the opaque token
  client_id: string;
  scopes: string; // JSON array
  created_at: string;
  expires_at: string;
}

export type OidcLink = Selectable<OidcLinksTable>;
export type OidcFlow = Selectable<OidcFlowsTable>;
export type MachineClient = Selectable<MachineClientsTable>;

/**
 * Scopes a machine client may hold. Machine clients only read (decide() refuses them every change), so `read` is the
 * one scope today; the list is the place to add finer ones.
 */
export const CLIENT_SCOPES = ['read'] as const;
export type ClientScope = (typeof CLIENT_SCOPES)[number];

/** Signature algorithms accepted for client keys and assertions (no HMAC, no `none`). */
export const CLIENT_KEY_ALGS = ['RS256', 'PS256', 'ES256'] as const;

/** The JWT-bearer grant (RFC 7523). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Opaque access tokens of machine clients start with this (personal API tokens start with df_). */
export const CLIENT_TOKEN_PREFIX = 'dfm_';

/** Lifetimes and limits of the token endpoint. */
export const CLIENT_TOKEN_RULES = {
  /** Longest allowed `exp − iat` of an assertion. */
  maxAssertionSeconds: 120,
  /** How far `iat` may lie in the future, and `exp` in the past, for clock differences. */
  clockSkewSeconds: 10,
  /** Life of an issued access token. */
  accessTokenSeconds: 300,
  /** Largest assertion accepted (bytes). */
  maxAssertionBytes: 8192,
};

/** Levels of assurance, ordered. ID-porten's names and eIDAS's (short and URI forms) map explicitly. */
export const ACR_LEVELS: Readonly<Record<string, number>> = Object.freeze({
  'idporten-loa-low': 1,
  low: 1,
  'http://eidas.europa.eu/LoA/low': 1,
  'idporten-loa-substantial': 2,
  substantial: 2,
  'http://eidas.europa.eu/LoA/substantial': 2,
  'idporten-loa-high': 3,
  high: 3,
  'http://eidas.europa.eu/LoA/high': 3,
});

/** True when `acr` meets `minimum` (an unknown or missing acr never does). */
export function acrMeets(acr: unknown, minimum: string): boolean {
  const need = ACR_LEVELS[minimum];
  if (need === undefined) return false;
  const got = typeof acr === 'string' && Object.hasOwn(ACR_LEVELS, acr) ? ACR_LEVELS[acr] : undefined;
  return got !== undefined && got >= need;
}

export interface MachineClientView {
  id: string;
  orgnr: string;
  name: string;
  scopes: ClientScope[];
  keyIds: string[];
  createdAt: string;
  disabledAt: string | null;
}

export interface OidcLinkView {
  id: string;
  issuer: string;
  subject: string;
  createdAt: string;
  lastUsedAt: string | null;
}
