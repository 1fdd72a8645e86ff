// The sharing wizard over HTTP: the two public API routes and the standalone pages (no account, no JavaScript,
// answers in the query string). Each route walks invalid input → not found → success; there is no account to check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestTreeVersion } from '../../src/wizard/service';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const JSON_HEADERS = { 'content-type': 'application/json' };
const V = latestTreeVersion();

/** A complete answer set with no stops. */
const CLEAN: Record<string, string> = {
  pd_present: 'no',
  conf_public_body: 'no',
  conf_sector_law: 'no',
  contract_nda: 'no',
  ip_licence: 'nlod',
  ip_own_rights: 'yes',
  ip_secret: 'no',
  ns_harm: 'no',
  ns_classified: 'no',
  sa_public_to_private: 'no',
  comp_undertakings: 'no',
};

const qs = (q: Record<string, string>) => new URLSearchParams(q).toString();

describe('GET /api/v1/sharing-wizard', () => {
  it('rejects an invalid version or language', async () => {
    expect((await t.app.inject({ url: '/api/v1/sharing-wizard?version=abc' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/sharing-wizard?lang=de' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/sharing-wizard?extra=1' })).statusCode).toBe(400);
  });

  it('is 404 for an unknown version', async () => {
    const r = await t.app.inject({ url: '/api/v1/sharing-wizard?version=999' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('wizard_version_not_found');
  });

  it('returns the tree without an account: areas, questions with options and conditions, stop outcomes', async () => {
    const r = await t.app.inject({ url: '/api/v1/sharing-wizard' });
    expect(r.statusCode).toBe(200);
    const tree = r.json();
    expect(tree.version).toBe(V);
    expect(tree.lang).toBe('nb');
    expect(tree.areas.map((a: { id: string }) => a.id)).toEqual(['personal_data', 'confidentiality', 'contracts', 'intellectual_property', 'national_security', 'state_aid', 'competition']);
    const q = tree.questions.find((x: { id: string }) => x.id === 'pd_art6_basis');
    expect(q.text).toContain('artikkel 6');
    expect(q.showIf).toEqual({ q: 'pd_present', equals: 'yes' });
    expect(q.options.map((o: { value: string }) => o.value)).toEqual(['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests', 'none']);
    const stop = tree.outcomes.find((o: { id: string }) => o.id === 'pd_no_art6_basis');
    expect(stop).toMatchObject({ kind: 'stop', area: 'personal_data', questionId: 'pd_art6_basis', when: { q: 'pd_art6_basis', equals: 'none' } });
    expect(stop.message.length).toBeGreaterThan(10);
  });

  it('speaks English by ?lang=en or Accept-Language, and gives nynorsk readers the bokmål texts', async () => {
    const en = (await t.app.inject({ url: '/api/v1/sharing-wizard?lang=en' })).json();
    expect(en.lang).toBe('en');
    expect(en.areas[0].title).toBe('Personal data');
    const accept = (await t.app.inject({ url: '/api/v1/sharing-wizard', headers: { 'accept-language': 'en-GB,en;q=0.9' } })).json();
    expect(accept.areas[0].title).toBe('Personal data');
    const nn = (await t.app.inject({ url: '/api/v1/sharing-wizard?lang=nn' })).json();
    expect(nn.lang).toBe('nb');
    expect(nn.areas[0].title).toBe('Personopplysninger');
    const v = (await t.app.inject({ url: `/api/v1/sharing-wizard?version=${V}` })).json();
    expect(v.version).toBe(V);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/sharing-wizard'].get.summary).toBeTruthy();
    expect(doc.paths['/api/v1/sharing-wizard/evaluate'].post.description).toContain('unknown_answer');
  });
});

describe('POST /api/v1/sharing-wizard/evaluate', () => {
  const post = (payload: unknown, url = '/api/v1/sharing-wizard/evaluate') => t.app.inject({ method: 'POST', url, headers: JSON_HEADERS, payload: JSON.stringify(payload) });

  it('rejects a malformed body', async () => {
    expect((await post({})).statusCode).toBe(400);
    expect((await post({ answers: [] })).statusCode).toBe(400);
    expect((await post({ answers: { pd_present: 1 } })).statusCode).toBe(400);
    expect((await post({ answers: {}, extra: true })).statusCode).toBe(400);
    const notJson = await t.app.inject({ method: 'POST', url: '/api/v1/sharing-wizard/evaluate', headers: JSON_HEADERS, payload: '{"answers":' });
    expect(notJson.statusCode).toBe(400);
  });

  it('rejects unknown question ids and values with 400 naming them', async () => {
    const r = await post({ answers: { pd_present: 'perhaps', no_such_question: 'yes' } });
    expect(r.statusCode).toBe(400);
    const err = r.json().error;
    expect(err.code).toBe('unknown_answer');
    expect(err.message).toContain('"no_such_question"');
    expect(err.message).toContain('"perhaps" is not an option of "pd_present"');
    expect(err.details.unknownQuestions).toEqual(['no_such_question']);
  });

  it('refuses more than 200 answers and answers over 200 characters', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 201; i++) many[`q${i}`] = 'yes';
    expect((await post({ answers: many })).statusCode).toBe(400);
    const long = await post({ answers: { pd_present: 'y'.repeat(201) } });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('answer_too_long');
    // A body far beyond the limit is 413, never parsed.
    const huge = await t.app.inject({ method: 'POST', url: '/api/v1/sharing-wizard/evaluate', headers: JSON_HEADERS, payload: JSON.stringify({ answers: { pd_present: 'x'.repeat(3_000_000) } }) });
    expect(huge.statusCode).toBe(413);
  });

  it('is 404 for an unknown version', async () => {
    expect((await post({ answers: {}, version: '999' })).statusCode).toBe(404);
  });

  it('returns the stops with area, question and message, and a summary', async () => {
    const r = await post({ answers: { pd_present: 'yes', pd_art6_basis: 'none', pd_special: 'no' } });
    expect(r.statusCode).toBe(200);
    const e = r.json();
    expect(e.complete).toBe(false);
    expect(e.stops).toHaveLength(1);
    expect(e.stops[0]).toMatchObject({ area: 'personal_data', questionId: 'pd_art6_basis' });
    expect(e.stops[0].message).toContain('behandlingsgrunnlag');
    expect(e.summary[0]).toMatchObject({ area: 'personal_data', status: 'stop' });
    expect(e.summary[0].answers[1]).toMatchObject({ questionId: 'pd_art6_basis', value: 'none' });
    expect(e.next).toBe('conf_public_body');
  });

  it('a clean complete answer set has no stops, in English too', async () => {
    const r = await post({ answers: CLEAN, version: V }, '/api/v1/sharing-wizard/evaluate?lang=en');
    expect(r.statusCode).toBe(200);
    const e = r.json();
    expect(e).toMatchObject({ complete: true, stops: [], version: V });
    expect(e.summary.every((s: { status: string }) => s.status === 'ok')).toBe(true);
    expect(e.summary[3].answers[0].label).toBe('NLOD 2.0 (Norwegian Licence for Open Government Data)');
  });
});

