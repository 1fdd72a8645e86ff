// Consent (samtykke, issue 7.3) over HTTP, route by route (unauthenticated → invalid → forbidden → not found →
// success), then the done-when: a consumer (a bank) sees exactly the rows of the farms that consented in a
// consent-based table of a RESTRICTED dataset — through the rows API, the CSV download, CKAN's datastore_search and the
// dataset page's preview — and none after revocation or expiry. Nothing tells it about other farms: not their values,
// not their counts, not whether they are in the table. Each farm sees its own events only, with every use and its
// row count. Mails go to the subject's admins and back to the requester.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor } from '../../src/access/model';
import { mod11CheckDigit } from '../../src/identifiers/mod11';
import { ORGNR_WEIGHTS } from '../../src/identifiers/orgnr';
import { bearerFor, createTestApp, FORM_HEADERS, form, multipart, signIn, type SignedIn, type TestApp } from '../helpers/app';
import { mailsTo } from '../helpers/mail';

/** A valid organisasjonsnummer from eight digits (skipping prefixes no check digit fits). */
function orgnr(seed: number): string {
  for (let n = seed; ; n++) {
    const eight = String(n).padStart(8, '0');
    const check = mod11CheckDigit(eight, ORGNR_WEIGHTS);
    if (check !== undefined) return `${eight}${check}`;
  }
}

const OWNER = '981544315'; // Landbruksdirektoratet
const BANK = '971526920';
const FARM_A = orgnr(91100000);
const FARM_B = orgnr(91200000);
const FARM_C = orgnr(91300000); // in the table, never asked
const OTHER = orgnr(91400000);
const NOT_IN_TABLE = orgnr(91500000);
const PASSWORD = 'correct horse battery';
const MARK_B = 'GARD-B-HEMMELIG';

let t: TestApp;
let restrictedId: string;
let publicId: string;
let nonPublicId: string;
let distributionId: string;
const tokens: Record<string, string> = {};
const sessions: Record<string, SignedIn> = {};

