// The sharing assessment of a dataset over HTTP: GET/PUT /api/v1/datasets/{id}/sharing-assessment and the pages under
// /datasett/{id}/vurdering (overview, one step per area, summary, PDF), each walked unauthenticated → invalid →
// forbidden → not found → success. Assessments are only for people who may update the dataset: outsiders and read-only
// tokens never see one (they could learn that a non-open table holds personal data). Prefill comes from a real ingest:
// a CSV with an `fnr` column of Skatteetaten's valid test fødselsnummer.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { MAX_ANSWERS } from '../../src/wizard/model';
import { bearerFor, cookieHeader, createTestApp, csrfFor, FORM_HEADERS, form, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';
import { Readable } from 'node:stream';

let t: TestApp;
let editor: SignedIn;
let outsider: SignedIn;
let editorWrite: string;
let editorRead: string;
let outsiderWrite: string;
let draftId: string; // NON_PUBLIC draft with a fødselsnummer table and NLOD
let publishedId: string; // published, open, no tables, no licence… (CC BY)
const ORG = '991825827';
const OTHER_ORG = '974760673';

// Valid test numbers from test/fixtures/identifiers/skatteetaten_foedselsnummer_testcases.csv (erGyldig = true).
const FNR_CSV = 'fnr,kommunenummer\n30108299939,0301\n30908299902,4601\n20036914700,5001\n03851598730,1103\n29020073150,3301\n';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const api = (id: string) => `/api/v1/datasets/${id}/sharing-assessment`;
const put = (id: string, token: string | undefined, payload: unknown) =>
  t.app.inject({ method: 'PUT', url: api(id), headers: { 'content-type': 'application/json', ...(token ? auth(token) : {}) }, payload: JSON.stringify(payload) });

/** Text of a pdfkit PDF: inflate the content streams and decode the hex strings of the TJ operators (WinAnsi). */
function pdfText(pdf: Buffer): string {
  const s = pdf.toString('latin1');
  let text = '';
  for (const m of s.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let out: string;
    try {
      out = zlib.inflateSync(Buffer.from(m[1] ?? '', 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const tj of out.matchAll(/\[(.*?)\] TJ/g)) text += [...(tj[1] ?? '').matchAll(/<([0-9a-f]+)>/g)].map((h) => Buffer.from(h[1] ?? '', 'hex').toString('latin1')).join('') + '\n';
  }
  return text;
}

beforeAll(async () => {
  t = await createTestApp({ startJobs: true });
  editor = await signUpAndSignIn(t.app, { email: 'editor@example.no', password: 'correct horse battery', name: 'Eva Editor' });
  outsider = await signUpAndSignIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery', name: 'Otto Outsider' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: OTHER_ORG, name: 'Registerenheten i Brønnøysund' });
  await t.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  await t.services.organisations.addMember(CLI_ACTOR, OTHER_ORG, { email: 'outsider@example.no', role: 'editor' });
  editorWrite = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  editorRead = await bearerFor(t.services, 'editor@example.no', ['read']);
  outsiderWrite = await bearerFor(t.services, 'outsider@example.no', ['read', 'write']);
  const draft = await t.services.catalog.createDataset(CLI_ACTOR, {
    orgnr: ORG,
    title: { nb: 'Mottakere av bostøtte' },
    description: { nb: 'Hvem som fikk bostøtte, per kommune.' },
    licence: 'http://data.norge.no/nlod/no/2.0',
    accessRights: 'NON_PUBLIC',
  });
  draftId = draft.id;
  await t.services.tables.createTableFromFile(CLI_ACTOR, draftId, { name: 'mottakere', filename: 'mottakere.csv', stream: Readable.from([Buffer.from(FNR_CSV)]) });
  await t.services.jobs.drain(60_000);
  const pub = await t.services.catalog.createDataset(CLI_ACTOR, {
    orgnr: ORG,
    title: { nb: 'Befolkning per kommune' },
    description: { nb: 'Folketall.' },
    licence: 'http://creativecommons.org/licenses/by/4.0/',
    accessRights: 'PUBLIC',
  });
  publishedId = pub.id;
  await t.services.catalog.publishDataset(CLI_ACTOR, publishedId);
}, 120_000);
afterAll(async () => t?.close());

describe('GET /api/v1/datasets/{id}/sharing-assessment', () => {
  it('401 → 403 (read token, outsider on a published dataset) → 404 (hidden draft, unknown id) → 200 with prefill', async () => {
    expect((await t.app.inject({ url: api(draftId) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: api(publishedId) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: api('nope') })).statusCode).toBe(401);

    const readToken = await t.app.inject({ url: api(draftId), headers: auth(editorRead) });
    expect(readToken.statusCode).toBe(403);
    expect(readToken.json().error.details.reason).toBe('token_scope');
    const outsiderPublished = await t.app.inject({ url: api(publishedId), headers: auth(outsiderWrite) });
    expect(outsiderPublished.statusCode).toBe(403);
    expect(outsiderPublished.body).not.toContain('pd_present');

    const outsiderDraft = await t.app.inject({ url: api(draftId), headers: auth(outsiderWrite) });
    expect(outsiderDraft.statusCode).toBe(404);
    expect(outsiderDraft.body).not.toMatch(/fodselsnummer|mottakere|pd_present/);
    expect((await t.app.inject({ url: api('00000000-0000-0000-0000-000000000000'), headers: auth(editorWrite) })).statusCode).toBe(404);

    const ok = await t.app.inject({ url: api(draftId), headers: auth(editorWrite) });
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body.saved).toBeNull();
    expect(body.saves).toBe(0);
    expect(body.prefill.answers).toEqual({ pd_present: 'yes', ip_licence: 'nlod' });
    expect(body.prefill.sources.pd_present).toEqual({ source: 'fodselsnummer_column', tables: ['mottakere'] });
    expect(body.answers).toMatchObject({ pd_present: 'yes', ip_licence: 'nlod' });
    expect(body.evaluation.complete).toBe(false);
    expect(body.evaluation.next).toBe('pd_art6_basis');
    expect(body.pdfUrl).toBe(`/datasett/${draftId}/vurdering.pdf`);

    // The published dataset: no tables → no personal-data prefill; CC BY → cc_by_4.
    const pub = (await t.app.inject({ url: api(publishedId), headers: auth(editorWrite) })).json();
    expect(pub.prefill.answers).toEqual({ ip_licence: 'cc_by_4' });
  });

  it('English texts with ?lang=en', async () => {
    const res = await t.app.inject({ url: `${api(draftId)}?lang=en`, headers: auth(editorWrite) });
    expect(res.statusCode).toBe(200);
    const pd = res.json().evaluation.summary.find((s: { area: string }) => s.area === 'personal_data');
    expect(pd.answers[0]).toMatchObject({ questionId: 'pd_present', value: 'yes', label: 'Yes' });
  });
});

describe('PUT /api/v1/datasets/{id}/sharing-assessment', () => {
  it('401 → 415/400 (bad body, unknown ids and values named, too many answers) → 403 → 404 → 200, a row per save, audited', async () => {
    expect((await put(draftId, undefined, { answers: {} })).statusCode).toBe(401);

    const notJson = await t.app.inject({ method: 'PUT', url: api(draftId), headers: { ...auth(editorWrite), 'content-type': 'text/plain' }, payload: 'x' });
    expect(notJson.statusCode).toBe(415);
    expect((await put(draftId, editorWrite, { answers: 'yes' })).statusCode).toBe(400);
    expect((await put(draftId, editorWrite, { answers: {}, extra: 1 })).statusCode).toBe(400);
    expect((await put(draftId, editorWrite, { answers: { pd_present: 5 } })).statusCode).toBe(400);
    const unknown = await put(draftId, editorWrite, { answers: { pd_present: 'maybe', no_such_question: 'yes' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('unknown_answer');
    expect(unknown.json().error.message).toContain('no_such_question');
    expect(unknown.json().error.message).toContain('maybe');
    const huge = Object.fromEntries(Array.from({ length: MAX_ANSWERS + 1 }, (_, i) => [`q${i}`, 'yes']));
    expect((await put(draftId, editorWrite, { answers: huge })).statusCode).toBe(400);
    const longValue = await put(draftId, editorWrite, { answers: { pd_present: 'y'.repeat(10_000) } });
    expect(longValue.statusCode).toBe(400);
    const badVersion = await put(draftId, editorWrite, { answers: { pd_present: 'yes' }, version: '999' });
    expect(badVersion.statusCode).toBe(400);
    expect(badVersion.json().error.code).toBe('unknown_version');

    expect((await put(draftId, editorRead, { answers: { pd_present: 'yes' } })).statusCode).toBe(403);
    expect((await put(publishedId, outsiderWrite, { answers: { pd_present: 'yes' } })).statusCode).toBe(403);
    expect((await put(draftId, outsiderWrite, { answers: { pd_present: 'yes' } })).statusCode).toBe(404);
    expect((await put('nope', editorWrite, { answers: { pd_present: 'yes' } })).statusCode).toBe(404);

    const first = await put(draftId, editorWrite, { answers: { pd_present: 'yes', pd_art6_basis: 'none' } });
    expect(first.statusCode).toBe(200);
    expect(first.json().stops).toEqual([expect.objectContaining({ area: 'personal_data', questionId: 'pd_art6_basis' })]);
    expect(first.json().assessment).toMatchObject({ treeVersion: '1', savedBy: { name: 'Eva Editor' }, answers: { pd_present: 'yes', pd_art6_basis: 'none' } });

    // Changing "personal data" to no drops the hidden follow-up answer and its stop.
    const second = await put(draftId, editorWrite, { answers: { pd_present: 'no', pd_art6_basis: 'none' }, version: '1' });
    expect(second.statusCode).toBe(200);
    expect(second.json().stops).toEqual([]);
    expect(second.json().assessment.answers).toEqual({ pd_present: 'no' });

    const rows = await t.db.selectFrom('sharing_assessments').selectAll().where('dataset_id', '=', draftId).orderBy('saved_at').execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ tree_version: '1', stop_count: 1, complete: 0 });
    expect(JSON.parse(rows[0]!.stops)).toEqual([{ area: 'personal_data', questionId: 'pd_art6_basis' }]);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'dataset.assessment.save').where('resource_id', '=', draftId).execute();
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ via: 'token', treeVersion: '1' });

    const now = (await t.app.inject({ url: api(draftId), headers: auth(editorWrite) })).json();
    expect(now.saves).toBe(2);
    expect(now.saved.answers).toEqual({ pd_present: 'no' });
    // A saved "no" is not overridden by the prefill; the licence (not answered) still is pre-filled.
    expect(now.answers).toEqual({ pd_present: 'no', ip_licence: 'nlod' });
  });

  it('is documented in OpenAPI', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    const path = doc.paths['/api/v1/datasets/{id}/sharing-assessment'];
    expect(path.get.summary).toBeTruthy();
    expect(path.put.requestBody).toBeTruthy();
  });
});

