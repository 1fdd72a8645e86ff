// JSON routes of the tables domain: list and describe a dataset's tables, page through rows (Datasette-style `_size`
// and `_offset`), upload a file as a new table version (multipart, streamed to the blob store, ingested by a job) and
// read a stored file again with other read options (a new version). What a caller sees of a table's import is the
// access door's decision (src/access/table-visibility.ts), made in the service; this file only presents it.
import { PassThrough } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, DomainError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type FieldProblem } from '../errors';
import type { CsvReadOptions } from '../platform/engine/index';
import type { DomainPlugin } from '../platform/http/plugin';
import { csrfMatches, CSRF_FIELD } from '../web/context';
import { urls } from '../web/urls';
import { ingestErrorMessage, type TableDetail, type TableSummary, type TablesService, type TableVersion, type ReingestInput } from './service';

const ColumnSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'DuckDB logical type: VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN.' }),
  nullable: Type.Boolean(),
  keptAsText: Type.Optional(
    Type.String({ description: 'Why a column that looks numeric stays text, a reason code: leading_zeros, plus_sign, identifier_name, too_large, publisher_choice. Only for readers of the data and publishers.' }),
  ),
  semanticType: Type.Optional(Type.String({ description: 'The identifier the column holds (orgnr, kommunenummer, …). Only for readers of the data and publishers.' })),
  missingMarkers: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'Suppression markers counted as missing, by marker. Only for readers and publishers.' })),
});

/** Read options as a publisher gives them. Shapes are checked here (unknown keys: 400); values by the service (422). */
export const SourceOptionsSchema = Type.Object(
  {
    encoding: Type.Optional(Type.String({ description: 'utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1, iso-8859-15 or iso-8859-7.' })),
    delimiter: Type.Optional(Type.String({ description: 'One character, e.g. ";", ",", "\\t", "|".' })),
    quote: Type.Optional(Type.String({ description: 'The quote character, or "" for none.' })),
    escape: Type.Optional(Type.String({ description: 'The escape character inside quotes (default: the quote doubled).' })),
    header: Type.Optional(Type.Boolean({ description: 'Whether the first record (after skipped lines) names the columns.' })),
    skipLines: Type.Optional(Type.Integer({ description: 'Lines to skip at the top (title lines above the table), 0–1000.' })),
    commentPrefix: Type.Optional(Type.String({ description: 'Lines starting with this are comments (skipped and reported); "" for none.' })),
    decimalSeparator: Type.Optional(Type.String({ description: '"." or ",".' })),
    thousandsSeparator: Type.Optional(Type.String({ description: '"", " ", "." or ",".' })),
    columnTypes: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Type per column name: text, integer, decimal, date, timestamp or boolean.' }),
    ),
    sheet: Type.Optional(Type.String({ description: 'XLSX: the sheet to read, by name (default: the first sheet holding a value; `import.sheets` lists them).' })),
    headerRows: Type.Optional(Type.Integer({ description: 'XLSX: 1, or 2 for a group header row (cells merged across columns) above the column names.' })),
  },
  { additionalProperties: false, description: 'How to read the file; every field is optional (the engine decides what is missing).' },
);

const SheetSchema = Type.Object({
  name: Type.String(),
  rows: Type.Integer({ description: 'Rows in the sheet (as stored in the workbook).' }),
  columns: Type.Integer({ description: 'The widest row holding a value.' }),
});

const NoteSchema = Type.Object({
  reason: Type.String({ description: 'formula_without_value, error_value, missing_keys, nested_as_json or timezone_to_utc.' }),
  count: Type.Integer(),
  lines: Type.Optional(Type.Array(Type.Integer(), { description: 'The first (at most 100) sheet rows, records or lines.' })),
  columns: Type.Optional(Type.Array(Type.String(), { description: 'The columns concerned.' })),
});

