// Accounts: users, password sign-in with throttling, sessions (cookie), personal API tokens (Bearer df_…), e-mail
// verification and password reset by mailed single-use links, and resolving who is asking (the actor) once per request.
//
// Secrets are never stored: sessions.id is the sha-256 of the cookie value, api_tokens.token_hash the sha-256 of the
// token, account_tokens.token_hash the sha-256 of a mailed link's token. Passwords are hashed with argon2id.
//
// Throttling (counters in rate_limits, shared by every web node; numbers in SIGNIN_LIMITS and THROTTLES):
// - Sign-in failures are counted three ways. Per (account, IP): 5 failures in 15 minutes and that IP is refused for
//   that account until the window ends. Per IP: 20 failures in 15 minutes across all accounts and the IP is refused.
//   Per account (any IP, 24-hour window): from the 5th failure on, each further attempt must wait a delay after the
//   latest failure that doubles with each failure — 30 s, 60 s, 120 s … capped at 15 minutes — and attempts inside the
//   delay are refused (429 with Retry-After) before the password is checked, so spraying from many IPs gets at most
//   about 100 guesses a day at one account. The account delay never becomes a lock, and it is waived for an IP the
//   account signed in from successfully in the last 90 days while that IP has no failures for the account: the owner
//   at home still gets in while someone elsewhere hammers the account. An unknown e-mail is counted exactly like a
//   known one and costs the same argon2 time, so neither timing nor throttling tells which addresses have accounts.
//   A password reset clears every counter of the account.
// - Sign-up: 10 attempts per IP per hour, and 300 new accounts per hour in all.
// - Password-reset requests: 3 per address and 10 per IP per hour; the answer is the same whether the address has an
//   account or not, and the mail is sent after the answer, so the time does not tell either.
// - "Send the verification mail again": 3 per account per hour.
// Every refusal is a RateLimitedError (429, Retry-After in seconds).
//
// Mailed links: 32 random bytes (base64url), stored as sha-256, single-use (consumed atomically with their effect).
// Verification links last 48 hours and confirm the address they were sent to only; reset links last 1 hour. Opening
// a link (GET) never consumes it — mail scanners follow links — only the page's POST does. A newer link of the same
// kind replaces the older ones.
import crypto from 'node:crypto';
import { hash as argonHash, verify as argonVerify, type Algorithm } from '@node-rs/argon2';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { recordAudit } from '../access/audit';
import type { Actor } from '../access/model';
import { ANONYMOUS, CLI_ACTOR } from '../access/model';
import type { Config } from '../config';
import type { Db, DbOrTx } from '../database';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, RateLimitedError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import type { MemberRole } from '../organisations/model';
import type { Mailer } from '../platform/mail/index';
import { isLocale } from '../web/i18n/index';
import { urls } from '../web/urls';
import { actorFromClientToken, isClientToken } from '../identity/client-tokens';
import { composeMail, type MailKind } from './mails';
import { TOKEN_SCOPES, type AccountTokenPurpose, type ApiToken, type TokenScope, type User } from './model';

export const SESSION_COOKIE = 'df_session';
export const SESSION_DAYS = 14;
export const TOKEN_PREFIX = 'df_';
export const MAX_TOKEN_DAYS = 365;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1000; // argon2 hashes anything, but a megabyte "password" is only a way to burn CPU
const TOUCH_INTERVAL_MS = 60_000; // last_seen_at / last_used_at are written at most once a minute
const DAY_MS = 24 * 60 * 60 * 1000;

/** Sign-in throttling (see the top of this file). */
export const SIGNIN_LIMITS = {
  /** Failures per (account, IP) before that IP is refused for that account until the window ends. */
  pair: { max: 5, windowSeconds: 15 * 60 },
  /** Failures per IP across all accounts. */
  ip: { max: 20, windowSeconds: 15 * 60 },
  /** Failures per account from any IP: `free` without delay, then baseDelay × 2^(n − free), at most maxDelay. */
  account: { free: 5, windowSeconds: 24 * 60 * 60, baseDelaySeconds: 30, maxDelaySeconds: 15 * 60 },
  /** How long a successful sign-in makes an IP "known" for the account (it then skips the account delay). */
  knownIpSeconds: 90 * 24 * 60 * 60,
};

