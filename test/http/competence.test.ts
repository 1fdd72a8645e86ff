// HTTP tests for the competence pages, the Atom feed, the JSON twins and the operator's content editor, on the
// fixture content (test/fixtures/content), walking unauthenticated → invalid → forbidden → not found → success.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompetenceService } from '../../src/competence/service';
import { createTestApp, FORM_HEADERS, form, signIn, signUpAndSignIn, csrfFromPage, type SignedIn, type TestApp } from '../helpers/app';

const FIXTURES = path.resolve(__dirname, '../fixtures/content');
let t: TestApp;
let operator: SignedIn;
let user: SignedIn;

beforeAll(async () => {
  t = await createTestApp();
  // The pages read services.competence per request: point it at the fixtures instead of the repository's content/.
  Object.assign(t.services, { competence: createCompetenceService({ db: t.db, contentDir: FIXTURES }) });
  await t.services.accounts.createUser({ email: 'operator@example.no', password: 'correct horse battery', name: 'Olga Operatør', isOperator: true });
  operator = await signIn(t.app, { email: 'operator@example.no', password: 'correct horse battery' });
  user = await signUpAndSignIn(t.app, { email: 'user@example.no', password: 'correct horse battery', name: 'Ulla' });
});
afterAll(() => t.close());

const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

describe('GET /kompetanse', () => {
  it('lists guides and courses with counts per filter value, not news', async () => {
    const res = await get('/kompetanse');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Testveiledning for dataeiere');
    expect(res.body).toContain('Datadeling i praksis');
    expect(res.body).not.toContain('Kompetansesidene er lansert');
    expect(res.body).toMatch(/for="audience-provider">Dataeiere og tilbydere \(2\)</);
    expect(res.body).toContain('<form method="get" action="/kompetanse"');
    expect(res.body).toContain('href="/api/v1/content?lang=nb"');
  });

  it('filters by target group, kind and level from the URL', async () => {
    const res = await get('/kompetanse?audience=consumer&level=advanced');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Bruk API-et fra Python');
    expect(res.body).not.toContain('Testveiledning for dataeiere');
    expect(res.body).toContain('1 treff');
    expect(res.body).toMatch(/id="audience-consumer" name="audience" value="consumer" checked/);
  });

  it('marks external courses and links out with rel="noopener"', async () => {
    const res = await get('/kompetanse?kind=course');
    expect(res.body).toContain('<a class="ds-link" href="https://example.org/kurs/datadeling" rel="noopener noreferrer" data-external="true">Til kurset hos Et universitet (eksternt nettsted)</a>');
  });

  it('shows English and nynorsk (with the bokmål text marked as such)', async () => {
    const en = await get('/kompetanse?lang=en&audience=provider');
    expect(en.body).toContain('Test guide for data owners');
    expect(en.body).toContain('Target group');
    const nn = await get('/kompetanse?lang=nn');
    expect(nn.body).toContain('Rettleiingar, kurs og videoar');
    expect(nn.body).toMatch(/<li lang="nb">\s*<h2[^>]*><a class="ds-link" href="\/kompetanse\/test-guide">Testveiledning/);
  });

  it('answers an unknown filter value with a translated 400 on the page', async () => {
    const res = await get('/kompetanse?audience=everyone');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Et av filtrene hadde en ukjent verdi');
    const en = await get('/kompetanse?level=expert&lang=en');
    expect(en.statusCode).toBe(400);
    expect(en.body).toContain('One of the filters had an unknown value');
  });
});

describe('GET /kompetanse/:id', () => {
  it('renders a guide from markdown with heading ids', async () => {
    const res = await get('/kompetanse/test-guide');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="ds-heading" data-size="lg">Testveiledning for dataeiere</h1>');
    expect(res.body).toContain('<h2 id="forste-steg">Første steg</h2>');
    expect(res.body).toContain('<h2 id="forste-steg-1">');
    expect(res.body).toContain('href="/api/v1/content/test-guide"');
  });

  it('is 404 for unknown ids and ids with odd characters', async () => {
    for (const id of ['finnes-ikke', 'TEST-GUIDE', '..%2F..%2Fetc', '%3Cscript%3E', 'a'.repeat(150), 'test-guide%00']) {
      const res = await get(`/kompetanse/${id}`);
      expect([400, 404, 414]).toContain(res.statusCode);
      expect(res.body).not.toContain('<script>');
    }
    const res = await get('/kompetanse/finnes-ikke');
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Vi fant ikke denne veiledningen eller nyheten.');
  });
});

