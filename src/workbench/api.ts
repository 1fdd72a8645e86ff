// JSON routes of the analysis workbench (issue 11.3): saved queries (`/api/v1/queries`), their results in every SQL
// output format, their data cards, and the ML-ready export (a zip of zstd Parquet + data card) of a saved query or of
// an ad-hoc statement. Handlers validate, call the workbench and SQL services, and present.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors';
import { requireJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { negotiateFormat, sendSqlResult } from '../sql/api';
import { MAX_ROWS, MAX_SQL_LENGTH } from '../sql/model';
import { urls } from '../web/urls';
import { fileStem, mlExportZip } from './export';
import { CHART_KINDS, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, SHARING, type SavedQuery } from './model';

const tags = ['workbench'];
const security: { [k: string]: string[] }[] = [{ bearer: [] }, {}];

async function requireUser(request: FastifyRequest): Promise<void> {
  if (!request.actor.user) throw new UnauthenticatedError('Sign in or send an API token to save queries.');
}
async function requireUserJson(request: FastifyRequest): Promise<void> {
  await requireUser(request);
  requireJson(request);
}

const Chart = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Union(CHART_KINDS.map((k) => Type.Literal(k)), { description: 'bar: a label column against a number; line: x in the order of the result; scatter: two numbers.' }),
        x: Type.String({ maxLength: 300, description: 'A column of the result.' }),
        y: Type.String({ maxLength: 300, description: 'A numeric column of the result.' }),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'The chart drawn from the result, or null.' },
);

const SavedSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  sql: Type.String(),
  chart: Chart,
  sharing: Type.Union(SHARING.map((s) => Type.Literal(s)), { description: 'private: only you. shared: anyone with the link who may read every table the query reads.' }),
  inputs: Type.Array(Type.String(), { description: 'The SQL names of the tables the query reads.' }),
  mine: Type.Boolean(),
  ownerName: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  links: Type.Object({ self: Type.String(), page: Type.String(), result: Type.String(), dataCard: Type.String(), mlExport: Type.String() }),
});

const CreateBody = Type.Object(
  {
    title: Type.String({ maxLength: MAX_TITLE_LENGTH * 2 }),
    description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH * 2 })),
    sql: Type.String({ maxLength: MAX_SQL_LENGTH * 2 }),
    sharing: Type.Optional(Type.Union(SHARING.map((s) => Type.Literal(s)))),
    chart: Type.Optional(Chart),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Partial(CreateBody, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const ResultQuery = Type.Object(
  {
    _format: Type.Optional(Type.String({ description: 'json (default), ndjson, csv, parquet or xlsx; overrides Accept.' })),
    maxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ROWS })),
  },
  { additionalProperties: false },
);
const MlBody = Type.Object(
  {
    sql: Type.String({ maxLength: MAX_SQL_LENGTH * 2 }),
    title: Type.Optional(Type.String({ maxLength: MAX_TITLE_LENGTH })),
    description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
  },
  { additionalProperties: false },
);

const DataCardSchema = Type.Object({
  title: Type.String(),
  description: Type.String(),
  generatedAt: Type.String({ format: 'date-time' }),
  generator: Type.String(),
  query: Type.String(),
  rows: Type.Integer(),
  truncated: Type.Boolean(),
  columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), source: Type.Union([Type.Object({ table: Type.String(), column: Type.String(), semanticType: Type.Optional(Type.String()) }), Type.Null()]) })),
  inputs: Type.Array(
    Type.Object({
      sqlName: Type.String(),
      dataset: Type.Object({ id: Type.String(), title: Type.String(), url: Type.String(), publisher: Type.Object({ orgnr: Type.String(), name: Type.String() }), licence: Type.Union([Type.String(), Type.Null()]), accessRights: Type.String() }),
      table: Type.String(),
      version: Type.Object({ id: Type.String(), number: Type.Integer(), rowCount: Type.Union([Type.Integer(), Type.Null()]), restricted: Type.Boolean() }),
    }),
  ),
  licences: Type.Array(Type.String()),
  notes: Type.Array(Type.String()),
});

const NOT_FOUND = '404 `query_not_found`: no such query, or one you may not see — a shared query is visible only to people who may read every table it reads, and the answer is the same either way.';

function presentSaved(q: SavedQuery) {
  return {
    ...q,
    links: { self: urls.workbench.api.query(q.id), page: urls.workbench.query(q.id), result: urls.workbench.api.result(q.id), dataCard: urls.workbench.api.dataCard(q.id), mlExport: urls.workbench.api.mlExport(q.id) },
  };
}