/** Other throttles: at most `max` per key in a fixed window of `windowSeconds`. */
export const THROTTLES = {
  signUpPerIp: { max: 10, windowSeconds: 60 * 60 },
  signUpGlobal: { max: 300, windowSeconds: 60 * 60 },
  resetPerEmail: { max: 3, windowSeconds: 60 * 60 },
  resetPerIp: { max: 10, windowSeconds: 60 * 60 },
  resendPerAccount: { max: 3, windowSeconds: 60 * 60 },
};

export const VERIFY_LINK_HOURS = 48;
export const RESET_LINK_MINUTES = 60;
const LINK_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

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
  emailVerified: boolean;
  createdAt: string;
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'invalid_credentials', 'Wrong e-mail address or password.');
  }
}

/** A mailed link that cannot be used: malformed (400), unknown (404), for another account (403), used or expired (410). */
export class LinkError extends DomainError {
  constructor(status: 400 | 403 | 404 | 410, code: 'link_malformed' | 'link_not_found' | 'link_other_account' | 'link_used' | 'link_expired', message: string) {
    super(status, code, message);
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
  return { id: u.id, email: u.email, name: u.name, locale: u.locale, isOperator: u.is_operator === 1 || (u.is_operator as unknown) === true, emailVerified: Boolean(u.email_verified_at), createdAt: u.created_at };
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

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE_ALL = /[\u0000-\u001f\u007f]/g;

function emailProblems(email: string): FieldProblem[] {
  if (!email) return [{ field: 'email', code: 'email_required', message: 'Enter an e-mail address.' }];
  if (email.length > 254 || CONTROL_RE.test(email) || !EMAIL_RE.test(email)) return [{ field: 'email', code: 'email_invalid', message: email.length > 254 || CONTROL_RE.test(email) ? 'That is not a valid e-mail address.' : `"${email}" is not a valid e-mail address.` }];
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
  // A name goes into mail headers and pages: line breaks, NUL and other control characters have no place in it.
  if (CONTROL_RE.test(name)) return [{ field: 'name', code: 'name_invalid', message: 'The name may not contain line breaks or control characters.' }];
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
  config: Pick<Config, 'secureCookies' | 'baseUrl'>;
  /** Outgoing mail (verification, reset, notices). Without it no mail is sent (unit tests of other rules). */
  mail?: Mailer;
  logger?: Logger;
  /** The clock, for tests of expiry. */
  now?: () => Date;
}

/** Where a request came from, for throttling and the audit trail. */
export interface Origin {
  ip: string;
}

export function createAccountsService({ db, config, mail, logger, now = () => new Date() }: AccountsDeps) {
  let dummyHash: Promise<string> | undefined;
  const iso = (d: Date = now()) => d.toISOString();
  const pendingMail = new Set<Promise<void>>();

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
      user: { id: user.id, email: user.email, name: user.name, isOperator: Boolean(user.is_operator), emailVerified: Boolean(user.email_verified_at) },
      memberships: await membershipsOf(db, user.id),
      scopes,
      via,
    };
  }

  /** The actor a web request acts as before it is signed in (anonymous), for audit entries of sign-in and reset. */
  function webActor(user?: User): Actor {
    if (!user) return ANONYMOUS;
    return { kind: 'user', user: { id: user.id, email: user.email, name: user.name, isOperator: Boolean(user.is_operator), emailVerified: Boolean(user.email_verified_at) }, memberships: {}, scopes: null, via: 'session' };
  }

  // --- mail ---

  /**
   * Sends a mail in the user's language after the caller has answered (the request does not wait for SMTP, and a
   * reset request takes the same time whether or not a mail goes out). The adapter writes the outbox copy first and
   * logs a failed delivery; a failed outbox write is logged here.
   */
  function sendLater(user: Pick<User, 'email' | 'name' | 'locale'>, kind: MailKind, link?: string): void {
    afterAnswer(kind, () => sendNow(user, kind, link));
  }

  async function sendNow(user: Pick<User, 'email' | 'name' | 'locale'>, kind: MailKind, link?: string): Promise<void> {
    if (!mail) return;
    const locale = isLocale(user.locale) ? user.locale : 'nb';
    await mail.send(composeMail(kind, { locale, name: user.name, email: user.email, link, baseUrl: config.baseUrl }));
  }

  /** Runs work after the caller has answered; a failure is logged (the outbox write, a database error). */
  function afterAnswer(what: string, work: () => Promise<void>): void {
    const p: Promise<void> = Promise.resolve()
      .then(work)
      .catch((err: unknown) => logger?.error({ err, what }, 'background account work failed'))
      .finally(() => pendingMail.delete(p));
    pendingMail.add(p);
  }

