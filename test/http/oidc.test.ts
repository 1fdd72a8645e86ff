// OpenID Connect sign-in against a real OpenID provider (oidc-provider on 127.0.0.1, playing ID-porten): the code flow
// with PKCE, state and nonce bound to the browser, the acr minimum, linking to existing accounts, creating accounts,
// linking and unlinking from the account page, and every way the callback can be wrong (no session in any of them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_CALLBACK_PATH } from '../../src/identity/service';
import { cookieHeader, createTestApp, csrfFor, csrfFromPage, form, FORM_HEADERS, setCookieLine, setCookies, signIn, type TestApp } from '../helpers/app';
import { loginAtProvider, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider';

const BASE = 'https://data.example.no';
let op: TestOidcProvider;
let t: TestApp;

interface Started {
  authUrl: URL;
  cookies: Record<string, string>;
}

/** GET /logg-inn, then the "Logg inn med ID-porten" form: the app answers with a redirect to the provider. */
async function startSignIn(app = t.app, extra: Record<string, string> = {}): Promise<Started> {
  const { csrf, cookies } = await csrfFor(app, '/logg-inn');
  const res = await app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf, ...extra }) });
  expect(res.statusCode, res.body).toBe(303);
  const flow = setCookies(res).df_oidc;
  expect(flow).toBeTruthy();
  return { authUrl: new URL(String(res.headers.location)), cookies: { ...cookies, df_oidc: flow! } };
}