const SkippedSchema = Type.Object({
  reason: Type.String({ description: 'comment, blank or leading (for XLSX: sheet rows).' }),
  count: Type.Integer(),
  lines: Type.Array(Type.Integer(), { description: 'The first (at most 100) line numbers, 1-based.' }),
});

const ImportSchema = Type.Object(
  {
    byteSize: Type.Union([Type.Integer(), Type.Null()]),
    sourceFormat: Type.String(),
    sourceOptions: Type.Object({}, { additionalProperties: true, description: 'The options the file was read with (given or detected); complete once ingested.' }),
    givenOptions: Type.Object({}, { additionalProperties: true, description: 'The options the publisher gave.' }),
    recordCount: Type.Union([Type.Integer(), Type.Null()], { description: 'Records in the file by an independent count, before skipping.' }),
    skipped: Type.Array(SkippedSchema),
    sheets: Type.Optional(Type.Array(SheetSchema, { description: 'XLSX: every sheet of the workbook, in order.' })),
    notes: Type.Optional(Type.Array(NoteSchema, { description: 'Cells and records changed on purpose (reason codes and positions, never values).' })),
    errorParams: Type.Object({}, { additionalProperties: true, description: 'Line numbers and counts for the failure code.' }),
    fromVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The version whose stored file this version read again.' }),
    jobId: Type.Union([Type.String(), Type.Null()]),
    job: Type.Union([Type.String(), Type.Null()], { description: 'URL of the ingest job (visible to publishers).' }),
  },
  { description: 'How the file was read. Only for readers of the data and publishers of the dataset.' },
);

const VersionSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')]),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  columns: Type.Array(ColumnSchema),
  errorCode: Type.Union([Type.String(), Type.Null()], { description: 'Why the ingest failed, as a code (file_empty, invalid_csv, ragged_rows, …, unknown).' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'The same in English words; never quotes the file.' }),
  createdAt: Type.String({ format: 'date-time' }),
  readyAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  import: Type.Optional(ImportSchema),
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
  detailLevel: Type.Union([Type.Literal('full'), Type.Literal('schema')], {
    description: '"full" for readers of the data and publishers; "schema" (names, types, row count, states) for everyone else.',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  links: Type.Object({ self: Type.String(), rows: Type.String() }),
};
const TableSummarySchema = Type.Object(summaryFields);
const TableDetailSchema = Type.Object({ ...summaryFields, versions: Type.Array(VersionSchema) });

const DatasetParams = Type.Object({ id: Type.String() });
const TableParams = Type.Object({ id: Type.String(), table: Type.String() });
const UploadResponse = Type.Object({
  table: TableSummarySchema,
  version: VersionSchema,
  job: Type.Object({ id: Type.String(), url: Type.String() }),
});
const ReingestBody = Type.Object(
  {
    sourceOptions: Type.Optional(SourceOptionsSchema),
    fromVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'The version whose stored file to read again; default the newest.' })),
  },
  { additionalProperties: false },
);

const tags = ['tables'];

const ProfileValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const ColumnProfileSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  nullable: Type.Boolean(),
  nullCount: Type.Integer(),
  distinctCount: Type.Integer(),
  distinctApproximate: Type.Boolean({ description: 'True when counted with approx_count_distinct (tables of 1,000,000 rows or more).' }),
  min: Type.Union([ProfileValue, Type.Null()]),
  max: Type.Union([ProfileValue, Type.Null()]),
  mean: Type.Union([Type.Number(), Type.Null()]),
  topValues: Type.Array(Type.Object({ value: ProfileValue, count: Type.Integer() }), { description: 'The 10 most frequent values; empty when every value is distinct.' }),
  histogram: Type.Union([
    Type.Object({
      kind: Type.String({ description: 'numeric, month or year.' }),
      bins: Type.Array(Type.Object({ from: ProfileValue, to: ProfileValue, count: Type.Integer() })),
    }),
    Type.Null(),
  ]),
  semantic: Type.Union([
    Type.Object({
      type: Type.String({ description: 'orgnr, kommunenummer, fylkesnummer, postnummer, fodselsnummer, kontonummer, email, phone, date, latitude, longitude, utm_easting, utm_northing.' }),
      validShare: Type.Number({ description: 'Share (0–1) of the checked distinct values that are valid (check digits, code lists, shapes, ranges).' }),
      checked: Type.Integer(),
      basis: Type.String({ description: 'name (the column name names the kind), values or type.' }),
      confirmed: Type.Boolean({ description: 'validShare ≥ 0.9.' }),
      sample: Type.String({ description: 'all_distinct; most_frequent (the 1,000 most frequent distinct values); row_sample (a column of 10,000+ values, > 90 % distinct: the distinct values of a fixed-seed sample of 10,000 rows).' }),
      inNorway: Type.Optional(Type.Number({ description: 'Coordinates: share inside a box around Norway, Svalbard and Jan Mayen.' })),
    }),
    Type.Null(),
  ]),
  profiled: Type.Boolean({ description: 'False past the 500th column: counts only.' }),
});
const ProfileSchema = Type.Object({
  available: Type.Boolean(),
  versionId: Type.String(),
  version: Type.Integer(),
  rowCount: Type.Integer(),
  columns: Type.Array(ColumnProfileSchema),
});

function presentVersion(v: TableVersion) {
  const { detail, ...rest } = v;
  const error = v.errorCode ? ingestErrorMessage(v.errorCode, detail?.errorParams ?? {}) : null;
  return {
    ...rest,
    error,
    ...(detail ? { import: { ...detail, job: detail.jobId ? urls.api.job(detail.jobId) : null } } : {}),
  };
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
    detailLevel: t.detailLevel,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    links: { self: urls.api.table(t.datasetId, t.name), rows: urls.api.rows(t.datasetId, t.name) },
  };
}

function presentDetail(t: TableDetail): Static<typeof TableDetailSchema> {
  return { ...presentSummary(t), versions: t.versions.map(presentVersion) };
}

function presentCreated(created: Awaited<ReturnType<TablesService['createTableFromFile']>>) {
  const jobUrl = urls.api.job(created.jobId);
  const { versions: _versions, ...summary } = created.table;
  return { jobUrl, body: { table: presentSummary(summary), version: presentVersion(created.version), job: { id: created.jobId, url: jobUrl } } };
}

/** Parses the multipart `sourceOptions` field (JSON) against the same schema as the JSON API: 400 on bad shapes. */
export function parseSourceOptionsField(text: string): CsvReadOptions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('The sourceOptions field is not valid JSON.', { problems: [{ field: '/sourceOptions', code: 'invalid_json', message: 'The sourceOptions field is not valid JSON.' }] }, 'invalid_request');
  }
  if (!Value.Check(SourceOptionsSchema, value)) {
    const problems: FieldProblem[] = [...Value.Errors(SourceOptionsSchema, value)].slice(0, 20).map((e) => {
      const unknown = e.schema === SourceOptionsSchema && value && typeof value === 'object' ? Object.keys(value).find((k) => !(k in SourceOptionsSchema.properties)) : undefined;
      return unknown
        ? { field: `/sourceOptions/${unknown}`, code: 'unknown_field', message: `Unknown field "${unknown}" in sourceOptions.` }
        : { field: `/sourceOptions${e.path}`, code: 'invalid_type', message: `sourceOptions${e.path}: ${e.message}.` };
    });
    throw new BadRequestError(problems.map((p) => p.message).join(' '), { problems }, 'invalid_request');
  }
  return value as CsvReadOptions;
}

const malformed = () => new BadRequestError('The multipart body could not be read: it is malformed or incomplete.', {}, 'invalid_multipart');
const aborted = () => new BadRequestError('The upload ended before the file was complete; nothing was stored. Upload the file again.', {}, 'upload_incomplete');
const csrfFailed = () => new DomainError(403, 'csrf_failed', 'The form was missing a valid CSRF token. Reload the page and try again.');

