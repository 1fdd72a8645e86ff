// HTTP tests for organisations: each route walked unauthenticated → invalid input → forbidden → not found → success,
// through app.inject on a fresh database (SQLite, or PostgreSQL when DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, createTestApp, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

let t: TestApp;
let alice: SignedIn;
let bob: SignedIn;
let aliceToken: string;
let bobToken: string;
let aliceReadOnly: string;
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

/** A url-encoded form post with the session cookie and CSRF token. */
function form(who: SignedIn, fields: Record<string, string | string[]>, withCsrf = true) {
  const body = new URLSearchParams();
  if (withCsrf) body.append('_csrf', who.csrf);
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return { headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() };
}

beforeAll(async () => {
  t = await createTestApp({ env: { BODY_LIMIT: '4096' } });
  alice = await signUpAndSignIn(t.app, { email: 'alice@example.no', password: 'correct horse battery', name: 'Alice Admin' });
  bob = await signUpAndSignIn(t.app, { email: 'bob@example.no', password: 'correct horse battery', name: 'Bob Redaktør' });
  aliceToken = await bearerFor(t.services, 'alice@example.no', ['read', 'write', 'admin']);
  bobToken = await bearerFor(t.services, 'bob@example.no', ['read', 'write', 'admin']);
  aliceReadOnly = await bearerFor(t.services, 'alice@example.no', ['read']);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/organizations', () => {
  const url = '/api/v1/organizations';

  it('401 without credentials', async () => {
    const res = await t.app.inject({ method: 'POST', url, payload: { orgnr: '991825827', name: 'Digdir' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
  });

  it('400 on an unknown field, 415 on a form body, 413 on a body over the limit', async () => {
    const unknown = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { orgnr: '991825827', name: 'Digdir', owner: 'me' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.problems[0]).toMatchObject({ code: 'unknown_field', field: 'body/owner' });
    const formBody = await t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'orgnr=991825827&name=Digdir' });
    expect(formBody.statusCode).toBe(415);
    expect(formBody.json().error.code).toBe('unsupported_media_type');
    const big = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: JSON.stringify({ orgnr: '991825827', name: 'x'.repeat(5000) }) });
    expect(big.statusCode).toBe(413);
  });

  it('422 naming the check digit for an invalid orgnr', async () => {
    const res = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { orgnr: '991825828', name: 'Digdir' } });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.problems).toEqual([expect.objectContaining({ field: '/orgnr', code: 'orgnr_check_digit' })]);
    expect(body.error.details.problems[0].message).toMatch(/check digit.*should be 7/);
  });

  it('403 for a token without the write scope', async () => {
    const res = await t.app.inject({ method: 'POST', url, headers: json(aliceReadOnly), payload: { orgnr: '991825827', name: 'Digdir' } });
    expect(res.statusCode).toBe(403);
  });

  it('201 with a Location, the creator as admin; 409 on a second registration', async () => {
    const res = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { orgnr: '991 825 827', name: 'Digitaliseringsdirektoratet', municipality: '4601', homepage: 'https://www.digdir.no' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/api/v1/organizations/991825827');
    expect(res.json()).toMatchObject({ orgnr: '991825827', municipalityName: 'Bergen', page: '/virksomheter/991825827' });
    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${aliceToken}` } });
    expect(me.json().memberships).toEqual([expect.objectContaining({ orgnr: '991825827', role: 'admin' })]);
    const again = await t.app.inject({ method: 'POST', url, headers: json(bobToken), payload: { orgnr: '991825827', name: 'Digdir' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('organization_exists');
  });
});

describe('GET /api/v1/organizations and /:orgnr', () => {
  it('lists with search, paging and next link; 404 for an unknown orgnr; 400 for unknown query parameters', async () => {
    await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: json(bobToken), payload: { orgnr: '974760673', name: 'Registerenheten i Brønnøysund' } });
    const all = await t.app.inject({ url: '/api/v1/organizations?limit=1' });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ total: 2, limit: 1, offset: 0, next: '/api/v1/organizations?limit=1&offset=1' });
    const found = await t.app.inject({ url: `/api/v1/organizations?q=${encodeURIComponent('brønnøysund')}` });
    expect(found.json().items.map((o: { orgnr: string }) => o.orgnr)).toEqual(['974760673']);
    expect((await t.app.inject({ url: '/api/v1/organizations?limit=1000' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/organizations?color=red' })).statusCode).toBe(400);
    const missing = await t.app.inject({ url: '/api/v1/organizations/123456785' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('organization_not_found');
    expect((await t.app.inject({ url: '/api/v1/organizations/991825827' })).json().name).toBe('Digitaliseringsdirektoratet');
  });
});

describe('PATCH /api/v1/organizations/:orgnr', () => {
  const url = '/api/v1/organizations/991825827';
  it('401 → 400 → 422 → 403 → 404 → 200', async () => {
    expect((await t.app.inject({ method: 'PATCH', url, headers: { 'content-type': 'application/json' }, payload: { name: 'X' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PATCH', url, headers: json(aliceToken), payload: { nam: 'X' } })).statusCode).toBe(400);
    const bad = await t.app.inject({ method: 'PATCH', url, headers: json(aliceToken), payload: { municipality: '9999' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems[0].field).toBe('/municipality');
    expect((await t.app.inject({ method: 'PATCH', url, headers: json(bobToken), payload: { name: 'Hijacked' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/organizations/123456785', headers: json(aliceToken), payload: { name: 'X' } })).statusCode).toBe(404);
    const ok = await t.app.inject({ method: 'PATCH', url, headers: json(aliceToken), payload: { orgForm: 'ORGL', homepage: null } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ orgForm: 'ORGL', homepage: null, name: 'Digitaliseringsdirektoratet' });
  });
});

describe('members', () => {
  const url = '/api/v1/organizations/991825827/members';
  it('GET: 401 → 403 for non-members → 404 unknown org → 200', async () => {
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    expect((await t.app.inject({ url, headers: { authorization: `Bearer ${bobToken}` } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/organizations/123456785/members', headers: { authorization: `Bearer ${aliceToken}` } })).statusCode).toBe(404);
    const ok = await t.app.inject({ url, headers: { authorization: `Bearer ${aliceToken}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items).toEqual([expect.objectContaining({ email: 'alice@example.no', role: 'admin' })]);
  });

  it('POST/PATCH/DELETE: validation, permissions, unknown users, the last-admin rule', async () => {
    expect((await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: { email: 'bob@example.no', role: 'editor' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { email: 'bob@example.no', role: 'owner' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: json(bobToken), payload: { email: 'bob@example.no', role: 'admin' } })).statusCode).toBe(403);
    const nobody = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { email: 'nobody@example.no', role: 'editor' } });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json().error.code).toBe('user_not_found');
    const added = await t.app.inject({ method: 'POST', url, headers: json(aliceToken), payload: { email: 'bob@example.no', role: 'editor' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ userId: bob.userId, role: 'editor' });

    const lastAdmin = await t.app.inject({ method: 'DELETE', url: `${url}/${alice.userId}`, headers: { authorization: `Bearer ${aliceToken}` } });
    expect(lastAdmin.statusCode).toBe(409);
    expect(lastAdmin.json().error.code).toBe('last_admin');
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/nobody`, headers: json(aliceToken), payload: { role: 'admin' } })).statusCode).toBe(404);
    const promoted = await t.app.inject({ method: 'PATCH', url: `${url}/${bob.userId}`, headers: json(aliceToken), payload: { role: 'admin' } });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().role).toBe('admin');
    const removed = await t.app.inject({ method: 'DELETE', url: `${url}/${alice.userId}`, headers: { authorization: `Bearer ${bobToken}` } });
    expect(removed.statusCode).toBe(204);
    // Put Alice back as admin for the page tests below.
    await t.app.inject({ method: 'POST', url, headers: json(bobToken), payload: { email: 'alice@example.no', role: 'admin' } });
  });
});

describe('pages', () => {
  it('lists organisations with a search form and a JSON twin', async () => {
    const res = await t.app.inject({ url: '/virksomheter?q=digital' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Digitaliseringsdirektoratet');
    expect(res.body).not.toContain('Registerenheten');
    expect(res.body).toContain('<link rel="alternate" type="application/json" href="/api/v1/organizations?q=digital"');
  });

  it('registration form: sign-in redirect, CSRF, localized check-digit message keeping the input, then success', async () => {
    const anon = await t.app.inject({ url: '/virksomheter/ny' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/logg-inn?next=%2Fvirksomheter%2Fny');
    const noCsrf = await t.app.inject({ method: 'POST', url: '/virksomheter/ny', ...form(alice, { orgnr: '961181399', name: 'Arkivverket' }, false) });
    expect(noCsrf.statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/virksomheter/ny', ...form(alice, { orgnr: '961181398', name: 'Arkivverket' }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('siste siffer skulle vært 9');
    expect(bad.body).toContain('value="Arkivverket"');
    const ok = await t.app.inject({ method: 'POST', url: '/virksomheter/ny', ...form(alice, { orgnr: '961181399', name: 'Arkivverket', municipality: '' }) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/virksomheter/961181399');
  });

  it('organisation page: facts for everyone, members and add-member form for admins', async () => {
    const anon = await t.app.inject({ url: '/virksomheter/991825827' });
    expect(anon.statusCode).toBe(200);
    expect(anon.body).toContain('Bergen (4601)');
    expect(anon.body).toContain('href="/api/v1/organizations/991825827"');
    expect(anon.body).not.toContain('bob@example.no');
    const admin = await t.app.inject({ url: '/virksomheter/991825827', headers: { cookie: alice.cookie } });
    expect(admin.body).toContain('bob@example.no');
    expect(admin.body).toContain('action="/virksomheter/991825827/medlemmer"');
    expect((await t.app.inject({ url: '/virksomheter/123456785' })).statusCode).toBe(404);
  });

  it('add-member form: unknown e-mail re-renders with a message, a known one redirects', async () => {
    const carol = await signUpAndSignIn(t.app, { email: 'carol@example.no', password: 'correct horse battery', name: 'Carol' });
    const unknown = await t.app.inject({ method: 'POST', url: '/virksomheter/961181399/medlemmer', ...form(alice, { email: 'ghost@example.no', role: 'editor' }) });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.body).toContain('Fant ingen bruker med denne e-postadressen.');
    expect(unknown.body).toContain('value="ghost@example.no"');
    const forbidden = await t.app.inject({ method: 'POST', url: '/virksomheter/961181399/medlemmer', ...form(carol, { email: 'carol@example.no', role: 'admin' }) });
    expect(forbidden.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/virksomheter/961181399/medlemmer', ...form(alice, { email: 'carol@example.no', role: 'editor' }) });
    expect(ok.statusCode).toBe(303);
    const members = await t.app.inject({ url: '/api/v1/organizations/961181399/members', headers: { authorization: `Bearer ${aliceToken}` } });
    expect(members.json().items.map((m: { email: string; role: string }) => `${m.email}:${m.role}`).sort()).toEqual(['alice@example.no:admin', 'carol@example.no:editor']);

    // Removing: the last admin stays (409 with a message), an editor goes.
    const last = await t.app.inject({ method: 'POST', url: `/virksomheter/961181399/medlemmer/${alice.userId}/fjern`, ...form(alice, {}) });
    expect(last.statusCode).toBe(409);
    expect(last.body).toContain('Virksomheten må ha minst én administrator.');
    expect((await t.app.inject({ method: 'POST', url: `/virksomheter/961181399/medlemmer/${carol.userId}/fjern`, ...form(carol, {}) })).statusCode).toBe(403);
    const removed = await t.app.inject({ method: 'POST', url: `/virksomheter/961181399/medlemmer/${carol.userId}/fjern`, ...form(alice, {}) });
    expect(removed.statusCode).toBe(303);
    const after = await t.app.inject({ url: '/api/v1/organizations/961181399/members', headers: { authorization: `Bearer ${aliceToken}` } });
    expect(after.json().items.map((m: { email: string }) => m.email)).toEqual(['alice@example.no']);
  });
});
