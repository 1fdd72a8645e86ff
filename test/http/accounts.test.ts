// HTTP tests of the accounts domain through app.inject on the real app and a fresh database (STYLE §14): each route
// walked from unauthenticated → invalid input → forbidden → not found → success, plus the web forms (CSRF, re-render
// with input in nb and en, rate limit with Retry-After) and the cookie flags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, cookieHeader, createTestApp, csrfFor, FORM_HEADERS, form, setCookieLine, setCookies, signIn, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

const PASSWORD = 'korrekt hest batteri stift';

let t: TestApp;
let kari: SignedIn;
let ola: SignedIn;

beforeAll(async () => {
  t = await createTestApp();
  kari = await signUpAndSignIn(t.app, { email: 'kari@example.no', password: PASSWORD, name: 'Kari Nordmann' });
  ola = await signUpAndSignIn(t.app, { email: 'ola@example.no', password: PASSWORD, name: 'Ola Nordmann' });
});
afterAll(() => t?.close());

function errorOf(res: { json(): unknown }): { code: string; message: string; details: Record<string, unknown> } {
  return (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
}

// Cookie-authenticated API changes must show they come from this site (CSRF): browsers send Origin on them.
const SAME_ORIGIN = { origin: 'http://localhost:3000' };
const json = { 'content-type': 'application/json', ...SAME_ORIGIN };

describe('JSON API /api/v1/me and /api/v1/tokens', () => {
  it('401 for anonymous callers on every route', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/me'],
      ['PATCH', '/api/v1/me'],
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/tokens'],
      ['DELETE', '/api/v1/tokens/abc'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: method === 'PATCH' || method === 'POST' ? json : {}, payload: method === 'PATCH' || method === 'POST' ? { name: 'x' } : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(errorOf(res).code).toBe('unauthenticated');
    }
  });

  it('401 with a clear message for an invalid token', async () => {
    const res = await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer df_notarealtoken' } });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).message).toMatch(/not valid/);
  });

  it('400 for unknown fields and bad values, 415 for a wrong content type, 413 for a body over the limit', async () => {
    const headers = { ...json, cookie: kari.cookie };
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'x', admin: true } });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown).code).toBe('invalid_request');
    expect(errorOf(unknown).message).toContain('Unknown field "admin"');

    const badScope = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'x', scopes: ['root'] } });
    expect(badScope.statusCode).toBe(400);
    const tooLong = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'x', expiresInDays: 366 } });
    expect(tooLong.statusCode).toBe(400);
    const badLocale = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers, payload: { locale: 'de' } });
    expect(badLocale.statusCode).toBe(400);
    const patchUnknown = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers, payload: { email: 'new@example.no' } });
    expect(patchUnknown.statusCode).toBe(400);

    const text = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: kari.cookie, ...SAME_ORIGIN, 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(text.statusCode).toBe(415);
    expect(errorOf(text).code).toBe('unsupported_media_type');
    const formBody = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: kari.cookie, ...SAME_ORIGIN, ...FORM_HEADERS }, payload: 'name=x' });
    expect(formBody.statusCode).toBe(415);

    const big = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('payload_too_large');
  });

  it('403 when a token without the admin scope manages tokens or the profile', async () => {
    const readWrite = await bearerFor(t.services, 'kari@example.no', ['read', 'write']);
    const headers = { ...json, authorization: `Bearer ${readWrite}` };
    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${readWrite}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: 'kari@example.no', via: 'token', scopes: ['read', 'write'] });
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'escalate', scopes: ['admin'] } });
    expect(create.statusCode).toBe(403);
    expect(errorOf(create).code).toBe('forbidden');
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers, payload: { name: 'Hacked' } });
    expect(patch.statusCode).toBe(403);
  });

  it("404 for a token that does not exist or is someone else's", async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { ...json, cookie: ola.cookie }, payload: { name: 'olas' } });
    expect(created.statusCode).toBe(201);
    const olasId = (created.json() as { record: { id: string } }).record.id;
    const others = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${olasId}`, headers: { cookie: kari.cookie, ...SAME_ORIGIN } });
    expect(others.statusCode).toBe(404);
    expect(errorOf(others).code).toBe('token_not_found');
    const missing = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/does-not-exist', headers: { cookie: kari.cookie, ...SAME_ORIGIN } });
    expect(missing.statusCode).toBe(404);
  });

  it('creates a token (shown once), lists it without the secret, uses it and revokes it', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { ...json, cookie: kari.cookie }, payload: { name: 'nattlig opplasting', scopes: ['read', 'write'], expiresInDays: 30 } });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { token: string; record: { id: string; prefix: string; scopes: string[]; expiresAt: string; url: string } };
    expect(body.token).toMatch(/^df_[A-Za-z0-9_-]{43}$/);
    expect(body.record).toMatchObject({ prefix: body.token.slice(0, 10), scopes: ['read', 'write'], url: `/api/v1/tokens/${body.record.id}` });
    expect(res.headers.location).toBe(`/api/v1/tokens/${body.record.id}`);
    expect(Date.parse(body.record.expiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);

    const list = await t.app.inject({ url: '/api/v1/tokens', headers: { cookie: kari.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(body.token);
    expect((list.json() as { items: { id: string }[] }).items.map((i) => i.id)).toContain(body.record.id);

    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(me.json()).toMatchObject({ id: kari.userId, name: 'Kari Nordmann', via: 'token', memberships: [] });
    const used = (await t.app.inject({ url: '/api/v1/tokens', headers: { cookie: kari.cookie } })).json() as { items: { id: string; lastUsedAt: string | null }[] };
    expect(used.items.find((i) => i.id === body.record.id)?.lastUsedAt).not.toBeNull();

    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${body.record.id}`, headers: { cookie: kari.cookie, ...SAME_ORIGIN } });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const after = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).message).toMatch(/revoked/);
  });

  it('PATCH /me changes name and language', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: { ...json, cookie: ola.cookie }, payload: { name: 'Ola N.', locale: 'nn' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Ola N.', locale: 'nn', via: 'session', scopes: null });
  });

  it('documents the routes in OpenAPI under the accounts tag', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    expect(doc.paths['/api/v1/me']?.get?.tags).toEqual(['accounts']);
    expect(Object.keys(doc.paths['/api/v1/tokens'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.paths['/api/v1/tokens/{id}']?.delete).toBeDefined();
  });
});

