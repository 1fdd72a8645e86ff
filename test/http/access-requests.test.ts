// Access requests end to end over HTTP (issue 7.2, 7.7): applying, the owner's queue, asking for more information,
// approving with terms, the agreement (page, PDF, ODRL JSON-LD), accepting, reading, revoking (also mid-download),
// renewing; notifications in the app and by mail in the recipient's language; and the attacks: missing CSRF, IDOR on
// every id route, approving your own request, bad input — each refused with 401/403/404/422, logged, no existence leak.
import { Readable } from 'node:stream';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { cookieHeader, createTestApp, csrfFromPage, FORM_HEADERS, form, signIn, type SignedIn, type TestApp } from '../helpers/app';
import { mailFiles, parseMail } from '../helpers/mail';
import { buildWorld, MARK, ORG_APPROVED, ORG_OUTSIDER, ORG_PENDING, OWNER, PASSWORD, requestInput, type World } from '../helpers/access-world';

let t: TestApp;
let w: World;
const BASE = 'https://data.example.no';
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: BASE } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  w = await buildWorld(t);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

async function post(token: string, url: string, body: unknown = {}) {
  return t.app.inject({ method: 'POST', url, headers: json(token), payload: JSON.stringify(body) });
}

describe('applying', () => {
  it('checks every field and answers 422 naming each problem', async () => {
    const res = await post(w.tokens.outsider, '/api/v1/access-requests', {
      ...requestInput(w.datasets.RES, ORG_OUTSIDER),
      purpose: ' ',
      legalBasis: { art6: 'z', specialCategories: true },
      dataScope: { nosuch: [], data: ['navn', 'hemmelig'] },
      period: { from: '2026-13-01', to: '2020-01-01' },
    });
    expect(res.statusCode, res.body).toBe(422);
    const codes = (res.json().error.details.problems as { field: string; code: string }[]).map((p) => `${p.field}:${p.code}`);
    expect(codes).toEqual(expect.arrayContaining(['/purpose:required', '/legalBasis/art6:invalid_art6', '/legalBasis/art9:invalid_art9', '/dataScope/nosuch:unknown_table', '/dataScope/data:unknown_column', '/period/from:invalid_date']));
    // A column name is echoed only as the requester wrote it, never a value.
    expect(res.body).not.toContain(MARK);
  });

  it('refuses your own organisation, a public dataset, an organisation you are not in, and a second open request', async () => {
    const own = await post(w.tokens.editor, '/api/v1/access-requests', requestInput(w.datasets.RES, OWNER));
    expect(own.json().error.details.problems[0].code).toBe('own_dataset');
    const pub = await post(w.tokens.outsider, '/api/v1/access-requests', requestInput(w.datasets.PUB, ORG_OUTSIDER));
    expect(pub.json().error.details.problems.map((p: { code: string }) => p.code)).toContain('public_dataset');
    const notMine = await post(w.tokens.outsider, '/api/v1/access-requests', requestInput(w.datasets.RES, ORG_APPROVED));
    expect(notMine.json().error.details.problems.map((p: { code: string }) => p.code)).toContain('not_your_organisation');
    const again = await post(w.tokens.pending, '/api/v1/access-requests', requestInput(w.datasets.RES, ORG_PENDING));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('request_open');
  });

  it('answers 401 anonymous, and 404 for a hidden dataset exactly as for an unknown id', async () => {
    const anon = await t.app.inject({ method: 'POST', url: '/api/v1/access-requests', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(requestInput(w.datasets.RES, ORG_OUTSIDER)) });
    expect(anon.statusCode).toBe(401);
    const hidden = await post(w.tokens.outsider, '/api/v1/access-requests', requestInput(w.datasets.HID, ORG_OUTSIDER));
    const unknown = await post(w.tokens.outsider, '/api/v1/access-requests', requestInput('00000000-0000-4000-8000-000000000000', ORG_OUTSIDER));
    expect(hidden.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(hidden.json().error.code).toBe(unknown.json().error.code);
  });

  it('art. 9 needs special categories, and special categories need art. 9', async () => {
    const without = await post(w.tokens.outsider, '/api/v1/access-requests', { ...requestInput(w.datasets.NP, ORG_OUTSIDER), legalBasis: { art6: 'e', art9: 'j' } });
    expect(without.json().error.details.problems.map((p: { code: string }) => p.code)).toEqual(['art9_without_special']);
  });
});

describe('the lifecycle', () => {
  let requestId = '';
  let grantId = '';

  it('outsider applies; the owner sees it in the queue with state and age, and is notified in the app and by mail', async () => {
    const res = await post(w.tokens.outsider, '/api/v1/access-requests', { ...requestInput(w.datasets.NP, ORG_OUTSIDER), legalBasis: { art6: 'e', specialCategories: true, art9: 'j', note: 'Helseregisterloven § 19' } });
    expect(res.statusCode, res.body).toBe(201);
    requestId = res.json().id;
    expect(res.json()).toMatchObject({ state: 'submitted', requester: { orgnr: ORG_OUTSIDER }, owner: { orgnr: OWNER }, legalBasis: { art6: 'e', specialCategories: true, art9: 'j' }, dataScope: { data: ['navn', 'belop'] }, ageDays: 0 });
    const queue = (await t.app.inject({ url: `/api/v1/organizations/${OWNER}/access-requests?state=submitted`, headers: auth(w.tokens.editor) })).json().items;
    expect(queue.map((r: { id: string }) => r.id)).toContain(requestId);
    const notes = (await t.app.inject({ url: '/api/v1/notifications', headers: auth(w.tokens.admin) })).json();
    expect(notes.unread).toBeGreaterThan(0);
    expect(notes.items[0]).toMatchObject({ kind: 'request.submitted', link: `/tilgang/soknader/${requestId}` });
    // The owner's editors and admins get a mail; the requester does not.
    await new Promise((r) => setTimeout(r, 300));
    const mails = mailFiles(t.platform.config.dataDir).map(parseMail);
    const toAdmin = mails.filter((m) => (m.headers.to ?? '').includes(w.emails.admin) && m.text.includes(requestId));
    expect(toAdmin.length).toBeGreaterThan(0);
    expect(toAdmin[0]?.text).toContain('søker om tilgang');
    expect(mails.some((m) => (m.headers.to ?? '').includes(w.emails.outsider) && m.text.includes(requestId))).toBe(false);
  });

  it('the owner asks for more information; the requester answers; only the right side may do each', async () => {
    expect((await post(w.tokens.outsider, `/api/v1/access-requests/${requestId}/ask`, { question: 'Hvem er databehandler?' })).statusCode).toBe(403);
    const asked = await post(w.tokens.editor, `/api/v1/access-requests/${requestId}/ask`, { question: 'Hvem er databehandler?' });
    expect(asked.json()).toMatchObject({ state: 'info_requested', infoQuestion: 'Hvem er databehandler?' });
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${requestId}/answer`, { answer: 'Vi selv.' })).statusCode).toBe(403);
    const answered = await post(w.tokens.outsider, `/api/v1/access-requests/${requestId}/answer`, { answer: 'Vi selv, ingen underleverandør.' });
    expect(answered.json()).toMatchObject({ state: 'submitted', infoAnswer: 'Vi selv, ingen underleverandør.' });
  });

  it('a member (not editor) cannot approve; an editor approves with terms, which offers the agreement', async () => {
    expect((await post(w.tokens.member, `/api/v1/access-requests/${requestId}/approve`, { terms: 'x' })).statusCode).toBe(403);
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${requestId}/approve`, { terms: '' })).statusCode).toBe(422);
    const ok = await post(w.tokens.editor, `/api/v1/access-requests/${requestId}/approve`, { terms: 'Bare aggregerte tall publiseres. Ingen videreformidling.' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'approved', grant: { state: 'offered', status: 'offered', grantee: { orgnr: ORG_OUTSIDER } } });
    grantId = ok.json().grant.id;
    // Not yet accepted: still no data.
    expect((await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/tables/data/rows`, headers: auth(w.tokens.outsider) })).statusCode).toBe(403);
  });

  it('the agreement is a printable page, a PDF and an ODRL Agreement naming both organisations', async () => {
    const odrl = await t.app.inject({ url: `/api/v1/grants/${grantId}/agreement`, headers: auth(w.tokens.outsider) });
    expect(odrl.statusCode).toBe(200);
    expect(odrl.headers['content-type']).toContain('application/ld+json');
    const doc = odrl.json();
    expect(doc).toMatchObject({ type: 'Agreement', assigner: { identifier: OWNER }, assignee: { identifier: ORG_OUTSIDER }, target: `${BASE}/datasets/${w.datasets.NP}`, license: 'http://data.norge.no/nlod/no/2.0' });
    const perm = doc.permission[0];
    expect(perm.action).toBe('use');
    expect(perm.constraint.map((c: { leftOperand: string; operator: string }) => `${c.leftOperand} ${c.operator}`)).toEqual(['purpose eq', 'dateTime gteq', 'dateTime lt']);
    expect(perm.duty[0]).toMatchObject({ action: 'delete' });
    // It is valid JSON-LD in the ODRL vocabulary (the context is inline: nothing is fetched).
    const expanded = await jsonld.expand(doc, { documentLoader: async (url: string) => Promise.reject(new Error(`no fetching ${url}`)) });
    const top = expanded[0] as Record<string, unknown>;
    expect(top['@type']).toEqual(['http://www.w3.org/ns/odrl/2/Agreement']);
    expect(Object.keys(top)).toEqual(expect.arrayContaining(['http://www.w3.org/ns/odrl/2/assigner', 'http://www.w3.org/ns/odrl/2/assignee', 'http://www.w3.org/ns/odrl/2/permission']));
    const pdf = await t.app.inject({ url: `/api/v1/grants/${grantId}/agreement.pdf`, headers: auth(w.tokens.editor) });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const page = await t.app.inject({ url: `/tilgang/avtaler/${grantId}`, headers: auth(w.tokens.outsider) });
    expect(page.statusCode).toBe(200);
    for (const s of [OWNER, ORG_OUTSIDER, 'Bare aggregerte tall publiseres', 'Datadelingsavtale', `/tilgang/avtaler/${grantId}.pdf`, 'artikkel 9 nr. 2 bokstav j']) expect(page.body).toContain(s);
    const en = await t.app.inject({ url: `/tilgang/avtaler/${grantId}?lang=en`, headers: auth(w.tokens.outsider) });
    expect(en.body).toContain('Data sharing agreement');
  });

  it('the owner cannot accept on the requester\'s behalf; the requester accepts and reads the rows under the grant, audited', async () => {
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${requestId}/accept`)).statusCode).toBe(403);
    const ok = await post(w.tokens.outsider, `/api/v1/access-requests/${requestId}/accept`);
    expect(ok.json()).toMatchObject({ state: 'accepted', grant: { state: 'active', status: 'active' } });
    const rows = await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/tables/data/rows`, headers: auth(w.tokens.outsider) });
    expect(rows.statusCode).toBe(200);
    expect(rows.json().total).toBe(3);
    const audit = (await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/audit`, headers: auth(w.tokens.editor) })).json().items as { action: string; details: Record<string, unknown> }[];
    const read = audit.find((e) => e.action === 'table.read' && e.details.grantId === grantId);
    expect(read?.details).toMatchObject({ basis: 'grant', orgnr: ORG_OUTSIDER, rows: 3 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['access_request.submit', 'access_request.ask_info', 'access_request.answer', 'access_request.approve', 'grant.accept', 'table.read']));
    const usage = (await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/usage`, headers: auth(w.tokens.editor) })).json().items;
    expect(usage).toContainEqual(expect.objectContaining({ orgnr: ORG_OUTSIDER, basis: 'grant', grantId, reads: 1, rows: 3 }));
    const csv = await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/audit.csv`, headers: auth(w.tokens.editor) });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('seq,at,action,actor_user_id,actor_name,via,orgnr,basis,grant_id,rows,resource_type,resource_id,details,hash');
    expect(csv.body).toContain(grantId);
  });

  it('a revoked grant stops a download at its next page; the refusal is audited; renewing an expired grant restores it', async () => {
    // A table of 2,500 rows: a download reads it in three pages.
    const lines = ['navn;kode;belop', ...Array.from({ length: 2500 }, (_, i) => `r${i};${1000 + i};${i}`)];
    await t.services.tables.createTableFromFile(CLI_ACTOR, w.datasets.NP, { name: 'stor', filename: 'stor.csv', stream: Readable.from([Buffer.from(`${lines.join('\n')}\n`)]) });
    await t.services.jobs.drain(60_000);
    const requester = await w.actor('outsider');
    const { lines: csv } = await t.services.dataPackages.csv(requester, w.datasets.NP, 'stor');
    const it = csv[Symbol.asyncIterator]();
    expect((await it.next()).value).toContain('navn');
    expect(((await it.next()).value as string).split('\r\n').length).toBeGreaterThan(900);
    const revoke = await post(w.tokens.editor, `/api/v1/grants/${grantId}/revoke`, { reason: 'Brudd på vilkårene.' });
    expect(revoke.json()).toMatchObject({ state: 'revoked', status: 'revoked', revokeReason: 'Brudd på vilkårene.' });
    await expect(it.next()).rejects.toMatchObject({ status: 403 });
    const denied = await t.db.selectFrom('audit_log').select(['details']).where('action', '=', 'table.read.denied').execute();
    expect(denied.some((d) => d.details.includes('"status":403'))).toBe(true);
    // The next download is refused before a byte is sent.
    expect((await t.app.inject({ url: `/api/v1/datasets/${w.datasets.NP}/tables/stor/rows.csv`, headers: auth(w.tokens.outsider) })).statusCode).toBe(403);
    expect((await post(w.tokens.editor, `/api/v1/grants/${grantId}/renew`, { validTo: '2099-01-01' })).statusCode).toBe(409);
    // The expired grant holder's access comes back when the owner renews.
    const expiredGrant = (await t.app.inject({ url: `/api/v1/datasets/${w.datasets.RES}/grants`, headers: auth(w.tokens.admin) })).json().items.find((g: { status: string }) => g.status === 'expired');
    expect((await t.app.inject({ url: `/api/v1/datasets/${w.datasets.RES}/tables/data/rows`, headers: auth(w.tokens.expired) })).statusCode).toBe(403);
    expect((await post(w.tokens.admin, `/api/v1/grants/${expiredGrant.id}/renew`, { validTo: '2020-01-01' })).statusCode).toBe(422);
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    expect((await post(w.tokens.admin, `/api/v1/grants/${expiredGrant.id}/renew`, { validTo: until })).json()).toMatchObject({ status: 'active' });
    expect((await t.app.inject({ url: `/api/v1/datasets/${w.datasets.RES}/tables/data/rows`, headers: auth(w.tokens.expired) })).statusCode).toBe(200);
    const notes = (await t.app.inject({ url: '/api/v1/notifications', headers: auth(w.tokens.outsider) })).json().items.map((n: { kind: string }) => n.kind);
    expect(notes).toEqual(expect.arrayContaining(['request.info_requested', 'request.approved', 'grant.revoked']));
  });

  it('rejects with a reason, and a withdrawn request can no longer be decided', async () => {
    const r1 = (await post(w.tokens.outsider, '/api/v1/access-requests', requestInput(w.datasets.RES, ORG_OUTSIDER))).json();
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${r1.id}/reject`, {})).statusCode).toBe(400);
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${r1.id}/reject`, { reason: 'Formålet er for vagt.' })).json()).toMatchObject({ state: 'rejected', decisionReason: 'Formålet er for vagt.' });
    expect((await post(w.tokens.editor, `/api/v1/access-requests/${r1.id}/approve`, { terms: 'x' })).statusCode).toBe(409);
  });
});

