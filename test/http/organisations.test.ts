// HTTP tests for organisations: each route walked unauthenticated → invalid input → forbidden → not found → success,
// through app.inject on a fresh database (SQLite, or PostgreSQL when DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, createTestApp, signIn, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

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

// --- verified organisations: claims, the operator's review, the publish gate (issue 6 §3) --------------------------

describe('claims and the operator review', () => {
  let operator: SignedIn;
  let opToken: string;
  let opReadOnly: string;
  const anonJson = { 'content-type': 'application/json' };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const dataset = { title: { nb: 'Ventende data' }, description: { nb: 'Et utkast fra en virksomhet som venter.' }, accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0' };

  beforeAll(async () => {
    await t.services.accounts.createUser({ email: 'operator@example.no', password: 'correct horse battery', name: 'Olga Operatør', isOperator: true });
    operator = await signIn(t.app, { email: 'operator@example.no', password: 'correct horse battery' });
    opToken = await bearerFor(t.services, 'operator@example.no', ['read', 'write', 'admin']);
    opReadOnly = await bearerFor(t.services, 'operator@example.no', ['read', 'write']);
  });

  it('a user’s claim is pending and not checked (registry off in tests), with the claim recorded', async () => {
    const org = (await t.app.inject({ url: '/api/v1/organizations/991825827' })).json();
    expect(org).toMatchObject({ status: 'pending', claimedAt: expect.any(String), decidedAt: null, registry: { checkedAt: null, source: null, status: null } });
    const row = await t.db.selectFrom('organizations').select(['claimed_by', 'claimed_name']).where('orgnr', '=', '991825827').executeTakeFirstOrThrow();
    expect(row).toEqual({ claimed_by: alice.userId, claimed_name: 'Digitaliseringsdirektoratet' });
    expect((await t.app.inject({ url: '/api/v1/organizations?status=pending' })).json().total).toBe(3);
  });

  it('GET /api/v1/operator/claims: 401 → 400 → 403 (user, and operator token without admin) → 200 with the claimant', async () => {
    const url = '/api/v1/operator/claims';
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `${url}?status=maybe`, headers: auth(opToken) })).statusCode).toBe(400);
    expect((await t.app.inject({ url, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ url, headers: auth(opReadOnly) })).statusCode).toBe(403);
    const ok = await t.app.inject({ url, headers: auth(opToken) });
    expect(ok.statusCode).toBe(200);
    const digdir = ok.json().items.find((c: { organization: { orgnr: string } }) => c.organization.orgnr === '991825827');
    expect(digdir).toMatchObject({ claimedName: 'Digitaliseringsdirektoratet', claimant: { id: alice.userId, email: 'alice@example.no' }, registryUnit: null, url: '/api/v1/operator/claims/991825827' });
  });

  it('GET /api/v1/operator/claims/:orgnr: 401 → 400 → 403 → 404 → 200', async () => {
    const url = '/api/v1/operator/claims/961181399';
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `/api/v1/operator/claims/${'9'.repeat(30)}`, headers: auth(opToken) })).statusCode).toBe(400);
    expect((await t.app.inject({ url, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/operator/claims/123456785', headers: auth(opToken) })).statusCode).toBe(404);
    const ok = await t.app.inject({ url, headers: auth(opToken) });
    expect(ok.json()).toMatchObject({ organization: { orgnr: '961181399', status: 'pending' }, claimant: { email: 'alice@example.no' } });
  });

  it('a pending organisation prepares drafts but cannot publish: 422 organization_pending in the API, translated on the page', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(aliceToken), payload: { ...dataset, orgnr: '991825827' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const api = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: auth(aliceToken) });
    expect(api.statusCode).toBe(422);
    expect(api.json().error.details.problems).toEqual([expect.objectContaining({ field: '/orgnr', code: 'organization_pending' })]);
    const page = await t.app.inject({ method: 'POST', url: `/datasett/${id}/publiser`, ...form(alice, {}) });
    expect(page.statusCode).toBe(422);
    expect(page.body).toContain('Virksomheten venter på godkjenning fra en operatør.');
    const en = await t.app.inject({ method: 'POST', url: `/datasett/${id}/publiser?lang=en`, ...form(alice, {}) });
    expect(en.body).toContain('The organisation is waiting for an operator&#39;s approval.');
    // Even the operator cannot publish for a pending organisation: the gate is the organisation's status.
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: auth(opToken) })).statusCode).toBe(422);
  });

  it('POST /api/v1/organizations/:orgnr/approve: 401 → 400 → 403 → 404 → 200 → 409; then the organisation publishes', async () => {
    const url = '/api/v1/organizations/991825827/approve';
    expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${'9'.repeat(30)}/approve`, headers: auth(opToken) })).statusCode).toBe(400);
    const self = await t.app.inject({ method: 'POST', url, headers: auth(aliceToken) }); // the claimant cannot approve herself
    expect(self.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/organizations/123456785/approve', headers: auth(opToken) })).statusCode).toBe(404);
    const ok = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'approved', decidedAt: expect.any(String) });
    const again = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('organization_not_pending');
    const draft = (await t.app.inject({ url: '/api/v1/datasets?orgnr=991825827&state=draft', headers: auth(aliceToken) })).json().items[0];
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${draft.id}/publish`, headers: auth(aliceToken) })).statusCode).toBe(200);
  });

  it('POST /api/v1/organizations/:orgnr/reject: 401 → 400 → 403 → 404 → 200; the claimant loses the role and sees the reason', async () => {
    const url = '/api/v1/organizations/974760673/reject';
    expect((await t.app.inject({ method: 'POST', url, headers: anonJson, payload: { reason: 'x' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url, headers: json(opToken), payload: {} })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: json(opToken), payload: { reason: 'x', why: 'y' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: json(opToken), payload: { reason: '   ' } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'POST', url, headers: json(bobToken), payload: { reason: 'self' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/organizations/123456785/reject', headers: json(opToken), payload: { reason: 'x' } })).statusCode).toBe(404);
    const ok = await t.app.inject({ method: 'POST', url, headers: json(opToken), payload: { reason: 'Bob arbeider ikke i Brønnøysundregistrene.' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'rejected', rejectionReason: 'Bob arbeider ikke i Brønnøysundregistrene.' });
    expect((await t.app.inject({ method: 'POST', url, headers: json(opToken), payload: { reason: 'igjen' } })).statusCode).toBe(409);
    // The claimant sees why; others see only the status. A rejected organisation cannot even prepare drafts.
    expect((await t.app.inject({ url: '/api/v1/organizations/974760673', headers: auth(bobToken) })).json().rejectionReason).toBe('Bob arbeider ikke i Brønnøysundregistrene.');
    expect((await t.app.inject({ url: '/api/v1/organizations/974760673' })).json()).toMatchObject({ status: 'rejected', rejectionReason: null });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(bobToken), payload: { ...dataset, orgnr: '974760673' } })).statusCode).toBe(403);
    const page = await t.app.inject({ url: '/virksomheter/974760673', headers: { cookie: bob.cookie } });
    expect(page.body).toContain('En operatør avviste registreringen.');
    expect(page.body).toContain('Begrunnelse: Bob arbeider ikke i Brønnøysundregistrene.');
    expect((await t.app.inject({ url: '/virksomheter/974760673' })).body).not.toContain('Bob arbeider ikke');
  });

  it('a rejected number can be claimed again by someone else (pending again, the new claimant as admin)', async () => {
    const dora = await signUpAndSignIn(t.app, { email: 'dora@example.no', password: 'correct horse battery', name: 'Dora' });
    const doraToken = await bearerFor(t.services, 'dora@example.no');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: json(doraToken), payload: { orgnr: '974760673', name: 'Registerenheten i Brønnøysund' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', rejectionReason: null });
    const members = await t.app.inject({ url: '/api/v1/organizations/974760673/members', headers: auth(opToken) });
    expect(members.json().items.map((m: { userId: string }) => m.userId)).toEqual([dora.userId]);
  });

  it('POST /api/v1/organizations/:orgnr/recheck and /api/v1/operator/registry/recheck: 401 → 400 → 403 → 404 → 200', async () => {
    const url = '/api/v1/organizations/961181399/recheck';
    expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${'9'.repeat(30)}/recheck`, headers: auth(opToken) })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: auth(aliceToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/organizations/123456785/recheck', headers: auth(opToken) })).statusCode).toBe(404);
    const ok = await t.app.inject({ method: 'POST', url, headers: auth(opToken) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ outcome: 'unchecked', reason: 'disabled', organization: { orgnr: '961181399', registry: { checkedAt: null } } });

    const all = '/api/v1/operator/registry/recheck';
    expect((await t.app.inject({ method: 'POST', url: all })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `${all}?every=true`, headers: auth(opToken) })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: all, headers: auth(aliceToken) })).statusCode).toBe(403);
    const counts = await t.app.inject({ method: 'POST', url: `${all}?all=true`, headers: auth(opToken) });
    expect(counts.statusCode).toBe(200);
    expect(counts.json()).toEqual({ checked: 3, verified: 0, deleted: 0, notFound: 0, unavailable: 3 });
  });

  it('a unit in the imported registry copy verifies a claim while the API is off', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { gzipSync } = await import('node:zlib');
    const ha = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/brreg/brreg_download_komm.json'), 'utf8'))._embedded.enheter[0];
    const file = path.join(t.platform.config.dataDir, 'enheter_alle.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify([ha])));
    const { CLI_ACTOR } = await import('../../src/access/model');
    expect(await t.services.organisations.importRegistry(CLI_ACTOR, file)).toMatchObject({ records: 1, imported: 1, updated: 0, skipped: 0 });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: json(bobToken), payload: { orgnr: '964969590', name: 'Hå' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'HÅ KOMMUNE', orgForm: 'KOMM', municipality: '1119', status: 'pending', registry: { source: 'file', status: 'active', checkedAt: expect.any(String) } });
    // Checked organisations keep the registry's name.
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/v1/organizations/964969590', headers: json(bobToken), payload: { name: 'Hå kommune (vår)' } });
    expect(patch.statusCode).toBe(422);
    expect(patch.json().error.details.problems[0]).toMatchObject({ field: '/name', code: 'from_registry' });
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/organizations/964969590', headers: json(bobToken), payload: { homepage: 'https://www.ha.kommune.no' } })).statusCode).toBe(200);
  });

  it('the audit log records claim, approve, reject, recheck, update and import with actor and surface', async () => {
    const rows = await t.db.selectFrom('audit_log').select(['action', 'actor_user_id', 'resource_id', 'details']).where('resource_type', 'in', ['organization', 'registry']).execute();
    const find = (action: string, id: string) => rows.find((r) => r.action === action && r.resource_id === id);
    const opId = (await t.services.accounts.findUserByEmail('operator@example.no'))?.id;
    expect(find('organization.claim', '991825827')).toMatchObject({ actor_user_id: alice.userId });
    expect(JSON.parse(find('organization.claim', '991825827')?.details ?? '{}')).toMatchObject({ via: 'token', status: 'pending' });
    expect(find('organization.approve', '991825827')).toMatchObject({ actor_user_id: opId });
    expect(JSON.parse(find('organization.reject', '974760673')?.details ?? '{}')).toMatchObject({ via: 'token', reason: 'Bob arbeider ikke i Brønnøysundregistrene.' });
    expect(JSON.parse(find('organization.recheck', '961181399')?.details ?? '{}')).toMatchObject({ outcome: 'unchecked', reason: 'disabled' });
    expect(find('organization.update', '964969590')).toMatchObject({ actor_user_id: bob.userId });
    expect(JSON.parse(find('registry.import', 'enhet')?.details ?? '{}')).toMatchObject({ via: 'cli', imported: 1, file: 'enheter_alle.json.gz' });
  });

  it('list and organisation page show the status and the registry check', async () => {
    const list = await t.app.inject({ url: '/virksomheter' });
    expect(list.body).toContain('Venter på godkjenning');
    expect(list.body).toContain('Godkjent');
    expect(list.body).toContain('Ikke sjekket mot Enhetsregisteret');
    expect(list.body).toMatch(/Sjekket mot Enhetsregisteret \d+\. \w+ \d{4}/);
    const page = await t.app.inject({ url: '/virksomheter/964969590', headers: { cookie: bob.cookie } });
    expect(page.body).toContain('Registreringen venter på at en operatør godkjenner den.');
    expect(page.body).toMatch(/<time datetime="[^"]+">Sjekket mot Enhetsregisteret/);
    const en = await t.app.inject({ url: '/virksomheter/991825827?lang=en' });
    expect(en.body).toContain('Approved');
    expect(en.body).toContain('Not checked against the Central Coordinating Register (Enhetsregisteret)');
    const opList = await t.app.inject({ url: '/virksomheter', headers: { cookie: operator.cookie } });
    expect(opList.body).toContain('href="/operator/virksomheter"');
  });

  it('operator page: sign-in redirect, 403 for users, claims beside the registry, plain-form approve/reject/recheck keeping input', async () => {
    const anon = await t.app.inject({ url: '/operator/virksomheter' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/logg-inn?next=%2Foperator%2Fvirksomheter');
    expect((await t.app.inject({ url: '/operator/virksomheter', headers: { cookie: alice.cookie } })).statusCode).toBe(403);
    const page = await t.app.inject({ url: '/operator/virksomheter', headers: { cookie: operator.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('HÅ KOMMUNE (964969590)');
    expect(page.body).toContain('Hå (1119)'); // the registry record: municipality from forretningsadresse
    expect(page.body).toContain('bob@example.no');
    expect(page.body).toContain('action="/operator/virksomheter/964969590/godkjenn"');

    expect((await t.app.inject({ method: 'POST', url: '/operator/virksomheter/964969590/godkjenn', ...form(operator, {}, false) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/operator/virksomheter/964969590/godkjenn', ...form(alice, {}) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/operator/virksomheter/123456785/godkjenn', ...form(operator, {}) })).statusCode).toBe(404);
    const empty = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/961181399/avvis', ...form(operator, { reason: '  ' }) });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Skriv en begrunnelse.');
    expect(empty.body).toContain('href="#reason-961181399"');
    const emptyEn = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/961181399/avvis?lang=en', ...form(operator, { reason: '' }) });
    expect(emptyEn.body).toContain('Write a reason.');
    const tooLong = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/961181399/avvis', ...form(operator, { reason: 'x'.repeat(1001) }) });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.body).toContain('Begrunnelsen er for lang.');

    const approved = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/964969590/godkjenn', ...form(operator, {}) });
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe('/operator/virksomheter?done=approved');
    expect((await t.app.inject({ url: approved.headers.location as string, headers: { cookie: operator.cookie } })).body).toContain('Virksomheten er godkjent.');
    const twice = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/964969590/godkjenn', ...form(operator, {}) });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Registreringen er allerede behandlet.');

    const rechecked = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/961181399/sjekk', ...form(operator, {}) });
    expect(rechecked.headers.location).toBe('/operator/virksomheter?done=rechecked');
    const all = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/sjekk', ...form(operator, {}) });
    expect(all.statusCode).toBe(303);
    const after = await t.app.inject({ url: all.headers.location as string, headers: { cookie: operator.cookie } });
    expect(after.body).toMatch(/Sjekket \d+: 0 bekreftet/);

    const rejected = await t.app.inject({ method: 'POST', url: '/operator/virksomheter/961181399/avvis', ...form(operator, { reason: 'Ikke bekreftet av Arkivverket.' }) });
    expect(rejected.statusCode).toBe(303);
    expect((await t.app.inject({ url: '/api/v1/organizations/961181399', headers: auth(aliceToken) })).json()).toMatchObject({ status: 'rejected', rejectionReason: 'Ikke bekreftet av Arkivverket.' });
  });
});
