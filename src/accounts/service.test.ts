// The accounts rules on a real, migrated database (SQLite by default, PostgreSQL when DATABASE_URL is set):
// password hashing, sessions and their sliding expiry, API tokens, and the sign-in rate limits. The clock is injected.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError, UnauthenticatedError, ValidationError } from '../errors';
import { createAccountsService, hashPassword, InvalidCredentialsError, SESSION_DAYS, sha256, SIGNIN_LIMITS, verifyPassword, type AccountsService } from './service';

const DAY = 24 * 60 * 60 * 1000;
const PASSWORD = 'korrekt hest batteri stift';

let tdb: TestDb;
let accounts: AccountsService;
let clock: Date;
let seq = 0;

function uniqueEmail(tag: string): string {
  seq += 1;
  return `${tag}-${seq}@example.no`;
}

async function newUser(tag = 'user') {
  return accounts.createUser({ email: uniqueEmail(tag), password: PASSWORD, name: `Kari ${tag}` });
}

function later(ms: number): void {
  clock = new Date(clock.getTime() + ms);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

beforeAll(async () => {
  tdb = await createTestDb();
  accounts = createAccountsService({ db: tdb.db, config: { secureCookies: false }, now: () => clock });
});
afterAll(() => tdb.destroy());
beforeEach(() => {
  clock = new Date('2026-11-26T12:00:00.000Z');
});

describe('password hashing', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const h = await hashPassword('et langt passord');
    expect(h.startsWith('$argon2id$')).toBe(true);
    expect(h).not.toContain('et langt passord');
    expect(await verifyPassword(h, 'et langt passord')).toBe(true);
    expect(await verifyPassword(h, 'et langt passorD')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'et langt passord')).toBe(false);
    expect(await hashPassword('et langt passord')).not.toBe(h); // salted
  });
});

