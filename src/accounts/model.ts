import type { Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: string;
  email: string; // stored lower-cased, unique
  name: string;
  password_hash: string | null; // argon2id; null for accounts that only sign in through OIDC
  is_operator: number; // 0/1: platform operator
  locale: string; // nb | nn | en
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
  key: string; // e.g. "signin:ip:127.0.0.1" or "signin:email:a@b.no"
  window_start: string;
  count: number;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type ApiToken = Selectable<ApiTokensTable>;

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
