import type { Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: string;
  email: string; // stored lower-cased, unique
  name: string;
  password_hash: string | null; // argon2id; null for an account that has no password (it cannot sign in with one)
  is_operator: number; // 0/1: platform operator
  locale: string; // nb | nn | en
  email_verified_at: string | null; // when the current address was confirmed; null = not verified
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id: string; // sha-256 of the cookie value; the raw value is never stored
  user_id: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string; // first characters of the token, shown in lists so a person can tell tokens apart
  token_hash: string; // sha-256 of the whole token
  scopes: string; // JSON array of scope strings, e.g. ["read","write"]
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface RateLimitsTable {
  key: string; // e.g. "signin:ip:127.0.0.1" or "signin:acct:a@b.no"
  window_start: string;
  count: number;
  subject: string | null; // the (normalised) e-mail address the counter concerns, if any
  last_at: string | null; // the latest hit
  expires_at: string | null; // when this window ends (rows from before 20261201 have null)
}

export const ACCOUNT_TOKEN_PURPOSES = ['verify_email', 'reset_password'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** Single-use links sent by mail. Only the sha-256 of the token is stored. */
export interface AccountTokensTable {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  token_hash: string;
  email: string; // the address the link was sent to (a verification confirms this address only)
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type AccountToken = Selectable<AccountTokensTable>;

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