describe('attacks', () => {
  it('self-approval is refused (403), even for an owner editor who is also in the requesting organisation, and logged', async () => {
    await t.services.organisations.addMember(CLI_ACTOR, ORG_PENDING, { email: w.emails.editor, role: 'member' });
    const editorActor = { ...(await w.actor('editor')), memberships: { [OWNER]: 'editor' as const, [ORG_PENDING]: 'member' as const } };
    const mine = await t.services.accessRequests.submit(editorActor, requestInput(w.datasets.NP, ORG_PENDING));
    const res = await post(w.tokens.editor, `/api/v1/access-requests/${mine.id}/approve`, { terms: 'Godkjent av meg selv.' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details.reason).toBe('self_approval');
    // Also deciding a colleague's request of the same requesting organisation.
    const byColleague = await post(w.tokens.editor, `/api/v1/access-requests/${w.requests.pending}/approve`, { terms: 'x' });
    expect(byColleague.json().error.details.reason).toBe('self_approval');
    const logged = await t.db.selectFrom('audit_log').select('details').where('action', '=', 'access_request.approve.denied').execute();
    expect(logged.filter((l) => l.details.includes('"reason":"self_approval"')).length).toBe(2);
  });

  it('IDOR: every id route answers 404 to someone on neither side, the same as an unknown id; 401 anonymous', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/access-requests/{req}`],
      ['POST', `/api/v1/access-requests/{req}/approve`, { terms: 'x' }],
      ['POST', `/api/v1/access-requests/{req}/reject`, { reason: 'x' }],
      ['POST', `/api/v1/access-requests/{req}/ask`, { question: 'x' }],
      ['POST', `/api/v1/access-requests/{req}/answer`, { answer: 'x' }],
      ['POST', `/api/v1/access-requests/{req}/withdraw`, {}],
      ['POST', `/api/v1/access-requests/{req}/accept`, {}],
      ['GET', `/api/v1/grants/{grant}`],
      ['GET', `/api/v1/grants/{grant}/agreement`],
      ['GET', `/api/v1/grants/{grant}/agreement.pdf`],
      ['POST', `/api/v1/grants/{grant}/revoke`, {}],
      ['POST', `/api/v1/grants/{grant}/renew`, { validTo: '2099-01-01' }],
      ['GET', `/tilgang/soknader/{req}`],
      ['GET', `/tilgang/avtaler/{grant}`],
      ['GET', `/tilgang/avtaler/{grant}.pdf`],
      ['GET', `/tilgang/avtaler/{grant}.jsonld`],
    ];
    for (const [method, tpl, body] of routes) {
      for (const [req, grant, label] of [
        [w.requests.approved, w.grants.approved, 'real'],
        [unknown, unknown, 'unknown'],
      ] as const) {
        const url = tpl.replace('{req}', req).replace('{grant}', grant);
        const res = await t.app.inject({ method: method as 'GET', url, headers: json(w.tokens.outsider), ...(method === 'POST' ? { payload: JSON.stringify(body) } : {}) });
        expect(res.statusCode, `${method} ${url} (${label})`).toBe(404);
        const anon = await t.app.inject({ method: method as 'GET', url, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { payload: JSON.stringify(body) } : {}) });
        expect([401, 303], `${method} ${url} anonymous`).toContain(anon.statusCode);
      }
    }
    // Another user's notification id is 404 too; the owner queue of another organisation is 403 (organisations are public).
    const note = (await t.app.inject({ url: '/api/v1/notifications', headers: auth(w.tokens.admin) })).json().items[0];
    expect((await post(w.tokens.outsider, '/api/v1/notifications/read', { id: note.id })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/organizations/${OWNER}/access-requests`, headers: auth(w.tokens.outsider) })).statusCode).toBe(403);
  });

  it('hidden datasets: 404 on the audit, usage, grants and request-form routes for outsiders, never 403', async () => {
    for (const url of [`/api/v1/datasets/${w.datasets.HID}/audit`, `/api/v1/datasets/${w.datasets.HID}/audit.csv`, `/api/v1/datasets/${w.datasets.HID}/usage`, `/api/v1/datasets/${w.datasets.HID}/grants`, `/tilgang/soknader/ny?datasett=${w.datasets.HID}`, `/datasett/${w.datasets.HID}/logg`]) {
      const res = await t.app.inject({ url, headers: auth(w.tokens.outsider) });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('Tilskudd HID');
    }
  });

  describe('CSRF', () => {
    let session: SignedIn;
    beforeAll(async () => {
      session = await signIn(t.app, { email: w.emails.editor, password: PASSWORD });
    });

    it('a form post without the _csrf field is 403 and changes nothing', async () => {
      const r = (await post(w.tokens.outsider, '/api/v1/access-requests', requestInput(w.datasets.PUB === '' ? '' : w.datasets.NP, ORG_OUTSIDER))).json();
      const res = await t.app.inject({ method: 'POST', url: `/tilgang/soknader/${r.id}/godkjenn`, headers: { ...FORM_HEADERS, cookie: session.cookie }, payload: form({ terms: 'Uten token' }) });
      expect(res.statusCode).toBe(403);
      expect((await t.services.accessRequests.get(CLI_ACTOR, r.id)).state).toBe('submitted');
      // With the token (from the page) it goes through.
      const csrf = await csrfFromPage(t.app, session.cookie, `/tilgang/soknader/${r.id}`);
      const ok = await t.app.inject({ method: 'POST', url: `/tilgang/soknader/${r.id}/godkjenn`, headers: { ...FORM_HEADERS, cookie: session.cookie }, payload: form({ _csrf: csrf, terms: 'Med token' }) });
      expect(ok.statusCode).toBe(303);
      expect((await t.services.accessRequests.get(CLI_ACTOR, r.id)).state).toBe('approved');
    });

    it('a cookie-authenticated API change from another site is 403 csrf_failed', async () => {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/grants/${w.grants.approved}/revoke`, headers: { cookie: session.cookie, 'content-type': 'application/json', origin: 'https://evil.example' }, payload: '{}' });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('csrf_failed');
      expect((await t.services.accessRequests.getGrant(CLI_ACTOR, w.grants.approved)).state).toBe('active');
    });
  });
});

describe('pages', () => {
  it('a RESTRICTED dataset page offers the request form instead of a dead end, in nb, nn and en', async () => {
    const anon = await t.app.inject({ url: `/datasett/${w.datasets.RES}` });
    expect(anon.body).toContain(`/logg-inn?next=${encodeURIComponent(`/tilgang/soknader/ny?datasett=${w.datasets.RES}`)}`);
    for (const [lang, text] of [
      ['nb', 'Søk om tilgang'],
      ['nn', 'Søk om tilgang'],
      ['en', 'Request access'],
    ]) {
      const page = await t.app.inject({ url: `/datasett/${w.datasets.RES}?lang=${lang}`, headers: auth(w.tokens.outsider) });
      expect(page.body).toContain(`/tilgang/soknader/ny?datasett=${w.datasets.RES}`);
      expect(page.body).toContain(text);
    }
  });

  it('the web form submits, re-renders with translated problems, and lands on the request page', async () => {
    const session = await signIn(t.app, { email: w.emails.revoked, password: PASSWORD });
    const formUrl = `/tilgang/soknader/ny?datasett=${w.datasets.NP}`;
    const page = await t.app.inject({ url: formUrl, headers: { cookie: session.cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const bad = await t.app.inject({ method: 'POST', url: '/tilgang/soknader', headers: { ...FORM_HEADERS, cookie: session.cookie }, payload: form({ _csrf: csrf, datasetId: w.datasets.NP, orgnr: '889640782', art6: 'e' }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Fyll ut feltet.');
    expect(bad.body).toContain('Velg minst én tabell dere trenger.');
    const good = await t.app.inject({
      method: 'POST',
      url: '/tilgang/soknader',
      headers: { ...FORM_HEADERS, cookie: session.cookie },
      payload: form({ _csrf: csrf, datasetId: w.datasets.NP, orgnr: '889640782', purpose: 'Forskning', intendedUse: 'Analyse', art6: 'e', tables: 'data', 'columns.data': ['navn'], recipients: 'Oss', periodFrom: new Date().toISOString().slice(0, 10), periodTo: '2027-06-30', deletion: 'Slettes' }),
    });
    expect(good.statusCode, good.body.slice(0, 500)).toBe(303);
    const detail = await t.app.inject({ url: String(good.headers.location), headers: { cookie: session.cookie } });
    expect(detail.body).toContain('Til vurdering');
    expect(detail.body).toContain('navn');
  });

  it('the editor hides the dataset with the field (web and API); hiding needs NON_PUBLIC; publishing RESTRICTED needs a contact point', async () => {
    const bad = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${w.datasets.RES}`, headers: json(w.tokens.editor), payload: JSON.stringify({ hidden: true }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems[0].code).toBe('hidden_requires_non_public');
    const edit = await t.app.inject({ url: `/datasett/${w.datasets.HID}/rediger`, headers: auth(w.tokens.editor) });
    expect(edit.body).toMatch(/<input[^>]*id="hidden"[^>]*checked/);
    const draft = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(w.tokens.editor), payload: JSON.stringify({ orgnr: OWNER, title: { nb: 'Uten kontakt' }, description: { nb: 'x' }, accessRights: 'RESTRICTED' }) });
    const pub = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${draft.json().id}/publish`, headers: json(w.tokens.editor), payload: '{}' });
    expect(pub.statusCode).toBe(422);
    expect(pub.json().error.details.problems.map((p: { code: string }) => p.code)).toContain('contact_required_for_publish');
    const page = await t.app.inject({ url: `/datasett/${draft.json().id}`, headers: auth(w.tokens.editor) });
    expect(page.body).toContain('må ha et kontaktpunkt');
  });

  it('queue, notifications and audit pages render for the owner in every language', async () => {
    for (const lang of ['nb', 'nn', 'en']) {
      for (const url of [`/virksomheter/${OWNER}/tilgangssoknader`, '/varsler', `/datasett/${w.datasets.RES}/logg`, '/tilgang/soknader', `/tilgang/soknader/${w.requests.pending}`]) {
        const res = await t.app.inject({ url: `${url}?lang=${lang}`, headers: auth(w.tokens.admin) });
        expect(res.statusCode, `${url} ${lang}`).toBe(200);
      }
    }
    const log = await t.app.inject({ url: `/datasett/${w.datasets.RES}/logg`, headers: auth(w.tokens.admin) });
    expect(log.body).toContain('Loggkjeden er hel');
    expect(log.body).toContain('grant.revoke');
    void cookieHeader;
  });
});