function csv(): Buffer {
  const lines = ['orgnr;navn;belop'];
  for (let i = 0; i < 3; i++) lines.push(`${FARM_A};Gard A ${i};${100 + i}`);
  for (let i = 0; i < 2; i++) lines.push(`${FARM_B};${MARK_B} ${i};${200 + i}`);
  for (let i = 0; i < 7; i++) lines.push(`${FARM_C};Gard C ${i};${300 + i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

const auth = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const json = (who: string) => ({ ...auth(who), 'content-type': 'application/json' });

async function upload(datasetId: string, name: string): Promise<void> {
  const body = multipart({ name }, { name: `${name}.csv`, content: csv() });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, ...auth('editor') }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  for (const [nr, name] of [
    [OWNER, 'Landbruksdirektoratet'],
    [BANK, 'Banken'],
    [FARM_A, 'Gard A'],
    [FARM_B, 'Gard B'],
    [FARM_C, 'Gard C'],
    [OTHER, 'Annen virksomhet'],
  ] as const) {
    await organisations.create(CLI_ACTOR, { orgnr: nr, name });
  }
  const people: [string, string, string, 'admin' | 'editor' | 'member'][] = [
    ['editor', 'editor@ldir.example', OWNER, 'editor'],
    ['bank', 'bank@bank.example', BANK, 'member'],
    ['bankReader', 'reader@bank.example', BANK, 'member'],
    ['farmA', 'admin@garda.example', FARM_A, 'admin'],
    ['farmAMember', 'member@garda.example', FARM_A, 'member'],
    ['farmB', 'admin@gardb.example', FARM_B, 'admin'],
    ['outsider', 'admin@annen.example', OTHER, 'admin'],
  ];
  for (const [who, email, org, role] of people) {
    await accounts.createUser({ email, password: PASSWORD, name: who, emailVerified: true });
    await organisations.addMember(CLI_ACTOR, org, { email, role });
    tokens[who] = await bearerFor(t.services, email, who === 'bankReader' ? ['read'] : ['read', 'write']);
  }
  await t.db.updateTable('users').set({ locale: 'en' }).where('email', '=', 'admin@gardb.example').execute();
  sessions.bank = await signIn(t.app, { email: 'bank@bank.example', password: PASSWORD });
  sessions.farmA = await signIn(t.app, { email: 'admin@garda.example', password: PASSWORD });
  for (const access of ['RESTRICTED', 'PUBLIC', 'NON_PUBLIC'] as const) {
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: OWNER,
      title: { nb: `Produksjonstilskudd (${access})` },
      description: { nb: 'Tilskudd per foretak.' },
      accessRights: access,
      licence: 'http://data.norge.no/nlod/no/2.0',
      contactPoint: { email: 'data@ldir.example' },
    });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    if (access === 'RESTRICTED') restrictedId = ds.id;
    else if (access === 'PUBLIC') publicId = ds.id;
    else nonPublicId = ds.id;
  }
  await upload(restrictedId, 'tilskudd');
  await upload(restrictedId, 'vanlig');
  await upload(publicId, 'tilskudd');
  await upload(nonPublicId, 'tilskudd');
  await t.services.jobs.drain(60_000);
  const dist = await t.db
    .selectFrom('distributions')
    .innerJoin('tables', 'tables.id', 'distributions.table_id')
    .select('distributions.id')
    .where('tables.dataset_id', '=', restrictedId)
    .where('tables.name', '=', 'tilskudd')
    .executeTakeFirstOrThrow();
  distributionId = dist.id;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const consentUrl = (id?: string) => `/api/v1/datasets/${id ?? restrictedId}/tables/tilskudd/consent`;
const rowsUrl = `/api/v1/datasets/${'{id}'}/tables/tilskudd/rows`;
const rows = (who: string) => t.app.inject({ url: rowsUrl.replace('{id}', restrictedId) + '?_size=1000', headers: auth(who) });

function requestBody(over: Record<string, unknown> = {}) {
  return { consumerOrgnr: BANK, subjectOrgnr: FARM_A, datasetId: restrictedId, table: 'tilskudd', purpose: 'Kredittvurdering av gården', validTo: '2027-06-30', ...over };
}

let consentA = '';
let consentB = '';

describe('PUT/DELETE/GET …/tables/{table}/consent (the owner marks a table consent-based)', () => {
  it('is public metadata: not consent-based yet', async () => {
    const res = await t.app.inject({ url: consentUrl() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ datasetId: restrictedId, table: 'tilskudd', consentBased: false, column: null });
  });

  it('refuses anonymous, non-JSON, outsiders and bad columns, and public datasets', async () => {
    expect((await t.app.inject({ method: 'PUT', url: consentUrl(), headers: { 'content-type': 'application/json' }, payload: { column: 'orgnr' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PUT', url: consentUrl(), headers: { ...auth('editor'), 'content-type': 'text/plain' }, payload: 'orgnr' })).statusCode).toBe(415);
    const extra = await t.app.inject({ method: 'PUT', url: consentUrl(), headers: json('editor'), payload: { column: 'orgnr', also: 1 } });
    expect(extra.statusCode).toBe(400);
    const bank = await t.app.inject({ method: 'PUT', url: consentUrl(), headers: json('bank'), payload: { column: 'orgnr' } });
    expect(bank.statusCode).toBe(403);
    const unknown = await t.app.inject({ method: 'PUT', url: consentUrl(), headers: json('editor'), payload: { column: 'org"nr' } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.details.problems[0].code).toBe('unknown_column');
    const pub = await t.app.inject({ method: 'PUT', url: consentUrl(publicId), headers: json('editor'), payload: { column: 'orgnr' } });
    expect(pub.statusCode).toBe(422);
    expect(pub.json().error.details.problems[0].code).toBe('consent_public_dataset');
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/datasets/nope/tables/tilskudd/consent', headers: json('editor'), payload: { column: 'orgnr' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PUT', url: `/api/v1/datasets/${restrictedId}/tables/nope/consent`, headers: json('editor'), payload: { column: 'orgnr' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: consentUrl(), headers: auth('bank') })).statusCode).toBe(403);
  });

  it('lets an editor of the owner mark it, suggesting the orgnr column first', async () => {
    const before = (await t.app.inject({ url: consentUrl(), headers: auth('editor') })).json();
    expect(before.candidates[0]).toEqual({ name: 'orgnr', semanticType: 'orgnr' });
    const res = await t.app.inject({ method: 'PUT', url: consentUrl(), headers: json('editor'), payload: { column: 'orgnr' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ consentBased: true, column: 'orgnr' });
    const pub = (await t.app.inject({ url: consentUrl() })).json();
    expect(pub).toEqual({ datasetId: restrictedId, table: 'tilskudd', consentBased: true, column: 'orgnr' });
    const audit = await t.db.selectFrom('audit_log').select('action').where('action', '=', 'table.consent.mark').execute();
    expect(audit).toHaveLength(1);
  });
});

describe('POST /api/v1/consents (the consumer sends a consent request)', () => {
  it('refuses anonymous callers and bodies that are not JSON', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: { 'content-type': 'application/json' }, payload: requestBody() })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: { ...auth('bank'), 'content-type': 'text/plain' }, payload: 'x' })).statusCode).toBe(415);
  });

  it('names bad fields', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ subjectOrgnr: '123456789', purpose: '', validTo: '2020-01-01' }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(['/purpose', '/subjectOrgnr', '/validTo']);
    const unknownField = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: { ...requestBody(), admin: true } });
    expect(unknownField.statusCode).toBe(400);
    const nul = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ purpose: 'a\u0000b' }) });
    expect(nul.statusCode).toBe(400);
  });

  it('refuses acting for an organisation you are not in, a read-only token, and tables that are not consent-based', async () => {
    const notMine = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ consumerOrgnr: OTHER }) });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().error.details.reason).toBe('consent_not_acting_for');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bankReader'), payload: requestBody() })).statusCode).toBe(403);
    const plain = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ table: 'vanlig' }) });
    expect(plain.statusCode).toBe(409);
    expect(plain.json().error.code).toBe('table_not_consent_based');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ datasetId: 'nope' }) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ table: 'nope' }) })).statusCode).toBe(404);
  });

  it('creates a request, mails the subject’s admins, and refuses a duplicate while it is open', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody() });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ subjectOrgnr: FARM_A, consumerOrgnr: BANK, state: 'requested', table: 'tilskudd', subjectName: 'Gard A', validTo: '2027-06-30T23:59:59.999Z' });
    consentA = c.id;
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody() });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('consent_exists');
    const mails = mailsTo(t.platform.config.dataDir, 'admin@garda.example');
    expect(mails).toHaveLength(1);
    expect(mails[0]?.headers.subject).toContain('Banken');
    expect(mails[0]?.text).toContain(`/samtykker/${consentA}`);
    expect(mailsTo(t.platform.config.dataDir, 'member@garda.example')).toHaveLength(0);
    // Farm B and a number that has no rows at all: the request looks the same, nothing is said about the table.
    const b = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ subjectOrgnr: FARM_B, purpose: 'Kreditt <script>alert(1)</script>' }) });
    expect(b.statusCode).toBe(201);
    consentB = b.json().id;
    // In the recipient's language, and nothing in the purpose becomes markup.
    const mailB = mailsTo(t.platform.config.dataDir, 'admin@gardb.example');
    expect(mailB).toHaveLength(1);
    expect(mailB[0]?.headers.subject).toBe(`Banken (${BANK}) asks for consent`);
    expect(mailB[0]?.html).not.toContain('<script>');
    expect(mailB[0]?.html).toContain('&lt;script&gt;');
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ subjectOrgnr: NOT_IN_TABLE }) });
    expect(none.statusCode).toBe(201);
    expect(Object.keys(none.json()).sort()).toEqual(Object.keys(b.json()).sort());
  });
});

describe('GET /api/v1/consents and /consents/{id} (either party; nobody else)', () => {
  it('401 anonymous, 404 to anyone not a party (IDOR), 200 to both sides', async () => {
    expect((await t.app.inject({ url: `/api/v1/consents/${consentA}` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/consents' })).statusCode).toBe(401);
    for (const who of ['outsider', 'farmB', 'editor']) {
      const res = await t.app.inject({ url: `/api/v1/consents/${consentA}`, headers: auth(who) });
      expect(res.statusCode, who).toBe(404);
      expect(res.json().error.code).toBe('consent_not_found');
    }
    expect((await t.app.inject({ url: '/api/v1/consents/does-not-exist', headers: auth('bank') })).statusCode).toBe(404);
    for (const who of ['bank', 'farmA', 'farmAMember']) {
      const res = await t.app.inject({ url: `/api/v1/consents/${consentA}`, headers: auth(who) });
      expect(res.statusCode, who).toBe(200);
      expect(res.json().events.map((e: { kind: string }) => e.kind)).toEqual(['requested']);
    }
    expect((await t.app.inject({ url: `/api/v1/consents/${consentA}`, headers: auth('farmA') })).json().canDecide).toBe(true);
    expect((await t.app.inject({ url: `/api/v1/consents/${consentA}`, headers: auth('farmAMember') })).json().canDecide).toBe(false);
  });

  it('lists each side its own consents only', async () => {
    const bank = (await t.app.inject({ url: '/api/v1/consents?as=consumer', headers: auth('bank') })).json().items;
    expect(bank).toHaveLength(3);
    const farmA = (await t.app.inject({ url: '/api/v1/consents', headers: auth('farmA') })).json().items;
    expect(farmA.map((c: { id: string }) => c.id)).toEqual([consentA]);
    expect((await t.app.inject({ url: '/api/v1/consents?as=subject', headers: auth('bank') })).json().items).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/consents', headers: auth('outsider') })).json().items).toEqual([]);
    expect((await t.app.inject({ url: `/api/v1/consents?orgnr=${FARM_A}`, headers: auth('bank') })).json().items).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/consents?as=everyone', headers: auth('bank') })).statusCode).toBe(400);
  });
});

describe('the data before consent', () => {
  it('a requested consent gives no rows', async () => {
    const res = await rows('bank');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain(FARM_A);
  });
});

describe('POST /api/v1/consents/{id}/accept|reject|revoke (admins of the subject only)', () => {
  it('401 anonymous, 404 outsiders, 403 the consumer, a plain member and a read token', async () => {
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth('outsider') })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth('farmB') })).statusCode).toBe(404);
    for (const who of ['bank', 'farmAMember']) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth(who) });
      expect(res.statusCode, who).toBe(403);
      expect(res.json().error.details.reason).toBe('consent_subject_admin_only');
    }
    const readOnly = await bearerFor(t.services, 'admin@garda.example', ['read']);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: { authorization: `Bearer ${readOnly}` } })).statusCode).toBe(403);
    // The operator cannot consent for an organisation either.
    await expect(t.services.consents.accept(CLI_ACTOR, consentA)).rejects.toMatchObject({ status: 404 });
    const cookie = sessions.bank?.cookie ?? '';
    const noOrigin = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: { cookie } });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().error.code).toBe('csrf_failed');
  });

  it('refuses revoking a consent that was never given', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/revoke`, headers: auth('farmA') });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'consent_transition_refused', details: { state: 'requested', transition: 'revoke' } });
  });

  it('farm A accepts; accepting again is refused; the bank is told', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth('farmA') });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().state).toBe('accepted');
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth('farmA') });
    expect(again.statusCode).toBe(409);
    const rejectNow = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/reject`, headers: auth('farmA') });
    expect(rejectNow.statusCode).toBe(409);
    const mail = mailsTo(t.platform.config.dataDir, 'bank@bank.example');
    expect(mail.some((m) => m.text.includes(`/samtykker/${consentA}`))).toBe(true);
  });

  it('farm B rejects with a reason; a rejected consent cannot be accepted', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentB}/reject`, headers: json('farmB'), payload: { reason: 'Nei takk' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().state).toBe('rejected');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentB}/accept`, headers: auth('farmB') })).statusCode).toBe(409);
    const events = (await t.app.inject({ url: `/api/v1/consents/${consentB}`, headers: auth('farmB') })).json().events;
    expect(events.map((e: { kind: string; reason?: string }) => [e.kind, e.reason])).toEqual([['requested', undefined], ['rejected', 'Nei takk']]);
  });
});

describe('done when: a consumer sees exactly the consented rows of a consent-based table, and none after revocation or expiry', () => {
  it('the rows API gives farm A’s rows only, with the total over them', async () => {
    const res = await rows('bank');
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json();
    expect(page.total).toBe(3);
    expect(page.rows.map((r: { orgnr: unknown; navn: string }) => [String(r.orgnr), r.navn])).toEqual([
      [FARM_A, 'Gard A 0'],
      [FARM_A, 'Gard A 1'],
      [FARM_A, 'Gard A 2'],
    ]);
    for (const leak of [FARM_B, FARM_C, MARK_B, 'Gard C']) expect(res.body).not.toContain(leak);
    // Paging over the consented rows.
    const second = (await t.app.inject({ url: `${rowsUrl.replace('{id}', restrictedId)}?_size=2&_offset=2`, headers: auth('bank') })).json();
    expect(second).toMatchObject({ total: 3, offset: 2 });
    expect(second.rows).toHaveLength(1);
    expect(second.next).toBeNull();
    // Only this table: the ordinary table of the same dataset stays closed.
    expect((await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/vanlig/rows`, headers: auth('bank') })).statusCode).toBe(403);
    // Other organisations see nothing.
    expect((await rows('outsider')).statusCode).toBe(403);
    expect((await t.app.inject({ url: rowsUrl.replace('{id}', restrictedId) })).statusCode).toBe(401);
    // The owner still reads everything.
    expect((await rows('editor')).json().total).toBe(12);
  });

  it('a machine client of the bank reads the same rows; one of another organisation reads none', async () => {
    const client: Actor = { kind: 'anonymous', user: null, memberships: {}, scopes: ['read'], via: 'client', client: { id: 'bank-client', orgnr: BANK } };
    const page = await t.services.tables.rows(client, restrictedId, 'tilskudd', { offset: 0, size: 100 });
    expect(page.total).toBe(3);
    expect(page.rows.every((r) => String(r.orgnr) === FARM_A)).toBe(true);
    const other: Actor = { ...client, client: { id: 'other-client', orgnr: OTHER } };
    await expect(t.services.tables.rows(other, restrictedId, 'tilskudd', { offset: 0, size: 100 })).rejects.toMatchObject({ status: 401 });
    const list = await t.services.consents.list(client, { as: 'consumer' });
    expect(list.map((c) => c.id)).toContain(consentA);
    await expect(t.services.consents.accept({ ...client, client: { id: 'farm-client', orgnr: FARM_A } }, consentA)).rejects.toMatchObject({ status: 403 });
  });

  it('the CSV download and CKAN datastore_search give the same rows', async () => {
    const csvRes = await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/tilskudd/rows.csv`, headers: auth('bank') });
    expect(csvRes.statusCode, csvRes.body).toBe(200);
    const lines = csvRes.body.trim().split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.startsWith(FARM_A))).toBe(true);
    for (const leak of [FARM_B, FARM_C, MARK_B]) expect(csvRes.body).not.toContain(leak);
    const ckan = await t.app.inject({ url: `/api/3/action/datastore_search?resource_id=${distributionId}&limit=100`, headers: auth('bank') });
    expect(ckan.statusCode, ckan.body).toBe(200);
    const r = ckan.json().result;
    expect(r.total).toBe(3);
    expect(r.records.map((x: { orgnr: unknown }) => String(x.orgnr))).toEqual([FARM_A, FARM_A, FARM_A]);
    for (const leak of [FARM_B, FARM_C, MARK_B]) expect(ckan.body).not.toContain(leak);
    const filtered = await t.app.inject({ url: `/api/3/action/datastore_search?resource_id=${distributionId}&filters=${encodeURIComponent(JSON.stringify({ orgnr: FARM_C }))}`, headers: auth('bank') });
    expect(filtered.json().result.total).toBe(0);
  });

  it('the dataset page previews farm A’s rows only', async () => {
    const page = await t.app.inject({ url: `/datasett/${restrictedId}`, headers: { cookie: sessions.bank?.cookie ?? '' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Gard A 0');
    for (const leak of [FARM_B, FARM_C, MARK_B, 'Gard C']) expect(page.body).not.toContain(leak);
  });

  it('every read is a used event with farm A’s row count, and an audit entry with the consent ids', async () => {
    const events = (await t.app.inject({ url: `/api/v1/consents/${consentA}`, headers: auth('farmA') })).json().events as { kind: string; rows?: number }[];
    const used = events.filter((e) => e.kind === 'used');
    expect(used.length).toBeGreaterThanOrEqual(5);
    expect(used[0]?.rows).toBe(3);
    expect(used.every((e) => typeof e.rows === 'number')).toBe(true);
    const audit = await t.db.selectFrom('audit_log').select('details').where('action', '=', 'table.read').execute();
    const consentReads = audit.map((a) => JSON.parse(a.details)).filter((d) => d.basis === 'consent');
    expect(consentReads.length).toBe(used.length);
    expect(consentReads.every((d) => JSON.stringify(d.consentIds) === JSON.stringify([consentA]))).toBe(true);
  });

  it('the subject sees its own events only, as a log (API); others are refused', async () => {
    const log = await t.app.inject({ url: `/api/v1/organizations/${FARM_A}/consent-events`, headers: auth('farmAMember') });
    expect(log.statusCode).toBe(200);
    const items = log.json().items as { kind: string; consentId: string }[];
    expect(new Set(items.map((e) => e.consentId))).toEqual(new Set([consentA]));
    expect(items.map((e) => e.kind)).toEqual(expect.arrayContaining(['requested', 'accepted', 'used']));
    expect(log.json().total).toBe(items.length);
    for (const leak of [FARM_B, FARM_C, MARK_B]) expect(log.body).not.toContain(leak);
    expect((await t.app.inject({ url: `/api/v1/organizations/${FARM_A}/consent-events`, headers: auth('bank') })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/organizations/${FARM_A}/consent-events`, headers: auth('farmB') })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/organizations/${FARM_A}/consent-events` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `/api/v1/organizations/${FARM_A}/consent-events?limit=0`, headers: auth('farmA') })).statusCode).toBe(400);
    const farmB = (await t.app.inject({ url: `/api/v1/organizations/${FARM_B}/consent-events`, headers: auth('farmB') })).json();
    expect(farmB.items.every((e: { consentId: string }) => e.consentId === consentB)).toBe(true);
    expect(farmB.items.some((e: { kind: string }) => e.kind === 'used')).toBe(false);
  });

  it('after farm A revokes, the bank sees no rows on any surface', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/revoke`, headers: json('farmA'), payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().state).toBe('revoked');
    expect((await rows('bank')).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/datasets/${restrictedId}/tables/tilskudd/rows.csv`, headers: auth('bank') })).statusCode).toBe(403);
    const ckan = await t.app.inject({ url: `/api/3/action/datastore_search?resource_id=${distributionId}`, headers: auth('bank') });
    expect(ckan.json().success).toBe(false);
    const page = await t.app.inject({ url: `/datasett/${restrictedId}`, headers: { cookie: sessions.bank?.cookie ?? '' } });
    expect(page.body).not.toContain('Gard A 0');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/revoke`, headers: auth('farmA') })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${consentA}/accept`, headers: auth('farmA') })).statusCode).toBe(409);
    expect(mailsTo(t.platform.config.dataDir, 'bank@bank.example').some((m) => m.headers.subject?.includes('trukket tilbake'))).toBe(true);
  });

  it('a new consent that reaches validTo gives no rows, and the expiry is an event', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody() });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/accept`, headers: auth('farmA') })).statusCode).toBe(200);
    expect((await rows('bank')).json().total).toBe(3);
    // Time passes: validTo is now in the past (set directly — the clock is the only thing that moves it).
    await new Promise((r) => setTimeout(r, 5));
    await t.db.updateTable('consents').set({ valid_to: new Date().toISOString() }).where('id', '=', id).execute();
    await new Promise((r) => setTimeout(r, 5));
    expect((await rows('bank')).statusCode).toBe(403);
    const detail = (await t.app.inject({ url: `/api/v1/consents/${id}`, headers: auth('farmA') })).json();
    expect(detail.consent.state).toBe('expired');
    expect(detail.events.map((e: { kind: string }) => e.kind)).toEqual(['requested', 'accepted', 'used', 'expired']);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/revoke`, headers: auth('farmA') })).statusCode).toBe(409);
  });

  it('an unmarked table gives consents no rows', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ validTo: '2027-12-31' }) });
    const id = created.json().id;
    await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/accept`, headers: auth('farmA') });
    expect((await rows('bank')).json().total).toBe(3);
    expect((await t.app.inject({ method: 'DELETE', url: consentUrl(), headers: auth('editor') })).json().consentBased).toBe(false);
    expect((await rows('bank')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PUT', url: consentUrl(), headers: json('editor'), payload: { column: 'orgnr' } })).statusCode).toBe(200);
    expect((await rows('bank')).json().total).toBe(3);
    await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/revoke`, headers: auth('farmA') });
  });
});

describe('a consent-based table of a NON_PUBLIC dataset', () => {
  const url = (path: string) => `/api/v1/datasets/${nonPublicId}/tables/tilskudd${path}`;
  it('shares the consented rows the same way, and a hidden dataset is 404 to the consumer', async () => {
    expect((await t.app.inject({ method: 'PUT', url: url('/consent'), headers: json('editor'), payload: { column: 'orgnr' } })).statusCode).toBe(200);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ datasetId: nonPublicId }) });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect((await t.app.inject({ url: url('/rows'), headers: auth('bank') })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/accept`, headers: auth('farmA') })).statusCode).toBe(200);
    const page = (await t.app.inject({ url: url('/rows'), headers: auth('bank') })).json();
    expect(page.total).toBe(3);
    expect(page.rows.every((r: { orgnr: unknown }) => String(r.orgnr) === FARM_A)).toBe(true);
    expect((await t.app.inject({ url: url('/rows'), headers: auth('outsider') })).statusCode).toBe(403);
    // The owner hides the dataset: outsiders get 404 for its consent setting and for new requests.
    await t.db.updateTable('datasets').set({ hidden: 1 }).where('id', '=', nonPublicId).execute();
    expect((await t.app.inject({ url: url('/consent'), headers: auth('outsider') })).statusCode).toBe(404);
    const hidden = await t.app.inject({ method: 'POST', url: '/api/v1/consents', headers: json('bank'), payload: requestBody({ datasetId: nonPublicId, subjectOrgnr: FARM_C }) });
    expect(hidden.statusCode).toBe(404);
    expect((await t.app.inject({ url: url('/consent'), headers: auth('editor') })).statusCode).toBe(200);
    await t.db.updateTable('datasets').set({ hidden: 0 }).where('id', '=', nonPublicId).execute();
    await t.app.inject({ method: 'POST', url: `/api/v1/consents/${id}/revoke`, headers: auth('farmA') });
    expect((await t.app.inject({ url: url('/rows'), headers: auth('bank') })).statusCode).toBe(403);
  });
});

