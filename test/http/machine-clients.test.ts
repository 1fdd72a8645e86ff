// Machine clients in the Maskinporten pattern: an organisation admin registers a client with its public keys (web page
// and JSON API), the client gets an access token with a JWT-bearer assertion signed by its key and reads PUBLIC rows
// with it, never writes, and every attack on the token endpoint is an RFC 6749 error (400/401), audited. Also: the
// done-when test of issue 7.4 (OIDC sign-in through the loopback provider, then a machine token), and API tokens
// carrying their user's organisations.
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataAccess } from '../../src/access/data-access';
import { actingOrganisations, CLI_ACTOR } from '../../src/access/model';
import { JWT_BEARER_GRANT } from '../../src/identity/model';
import { OIDC_CALLBACK_PATH } from '../../src/identity/service';
import { bearerFor, cookieHeader, createTestApp, csrfFor, csrfFromPage, form, FORM_HEADERS, multipart, setCookies, signIn, type SignedIn, type TestApp } from '../helpers/app';
import { machineClientToken } from '../helpers/machine-client';
import { loginAtProvider, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider';

const BASE = 'https://data.example.no';
const ORG_A = '981544315';
const ORG_B = '971526920';
const PASSWORD = 'correct horse battery';

let t: TestApp;
let op: TestOidcProvider;
let adminA: string; // admin-scoped API token of A's admin
let adminB: string;
let editorA: string;
let aliceSession: SignedIn;
let publicDataset: string;
let privateDatasetB: string;
let privateDatasetA: string;
let privateKey: CryptoKey;
let publicJwk: JWK;
let clientId: string;
let ecPrivateKey: CryptoKey;

async function rsaKeys(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK; publicKey: CryptoKey }> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const c: Record<string, unknown> = { iss: clientId, aud: BASE, iat: now, exp: now + 60, jti: randomUUID(), scope: 'read', ...over };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

async function assertion(over: Record<string, unknown> = {}, opts: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
  return new SignJWT(claims(over)).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1' }).sign(opts.key ?? privateKey);
}

async function tokenRequest(fields: Record<string, string | undefined>, headers: Record<string, string> = FORM_HEADERS) {
  return t.app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers, payload: form(fields) });
}

async function getToken(a?: string): Promise<string> {
  const res = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: a ?? (await assertion()) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().access_token;
}

async function refusedCount(): Promise<number> {
  return (await t.db.selectFrom('audit_log').select(['id']).where('action', '=', 'oauth.token.refused').execute()).length;
}