describe('standalone pages /kan-du-dele', () => {
  it('the start page needs no account and links the first step', async () => {
    const r = await t.app.inject({ url: '/kan-du-dele' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Kan du dele datasettet?');
    expect(r.body).toContain('href="/kan-du-dele/personopplysninger?v=');
    expect(r.body).toContain('ikke juridisk rådgivning');
  });

  it('an unknown step is 404; unknown answers or a repeated answer are a 400 page naming them', async () => {
    expect((await t.app.inject({ url: '/kan-du-dele/noe-annet' })).statusCode).toBe(404);
    const bad = await t.app.inject({ url: '/kan-du-dele/avtaler?pd_present=kanskje&%3Cscript%3E=1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('pd_present=kanskje');
    expect(bad.body).toContain('&lt;script&gt;');
    expect(bad.body).not.toContain('<script>');
    const repeated = await t.app.inject({ url: '/kan-du-dele/avtaler?pd_present=yes&pd_present=no' });
    expect(repeated.statusCode).toBe(400);
    const long = await t.app.inject({ url: `/kan-du-dele/avtaler?pd_present=${'y'.repeat(300)}` });
    expect(long.statusCode).toBe(400);
    expect((await t.app.inject({ url: '/kan-du-dele/resultat?v=999' })).statusCode).toBe(404);
    const badVersion = await t.app.inject({ url: '/kan-du-dele/avtaler?v=%3Cb%3E' });
    expect(badVersion.statusCode).toBe(404);
    expect(badVersion.body).toContain('Vi fant ikke den versjonen av veiviseren.');
    const tooMany = await t.app.inject({ url: `/kan-du-dele/resultat?${Array.from({ length: 250 }, (_, i) => `q${i}=yes`).join('&')}` });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.body).toContain('for mange svar');
  });

  it('a step renders radio groups in fieldsets with legends, keeping earlier answers in hidden fields', async () => {
    const r = await t.app.inject({ url: `/kan-du-dele/taushetsplikt?${qs({ pd_present: 'no', v: V })}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/<fieldset class="ds-fieldset" id="q-conf_public_body"[^>]*><legend/);
    expect(r.body).toContain('type="radio" id="q-conf_public_body-yes" name="conf_public_body" value="yes"');
    expect(r.body).toContain('<input type="hidden" name="pd_present" value="no"');
    expect(r.body).toContain('method="get"');
    // Conditional questions appear only once their condition holds.
    expect(r.body).not.toContain('q-conf_personal_matters');
    expect(r.body).toContain('Lagre til senere');
  });

  it('submitting with a question unanswered is a 400 page that keeps the answers given and names the missing one', async () => {
    const r = await t.app.inject({ url: `/kan-du-dele/taushetsplikt?${qs({ pd_present: 'no', v: V, conf_public_body: 'no', shown: 'conf_public_body,conf_sector_law', go: '1' })}` });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('ds-error-summary');
    expect(r.body).toContain('href="#q-conf_sector_law-yes"');
    expect(r.body).toMatch(/id="q-conf_public_body-no" name="conf_public_body" value="no" checked/);
    expect(r.body).toContain('aria-invalid="true"');
  });

  it('an answer that reveals a question re-shows the step with it; a finished step goes on to the next', async () => {
    const revealed = await t.app.inject({ url: `/kan-du-dele/personopplysninger?${qs({ pd_present: 'yes', shown: 'pd_present', go: '1', v: V })}` });
    expect(revealed.statusCode).toBe(200);
    expect(revealed.body).toContain('q-pd_art6_basis');
    expect(revealed.body).toContain('q-pd_special');
    const done = await t.app.inject({ url: `/kan-du-dele/personopplysninger?${qs({ pd_present: 'no', shown: 'pd_present', go: '1', v: V })}` });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/kan-du-dele/taushetsplikt?pd_present=no&v=${V}`);
    const last = await t.app.inject({ url: `/kan-du-dele/konkurranserett?${qs({ ...CLEAN, shown: 'comp_undertakings', go: '1', v: V })}` });
    expect(last.statusCode).toBe(303);
    expect(last.headers.location).toMatch(/^\/kan-du-dele\/resultat\?/);
  });

  it('the result lists stops per area with what to do next', async () => {
    const r = await t.app.inject({ url: `/kan-du-dele/resultat?${qs({ ...CLEAN, pd_present: 'yes', pd_art6_basis: 'none', pd_special: 'no', v: V })}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Vi fant 1 stopp');
    expect(r.body).toContain('Du har ikke et behandlingsgrunnlag for å dele personopplysningene.');
    expect(r.body).toContain('Hva du kan gjøre');
    expect(r.body).not.toContain('Ingen stopp funnet');
  });

  it('a clean result says no stops were found, with the caveat; nn and en pages', async () => {
    const nb = await t.app.inject({ url: `/kan-du-dele/resultat?${qs({ ...CLEAN, v: V })}` });
    expect(nb.body).toContain('Ingen stopp funnet');
    expect(nb.body).toContain('ikke juridisk rådgivning');
    const en = await t.app.inject({ url: `/kan-du-dele/resultat?${qs({ ...CLEAN, v: V, lang: 'en' })}` });
    expect(en.body).toContain('No stops found');
    expect(en.body).toContain('Intellectual property');
    const nn = await t.app.inject({ url: `/kan-du-dele/resultat?${qs({ ...CLEAN, v: V, lang: 'nn' })}` });
    expect(nn.body).toContain('Ingen stopp funne');
    expect(nn.body).toContain('lang="nb"');
    expect(nn.body).toContain('Personopplysninger');
  });

  it('an unfinished result says so and links the first unanswered question', async () => {
    const r = await t.app.inject({ url: `/kan-du-dele/resultat?${qs({ pd_present: 'no' })}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Du er ikke ferdig');
    expect(r.body).toContain('#q-conf_public_body');
  });

  it('answers hidden by a changed answer are dropped from the links', async () => {
    const r = await t.app.inject({ url: `/kan-du-dele/avtaler?${qs({ pd_present: 'no', pd_art6_basis: 'none' })}` });
    expect(r.statusCode).toBe(200);
    const main = r.body.slice(r.body.indexOf('<main'));
    expect(main).toContain('pd_present');
    expect(main).not.toContain('pd_art6_basis');
  });
});