describe('pages (no JavaScript, CSRF)', () => {
  it('send anonymous visitors to sign in', async () => {
    for (const url of ['/samtykker', '/samtykker/ny', `/samtykker/${consentA}`, `/virksomheter/${FARM_A}/samtykkelogg`, `/datasett/${restrictedId}/tabeller/tilskudd/samtykke`]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toContain('/logg-inn');
    }
  });

  it('show a party its consent, hide it from others, and refuse a form without CSRF', async () => {
    const farmA = sessions.farmA?.cookie ?? '';
    const detail = await t.app.inject({ url: `/samtykker/${consentA}`, headers: { cookie: farmA } });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('Trukket tilbake');
    expect(detail.body).toContain('rader lest');
    const outsider = await signIn(t.app, { email: 'admin@annen.example', password: PASSWORD });
    expect((await t.app.inject({ url: `/samtykker/${consentA}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/virksomheter/${FARM_A}/samtykkelogg`, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    const noCsrf = await t.app.inject({ method: 'POST', url: `/samtykker/${consentA}/godta`, headers: { ...FORM_HEADERS, cookie: farmA }, payload: form({}) });
    expect(noCsrf.statusCode).toBe(403);
    const log = await t.app.inject({ url: `/virksomheter/${FARM_A}/samtykkelogg?lang=en`, headers: { cookie: farmA } });
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('Consent log');
  });

  it('the table setting page is for editors of the owner and names a bad column', async () => {
    const editor = await signIn(t.app, { email: 'editor@ldir.example', password: PASSWORD });
    const url = `/datasett/${restrictedId}/tabeller/tilskudd/samtykke`;
    const page = await t.app.inject({ url, headers: { cookie: editor.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<option value="orgnr" selected>orgnr (organisasjonsnummer)</option>');
    expect((await t.app.inject({ url, headers: { cookie: sessions.bank?.cookie ?? '' } })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ _csrf: editor.csrf, action: 'mark', column: 'finnes-ikke' }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Tabellen har ingen slik kolonne i gjeldende versjon.');
    const ok = await t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ _csrf: editor.csrf, action: 'mark', column: 'navn' }) });
    expect(ok.statusCode).toBe(303);
    expect((await t.app.inject({ url: consentUrl() })).json().column).toBe('navn');
    await t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ _csrf: editor.csrf, action: 'mark', column: 'orgnr' }) });
    expect((await t.app.inject({ url: consentUrl() })).json().column).toBe('orgnr');
    const noCsrf = await t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ action: 'unmark' }) });
    expect(noCsrf.statusCode).toBe(403);
    expect((await t.app.inject({ url: consentUrl() })).json().consentBased).toBe(true);
  });

  it('the request form names problems in the reader’s language and keeps the input', async () => {
    const bank = sessions.bank as SignedIn;
    const page = await t.app.inject({ url: `/samtykker/ny?dataset=${restrictedId}&table=tilskudd`, headers: { cookie: bank.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="subjectOrgnr"');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/samtykker/ny',
      headers: { ...FORM_HEADERS, cookie: bank.cookie },
      payload: form({ _csrf: bank.csrf, dataset: restrictedId, table: 'tilskudd', consumerOrgnr: BANK, subjectOrgnr: '12345', purpose: 'Formål her', validTo: '2020-01-01' }),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Skriv et organisasjonsnummer med 9 siffer.');
    expect(bad.body).toContain('Formål her');
    const good = await t.app.inject({
      method: 'POST',
      url: '/samtykker/ny',
      headers: { ...FORM_HEADERS, cookie: bank.cookie },
      payload: form({ _csrf: bank.csrf, dataset: restrictedId, table: 'tilskudd', consumerOrgnr: BANK, subjectOrgnr: FARM_C, purpose: 'Formål her', validTo: '2027-01-31' }),
    });
    expect(good.statusCode, good.body).toBe(303);
    expect(good.headers.location).toMatch(/^\/samtykker\/[0-9a-f-]{36}$/);
  });
});