describe('createUser', () => {
  it('stores a lower-cased e-mail and an argon2id hash, never the password', async () => {
    const u = await accounts.createUser({ email: '  Ola.Nordmann@Example.NO ', password: PASSWORD, name: ' Ola ' });
    expect(u.email).toBe('ola.nordmann@example.no');
    expect(u.name).toBe('Ola');
    const row = await tdb.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.password_hash?.startsWith('$argon2id$')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    expect((await accounts.findUserByEmail('OLA.NORDMANN@example.no'))?.id).toBe(u.id);
  });

  it('rejects a duplicate e-mail in any case with 409 email_taken', async () => {
    const email = uniqueEmail('dup');
    await accounts.createUser({ email, password: PASSWORD, name: 'A' });
    const err = await rejection(accounts.createUser({ email: email.toUpperCase(), password: PASSWORD, name: 'B' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe('email_taken');
    expect((err as ConflictError).status).toBe(409);
  });

  it('names every problem at once: name, e-mail, short password, mismatch', async () => {
    const err = await rejection(accounts.signUp({ email: 'ikke-en-adresse', password: 'kort', name: '  ', confirm: 'annet' }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => `${p.field}:${p.code}`)).toEqual(['name:name_required', 'email:email_invalid', 'password:password_too_short', 'confirm:password_mismatch']);
    expect((err as ValidationError).status).toBe(422);
  });

  it('getUser of an unknown id is 404 user_not_found', async () => {
    const err = await rejection(accounts.getUser('nope'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('user_not_found');
  });
});

describe('sessions', () => {
  it('stores only the sha-256 of the cookie value and resolves it to the user with memberships', async () => {
    const u = await newUser('sess');
    const at = clock.toISOString();
    await tdb.db.insertInto('organizations').values({ orgnr: '974760673', name: 'Brønnøysundregistrene', org_form: 'ORGL', municipality: null, homepage: null, created_at: at, updated_at: at }).execute();
    await tdb.db.insertInto('memberships').values({ orgnr: '974760673', user_id: u.id, role: 'editor', created_at: at }).execute();

    const token = await accounts.createSession(u.id, 'vitest');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await tdb.db.selectFrom('sessions').selectAll().where('user_id', '=', u.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(sha256(token));
    expect(rows[0]?.expires_at).toBe(new Date(clock.getTime() + SESSION_DAYS * DAY).toISOString());

    const actor = await accounts.resolveActor({ sessionToken: token });
    expect(actor).toMatchObject({ kind: 'user', via: 'session', scopes: null, user: { id: u.id, email: u.email, isOperator: false }, memberships: { '974760673': 'editor' } });
    expect((await accounts.listMemberships(u.id))).toEqual([{ orgnr: '974760673', name: 'Brønnøysundregistrene', role: 'editor' }]);
  });

  it('slides the expiry on use and ends 14 days after the last use', async () => {
    const u = await newUser('slide');
    const token = await accounts.createSession(u.id, null);
    later(10 * DAY);
    expect((await accounts.resolveActor({ sessionToken: token })).kind).toBe('user');
    later(10 * DAY); // 20 days after sign-in, 10 after the last use
    expect((await accounts.resolveActor({ sessionToken: token })).kind).toBe('user');
    later(SESSION_DAYS * DAY + 1000); // unused for more than 14 days
    expect((await accounts.resolveActor({ sessionToken: token })).kind).toBe('anonymous');
    expect(await tdb.db.selectFrom('sessions').select('id').where('id', '=', sha256(token)).executeTakeFirst()).toBeUndefined();
  });

  it('an unknown or destroyed session is anonymous, not an error', async () => {
    const u = await newUser('destroy');
    const token = await accounts.createSession(u.id, null);
    await accounts.destroySession(token);
    expect((await accounts.resolveActor({ sessionToken: token })).kind).toBe('anonymous');
    expect((await accounts.resolveActor({ sessionToken: 'x'.repeat(43) })).kind).toBe('anonymous');
    expect((await accounts.resolveActor({})).kind).toBe('anonymous');
  });
});

describe('changePassword', () => {
  it('checks the current password, then signs out every other session', async () => {
    const u = await newUser('pw');
    const keep = await accounts.createSession(u.id, 'this browser');
    const other = await accounts.createSession(u.id, 'another browser');
    const actor = await accounts.resolveActor({ sessionToken: keep });

    const wrong = await rejection(accounts.changePassword(actor, { current: 'feil passord her', next: 'et nytt og langt passord', keepSession: keep }));
    expect((wrong as ValidationError).problems[0]?.code).toBe('current_password_wrong');
    const short = await rejection(accounts.changePassword(actor, { current: PASSWORD, next: 'kort', keepSession: keep }));
    expect((short as ValidationError).problems[0]?.code).toBe('password_too_short');

    await accounts.changePassword(actor, { current: PASSWORD, next: 'et nytt og langt passord', keepSession: keep });
    expect((await accounts.resolveActor({ sessionToken: keep })).kind).toBe('user');
    expect((await accounts.resolveActor({ sessionToken: other })).kind).toBe('anonymous');
    await expect(accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.0.0.1' })).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect((await accounts.signIn({ email: u.email, password: 'et nytt og langt passord', ip: '10.0.0.1' })).id).toBe(u.id);
  });
});

describe('API tokens', () => {
  it('creates df_ tokens, stores only their sha-256, defaults to read and resolves Bearer to a scoped actor', async () => {
    const u = await newUser('tok');
    const actor = await accounts.resolveActor({ sessionToken: await accounts.createSession(u.id, null) });
    const { token, record } = await accounts.createToken(actor, { name: 'nattlig opplasting' });
    expect(token).toMatch(/^df_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'nattlig opplasting', prefix: token.slice(0, 10), scopes: ['read'], expiresAt: null, lastUsedAt: null, revokedAt: null });
    const row = await tdb.db.selectFrom('api_tokens').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);

    const viaToken = await accounts.resolveActor({ authorization: `Bearer ${token}` });
    expect(viaToken).toMatchObject({ kind: 'user', via: 'token', scopes: ['read'], user: { id: u.id } });
    const used = await tdb.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(used.last_used_at).toBe(clock.toISOString());
    expect((await accounts.listTokens(actor)).map((t) => t.id)).toEqual([record.id]);
  });

  it('validates scopes and expiry (at most 365 days)', async () => {
    const u = await newUser('tokval');
    const problems = async (input: Parameters<AccountsService['createTokenForUser']>[1]) => ((await rejection(accounts.createTokenForUser(u.id, input))) as ValidationError).problems.map((p) => p.code);
    expect(await problems({ name: 'x', scopes: ['read', 'superuser'] })).toEqual(['scope_unknown']);
    expect(await problems({ name: 'x', scopes: [] })).toEqual(['scopes_required']);
    expect(await problems({ name: 'x', expiresInDays: 366 })).toEqual(['expiry_invalid']);
    expect(await problems({ name: 'x', expiresInDays: 0 })).toEqual(['expiry_invalid']);
    expect(await problems({ name: ' ' })).toEqual(['token_name_required']);
    const { record } = await accounts.createTokenForUser(u.id, { name: 'ok', scopes: ['admin', 'read'], expiresInDays: 365 });
    expect(record.scopes).toEqual(['read', 'admin']);
    expect(record.expiresAt).toBe(new Date(clock.getTime() + 365 * DAY).toISOString());
  });

  it('rejects expired, revoked and unknown tokens with a clear 401', async () => {
    const u = await newUser('tokexp');
    const { token: shortLived, record: shortRecord } = await accounts.createTokenForUser(u.id, { name: 'kort', expiresInDays: 30 });
    later(29 * DAY);
    expect((await accounts.resolveActor({ authorization: `Bearer ${shortLived}` })).kind).toBe('user');
    later(2 * DAY);
    const expired = await rejection(accounts.resolveActor({ authorization: `Bearer ${shortLived}` }));
    expect(expired).toBeInstanceOf(UnauthenticatedError);
    expect((expired as Error).message).toMatch(/expired/);

    const actor = await accounts.resolveActor({ sessionToken: await accounts.createSession(u.id, null) });
    const { token, record } = await accounts.createToken(actor, { name: 'tilbakekalles', scopes: ['write'] });
    await accounts.revokeToken(actor, record.id);
    const revoked = await rejection(accounts.resolveActor({ authorization: `Bearer ${token}` }));
    expect((revoked as Error).message).toMatch(/revoked/);
    // Revoked tokens leave the list; expired ones stay (with their past expiry) until revoked.
    expect((await accounts.listTokens(actor)).map((t) => t.id)).toEqual([shortRecord.id]);

    const unknown = await rejection(accounts.resolveActor({ authorization: `Bearer df_${'A'.repeat(43)}` }));
    expect(unknown).toBeInstanceOf(UnauthenticatedError);
    expect(await rejection(accounts.resolveActor({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeInstanceOf(UnauthenticatedError);
    // A bad token is an error even with a valid session alongside it: a script must learn its token is wrong.
    expect(await rejection(accounts.resolveActor({ authorization: 'Bearer nope', sessionToken: 'whatever' }))).toBeInstanceOf(UnauthenticatedError);
  });

  it("revoking someone else's token is 404, and a token without admin scope cannot mint tokens", async () => {
    const owner = await newUser('owner');
    const stranger = await newUser('stranger');
    const { record } = await accounts.createTokenForUser(owner.id, { name: 'mine' });
    const strangerActor = await accounts.resolveActor({ sessionToken: await accounts.createSession(stranger.id, null) });
    expect(await rejection(accounts.revokeToken(strangerActor, record.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(accounts.revokeToken(strangerActor, 'no-such-id'))).toBeInstanceOf(NotFoundError);

    const { token: readToken } = await accounts.createTokenForUser(owner.id, { name: 'read', scopes: ['read', 'write'] });
    const readActor = await accounts.resolveActor({ authorization: `Bearer ${readToken}` });
    expect(await rejection(accounts.createToken(readActor, { name: 'escalate', scopes: ['admin'] }))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(accounts.createToken({ kind: 'anonymous', user: null, memberships: {}, scopes: null, via: 'anonymous' }, { name: 'x' }))).toBeInstanceOf(UnauthenticatedError);
  });
});

describe('sign-in and its rate limits', () => {
  it('signs in with the right password in any e-mail case and rejects a wrong one', async () => {
    const u = await newUser('signin');
    expect((await accounts.signIn({ email: u.email.toUpperCase(), password: PASSWORD, ip: '10.1.0.1' })).id).toBe(u.id);
    await expect(accounts.signIn({ email: u.email, password: 'feil passord!', ip: '10.1.0.1' })).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(accounts.signIn({ email: 'finnes.ikke@example.no', password: PASSWORD, ip: '10.1.0.1' })).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it(`locks an e-mail address after ${SIGNIN_LIMITS.perEmail} failures for the rest of the window, even with the right password`, async () => {
    const u = await newUser('limit');
    for (let i = 0; i < SIGNIN_LIMITS.perEmail; i++) {
      await expect(accounts.signIn({ email: u.email, password: 'feil passord!', ip: `10.2.0.${i}` })).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    later(60_000);
    const err = await rejection(accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.2.1.1' }));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).status).toBe(429);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(SIGNIN_LIMITS.windowSeconds - 60);
    later(SIGNIN_LIMITS.windowSeconds * 1000);
    expect((await accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.2.1.1' })).id).toBe(u.id);
  });

  it('a success clears the e-mail counter', async () => {
    const u = await newUser('clear');
    const fail = () => expect(accounts.signIn({ email: u.email, password: 'feil passord!', ip: '10.3.0.1' })).rejects.toBeInstanceOf(InvalidCredentialsError);
    for (let i = 0; i < SIGNIN_LIMITS.perEmail - 1; i++) await fail();
    await accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.3.0.1' });
    for (let i = 0; i < SIGNIN_LIMITS.perEmail - 1; i++) await fail();
    expect((await accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.3.0.1' })).id).toBe(u.id);
  });

  it(`limits one IP address to ${SIGNIN_LIMITS.perIp} failures across many e-mail addresses`, async () => {
    for (let i = 0; i < SIGNIN_LIMITS.perIp; i++) {
      await expect(accounts.signIn({ email: `spray-${i}@example.no`, password: 'feil passord!', ip: '10.4.0.1' })).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    const u = await newUser('victim');
    await expect(accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.4.0.1' })).rejects.toBeInstanceOf(RateLimitedError);
    expect((await accounts.signIn({ email: u.email, password: PASSWORD, ip: '10.4.0.2' })).id).toBe(u.id);
  });

  it('spends about the same time on an unknown e-mail as on a wrong password', async () => {
    const u = await newUser('timing');
    const time = async (email: string, i: number) => {
      const t0 = performance.now();
      await accounts.signIn({ email, password: 'feil passord!', ip: `10.5.${i}.1` }).catch(() => undefined);
      return performance.now() - t0;
    };
    await time('warmup@example.no', 99);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time(u.email, i));
      unknown.push(await time(`ukjent-${i}@example.no`, i + 10));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(`sign-in timing (median ms): wrong password ${median(known).toFixed(1)}, unknown e-mail ${median(unknown).toFixed(1)}`);
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(unknown)).toBeLessThan(median(known) * 2);
  });
});
