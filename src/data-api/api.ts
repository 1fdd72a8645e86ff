// JSON routes of the data API: the rows route (filters, sort, fields, keyset paging, counts, aggregates; JSON, NDJSON,
// CSV, Parquet, XLSX by Accept or _format) and downloads of a version (original file and conversions) with ETag,
// Range and gzip. Handlers present what ./service.ts decided; no access rule lives here.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { DEFAULT_SIZE, DOWNLOAD_FORMATS, FILTER_OPS, FORMATS, MAX_IN_VALUES, MAX_SIZE, MEDIA_TYPES, type DownloadFormat, type Format } from './model';
import { XLSX_ROWS_PER_SHEET, csvStream, ndjsonStream, xlsxStream } from './writers';
import type { DataApiService, DownloadStream, RowsResult } from './service';

const tags = ['tables'];
const TableParams = Type.Object({ id: Type.String(), table: Type.String() });
const DownloadParams = Type.Object({
  id: Type.String(),
  table: Type.String(),
  version: Type.String({ description: 'A version number (1, 2, …) or `latest` (the current version).' }),
  format: Type.Union(DOWNLOAD_FORMATS.map((f) => Type.Literal(f)), { description: '`original` (the uploaded file), `csv`, `parquet`, `xlsx` or `json`.' }),
});

const s = (description: string) => Type.Optional(Type.String({ description }));
/** Whole numbers in digits only, checked before anything is looked up (1e3, 0x10, -1 are a 400 even for an unknown table). */
const digits = (description: string) => Type.Optional(Type.String({ description, pattern: '^[0-9]{1,12}$' }));
const RowsQuery = Type.Object(
  {
    _sort: s('Comma list of columns to sort by; `-column` sorts descending. Ties are broken by row order. NULLs sort last.'),
    _fields: s('Comma list of the columns to return, in that order (default all).'),
    _size: digits(`Rows per page, 1–${MAX_SIZE} (default ${DEFAULT_SIZE}); with _group, groups per page.`),
    _cursor: s('Where a page starts: the opaque value of the `next` link. It continues only the query (filters, sort) and version it came from; anything else is a 400.'),
    _offset: digits('Legacy paging: skip this many rows (0–1,000,000,000). Cannot be combined with _cursor; prefer `next`, which is as fast on the last page as on the first.'),
    _count: s('`exact` (default), `estimate` (for tables over a million rows, counted on a sample of row ranges and scaled; `totalExact: false`) or `none` (no count: fastest).'),
    _group: s('Comma list of columns to group by; the answer has one row per group with the _agg results.'),
    _agg: s('Comma list of aggregates: `count`, `sum:column`, `avg:column` (numeric columns), `min:column`, `max:column`. Default `count`. Each result is named as written (`count`, `sum:belop`).'),
    _version: s('The table version to read, a number; default the current version. `next` links carry it.'),
    _format: s(`Output format, overriding Accept: ${FORMATS.join(', ')}.`),
  },
  { additionalProperties: true },
);

const RowsResponse = Type.Object({
  rows: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Rows (or groups) as objects keyed by column (or group column and aggregate).' }),
  total: Type.Union([Type.Integer(), Type.Null()], { description: 'Rows (or groups) matching the filters; null with _count=none, or for groups past the first page.' }),
  totalExact: Type.Boolean({ description: 'false when `total` is an estimate (or unknown).' }),
  offset: Type.Integer(),
  size: Type.Integer(),
  version: Type.Integer({ description: 'The table version read.' }),
  next: Type.Union([Type.String(), Type.Null()], { description: 'URL of the next page; null on the last page.' }),
});

