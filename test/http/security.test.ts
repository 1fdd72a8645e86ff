// The web surface resists the usual attacks (issue 6 §4), tested through app.inject on the real app and a fresh
// database (SQLite, or PostgreSQL with DATABASE_URL): security headers and caching, CSRF for forms and for the
// cookie-authenticated API, link URLs, the language switch and open redirects, proxy headers, foreign Authorization
// schemes, job visibility, hostile input on every route (no 5xx), and the audit trail of catalog changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { ownAuthorization } from '../../src/server';
import { bearerFor, cookieHeader, createTestApp, csrfFor, csrfFromPage, FORM_HEADERS, form, setCookies, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

const PASSWORD = 'correct horse battery';
const ORG = '991825827';
const BASE = 'http://localhost:3000';
const SAME_ORIGIN = { origin: BASE };

let t: TestApp;
let editor: SignedIn;
let outsider: SignedIn;
let editorToken: string;
let readToken: string;
let outsiderToken: string;

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

const complete = {
  orgnr: ORG,
  title: { nb: 'Befolkning per kommune' },
  description: { nb: 'Folketall i alle kommuner, årlig.' },
  accessRights: 'PUBLIC',
  licence: 'http://data.norge.no/nlod/no/2.0',
};

async function createDataset(payload: Record<string, unknown> = complete): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(editorToken), payload });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

beforeAll(async () => {
  t = await createTestApp();
  editor = await signUpAndSignIn(t.app, { email: 'editor@example.no', password: PASSWORD, name: 'Eva Editor' });
  outsider = await signUpAndSignIn(t.app, { email: 'outsider@example.no', password: PASSWORD, name: 'Otto Outsider' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await t.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'admin' });
  editorToken = await bearerFor(t.services, 'editor@example.no', ['read', 'write', 'admin']);
  readToken = await bearerFor(t.services, 'editor@example.no', ['read']);
  outsiderToken = await bearerFor(t.services, 'outsider@example.no');
});
afterAll(async () => t?.close());

// --- headers and caching ------------------------------------------------------------------------------------------

