// Accounts: users, password sign-in with rate limiting, sessions (cookie) and personal API tokens (Bearer df_…),
// and resolving who is asking (the actor) once per request.
//
// Secrets are never stored: sessions.id is the sha-256 of the cookie value and api_tokens.token_hash the sha-256 of the
// token. Passwords are hashed with argon2id. Sign-in failures are counted per e-mail address and per IP address in the
// rate_limits table (shared by every web node), and an unknown e-mail costs the same time as a wrong password.
import crypto from 'node:crypto';
import { hash as argonHash, verify as argonVerify, type Algorithm } from '@node-rs/argon2';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../access/model';
import { ANONYMOUS } from '../access/model';
import type { Config } from '../config';
import type { Db, DbOrTx } from '../database';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, RateLimitedError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import type { MemberRole } from '../organisations/model';
import { TOKEN_SCOPES, type ApiToken, type TokenScope, type User } from './model';

export const SESSION_COOKIE = 'df_session';
export const SESSION_DAYS = 14;
export const TOKEN_PREFIX = 'df_';
export const MAX_TOKEN_DAYS = 365;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1000; // argon2 hashes anything, but a megabyte "password" is only a way to burn CPU
const TOUCH_INTERVAL_MS = 60_000; // last_seen_at / last_used_at are written at most once a minute
const DAY_MS = 24 * 60 * 60 * 1000;

/** Sign-in attempts: at most `max` failures per key in a fixed window of `windowSeconds`. */
export const SIGNIN_LIMITS = {
  windowSeconds: 15 * 60,
  perEmail: 5,
  perIp: 20,
};

// OWASP's argon2id recommendation (m=19 MiB, t=2, p=1). The package exports Algorithm as a `const enum`, which
// isolatedModules cannot inline, so the value is spelled out: Argon2d = 0, Argon2i = 1, Argon2id = 2.
const ARGON2ID = 2 as Algorithm;
const ARGON_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const LOCALES = ['nb', 'nn', 'en'] as const;

/** A token as its owner may see it: never the secret or its hash. */
export interface ApiTokenPublic {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface MembershipSummary {
  orgnr: string;
  name: string;
  role: MemberRole;
}

export interface UserPublic {
  id: string;
  email: string;
  name: string;
  locale: string;
  isOperator: boolean;
  createdAt: string;
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'invalid_credentials', 'Wrong e-mail address or password.');
  }
}

export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}

export function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON_OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await argonVerify(hashed, password);
  } catch {
    return false; // a malformed hash never verifies
  }
}

export function presentUser(u: User): UserPublic {
  return { id: u.id, email: u.email, name: u.name, locale: u.locale, isOperator: u.is_operator === 1 || (u.is_operator as unknown) === true, createdAt: u.created_at };
}

export function presentToken(t: ApiToken): ApiTokenPublic {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: parseScopes(t.scopes),
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    lastUsedAt: t.last_used_at,
    revokedAt: t.revoked_at,
  };
}

function parseScopes(json: string): TokenScope[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((s): s is TokenScope => (TOKEN_SCOPES as readonly unknown[]).includes(s)) : [];
  } catch {
    return [];
  }
}

// --- validation ------------------------------------------------------------------------------------------------------

const EMAIL_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]{2,}$/;