const ROWS_DESCRIPTION = `Rows of a table version (the current one, or \`_version\`), filtered, sorted and paged. Data of RESTRICTED and NON_PUBLIC datasets needs access: 401 without sign-in, 403 without access; a reader allowed only some rows (consent) sees exactly those, in every page, count, aggregate and format.

**Column filters** are per table, so they are not listed as parameters: any other query parameter names a column (see the table's \`columns\`) and an operator:
\`column=value\` (equals), \`column__ne=value\` (not equal; NULLs count as not equal), \`column__gt\`, \`__gte\`, \`__lt\`, \`__lte\`, \`column__in=a,b,c\` (one of; at most ${MAX_IN_VALUES} values; write a comma inside a value as \`\\,\` and a backslash as \`\\\\\`), \`column__contains=text\` and \`column__startswith=text\` (text columns, case-insensitive), \`column__isnull=true|false\`. Operators: ${FILTER_OPS.join(', ')}. Filters are ANDed. Values are read as the column's type: whole numbers for BIGINT, numbers with "." for DOUBLE, YYYY-MM-DD for DATE, YYYY-MM-DDTHH:MM:SS for TIMESTAMP, true/false for BOOLEAN; a value of the wrong type is a 400 naming the column and the value. An unknown column, operator or parameter is a 400 naming it; a parameter given twice is a 400.

**Paging** is by keyset: follow \`next\` (it carries \`_cursor\` and \`_version\`), with no duplicates or gaps even where sort values tie. **Formats**: JSON (default), NDJSON, CSV (text cells starting with =, +, -, @, TAB or CR get a leading apostrophe), Parquet and XLSX, by \`Accept\` (${Object.values(MEDIA_TYPES).join(', ')}) or \`_format\`; the non-JSON formats carry the next page as \`Link: <…>; rel="next"\` and the count as \`X-Total-Count\`. **Aggregates**: \`_group=col&_agg=count,sum:col\` answers one row per group, ordered by the group columns (or \`_sort\` over group columns and aggregate names), paged with \`_offset\`.`;

const DOWNLOAD_DESCRIPTION = `A whole table version as a file: \`original\` (the file as uploaded), or a conversion to \`csv\` (UTF-8, comma, header; text cells starting with =, +, -, @, TAB or CR get a leading apostrophe), \`parquet\`, \`xlsx\` (one sheet per ${XLSX_ROWS_PER_SHEET.toLocaleString('en')} rows) or \`json\` (an array of row objects). \`version\` is a number or \`latest\`. Streamed; conversions are made once per version and kept. \`ETag\` is the version and format (versions never change): send \`If-None-Match\` for a 304. \`Range: bytes=…\` gives 206 (416 when it starts past the end) for the original and cached conversions. CSV and JSON are gzip-compressed when \`Accept-Encoding\` allows and no Range is asked. The file name says dataset, table, version and format. Non-open data needs access like the rows route (every download is audited); a reader allowed only some rows gets those rows, never the original file.`;

