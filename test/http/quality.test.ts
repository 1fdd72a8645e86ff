// Metadata quality over HTTP: GET /api/v1/datasets/{id}/quality (the dataset's visibility: 404 for drafts and hidden
// datasets of other organisations), GET /api/v1/organizations/{orgnr}/quality, the URL check job on the JobQueue
// against a loopback server, and the sections on the dataset page, in the editor and on the organisation page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { QUALITY_CHECK_JOB } from '../../src/quality/service';
import { bearerFor, createTestApp, multipart, signIn, type SignedIn, type TestApp } from '../helpers/app';

const ORG = '991825827';
const OTHER = '974760673';
const PASSWORD = 'correct horse battery';

let t: TestApp;
let server: http.Server;
let base: string;
let publishedId: string;
let draftId: string;
let hiddenId: string;
let externalId: string;
let editorToken: string;
let outsiderToken: string;
let editor: SignedIn;

interface Quality {
  datasetId: string;
  score: number;
  max: number;
  rating: string;
  dimensions: { id: string; score: number; max: number }[];
  metrics: { id: string; earned: number; points: number }[];
  hints: { metric: string; points: number; target: { kind: string; field?: string } }[];
  checks: { url: string; state: string; ok: boolean | null; status: number | null; error: string | null; checkedAt: string | null }[];
}

const earned = (q: Quality, id: string) => q.metrics.find((m) => m.id === id)!.earned;