describe('security headers and caching', () => {
  it('sends a strict CSP, nosniff and no-store on pages, without HSTS on http', async () => {
    const page = await t.app.inject({ url: '/datasett' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('private, no-store');
    expect(page.headers['strict-transport-security']).toBeUndefined();
  });

  it('sends nosniff and no-store on API answers and errors too', async () => {
    for (const url of ['/api/v1/datasets', '/api/v1/datasets/nope', '/api/v1/openapi.json', '/health', '/finnes-ikke']) {
      const r = await t.app.inject({ url });
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['cache-control'], url).toBe('private, no-store');
    }
  });

  it('lets static files be cached and never sets a cookie on them', async () => {
    const r = await t.app.inject({ url: '/static/app.css', headers: { cookie: editor.cookie } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=3600');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const anon = await t.app.inject({ url: '/static/designsystemet.css' });
    expect(anon.headers['set-cookie']).toBeUndefined();
  });

  it('pages contain no inline script, event handler or style attribute (the CSP would block them)', async () => {
    const id = await createDataset({ ...complete, description: { nb: 'Linje én\nLinje to' } });
    const pages = ['/', '/datasett', `/datasett/${id}`, `/datasett/${id}/rediger`, '/datasett/ny', '/virksomheter', `/virksomheter/${ORG}`, '/konto', '/konto/tokens', '/konto/passord', '/api', '/logg-inn', '/registrer'];
    for (const url of pages) {
      const anonymousOnly = url === '/logg-inn' || url === '/registrer';
      const r = await t.app.inject({ url, headers: anonymousOnly ? {} : { cookie: editor.cookie } });
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).not.toMatch(/<script(?![^>]*\bsrc=)/i);
      expect(r.body, url).not.toMatch(/\son[a-z]+\s*=/i);
      expect(r.body, url).not.toMatch(/\sstyle\s*=/i);
      expect(r.body, url).not.toMatch(/href="javascript:/i);
    }
    const ds = await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: editor.cookie } });
    expect(ds.body).toContain('class="ds-paragraph df-pre-line"');
    const css = await t.app.inject({ url: '/static/app.css' });
    expect(css.body).toContain('.df-pre-line { white-space: pre-line; }');
  });

  it('adds HSTS when BASE_URL is https', async () => {
    const secure = await createTestApp({ env: { BASE_URL: 'https://data.example.no' } });
    try {
      const r = await secure.app.inject({ url: '/' });
      expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(String(r.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await secure.close();
    }
  });
});

// --- CSRF -------------------------------------------------------------------------------------------------------------

describe('CSRF on the JSON API', () => {
  it('refuses a cookie-authenticated change without proof of same origin (a cross-site form post publishing a dataset)', async () => {
    const id = await createDataset();
    const url = `/api/v1/datasets/${id}/publish`;
    // What a cross-site <form method=post action=…/publish> sends: the session cookie and a form body, no token.
    const forged = [
      { cookie: editor.cookie },
      { cookie: editor.cookie, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { cookie: editor.cookie, 'sec-fetch-site': 'same-site' },
      { cookie: editor.cookie, origin: 'https://evil.example' },
      { cookie: editor.cookie, origin: 'null' },
      { cookie: editor.cookie, referer: 'https://evil.example/page' },
      { cookie: editor.cookie, ...FORM_HEADERS, origin: 'http://localhost:3000.evil.example' },
      { cookie: editor.cookie, 'x-csrf-token': 'guess' },
      { cookie: editor.cookie, 'x-csrf-token': decodeURIComponent(/df_csrf=([^;]+)/.exec(editor.cookie)![1]!) }, // the cookie secret is not the token
    ];
    for (const headers of forged) {
      const r = await t.app.inject({ method: 'POST', url, headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(403);
      expect(r.json().error.code).toBe('csrf_failed');
    }
    const still = await t.app.inject({ url: `/api/v1/datasets/${id}`, headers: { authorization: `Bearer ${editorToken}` } });
    expect(still.json().state).toBe('draft');
  });

  it('accepts same-origin proof, the CSRF token header, or a bearer token', async () => {
    const proofs = [{ 'sec-fetch-site': 'same-origin' }, SAME_ORIGIN, { referer: `${BASE}/datasett` }, { 'x-csrf-token': editor.csrf }];
    for (const proof of proofs) {
      const id = await createDataset();
      const r = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: { cookie: editor.cookie, ...proof } });
      expect(r.statusCode, JSON.stringify(proof)).toBe(200);
    }
    const id = await createDataset();
    const bearer = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: { authorization: `Bearer ${editorToken}`, 'sec-fetch-site': 'cross-site' } });
    expect(bearer.statusCode).toBe(200);
    // Reads never need proof.
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: editor.cookie, 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
  });
});

describe('CSRF on web forms', () => {
  it('binds the token to the session: not the cookie secret, not another session’s, not from the URL', async () => {
    const id = await createDataset();
    const post = (headers: Record<string, string>, payload: string, url = `/datasett/${id}/publiser`) => t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, ...headers }, payload });
    const secret = decodeURIComponent(/df_csrf=([^;]+)/.exec(editor.cookie)![1]!);
    expect(editor.csrf).not.toBe(secret);
    expect((await post({ cookie: editor.cookie }, form({ _csrf: secret }))).statusCode).toBe(403);
    expect((await post({ cookie: editor.cookie }, form({ _csrf: outsider.csrf }))).statusCode).toBe(403);
    // A token in the query string is not read (it would end up in logs and Referer headers).
    expect((await post({ cookie: editor.cookie }, '', `/datasett/${id}/publiser?_csrf=${encodeURIComponent(editor.csrf)}`)).statusCode).toBe(403);
    // The outsider's own valid token does not help them either: the door says 404 for a draft they cannot see.
    expect((await post({ cookie: outsider.cookie }, form({ _csrf: outsider.csrf }))).statusCode).toBe(404);
    const ok = await post({ cookie: editor.cookie }, form({ _csrf: editor.csrf }));
    expect(ok.statusCode).toBe(303);
  });

  it('rotates the token at sign-in and sign-out', async () => {
    const { csrf: before, cookies } = await csrfFor(t.app, '/logg-inn');
    const res = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ email: 'outsider@example.no', password: PASSWORD, _csrf: before }) });
    expect(res.statusCode).toBe(303);
    const set = setCookies(res);
    expect(set.df_csrf).toBeDefined();
    expect(set.df_csrf).not.toBe(cookies.df_csrf);
    // The anonymous token, with the new session and the old cookie, no longer works.
    const staleCookie = cookieHeader({ ...cookies, df_session: set.df_session! });
    const stale = await t.app.inject({ method: 'POST', url: '/logg-ut', headers: { ...FORM_HEADERS, cookie: staleCookie }, payload: form({ _csrf: before }) });
    expect(stale.statusCode).toBe(403);
    const cookie = cookieHeader({ df_csrf: set.df_csrf!, df_session: set.df_session! });
    const token = await csrfFromPage(t.app, cookie);
    const out = await t.app.inject({ method: 'POST', url: '/logg-ut', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: token }) });
    expect(out.statusCode).toBe(303);
    const after = setCookies(out).df_csrf;
    expect(after).toBeDefined();
    expect(after).not.toBe(set.df_csrf);
  });

  it('refuses multipart posts to routes that do not check the token themselves', async () => {
    const boundary = 'XyZ';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${editor.csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="title_nb"\r\n\r\nX\r\n--${boundary}--\r\n`;
    for (const url of ['/datasett/ny', '/konto/tokens', '/logg-ut', '/sprak']) {
      const r = await t.app.inject({ method: 'POST', url, headers: { cookie: editor.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
      expect(r.statusCode, url).toBe(403);
    }
    // (The table upload form's route declares `config: { csrf: 'handler' }`: its reader checks the `_csrf` field,
    // sent first, before it touches the file — tested with the upload form in tables.test.ts.)
  });
});

// --- links -----------------------------------------------------------------------------------------------------------

describe('user-supplied links accept only http(s)', () => {
  const hostile = ['javascript:alert(document.cookie)', ' JavaScript:alert(1)', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'file:///etc/passwd', 'vbscript:msgbox(1)', '//evil.example/x', 'http:evil.example'];

  it('422 with a field problem for every link field of a dataset and a distribution', async () => {
    const id = await createDataset();
    for (const value of hostile) {
      for (const [field, payload] of [
        ['/licence', { licence: value }],
        ['/landingPage', { landingPage: value }],
        ['/contactPoint/url', { contactPoint: { url: value } }],
      ] as const) {
        const r = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload });
        expect(r.statusCode, `${field} ${value}`).toBe(422);
        expect(r.json().error.details.problems.map((p: { field: string }) => p.field), value).toContain(field);
      }
      for (const field of ['accessUrl', 'downloadUrl', 'licence']) {
        const payload = { accessUrl: 'https://example.no/data.csv', [field]: value };
        const r = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/distributions`, headers: json(editorToken), payload });
        expect(r.statusCode, `${field} ${value}`).toBe(422);
        expect(r.json().error.details.problems.map((p: { field: string }) => p.field)).toContain(`/${field}`);
      }
    }
    const ok = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: { landingPage: 'https://www.ssb.no/befolkning', licence: 'https://creativecommons.org/licenses/by/4.0/' } });
    expect(ok.statusCode).toBe(200);
    // A known licence written without a scheme is stored as its canonical URI, never as a relative link.
    const known = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: { licence: 'creativecommons.org/licenses/by/4.0' } });
    expect(known.statusCode).toBe(200);
    expect(known.json().licence).toBe('http://creativecommons.org/licenses/by/4.0/');
    const unknown = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: { licence: 'example.no/my-licence' } });
    expect(unknown.statusCode).toBe(422);
  });

  it('the web form re-renders with the problem, and an organisation homepage is checked the same way', async () => {
    const id = await createDataset();
    const r = await t.app.inject({
      method: 'POST',
      url: `/datasett/${id}/rediger`,
      headers: { ...FORM_HEADERS, cookie: editor.cookie },
      payload: form({ _csrf: editor.csrf, title_nb: 'T', description_nb: 'D', accessRights: 'PUBLIC', licence: 'other', licenceOther: 'javascript:alert(1)', landingPage: 'data:text/html,x' }),
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('aria-invalid="true"');
    expect(r.body).not.toContain('href="javascript:');
    const org = await t.app.inject({ method: 'PATCH', url: `/api/v1/organizations/${ORG}`, headers: json(editorToken), payload: { homepage: 'javascript:alert(1)' } });
    expect(org.statusCode).toBe(422);
    expect(org.json().error.details.problems[0].field).toBe('/homepage');
  });
});