async function registerClient(token: string, orgnr: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: `/api/v1/organizations/${orgnr}/clients`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

async function uploadTable(datasetId: string): Promise<void> {
  const body = multipart({ name: 'tilskudd' }, { name: 'tilskudd.csv', content: Buffer.from('kommune;belop\nOslo;10\nBergen;20\n') });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${editorA}` }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

beforeAll(async () => {
  op = await startOidcProvider({ redirectUris: [`${BASE}${OIDC_CALLBACK_PATH}`] });
  op.users.set('sub-alice', { email: 'alice@example.no', emailVerified: true });
  t = await createTestApp({ env: { BASE_URL: BASE, OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_ACR_MIN: 'idporten-loa-substantial' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, accounts, catalog } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG_A, name: 'Landbruksdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: ORG_B, name: 'Statistisk sentralbyrå' });
  for (const [email, org, role] of [
    ['alice@example.no', ORG_A, 'admin'],
    ['editor@example.no', ORG_A, 'editor'],
    ['bob@example.no', ORG_B, 'admin'],
  ] as const) {
    await accounts.createUser({ email, password: PASSWORD, name: email.split('@')[0]!, emailVerified: true });
    await organisations.addMember(CLI_ACTOR, org, { email, role });
  }
  adminA = await bearerFor(t.services, 'alice@example.no', ['read', 'write', 'admin']);
  adminB = await bearerFor(t.services, 'bob@example.no', ['read', 'write', 'admin']);
  editorA = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  aliceSession = await signIn(t.app, { email: 'alice@example.no', password: PASSWORD });
  const licence = 'http://data.norge.no/nlod/no/2.0';
  const pub = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG_A, title: { nb: 'Tilskudd' }, description: { nb: 'Åpne data.' }, accessRights: 'PUBLIC', licence });
  await catalog.publishDataset(CLI_ACTOR, pub.id);
  publicDataset = pub.id;
  const privA = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG_A, title: { nb: 'Interne tall' }, description: { nb: 'Ikke åpne.' }, accessRights: 'NON_PUBLIC', licence });
  privateDatasetA = privA.id;
  const privB = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG_B, title: { nb: 'SSB intern' }, description: { nb: 'Ikke åpne.' }, accessRights: 'NON_PUBLIC', licence });
  privateDatasetB = privB.id;
  await uploadTable(publicDataset);
  await uploadTable(privateDatasetA);
  await t.services.jobs.drain(60_000);
  ({ privateKey, publicJwk } = await rsaKeys('k1'));
}, 120_000);

afterAll(async () => {
  await t?.close();
  await op?.close();
});

describe('registering machine clients (JSON API)', () => {
  it('refuses anonymous callers, other organisations’ admins, editors and tokens without the admin scope', async () => {
    const body = { name: 'Fagsystem', jwks: { keys: [publicJwk] } };
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG_A}/clients`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })).statusCode).toBe(401);
    expect((await registerClient(adminB, ORG_A, body)).statusCode).toBe(403);
    expect((await registerClient(editorA, ORG_A, body)).statusCode).toBe(403);
    const readOnly = await bearerFor(t.services, 'alice@example.no', ['read', 'write']);
    expect((await registerClient(readOnly, ORG_A, body)).statusCode).toBe(403);
    expect((await registerClient(adminA, '999999999', body)).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/organizations/${ORG_A}/clients`, headers: { authorization: `Bearer ${adminB}` } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/organizations/${ORG_A}/clients` })).statusCode).toBe(401);
  });

  it('validates the JWKS: public RSA ≥ 2048 / EC P-256 keys for RS256/PS256/ES256 only', async () => {
    const priv = await exportJWK(privateKey);
    const small = await generateKeyPair('RS256', { modulusLength: 1024, extractable: true }).catch(() => undefined);
    const p384 = await generateKeyPair('ES384', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const cases: [unknown, string][] = [
      [{ keys: [{ ...priv, kid: 'p' }] }, 'jwk_private'],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, 'jwk_private'],
      [{ keys: [{ ...publicJwk, alg: 'HS256' }] }, 'jwk_alg'],
      [{ keys: [{ ...publicJwk, alg: 'none' }] }, 'jwk_alg'],
      [{ keys: [{ ...(await exportJWK(p384.publicKey)) }] }, 'jwk_alg'],
      [{ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }] }, 'jwk_kty'],
      [{ keys: [{ ...publicJwk, use: 'enc' }] }, 'jwk_use'],
      [{ keys: [{ ...publicJwk, n: 'AAAA' }] }, 'jwk_weak'],
      [{ keys: [publicJwk, publicJwk] }, 'jwk_kid_duplicate'],
      [{ keys: [{ ...publicJwk, kid: undefined }, { ...(await exportJWK(ec.publicKey)) }] }, 'jwk_kid_required'],
      ['{"keys": [', 'jwks_invalid_json'],
      ['{"nokeys": 1}', 'jwks_invalid'],
      [{ keys: [{ ...(await exportJWK(ec.publicKey)), x: 'AAAA' }] }, 'jwk_invalid'],
    ];
    if (small) cases.push([{ keys: [await exportJWK(small.publicKey)] }, 'jwk_weak']);
    for (const [jwks, code] of cases) {
      const res = await registerClient(adminA, ORG_A, { name: 'Dårlig', jwks });
      expect(res.statusCode, `${JSON.stringify(jwks).slice(0, 80)}: ${res.body}`).toBe(jwks && typeof jwks === 'object' && !('keys' in (jwks as object)) ? 400 : 422);
      expect(res.body, JSON.stringify(jwks).slice(0, 80)).toContain(code);
    }
    expect((await registerClient(adminA, ORG_A, { name: 'x', jwks: { keys: [publicJwk] }, scopes: ['write'] })).statusCode).toBe(400);
    expect((await t.db.selectFrom('machine_clients').selectAll().execute()).length).toBe(0);
  });

  it('an admin registers a client with public keys; it is listed and shown', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    ecPrivateKey = ec.privateKey;
    const res = await registerClient(adminA, ORG_A, { name: 'Fagsystem', jwks: { keys: [publicJwk, { ...(await exportJWK(ec.publicKey)), kid: 'ec1' }] }, scopes: ['read'] });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    clientId = c.id;
    expect(c).toMatchObject({ orgnr: ORG_A, name: 'Fagsystem', scopes: ['read'], keyIds: ['k1', 'ec1'], disabledAt: null });
    expect(res.headers.location).toBe(`/api/v1/organizations/${ORG_A}/clients/${clientId}`);
    const list = await t.app.inject({ url: `/api/v1/organizations/${ORG_A}/clients`, headers: { authorization: `Bearer ${adminA}` } });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([clientId]);
    expect((await t.app.inject({ url: `/api/v1/organizations/${ORG_A}/clients/${clientId}`, headers: { authorization: `Bearer ${adminA}` } })).statusCode).toBe(200);
    // IDOR: the client through another organisation's path is unknown there, and B's admin may not look at A's.
    expect((await t.app.inject({ url: `/api/v1/organizations/${ORG_B}/clients/${clientId}`, headers: { authorization: `Bearer ${adminB}` } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG_B}/clients/${clientId}/disable`, headers: { authorization: `Bearer ${adminB}` } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG_A}/clients/${clientId}/disable`, headers: { authorization: `Bearer ${adminB}` } })).statusCode).toBe(403);
    // The stored keys are the public ones only.
    const row = await t.db.selectFrom('machine_clients').select(['jwks']).where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.jwks).not.toMatch(/"d":/);
    const audit = await t.db.selectFrom('audit_log').select(['action']).where('resource_id', '=', clientId).execute();
    expect(audit.map((a) => a.action)).toContain('machine_client.register');
  });
});