async function quality(id: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Quality }> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/datasets/${id}/quality`, headers });
  return { status: res.statusCode, body: res.json() as Quality };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/data.csv') return res.writeHead(200, { 'content-type': 'text/csv' }).end('a;b\n1;2\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  t = await createTestApp({ env: { QUALITY_ALLOW_PRIVATE_URLS: 'true' } });
  t.services.tables.registerJobs();
  t.services.quality.registerJobs();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: OTHER, name: 'Annen etat' });
  await accounts.createUser({ email: 'editor@digdir.example', password: PASSWORD, name: 'Editor', emailVerified: true });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@digdir.example', role: 'editor' });
  await accounts.createUser({ email: 'outsider@annen.example', password: PASSWORD, name: 'Outsider', emailVerified: true });
  await organisations.addMember(CLI_ACTOR, OTHER, { email: 'outsider@annen.example', role: 'admin' });
  editorToken = await bearerFor(t.services, 'editor@digdir.example', ['read', 'write']);
  outsiderToken = await bearerFor(t.services, 'outsider@annen.example', ['read', 'write']);
  editor = await signIn(t.app, { email: 'editor@digdir.example', password: PASSWORD });

  const full = {
    orgnr: ORG,
    title: { nb: 'Befolkning per kommune' },
    description: { nb: 'Folketall.' },
    keywords: { nb: ['befolkning'] },
    themes: ['http://publications.europa.eu/resource/authority/data-theme/SOCI'],
    accessRights: 'PUBLIC' as const,
    licence: 'http://data.norge.no/nlod/no/2.0',
    contactPoint: { email: 'data@digdir.example' },
    spatial: ['0301'],
    temporal: { start: '2020-01-01' },
    issued: '2020-01-01',
    modified: '2026-01-01',
  };
  publishedId = (await catalog.createDataset(CLI_ACTOR, full)).id;
  const body = multipart({ name: 'befolkning' }, { name: 'befolkning.csv', content: Buffer.from('kommune;antall\n0301;700000\n') });
  const up = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${publishedId}/tables`, headers: { ...body.headers, authorization: `Bearer ${editorToken}` }, payload: body.payload });
  expect(up.statusCode, up.body).toBe(202);
  await catalog.publishDataset(CLI_ACTOR, publishedId);

  draftId = (await catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: 'Utkast uten mye' }, accessRights: 'PUBLIC' })).id;

  // Hidden from outsiders by the access door: an archived dataset (the `hidden` flag of NON_PUBLIC datasets is the
  // access branch's; these routes follow it through catalog.getDataset/listDatasets once the door applies it).
  hiddenId = (await catalog.createDataset(CLI_ACTOR, { ...full, title: { nb: 'Skjult' }, accessRights: 'NON_PUBLIC' })).id;
  await catalog.publishDataset(CLI_ACTOR, hiddenId);
  await catalog.archiveDataset(CLI_ACTOR, hiddenId);

  externalId = (await catalog.createDataset(CLI_ACTOR, { ...full, title: { nb: 'Eksternt' } })).id;
  await catalog.addDistribution(CLI_ACTOR, externalId, { title: { nb: 'CSV' }, accessUrl: `${base}/data.csv`, downloadUrl: `${base}/data.csv`, format: 'CSV', mediaType: 'text/csv', byteSize: 8 });
  await catalog.addDistribution(CLI_ACTOR, externalId, { title: { nb: 'Borte' }, accessUrl: `${base}/gone`, format: 'CSV', mediaType: 'text/csv' });
  await catalog.publishDataset(CLI_ACTOR, externalId);
  await t.services.jobs.start();
  await t.services.jobs.drain(60_000);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('GET /api/v1/datasets/{id}/quality', () => {
  it('scores a complete published dataset with a hosted table: everything we can express, excellent', async () => {
    const { status, body } = await quality(publishedId);
    expect(status).toBe(200);
    expect(body).toMatchObject({ datasetId: publishedId, score: 430, max: 435, rating: 'excellent', hints: [], checks: [] });
    expect(body.dimensions.reduce((s, d) => s + d.max, 0)).toBe(435);
  });

  it('scores a draft for its editors, with hints and the points each adds', async () => {
    const { status, body } = await quality(draftId, { authorization: `Bearer ${editorToken}` });
    expect(status).toBe(200);
    expect(body.rating).toBe('poor');
    expect(body.hints).toContainEqual({ metric: 'licenceAvailability', dimension: 'reusability', points: 20, target: { kind: 'field', field: 'licence' } });
    expect(body.score + body.hints.reduce((s, h) => s + h.points, 0)).toBe(430);
  });

  it('is 404 for a draft or an archived (hidden) dataset of another organisation, and for an unknown id', async () => {
    for (const headers of [{}, { authorization: `Bearer ${outsiderToken}` }] as Record<string, string>[]) {
      expect((await quality(draftId, headers)).status).toBe(404);
      expect((await quality(hiddenId, headers)).status).toBe(404);
    }
    expect((await quality(hiddenId, { authorization: `Bearer ${editorToken}` })).status).toBe(200);
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/nope/quality' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: expect.anything() });
  });

  it('refuses hostile ids with 4xx, not a crash', async () => {
    // Fastify's router refuses a path parameter over 100 characters with 414 before the route runs.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/datasets/${'x'.repeat(101)}/quality` })).statusCode).toBe(414);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/datasets/%00/quality' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${'9'.repeat(21)}/quality` })).statusCode).toBe(400);
  });

  it('checks external URLs in a job: pending first, then 2xx counts and 404 does not; no second job while fresh', async () => {
    const first = await quality(externalId);
    expect(first.body.checks.map((c) => c.state)).toEqual(['pending', 'pending']);
    expect(earned(first.body, 'accessUrlStatusCode')).toBe(0);
    await t.services.jobs.drain(30_000);
    const second = await quality(externalId);
    const byUrl = Object.fromEntries(second.body.checks.map((c) => [c.url, c]));
    expect(byUrl[`${base}/data.csv`]).toMatchObject({ state: 'checked', ok: true, status: 200, error: null });
    expect(byUrl[`${base}/gone`]).toMatchObject({ state: 'checked', ok: false, status: 404, error: 'status' });
    expect(Date.parse(byUrl[`${base}/data.csv`]!.checkedAt!)).not.toBeNaN();
    expect(earned(second.body, 'accessUrlStatusCode')).toBe(50);
    expect(earned(second.body, 'downloadUrlStatusCode')).toBe(30);
    expect(earned(second.body, 'syntaxValid')).toBe(15);
    expect(second.body.score).toBe(430);
    const stored = await t.db.selectFrom('quality_url_checks').select(['url', 'checked_at']).execute();
    expect(stored.every((r) => r.checked_at !== null)).toBe(true);
    const jobs = await t.db.selectFrom('jobs').select('id').where('type', '=', QUALITY_CHECK_JOB).execute();
    await quality(externalId);
    expect((await t.db.selectFrom('jobs').select('id').where('type', '=', QUALITY_CHECK_JOB).execute()).length).toBe(jobs.length);
  });
});