// --- language switch ----------------------------------------------------------------------------------------------------

describe('language switch', () => {
  it('GET changes nothing; ?lang= shows a language without storing it', async () => {
    const get = await t.app.inject({ url: '/sprak?lang=en&next=%2Fdatasett' });
    expect(get.statusCode).toBe(303);
    expect(get.headers.location).toBe('/datasett?lang=en');
    expect(setCookies(get).df_lang).toBeUndefined();
    const page = await t.app.inject({ url: '/datasett?lang=en' });
    expect(page.body).toContain('<html lang="en"');
    expect(setCookies(page).df_lang).toBeUndefined();
  });

  it('is a POST form with CSRF and redirects only to a path on this site', async () => {
    const home = await t.app.inject({ url: '/datasett?q=skog&lang=nn' });
    expect(home.body).toMatch(/<form method="post" action="\/sprak"/);
    expect(home.body).toContain('<input type="hidden" name="next" value="/datasett?q=skog"');
    expect(home.body).toMatch(/<button type="submit" class="ds-link" name="lang" value="en" lang="en"/);
    const { csrf, cookies } = await csrfFor(t.app, '/');
    const post = (fields: Record<string, string>, withToken = true) =>
      t.app.inject({ method: 'POST', url: '/sprak', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ ...(withToken ? { _csrf: csrf } : {}), ...fields }) });
    expect((await post({ lang: 'en', next: '/' }, false)).statusCode).toBe(403);
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil', '\\\\evil.example', 'javascript:alert(1)', '/%0d%0aSet-Cookie:x=1', ' //evil.example']) {
      const r = await post({ lang: 'en', next });
      expect(r.statusCode, next).toBe(303);
      expect(String(r.headers.location), next).toMatch(/^\/(?![/\\])/);
      expect(String(r.headers.location), next).not.toContain('evil');
    }
    const ok = await post({ lang: 'en', next: '/virksomheter?side=2' });
    expect(ok.headers.location).toBe('/virksomheter?side=2');
    expect(setCookies(ok).df_lang).toBe('en');
    const get = await t.app.inject({ url: '/sprak?lang=en&next=https%3A%2F%2Fevil.example' });
    expect(get.headers.location).toBe('/?lang=en');
  });
});