describe('sign-up form', () => {
  it('403 without the CSRF token', async () => {
    const { cookies } = await csrfFor(t.app, '/registrer');
    const res = await t.app.inject({ method: 'POST', url: '/registrer', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: 'A', email: 'a@example.no', password: PASSWORD, confirm: PASSWORD }) });
    expect(res.statusCode).toBe(403);
    const wrong = await t.app.inject({ method: 'POST', url: '/registrer', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: 'A', email: 'a@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: 'x'.repeat(43) }) });
    expect(wrong.statusCode).toBe(403);
  });

  it('re-renders with the input (never the password) and messages in bokmål', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/registrer');
    const res = await t.app.inject({
      method: 'POST',
      url: '/registrer',
      headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) },
      payload: form({ name: 'Åse Ødegård', email: 'ikke-en-epost', password: 'kort123', confirm: 'annet', _csrf: csrf }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('value="Åse Ødegård"');
    expect(res.body).toContain('value="ikke-en-epost"');
    expect(res.body).not.toContain('kort123');
    expect(res.body).toContain('Passordet må ha minst 10 tegn.');
    expect(res.body).toContain('Passordene er ikke like.');
    expect(res.body).toContain('Skriv inn en gyldig e-postadresse');
    expect(res.body).toContain('<html lang="nb"');
  });

  it('re-renders in English for an English reader, and names a taken address', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/registrer');
    const res = await t.app.inject({
      method: 'POST',
      url: '/registrer',
      headers: { ...FORM_HEADERS, cookie: cookieHeader({ ...cookies, df_lang: 'en' }) },
      payload: form({ name: 'Kari Again', email: 'KARI@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: csrf }),
    });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('<html lang="en"');
    expect(res.body).toContain('An account with this e-mail address already exists.');
    expect(res.body).toContain('value="Kari Again"');
    expect(res.body).not.toContain(PASSWORD);

    const short = await t.app.inject({
      method: 'POST',
      url: '/registrer',
      headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies), 'accept-language': 'en-GB,en;q=0.9' },
      payload: form({ name: '', email: 'new@example.no', password: 'short', confirm: 'short', _csrf: csrf }),
    });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('The password must be at least 10 characters long.');
    expect(short.body).toContain('Enter your name.');
  });

  it('signs the new user in with an HttpOnly, SameSite=Lax session cookie (no Secure on http) and goes to /konto', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/registrer');
    const res = await t.app.inject({ method: 'POST', url: '/registrer', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: 'Per', email: 'per@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: csrf }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/konto');
    const line = setCookieLine(res, 'df_session') ?? '';
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Max-Age=1209600/);
    expect(line).not.toMatch(/Secure/);
  });
});

