// JSON routes of the tables domain: list and describe a dataset's tables, page through rows (Datasette-style `_size`
// and `_offset`), and upload a file as a new table version (multipart, streamed to the blob store, ingested by a job).
import { PassThrough } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type TableDetail, type TableSummary, type TablesService, type TableVersion } from './service';

const ColumnSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'DuckDB logical type: VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN.' }),
  nullable: Type.Boolean(),
  keptAsText: Type.Optional(Type.String({ description: 'Why a column that looks numeric stays text (leading zeros, identifier name).' })),
});

const VersionSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')]),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  byteSize: Type.Union([Type.Integer(), Type.Null()]),
  columns: Type.Array(ColumnSchema),
  sourceFormat: Type.String(),
  sourceOptions: Type.Object({
    encoding: Type.Optional(Type.String()),
    delimiter: Type.Optional(Type.String()),
    decimalSeparator: Type.Optional(Type.String()),
    header: Type.Optional(Type.Boolean()),
  }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the ingest failed, in words a publisher understands.' }),
  jobId: Type.Union([Type.String(), Type.Null()]),
  job: Type.Union([Type.String(), Type.Null()], { description: 'URL of the ingest job.' }),
  createdAt: Type.String({ format: 'date-time' }),
  readyAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const summaryFields = {
  id: Type.String(),
  datasetId: Type.String(),
  name: Type.String(),
  title: Type.String(),
  columns: Type.Array(ColumnSchema, { description: 'Columns of the current version.' }),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  currentVersion: Type.Union([VersionSchema, Type.Null()]),
  latestVersion: Type.Union([VersionSchema, Type.Null()], { description: 'The newest upload, whatever its state.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  links: Type.Object({ self: Type.String(), rows: Type.String() }),
};
const TableSummarySchema = Type.Object(summaryFields);
const TableDetailSchema = Type.Object({ ...summaryFields, versions: Type.Array(VersionSchema) });

const DatasetParams = Type.Object({ id: Type.String() });
const TableParams = Type.Object({ id: Type.String(), table: Type.String() });
const RowsQuery = Type.Object({
  _size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: `Rows per page, 1–${MAX_PAGE_SIZE}.` })),
  _offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Index of the first row (0-based).' })),
});
const RowsResponse = Type.Object({
  rows: Type.Array(Type.Object({}, { additionalProperties: true })),
  total: Type.Integer(),
  offset: Type.Integer(),
  size: Type.Integer(),
  next: Type.Union([Type.String(), Type.Null()], { description: 'URL of the next page; null on the last page.' }),
});
const UploadResponse = Type.Object({
  table: TableSummarySchema,
  version: VersionSchema,
  job: Type.Object({ id: Type.String(), url: Type.String() }),
});

const tags = ['tables'];

function presentVersion(v: TableVersion) {
  return { ...v, job: v.jobId ? urls.api.job(v.jobId) : null };
}

function presentSummary(t: TableSummary) {
  return {
    id: t.id,
    datasetId: t.datasetId,
    name: t.name,
    title: t.title,
    columns: t.columns,
    rowCount: t.rowCount,
    currentVersion: t.currentVersion ? presentVersion(t.currentVersion) : null,
    latestVersion: t.latestVersion ? presentVersion(t.latestVersion) : null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    links: { self: urls.api.table(t.datasetId, t.name), rows: urls.api.rows(t.datasetId, t.name) },
  };
}

function presentDetail(t: TableDetail): Static<typeof TableDetailSchema> {
  return { ...presentSummary(t), versions: t.versions.map(presentVersion) };
}

/**
 * Reads a multipart upload (fields `name`, `title`, then `file`) and hands the file part to the tables service as a
 * stream, so it goes to the blob store without being buffered. Shared by the JSON API and the upload page.
 */
