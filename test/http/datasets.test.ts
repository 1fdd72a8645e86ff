// HTTP tests for datasets and distributions: each route walked unauthenticated → invalid input → forbidden → not found
// → success, through app.inject on a fresh database (SQLite, or PostgreSQL when DATABASE_URL is set).
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, createTestApp, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

let t: TestApp;
let editor: SignedIn;
let outsider: SignedIn;
let editorToken: string;
let outsiderToken: string;
let memberToken: string;
const ORG = '991825827';
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

function form(who: SignedIn, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams({ _csrf: who.csrf });
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return { headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() };
}

const complete = {
  orgnr: ORG,
  title: { nb: 'Befolkning per kommune', en: 'Population by municipality' },
  description: { nb: 'Folketall i alle kommuner, årlig.' },
  keywords: { nb: ['befolkning', 'kommune'] },
  themes: ['SOCI'],
  losThemes: ['https://psi.norge.no/los/tema/arbeid'],
  accessRights: 'PUBLIC',
  licence: 'http://data.norge.no/nlod/no/2.0',
  spatial: ['0301', '4601'],
  temporal: { start: '2020-01-01', end: '2024-12-31' },
  frequency: 'ANNUAL',
  contactPoint: { email: 'data@example.no' },
};

async function createDataset(payload: Record<string, unknown> = complete): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(editorToken), payload });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

beforeAll(async () => {
  t = await createTestApp({ env: { BODY_LIMIT: '8192' } });
  editor = await signUpAndSignIn(t.app, { email: 'editor@example.no', password: 'correct horse battery', name: 'Eva Editor' });
  outsider = await signUpAndSignIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery', name: 'Otto Outsider' });
  await signUpAndSignIn(t.app, { email: 'member@example.no', password: 'correct horse battery', name: 'Mona Member' });
  editorToken = await bearerFor(t.services, 'editor@example.no');
  outsiderToken = await bearerFor(t.services, 'outsider@example.no');
  memberToken = await bearerFor(t.services, 'member@example.no');
  const org = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: json(editorToken), payload: { orgnr: ORG, name: 'Digitaliseringsdirektoratet' } });
  expect(org.statusCode).toBe(201);
  // A user's claim starts pending; the operator approves it so the organisation may publish.
  await t.services.accounts.createUser({ email: 'operator@example.no', password: 'correct horse battery', name: 'Olga Operator', isOperator: true });
  const approved = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/approve`, headers: auth(await bearerFor(t.services, 'operator@example.no')) });
  expect(approved.json()).toMatchObject({ status: 'approved' });
  const m = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/members`, headers: json(editorToken), payload: { email: 'member@example.no', role: 'member' } });
  expect(m.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/datasets', () => {
  const url = '/api/v1/datasets';
  it('401 → 400 unknown field → 415 → 413 → 422 → 403 → 201', async () => {
    expect((await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: complete })).statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...complete, colour: 'blue' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.problems[0].code).toBe('unknown_field');
    const nested = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...complete, title: { nb: 'x', de: 'y' } } });
    expect(nested.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: { ...auth(editorToken), 'content-type': 'text/plain' }, payload: 'hello' })).statusCode).toBe(415);
    expect((await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: JSON.stringify({ ...complete, provenance: 'x'.repeat(9000) }) })).statusCode).toBe(413);
    const invalid = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...complete, spatial: ['0399'], themes: ['NOPE'] } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(['/spatial/0', '/themes/0']);
    const badOrg = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...complete, orgnr: '991825828' } });
    expect(badOrg.statusCode).toBe(403); // not an editor of a (non-existent) organisation: the door answers first
    expect((await t.app.inject({ method: 'POST', url, headers: json(outsiderToken), payload: complete })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url, headers: json(memberToken), payload: complete })).statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: complete });
    expect(ok.statusCode).toBe(201);
    const ds = ok.json();
    expect(ok.headers.location).toBe(`/api/v1/datasets/${ds.id}`);
    expect(ds).toMatchObject({ state: 'draft', publisher: { orgnr: ORG, name: 'Digitaliseringsdirektoratet' }, themes: ['http://publications.europa.eu/resource/authority/data-theme/SOCI'], temporal: { start: '2020-01-01', end: '2024-12-31' } });
  });
});