describe('news and the Atom feed', () => {
  it('lists news and links the feed with <link rel="alternate">', async () => {
    const res = await get('/kompetanse/nyheter');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Kompetansesidene er lansert');
    expect(res.body).toContain('<link rel="alternate" type="application/atom+xml" href="/kompetanse/nyheter.atom"');
  });

  it('serves valid Atom 1.0 with escaped values', async () => {
    const res = await get('/kompetanse/nyheter.atom?lang=en');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    const xml = res.body;
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom" xml:lang="en">/);
    for (const el of ['id', 'title', 'updated']) expect(xml).toMatch(new RegExp(`<feed[^]*?<${el}>[^<]+</${el}>[^]*?<entry>`));
    expect(xml).toContain('<updated>2026-12-01T00:00:00Z</updated>');
    const entry = /<entry>([^]*?)<\/entry>/.exec(xml)?.[1] ?? '';
    expect(entry).toMatch(/<id>http:\/\/[^<]+\/kompetanse\/lansering<\/id>/);
    expect(entry).toMatch(/<link rel="alternate" type="text\/html" href="http:\/\/[^"]+\/kompetanse\/lansering"\/>/);
    expect(entry).toContain('<summary>Guides &amp; courses &lt;in one place&gt;.</summary>');
    expect(entry).toContain('<updated>2026-12-01T00:00:00Z</updated>');
  });
});

describe('GET /api/v1/content', () => {
  it('lists with filters and counts; news only when asked for', async () => {
    const res = await get('/api/v1/content?audience=provider&lang=en');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: { id: string; title: string; page: string }[]; total: number; counts: { audience: Record<string, number> } };
    expect(body.items.map((i) => i.id)).toEqual(['eksternt-kurs', 'test-guide']);
    expect(body.items[1]).toMatchObject({ title: 'Test guide for data owners', page: '/kompetanse/test-guide' });
    expect(body.counts.audience).toEqual({ provider: 2, consumer: 2, both: 1 });
    expect((await get('/api/v1/content?kind=news')).json()).toMatchObject({ total: 1, items: [{ id: 'lansering', page: '/kompetanse/nyheter#lansering' }] });
  });

  it('refuses unknown filter values and unknown parameters with 400', async () => {
    const bad = await get('/api/v1/content?audience=everyone');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'bad_filter', details: { problems: [{ field: 'audience', code: 'bad_filter' }] } } });
    const unknown = await get('/api/v1/content?colour=red');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await get('/api/v1/content?lang=de')).statusCode).toBe(400);
  });

  it('GET /api/v1/content/:id: 404 → 200 with markdown and sanitised html', async () => {
    expect((await get('/api/v1/content/finnes-ikke')).statusCode).toBe(404);
    expect((await get('/api/v1/content/Bad%20Id')).json()).toMatchObject({ error: { code: 'content_not_found' } });
    const res = await get('/api/v1/content/test-guide?lang=en');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'test-guide', lang: 'en', source: 'repo', html: expect.stringContaining('<h2 id="first-step">') });
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await get('/api/v1/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/content', '/api/v1/content/{id}']));
  });
});