describe('sign-in form', () => {
  it('sets the CSRF cookie HttpOnly and SameSite=Lax', async () => {
    const res = await t.app.inject({ url: '/logg-inn' });
    expect(res.statusCode).toBe(200);
    expect(setCookieLine(res, 'df_csrf')).toMatch(/HttpOnly; SameSite=Lax/);
  });

  it('403 without the CSRF token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: FORM_HEADERS, payload: form({ email: 'kari@example.no', password: PASSWORD }) });
    expect(res.statusCode).toBe(403);
  });

  it('re-renders a wrong password with the e-mail kept, in the reader’s language', async () => {
    const { csrf, cookies } = await csrfFor(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies), 'x-forwarded-for': '192.0.2.10' }, payload: form({ email: 'kari@example.no', password: 'feil passord!', _csrf: csrf }) });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Feil e-postadresse eller passord.');
    expect(res.body).toContain('value="kari@example.no"');
    expect(res.body).not.toContain('feil passord!');
    const en = await t.app.inject({ method: 'POST', url: '/logg-inn?lang=en', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies), 'x-forwarded-for': '192.0.2.10' }, payload: form({ email: 'kari@example.no', password: 'feil passord!', _csrf: csrf }) });
    expect(en.body).toContain('Wrong e-mail address or password.');
    const empty = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ email: '', password: '', _csrf: csrf }) });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Skriv inn e-postadressen din.');
  });

  it('429 with Retry-After: a doubling delay per account from any IP, a 15-minute refusal per (account, IP)', async () => {
    await signUpAndSignIn(t.app, { email: 'target@example.no', password: PASSWORD, name: 'Target', ip: '192.0.2.50' });
    const { csrf, cookies } = await csrfFor(t.app);
    const attempt = (password: string, ip: string, lang = 'nb') =>
      t.app.inject({ method: 'POST', url: `/logg-inn?lang=${lang}`, remoteAddress: ip, headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ email: 'target@example.no', password, _csrf: csrf }) });
    for (let i = 0; i < 5; i++) expect((await attempt('feil passord!', `198.51.100.${i}`)).statusCode).toBe(401);
    const delayed = await attempt(PASSWORD, '198.51.100.99');
    expect(delayed.statusCode).toBe(429);
    const retry = Number(delayed.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(30);
    expect(delayed.body).toContain(`For mange forsøk. Prøv igjen om ${retry} sekunder.`);
    expect(setCookies(delayed).df_session).toBeUndefined();
    const en = await attempt(PASSWORD, '198.51.100.98', 'en');
    expect(en.statusCode).toBe(429);
    expect(en.body).toContain('Too many attempts. Try again in');

    // One IP failing for one account is refused for the window, whatever the account delay says.
    await signUpAndSignIn(t.app, { email: 'pair@example.no', password: PASSWORD, name: 'Pair', ip: '192.0.2.51' });
    const pairAttempt = (password: string) =>
      t.app.inject({ method: 'POST', url: '/logg-inn', remoteAddress: '203.0.113.7', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ email: 'pair@example.no', password, _csrf: csrf }) });
    for (let i = 0; i < 5; i++) expect((await pairAttempt('feil passord!')).statusCode).toBe(401);
    const refused = await pairAttempt(PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
  });

  it('honours next= only for local paths', async () => {
    const go = async (next: string) => {
      const { csrf, cookies } = await csrfFor(t.app);
      const res = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ email: 'ola@example.no', password: PASSWORD, next, _csrf: csrf }) });
      expect(res.statusCode).toBe(303);
      return res.headers.location;
    };
    expect(await go('/konto/tokens')).toBe('/konto/tokens');
    expect(await go('//evil.example/x')).toBe('/konto');
    expect(await go('https://evil.example/')).toBe('/konto');
    expect(await go('/\\evil.example')).toBe('/konto');
    const page = await t.app.inject({ url: '/logg-inn?next=%2Fkonto%2Fpassord' });
    expect(page.body).toContain('name="next" value="/konto/passord"');
  });

  it('signs out: the session ends and its cookie is cleared', async () => {
    const s = await signIn(t.app, { email: 'ola@example.no', password: PASSWORD });
    const noCsrf = await t.app.inject({ method: 'POST', url: '/logg-ut', headers: { ...FORM_HEADERS, cookie: s.cookie }, payload: '' });
    expect(noCsrf.statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url: '/logg-ut', headers: { ...FORM_HEADERS, cookie: s.cookie }, payload: form({ _csrf: s.csrf }) });
    expect(res.statusCode).toBe(303);
    expect(setCookieLine(res, 'df_session')).toMatch(/^df_session=; Path=\/; Max-Age=0; HttpOnly/);
    expect(String(res.headers['set-cookie'])).not.toContain(s.cookie.split('df_session=')[1]); // the refresh never shadows the clearing
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });
});

