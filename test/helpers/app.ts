// The real application on a fresh database for HTTP tests (STYLE §14): SQLite in a temp directory by default, a new
// PostgreSQL database when DATABASE_URL is set. Usage:
//   const t = await createTestApp();
//   afterAll(() => t.close());
//   const alice = await signUpAndSignIn(t.app, { email: 'alice@example.no', password: 'correct horse battery', name: 'Alice' });
//   await t.app.inject({ method: 'POST', url: '/konto/tokens', headers: { ...FORM_HEADERS, cookie: alice.cookie }, payload: form({ _csrf: alice.csrf, name: 'x' }) });
//   const token = await bearerFor(t.services, 'alice@example.no', ['read', 'write']);
//   await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { TokenScope } from '../../src/accounts/model';
import { loadConfig } from '../../src/config';
import type { Db } from '../../src/database';
import { openPlatform, type Platform } from '../../src/platform/index';
import { buildApp } from '../../src/server';
import { createServices, type Services } from '../../src/services';
import { createTestEnv } from './db';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  platform: Platform;
  db: Db;
  /** Closes the app and the platform, drops the PostgreSQL database and removes the temp directory. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment for loadConfig, e.g. { BASE_URL: 'https://data.example.no', BODY_LIMIT: '2048' }. */
  env?: Record<string, string>;
  /** Start the job worker (default false: tests that need jobs call services.jobs.start() or drain()). */
  startJobs?: boolean;
}

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const env = await createTestEnv('df-app-');
  const { dataDir, databaseUrl } = env;
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    WORKER: 'false',
    // Tests never wait on the network: Enhetsregisteret is off unless a test points it at a loopback server.
    REGISTRY_URL: '',
    ...opts.env,
  });
  const logger = pino({ level: 'silent' });
  let platform: Platform | undefined;
  try {
    platform = await openPlatform(config, logger);
    const services = createServices(platform);
    if (opts.startJobs) {
      const tables = services.tables as { registerJobs?: () => void };
      tables.registerJobs?.();
      await services.jobs.start();
    }
    const app = await buildApp({ services, logger });
    await app.ready();
    const opened = platform;
    return {
      app,
      services,
      platform: opened,
      db: opened.dbh.db,
      async close() {
        await app.close();
        await opened.close();
        await env.cleanup();
      },
    };
  } catch (err) {
    await platform?.close().catch(() => undefined);
    await env.cleanup();
    throw err;
  }
}

// --- multipart bodies -----------------------------------------------------------------------------------------------

/** A multipart/form-data body: the fields in order, then (optionally) one file part named `file`. */
export function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer; type?: string }): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----df${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`));
    parts.push(file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

// --- cookies -----------------------------------------------------------------------------------------------------------

/** The name=value pairs a response sets (Set-Cookie), without attributes. */
export function setCookies(res: { headers: Record<string, unknown> }): Record<string, string> {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const out: Record<string, string> = {};
  for (const c of list) {
    const first = c.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    if (eq > 0) out[first.slice(0, eq).trim()] = first.slice(eq + 1).trim();
  }
  return out;
}

/** The raw Set-Cookie header line for one cookie (to assert its flags). */
export function setCookieLine(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  return list.find((c) => c.startsWith(`${name}=`));
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** GETs a page to obtain the df_csrf cookie; returns the token (the raw cookie value) and the cookie pair. */
export async function csrfFor(app: FastifyInstance, pageUrl = '/logg-inn'): Promise<{ csrf: string; cookies: Record<string, string> }> {
  const res = await app.inject({ method: 'GET', url: pageUrl });
  const cookies = setCookies(res);
  const csrf = cookies.df_csrf;
  if (!csrf) throw new Error(`GET ${pageUrl} did not set df_csrf (status ${res.statusCode})`);
  return { csrf: decodeURIComponent(csrf), cookies: { df_csrf: csrf } };
}

/** An application/x-www-form-urlencoded body, as a browser sends it (arrays become repeated fields). */
export function form(fields: Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  return params.toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

export interface SignedIn {
  /** Cookie header carrying df_session and df_csrf. */
  cookie: string;
  /** The CSRF token to post as `_csrf` with forms. */
  csrf: string;
  userId: string;
}

/** The `_csrf` value of the first form on a page (signed-in tokens are derived from the session, not the cookie). */
export async function csrfFromPage(app: FastifyInstance, cookie: string, pageUrl = '/konto'): Promise<string> {
  const page = await app.inject({ method: 'GET', url: pageUrl, headers: { cookie } });
  const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
  if (!m?.[1]) throw new Error(`GET ${pageUrl} has no _csrf field (status ${page.statusCode})`);
  return m[1];
}

async function finishSignIn(app: FastifyInstance, res: { statusCode: number; headers: Record<string, unknown>; body: string }, csrfCookies: Record<string, string>, what: string): Promise<SignedIn> {
  const set = setCookies(res);
  const session = set.df_session;
  if (res.statusCode !== 303 || !session) throw new Error(`${what} failed: status ${res.statusCode}\n${res.body.slice(0, 2000)}`);
  // Signing in rotates the CSRF cookie; the form token is then bound to the new session.
  const cookie = cookieHeader({ ...csrfCookies, ...(set.df_csrf ? { df_csrf: set.df_csrf } : {}), df_session: session });
  const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
  if (me.statusCode !== 200) throw new Error(`GET /api/v1/me after ${what} returned ${me.statusCode}: ${me.body}`);
  const userId = (me.json() as { id: string }).id;
  return { cookie, csrf: await csrfFromPage(app, cookie), userId };
}

/** Signs up through the real form flow (GET /registrer for the CSRF cookie, POST the form) and returns the session. */
export async function signUpAndSignIn(app: FastifyInstance, user: { email: string; password: string; name: string; ip?: string }): Promise<SignedIn> {
  const { csrf, cookies } = await csrfFor(app, '/registrer');
  const res = await app.inject({
    method: 'POST',
    url: '/registrer',
    // Sign-up is throttled per IP (10 an hour): tests creating many users pass their own addresses.
    remoteAddress: user.ip,
    headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) },
    payload: form({ name: user.name, email: user.email, password: user.password, confirm: user.password, _csrf: csrf }),
  });
  return finishSignIn(app, res, cookies, `Sign-up of ${user.email}`);
}

/** Signs an existing user in through the form (GET /logg-inn, POST /logg-inn). */
export async function signIn(app: FastifyInstance, user: { email: string; password: string }): Promise<SignedIn> {
  const { csrf, cookies } = await csrfFor(app, '/logg-inn');
  const res = await app.inject({
    method: 'POST',
    url: '/logg-inn',
    headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) },
    payload: form({ email: user.email, password: user.password, _csrf: csrf }),
  });
  return finishSignIn(app, res, cookies, `Sign-in of ${user.email}`);
}

/** Creates an API token for an existing user and returns the raw `df_…` token. */
export async function bearerFor(services: Services, email: string, scopes: TokenScope[] = ['read', 'write', 'admin']): Promise<string> {
  const user = await services.accounts.findUserByEmail(email);
  if (!user) throw new Error(`bearerFor: no user with email ${email}`);
  const { token } = await services.accounts.createTokenForUser(user.id, { name: `test ${path.basename(email)}`, scopes });
  return token;
}