describe('the token endpoint (JWT-bearer grant)', () => {
  it('a registered client gets a token with a signed assertion and reads a PUBLIC dataset’s rows with it', async () => {
    const res = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: await assertion() });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read' });
    expect(body.access_token).toMatch(/^dfm_[A-Za-z0-9_-]{43}$/);
    expect(res.headers['cache-control']).toContain('no-store');
    const rows = await t.app.inject({ url: `/api/v1/datasets/${publicDataset}/tables/tilskudd/rows`, headers: { authorization: `Bearer ${body.access_token}` } });
    expect(rows.statusCode, rows.body).toBe(200);
    expect(rows.body).toContain('Bergen');
    // The registered EC key works too (ES256, chosen by kid); an unregistered EC key with that kid does not.
    expect((await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: await assertion({}, { key: ecPrivateKey, alg: 'ES256', kid: 'ec1' }) })).statusCode).toBe(200);
    const stranger = await generateKeyPair('ES256', { extractable: true });
    expect((await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: await assertion({}, { key: stranger.privateKey, alg: 'ES256', kid: 'ec1' }) })).statusCode).toBe(400);
    const issued = await t.db.selectFrom('audit_log').select(['details']).where('action', '=', 'oauth.token.issue').execute();
    expect(issued.length).toBe(2);
    expect(JSON.parse(issued[0]!.details)).toMatchObject({ orgnr: ORG_A, scopes: ['read'], via: 'client' });
  });

  it('the token is a read-only machine Actor: no writes, no NON_PUBLIC data of its own or another organisation without a grant', async () => {
    const token = await getToken();
    const auth = { authorization: `Bearer ${token}` };
    const actor = await t.services.accounts.resolveActor({ authorization: `Bearer ${token}` });
    expect(actor).toMatchObject({ user: null, via: 'client', client: { id: clientId, orgnr: ORG_A }, scopes: ['read'], memberships: {} });
    expect(actingOrganisations(actor)).toEqual([ORG_A]);
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${publicDataset}`, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ title: { nb: 'Kapret' } }) });
    expect([401, 403]).toContain(patch.statusCode);
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ orgnr: ORG_A, title: { nb: 'Ny' } }) });
    expect([401, 403]).toContain(create.statusCode);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG_A}/clients`, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x', jwks: { keys: [publicJwk] } }) })).statusCode).toBe(401);
    const members = await t.app.inject({ url: `/api/v1/organizations/${ORG_A}/members`, headers: auth });
    expect(members.statusCode).toBe(403);
    expect(members.json().error.details.reason).toBe('machine_client_read_only');
    const rowsB = await t.app.inject({ url: `/api/v1/datasets/${privateDatasetB}/tables/tilskudd/rows`, headers: auth });
    expect(rowsB.statusCode).not.toBe(200);
    const rowsA = await t.app.inject({ url: `/api/v1/datasets/${privateDatasetA}/tables/tilskudd/rows`, headers: auth });
    expect(rowsA.statusCode).not.toBe(200);
    expect(rowsA.body).not.toContain('Bergen');
    // The public dataset's metadata is readable.
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicDataset}`, headers: auth })).statusCode).toBe(200);
  });

  it('an expired or unknown access token is 401', async () => {
    const token = await getToken();
    await t.db.updateTable('client_access_tokens').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    const res = await t.app.inject({ url: `/api/v1/datasets/${publicDataset}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain('expired');
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicDataset}`, headers: { authorization: `Bearer dfm_${'A'.repeat(43)}` } })).statusCode).toBe(401);
  });

  it('refuses every attack with an RFC 6749 error and audits it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = await rsaKeys('k1');
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    // The classic confusion attack: HMAC keyed with the bytes of the (public) key the server holds.
    const { publicKey } = await rsaKeys('x');
    void publicKey;
    const publicPem = new TextEncoder().encode(await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey));
    const replayed = await assertion();
    expect((await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: replayed })).statusCode).toBe(200);
    const cases: { label: string; fields: Record<string, string | undefined>; status: number; error: string; headers?: Record<string, string> }[] = [
      { label: 'forged (signed by another key, same kid)', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({}, { key: other.privateKey }) }, status: 400, error: 'invalid_grant' },
      { label: 'expired', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ iat: now - 300, exp: now - 200 }) }, status: 400, error: 'invalid_grant' },
      { label: 'replayed jti', fields: { grant_type: JWT_BEARER_GRANT, assertion: replayed }, status: 400, error: 'invalid_grant' },
      { label: 'wrong aud', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ aud: 'https://maskinporten.no/' }) }, status: 400, error: 'invalid_grant' },
      { label: 'aud with an extra audience', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ aud: [BASE, 'https://other.example'] }) }, status: 400, error: 'invalid_grant' },
      { label: 'lifetime over 120 s', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ iat: now, exp: now + 121 }) }, status: 400, error: 'invalid_grant' },
      { label: 'iat in the future', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ iat: now + 60, exp: now + 90 }) }, status: 400, error: 'invalid_grant' },
      { label: 'alg none', fields: { grant_type: JWT_BEARER_GRANT, assertion: `${enc({ alg: 'none' })}.${enc(claims())}.` }, status: 400, error: 'invalid_grant' },
      { label: 'HS256 keyed with the public key', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({}, { key: publicPem as unknown as CryptoKey, alg: 'HS256' }) }, status: 400, error: 'invalid_grant' },
      { label: 'unknown claim', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ consumer_org: ORG_B }) }, status: 400, error: 'invalid_grant' },
      { label: 'no jti', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ jti: undefined }) }, status: 400, error: 'invalid_grant' },
      { label: 'no exp', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ exp: undefined }) }, status: 400, error: 'invalid_grant' },
      { label: 'scope not the client’s', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ scope: 'read write' }) }, status: 400, error: 'invalid_scope' },
      { label: 'no scope', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ scope: undefined }) }, status: 400, error: 'invalid_scope' },
      { label: 'unknown client', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion({ iss: randomUUID() }) }, status: 401, error: 'invalid_client' },
      { label: 'garbage assertion', fields: { grant_type: JWT_BEARER_GRANT, assertion: 'not.a.jwt' }, status: 400, error: 'invalid_grant' },
      { label: 'huge assertion', fields: { grant_type: JWT_BEARER_GRANT, assertion: 'a'.repeat(9000) }, status: 400, error: 'invalid_request' },
      { label: 'no assertion', fields: { grant_type: JWT_BEARER_GRANT }, status: 400, error: 'invalid_request' },
      { label: 'client_credentials', fields: { grant_type: 'client_credentials', assertion: await assertion() }, status: 400, error: 'unsupported_grant_type' },
      { label: 'JSON body', fields: { grant_type: JWT_BEARER_GRANT, assertion: await assertion() }, headers: { 'content-type': 'application/json' }, status: 400, error: 'invalid_request' },
    ];
    for (const c of cases) {
      const before = await refusedCount();
      const res = c.headers
        ? await t.app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: c.headers, payload: JSON.stringify(c.fields) })
        : await tokenRequest(c.fields);
      expect(res.statusCode, `${c.label}: ${res.body}`).toBe(c.status);
      const body = res.json();
      expect(Object.keys(body).sort(), c.label).toEqual(['error', 'error_description']);
      expect(body.error, `${c.label}: ${body.error_description}`).toBe(c.error);
      expect(body.error_description.length, c.label).toBeGreaterThan(5);
      // Refusals our checks make are audited (the JSON body is refused before it reaches them).
      if (!c.headers) expect(await refusedCount(), `${c.label} audited`).toBe(before + 1);
    }
    expect(await t.db.selectFrom('client_access_tokens').select(['token_hash']).where('expires_at', '>', new Date().toISOString()).execute()).toHaveLength(1);
    // A NUL byte (the global input guard) still answers in the OAuth shape.
    const nul = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: 'a\u0000b' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error).toBe('invalid_request');
  });

  it('a disabled client gets no token and its tokens stop working at once', async () => {
    const token = await getToken();
    const auth = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicDataset}`, headers: auth })).statusCode).toBe(200);
    const off = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG_A}/clients/${clientId}/disable`, headers: { authorization: `Bearer ${adminA}` } });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().disabledAt).toBeTruthy();
    expect((await t.app.inject({ url: `/api/v1/datasets/${publicDataset}`, headers: auth })).statusCode).toBe(401);
    const res = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: await assertion() });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'invalid_client' });
    expect(res.headers['www-authenticate']).toContain('invalid_client');
  });
});

describe('machine clients on the web (under the organisation)', () => {
  it('the organisation page links the clients page for admins; the page lists, registers (CSRF) and disables', async () => {
    const orgPage = await t.app.inject({ url: `/virksomheter/${ORG_A}`, headers: { cookie: aliceSession.cookie } });
    expect(orgPage.body).toContain(`/virksomheter/${ORG_A}/klienter`);
    const page = await t.app.inject({ url: `/virksomheter/${ORG_A}/klienter`, headers: { cookie: aliceSession.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Maskinklienter for Landbruksdirektoratet');
    expect(page.body).toContain('Fagsystem');
    const csrf = await csrfFromPage(t.app, aliceSession.cookie, `/virksomheter/${ORG_A}/klienter`);
    const keys = await rsaKeys('web1');
    const jwks = JSON.stringify({ keys: [keys.publicJwk] });
    expect((await t.app.inject({ method: 'POST', url: `/virksomheter/${ORG_A}/klienter`, headers: { ...FORM_HEADERS, cookie: aliceSession.cookie }, payload: form({ name: 'Uten CSRF', jwks }) })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: `/virksomheter/${ORG_A}/klienter`, headers: { ...FORM_HEADERS, cookie: aliceSession.cookie }, payload: form({ _csrf: csrf, name: 'Privat', jwks: JSON.stringify({ keys: [await exportJWK(keys.privateKey)] }) }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('privat eller symmetrisk nøkkel');
    const ok = await t.app.inject({ method: 'POST', url: `/virksomheter/${ORG_A}/klienter`, headers: { ...FORM_HEADERS, cookie: aliceSession.cookie }, payload: form({ _csrf: csrf, name: 'Nettklient', jwks, scopes: 'read' }) });
    expect(ok.statusCode, ok.body).toBe(303);
    const created = await t.db.selectFrom('machine_clients').selectAll().where('name', '=', 'Nettklient').executeTakeFirstOrThrow();
    const en = await t.app.inject({ url: `/virksomheter/${ORG_A}/klienter?registrert=1&lang=en`, headers: { cookie: aliceSession.cookie } });
    expect(en.body).toContain('The client has been registered.');
    expect(en.body).toContain(created.id);
    const off = await t.app.inject({ method: 'POST', url: `/virksomheter/${ORG_A}/klienter/${created.id}/deaktiver`, headers: { ...FORM_HEADERS, cookie: aliceSession.cookie }, payload: form({ _csrf: csrf }) });
    expect(off.statusCode).toBe(303);
    expect((await t.db.selectFrom('machine_clients').select(['disabled_at']).where('id', '=', created.id).executeTakeFirstOrThrow()).disabled_at).toBeTruthy();
  });

  it('outsiders get 403 and anonymous readers the sign-in page', async () => {
    const bob = await signIn(t.app, { email: 'bob@example.no', password: PASSWORD });
    expect((await t.app.inject({ url: `/virksomheter/${ORG_A}/klienter`, headers: { cookie: bob.cookie } })).statusCode).toBe(403);
    const anon = await t.app.inject({ url: `/virksomheter/${ORG_A}/klienter` });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toContain('/logg-inn');
  });
});

describe('API tokens carry their user’s organisations (and so their grants)', () => {
  it('a token resolves to the same organisations and data access as the user’s session', async () => {
    const token = await bearerFor(t.services, 'editor@example.no', ['read']);
    const viaToken = await t.services.accounts.resolveActor({ authorization: `Bearer ${token}` });
    const session = await signIn(t.app, { email: 'editor@example.no', password: PASSWORD });
    const sessionToken = /df_session=([^;]+)/.exec(session.cookie)![1]!;
    const viaSession = await t.services.accounts.resolveActor({ sessionToken });
    expect(viaToken.memberships).toEqual(viaSession.memberships);
    expect(actingOrganisations(viaToken)).toEqual([ORG_A]);
    const ds = { id: privateDatasetA, orgnr: ORG_A, state: 'draft' as const, accessRights: 'NON_PUBLIC' as const, hidden: false };
    expect(await resolveDataAccess(t.db, viaToken, ds)).toEqual(await resolveDataAccess(t.db, viaSession, ds));
    expect((await resolveDataAccess(t.db, viaToken, ds)).allow).toBe(true);
    const rows = await t.app.inject({ url: `/api/v1/datasets/${privateDatasetA}/tables/tilskudd/rows`, headers: { authorization: `Bearer ${token}` } });
    expect(rows.statusCode, rows.body).toBe(200);
  });
});

describe('issue 7.4 done-when', () => {
  it('signs in through the loopback OpenID provider with PKCE and gets a machine token by a signed JWT assertion', async () => {
    // Alice signs in with the provider (her verified address links her account) …
    const { csrf, cookies } = await csrfFor(t.app, '/logg-inn');
    const start = await t.app.inject({ method: 'POST', url: '/logg-inn/oidc', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf }) });
    expect(start.statusCode).toBe(303);
    const authUrl = new URL(String(start.headers.location));
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    const back = await loginAtProvider(authUrl.href, { login: 'sub-alice', acr: 'idporten-loa-high' });
    const done = await t.app.inject({ url: `${back.pathname}${back.search}`, headers: { cookie: cookieHeader({ ...cookies, df_oidc: setCookies(start).df_oidc! }) } });
    expect(done.statusCode, done.body).toBe(303);
    const set = setCookies(done);
    const cookie = cookieHeader({ df_session: set.df_session!, df_csrf: set.df_csrf! });
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie } })).json().email).toBe('alice@example.no');
    // … registers a machine client for her organisation on the web …
    const keys = await rsaKeys('done');
    const formCsrf = await csrfFromPage(t.app, cookie, `/virksomheter/${ORG_A}/klienter`);
    const reg = await t.app.inject({ method: 'POST', url: `/virksomheter/${ORG_A}/klienter`, headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: formCsrf, name: 'Done-when', jwks: JSON.stringify({ keys: [keys.publicJwk] }) }) });
    expect(reg.statusCode, reg.body).toBe(303);
    const client = await t.db.selectFrom('machine_clients').selectAll().where('name', '=', 'Done-when').executeTakeFirstOrThrow();
    // … and the client gets a token with a signed assertion and reads the PUBLIC rows.
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: client.id, aud: BASE, iat: now, exp: now + 120, jti: randomUUID(), scope: 'read' }).setProtectedHeader({ alg: 'RS256', kid: 'done' }).sign(keys.privateKey);
    const tok = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: jwt });
    expect(tok.statusCode, tok.body).toBe(200);
    const rows = await t.app.inject({ url: `/api/v1/datasets/${publicDataset}/tables/tilskudd/rows`, headers: { authorization: `Bearer ${tok.json().access_token}` } });
    expect(rows.statusCode).toBe(200);
    expect(rows.body).toContain('Oslo');
  });
});

describe('the machineClientToken test helper (for other domains’ tests)', () => {
  it('registers a client of the organisation and returns a working token', async () => {
    const { token, clientId: id } = await machineClientToken(t.services, ORG_B);
    const actor = await t.services.accounts.resolveActor({ authorization: `Bearer ${token}` });
    expect(actor.client).toEqual({ id, orgnr: ORG_B });
  });
});

describe('OpenAPI', () => {
  it('documents the new routes, and the token endpoint’s answers match its published schemas', async () => {
    const { default: Ajv } = await import('ajv');
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    for (const path of ['/api/v1/oauth/token', '/api/v1/organizations/{orgnr}/clients', '/api/v1/organizations/{orgnr}/clients/{id}', '/api/v1/organizations/{orgnr}/clients/{id}/disable']) expect(doc.paths[path], path).toBeDefined();
    const op = doc.paths['/api/v1/oauth/token'].post;
    expect(Object.keys(op.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    const ajv = new Ajv({ allErrors: true });
    const keys = await rsaKeys('oa');
    const c = await t.services.identity.registerClient(CLI_ACTOR, ORG_B, { name: 'oa', jwks: { keys: [keys.publicJwk] } });
    const now = Math.floor(Date.now() / 1000);
    const good = await new SignJWT({ iss: c.id, aud: BASE, iat: now, exp: now + 30, jti: randomUUID(), scope: 'read' }).setProtectedHeader({ alg: 'RS256', kid: 'oa' }).sign(keys.privateKey);
    const ok = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: good });
    const bad = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: good });
    const unknown = await tokenRequest({ grant_type: JWT_BEARER_GRANT, assertion: await assertion({ iss: randomUUID() }) });
    for (const [res, status] of [[ok, 200], [bad, 400], [unknown, 401]] as const) {
      expect(res.statusCode).toBe(status);
      const validate = ajv.compile(op.responses[String(status)].content['application/json'].schema);
      expect(validate(res.json()), `${status}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