  /** Resolves when all work started after an answer (mail, reset links) has finished. For tests and shutdown. */
  async function mailSettled(): Promise<void> {
    while (pendingMail.size) await Promise.all([...pendingMail]);
  }

  function absolute(path: string): string {
    return `${config.baseUrl}${path}`;
  }

  // --- throttles (fixed windows in rate_limits) ---

  interface Counter {
    count: number;
    windowEnd: number;
    lastAt: number;
  }

  async function counter(key: string): Promise<Counter | undefined> {
    const row = await db.selectFrom('rate_limits').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    // Rows written before 20261201 have no expires_at: they were 15-minute windows.
    const windowEnd = row.expires_at ? Date.parse(row.expires_at) : Date.parse(row.window_start) + 15 * 60 * 1000;
    if (windowEnd <= now().getTime()) return undefined;
    return { count: Number(row.count), windowEnd, lastAt: Date.parse(row.last_at ?? row.window_start) };
  }

  async function bump(key: string, windowSeconds: number, subject: string | null = null): Promise<void> {
    const t = now();
    const updated = await db
      .updateTable('rate_limits')
      .set((eb) => ({ count: eb('count', '+', 1), last_at: iso(t) }))
      .where('key', '=', key)
      .where('expires_at', '>', iso(t))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    const values = { window_start: iso(t), count: 1, subject, last_at: iso(t), expires_at: new Date(t.getTime() + windowSeconds * 1000).toISOString() };
    await db
      .insertInto('rate_limits')
      .values({ key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }

  const secondsUntil = (ms: number) => Math.max(1, Math.ceil((ms - now().getTime()) / 1000));

  /** Refuses (429) when any key is at its limit; otherwise counts one more against each. */
  async function consume(keys: { key: string; max: number; windowSeconds: number; subject?: string }[]): Promise<void> {
    let retryAt = 0;
    for (const k of keys) {
      const c = await counter(k.key);
      if (c && c.count >= k.max) retryAt = Math.max(retryAt, c.windowEnd);
    }
    if (retryAt) throw new RateLimitedError(secondsUntil(retryAt));
    for (const k of keys) await bump(k.key, k.windowSeconds, k.subject ?? null);
  }

  /** Creates a user. ValidationError for a bad e-mail, name or password; ConflictError 'email_taken' on a duplicate. */
  async function createUser(input: { email: string; password: string; name: string; isOperator?: boolean; locale?: string; confirm?: string; emailVerified?: boolean }): Promise<User> {
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
      // An operator created from the command line is trusted with the address given; self-service sign-ups verify.
      email_verified_at: input.emailVerified ?? input.isOperator ? at : null,
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

  /**
   * Self-service sign-up (the web form): a normal, unverified user, and a verification mail. Throttled per IP (every
   * attempt counts, so the form cannot be used to test many addresses) and in all (accounts created).
   */
  async function signUp(input: { email: string; password: string; name: string; confirm?: string; locale?: string }, origin: Origin = { ip: 'unknown' }): Promise<User> {
    const global = await counter('signup:global');
    if (global && global.count >= THROTTLES.signUpGlobal.max) throw new RateLimitedError(secondsUntil(global.windowEnd));
    await consume([{ key: `signup:ip:${origin.ip}`, ...THROTTLES.signUpPerIp }]);
    const user = await createUser({ ...input, isOperator: false, emailVerified: false });
    await bump('signup:global', THROTTLES.signUpGlobal.windowSeconds);
    await recordAudit(db, webActor(user), { action: 'account.signup', resourceType: 'user', resourceId: user.id, details: { ip: origin.ip } });
    await sendVerification(user);
    return user;
  }

  // --- sign-in ---

  const signinKeys = (email: string, ip: string) => ({
    ip: `signin:ip:${ip}`,
    account: `signin:acct:${email}`,
    pair: `signin:pair:${email}|${ip}`,
    known: `signin:known:${email}|${ip}`,
  });

  /** The delay the account counter asks for after `n` failures (0 below the free allowance). */
  function accountDelaySeconds(n: number): number {
    const a = SIGNIN_LIMITS.account;
    if (n < a.free) return 0;
    return Math.min(a.maxDelaySeconds, a.baseDelaySeconds * 2 ** (n - a.free));
  }

  /**
   * Checks an e-mail address and password (the throttle is described at the top of this file). Too many failures →
   * RateLimitedError (429, seconds to wait), checked before the password; a wrong password or unknown address →
   * InvalidCredentialsError. Every failure and success is audited (the password never).
   */
  async function signIn(input: { email: string; password: string; ip: string }): Promise<User> {
    // Whatever was typed is counted under a bounded, control-free key (PostgreSQL text cannot hold NUL); an address
    // that is not valid cannot have an account and is never looked up.
    const typed = normaliseEmail(input.email);
    const email = typed.replace(CONTROL_RE_ALL, '').slice(0, 320);
    const lookup = emailProblems(typed).length === 0;
    const keys = signinKeys(email, input.ip);
    const [ipC, pairC, accountC, knownC] = await Promise.all([counter(keys.ip), counter(keys.pair), counter(keys.account), counter(keys.known)]);
    let retryAt = 0;
    if (ipC && ipC.count >= SIGNIN_LIMITS.ip.max) retryAt = Math.max(retryAt, ipC.windowEnd);
    if (pairC && pairC.count >= SIGNIN_LIMITS.pair.max) retryAt = Math.max(retryAt, pairC.windowEnd);
    const trustedIp = Boolean(knownC) && !pairC;
    if (accountC && !trustedIp) {
      const until = accountC.lastAt + accountDelaySeconds(accountC.count) * 1000;
      if (until > now().getTime()) retryAt = Math.max(retryAt, until);
    }
    if (retryAt) throw new RateLimitedError(secondsUntil(retryAt));

    const password = typeof input.password === 'string' ? input.password.slice(0, MAX_PASSWORD_LENGTH) : '';
    const user = lookup ? await findUserByEmail(email) : undefined;
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
      await bump(keys.ip, SIGNIN_LIMITS.ip.windowSeconds);
      await bump(keys.pair, SIGNIN_LIMITS.pair.windowSeconds, email);
      await bump(keys.account, SIGNIN_LIMITS.account.windowSeconds, email);
      // The operator may see which account was tried; an unknown address is recorded only as a hash.
      await recordAudit(db, ANONYMOUS, {
        action: 'account.signin.failed',
        resourceType: 'user',
        resourceId: user?.id ?? '',
        details: user ? { reason: 'wrong_password', ip: input.ip } : { reason: 'unknown_account', emailSha256: sha256(email), ip: input.ip },
      });
      throw new InvalidCredentialsError();
    }
    await db.deleteFrom('rate_limits').where('key', '=', keys.pair).execute();
    await db.deleteFrom('rate_limits').where('key', '=', keys.known).execute();
    await bump(keys.known, SIGNIN_LIMITS.knownIpSeconds, email);
    await recordAudit(db, webActor(user), { action: 'account.signin', resourceType: 'user', resourceId: user.id, details: { ip: input.ip } });
    return user;
  }

  // --- mailed links ---

  async function issueLink(user: User, purpose: AccountTokenPurpose): Promise<string> {
    const token = crypto.randomBytes(32).toString('base64url');
    const t = now();
    const ttl = purpose === 'verify_email' ? VERIFY_LINK_HOURS * 60 * 60 * 1000 : RESET_LINK_MINUTES * 60 * 1000;
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('account_tokens').where('user_id', '=', user.id).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
      await tx
        .insertInto('account_tokens')
        .values({ id: crypto.randomUUID(), user_id: user.id, purpose, token_hash: sha256(token), email: user.email, created_at: iso(t), expires_at: new Date(t.getTime() + ttl).toISOString(), used_at: null })
        .execute();
    });
    return token;
  }