export const workbenchApi: DomainPlugin = async (app, { services }) => {
  const { workbench, sql } = services;
  const out = () => ({ engine: services.platform.engine, tmpDir: `${services.platform.config.dataDir}/tmp/sql-out` });

  app.get('/queries', { schema: { tags, summary: 'Your saved queries', description: 'Newest first. 401 without a signed-in user or token.', security, response: { 200: Type.Object({ items: Type.Array(SavedSchema) }) } }, preHandler: requireUser }, async (request) => ({
    items: (await workbench.list(request.actor)).map(presentSaved),
  }));

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/queries',
    {
      schema: {
        tags,
        summary: 'Save a query (and its chart)',
        description: `Runs the statement once as you (so it must succeed: the SQL errors of POST /api/v1/sql apply) and saves it with the tables it reads. 422 \`validation_failed\` for a missing title, an unknown chart kind or a chart column the result lacks or that is not numeric. 401 without a user.`,
        body: CreateBody,
        security,
        response: { 201: SavedSchema },
      },
      preHandler: requireUserJson,
    },
    async (request, reply) => reply.code(201).send(presentSaved(await workbench.create(request.actor, request.body))),
  );

  app.get<{ Params: Static<typeof IdParams> }>('/queries/:id', { schema: { tags, summary: 'One saved query', description: NOT_FOUND, params: IdParams, security, response: { 200: SavedSchema } } }, async (request) =>
    presentSaved(await workbench.get(request.actor, request.params.id)),
  );

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateBody> }>(
    '/queries/:id',
    { schema: { tags, summary: 'Change a saved query', description: `Only its owner (403 \`forbidden\` for others who may see it). The statement is run again. ${NOT_FOUND}`, params: IdParams, body: UpdateBody, security, response: { 200: SavedSchema } }, preHandler: requireUserJson },
    async (request) => presentSaved(await workbench.update(request.actor, request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/queries/:id',
    { schema: { tags, summary: 'Delete a saved query', description: `Only its owner. ${NOT_FOUND}`, params: IdParams, security, response: { 204: Type.Null() } }, preHandler: requireUser },
    async (request, reply) => {
      await workbench.remove(request.actor, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ResultQuery> }>(
    '/queries/:id/result',
    {
      schema: {
        tags,
        summary: 'Run a saved query',
        description: `Runs it as you: you get the rows you may read (under consent, only those shared with you). Output like POST /api/v1/sql: JSON, NDJSON, CSV, Parquet or XLSX by \`_format\` or \`Accept\`. ${NOT_FOUND}`,
        params: IdParams,
        querystring: ResultQuery,
        security,
        produces: ['application/json', 'application/x-ndjson', 'text/csv', 'application/vnd.apache.parquet', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        response: {
          200: {
            description: 'The result, as POST /api/v1/sql answers it.',
            content: {
              'application/json': { schema: { type: 'object', additionalProperties: true } },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
              'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const format = negotiateFormat(request.query._format, request.headers.accept);
      const { query, result } = await workbench.run(request.actor, request.params.id, request.query.maxRows);
      return sendSqlResult(reply, format, result, { ...out(), filename: fileStem(query.title) });
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/queries/:id/datacard',
    { schema: { tags, summary: 'The data card of a saved query’s result', description: `Its inputs (dataset, publisher, licence, access, the version read and its rows), its columns with where they come from, and notes on licences and access. ${NOT_FOUND}`, params: IdParams, security, response: { 200: DataCardSchema } } },
    async (request) => {
      const { query, result } = await workbench.run(request.actor, request.params.id, MAX_ROWS);
      return workbench.dataCard(request.actor, { title: query.title, description: query.description, sql: query.sql }, result);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/queries/:id/ml-export',
    { schema: { tags, summary: 'ML-ready export of a saved query', description: `A zip: \`data.parquet\` (zstd, the result's column types, at most ${MAX_ROWS} rows), \`datacard.json\` and \`README.md\` (the data card). ${NOT_FOUND}`, params: IdParams, security, produces: ['application/zip'], response: { 200: { description: 'The zip.', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } } } } },
    async (request, reply) => {
      const { query, result } = await workbench.run(request.actor, request.params.id, MAX_ROWS);
      const card = await workbench.dataCard(request.actor, { title: query.title, description: query.description, sql: query.sql }, result);
      const zip = await mlExportZip(services.platform.engine, out().tmpDir, card, result);
      return reply.type('application/zip').header('content-disposition', `attachment; filename="${fileStem(query.title)}-ml.zip"`).send(zip);
    },
  );

  app.post<{ Body: Static<typeof MlBody> }>(
    '/sql/ml-export',
    { schema: { tags, summary: 'ML-ready export of a statement', description: `Runs the statement like POST /api/v1/sql (same errors) and answers a zip: \`data.parquet\`, \`datacard.json\`, \`README.md\`.`, body: MlBody, security, produces: ['application/zip'], response: { 200: { description: 'The zip.', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } } } }, preHandler: async (request) => requireJson(request) },
    async (request, reply) => {
      const result = await sql.query(request.actor, { sql: request.body.sql, maxRows: MAX_ROWS });
      const title = request.body.title?.trim() || 'SQL-resultat';
      const card = await workbench.dataCard(request.actor, { title, description: request.body.description, sql: request.body.sql }, result);
      const zip = await mlExportZip(services.platform.engine, out().tmpDir, card, result);
      return reply.type('application/zip').header('content-disposition', `attachment; filename="${fileStem(title)}-ml.zip"`).send(zip);
    },
  );
};