describe('the assessment pages', () => {
  const pages = (id: string) => [`/datasett/${id}/vurdering`, `/datasett/${id}/vurdering/steg/personal_data`, `/datasett/${id}/vurdering/oppsummering`, `/datasett/${id}/vurdering.pdf`];
  const postStep = (who: SignedIn, id: string, area: string, fields: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: `/datasett/${id}/vurdering/steg/${area}`, headers: { ...FORM_HEADERS, cookie: who.cookie }, payload: form({ _csrf: who.csrf, ...fields }) });

  it('anonymous → sign in; outsiders 403/404; unknown step 404; editors 200', async () => {
    for (const url of pages(draftId)) {
      const anon = await t.app.inject({ url });
      expect(anon.statusCode, url).toBe(303);
      expect(anon.headers.location).toContain('/logg-inn');
      expect((await t.app.inject({ url, headers: { cookie: outsider.cookie } })).statusCode, url).toBe(404);
    }
    for (const url of pages(publishedId)) expect((await t.app.inject({ url, headers: { cookie: outsider.cookie } })).statusCode, url).toBe(403);
    expect((await t.app.inject({ url: `/datasett/${draftId}/vurdering/steg/nope`, headers: { cookie: editor.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/datasett/nope/vurdering`, headers: { cookie: editor.cookie } })).statusCode).toBe(404);
    for (const url of pages(draftId).slice(0, 3)) {
      const res = await t.app.inject({ url, headers: { cookie: editor.cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
    }
  });

  it('a step: no CSRF 403, a missing answer 422, unknown value 400, outsider 404; then saves and goes on', async () => {
    const id = (await t.services.catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: 'Skjema' }, accessRights: 'NON_PUBLIC' })).id;
    const anon = await t.app.inject({ method: 'POST', url: `/datasett/${id}/vurdering/steg/personal_data`, headers: FORM_HEADERS, payload: form({ pd_present: 'yes' }) });
    expect(anon.statusCode).toBe(403); // the CSRF check comes first for a form post without a token
    const { csrf, cookies } = await csrfFor(t.app, '/logg-inn');
    const anonWithToken = await t.app.inject({ method: 'POST', url: `/datasett/${id}/vurdering/steg/personal_data`, headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ _csrf: csrf, pd_present: 'yes' }) });
    expect(anonWithToken.statusCode).toBe(401);
    const noCsrf = await t.app.inject({ method: 'POST', url: `/datasett/${id}/vurdering/steg/personal_data`, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ pd_present: 'yes' }) });
    expect(noCsrf.statusCode).toBe(403);
    const missing = await postStep(editor, id, 'personal_data', { _shown: 'pd_present' });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Velg et svar');
    const bad = await postStep(editor, id, 'personal_data', { _shown: 'pd_present', pd_present: 'kanskje' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('kanskje');
    expect((await postStep(outsider, id, 'personal_data', { _shown: 'pd_present', pd_present: 'yes' })).statusCode).toBe(404);

    // "yes" reveals the follow-up questions on the same step.
    const yes = await postStep(editor, id, 'personal_data', { _shown: 'pd_present', pd_present: 'yes' });
    expect(yes.statusCode).toBe(303);
    expect(yes.headers.location).toBe(`/datasett/${id}/vurdering/steg/personal_data#q-pd_art6_basis`);
    const step = await t.app.inject({ url: `/datasett/${id}/vurdering/steg/personal_data`, headers: { cookie: editor.cookie } });
    expect(step.body).toContain('name="pd_art6_basis"');
    // No legal basis → the stop, shown on the same step.
    const none = await postStep(editor, id, 'personal_data', { _shown: 'pd_present pd_art6_basis pd_special', pd_present: 'yes', pd_art6_basis: 'none', pd_special: 'no' });
    expect(none.headers.location).toBe(`/datasett/${id}/vurdering/steg/personal_data#stops`);
    const stopped = await t.app.inject({ url: `/datasett/${id}/vurdering/steg/personal_data`, headers: { cookie: editor.cookie } });
    expect(stopped.body).toContain('id="stops"');
    // A clean step goes to the next one.
    const clean = await postStep(editor, id, 'contracts', { _shown: 'contract_nda', contract_nda: 'no' });
    expect(clean.headers.location).toBe(`/datasett/${id}/vurdering/steg/intellectual_property`);
    const last = await postStep(editor, id, 'competition', { _shown: 'comp_undertakings', comp_undertakings: 'no' });
    expect(last.headers.location).toBe(`/datasett/${id}/vurdering/oppsummering`);

    // The warning: on the dataset page for editors, with the publish button going to the confirmation; never for outsiders.
    const page = await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: editor.cookie } });
    expect(page.body).toContain('id="assessment-warning"');
    expect(page.body).toContain(`href="/datasett/${id}/publiser"`);
    expect(page.body).toContain(`/datasett/${id}/vurdering/steg/personal_data#q-pd_art6_basis`);
    const edit = await t.app.inject({ url: `/datasett/${id}/rediger`, headers: { cookie: editor.cookie } });
    expect(edit.body).toContain('id="assessment-warning"');
    const confirm = await t.app.inject({ url: `/datasett/${id}/publiser`, headers: { cookie: editor.cookie } });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('id="assessment-warning"');
    expect(confirm.body).toContain(`action="/datasett/${id}/publiser"`);
    expect((await t.app.inject({ url: `/datasett/${id}/publiser` })).statusCode).toBe(303);
    expect((await t.app.inject({ url: `/datasett/${id}/publiser`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    const published = (await t.app.inject({ url: `/datasett/${publishedId}`, headers: { cookie: outsider.cookie } })).body;
    expect(published).not.toContain('assessment-warning');
    expect((await t.app.inject({ url: `/datasett/${publishedId}` })).body).not.toContain('assessment-warning');
  });

  it('the PDF: application/pdf, a telling file name, the title, publisher with orgnr, answers, stops and the disclaimer', async () => {
    await put(draftId, editorWrite, { answers: { pd_present: 'yes', pd_art6_basis: 'none' } });
    const res = await t.app.inject({ url: `/datasett/${draftId}/vurdering.pdf`, headers: { cookie: editor.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="delingsvurdering-mottakere-av-bostotte-\d{4}-\d{2}-\d{2}\.pdf"$/);
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(res.rawPayload);
    expect(text).toContain('Mottakere av bostøtte');
    expect(text).toContain('Digitaliseringsdirektoratet (org.nr. 991825827)');
    expect(text).toContain('Inneholder dataene personopplysninger?');
    expect(text).toContain('ikke juridisk rådgivning');
    expect(text).toMatch(/versjon 1 av veiviseren/);
    const en = await t.app.inject({ url: `/datasett/${draftId}/vurdering.pdf?lang=en`, headers: { cookie: editor.cookie } });
    expect(en.headers['content-disposition']).toContain('sharing-assessment-');
    expect(pdfText(en.rawPayload)).toContain('not legal advice');
  });
});