// --- proxies and foreign credentials ----------------------------------------------------------------------------

describe('proxy headers and foreign Authorization schemes', () => {
  it('X-Forwarded-For does not change the client address by default (sign-in throttling keys on the TCP peer)', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/logg-inn');
    const r = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies), 'x-forwarded-for': '203.0.113.77' }, payload: form({ email: 'nobody@example.no', password: 'wrong password', _csrf: csrf }) });
    expect(r.statusCode).toBe(401);
    const keys = (await t.db.selectFrom('rate_limits').select('key').execute()).map((k) => k.key);
    expect(keys).toContain('signin:ip:127.0.0.1');
    expect(keys.join(' ')).not.toContain('203.0.113.77');
  });

  it('TRUST_PROXY=true (or a list with the proxy) reads the client from X-Forwarded-For', async () => {
    for (const value of ['true', '127.0.0.1/32,10.0.0.0/8']) {
      const proxied = await createTestApp({ env: { TRUST_PROXY: value } });
      try {
        const { csrf, cookies } = await csrfFor(proxied.app, '/logg-inn');
        await proxied.app.inject({ method: 'POST', url: '/logg-inn', headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies), 'x-forwarded-for': '203.0.113.78' }, payload: form({ email: 'nobody@example.no', password: 'wrong password', _csrf: csrf }) });
        const keys = (await proxied.db.selectFrom('rate_limits').select('key').execute()).map((k) => k.key);
        expect(keys, value).toContain('signin:ip:203.0.113.78');
      } finally {
        await proxied.close();
      }
    }
  });

  it('ignores Basic (and other non-Bearer) credentials on pages and the API; a malformed Bearer is 401', async () => {
    const basic = { authorization: 'Basic ' + Buffer.from('staging:secret').toString('base64') };
    expect((await t.app.inject({ url: '/', headers: basic })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/datasett', headers: basic })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/datasets', headers: basic })).statusCode).toBe(200);
    const signedIn = await t.app.inject({ url: '/api/v1/me', headers: { ...basic, cookie: editor.cookie } });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().email).toBe('editor@example.no');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Digest username="x"' } })).statusCode).toBe(401); // anonymous → 401 from the route
    for (const bad of ['Bearer', 'Bearer a b', 'Bearer df_nope']) {
      const r = await t.app.inject({ url: '/api/v1/datasets', headers: { authorization: bad } });
      expect(r.statusCode, bad).toBe(401);
    }
    expect(ownAuthorization('Basic abc')).toBeUndefined();
    expect(ownAuthorization('bearer df_x')).toBe('bearer df_x');
    expect(ownAuthorization('df_x')).toBe('df_x');
  });
});