describe('tolerance for what other catalogues send', () => {
  it('reads the language tag "no" as bokmål and a date-time without a zone as Norwegian local time', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets',
      headers: json(editorToken),
      payload: { orgnr: ORG, accessRights: 'PUBLIC', title: { no: 'Tilskudd per foretak' }, keywords: { no: ['tilskudd'] }, issued: '2024-01-31T10:00:00', modified: '2024-07-01T10:00', temporal: { start: '31.01.2024' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const ds = res.json();
    expect(ds.title).toEqual({ nb: 'Tilskudd per foretak' });
    expect(ds.keywords).toEqual({ nb: ['tilskudd'] });
    expect(ds.issued).toBe('2024-01-31T09:00:00.000Z'); // CET, UTC+1
    expect(ds.modified).toBe('2024-07-01T08:00:00.000Z'); // CEST, UTC+2
    expect(ds.temporal.start).toBe('2024-01-31');
    // nb wins over no when both are given; what is not a date stays a 422 naming the field.
    const both = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(editorToken), payload: { orgnr: ORG, accessRights: 'PUBLIC', title: { nb: 'Bokmål', no: 'Norsk' } } });
    expect(both.json().title).toEqual({ nb: 'Bokmål' });
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(editorToken), payload: { orgnr: ORG, accessRights: 'PUBLIC', title: { nb: 'X' }, issued: '2024-13-45T10:00' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.problems[0].field).toBe('/issued');
  });
});