  /** Looks a link up without using it: the page a link opens (GET) shows what the button will do. */
  async function inspectLink(purpose: AccountTokenPurpose, token: unknown, actor: Actor): Promise<{ user: User; tokenId: string }> {
    if (typeof token !== 'string' || !LINK_TOKEN_RE.test(token)) throw new LinkError(400, 'link_malformed', 'The link is incomplete or damaged. Copy the whole link from the mail.');
    const row = await db.selectFrom('account_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.purpose !== purpose) throw new LinkError(404, 'link_not_found', 'The link is not valid. It may have been replaced by a newer one.');
    const user = await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
    if (!user || user.email !== row.email) throw new LinkError(404, 'link_not_found', 'The link is not valid. It may have been replaced by a newer one.');
    if (actor.user && actor.user.id !== user.id) throw new LinkError(403, 'link_other_account', 'The link belongs to another account. Sign out and open it again.');
    if (row.used_at) throw new LinkError(410, 'link_used', 'The link has already been used.');
    if (Date.parse(row.expires_at) <= now().getTime()) throw new LinkError(410, 'link_expired', 'The link has expired. Ask for a new one.');
    return { user, tokenId: row.id };
  }

  /** Marks a link used inside the transaction of its effect; a second use racing this one gets link_used. */
  async function useLink(tx: DbOrTx, tokenId: string): Promise<void> {
    const r = await tx.updateTable('account_tokens').set({ used_at: iso() }).where('id', '=', tokenId).where('used_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new LinkError(410, 'link_used', 'The link has already been used.');
  }

  async function sendVerification(user: User): Promise<void> {
    const token = await issueLink(user, 'verify_email');
    sendLater(user, 'verify', absolute(urls.verifyEmail(token)));
  }

  /** What the verification page shows before the button is pressed. */
  async function checkVerificationLink(actor: Actor, token: unknown): Promise<{ email: string }> {
    const { user } = await inspectLink('verify_email', token, actor);
    return { email: user.email };
  }

  /** Confirms the address the link was sent to (the POST of the page the link opens). */
  async function verifyEmail(actor: Actor, token: unknown, origin: Origin): Promise<User> {
    const { user, tokenId } = await inspectLink('verify_email', token, actor);
    await db.transaction().execute(async (tx) => {
      await useLink(tx, tokenId);
      await tx.updateTable('users').set({ email_verified_at: iso(), updated_at: iso() }).where('id', '=', user.id).where('email', '=', user.email).execute();
      await recordAudit(tx, actor.user ? actor : webActor(user), { action: 'account.email.verified', resourceType: 'user', resourceId: user.id, details: { ip: origin.ip } });
    });
    return getUser(user.id);
  }

  /** "Send the mail again" on the account page: throttled per account; a verified address gets nothing. */
  async function resendVerification(actor: Actor): Promise<{ sent: boolean }> {
    const actorUser = requireUser(actor);
    if (actor.via === 'token') throw new ForbiddenError('Ask for a new verification mail in the web interface.', 'session_required');
    const user = await getUser(actorUser.id);
    if (user.email_verified_at) return { sent: false };
    await consume([{ key: `verify:acct:${user.id}`, ...THROTTLES.resendPerAccount }]);
    await sendVerification(user);
    return { sent: true };
  }

  /**
   * "Forgot password": always the same answer (nothing), throttled per address and per IP whether the address has
   * an account or not; a mail with a one-hour link goes out after the answer when it has.
   */
  async function requestPasswordReset(input: { email: string }, origin: Origin): Promise<void> {
    const email = normaliseEmail(input.email);
    const problems = emailProblems(email);
    if (problems.length) throw new ValidationError(problems);
    await consume([
      { key: `reset:email:${email}`, ...THROTTLES.resetPerEmail, subject: email },
      { key: `reset:ip:${origin.ip}`, ...THROTTLES.resetPerIp },
    ]);
    const user = await findUserByEmail(email);
    if (!user) return;
    // Everything that only happens for a real account happens after the answer, so the answer takes the same time.
    afterAnswer('reset', async () => {
      const token = await issueLink(user, 'reset_password');
      await recordAudit(db, ANONYMOUS, { action: 'account.password.reset_requested', resourceType: 'user', resourceId: user.id, details: { ip: origin.ip } });
      await sendNow(user, 'reset', absolute(urls.resetPassword(token)));
    });
  }

  async function checkResetLink(actor: Actor, token: unknown): Promise<{ email: string }> {
    const { user } = await inspectLink('reset_password', token, actor);
    return { email: user.email };
  }

  /**
   * Sets a new password from a reset link: every session of the account ends, its sign-in counters are cleared, the
   * address counts as verified (the link reached it), and a "your password was changed" notice goes out.
   */
  async function resetPassword(actor: Actor, input: { token: unknown; password: string; confirm?: string }, origin: Origin): Promise<User> {
    const { user, tokenId } = await inspectLink('reset_password', input.token, actor);
    const problems = passwordProblems(input.password);
    if (input.confirm !== undefined && input.confirm !== input.password) problems.push({ field: 'confirm', code: 'password_mismatch', message: 'The two passwords are not the same.' });
    if (problems.length) throw new ValidationError(problems);
    const passwordHash = await hashPassword(input.password);
    await db.transaction().execute(async (tx) => {
      await useLink(tx, tokenId);
      await tx.updateTable('users').set({ password_hash: passwordHash, email_verified_at: user.email_verified_at ?? iso(), updated_at: iso() }).where('id', '=', user.id).execute();
      await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      await tx.deleteFrom('rate_limits').where('subject', '=', user.email).where('key', 'not like', 'signin:known:%').execute();
      await tx.deleteFrom('account_tokens').where('user_id', '=', user.id).where('purpose', '=', 'reset_password').where('used_at', 'is', null).execute();
      await recordAudit(tx, webActor(user), { action: 'account.password.reset', resourceType: 'user', resourceId: user.id, details: { ip: origin.ip } });
    });
    sendLater(user, 'password_changed');
    return getUser(user.id);
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

  /** Ends the session in use (the sign-out button) and records it. */
  async function signOut(actor: Actor, token: string | undefined): Promise<void> {
    if (!token) return;
    const s = await db.selectFrom('sessions').select(['user_id']).where('id', '=', sha256(token)).executeTakeFirst();
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
      if (s) await recordAudit(tx, actor, { action: 'account.signout', resourceType: 'user', resourceId: s.user_id });
    });
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
    else if (CONTROL_RE.test(name)) problems.push({ field: 'name', code: 'token_name_invalid', message: 'The token name may not contain line breaks or control characters.' });
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
  async function createTokenForUser(userId: string, input: { name: string; scopes?: TokenScope[] | string[]; expiresInDays?: number | null }, actor: Actor = CLI_ACTOR): Promise<{ token: string; record: ApiTokenPublic }> {
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
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('api_tokens').values(row).execute();
      await recordAudit(tx, actor, { action: 'account.token.create', resourceType: 'api_token', resourceId: row.id, details: { userId, name, scopes } });
    });
    return { token, record: presentToken(row) };
  }