async function callback(started: Started, callbackUrl: URL, app = t.app) {
  return app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}`, headers: { cookie: cookieHeader(started.cookies) } });
}

/** A whole sign-in: app → provider login → callback. */
async function signInAtProvider(login: string, acr?: string) {
  const started = await startSignIn();
  const back = await loginAtProvider(started.authUrl.href, { login, acr });
  return { started, back, res: await callback(started, back) };
}

async function whoAmI(res: { headers: Record<string, unknown> }): Promise<{ status: number; email?: string }> {
  const session = setCookies(res).df_session;
  if (!session) return { status: 401 };
  const me = await t.app.inject({ url: '/api/v1/me', headers: { cookie: `df_session=${session}` } });
  return { status: me.statusCode, email: me.statusCode === 200 ? me.json().email : undefined };
}

beforeAll(async () => {
  op = await startOidcProvider({ redirectUris: [`${BASE}${OIDC_CALLBACK_PATH}`] });
  t = await createTestApp({
    env: { BASE_URL: BASE, OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_ACR_MIN: 'idporten-loa-substantial', OIDC_LABEL: 'ID-porten' },
  });
  await t.services.accounts.createUser({ email: 'kari@example.no', password: 'correct horse battery', name: 'Kari Nordmann', emailVerified: true });
  await t.services.accounts.createUser({ email: 'pre@example.no', password: 'attacker knows this', name: 'Pre-registered' });
  await t.services.accounts.createUser({ email: 'ola@example.no', password: 'correct horse battery', name: 'Ola' });
  op.users.set('sub-kari', { email: 'kari@example.no', emailVerified: true, name: 'Kari Nordmann' });
  op.users.set('sub-new', { email: 'ny@example.no', emailVerified: true, name: 'Ny Bruker' });
  op.users.set('sub-unverified', { email: 'ola@example.no', emailVerified: false });
  op.users.set('sub-noemail', {});
  op.users.set('sub-pre', { email: 'pre@example.no', emailVerified: true });
  op.users.set('sub-bad-email', { email: 'not an address\r\nBcc: x@y.no', emailVerified: true });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await op?.close();
});

describe('OIDC sign-in', () => {
  it('the sign-in page offers "Logg inn med ID-porten" (a POST form with the CSRF token)', async () => {
    const page = await t.app.inject({ url: '/logg-inn' });
    expect(page.body).toContain('Logg inn med ID-porten');
    expect(page.body).toMatch(/<form method="post" action="\/logg-inn\/oidc">\s*<input type="hidden" name="_csrf"/);
    const en = await t.app.inject({ url: '/logg-inn?lang=en' });
    expect(en.body).toContain('Sign in with ID-porten');
  });

  it('the CSP lets forms lead to the provider (a form submission’s redirects are checked against form-action)', async () => {
    const page = await t.app.inject({ url: '/logg-inn' });
    expect(String(page.headers['content-security-policy'])).toContain(`form-action 'self' ${op.issuer};`);
  });

  it('starting needs the CSRF token', async () => {
    const { cookies } = await csrfFor(t.app, '/logg-inn');
    const res = await t.app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({}) });
    expect(res.statusCode).toBe(403);
    expect(res.headers.location).toBeUndefined();
  });

  it('signs in through the loopback OpenID provider with PKCE (S256), state, nonce and acr_values, and lands signed in', async () => {
    const started = await startSignIn(t.app, { next: '/datasett' });
    const q = started.authUrl.searchParams;
    expect(started.authUrl.origin).toBe(op.issuer);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('acr_values')).toBe('idporten-loa-substantial');
    expect(q.get('redirect_uri')).toBe(`${BASE}${OIDC_CALLBACK_PATH}`);
    expect(q.get('code_verifier')).toBeNull();
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    expect(back.pathname).toBe(OIDC_CALLBACK_PATH);
    const res = await callback(started, back);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/datasett');
    expect(setCookieLine(res, 'df_oidc')).toMatch(/Max-Age=0/);
    expect(await whoAmI(res)).toEqual({ status: 200, email: 'kari@example.no' });
    const link = await t.db.selectFrom('oidc_links').selectAll().where('subject', '=', 'sub-kari').executeTakeFirst();
    expect(link?.issuer).toBe(op.issuer);
    const audit = await t.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'account.signin.oidc').execute();
    expect(audit.some((a) => JSON.parse(a.details).how === 'email')).toBe(true);
  });

  it('the flow cookie is HttpOnly, SameSite=Lax, scoped to /logg-inn/oidc and lives 10 minutes', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/logg-inn');
    const res = await t.app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf }) });
    const line = setCookieLine(res, 'df_oidc') ?? '';
    expect(line).toContain('HttpOnly');
    expect(line).toContain('SameSite=Lax');
    expect(line).toContain('Path=/logg-inn/oidc');
    expect(line).toContain('Max-Age=600');
    expect(line).toContain('Secure');
  });

  it('a later sign-in uses the stored (issuer, sub) link even when the provider’s e-mail changes', async () => {
    op.users.set('sub-kari', { email: 'kari.ny@example.no', emailVerified: true });
    const { res } = await signInAtProvider('sub-kari');
    expect(res.statusCode).toBe(303);
    expect(await whoAmI(res)).toEqual({ status: 200, email: 'kari@example.no' });
    op.users.set('sub-kari', { email: 'kari@example.no', emailVerified: true });
  });

  it('creates an account for a new person with a verified address (no password, address verified)', async () => {
    const { res } = await signInAtProvider('sub-new', 'idporten-loa-high');
    expect(res.statusCode, res.body).toBe(303);
    expect(await whoAmI(res)).toEqual({ status: 200, email: 'ny@example.no' });
    const u = await t.services.accounts.findUserByEmail('ny@example.no');
    expect(u?.password_hash).toBeNull();
    expect(u?.email_verified_at).toBeTruthy();
    expect(u?.name).toBe('Ny Bruker');
  });

  it('an unverified address never links to the account that has it; without a link nothing is created', async () => {
    const { res } = await signInAtProvider('sub-unverified');
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Ingen konto er koblet til denne innloggingen');
    expect(setCookies(res).df_session).toBeUndefined();
    expect(await t.db.selectFrom('oidc_links').selectAll().where('subject', '=', 'sub-unverified').executeTakeFirst()).toBeUndefined();
  });

  it('a verified address never takes over a local account whose address was not confirmed (pre-account hijacking)', async () => {
    const { res } = await signInAtProvider('sub-pre');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('adressen er ikke bekreftet');
    expect(setCookies(res).df_session).toBeUndefined();
    expect(await t.db.selectFrom('oidc_links').selectAll().where('subject', '=', 'sub-pre').executeTakeFirst()).toBeUndefined();
  });

  it('a malformed address from the provider is no address (nothing is created)', async () => {
    const { res } = await signInAtProvider('sub-bad-email');
    expect(res.statusCode).toBe(403);
    expect(await t.db.selectFrom('users').select(['id']).where('email', 'like', '%not an address%').executeTakeFirst()).toBeUndefined();
  });

  it('signing in with the provider in a browser that had another session ends that session', async () => {
    const ola = await signIn(t.app, { email: 'ola@example.no', password: 'correct horse battery' });
    const started = await startSignIn();
    started.cookies.df_session = /df_session=([^;]+)/.exec(ola.cookie)![1]!;
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    const res = await callback(started, back);
    expect(res.statusCode).toBe(303);
    expect(await whoAmI(res)).toEqual({ status: 200, email: 'kari@example.no' });
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: ola.cookie } })).statusCode).toBe(401);
  });

  it('acr below the minimum is refused with a translated page, logged, and no session', async () => {
    const { res } = await signInAtProvider('sub-kari', 'idporten-loa-low');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('lavere sikkerhetsnivå');
    expect(setCookies(res).df_session).toBeUndefined();
    const refused = await t.db.selectFrom('audit_log').select(['details']).where('action', '=', 'account.signin.oidc.refused').execute();
    expect(refused.map((r) => JSON.parse(r.details)).some((d) => d.code === 'oidc_acr_too_low' && d.acr === 'idporten-loa-low')).toBe(true);
  });

  it('a wrong state is refused (and uses the flow up)', async () => {
    const started = await startSignIn();
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    const forged = new URL(back);
    forged.searchParams.set('state', 'x'.repeat(43));
    const res = await callback(started, forged);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('hører ikke til denne innloggingen');
    expect(setCookies(res).df_session).toBeUndefined();
    const again = await callback(started, back);
    expect(again.statusCode).toBe(400);
    expect(setCookies(again).df_session).toBeUndefined();
  });

  it('a replayed callback (same cookie, same code) is refused: the flow is single use', async () => {
    const { started, back, res } = await signInAtProvider('sub-kari');
    expect(res.statusCode).toBe(303);
    const replay = await callback(started, back);
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('allerede brukt');
    expect(setCookies(replay).df_session).toBeUndefined();
  });

  it('a code the provider does not know is refused by the provider (invalid_grant) → translated page', async () => {
    const started = await startSignIn();
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    const forged = new URL(back);
    forged.searchParams.set('code', 'forged-code-0123456789');
    const res = await callback(started, forged);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('godtok ikke innloggingskoden');
    expect(setCookies(res).df_session).toBeUndefined();
  });

  it('a callback in another browser (no flow cookie) is refused, in English too', async () => {
    const started = await startSignIn();
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    const res = await t.app.inject({ url: `${back.pathname}${back.search}`, headers: { 'accept-language': 'en' } });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('was not started in this browser');
    expect(setCookies(res).df_session).toBeUndefined();
  });

  it('an error from the provider (access_denied) is a translated page', async () => {
    const started = await startSignIn();
    const state = started.authUrl.searchParams.get('state')!;
    const res = await t.app.inject({ url: `${OIDC_CALLBACK_PATH}?error=access_denied&state=${state}&iss=${encodeURIComponent(op.issuer)}`, headers: { cookie: cookieHeader(started.cookies) } });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('logget deg ikke inn');
  });

  it('an expired flow is refused', async () => {
    const started = await startSignIn();
    await t.db.updateTable('oidc_flows').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    const back = await loginAtProvider(started.authUrl.href, { login: 'sub-kari' });
    const res = await callback(started, back);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('tok for lang tid');
  });

  it('a signed-in user links the provider on the account page, signs in with it, and unlinks it', async () => {
    const ola = await signIn(t.app, { email: 'ola@example.no', password: 'correct horse battery' });
    const account = await t.app.inject({ url: '/konto', headers: { cookie: ola.cookie } });
    expect(account.body).toContain('href="/konto/innlogging"');
    const page = await t.app.inject({ url: '/konto/innlogging', headers: { cookie: ola.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ikke koblet til noen');
    const csrf = await csrfFromPage(t.app, ola.cookie, '/konto/innlogging');
    // Without the CSRF token nothing starts.
    expect((await t.app.inject({ method: 'POST', url: '/konto/oidc/koble', headers: { ...FORM_HEADERS, cookie: ola.cookie }, payload: form({}) })).statusCode).toBe(403);
    const start = await t.app.inject({ method: 'POST', url: '/konto/oidc/koble', headers: { ...FORM_HEADERS, cookie: ola.cookie }, payload: form({ _csrf: csrf }) });
    expect(start.statusCode).toBe(303);
    const flow = setCookies(start).df_oidc!;
    const back = await loginAtProvider(String(start.headers.location), { login: 'sub-noemail' });
    const done = await t.app.inject({ url: `${back.pathname}${back.search}`, headers: { cookie: `${ola.cookie}; df_oidc=${flow}` } });
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe('/konto/innlogging?koblet=1');
    const linked = await t.app.inject({ url: '/konto/innlogging?koblet=1', headers: { cookie: ola.cookie } });
    expect(linked.body).toContain('Kontoen er koblet til ID-porten');
    expect(linked.body).toContain(op.issuer);

    // ID-porten sends no e-mail: the link alone signs Ola in now.
    const again = await signInAtProvider('sub-noemail');
    expect(await whoAmI(again.res)).toEqual({ status: 200, email: 'ola@example.no' });

    // Another account cannot take the same provider identity.
    const kari = await signInAtProvider('sub-kari');
    const kariCookie = `df_session=${setCookies(kari.res).df_session}; df_csrf=${setCookies(kari.res).df_csrf}`;
    const kariCsrf = await csrfFromPage(t.app, kariCookie, '/konto/innlogging');
    const steal = await t.app.inject({ method: 'POST', url: '/konto/oidc/koble', headers: { ...FORM_HEADERS, cookie: kariCookie }, payload: form({ _csrf: kariCsrf }) });
    expect(steal.statusCode).toBe(303);
    const stealBack = await loginAtProvider(String(steal.headers.location), { login: 'sub-noemail' });
    const stolen = await t.app.inject({ url: `${stealBack.pathname}${stealBack.search}`, headers: { cookie: `${kariCookie}; df_oidc=${setCookies(steal).df_oidc}` } });
    expect(stolen.statusCode).toBe(409);
    expect(stolen.body).toContain('allerede koblet til en annen konto');

    // Someone else's link cannot be removed (404), one's own can.
    const link = await t.db.selectFrom('oidc_links').selectAll().where('subject', '=', 'sub-noemail').executeTakeFirstOrThrow();
    const kariUnlink = await t.app.inject({ method: 'POST', url: `/konto/oidc/${link.id}/fjern`, headers: { ...FORM_HEADERS, cookie: kariCookie }, payload: form({ _csrf: kariCsrf }) });
    expect(kariUnlink.statusCode).toBe(404);
    const csrf2 = await csrfFromPage(t.app, ola.cookie, '/konto/innlogging');
    const unlink = await t.app.inject({ method: 'POST', url: `/konto/oidc/${link.id}/fjern`, headers: { ...FORM_HEADERS, cookie: ola.cookie }, payload: form({ _csrf: csrf2 }) });
    expect(unlink.statusCode).toBe(303);
    expect((await signInAtProvider('sub-noemail')).res.statusCode).toBe(403);
  });

  it('linking needs a signed-in session', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/logg-inn');
    const res = await t.app.inject({ method: 'POST', url: '/konto/oidc/koble', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('/logg-inn');
    expect(setCookies(res).df_oidc).toBeUndefined();
  });
});

describe('OIDC when the provider is down or not configured', () => {
  it('a provider that cannot be reached is a translated 503 page, logged, and no flow starts', async () => {
    const down = await createTestApp({ env: { BASE_URL: BASE, OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y' } });
    try {
      const { csrf, cookies } = await csrfFor(down.app, '/logg-inn');
      const res = await down.app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf }) });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('svarer ikke akkurat nå');
      expect(setCookies(res).df_oidc).toBeUndefined();
    } finally {
      await down.close();
    }
  });

  it('without OIDC_ISSUER there is no button and the routes are 404', async () => {
    const plain = await createTestApp();
    try {
      const page = await plain.app.inject({ url: '/logg-inn' });
      expect(page.body).not.toContain('/logg-inn/oidc');
      expect(String(page.headers['content-security-policy'])).toContain("form-action 'self';");
      const { csrf, cookies } = await csrfFor(plain.app, '/logg-inn');
      const res = await plain.app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf }) });
      expect(res.statusCode).toBe(404);
      expect((await plain.app.inject({ url: OIDC_CALLBACK_PATH })).statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