/** The format asked for: `_format`, else the first supported media type in Accept (by q), else JSON. */
export function negotiate(accept: string | undefined, format?: Format): Format {
  if (format) return format;
  if (!accept) return 'json';
  const wanted = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q ? Number(q.slice(2)) || 0 : 1, i };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const w of wanted) {
    const hit = (Object.entries(MEDIA_TYPES) as [Format, string][]).find(([, m]) => m === w.type);
    if (hit) return hit[0];
    if (w.type === 'application/*' || w.type === '*/*') return 'json';
  }
  return 'json';
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [enc = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (enc.trim() === 'gzip' || enc.trim() === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** One byte range of `size` bytes from a Range header: undefined = whole file; 'unsatisfiable' = 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: serve the whole file (allowed by RFC 9110).
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}

function disposition(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function nextUrl(baseUrl: string, request: FastifyRequest<{ Params: Static<typeof TableParams> }>, next: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
    if (k === '_cursor' || k === '_offset' || k === '_version') continue;
    q.set(k, String(v));
  }
  for (const [k, v] of Object.entries(next)) q.set(k, v);
  return `${baseUrl}${urls.api.rows(request.params.id, request.params.table)}?${q.toString()}`;
}

async function sendStream(reply: FastifyReply, body: DownloadStream | { kind: 'stream'; stream: Readable }) {
  const cleanup = 'cleanup' in body ? body.cleanup : undefined;
  if (cleanup) {
    body.stream.once('close', () => void cleanup());
  }
  return reply.send(body.stream);
}

export const dataApi: DomainPlugin = async (app, { services }) => {
  const data: DataApiService = services.dataApi;
  const baseUrl = services.platform.config.baseUrl;

  app.get<{ Params: Static<typeof TableParams>; Querystring: Static<typeof RowsQuery> }>(
    '/datasets/:id/tables/:table/rows',
    {
      schema: {
        tags,
        summary: 'Query rows of a table: filters, sort, fields, keyset paging, counts, aggregates, formats',
        description: ROWS_DESCRIPTION,
        params: TableParams,
        querystring: RowsQuery,
        security: [{ bearer: [] }, {}],
        produces: ['application/json', ...Object.values(MEDIA_TYPES).filter((m) => m !== 'application/json')],
        response: { 200: RowsResponse },
      },
    },
    async (request, reply) => {
      const { id, table } = request.params;
      const result: RowsResult = await data.rows(request.actor, id, table, request.query as Record<string, unknown>);
      const format = negotiate(request.headers.accept, result.format);
      const next = result.next ? nextUrl(baseUrl, request, result.next) : null;
      if (format === 'json') {
        const names = result.columns.map((c) => c.name);
        return {
          rows: result.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]))),
          total: result.total,
          totalExact: result.totalExact,
          offset: result.spec.offset,
          size: result.spec.size,
          version: result.resolved.version.number,
          next,
        };
      }
      const r = result.resolved;
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : MEDIA_TYPES[format]);
      if (next) reply.header('link', `<${next}>; rel="next"`);
      if (result.total !== null) reply.header('x-total-count', String(result.total));
      const ext = format === 'ndjson' ? 'ndjson' : format;
      if (format !== 'ndjson') reply.header('content-disposition', disposition(`${r.dataset.slug}_${r.table.name}_v${r.version.number}_rows.${ext}`));
      const names = result.columns.map((c) => c.name);
      const batches = (async function* () {
        yield result.rows;
      })();
      if (format === 'csv') return reply.send(csvStream(names, batches));
      if (format === 'ndjson') return reply.send(ndjsonStream(names, batches));
      if (format === 'xlsx') return reply.send(xlsxStream(result.columns, batches, r.table.name.slice(0, 31)));
      return sendStream(reply, await data.rowsParquet(result));
    },
  );

  app.get<{ Params: Static<typeof DownloadParams> }>(
    '/datasets/:id/tables/:table/download/:version/:format',
    {
      schema: {
        tags,
        summary: 'Download a table version: the original file or a conversion',
        description: DOWNLOAD_DESCRIPTION,
        params: DownloadParams,
        security: [{ bearer: [] }, {}],
        produces: ['text/csv', 'application/vnd.apache.parquet', MEDIA_TYPES.xlsx, 'application/json'],
        response: {
          200: Type.String({ format: 'binary', description: 'The file.' }),
          206: Type.String({ format: 'binary', description: 'The requested byte range.' }),
          304: Type.Null({ description: 'Not modified (If-None-Match matched the ETag).' }),
        },
      },
    },
    async (request, reply) => {
      const { id, table, version, format } = request.params;
      const d = await data.download(request.actor, id, table, version, format as DownloadFormat);
      const gzip = (format === 'csv' || format === 'json') && acceptsGzip(request.headers['accept-encoding']) && !request.headers.range;
      const etag = gzip ? `${d.etag.slice(0, -1)}.gz"` : d.etag;
      reply.header('etag', etag);
      reply.header('vary', 'Accept-Encoding');
      reply.header('content-disposition', disposition(d.filename));
      if (etagMatches(request.headers['if-none-match'], etag)) return reply.status(304).send();
      const body = await d.body();
      reply.header('content-type', body.kind === 'blob' ? (d.format === 'original' && d.resolved.version.sourceFormat === 'tsv' ? 'text/tab-separated-values' : d.contentType) : d.contentType);
      if (body.kind === 'stream') {
        if (gzip) {
          reply.header('content-encoding', 'gzip');
          return reply.send(body.stream.pipe(createGzip({ level: 1 })));
        }
        return sendStream(reply, body);
      }
      reply.header('accept-ranges', 'bytes');
      const ifRange = request.headers['if-range'];
      const range = ifRange && ifRange !== etag ? undefined : parseRange(request.headers.range, body.size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${body.size}`);
        reply.removeHeader('content-type');
        reply.removeHeader('content-disposition');
        throw new DomainError(416, 'range_not_satisfiable', `The range starts past the end of the ${body.size}-byte file.`, { size: body.size });
      }
      const open = (r?: { start: number; end: number }): Promise<Readable> | Readable =>
        // 1 MiB reads: a 600 MB file in 600 reads instead of 9,000 (the default 64 KiB).
        body.kind === 'blob' ? services.platform.blobs.get(body.key, r) : createReadStream(body.path, { highWaterMark: 1 << 20, ...(r ? { start: r.start, end: r.end } : {}) });
      if (range) {
        reply.status(206);
        reply.header('content-range', `bytes ${range.start}-${range.end}/${body.size}`);
        reply.header('content-length', String(range.end - range.start + 1));
        return reply.send(await open(range));
      }
      if (gzip) {
        reply.header('content-encoding', 'gzip');
        return reply.send((await open()).pipe(createGzip({ level: 1 })));
      }
      reply.header('content-length', String(body.size));
      return reply.send(await open());
    },
  );
};