export function normaliseEmail(email: unknown): string {
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

function emailProblems(email: string): FieldProblem[] {
  if (!email) return [{ field: 'email', code: 'email_required', message: 'Enter an e-mail address.' }];
  if (email.length > 254 || !EMAIL_RE.test(email)) return [{ field: 'email', code: 'email_invalid', message: `"${email}" is not a valid e-mail address.` }];
  return [];
}

function passwordProblems(password: unknown, field = 'password'): FieldProblem[] {
  if (typeof password !== 'string' || password.length === 0) return [{ field, code: 'password_required', message: 'Enter a password.' }];
  if ([...password].length < MIN_PASSWORD_LENGTH) return [{ field, code: 'password_too_short', message: `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.` }];
  if (password.length > MAX_PASSWORD_LENGTH) return [{ field, code: 'password_too_long', message: `The password may be at most ${MAX_PASSWORD_LENGTH} characters long.` }];
  return [];
}

function nameProblems(name: string): FieldProblem[] {
  if (!name) return [{ field: 'name', code: 'name_required', message: 'Enter your name.' }];
  if (name.length > 200) return [{ field: 'name', code: 'name_too_long', message: 'The name may be at most 200 characters long.' }];
  return [];
}

function requireUser(actor: Actor): NonNullable<Actor['user']> {
  if (!actor.user || actor.via === 'cli') throw new UnauthenticatedError();
  return actor.user;
}

/** A token-authenticated actor manages tokens and its profile only with the 'admin' scope (no scope escalation). */
function requireAccountScope(actor: Actor): void {
  if (actor.scopes !== null && !actor.scopes.includes('admin')) throw new ForbiddenError('Managing your account and API tokens through a token needs the admin scope.', 'token_scope');
}

// --- the service ----------------------------------------------------------------------------------------------------

export interface AccountsDeps {
  db: Db;
  config: Pick<Config, 'secureCookies'>;
  /** The clock, for tests of expiry. */
  now?: () => Date;
}

export function createAccountsService({ db, now = () => new Date() }: AccountsDeps) {
  let dummyHash: Promise<string> | undefined;
  const iso = (d: Date = now()) => d.toISOString();

  async function findUserByEmail(email: string): Promise<User | undefined> {
    const e = normaliseEmail(email);
    if (!e) return undefined;
    return db.selectFrom('users').selectAll().where('email', '=', e).executeTakeFirst();
  }

  async function getUser(id: string): Promise<User> {
    const u = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!u) throw new NotFoundError('User', id, 'user_not_found');
    return u;
  }

  async function membershipsOf(tx: DbOrTx, userId: string): Promise<Record<string, MemberRole>> {
    const rows = await tx.selectFrom('memberships').select(['orgnr', 'role']).where('user_id', '=', userId).execute();
    const out: Record<string, MemberRole> = {};
    for (const r of rows) out[r.orgnr] = r.role;
    return out;
  }

  async function actorFor(user: User, via: 'session' | 'token', scopes: TokenScope[] | null): Promise<Actor> {
    return {
      kind: 'user',
      user: { id: user.id, email: user.email, name: user.name, isOperator: Boolean(user.is_operator) },
      memberships: await membershipsOf(db, user.id),
      scopes,
      via,
    };
  }

  /** Creates a user. ValidationError for a bad e-mail, name or password; ConflictError 'email_taken' on a duplicate. */
  async function createUser(input: { email: string; password: string; name: string; isOperator?: boolean; locale?: string; confirm?: string }): Promise<User> {
    const email = normaliseEmail(input.email);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    const problems = [...nameProblems(name), ...emailProblems(email), ...passwordProblems(input.password)];
    if (input.confirm !== undefined && input.confirm !== input.password) {
      problems.push({ field: 'confirm', code: 'password_mismatch', message: 'The two passwords are not the same.' });
    }
    const locale = input.locale && (LOCALES as readonly string[]).includes(input.locale) ? input.locale : 'nb';
    if (problems.length) throw new ValidationError(problems);
    if (await findUserByEmail(email)) throw emailTaken(email);
    const at = iso();
    const row: User = {
      id: crypto.randomUUID(),
      email,
      name,
      password_hash: await hashPassword(input.password),
      is_operator: input.isOperator ? 1 : 0,
      locale,
      created_at: at,
      updated_at: at,
    };
    try {
      await db.insertInto('users').values(row).execute();
    } catch (err) {
      // Two sign-ups racing for one address: the unique index decides.
      if (await findUserByEmail(email)) throw emailTaken(email);
      throw err;
    }
    return row;
  }

  function emailTaken(email: string): ConflictError {
    return new ConflictError(`An account with the e-mail address ${email} already exists.`, 'email_taken', { problems: [{ field: 'email', code: 'email_taken', message: `An account with the e-mail address ${email} already exists.` }] });
  }

  /** Self-service sign-up (the web form): a normal user. */
  function signUp(input: { email: string; password: string; name: string; confirm?: string; locale?: string }): Promise<User> {
    return createUser({ ...input, isOperator: false });
  }

  // --- rate limiting (fixed windows in rate_limits) ---

  async function limitState(key: string): Promise<{ count: number; resetAt: number } | undefined> {
    const row = await db.selectFrom('rate_limits').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    const resetAt = Date.parse(row.window_start) + SIGNIN_LIMITS.windowSeconds * 1000;
    if (resetAt <= now().getTime()) return undefined;
    return { count: Number(row.count), resetAt };
  }

  async function hit(key: string): Promise<void> {
    const t = now();
    const windowOpenSince = new Date(t.getTime() - SIGNIN_LIMITS.windowSeconds * 1000).toISOString();
    const updated = await db
      .updateTable('rate_limits')
      .set((eb) => ({ count: eb('count', '+', 1) }))
      .where('key', '=', key)
      .where('window_start', '>', windowOpenSince)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await db
      .insertInto('rate_limits')
      .values({ key, window_start: iso(t), count: 1 })
      .onConflict((oc) => oc.column('key').doUpdateSet({ window_start: iso(t), count: 1 }))
      .execute();
  }

  async function assertNotLimited(keys: [string, number][]): Promise<void> {
    let retry = 0;
    for (const [key, max] of keys) {
      const s = await limitState(key);
      if (s && s.count >= max) retry = Math.max(retry, Math.ceil((s.resetAt - now().getTime()) / 1000));
    }
    if (retry > 0) throw new RateLimitedError(Math.max(1, retry));
  }

  /**
   * Checks an e-mail address and password. Failures count against the address and the IP; too many → RateLimitedError
   * (429, with seconds until the window resets). A success clears the address's counter.
   */
  async function signIn(input: { email: string; password: string; ip: string }): Promise<User> {
    const email = normaliseEmail(input.email);
    const emailKey = `signin:email:${email}`;
    const ipKey = `signin:ip:${input.ip}`;
    await assertNotLimited([
      [emailKey, SIGNIN_LIMITS.perEmail],
      [ipKey, SIGNIN_LIMITS.perIp],
    ]);
    const password = typeof input.password === 'string' ? input.password.slice(0, MAX_PASSWORD_LENGTH) : '';
    const user = email ? await findUserByEmail(email) : undefined;
    let ok: boolean;
    if (user?.password_hash) {
      ok = await verifyPassword(user.password_hash, password);
    } else {
      // Same work for an unknown address, so response times do not reveal which addresses have accounts.
      dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
      await verifyPassword(await dummyHash, password);
      ok = false;
    }
    if (!ok || !user) {
      await hit(emailKey);
      await hit(ipKey);
      throw new InvalidCredentialsError();
    }
    await db.deleteFrom('rate_limits').where('key', '=', emailKey).execute();
    return user;
  }

  // --- sessions ---

  /** Starts a session; returns the raw cookie value (only its sha-256 is stored). */
  async function createSession(userId: string, userAgent?: string | null): Promise<string> {
    const token = crypto.randomBytes(32).toString('base64url');
    const t = now();
    await db
      .insertInto('sessions')
      .values({
        id: sha256(token),
        user_id: userId,
        created_at: iso(t),
        last_seen_at: iso(t),
        expires_at: new Date(t.getTime() + SESSION_DAYS * DAY_MS).toISOString(),
        user_agent: userAgent ? userAgent.slice(0, 500) : null,
      })
      .execute();
    return token;
  }

  async function destroySession(token: string | undefined): Promise<void> {
    if (!token) return;
    await db.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
  }

  function sessionTokenFrom(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie;
    if (!header) return undefined;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
        const v = part.slice(eq + 1).trim();
        return /^[A-Za-z0-9_-]{20,200}$/.test(v) ? v : undefined;
      }
    }
    return undefined;
  }

  async function actorFromSession(token: string): Promise<Actor> {
    const id = sha256(token);
    const s = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!s) return ANONYMOUS;
    const t = now();
    if (Date.parse(s.expires_at) <= t.getTime()) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
      return ANONYMOUS;
    }
    const user = await db.selectFrom('users').selectAll().where('id', '=', s.user_id).executeTakeFirst();
    if (!user) return ANONYMOUS;
    if (t.getTime() - Date.parse(s.last_seen_at) >= TOUCH_INTERVAL_MS) {
      // Sliding expiry: every use (at most once a minute) pushes the end out to SESSION_DAYS from now.
      await db
        .updateTable('sessions')
        .set({ last_seen_at: iso(t), expires_at: new Date(t.getTime() + SESSION_DAYS * DAY_MS).toISOString() })
        .where('id', '=', id)
        .execute();
    }
    return actorFor(user, 'session', null);
  }

  // --- tokens ---

  function tokenInput(input: { name?: unknown; scopes?: unknown; expiresInDays?: unknown }): { name: string; scopes: TokenScope[]; expiresInDays: number | null } {
    const problems: FieldProblem[] = [];
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) problems.push({ field: 'name', code: 'token_name_required', message: 'Give the token a name, so you can tell it apart later.' });
    else if (name.length > 100) problems.push({ field: 'name', code: 'token_name_too_long', message: 'The token name may be at most 100 characters long.' });
    let scopes: TokenScope[] = ['read'];
    if (input.scopes !== undefined && input.scopes !== null) {
      const list = Array.isArray(input.scopes) ? input.scopes : [input.scopes];
      const unknown = list.filter((s) => !(TOKEN_SCOPES as readonly unknown[]).includes(s));
      if (unknown.length) problems.push({ field: 'scopes', code: 'scope_unknown', message: `Unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}; use ${TOKEN_SCOPES.join(', ')}.` });
      else if (list.length === 0) problems.push({ field: 'scopes', code: 'scopes_required', message: 'Choose at least one scope.' });
      else scopes = TOKEN_SCOPES.filter((s) => list.includes(s));
    }
    let expiresInDays: number | null = null;
    if (input.expiresInDays !== undefined && input.expiresInDays !== null && input.expiresInDays !== '') {
      const n = Number(input.expiresInDays);
      if (!Number.isInteger(n) || n < 1 || n > MAX_TOKEN_DAYS) {
        problems.push({ field: 'expiresInDays', code: 'expiry_invalid', message: `Expiry must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}.` });
      } else expiresInDays = n;
    }
    if (problems.length) throw new ValidationError(problems);
    return { name, scopes, expiresInDays };
  }

  /** Creates a token for a user (the CLI and createToken). The raw token is returned once and never stored. */
  async function createTokenForUser(userId: string, input: { name: string; scopes?: TokenScope[] | string[]; expiresInDays?: number | null }): Promise<{ token: string; record: ApiTokenPublic }> {
    const { name, scopes, expiresInDays } = tokenInput(input);
    await getUser(userId);
    const token = `${TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
    const t = now();
    const row: ApiToken = {
      id: crypto.randomUUID(),
      user_id: userId,
      name,
      prefix: token.slice(0, 10),
      token_hash: sha256(token),
      scopes: JSON.stringify(scopes),
      created_at: iso(t),
      expires_at: expiresInDays === null ? null : new Date(t.getTime() + expiresInDays * DAY_MS).toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
    await db.insertInto('api_tokens').values(row).execute();
    return { token, record: presentToken(row) };
  }

  async function createToken(actor: Actor, input: { name: string; scopes?: TokenScope[] | string[]; expiresInDays?: number | null }): Promise<{ token: string; record: ApiTokenPublic }> {
    const user = requireUser(actor);
    requireAccountScope(actor);
    return createTokenForUser(user.id, input);
  }

  async function listTokens(actor: Actor): Promise<ApiTokenPublic[]> {
    const user = requireUser(actor);
    const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).where('revoked_at', 'is', null).orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(presentToken);
  }

  /** Revokes one of the actor's tokens; someone else's token is "not found", never "forbidden". */
  async function revokeToken(actor: Actor, id: string): Promise<void> {
    const user = requireUser(actor);
    requireAccountScope(actor);
    const row = await db.selectFrom('api_tokens').select(['id', 'revoked_at']).where('id', '=', id).where('user_id', '=', user.id).executeTakeFirst();
    if (!row || row.revoked_at) throw new NotFoundError('Token', id, 'token_not_found');
    await db.updateTable('api_tokens').set({ revoked_at: iso() }).where('id', '=', id).execute();
  }

  async function actorFromToken(token: string): Promise<Actor> {
    if (!token.startsWith(TOKEN_PREFIX)) throw new UnauthenticatedError('The API token is not valid: tokens start with "df_". Create one under My account or with `datafabrikken token create`.');
    const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row) throw new UnauthenticatedError('The API token is not valid.');
    if (row.revoked_at) throw new UnauthenticatedError('The API token has been revoked.');
    const t = now();
    if (row.expires_at && Date.parse(row.expires_at) <= t.getTime()) throw new UnauthenticatedError(`The API token expired at ${row.expires_at}.`);
    const user = await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
    if (!user) throw new UnauthenticatedError('The API token is not valid.');
    if (!row.last_used_at || t.getTime() - Date.parse(row.last_used_at) >= TOUCH_INTERVAL_MS) {
      await db.updateTable('api_tokens').set({ last_used_at: iso(t) }).where('id', '=', row.id).execute();
    }
    return actorFor(user, 'token', parseScopes(row.scopes));
  }

  /**
   * Who is asking: an `Authorization: Bearer df_…` token (invalid, expired or revoked → UnauthenticatedError, so a
   * script learns why), else the session cookie (unknown or expired → anonymous), else anonymous.
   */
  async function resolveActor(input: { sessionToken?: string; authorization?: string; userAgent?: string }): Promise<Actor> {
    const auth = input.authorization?.trim();
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (m?.[1]) return actorFromToken(m[1]);
      if (auth.startsWith(TOKEN_PREFIX)) return actorFromToken(auth); // CKAN clients send the bare token
      throw new UnauthenticatedError('Unsupported Authorization header: send "Authorization: Bearer df_…".');
    }
    if (input.sessionToken) return actorFromSession(input.sessionToken);
    return ANONYMOUS;
  }

  // --- profile and password ---

  async function updateMe(actor: Actor, patch: { name?: string; locale?: string }): Promise<User> {
    const user = requireUser(actor);
    requireAccountScope(actor);
    const problems: FieldProblem[] = [];
    const set: { name?: string; locale?: string; updated_at: string } = { updated_at: iso() };
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      problems.push(...nameProblems(name));
      set.name = name;
    }
    if (patch.locale !== undefined) {
      if (!(LOCALES as readonly string[]).includes(patch.locale)) problems.push({ field: 'locale', code: 'locale_invalid', message: `Language must be one of ${LOCALES.join(', ')}.` });
      set.locale = patch.locale;
    }
    if (problems.length) throw new ValidationError(problems);
    await db.updateTable('users').set(set).where('id', '=', user.id).execute();
    return getUser(user.id);
  }

  /**
   * Changes the actor's password after checking the current one, and signs out every other session of the user
   * (pass the session token in use to keep it).
   */
  async function changePassword(actor: Actor, input: { current: string; next: string; confirm?: string; keepSession?: string }): Promise<void> {
    const actorUser = requireUser(actor);
    if (actor.via === 'token') throw new ForbiddenError('Change your password in the web interface, not with an API token.', 'session_required');
    const user = await getUser(actorUser.id);
    if (!user.password_hash || !(await verifyPassword(user.password_hash, typeof input.current === 'string' ? input.current : ''))) {
      throw new ValidationError([{ field: 'current', code: 'current_password_wrong', message: 'The current password is wrong.' }]);
    }
    const problems = passwordProblems(input.next, 'next');
    if (input.confirm !== undefined && input.confirm !== input.next) problems.push({ field: 'confirm', code: 'password_mismatch', message: 'The two passwords are not the same.' });
    if (problems.length) throw new ValidationError(problems);
    const passwordHash = await hashPassword(input.next);
    const keep = input.keepSession ? sha256(input.keepSession) : '';
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: passwordHash, updated_at: iso() }).where('id', '=', user.id).execute();
      await tx.deleteFrom('sessions').where('user_id', '=', user.id).where('id', '!=', keep).execute();
    });
  }

  /** The organisations the user belongs to, with names, for the account page and GET /me. */
  async function listMemberships(userId: string): Promise<MembershipSummary[]> {
    const rows = await db
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.orgnr', 'memberships.orgnr')
      .select(['memberships.orgnr as orgnr', 'organizations.name as name', 'memberships.role as role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('organizations.name')
      .execute();
    return rows;
  }

  /** Removes expired sessions and stale rate-limit windows (for a periodic job or the CLI). */
  async function purgeExpired(): Promise<{ sessions: number; rateLimits: number }> {
    const t = iso();
    const s = await db.deleteFrom('sessions').where('expires_at', '<=', t).executeTakeFirst();
    const cutoff = new Date(now().getTime() - SIGNIN_LIMITS.windowSeconds * 1000).toISOString();
    const r = await db.deleteFrom('rate_limits').where('window_start', '<=', cutoff).executeTakeFirst();
    return { sessions: Number(s.numDeletedRows), rateLimits: Number(r.numDeletedRows) };
  }

  return {
    sessionTokenFrom,
    resolveActor,
    createUser,
    signUp,
    signIn,
    findUserByEmail,
    getUser,
    createSession,
    destroySession,
    changePassword,
    updateMe,
    createToken,
    createTokenForUser,
    listTokens,
    revokeToken,
    listMemberships,
    purgeExpired,
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