describe('GET /api/v1/organizations/{orgnr}/quality', () => {
  it('averages the published datasets the caller sees and counts ratings', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${ORG}/quality` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { datasets: number; averageScore: number; rating: string; ratings: Record<string, number>; scores: { datasetId: string }[] };
    // Anonymous: the two published datasets; not the draft, not the archived one.
    expect(body.datasets).toBe(2);
    expect(body.scores.map((s) => s.datasetId).sort()).toEqual([publishedId, externalId].sort());
    expect(body).toMatchObject({ averageScore: 430, rating: 'excellent', ratings: { excellent: 2, good: 0, sufficient: 0, poor: 0 } });
    // Published only, for members too: drafts and archived datasets are not in the organisation's average.
    const asEditor = (await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${ORG}/quality`, headers: { authorization: `Bearer ${editorToken}` } })).json() as { datasets: number };
    expect(asEditor.datasets).toBe(2);
  });

  it('is empty for an organisation without published datasets and 404 for an unknown one', async () => {
    const empty = await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${OTHER}/quality` });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ datasets: 0, averageScore: null, rating: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/organizations/123456785/quality' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/organizations/nope/quality' })).statusCode).toBe(404);
  });
});

describe('pages', () => {
  it('the dataset page shows score and rating to everyone, hints with links into the editor to editors', async () => {
    const anon = await t.app.inject({ method: 'GET', url: `/datasett/${draftId}`, headers: { cookie: editor.cookie } });
    expect(anon.statusCode).toBe(200);
    expect(anon.body).toContain('Metadatakvalitet');
    expect(anon.body).toMatch(/\d+ av 435 poeng/);
    expect(anon.body).toContain('Vurdering: Mangelfull');
    expect(anon.body).toContain('Legg til en lisens: +20 poeng');
    expect(anon.body).toContain(`href="/datasett/${draftId}/rediger#licence"`);
    const pub = await t.app.inject({ method: 'GET', url: `/datasett/${publishedId}` });
    expect(pub.body).toContain('430 av 435 poeng');
    expect(pub.body).toContain('Vurdering: Utmerket');
    expect(pub.body).not.toContain('Slik øker du poengsummen');
  });

  it('the editor shows the hints linking to its own fields', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/datasett/${draftId}/rediger`, headers: { cookie: editor.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('href="#licence"');
    expect(res.body).toContain('id="licence"');
  });

  it('the organisation page shows the average and the ratings', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/virksomheter/${ORG}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Gjennomsnitt for 2 publiserte datasett: 430 av 435 poeng');
    expect(res.body).toContain('Datasett per vurdering');
    const en = await t.app.inject({ method: 'GET', url: `/virksomheter/${ORG}`, headers: { 'accept-language': 'en' } });
    expect(en.body).toContain('Average over 2 published datasets: 430 of 435 points');
    const nn = await t.app.inject({ method: 'GET', url: `/datasett/${publishedId}`, headers: { 'accept-language': 'nn' } });
    expect(nn.body).toContain('Vurdering: Framifrå');
  });

  it('the OpenAPI document describes both routes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, { get?: { description?: string } }> };
    expect(doc.paths['/api/v1/datasets/{id}/quality']?.get?.description).toContain('435');
    expect(doc.paths['/api/v1/organizations/{orgnr}/quality']?.get?.description).toContain('published');
  });
});