  async function createToken(actor: Actor, input: { name: string; scopes?: TokenScope[] | string[]; expiresInDays?: number | null }): Promise<{ token: string; record: ApiTokenPublic }> {
    const user = requireUser(actor);
    requireAccountScope(actor);
    return createTokenForUser(user.id, input, actor);
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
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('api_tokens').set({ revoked_at: iso() }).where('id', '=', id).execute();
      await recordAudit(tx, actor, { action: 'account.token.revoke', resourceType: 'api_token', resourceId: id, details: { userId: user.id } });
    });
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
   * script learns why) or a machine client's `Bearer dfm_…` access token (src/identity/client-tokens.ts), else the session cookie (unknown or expired → anonymous), else anonymous.
   */
  async function resolveActor(input: { sessionToken?: string; authorization?: string; userAgent?: string }): Promise<Actor> {
    const auth = input.authorization?.trim();
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      // A machine client's access token (dfm_…, from POST /api/v1/oauth/token) resolves to its client Actor.
      if (m?.[1] && isClientToken(m[1])) return actorFromClientToken(db, m[1], now());
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
      await recordAudit(tx, actor, { action: 'account.password.change', resourceType: 'user', resourceId: user.id });
    });
    sendLater(user, 'password_changed');
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

  /** Removes expired sessions, ended rate-limit windows and expired or used mailed links (for a periodic job or the CLI). */
  async function purgeExpired(): Promise<{ sessions: number; rateLimits: number; links: number }> {
    const t = iso();
    const s = await db.deleteFrom('sessions').where('expires_at', '<=', t).executeTakeFirst();
    const legacyCutoff = new Date(now().getTime() - 15 * 60 * 1000).toISOString();
    const r = await db
      .deleteFrom('rate_limits')
      .where((eb) => eb.or([eb('expires_at', '<=', t), eb.and([eb('expires_at', 'is', null), eb('window_start', '<=', legacyCutoff)])]))
      .executeTakeFirst();
    const l = await db.deleteFrom('account_tokens').where((eb) => eb.or([eb('expires_at', '<=', t), eb('used_at', 'is not', null)])).executeTakeFirst();
    return { sessions: Number(s.numDeletedRows), rateLimits: Number(r.numDeletedRows), links: Number(l.numDeletedRows) };
  }

  return {
    sessionTokenFrom,
    resolveActor,
    createUser,
    signUp,
    signIn,
    signOut,
    checkVerificationLink,
    verifyEmail,
    resendVerification,
    requestPasswordReset,
    checkResetLink,
    resetPassword,
    mailSettled,
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