export interface TableUploadOptions {
  /** Web pages: the first multipart field must be `_csrf` matching the df_csrf cookie, checked before the file. */
  csrf?: boolean;
  /** Filled with the text fields as they arrive, so a page can re-render the form with the user's input. */
  fields?: Record<string, string>;
}

/**
 * Reads a multipart upload (fields `name`, `title`, optional `sourceOptions` (JSON), then `file`; web forms send
 * `_csrf` first) and hands the file part to the tables service as a stream, so it goes to the blob store without being
 * buffered. Shared by the JSON API and the upload page. A malformed body is 400, an interrupted one 400 with nothing
 * stored, a file over the limit 413.
 */
export async function readTableUpload(
  request: FastifyRequest,
  tables: TablesService,
  datasetId: string,
  uploadLimit: number,
  opts: TableUploadOptions = {},
): Promise<Awaited<ReturnType<TablesService['createTableFromFile']>>> {
  if (!request.isMultipart()) throw new UnsupportedMediaTypeError(request.headers['content-type'], ['multipart/form-data']);
  const fields = opts.fields ?? {};
  let created: Awaited<ReturnType<TablesService['createTableFromFile']>> | undefined;
  let csrfChecked = !opts.csrf;
  let options: CsvReadOptions | undefined;
  let iterator: AsyncIterator<import('@fastify/multipart').Multipart>;
  // Only the parser's own failures (busboy: no boundary, a broken header, the body ending early) become 400; errors
  // of the service below keep their status.
  try {
    iterator = request.parts()[Symbol.asyncIterator]();
  } catch (err) {
    throw err instanceof DomainError ? err : malformed();
  }
  for (;;) {
    let next: IteratorResult<import('@fastify/multipart').Multipart>;
    try {
      next = await iterator.next();
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw err;
      throw created ? aborted() : malformed();
    }
    if (next.done) break;
    const part = next.value;
    if (!csrfChecked) {
      // The token must come first, before any byte of the file is read (it is never in the URL, which ends up in logs).
      if (part.type !== 'field' || part.fieldname !== CSRF_FIELD || !csrfMatches(request, part.value)) {
        if (part.type === 'file') part.file.resume();
        throw csrfFailed();
      }
      csrfChecked = true;
      continue;
    }
    if (part.type === 'field') {
      if (typeof part.value !== 'string') continue;
      fields[part.fieldname] = part.value;
      if (part.fieldname === 'sourceOptions' && part.value.trim() !== '') options = parseSourceOptionsField(part.value);
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
    source.on('error', () => guarded.destroy(aborted()));
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
      options,
    });
  }
  if (!csrfChecked) throw csrfFailed();
  // No file part: the service checks access first, then says the file is missing.
  return created ?? (await tables.createTableFromFile(request.actor, datasetId, { name: fields.name ?? '', title: fields.title, filename: '', options }));
}

