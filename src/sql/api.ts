// JSON routes of the SQL domain: run one read-only SELECT (`POST /api/v1/sql`) and list the tables a caller may query
// (`GET /api/v1/sql/tables`). Output as JSON (default), NDJSON, CSV, Parquet or XLSX by `_format` or `Accept`.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csvCell, csvLine } from '../interop/datapackage/service';
import { CSV_INJECTION_NOTE } from '../interop/datapackage/model';
import type { TableEngine } from '../platform/engine/index';
import type { DomainPlugin } from '../platform/http/plugin';
import { resultToParquet, resultToXlsx } from './output';
import { MAX_ROWS, MAX_SQL_LENGTH, DEFAULT_MAX_ROWS, SQL_FORMATS, SqlError, type SqlColumn, type SqlFormat, type SqlResult } from './model';

const tags = ['sql'];

const QueryBody = Type.Object(
  {
    sql: Type.String({ description: `One SELECT (also WITH … SELECT, FROM …, VALUES, DESCRIBE/SUMMARIZE of a query), at most ${MAX_SQL_LENGTH} characters.` }),
    maxRows: Type.Optional(Type.Integer({ description: `Rows to return at most, 1–${MAX_ROWS} (default ${DEFAULT_MAX_ROWS}); more are cut off and \`truncated\` is true.` })),
  },
  { additionalProperties: false },
);
const FormatQuery = Type.Object(
  { _format: Type.Optional(Type.String({ description: 'json (default), ndjson, csv, parquet or xlsx; overrides Accept.' })) },
  { additionalProperties: false },
);
const Column = Type.Object({ name: Type.String(), type: Type.String({ description: 'DuckDB type: VARCHAR, BIGINT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, BOOLEAN, lists, structs…' }) });
const TableColumn = Type.Object({ name: Type.String(), type: Type.String(), semanticType: Type.Optional(Type.String({ description: 'What the column holds, detected at ingest with check digits: organisasjonsnummer, kommunenummer, postnummer, …' })) });
const QueryResponse = Type.Object({
  columns: Type.Array(Column),
  rows: Type.Array(Type.Array(Type.Unknown()), { description: 'One array per row, in column order (names may repeat, so rows are not objects).' }),
  rowCount: Type.Integer(),
  truncated: Type.Boolean({ description: 'More rows existed than maxRows.' }),
  tables: Type.Array(Type.String(), { description: 'The tables the statement read.' }),
  elapsedMs: Type.Integer(),
  queryId: Type.String({ description: 'Recorded in the audit log with reads of non-open tables.' }),
});
const TablesQuery = Type.Object({ dataset: Type.Optional(Type.String({ description: 'Only the tables of this dataset (its id).' })) }, { additionalProperties: false });
const TableItem = Type.Object({
  name: Type.String({ description: 'The name to use in SQL, in double quotes: "<orgnr>/<dataset slug>/<table>".' }),
  datasetId: Type.String(),
  datasetTitle: Type.Object({ nb: Type.Optional(Type.String()), nn: Type.Optional(Type.String()), en: Type.Optional(Type.String()) }),
  orgnr: Type.String(),
  table: Type.String(),
  title: Type.String(),
  accessRights: Type.String(),
  restricted: Type.Boolean({ description: 'You see only the rows shared with you (consent).' }),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  columns: Type.Array(TableColumn),
});
const TablesResponse = Type.Object({ items: Type.Array(TableItem), truncated: Type.Boolean() });

/** The output format: `_format` if given (unknown is a 400), else the first of Accept we make, else JSON. */
export function negotiateFormat(format: string | undefined, accept: string | undefined): SqlFormat {
  if (format !== undefined && format !== '') {
    const f = format.toLowerCase();
    if ((SQL_FORMATS as readonly string[]).includes(f)) return f as SqlFormat;
    throw new SqlError('sql_unsupported_format', `Unknown _format "${format}": use ${SQL_FORMATS.join(', ')}.`, { format }, 400);
  }
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0]?.trim().toLowerCase();
    if (type === 'application/json') return 'json';
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
    if (type === PARQUET_TYPE) return 'parquet';
    if (type === XLSX_TYPE) return 'xlsx';
  }
  return 'json';
}

const NOT_TEXT = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(.*\))?|BOOLEAN|DATE|TIME|TIMESTAMP.*)$/;

/** CSV of a result (RFC 4180, CRLF, a header line); text cells that look like formulas get a leading apostrophe. */
export function toCsv(columns: SqlColumn[], rows: unknown[][]): string {
  const text = columns.map((c) => !NOT_TEXT.test(c.type));
  let out = csvLine(columns.map((c) => csvCell(c.name, true)));
  for (const row of rows) out += csvLine(row.map((v, i) => csvCell(v, text[i] === true)));
  return out;
}

/** Column names made unique (a, a_1, a_2 …) for formats that key rows by name. */
export function uniqueNames(columns: SqlColumn[]): string[] {
  const seen = new Set<string>();
  return columns.map((c) => {
    let name = c.name;
    for (let i = 1; seen.has(name); i++) name = `${c.name}_${i}`;
    seen.add(name);
    return name;
  });
}

export function toNdjson(columns: SqlColumn[], rows: unknown[][]): string {
  const names = uniqueNames(columns);
  return rows.map((row) => `${JSON.stringify(Object.fromEntries(names.map((n, i) => [n, row[i] ?? null])))}\n`).join('');
}

export function presentResult(r: SqlResult & { queryId: string }) {
  return { columns: r.columns, rows: r.rows, rowCount: r.rows.length, truncated: r.truncated, tables: r.tables, elapsedMs: r.elapsedMs, queryId: r.queryId };
}

