// Routes the platform itself owns: health, readiness, OpenAPI, API docs, static assets, 404s, the error shape,
// body limits and content types, request ids, CSRF and language choice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { BODY_LIMIT: '4096' } });
});
afterAll(async () => t.close());

describe('platform routes', () => {
  it('GET /health answers while the process is up', async () => {
    const r = await t.app.inject({ url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready checks the database, blobs and jobs', async () => {
    const r = await t.app.inject({ url: '/ready' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ready', checks: { database: 'ok', blobs: 'ok', jobs: 'ok' } });
  });

  it('GET /ready answers 503 naming the failing store', async () => {
    const original = t.platform.blobs.ping;
    t.platform.blobs.ping = async () => {
      throw new Error('disk gone');
    };
    try {
      const r = await t.app.inject({ url: '/ready' });
      expect(r.statusCode).toBe(503);
      expect(r.json().checks.blobs).toBe('failing');
      expect(r.body).not.toContain('disk gone');
    } finally {
      t.platform.blobs.ping = original;
    }
  });

  it('serves a valid OpenAPI 3 document describing the core resources', async () => {
    const r = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\.0\./);
    expect(doc.info.title).toBe('Datafabrikken API');
    for (const p of ['/api/v1/datasets', '/api/v1/datasets/{id}', '/api/v1/organizations', '/api/v1/organizations/{orgnr}', '/api/v1/me', '/api/v1/tokens', '/api/v1/datasets/{id}/tables/{table}/rows', '/api/v1/jobs/{id}']) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    // Every operation has a summary, a tag and at least one response; every $ref resolves.
    const json = JSON.stringify(doc);
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { summary?: string; tags?: string[]; responses?: object }>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        expect(op.summary, `${method} ${path} summary`).toBeTruthy();
        expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path} responses`).toBeGreaterThan(0);
      }
    }
    for (const m of json.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = (m[1] ?? '').split('/').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
      expect(target, m[1]).toBeDefined();
    }
  });

  it('renders the API docs page from the same document', async () => {
    const r = await t.app.inject({ url: '/api' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('/api/v1/datasets');
    expect(r.body).toContain('href="/api/v1/openapi.json"');
  });

  it('serves the stylesheets and 404s unknown static files', async () => {
    for (const f of ['designsystemet.css', 'theme.css', 'app.css']) {
      const r = await t.app.inject({ url: `/static/${f}` });
      expect(r.statusCode, f).toBe(200);
      expect(r.headers['content-type']).toContain('text/css');
    }
    expect((await t.app.inject({ url: '/static/../package.json' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/static/nope.css' })).statusCode).toBe(404);
  });

  it('answers unknown API routes with the JSON error shape and pages with a localized HTML page', async () => {
    const api = await t.app.inject({ url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ error: { code: 'not_found', message: expect.any(String), details: expect.anything() } });
    const page = await t.app.inject({ url: '/finnes-ikke' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<html lang="nb"');
    expect(page.body).toContain('Vi fant ikke siden');
    const en = await t.app.inject({ url: '/finnes-ikke?lang=en' });
    expect(en.body).toContain('<html lang="en"');
    expect(en.body).toContain('could not find the page');
    const nn = await t.app.inject({ url: '/finnes-ikke', headers: { 'accept-language': 'nn-NO,nn;q=0.9' } });
    expect(nn.body).toContain('Vi fann ikkje sida');
  });

  it('rejects malformed JSON, wrong content types and bodies over the limit', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { 'content-type': 'application/json' }, payload: '{"title":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const xml = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe('unsupported_media_type');
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(10_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
  });

  it('gives every response a request id and never leaks a stack trace', async () => {
    const r = await t.app.inject({ url: '/api/v1/nothing', headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers['x-request-id']).toBe('abc-123');
    const generated = await t.app.inject({ url: '/health' });
    expect(generated.headers['x-request-id']).toMatch(/[0-9a-f-]{36}/);
    expect(r.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses state-changing form posts without the CSRF token', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/logg-inn', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.no&password=x' });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('Skjemaet var utløpt');
  });

  it('sets the CSRF cookie HttpOnly and SameSite on pages', async () => {
    const r = await t.app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    const cookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('df_csrf='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(r.body).toContain('class="ds-skip-link" href="#main"');
    expect(r.body).toContain('<main id="main"');
  });
});