export const tablesApi: DomainPlugin = async (app, { services }) => {
  const { tables } = services;
  const uploadLimit = services.platform.config.uploadLimitBytes;

  app.get<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id/tables',
    {
      schema: {
        tags,
        summary: 'List the tables of a dataset',
        description:
          'Tables with the columns and row count of their current version and the state of their newest upload. Readers of the data and publishers also get each version\'s import report (`import`: how the file was read, skipped lines, record count); everyone else the schema only (`detailLevel: "schema"`).',
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
        description:
          'Name, title, columns with types and row count of the current version, and every version with its state and failure code. The import report of each version only for readers of the data and publishers.',
        params: TableParams,
        response: { 200: TableDetailSchema },
      },
    },
    async (request) => presentDetail(await tables.getTable(request.actor, request.params.id, request.params.table)),
  );

  app.get<{ Params: Static<typeof TableParams> }>(
    '/datasets/:id/tables/:table/profile',
    {
      schema: {
        tags,
        summary: 'Column profile of a table',
        description:
          'Per column of the current version: type, nullability, null and distinct counts (approximate from 1,000,000 rows), min/max, mean, the 10 most frequent values, a histogram (numbers: 20 equal-width bins; dates: by month, or by year over more than 120 months) and the semantic type with the share of valid values among the distinct values checked (all of them up to 1,000, else the 1,000 most frequent). The profile holds values: it needs access to all rows of the table (401 without sign-in, 403 without access; 403 `profile_not_available_under_consent` for a consent-based read of some rows). 409 `table_not_ready` before the first version is ready, 409 `profile_not_computed` for a version ingested before profiles existed (upload or read it again).',
        params: TableParams,
        security: [{ bearer: [] }, {}],
        response: { 200: ProfileSchema },
      },
    },
    async (request) => {
      const view = await tables.profile(request.actor, request.params.id, request.params.table);
      if (view.available) return view;
      if (view.reason === 'consent') {
        throw new DomainError(403, 'profile_not_available_under_consent', 'The profile is not available under consent: it describes all rows of the table, and you may read some of them.');
      }
      throw new DomainError(409, 'profile_not_computed', 'This table version has no profile: it was ingested before profiles existed. Upload the file again or read it again to compute one.');
    },
  );

  // GET …/tables/:table/rows is the data API's (src/data-api/api.ts).

  app.post<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id/tables',
    {
      schema: {
        tags,
        summary: 'Upload a file as a table',
        description:
          'multipart/form-data with the fields `name` (table name: a–z, 0–9, "_" and "-", up to 63 characters), optional `title`, optional `sourceOptions` (a JSON object of read options: encoding, delimiter, quote, escape, header, skipLines, commentPrefix, decimalSeparator, thousandsSeparator, columnTypes; unknown keys are a 400, invalid values a 422; what is not given is detected), then `file` (CSV/TSV, XLSX, JSON, NDJSON or Parquet — read by content, not by name; .xls and PDF are refused with 422; without `name` the table is named after the file, "Tilskudd 2022.xlsx" → tilskudd-2022). Send the fields before the file. Uploading to an existing name adds a new version. Answers 202 with the ingest job; the new version becomes visible when the job succeeds. Editors of the publishing organisation only.',
        consumes: ['multipart/form-data'],
        params: DatasetParams,
        security: [{ bearer: [] }],
        response: { 202: UploadResponse },
      },
    },
    async (request, reply) => {
      const { jobUrl, body } = presentCreated(await readTableUpload(request, tables, request.params.id, uploadLimit));
      return reply.status(202).header('location', jobUrl).send(body);
    },
  );

  app.post<{ Params: Static<typeof TableParams>; Body: Static<typeof ReingestBody> }>(
    '/datasets/:id/tables/:table/versions',
    {
      schema: {
        tags,
        summary: 'Read a table\'s file again with other options',
        description:
          'Adds a version read from the stored source file of `fromVersion` (default the newest) with `sourceOptions` (default: the options given for that version). Use it after looking at how the file was read (`import.sourceOptions`, `import.skipped`, `import.recordCount`) to set the delimiter, header, skipped lines, decimal mark or a column\'s type. Answers 202 with the ingest job; 409 while a version of the table is still being read in; unknown options are a 400, invalid values a 422. Editors of the publishing organisation only.',
        params: TableParams,
        body: ReingestBody,
        security: [{ bearer: [] }],
        response: { 202: UploadResponse },
      },
    },
    async (request, reply) => {
      const { id, table } = request.params;
      const { jobUrl, body } = presentCreated(await tables.reingest(request.actor, id, table, (request.body ?? {}) as ReingestInput));
      return reply.status(202).header('location', jobUrl).send(body);
    },
  );
};