export const PARQUET_TYPE = 'application/vnd.apache.parquet';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Sends a result in a format; `filename` (without extension) names downloads. Parquet is written to a temp file in
 * `tmpDir` by the table engine and removed once sent.
 */
export async function sendSqlResult(reply: FastifyReply, format: SqlFormat, result: SqlResult & { queryId: string }, ctx: { engine: Pick<TableEngine, 'withConnection'>; tmpDir: string; filename?: string }) {
  const filename = ctx.filename ?? 'sql-result';
  reply.header('x-sql-truncated', String(result.truncated));
  if (format === 'csv') return reply.type('text/csv; charset=utf-8; header=present').header('content-disposition', `attachment; filename="${filename}.csv"`).send(toCsv(result.columns, result.rows));
  if (format === 'ndjson') return reply.type('application/x-ndjson; charset=utf-8').send(toNdjson(result.columns, result.rows));
  if (format === 'xlsx') return reply.type(XLSX_TYPE).header('content-disposition', `attachment; filename="${filename}.xlsx"`).send(resultToXlsx(result));
  if (format === 'parquet') {
    const target = path.join(ctx.tmpDir, `${randomUUID()}.parquet`);
    await resultToParquet(ctx.engine, result, target);
    const stream = createReadStream(target);
    stream.on('close', () => void fs.rm(target, { force: true }));
    return reply.type(PARQUET_TYPE).header('content-disposition', `attachment; filename="${filename}.parquet"`).send(stream);
  }
  return reply.type('application/json; charset=utf-8').send(presentResult(result));
}

const REJECTIONS =
  'Errors, each `{ "error": { "code", "message", "details" } }`: 400 `sql_empty`, `sql_too_long`, `sql_syntax_error` (DuckDB\'s parser message), `sql_several_statements`, `sql_not_read_only` (INSERT, UPDATE, DELETE, CREATE, COPY, ATTACH, SET, PRAGMA, INSTALL, LOAD, EXPORT … — `details.statement` names it), `sql_function_not_allowed` (read_csv, read_parquet, glob, query, duckdb_* … — `details.function`), `sql_table_not_found` (also for a table you may not read: the two are indistinguishable), `sql_invalid` (binding: an unknown column, a type mismatch), `sql_runtime_error` (a cast that fails, overflow; `details.kind`, and DuckDB\'s message in `details.duckdb` only when every table read is open data), `sql_memory_limit`, `sql_unsupported_format`; 408 `sql_timeout`; 503 `sql_busy` when every query slot stays taken.';

export const sqlApi: DomainPlugin = async (app, { services }) => {
  const { sql } = services;
  app.addHook('onClose', async () => sql.close());

  app.post<{ Body: Static<typeof QueryBody>; Querystring: Static<typeof FormatQuery> }>(
    '/sql',
    {
      schema: {
        tags,
        summary: 'Run one read-only SQL query',
        description: `Runs one SELECT in a DuckDB sandbox over the tables you may read, each named \`"<publisher orgnr>/<dataset slug>/<table>"\` (double quotes; the slug is the dataset's CKAN name: title slug + "-" + the first 8 hex digits of its id; \`GET /api/v1/sql/tables\` lists them with columns and types). Joins across datasets, aggregates, window functions and CTEs work. The sandbox has no file, network or extension access; only the tables named are there, consent-restricted tables hold only the rows shared with you. Limits: one statement, ${MAX_SQL_LENGTH} characters, a time limit (SQL_TIMEOUT_MS, default 10 s: 408), a memory limit (SQL_MEMORY_LIMIT), at most ${MAX_ROWS} rows (\`maxRows\`). Output: JSON (columns with types, rows as arrays), NDJSON (one object per row) CSV, Parquet (zstd, the result's column types) or XLSX by \`_format\` or \`Accept\` (every format also says in the header \`X-SQL-Truncated: true|false\` whether rows were cut off); ${CSV_INJECTION_NOTE} Reads of RESTRICTED and NON_PUBLIC tables are written to the audit log with the statement and row count. ${REJECTIONS}`,
        body: QueryBody,
        querystring: FormatQuery,
        security: [{ bearer: [] }, {}],
        produces: ['application/json', 'application/x-ndjson', 'text/csv', PARQUET_TYPE, XLSX_TYPE],
        response: {
          200: {
            description: 'The result.',
            content: {
              'application/json': { schema: QueryResponse },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
              [PARQUET_TYPE]: { schema: { type: 'string', format: 'binary' } },
              [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } },
            },
          },
        },
      },
    },
    async (request: FastifyRequest<{ Body: Static<typeof QueryBody>; Querystring: Static<typeof FormatQuery> }>, reply) => {
      const format = negotiateFormat(request.query._format, request.headers.accept);
      const result = await sql.query(request.actor, { sql: request.body.sql, maxRows: request.body.maxRows });
      return sendSqlResult(reply, format, result, { engine: services.platform.engine, tmpDir: path.join(services.platform.config.dataDir, 'tmp', 'sql-out') });
    },
  );

  app.get<{ Querystring: Static<typeof TablesQuery> }>(
    '/sql/tables',
    {
      schema: {
        tags,
        summary: 'List the tables you may query with SQL',
        description: 'Every table with a ready version whose data you may read, with its SQL name, columns and types (at most 1000; `truncated` says when there are more). Open data for everyone; RESTRICTED and NON_PUBLIC tables for those with access.',
        querystring: TablesQuery,
        security: [{ bearer: [] }, {}],
        response: { 200: TablesResponse },
      },
    },
    async (request) => sql.readableTables(request.actor, { datasetId: request.query.dataset }),
  );
};