// --- jobs ---------------------------------------------------------------------------------------------------------------

describe('job visibility', () => {
  it('404 (never 403, never the record) for a job the caller may not see; 401 anonymous', async () => {
    const id = await createDataset();
    const jobId = await t.services.jobs.enqueue('ingestTable', { datasetId: id, tableId: 'x', versionId: 'y' });
    const url = `/api/v1/jobs/${jobId}`;
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    for (const token of [readToken, outsiderToken]) {
      const r = await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('job_not_found');
      expect(r.body).not.toContain(id);
    }
    const outsiderSession = await t.app.inject({ url, headers: { cookie: outsider.cookie } });
    expect(outsiderSession.statusCode).toBe(404);
    const own = await t.app.inject({ url, headers: { authorization: `Bearer ${editorToken}` } });
    expect(own.statusCode).toBe(200);
    expect(own.json().datasetId).toBe(id);
    const platformJob = await t.services.jobs.enqueue('somethingElse', {});
    expect((await t.app.inject({ url: `/api/v1/jobs/${platformJob}`, headers: { authorization: `Bearer ${editorToken}` } })).statusCode).toBe(404);
  });
});

// --- hostile input -----------------------------------------------------------------------------------------------------

function problemsOf(r: { json(): unknown }): { field: string; code: string }[] {
  return ((r.json() as { error: { details: { problems?: { field: string; code: string }[] } } }).error.details.problems ?? []).map((p) => ({ field: p.field, code: p.code }));
}