export async function readTableUpload(
  request: FastifyRequest,
  tables: TablesService,
  datasetId: string,
  uploadLimit: number,
  fields: Record<string, string> = {},
): Promise<Awaited<ReturnType<TablesService['createTableFromFile']>>> {
  if (!request.isMultipart()) throw new UnsupportedMediaTypeError(request.headers['content-type'], ['multipart/form-data']);
  let created: Awaited<ReturnType<TablesService['createTableFromFile']>> | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (typeof part.value === 'string') fields[part.fieldname] = part.value;
      continue;
    }
    if (part.fieldname !== 'file' || created || !part.filename) {
      part.file.resume();
      continue;
    }
    // Busboy ends a file that passes the limit as if it were complete (and may have done so before this handler
    // sees the part); turn that into an error so the blob store discards the partial upload and the client gets 413.
    const source = part.file;
    const guarded = new PassThrough();
    // The error reaches the client through the blob store's put, which reads this stream; the stream may fail
    // before put starts reading (the access check runs first), and must not then count as an uncaught error.
    guarded.on('error', () => undefined);
    const tooLarge = () => guarded.destroy(new PayloadTooLargeError(uploadLimit));
    source.on('limit', tooLarge);
    source.on('error', (err) => guarded.destroy(err));
    // A zero-byte file can never become a table: say so now (422, field /file), not later as a failed ingest.
    let bytes = 0;
    source.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const empty = () => guarded.destroy(new ValidationError([{ field: '/file', code: 'file_empty', message: 'The file is empty.' }]));
    source.on('end', () => (source.truncated ? tooLarge() : bytes === 0 ? empty() : guarded.end()));
    source.pipe(guarded, { end: false });
    created = await tables.createTableFromFile(request.actor, datasetId, {
      name: fields.name ?? '',
      title: fields.title,
      stream: guarded,
      filename: part.filename,
      contentType: part.mimetype,
    });
  }
  // No file part: the service checks access first, then says the file is missing.
  return created ?? (await tables.createTableFromFile(request.actor, datasetId, { name: fields.name ?? '', title: fields.title, filename: '' }));
}

export const tablesApi: DomainPlugin = async (app, { services }) => {
  const { tables } = services;
  const baseUrl = services.platform.config.baseUrl;
  const uploadLimit = services.platform.config.uploadLimitBytes;

  app.get<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id/tables',
    {
      schema: {
        tags,
        summary: 'List the tables of a dataset',
        description: 'Tables with the columns and row count of their current version and the state of their newest upload.',
        params: DatasetParams,
        response: { 200: Type.Object({ items: Type.Array(TableSummarySchema) }) },
      },
    },
    async (request) => ({ items: (await tables.listTables(request.actor, request.params.id)).map(presentSummary) }),
  );

  app.get<{ Params: Static<typeof TableParams> }>(
    '/datasets/:id/tables/:table',
    {
      schema: {
        tags,
        summary: 'Describe a table',
        description: 'Name, title, columns with types and row count of the current version, and every version with its state and error.',
        params: TableParams,
        response: { 200: TableDetailSchema },
      },
    },
    async (request) => presentDetail(await tables.getTable(request.actor, request.params.id, request.params.table)),
  );

  app.get<{ Params: Static<typeof TableParams>; Querystring: Static<typeof RowsQuery> }>(
    '/datasets/:id/tables/:table/rows',
    {
      schema: {
        tags,
        summary: 'Read rows of a table',
        description:
          'Rows of the current version in file order, `_size` rows (default 100, at most 1000) from `_offset`. Follow `next` to page through the whole table. Data of RESTRICTED and NON_PUBLIC datasets needs access: 401 without sign-in, 403 without access.',
        params: TableParams,
        querystring: RowsQuery,
        security: [{ bearer: [] }, {}],
        response: { 200: RowsResponse },
      },
    },
    async (request) => {
      const { id, table } = request.params;
      const page = await tables.rows(request.actor, id, table, { offset: request.query._offset, size: request.query._size });
      return {
        rows: page.rows,
        total: page.total,
        offset: page.offset,
        size: page.size,
        next: page.nextOffset === undefined ? null : `${baseUrl}${urls.api.rows(id, table, { _size: page.size, _offset: page.nextOffset })}`,
      };
    },
  );

  app.post<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id/tables',
    {
      schema: {
        tags,
        summary: 'Upload a file as a table',
        description:
          'multipart/form-data with the fields `name` (table name: a–z, 0–9, "_" and "-", up to 63 characters), optional `title`, then `file` (CSV; encoding, delimiter, header and decimal mark are detected). Send the fields before the file. Uploading to an existing name adds a new version. Answers 202 with the ingest job; the new version becomes visible when the job succeeds. Editors of the publishing organisation only.',
        consumes: ['multipart/form-data'],
        params: DatasetParams,
        security: [{ bearer: [] }],
        response: { 202: UploadResponse },
      },
    },
    async (request, reply) => {
      const created = await readTableUpload(request, tables, request.params.id, uploadLimit);
      const jobUrl = urls.api.job(created.jobId);
      const { versions: _versions, ...summary } = created.table;
      return reply
        .status(202)
        .header('location', jobUrl)
        .send({ table: presentSummary(summary), version: presentVersion(created.version), job: { id: created.jobId, url: jobUrl } });
    },
  );
};