describe('the operator content editor', () => {
  const editForm = (csrf: string, over: Record<string, string> = {}) =>
    form({ _csrf: csrf, title: 'Endret av operatøren', summary: 'Ny oppsummering.', audience: 'provider', kind: 'guide', level: 'intro', provider: 'Datafabrikken', free: 'true', body: '## Ny del\n\n<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))', action: 'save', ...over });

  it('GET /operator/innhold: 401 anonymous → 403 user → 200 operator', async () => {
    expect((await get('/operator/innhold')).statusCode).toBe(401);
    expect((await get('/operator/innhold', user.cookie)).statusCode).toBe(403);
    expect((await get('/operator/innhold/test-guide/nb', user.cookie)).statusCode).toBe(403);
    const res = await get('/operator/innhold', operator.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('href="/operator/innhold/test-guide/nb"');
  });

  it('POST needs the CSRF token and an operator', async () => {
    const noCsrf = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm('wrong') });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.body).toContain('Skjemaet var utløpt');
    const userCsrf = await csrfFromPage(t.app, user.cookie);
    const forbidden = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: user.cookie }, payload: editForm(userCsrf) });
    expect(forbidden.statusCode).toBe(403);
    const anon = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb/fjern', headers: { ...FORM_HEADERS }, payload: form({ _csrf: 'x' }) });
    expect(anon.statusCode).toBe(403);
  });

  it('refuses bad input with translated messages (422) and odd ids (404)', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/operator/innhold/ny', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { id: 'Bad Id!', lang: 'nb', link: 'javascript:alert(1)', published: '2026-13-01' }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Id kan bare ha små bokstaver, sifre og bindestrek.');
    expect(bad.body).toContain('Lenken må være en full adresse som begynner med https://.');
    expect(bad.body).toContain('Publisert må være en dato som ÅÅÅÅ-MM-DD.');
    const exists = await t.app.inject({ method: 'POST', url: '/operator/innhold/ny', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { id: 'test-guide', lang: 'nb' }) });
    expect(exists.statusCode).toBe(422);
    expect(exists.body).toContain('Det finnes allerede innhold med denne id-en');
    const long = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { body: 'x'.repeat(200_001) }) });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('Tekst (markdown) er for lang.');
    const huge = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { body: 'x'.repeat(1_100_000) }) });
    expect(huge.statusCode).toBe(413);
    expect((await get('/operator/innhold/..%2Fx/nb', operator.cookie)).statusCode).toBe(404);
    expect((await get('/operator/innhold/test-guide/nn', operator.cookie)).statusCode).toBe(404);
  });

  it('previews without saving, saves an override (sanitised on the public page, audited) and reverts it', async () => {
    const preview = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { action: 'preview' }) });
    expect(preview.statusCode).toBe(200);
    const shown = preview.body.slice(preview.body.indexOf('id="preview"'));
    expect(shown).toContain('<h2 id="ny-del">Ny del</h2>');
    expect(shown).not.toMatch(/<script>alert|onerror|href="javascript:/);
    // The textarea keeps what the operator wrote, escaped.
    expect(preview.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await get('/kompetanse/test-guide')).body).toContain('Testveiledning for dataeiere');

    const save = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf) });
    expect(save.statusCode).toBe(303);
    expect(save.headers.location).toBe('/operator/innhold/test-guide/nb?done=saved');
    const page = await get('/kompetanse/test-guide');
    expect(page.body).toContain('Endret av operatøren');
    expect(page.body).toContain('<h2 id="ny-del">Ny del</h2>');
    expect(page.body).not.toMatch(/<script>alert|onerror|href="javascript:/);
    const list = await get('/operator/innhold', operator.cookie);
    expect(list.body).toContain('Overstyrt av operatør');
    const audit = await t.db.selectFrom('audit_log').select(['action', 'actor_user_id']).where('resource_id', '=', 'test-guide/nb').execute();
    expect(audit).toEqual([{ action: 'content.override', actor_user_id: operator.userId }]);

    const revert = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb/fjern', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ _csrf: operator.csrf }) });
    expect(revert.statusCode).toBe(303);
    expect(revert.headers.location).toBe('/operator/innhold?done=reverted');
    expect((await get('/kompetanse/test-guide')).body).toContain('Testveiledning for dataeiere');
    const again = await t.app.inject({ method: 'POST', url: '/operator/innhold/test-guide/nb/fjern', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ _csrf: operator.csrf }) });
    expect(again.statusCode).toBe(409);
  });

  it('adds a new item that appears in the list', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/operator/innhold/ny', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: editForm(operator.csrf, { id: 'ny-video', lang: 'en', kind: 'video', title: 'A new video', link: 'https://example.org/video' }) });
    expect(res.statusCode).toBe(303);
    expect((await get('/kompetanse?kind=video&lang=en')).body).toContain('A new video');
    expect((await get('/kompetanse?kind=video')).body).toContain('<li lang="en">');
  });
});