describe('GET /api/v1/datasets/:id, publish, archive', () => {
  it('drafts are 404 for outsiders and anonymous, visible to members; publishing needs the required fields', async () => {
    const id = await createDataset({ orgnr: ORG, title: { nb: 'Halvferdig' }, accessRights: 'PUBLIC' });
    const url = `/api/v1/datasets/${id}`;
    expect((await t.app.inject({ url })).statusCode).toBe(404);
    expect((await t.app.inject({ url, headers: auth(outsiderToken) })).statusCode).toBe(404);
    expect((await t.app.inject({ url, headers: auth(memberToken) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/v1/datasets/${crypto.randomUUID()}`, headers: auth(editorToken) })).json().error.code).toBe('dataset_not_found');

    expect((await t.app.inject({ method: 'POST', url: `${url}/publish` })).statusCode).toBe(404); // anonymous cannot see the draft
    expect((await t.app.inject({ method: 'POST', url: `${url}/publish`, headers: auth(memberToken) })).statusCode).toBe(403);
    const missing = await t.app.inject({ method: 'POST', url: `${url}/publish`, headers: auth(editorToken) });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(['/description', '/licence']);

    expect((await t.app.inject({ method: 'PATCH', url, headers: { 'content-type': 'application/json' }, payload: { provenance: 'x' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PATCH', url, headers: json(editorToken), payload: {} })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url, headers: json(editorToken), payload: { temporal: { start: '2024-13-01' } } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'PATCH', url, headers: json(memberToken), payload: { provenance: 'x' } })).statusCode).toBe(403);
    const patched = await t.app.inject({ method: 'PATCH', url, headers: json(editorToken), payload: { description: { nb: 'Nå beskrevet.' }, licence: 'https://creativecommons.org/licenses/by/4.0/' } });
    expect(patched.statusCode).toBe(200);
    const published = await t.app.inject({ method: 'POST', url: `${url}/publish`, headers: auth(editorToken) });
    expect(published.statusCode).toBe(200);
    expect(published.json().state).toBe('published');
    expect((await t.app.inject({ method: 'POST', url: `${url}/publish`, headers: auth(editorToken) })).statusCode).toBe(409);
    expect((await t.app.inject({ url })).statusCode).toBe(200);

    expect((await t.app.inject({ method: 'POST', url: `${url}/archive` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `${url}/archive`, headers: auth(outsiderToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `${url}/archive`, headers: auth(editorToken) })).json().state).toBe('archived');
    expect((await t.app.inject({ url })).statusCode).toBe(404);
  });
});

describe('GET /api/v1/datasets', () => {
  it('searches, filters and pages; drafts only for members; limit ≤ 100', async () => {
    const ids: string[] = [];
    for (const [i, title] of ['Fiskeri i Ålesund', 'Skoler i ÅLESUND', 'Veier i Bergen'].entries()) {
      const id = await createDataset({ ...complete, title: { nb: title }, accessRights: i === 2 ? 'RESTRICTED' : 'PUBLIC' });
      expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: auth(editorToken) })).statusCode).toBe(200);
      ids.push(id);
    }
    const draft = await createDataset({ ...complete, title: { nb: 'Ålesund utkast' } });

    const search = await t.app.inject({ url: `/api/v1/datasets?q=${encodeURIComponent('ålesund')}&limit=1` });
    expect(search.statusCode).toBe(200);
    expect(search.json()).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(search.json().next).toBe(`/api/v1/datasets?q=${encodeURIComponent('ålesund')}&limit=1&offset=1`);
    const second = await t.app.inject({ url: search.json().next });
    expect(second.json().next).toBeNull();
    const both = [search.json().items[0].id, second.json().items[0].id].sort();
    expect(both).toEqual([ids[0], ids[1]].sort());

    const asMember = await t.app.inject({ url: `/api/v1/datasets?q=${encodeURIComponent('ålesund')}`, headers: auth(memberToken) });
    expect(asMember.json().items.map((d: { id: string }) => d.id)).toContain(draft);
    expect((await t.app.inject({ url: '/api/v1/datasets?state=draft' })).json().total).toBe(0);
    const restricted = await t.app.inject({ url: '/api/v1/datasets?accessRights=RESTRICTED' });
    expect(restricted.json().items.map((d: { id: string }) => d.id)).toEqual([ids[2]]);
    expect((await t.app.inject({ url: '/api/v1/datasets?limit=101' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/datasets?accessRights=OPEN' })).statusCode).toBe(400);
  });
});

describe('distributions', () => {
  it('GET/POST/PATCH/DELETE walk 401 → 400 → 422 → 403 → 404 → success', async () => {
    const id = await createDataset();
    const url = `/api/v1/datasets/${id}/distributions`;
    const dist = { title: { nb: 'CSV-fil' }, downloadUrl: 'https://example.org/befolkning.csv', mediaType: 'text/csv', format: 'CSV' };
    expect((await t.app.inject({ url })).statusCode).toBe(404); // draft
    expect((await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: dist })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...dist, size: 1 } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { title: { nb: 'Uten lenke' } } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: { ...dist, mediaType: 'csv' } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'POST', url, headers: json(memberToken), payload: dist })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${crypto.randomUUID()}/distributions`, headers: json(editorToken), payload: dist })).statusCode).toBe(404);
    const created = await t.app.inject({ method: 'POST', url, headers: json(editorToken), payload: dist });
    expect(created.statusCode).toBe(201);
    const distId = created.json().id as string;
    expect((await t.app.inject({ url, headers: auth(memberToken) })).json().items).toHaveLength(1);
    expect((await t.app.inject({ url: `/api/v1/datasets/${id}`, headers: auth(editorToken) })).json().distributions[0].id).toBe(distId);

    const one = `${url}/${distId}`;
    expect((await t.app.inject({ method: 'PATCH', url: one, headers: json(memberToken), payload: { format: 'JSON' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${crypto.randomUUID()}`, headers: json(editorToken), payload: { format: 'JSON' } })).statusCode).toBe(404);
    const patched = await t.app.inject({ method: 'PATCH', url: one, headers: json(editorToken), payload: { format: 'PARQUET', byteSize: 2048 } });
    expect(patched.json()).toMatchObject({ format: 'PARQUET', byteSize: 2048 });
    expect((await t.app.inject({ method: 'DELETE', url: one })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: one, headers: auth(memberToken) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: one, headers: auth(editorToken) })).statusCode).toBe(204);
    expect((await t.app.inject({ url, headers: auth(editorToken) })).json().items).toEqual([]);
  });
});

describe('pages', () => {
  it('the list works without JavaScript: search box, filters, paging links, JSON twin', async () => {
    const res = await t.app.inject({ url: `/datasett?q=${encodeURIComponent('ålesund')}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Fiskeri i Ålesund');
    expect(res.body).not.toContain('Veier i Bergen');
    expect(res.body).not.toContain('Ålesund utkast');
    expect(res.body).toContain('name="q"');
    expect(res.body).toContain('name="tilgang"');
    expect(res.body).toContain('type="application/json" href="/api/v1/datasets?q=%C3%A5lesund"');
    const filtered = await t.app.inject({ url: '/datasett?tilgang=RESTRICTED' });
    expect(filtered.body).toContain('Veier i Bergen');
    expect(filtered.body).not.toContain('Fiskeri i Ålesund');
  });

  it('create form: sign-in redirect, only own organisations, localized errors keeping the input, success', async () => {
    expect((await t.app.inject({ url: `/datasett/ny?org=${ORG}` })).statusCode).toBe(303);
    const page = await t.app.inject({ url: `/datasett/ny?org=${ORG}`, headers: { cookie: editor.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<option value="${ORG}" selected>`);
    expect(page.body).toContain('Forvaltning og offentlig sektor');
    expect(page.body).toContain('Allmenn tilgang');
    const outsiderPage = await t.app.inject({ url: '/datasett/ny', headers: { cookie: outsider.cookie } });
    expect(outsiderPage.body).toContain('Du er ikke redaktør i noen virksomhet');

    const bad = await t.app.inject({
      method: 'POST',
      url: '/datasett/ny',
      ...form(editor, { orgnr: ORG, title_nb: 'Skjema-datasett', accessRights: 'PUBLIC', spatial: '0301, 0399', temporal_start: '2024-02-30', themes: ['http://publications.europa.eu/resource/authority/data-theme/ECON'] }),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Ukjent kommunenummer: 0399.');
    expect(bad.body).toContain('Oppgi datoen som ÅÅÅÅ-MM-DD.');
    expect(bad.body).toContain('value="Skjema-datasett"');
    expect(bad.body).toContain('value="0301, 0399"');
    expect(bad.body).toMatch(/value="http:\/\/publications\.europa\.eu\/resource\/authority\/data-theme\/ECON" checked/);

    const ok = await t.app.inject({
      method: 'POST',
      url: '/datasett/ny',
      ...form(editor, {
        orgnr: ORG,
        title_nb: 'Skjema-datasett',
        title_en: 'Form dataset',
        description_nb: 'Laget i skjemaet.',
        keywords_nb: 'skjema, test',
        accessRights: 'PUBLIC',
        licence: 'other',
        licenceOther: 'https://example.org/licence',
        spatial: '0301, 46',
        losThemes: ['https://psi.norge.no/los/tema/arbeid', 'https://psi.norge.no/los/tema/arbeidsliv'],
        frequency: 'MONTHLY',
      }),
    });
    expect(ok.statusCode).toBe(303);
    const id = String(ok.headers.location).split('/').pop() as string;
    const ds = (await t.app.inject({ url: `/api/v1/datasets/${id}`, headers: auth(editorToken) })).json();
    expect(ds).toMatchObject({ title: { nb: 'Skjema-datasett', en: 'Form dataset' }, keywords: { nb: ['skjema', 'test'] }, licence: 'https://example.org/licence', spatial: ['0301', '46'], frequency: 'MONTHLY' });
    expect(ds.losThemes).toHaveLength(2);
  });

  it('dataset page shows the metadata in Norwegian, editor buttons, publish errors, and is 404 for outsiders while draft', async () => {
    const id = await createDataset({ orgnr: ORG, title: { nb: 'Sidevisning' }, accessRights: 'PUBLIC', spatial: ['4601'], themes: ['GOVE'], frequency: 'ANNUAL' });
    expect((await t.app.inject({ url: `/datasett/${id}` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    const page = await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: editor.cookie } });
    expect(page.statusCode).toBe(200);
    for (const text of ['Sidevisning', 'Allmenn tilgang', 'Bergen (4601)', 'Forvaltning og offentlig sektor', 'Årlig', `action="/datasett/${id}/publiser"`, `href="/datasett/${id}/rediger"`, `href="/api/v1/datasets/${id}"`]) {
      expect(page.body).toContain(text);
    }
    const publish = await t.app.inject({ method: 'POST', url: `/datasett/${id}/publiser`, ...form(editor, {}) });
    expect(publish.statusCode).toBe(422);
    expect(publish.body).toContain('Beskrivelse (bokmål): Må fylles ut før datasettet kan publiseres.');

    const edit = await t.app.inject({ url: `/datasett/${id}/rediger`, headers: { cookie: editor.cookie } });
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="Sidevisning"');
    expect((await t.app.inject({ url: `/datasett/${id}/rediger`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    const saved = await t.app.inject({
      method: 'POST',
      url: `/datasett/${id}/rediger`,
      ...form(editor, { title_nb: 'Sidevisning', description_nb: 'Nå med beskrivelse.', accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0', spatial: '4601', themes: 'http://publications.europa.eu/resource/authority/data-theme/GOVE', frequency: 'ANNUAL' }),
    });
    expect(saved.statusCode).toBe(303);
    const published = await t.app.inject({ method: 'POST', url: `/datasett/${id}/publiser`, ...form(editor, {}) });
    expect(published.statusCode).toBe(303);
    const publicPage = await t.app.inject({ url: `/datasett/${id}?lang=en` });
    expect(publicPage.statusCode).toBe(200);
    expect(publicPage.body).toContain('Public access');
    expect(publicPage.body).toContain('Open data');
    expect(publicPage.body).not.toContain(`action="/datasett/${id}/publiser"`);
    const archived = await t.app.inject({ method: 'POST', url: `/datasett/${id}/arkiver`, ...form(editor, {}) });
    expect(archived.statusCode).toBe(303);
    expect((await t.app.inject({ url: `/datasett/${id}` })).statusCode).toBe(404);
  });

  it('home page: search form, newest datasets, counts', async () => {
    const res = await t.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('action="/datasett"');
    expect(res.body).toContain('Fiskeri i Ålesund');
    const counts = await t.services.catalog.counts();
    expect(res.body).toContain(`<strong>${counts.datasets}</strong>`);
    expect(counts.organizations).toBe(1);
  });
});