describe('bad input is a 4xx, never a 500', () => {
  it('whole-number parameters must be written in digits and stay exact: 1e3, 0x10, 1e20, -1, 99999999999999999999', async () => {
    const cases: [string, string][] = [
      ['/api/v1/datasets?limit=1e3', 'querystring/limit'],
      ['/api/v1/datasets?offset=1e20', 'querystring/offset'],
      ['/api/v1/datasets?offset=99999999999999999999', 'querystring/offset'],
      ['/api/v1/datasets?offset=0x10', 'querystring/offset'],
      ['/api/v1/datasets?offset=%205', 'querystring/offset'],
      ['/api/v1/datasets?offset=1.0', 'querystring/offset'],
      ['/api/v1/organizations?limit=2e1', 'querystring/limit'],
      ['/api/v1/datasets/x/tables/y/rows?_size=1e3', 'querystring/_size'],
      ['/api/v1/datasets/x/tables/y/rows?_offset=99999999999999999999', 'querystring/_offset'],
    ];
    for (const [url, field] of cases) {
      const r = await t.app.inject({ url });
      expect(r.statusCode, url).toBe(400);
      // The rows API checks its paging in the service (field "_offset"), the rest in the route schema ("querystring/…").
      expect(problemsOf(r)[0]?.field.replace(/^querystring\//, ''), url).toBe(field.replace(/^querystring\//, ''));
    }
    expect((await t.app.inject({ url: '/api/v1/datasets?offset=-1' })).statusCode).toBe(400); // minimum: 0
    expect((await t.app.inject({ url: '/api/v1/datasets?limit=1000' })).statusCode).toBe(400); // maximum
    // Search pages go 10,000 deep (src/search): past that is a 400 naming offset, up to it an empty page.
    const far = await t.app.inject({ url: '/api/v1/datasets?offset=9007199254740991&limit=100' });
    expect(far.statusCode).toBe(400);
    expect(problemsOf(far)[0]?.field.replace(/^querystring\//, '')).toBe('offset');
    const deepest = await t.app.inject({ url: '/api/v1/datasets?offset=10000&limit=100' });
    expect(deepest.statusCode).toBe(200);
    expect(deepest.json().items).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/datasets?offset=20&limit=5' })).statusCode).toBe(200);
    for (const side of ['99999999999999999999', '-1', '1e3', 'abc']) expect((await t.app.inject({ url: `/datasett?side=${side}` })).statusCode, side).toBe(200);
  });

  it('NUL characters are refused once, globally, naming the field: query, path, JSON and form bodies', async () => {
    const id = await createDataset();
    const q = await t.app.inject({ url: '/api/v1/datasets?q=a%00b' });
    expect(q.statusCode).toBe(400);
    expect(problemsOf(q)[0]).toEqual({ field: 'querystring/q', code: 'nul_character' });
    const path = await t.app.inject({ url: '/api/v1/datasets/a%00b' });
    expect(path.statusCode).toBe(400);
    expect(problemsOf(path)[0]?.code).toBe('nul_character');
    const body = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: { title: { nb: 'Før\u0000etter' } } });
    expect(body.statusCode).toBe(400);
    expect(problemsOf(body)[0]).toEqual({ field: 'body/title/nb', code: 'nul_character' });
    const key = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: '{"title":{"n\\u0000b":"x"}}' });
    expect(key.statusCode).toBe(400);
    const web = await t.app.inject({ method: 'POST', url: `/datasett/${id}/rediger`, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ _csrf: editor.csrf, title_nb: 'a\u0000b' }) });
    expect(web.statusCode).toBe(400);
    expect(web.headers['content-type']).toContain('text/html');
    expect(web.body).toContain('body/title_nb');
    const page = await t.app.inject({ url: '/datasett?q=%00' });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('querystring/q');
    expect(page.body).toContain('<html lang="nb"');
    // Nothing was stored.
    const after = await t.app.inject({ url: `/api/v1/datasets/${id}`, headers: { authorization: `Bearer ${editorToken}` } });
    expect(after.json().title.nb).toBe('Befolkning per kommune');
  });

  it('lone surrogates, __proto__ keys, huge query strings and deep JSON are refused cleanly', async () => {
    const id = await createDataset();
    const lone = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: '{"title":{"nb":"a\\ud800b"}}' });
    expect(lone.statusCode).toBe(400);
    expect(problemsOf(lone)[0]).toEqual({ field: 'body/title/nb', code: 'invalid_unicode' });
    const pair = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: '{"title":{"nb":"Data \\ud83d\\udcca"}}' });
    expect(pair.statusCode).toBe(200);
    const proto = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: '{"__proto__":{"isOperator":true},"title":{"nb":"x"}}' });
    expect(proto.statusCode).toBe(400);
    const ctor = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: json(editorToken), payload: '{"constructor":{"prototype":{"x":1}}}' });
    expect(ctor.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).isOperator).toBeUndefined();
    const huge = await t.app.inject({ url: `/api/v1/datasets?q=${'a'.repeat(100_000)}` });
    expect(huge.statusCode).toBe(414);
    const hugePage = await t.app.inject({ url: `/datasett?q=${'ø'.repeat(20_000)}` });
    expect(hugePage.statusCode).toBe(414);
    const manyParams = await t.app.inject({ url: `/api/v1/datasets?${Array.from({ length: 1500 }, (_, i) => `p${i}=1`).join('&')}` });
    expect(manyParams.statusCode).toBeLessThan(500);
    const deep = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: '{"title":'.repeat(200) + '1' + '}'.repeat(200) });
    expect(deep.statusCode).toBe(400);
  });

  it('malformed, boundary-less and aborted multipart uploads are 4xx', async () => {
    const id = await createDataset();
    const url = `/api/v1/datasets/${id}/tables`;
    const auth = { authorization: `Bearer ${editorToken}` };
    const noBoundary = await t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'multipart/form-data' }, payload: 'garbage' });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json().error.code).toBe('invalid_multipart');
    const junk = await t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'multipart/form-data; boundary=abc' }, payload: 'not multipart at all' });
    expect(junk.statusCode).toBe(400);
    expect(junk.json().error.code).toBe('invalid_multipart');
    // A body cut off inside the file part is the tables reader's to handle (it waits for the file stream; reported).
    const cut = `--abc\r\nContent-Disposition: form-data; name="name"\r\n\r\nfyl`;
    const early = await t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'multipart/form-data; boundary=abc' }, payload: cut });
    expect(early.statusCode).toBe(400);
    expect(early.json().error.code).toBe('invalid_multipart');
    const web = await t.app.inject({ method: 'POST', url: `/datasett/${id}/tabeller/ny`, headers: { cookie: editor.cookie, 'content-type': 'multipart/form-data' }, payload: 'x' });
    expect(web.statusCode).toBeLessThan(500);
  });
});

// --- every route, hostile values -------------------------------------------------------------------------------------