describe('account pages', () => {
  it('send anonymous readers to sign in and back', async () => {
    for (const url of ['/konto', '/konto/passord', '/konto/tokens']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/logg-inn?next=${encodeURIComponent(url)}`);
    }
    const { csrf, cookies } = await csrfFor(t.app);
    const post = await t.app.inject({ method: 'POST', url: '/konto/tokens', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: 'x', _csrf: csrf }) });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe('/logg-inn?next=%2Fkonto%2Ftokens');
  });

  it('renews the session cookie on pages for a signed-in reader (sliding expiry), not on static files', async () => {
    const page = await t.app.inject({ url: '/konto', headers: { cookie: ola.cookie } });
    const token = ola.cookie.split('df_session=')[1];
    expect(setCookieLine(page, 'df_session')).toBe(`df_session=${token}; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax`);
    const css = await t.app.inject({ url: '/static/app.css', headers: { cookie: ola.cookie } });
    expect(css.statusCode).toBe(200);
    expect(setCookieLine(css, 'df_session')).toBeUndefined();
    const api = await t.app.inject({ url: '/api/v1/me', headers: { cookie: ola.cookie } });
    expect(setCookieLine(api, 'df_session')).toBeUndefined();
  });

  it('/konto shows name, e-mail, memberships with links, and links to tokens and password', async () => {
    const at = new Date().toISOString();
    await t.db.insertInto('organizations').values({ orgnr: '971526920', name: 'Statistisk sentralbyrå', org_form: 'ORGL', municipality: '0301', homepage: null, created_at: at, updated_at: at }).execute();
    await t.db.insertInto('memberships').values({ orgnr: '971526920', user_id: kari.userId, role: 'admin', created_at: at }).execute();
    const res = await t.app.inject({ url: '/konto', headers: { cookie: kari.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Kari Nordmann');
    expect(res.body).toContain('kari@example.no');
    expect(res.body).toContain('href="/virksomheter/971526920"');
    expect(res.body).toContain('Statistisk sentralbyrå');
    expect(res.body).toContain('Administrator');
    expect(res.body).toContain('href="/konto/tokens"');
    expect(res.body).toContain('href="/konto/passord"');
    const me = (await t.app.inject({ url: '/api/v1/me', headers: { cookie: kari.cookie } })).json() as { memberships: unknown[] };
    expect(me.memberships).toEqual([{ orgnr: '971526920', name: 'Statistisk sentralbyrå', role: 'admin', url: '/api/v1/organizations/971526920' }]);
  });

  it('tokens page: validation, create (shown once), list without the secret, revoke', async () => {
    const headers = { ...FORM_HEADERS, cookie: kari.cookie };
    const invalid = await t.app.inject({ method: 'POST', url: '/konto/tokens', headers, payload: form({ name: '', expiresInDays: '400', _csrf: kari.csrf }) });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('Gi nøkkelen et navn');
    expect(invalid.body).toContain('Velg når nøkkelen skal utløpe.');
    const noScopes = await t.app.inject({ method: 'POST', url: '/konto/tokens?lang=en', headers, payload: form({ name: 'cron', scopes: [], expiresInDays: '30', _csrf: kari.csrf }) });
    // No checkbox ticked: the form asks for a choice instead of silently defaulting.
    expect(noScopes.statusCode).toBe(422);
    expect(noScopes.body).toContain('Choose at least one scope.');
    expect(noScopes.body).toContain('value="cron"');

    const created = await t.app.inject({ method: 'POST', url: '/konto/tokens', headers, payload: form({ name: 'publisering', scopes: ['read', 'write'], expiresInDays: '90', _csrf: kari.csrf }) });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('private, no-store');
    const token = /value="(df_[A-Za-z0-9_-]{43})"/.exec(created.body)?.[1];
    expect(token).toBeDefined();
    expect(created.body).toContain('Den vises bare denne ene gangen.');

    const list = await t.app.inject({ url: '/konto/tokens', headers: { cookie: kari.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(token);
    expect(list.body).toContain(`${token!.slice(0, 10)}…`);
    expect(list.body).toContain('publisering');
    expect(list.body).toContain('read, write');

    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(200);
    const id = ((await t.app.inject({ url: '/api/v1/tokens', headers: { cookie: kari.cookie } })).json() as { items: { id: string; name: string }[] }).items.find((i) => i.name === 'publisering')!.id;

    const othersRevoke = await t.app.inject({ method: 'POST', url: `/konto/tokens/${id}/tilbakekall`, headers: { ...FORM_HEADERS, cookie: ola.cookie }, payload: form({ _csrf: ola.csrf }) });
    expect(othersRevoke.statusCode).toBe(404);
    expect(othersRevoke.headers['content-type']).toContain('text/html');
    const noCsrf = await t.app.inject({ method: 'POST', url: `/konto/tokens/${id}/tilbakekall`, headers, payload: form({}) });
    expect(noCsrf.statusCode).toBe(403);
    const revoke = await t.app.inject({ method: 'POST', url: `/konto/tokens/${id}/tilbakekall`, headers, payload: form({ _csrf: kari.csrf }) });
    expect(revoke.statusCode).toBe(303);
    expect(revoke.headers.location).toBe('/konto/tokens?tilbakekalt=1');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('password change: wrong current password re-renders, success signs out other sessions', async () => {
    await signUpAndSignIn(t.app, { email: 'pw@example.no', password: PASSWORD, name: 'Pw' });
    const here = await signIn(t.app, { email: 'pw@example.no', password: PASSWORD });
    const elsewhere = await signIn(t.app, { email: 'pw@example.no', password: PASSWORD });
    const headers = { ...FORM_HEADERS, cookie: here.cookie };
    expect((await t.app.inject({ url: '/konto/passord', headers: { cookie: here.cookie } })).statusCode).toBe(200);
    const wrong = await t.app.inject({ method: 'POST', url: '/konto/passord', headers, payload: form({ current: 'ikke riktig passord', next: 'et helt nytt passord', confirm: 'et helt nytt passord', _csrf: here.csrf }) });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('Det nåværende passordet er feil.');
    expect(wrong.body).not.toContain('et helt nytt passord');
    const ok = await t.app.inject({ method: 'POST', url: '/konto/passord', headers, payload: form({ current: PASSWORD, next: 'et helt nytt passord', confirm: 'et helt nytt passord', _csrf: here.csrf }) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/konto?endret=passord');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: here.cookie } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: elsewhere.cookie } })).statusCode).toBe(401);
    await signIn(t.app, { email: 'pw@example.no', password: 'et helt nytt passord' });
  });
});

describe('language switch /sprak', () => {
  it('remembers the language for a year (POST with CSRF) and goes back to a local path only', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/');
    const post = (fields: Record<string, string>) => t.app.inject({ method: 'POST', url: '/sprak', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf, ...fields }) });
    const res = await post({ lang: 'en', next: '/datasett?q=skog' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/datasett?q=skog');
    expect(setCookieLine(res, 'df_lang')).toBe('df_lang=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax');
    const evil = await post({ lang: 'nn', next: '//evil.example' });
    expect(evil.headers.location).toBe('/');
    const bad = await post({ lang: 'de', next: '/konto' });
    expect(bad.statusCode).toBe(303);
    expect(setCookieLine(bad, 'df_lang')).toBeUndefined();
    const page = await t.app.inject({ url: '/logg-inn', headers: { cookie: 'df_lang=nn' } });
    expect(page.body).toContain('<html lang="nn"');
  });
});

describe('on https', () => {
  let secure: TestApp;
  beforeAll(async () => {
    secure = await createTestApp({ env: { BASE_URL: 'https://data.example.no' } });
  });
  afterAll(() => secure?.close());

  it('marks the session and CSRF cookies Secure', async () => {
    const page = await secure.app.inject({ url: '/registrer' });
    expect(setCookieLine(page, 'df_csrf')).toMatch(/; Secure/);
    const { csrf, cookies } = await csrfFor(secure.app, '/registrer');
    const res = await secure.app.inject({ method: 'POST', url: '/registrer', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: 'S', email: 's@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: csrf }) });
    expect(res.statusCode).toBe(303);
    expect(setCookieLine(res, 'df_session')).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });
});