describe('guides linked where people need them', () => {
  it('the dataset form links the describe and access guides and the wizard; the tables section links the API guide', async () => {
    const { CLI_ACTOR } = await import('../../src/access/model');
    await t.services.organisations.create(CLI_ACTOR, { orgnr: '991825827', name: 'Digitaliseringsdirektoratet' });
    const newForm = await get('/datasett/ny?org=991825827', operator.cookie);
    expect(newForm.statusCode).toBe(200);
    expect(newForm.body).toContain('<a class="ds-link" href="/kompetanse/beskrive-datasett">Slik beskriver du et datasett (veiledning)</a>');
    expect(newForm.body).toContain('href="/kompetanse/tilgangsnivaa"');
    expect(newForm.body).toContain('href="/kan-du-dele"');
    const ds = await t.services.catalog.createDataset(CLI_ACTOR, { orgnr: '991825827', title: { nb: 'Befolkning' }, accessRights: 'PUBLIC' });
    const page = await get(`/datasett/${ds.id}`, operator.cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<a class="ds-link" href="/kompetanse/bruke-api-et">Bruk det fra kode: API og SQL fra Python og R (veiledning)</a>');
  });

  it('shows operators a link to the content editor', async () => {
    expect((await get('/kompetanse', operator.cookie)).body).toContain('href="/operator/innhold"');
    expect((await get('/kompetanse', user.cookie)).body).not.toContain('href="/operator/innhold"');
  });
});

describe('an upgrade that changes an overridden file', () => {
  it('keeps the operator version and tells the operator the repository version changed', async () => {
    const fs = await import('node:fs');
    const { tempDir } = await import('../helpers/db');
    const dir = tempDir('df-content-');
    try {
      fs.cpSync(FIXTURES, dir, { recursive: true });
      Object.assign(t.services, { competence: createCompetenceService({ db: t.db, contentDir: dir }) });
      const save = await t.app.inject({
        method: 'POST',
        url: '/operator/innhold/bruk-api/en',
        headers: { ...FORM_HEADERS, cookie: operator.cookie },
        payload: form({ _csrf: operator.csrf, title: 'Operator title', summary: 'S.', audience: 'consumer', kind: 'guide', level: 'advanced', provider: 'Datafabrikken', free: 'true', body: 'Operator text.', action: 'save' }),
      });
      expect(save.statusCode).toBe(303);
      const file = `${dir}/guides/bruk-api.en.md`;
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Use the API from Python', 'Use the API from Python and R'));
      // The next start-up imports the changed repository.
      Object.assign(t.services, { competence: createCompetenceService({ db: t.db, contentDir: dir }) });
      expect((await get('/kompetanse/bruk-api?lang=en')).body).toContain('Operator title');
      const list = await get('/operator/innhold', operator.cookie);
      expect(list.body).toMatch(/href="\/operator\/innhold\/bruk-api\/en">Operator title<\/a>[^]*?Kodelageret er endret/);
      const edit = await get('/operator/innhold/bruk-api/en', operator.cookie);
      expect(edit.body).toContain('Versjonen i kodelageret er endret siden du overstyrte den.');
      await t.app.inject({ method: 'POST', url: '/operator/innhold/bruk-api/en/fjern', headers: { ...FORM_HEADERS, cookie: operator.cookie }, payload: form({ _csrf: operator.csrf }) });
      expect((await get('/kompetanse/bruk-api?lang=en')).body).toContain('Use the API from Python and R');
    } finally {
      Object.assign(t.services, { competence: createCompetenceService({ db: t.db, contentDir: FIXTURES }) });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