/** Every route of the app as [method, path pattern], read from printRoutes (so new routes are walked automatically). */
function routesOf(tree: string): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.floor((m[1] ?? '').length / 4);
    stack.length = depth;
    const parent = stack[depth - 1] ?? '';
    const seg = m[2] ?? '';
    const full = depth === 0 ? seg : `${parent}${parent.endsWith('/') || seg.startsWith('/') ? '' : '/'}${seg}`;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method !== 'HEAD') out.push([method, full]);
  }
  return out;
}

describe('every route survives hostile values', () => {
  it('walks all routes with hostile path, query and body values as anonymous, session and token callers: no 5xx', async () => {
    const routes = routesOf(t.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContainEqual(['POST', '/api/v1/datasets/:id/publish']);
    expect(routes).toContainEqual(['GET', '/datasett/:id/tabeller/ny']);
    const realId = await createDataset();
    const paramValues = [realId, ORG, '%00', 'a%00b', '%ED%A0%80', '%FF', '1e20', '-1', '99999999999999999999', '..%2F..%2Fetc%2Fpasswd', "'%20OR%201=1--", '%F0%9F%92%A9', 'x'.repeat(300), '__proto__', 'constructor'];
    const queries = [
      '',
      '?offset=1e20&limit=1e20&_offset=99999999999999999999&_size=1e3&side=99999999999999999999&page=-1',
      '?q=%00&lang=%00&next=%2F%2Fevil.example&sort=__proto__&org=%00&tilgang=%00&state=%ED%A0%80&_csrf=%00',
      '?offset=-1&limit=-1&_offset=-1&_size=0&q[]=a&q[]=b&lang[]=en&next=javascript:alert(1)&__proto__[x]=1',
    ];
    const jsonBodies = ['{"__proto__":{"a":1}}', '{"title":{"nb":"\\u0000"}}', '{"title":{"nb":"\\ud800"}}', '[]', '"x"', 'null', '{"limit":1e308,"offset":-1e308}', '{"name":"' + 'x'.repeat(5000) + '"}', '{'];
    const formBodies = (csrf: string) => [form({ _csrf: csrf, name: '\u0000', title_nb: '\ud800', email: 'x'.repeat(2000), next: '//evil.example', lang: 'xx' }), `_csrf=${encodeURIComponent(csrf)}&a[b][c]=1&__proto__[x]=1`, '%%%'];
    // Its own editor: the walk signs out, revokes and changes whatever the hostile values let it.
    const fuzzer = await signUpAndSignIn(t.app, { email: 'fuzzer@example.no', password: PASSWORD, name: 'Fuzz' });
    await t.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'fuzzer@example.no', role: 'admin' });
    const fuzzToken = await bearerFor(t.services, 'fuzzer@example.no');
    const callers: { name: string; headers: Record<string, string>; csrf: string }[] = [
      { name: 'anonymous', headers: {}, csrf: '' },
      { name: 'session', headers: { cookie: fuzzer.cookie, ...SAME_ORIGIN }, csrf: fuzzer.csrf },
      { name: 'token', headers: { authorization: `Bearer ${fuzzToken}` }, csrf: '' },
    ];
    const failures: string[] = [];
    let requests = 0;
    const send = async (method: string, url: string, headers: Record<string, string>, payload?: string) => {
      requests++;
      const r = await t.app.inject({ method: method as 'GET', url, headers, payload });
      if (r.statusCode >= 500) failures.push(`${r.statusCode} ${method} ${url.slice(0, 160)} ${JSON.stringify(headers).slice(0, 80)} ${String(payload ?? '').slice(0, 60)}: ${r.body.slice(0, 200)}`);
    };
    for (const [method, pattern] of routes) {
      const hasParams = pattern.includes(':');
      const values = hasParams ? paramValues : [''];
      for (const caller of callers) {
        for (const value of values) {
          const path = pattern.replace(/:[A-Za-z]+/g, value || 'x');
          for (const query of hasParams && value !== realId ? [queries[1]!] : queries) {
            const url = `${path}${query}`;
            if (method === 'GET' || method === 'DELETE') {
              await send(method, url, caller.headers);
              continue;
            }
            for (const body of jsonBodies) await send(method, url, { ...caller.headers, 'content-type': 'application/json' }, body);
            for (const body of formBodies(caller.csrf)) await send(method, url, { ...caller.headers, ...FORM_HEADERS }, body);
            await send(method, url, { ...caller.headers, 'content-type': 'multipart/form-data' }, 'x');
            await send(method, url, { ...caller.headers, 'content-type': 'multipart/form-data; boundary=b' }, '--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n');
          }
        }
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
  }, 300_000);
});

// --- audit ---------------------------------------------------------------------------------------------------------------

describe('every catalog change is audited with actor and surface', () => {
  async function entries(resourceId: string) {
    const rows = await t.db.selectFrom('audit_log').selectAll().where('resource_id', '=', resourceId).orderBy('at').execute();
    return rows.map((r) => ({ action: r.action, actor: r.actor_user_id, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it('through the JSON API with a token: dataset create/update/publish/archive and distribution add/update/remove', async () => {
    const id = await createDataset();
    const upd = await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(editorToken), payload: { provenance: 'Hemmelig opphav', landingPage: 'https://www.ssb.no/' } });
    expect(upd.statusCode).toBe(200);
    const dist = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/distributions`, headers: json(editorToken), payload: { accessUrl: 'https://example.no/a.csv', format: 'CSV' } });
    expect(dist.statusCode).toBe(201);
    const distId = (dist.json() as { id: string }).id;
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}/distributions/${distId}`, headers: json(editorToken), payload: { downloadUrl: 'https://example.no/b.csv' } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/datasets/${id}/distributions/${distId}`, headers: { authorization: `Bearer ${editorToken}` } })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/publish`, headers: { authorization: `Bearer ${editorToken}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/archive`, headers: { authorization: `Bearer ${editorToken}` } })).statusCode).toBe(200);
    // A refused change leaves no entry.
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/datasets/${id}`, headers: json(outsiderToken), payload: { provenance: 'x' } })).statusCode).toBe(404);

    const log = await entries(id);
    expect(log.map((e) => e.action)).toEqual(['dataset.create', 'dataset.update', 'distribution.add', 'distribution.update', 'distribution.remove', 'dataset.publish', 'dataset.archive']);
    for (const e of log) {
      expect(e.actor, e.action).toBe(editor.userId);
      expect(e.details.via, e.action).toBe('token');
    }
    expect(log[1]!.details.fields).toEqual(['landingPage', 'provenance']);
    expect(log[3]!.details).toMatchObject({ distributionId: distId, fields: ['downloadUrl'] });
    // Field names, never values (a non-open dataset's metadata may itself be confidential).
    expect(JSON.stringify(log)).not.toContain('Hemmelig');
    expect(JSON.stringify(log)).not.toContain('example.no/b.csv');
  });

  it('through the web forms with a session: create, edit, publish, archive', async () => {
    const post = (url: string, fields: Record<string, string>) => t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({ _csrf: editor.csrf, ...fields }) });
    const fields = { orgnr: ORG, title_nb: 'Skjemadatasett', description_nb: 'Laget i nettleseren.', accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0' };
    const created = await post('/datasett/ny', fields);
    expect(created.statusCode, created.body.slice(0, 3000)).toBe(303);
    const id = String(created.headers.location).split('/').pop()!;
    expect((await post(`/datasett/${id}/rediger`, { ...fields, title_nb: 'Skjemadatasett 2' })).statusCode).toBe(303);
    expect((await post(`/datasett/${id}/publiser`, {})).statusCode).toBe(303);
    expect((await post(`/datasett/${id}/arkiver`, {})).statusCode).toBe(303);
    // And a distribution through the API from one of our pages (session cookie with same-origin proof).
    const dist = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${id}/distributions`, headers: { cookie: editor.cookie, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, payload: { accessUrl: 'https://example.no/c.csv' } });
    expect(dist.statusCode).toBe(201);
    const log = await entries(id);
    expect(log.map((e) => e.action)).toEqual(['dataset.create', 'dataset.update', 'dataset.publish', 'dataset.archive', 'distribution.add']);
    for (const e of log) {
      expect(e.actor, e.action).toBe(editor.userId);
      expect(e.details.via, e.action).toBe('session');
    }
  });

  it('organisation membership changes are audited the same way', async () => {
    await signUpAndSignIn(t.app, { email: 'new.member@example.no', password: PASSWORD, name: 'Ny Medlem' });
    const add = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/members`, headers: json(editorToken), payload: { email: 'new.member@example.no', role: 'member' } });
    expect(add.statusCode).toBe(201);
    const log = (await entries(ORG)).filter((e) => e.action === 'organization.member.add' && e.details.via === 'token');
    expect(log).toHaveLength(1);
    expect(log[0]!.actor).toBe(editor.userId);
  });
});
