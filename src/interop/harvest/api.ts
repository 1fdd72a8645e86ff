// JSON routes for harvest sources and their runs, under /api/v1/harvest-sources. Operator only (the access door's
// 'platform:operate'; a token needs the admin scope). Handlers validate (schema), call the service, present the result.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError, UnsupportedMediaTypeError } from '../../errors';
import type { DomainPlugin } from '../../platform/http/plugin';
import { MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES, SOURCE_KINDS, type HarvestSource, type RunReport } from './model';

const tags = ['harvest'];
const security = [{ bearer: [] }];
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const KindSchema = Type.Union(
  SOURCE_KINDS.map((k) => Type.Literal(k)),
  { description: 'dcat: a DCAT catalogue in Turtle, JSON-LD, RDF/XML or N-Triples (Hydra paging followed); ckan: a CKAN site (Action API package_search); norge: the data.norge.no search API (fdk-search-service).' },
);

const FailureSchema = Type.Object({ record: Type.String({ description: 'The record’s URI or identifier, or its position.' }), reason: Type.String() });

export const RunSchema = Type.Object({
  id: Type.String(),
  sourceId: Type.String(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  trigger: Type.Union([Type.Literal('manual'), Type.Literal('schedule'), Type.Literal('cli')]),
  jobId: Nullable(Type.String({ description: 'The background job running it (GET /api/v1/jobs/{id}).' })),
  added: Type.Integer({ description: 'Datasets created.' }),
  updated: Type.Integer({ description: 'Datasets whose record changed.' }),
  unchanged: Type.Integer(),
  merged: Type.Integer({ description: 'Records another source (or this catalogue) already has under the same URI/identifier: linked, not duplicated.' }),
  removed: Type.Integer({ description: 'Datasets gone from the source and removed here.' }),
  failed: Type.Integer({ description: 'Records that could not be read (the run goes on without them).' }),
  pages: Type.Integer(),
  failures: Type.Array(FailureSchema, { description: 'The first 200 failed records with reasons.' }),
  error: Nullable(Type.String({ description: 'Why the whole run failed; then nothing was changed.' })),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

export const SourceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: KindSchema,
  url: Type.String({ format: 'uri' }),
  intervalMinutes: Nullable(Type.Integer({ description: 'Harvest every N minutes; null = on demand only.' })),
  enabled: Type.Boolean(),
  nextRunAt: Nullable(Type.String({ format: 'date-time' })),
  lastRun: Nullable(RunSchema),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const Interval = Nullable(Type.Integer({ minimum: MIN_INTERVAL_MINUTES, maximum: MAX_INTERVAL_MINUTES, description: `Minutes between scheduled runs (${MIN_INTERVAL_MINUTES}–${MAX_INTERVAL_MINUTES}); null = on demand only.` }));

const SourceCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: KindSchema,
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s); private and loopback addresses only with HARVEST_ALLOW_PRIVATE.' }),
    intervalMinutes: Type.Optional(Interval),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const SourcePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: Type.Optional(KindSchema),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    intervalMinutes: Type.Optional(Interval),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Type.String({ maxLength: 100 }) });
const RunParams = Type.Object({ id: Type.String({ maxLength: 100 }), runId: Type.String({ maxLength: 100 }) });

const present = (s: HarvestSource) => s;
const presentRun = (r: RunReport) => r;

async function signedIn(request: FastifyRequest): Promise<void> {
  if (!request.actor.user) throw new UnauthenticatedError();
}

async function signedInJson(request: FastifyRequest): Promise<void> {
  await signedIn(request);
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaTypeError(type || undefined, ['application/json']);
}

export const harvestApi: DomainPlugin = async (app, { services }) => {
  const harvest = services.harvest;

  app.get('/harvest-sources', { preValidation: signedIn, schema: { tags, summary: 'List harvest sources', description: 'Every source with its last run. Operators only.', security, response: { 200: Type.Object({ items: Type.Array(SourceSchema) }) } } }, async (request) => ({
    items: (await harvest.list(request.actor)).map(present),
  }));

  app.post<{ Body: Static<typeof SourceCreate> }>(
    '/harvest-sources',
    {
      preValidation: signedInJson,
      schema: {
        tags,
        summary: 'Add a harvest source',
        description: 'Operators only. A URL on a private or loopback address is 422 `validation_failed` (code `private_address`) unless HARVEST_ALLOW_PRIVATE is set.',
        security,
        body: SourceCreate,
        response: { 201: SourceSchema },
      },
    },
    async (request, reply) => reply.status(201).send(present(await harvest.create(request.actor, request.body))),
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/harvest-sources/:id',
    { preValidation: signedIn, schema: { tags, summary: 'One harvest source', description: 'Operators only; 404 `harvest_source_not_found`.', security, params: Params, response: { 200: SourceSchema } } },
    async (request) => present(await harvest.get(request.actor, request.params.id)),
  );

  app.patch<{ Params: Static<typeof Params>; Body: Static<typeof SourcePatch> }>(
    '/harvest-sources/:id',
    { preValidation: signedInJson, schema: { tags, summary: 'Change a harvest source', description: 'Operators only. Absent fields keep their value.', security, params: Params, body: SourcePatch, response: { 200: SourceSchema } } },
    async (request) => present(await harvest.update(request.actor, request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof Params> }>(
    '/harvest-sources/:id',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Delete a harvest source',
        description: 'Operators only. The datasets only this source brought are removed with it (one transaction); datasets another source also lists stay. 409 `harvest_run_active` while a run is running.',
        security,
        params: Params,
        response: { 200: Type.Object({ removedDatasets: Type.Integer() }) },
      },
    },
    async (request) => harvest.remove(request.actor, request.params.id),
  );

  app.post<{ Params: Static<typeof Params> }>(
    '/harvest-sources/:id/runs',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Run a harvest now',
        description: 'Operators only. Queues a run (a background job) and answers 202 with it; follow it at GET …/runs/{runId}. 409 `harvest_run_active` while one is queued or running.',
        security,
        params: Params,
        response: { 202: RunSchema },
      },
    },
    async (request, reply) => reply.status(202).send(presentRun(await harvest.requestRun(request.actor, request.params.id))),
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/harvest-sources/:id/runs',
    { preValidation: signedIn, schema: { tags, summary: 'Runs of a harvest source', description: 'The last 20 runs with their reports, newest first. Operators only.', security, params: Params, response: { 200: Type.Object({ items: Type.Array(RunSchema) }) } } },
    async (request) => ({ items: (await harvest.runs(request.actor, request.params.id)).map(presentRun) }),
  );

  app.get<{ Params: Static<typeof RunParams> }>(
    '/harvest-sources/:id/runs/:runId',
    { preValidation: signedIn, schema: { tags, summary: 'One harvest run', description: 'Its report: added, updated, removed, failed with reasons. Operators only; 404 `harvest_run_not_found`.', security, params: RunParams, response: { 200: RunSchema } } },
    async (request) => presentRun(await harvest.run(request.actor, request.params.id, request.params.runId)),
  );
};
