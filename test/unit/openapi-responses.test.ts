// Real responses of the main JSON routes checked against the response schemas the OpenAPI document publishes
// (/api/v1/openapi.json), with Ajv: what the document promises is what the server sends. The schemas are taken from
// the served document (not from the route code), so a drift in either shows here. OpenAPI 3.0's `nullable: true` is
// turned into JSON Schema's `type: [..., 'null']` first (Ajv implements JSON Schema, not the OpenAPI dialect).
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { bearerFor, createTestApp, type TestApp, multipart } from '../helpers/app';

const LDIR = '981544315';
let t: TestApp;
let token: string;
let datasetId: string;
let jobId: string;
let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components?: unknown };


/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a type that admits null (recursively). */
function jsonSchemaOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchemaOf);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' || k === 'patternProperties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, jsonSchemaOf(s)])) : jsonSchemaOf(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }];
    else if (out.enum) out.enum = [...(out.enum as unknown[]), null];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', nullable: false });

async function check(method: 'get' | 'post', template: string, url: string, status = 200): Promise<unknown> {
  const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(status);
  const op = doc.paths[template]?.[method];
  expect(op, `${method} ${template} is documented`).toBeDefined();
  const schema = op?.responses[String(status)]?.content?.['application/json']?.schema;
  expect(schema, `${method} ${template} documents its ${status} response`).toBeDefined();
  const validate = ajv.compile({ ...(jsonSchemaOf(schema) as object), components: jsonSchemaOf(doc.components ?? {}) });
  const body = res.json();
  const ok = validate(body);
  expect(ok ? [] : validate.errors?.map((e) => `${e.dataPath} ${e.message}`), `${method} ${template}`).toEqual([]);
  return body;
}

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: 'https://data.example.no' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  await t.services.organisations.create(CLI_ACTOR, { orgnr: LDIR, name: 'Landbruksdirektoratet' });
  await t.services.accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await t.services.organisations.addMember(CLI_ACTOR, LDIR, { email: 'editor@example.no', role: 'editor' });
  token = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  const ds = await t.services.catalog.createDataset(CLI_ACTOR, {
    orgnr: LDIR,
    title: { nb: 'Tilskudd' },
    description: { nb: 'Tilskudd per kommune.' },
    accessRights: 'PUBLIC',
    licence: 'http://data.norge.no/nlod/no/2.0',
    keywords: { nb: ['landbruk'] },
  });
  await t.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  datasetId = ds.id;
  const body = multipart({ name: 'tilskudd' }, { name: 't.csv', content: Buffer.from('komnr;navn;belop;dato\n0301;Oslo;12;2024-01-02\n1103;Stavanger;;2024-02-03\n') });
  const up = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  expect(up.statusCode).toBe(202);
  jobId = up.json().job.id;
  await t.services.jobs.drain(60_000);
  doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('responses match the OpenAPI document', () => {
  it('me', async () => {
    await check('get', '/api/v1/me', '/api/v1/me');
  });

  it('organisations', async () => {
    await check('get', '/api/v1/organizations', '/api/v1/organizations');
    await check('get', '/api/v1/organizations/{orgnr}', `/api/v1/organizations/${LDIR}`);
  });

  it('datasets and distributions', async () => {
    const list = (await check('get', '/api/v1/datasets', '/api/v1/datasets')) as { items: unknown[] };
    expect(list.items.length).toBe(1);
    await check('get', '/api/v1/datasets/{id}', `/api/v1/datasets/${datasetId}`);
    await check('get', '/api/v1/datasets/{id}/distributions', `/api/v1/datasets/${datasetId}/distributions`);
  });

  it('tables, rows and jobs', async () => {
    await check('get', '/api/v1/datasets/{id}/tables', `/api/v1/datasets/${datasetId}/tables`);
    await check('get', '/api/v1/datasets/{id}/tables/{table}', `/api/v1/datasets/${datasetId}/tables/tilskudd`);
    const rows = (await check('get', '/api/v1/datasets/{id}/tables/{table}/rows', `/api/v1/datasets/${datasetId}/tables/tilskudd/rows`)) as { total: number };
    expect(rows.total).toBe(2);
    await check('get', '/api/v1/jobs/{id}', `/api/v1/jobs/${jobId}`);
  });

  it('fails a body that breaks the documented shape (the check is not vacuous)', () => {
    const schema = doc.paths['/api/v1/datasets/{id}']?.get?.responses['200']?.content?.['application/json']?.schema;
    const validate = ajv.compile({ ...(jsonSchemaOf(schema) as object), components: jsonSchemaOf(doc.components ?? {}) });
    expect(validate({ id: 42, title: 'not a language map' })).toBe(false);
    expect(validate.errors?.length).toBeGreaterThan(0);
  });

  it('the Data Package', async () => {
    await check('get', '/api/v1/datasets/{id}/datapackage', `/api/v1/datasets/${datasetId}/datapackage`);
  });
});
