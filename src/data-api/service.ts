// The data API: rows of a table version with filters, sort, fields, keyset paging, counts and aggregates (parsed in
// ./query.ts, run by ./layer.ts), and downloads of a version — the stored source file and conversions (CSV, Parquet,
// XLSX, JSON) — by version number or `latest`.
//
// Every read asks the access door first: the dataset must be visible (dataset:read-metadata, else 404), then
// resolveDataAccess() decides the rows; its RowScope ('all' or a RowRestriction) is handed to every layer call.
// Non-open reads are written to the audit log with the row count, basis, grant and consents.
//
// Downloads of whole versions with scope 'all' are converted once by DuckDB (COPY) into
// `<dataDir>/cache/downloads/<versionId>.<ext>` (temp file + rename; versions never change) and served from there
// with Range and ETag; a restricted scope streams its rows through the writers chunk by chunk and is never cached.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { recordAudit } from '../access/audit';
import { authorizeData, datasetResourceFor, readForOrganisation, resolveDataAccess, type DataAccess } from '../access/data-access';
import { recordConsentUse } from '../consent/access';
import type { Actor } from '../access/model';
import { authorize } from '../access/service';
import type { AccessRights, DatasetState, LangText } from '../catalog/model';
import type { Db } from '../database';
import { BadRequestError, ConflictError, DomainError, NotFoundError } from '../errors';
import { packageName } from '../interop/ckan/model';
import type { BlobStore } from '../platform/blobs/index';
import { parseJson } from '../platform/db/index';
import type { TableEngine } from '../platform/engine/index';
import type { TableRow, TableVersionRow } from '../tables/model';
import { TABLE_NAME_PATTERN } from '../tables/service';
import { createQueryLayer } from './layer';
import { type DownloadFormat, type Format, type QueryColumn, type RowScope, type RowsSpec } from './model';
import { encodeCursor, parseRowsQuery, queryColumns, queryFingerprint } from './query';
import { csvStream, jsonArrayStream, ndjsonStream, xlsxStream, type Batches } from './writers';

export interface DataApiDeps {
  db: Db;
  blobs: Pick<BlobStore, 'get' | 'head' | 'toLocalFile'>;
  engine: Pick<TableEngine, 'withConnection'>;
  dataDir: string;
}

interface DatasetRow {
  id: string;
  orgnr: string;
  state: DatasetState;
  access_rights: AccessRights;
  title: string;
  hidden: number;
}

/** A table version an actor may read, with the rows they may read. */
export interface ResolvedVersion {
  dataset: { id: string; orgnr: string; accessRights: AccessRights; slug: string };
  table: { id: string; name: string };
  version: { id: string; number: number; rowCount: number; sourceKey: string; sourceFormat: string };
  columns: QueryColumn[];
  access: Extract<DataAccess, { allow: true }>;
  scope: RowScope;
  parquet: string;
}

export interface RowsResult {
  kind: 'rows' | 'aggregate';
  resolved: ResolvedVersion;
  spec: RowsSpec;
  format?: Format;
  /** Output column names and kinds, in order. */
  columns: { name: string; kind: string }[];
  rows: unknown[][];
  total: number | null;
  totalExact: boolean;
  /** Query parameters that replace _cursor/_offset/_version for the next page. */
  next?: Record<string, string>;
  rowNumbers: number[];
}

export interface DownloadFile {
  kind: 'file';
  path: string;
  size: number;
}
export interface DownloadStream {
  kind: 'stream';
  stream: Readable;
  /** Remove temp files once sent. */
  cleanup?: () => Promise<void>;
}
export interface DownloadResult {
  resolved: ResolvedVersion;
  format: DownloadFormat;
  contentType: string;
  filename: string;
  etag: string;
  /** Only the original file is a blob; conversions are files or streams. */
  body: () => Promise<DownloadFile | DownloadStream | { kind: 'blob'; key: string; size: number }>;
}

const CONTENT_TYPES: Record<DownloadFormat, string> = {
  original: 'text/csv',
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
};
const EXTENSIONS: Record<Exclude<DownloadFormat, 'original'>, string> = { csv: 'csv', parquet: 'parquet', xlsx: 'xlsx', json: 'json' };

export function createDataApiService(deps: DataApiDeps) {
  const { db, blobs, engine, dataDir } = deps;
  const layer = createQueryLayer(engine);
  const parquetDir = path.join(dataDir, 'cache', 'parquet');
  const downloadDir = path.join(dataDir, 'cache', 'downloads');
  const pending = new Map<string, Promise<string>>();

  /** Makes `target` once per node (coalescing concurrent callers) by writing a temp file and renaming it. */
  async function cached(target: string, make: (tmp: string) => Promise<void>): Promise<string> {
    try {
      await stat(target);
      return target;
    } catch {
      // not there yet
    }
    let p = pending.get(target);
    if (!p) {
      p = (async () => {
        await mkdir(path.dirname(target), { recursive: true });
        const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
        try {
          await make(tmp);
          await rename(tmp, target);
          return target;
        } finally {
          await rm(tmp, { force: true });
        }
      })().finally(() => pending.delete(target));
      pending.set(target, p);
    }
    return p;
  }

  /** The local Parquet file of a version (the same cache the tables service fills: `cache/parquet/<versionId>.parquet`). */
  function localParquet(v: TableVersionRow): Promise<string> {
    const key = v.parquet_blob_key;
    if (!key) throw new ConflictError('This table version has no Parquet file.', 'table_not_ready');
    return cached(path.join(parquetDir, `${v.id}.parquet`), async (tmp) => void (await blobs.toLocalFile(key, tmp)));
  }

  /**
   * The version `versionParam` (a number, `latest`, or undefined = latest) of a table, if the actor may read its rows.
   * 404 for an unknown or hidden dataset, table or version; 401/403 from the access door; 409 while not ready.
   */
  async function resolve(actor: Actor, datasetId: string, tableName: string, versionParam?: string): Promise<ResolvedVersion> {
    const notFound = () => new NotFoundError('Dataset', datasetId, 'dataset_not_found');
    const ds: DatasetRow | undefined = await db.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights', 'title', 'hidden']).where('id', '=', datasetId).executeTakeFirst();
    if (!ds) throw notFound();
    // The access door's view of the dataset (hidden ones are 404 to outsiders, grant holders see them).
    const door = await datasetResourceFor(db, actor, ds);
    authorize(actor, 'dataset:read-metadata', door, notFound);
    const resource = { id: ds.id, orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights, hidden: door.hidden === true };
    const table: TableRow | undefined = TABLE_NAME_PATTERN.test(tableName)
      ? await db.selectFrom('tables').selectAll().where('dataset_id', '=', datasetId).where('name', '=', tableName).executeTakeFirst()
      : undefined;
    if (!table) throw new NotFoundError('Table', tableName, 'table_not_found');
    const access = await resolveDataAccess(db, actor, resource, { id: table.id });
    authorizeData(access, notFound);

    let version: TableVersionRow | undefined;
    if (versionParam === undefined || versionParam === 'latest') {
      if (!table.current_version_id) throw new ConflictError(`Table "${tableName}" has no ready version yet; its ingest is still running or has failed.`, 'table_not_ready');
      version = await db.selectFrom('table_versions').selectAll().where('id', '=', table.current_version_id).executeTakeFirst();
    } else {
      if (!/^[1-9]\d{0,8}$/.test(versionParam)) {
        throw new BadRequestError('_version must be a version number (1, 2, …) or "latest".', { problems: [{ field: '_version', code: 'invalid_value', message: '_version must be a version number or "latest".' }] }, 'invalid_request');
      }
      version = await db.selectFrom('table_versions').selectAll().where('table_id', '=', table.id).where('version', '=', Number(versionParam)).executeTakeFirst();
      if (!version) throw new NotFoundError('Table version', versionParam, 'version_not_found');
    }
    if (!version || version.state !== 'ready') throw new ConflictError(`Version ${version?.version ?? ''} of table "${tableName}" is not ready.`, 'table_not_ready');
    const title = parseJson<LangText>(ds.title, {});
    return {
      dataset: { id: ds.id, orgnr: ds.orgnr, accessRights: ds.access_rights, slug: packageName({ id: ds.id, title }) },
      table: { id: table.id, name: table.name },
      version: { id: version.id, number: Number(version.version), rowCount: Number(version.row_count ?? 0), sourceKey: version.source_blob_key, sourceFormat: version.source_format },
      columns: queryColumns(parseJson<{ name: string; type: string }[]>(version.columns, [])),
      access,
      scope: access.rows,
      parquet: await localParquet(version),
    };
  }

  /**
   * The audit entry of a non-open read, with the organisation it was made for; under consent also the subjects' `used`
   * events (with each subject's row count when the rows are at hand), in one transaction.
   */
  async function audit(actor: Actor, r: ResolvedVersion, action: string, details: Record<string, unknown>, rows?: Record<string, unknown>[]): Promise<void> {
    if (r.dataset.accessRights === 'PUBLIC' && r.scope === 'all') return;
    const orgnr = await readForOrganisation(db, actor, r.access, r.dataset.orgnr);
    await db.transaction().execute(async (tx) => {
      await recordAudit(tx, actor, {
        action,
        resourceType: 'table',
        resourceId: r.table.id,
        details: {
          datasetId: r.dataset.id,
          table: r.table.name,
          versionId: r.version.id,
          version: r.version.number,
          basis: r.access.basis,
          orgnr,
          ...(r.access.grantId ? { grantId: r.access.grantId } : {}),
          ...(r.scope !== 'all' ? { consentIds: r.scope.consentIds, restrictedColumn: r.scope.column } : {}),
          ...details,
        },
      });
      if (r.scope !== 'all') await recordConsentUse(tx, actor, r.scope, rows ?? [], { offset: 0, surface: action });
    });
  }

  /**
   * A page's rows as objects for the consent `used` events, which count rows per subject by the restricted column. When
   * `_fields` left that column out and only one subject consented, every row is that subject's.
   */
  function usedRows(r: ResolvedVersion, fields: { name: string }[], rows: unknown[][]): Record<string, unknown>[] {
    if (r.scope === 'all') return [];
    const scope = r.scope;
    const at = fields.findIndex((f) => f.name === scope.column);
    return rows.map((row) => ({ [scope.column]: at >= 0 ? row[at] : scope.values.length === 1 ? scope.values[0] : null }));
  }

  async function total(r: ResolvedVersion, spec: RowsSpec, pageRows: number, more: boolean): Promise<{ total: number | null; exact: boolean }> {
    const unfiltered = spec.filters.length === 0 && r.scope === 'all';
    if (spec.count === 'none') return { total: null, exact: false };
    if (unfiltered) return { total: r.version.rowCount, exact: true };
    // A first page that holds every matching row is its own exact count.
    if (!spec.cursor && spec.offset === 0 && pageRows < spec.size) return { total: pageRows, exact: true };
    if (spec.count === 'estimate' && r.version.rowCount > 1_000_000) {
      // Never fewer than the rows this page has seen (a rare filter can miss the sample).
      const seen = (spec.cursor ? 0 : spec.offset) + pageRows + (more ? 1 : 0);
      return { total: Math.max(seen, await layer.estimate(r.parquet, r.columns, spec, r.scope, r.version.rowCount)), exact: false };
    }
    return { total: await layer.count(r.parquet, r.columns, spec, r.scope), exact: true };
  }

  return {
    resolve,

    /**
     * Rows (or groups) of a version by the rows route's query string (see ./query.ts). `_version` picks the version
     * (default latest); the `next` parameters pin it, so paging never mixes versions.
     */
    async rows(actor: Actor, datasetId: string, tableName: string, query: Record<string, unknown>): Promise<RowsResult> {
      const versionParam = query._version;
      if (Array.isArray(versionParam)) throw new BadRequestError('Parameter "_version" is given more than once.', { problems: [{ field: '_version', code: 'repeated_parameter', message: 'Parameter "_version" is given more than once.' }] }, 'invalid_request');
      const r = await resolve(actor, datasetId, tableName, versionParam === undefined ? undefined : String(versionParam));
      const { spec, format } = parseRowsQuery(query, r.columns, r.version.id);
      if (spec.aggregates) {
        const { rows, more } = await layer.aggregate(r.parquet, r.columns, spec, r.scope);
        const columns = [...(spec.group ?? []).map((g) => ({ name: g.name, kind: g.kind })), ...spec.aggregates.map((a) => ({ name: a.key, kind: a.func === 'count' ? 'integer' : (a.column?.kind ?? 'number') }))];
        const t = spec.count === 'none' ? { total: null, exact: false } : !more && spec.offset === 0 ? { total: rows.length, exact: true } : { total: null, exact: false };
        await audit(actor, r, 'table.read', { aggregate: true, groups: rows.length, filters: spec.filters.length });
        return {
          kind: 'aggregate', resolved: r, spec, ...(format ? { format } : {}), columns, rows, total: t.total, totalExact: t.exact, rowNumbers: [],
          ...(more ? { next: { _version: String(r.version.number), _offset: String(spec.offset + spec.size) } } : {}),
        };
      }
      const page = await layer.page(r.parquet, r.columns, spec, r.scope);
      const t = await total(r, spec, page.rows.length, page.more);
      await audit(actor, r, 'table.read', { rows: page.rows.length, filters: spec.filters.length, ...(spec.offset ? { offset: spec.offset } : {}), cursor: !!spec.cursor }, usedRows(r, spec.fields, page.rows));
      const next = page.last
        ? { _version: String(r.version.number), _cursor: encodeCursor({ versionId: r.version.id, query: queryFingerprint(spec), keys: page.last.keys, row: page.last.row }) }
        : undefined;
      return {
        kind: 'rows', resolved: r, spec, ...(format ? { format } : {}),
        columns: spec.fields.map((c) => ({ name: c.name, kind: c.kind })),
        rows: page.rows, total: t.total, totalExact: t.exact, rowNumbers: page.rowNumbers, ...(next ? { next } : {}),
      };
    },

    /** A page (or groups) as a Parquet file in a temp directory; the caller streams it and calls cleanup. */
    async rowsParquet(result: RowsResult): Promise<DownloadStream> {
      const dir = path.join(dataDir, 'tmp', 'data-api');
      await mkdir(dir, { recursive: true });
      const target = path.join(dir, `${randomUUID()}.parquet`);
      const r = result.resolved;
      if (result.kind === 'aggregate') await layer.aggregateParquet(r.parquet, r.columns, result.spec, r.scope, target);
      else await layer.pageParquet(r.parquet, result.spec, result.rowNumbers, target);
      return { kind: 'stream', stream: createReadStream(target), cleanup: () => rm(target, { force: true }) };
    },

    /**
     * A download of a version: `original` (the stored source file, only to readers of every row) or a conversion.
     * The ETag is the version id and format (versions never change). The body is made lazily, after the caller has
     * answered a matching If-None-Match with 304.
     */
    async download(actor: Actor, datasetId: string, tableName: string, versionParam: string, format: DownloadFormat): Promise<DownloadResult> {
      const r = await resolve(actor, datasetId, tableName, versionParam);
      if (format === 'original' && r.scope !== 'all') {
        throw new DomainError(403, 'restricted_rows', 'You may read only some rows of this table, so the original file is not available to you; download a conversion instead.');
      }
      const ext = format === 'original' ? (r.version.sourceFormat === 'tsv' ? 'tsv' : 'csv') : EXTENSIONS[format];
      const filename = `${r.dataset.slug}_${r.table.name}_v${r.version.number}${format === 'original' ? '_original' : ''}.${ext}`;
      const scoped = r.scope !== 'all';
      // A restricted reader's file depends on the rows they may read: the ETag says which.
      const scopeTag = r.scope === 'all' ? '' : `.${createHash('sha256').update(JSON.stringify([r.scope.column, r.scope.values])).digest('base64url').slice(0, 16)}`;
      const etag = `"${r.version.id}.${format}${scopeTag}"`;
      return {
        resolved: r,
        format,
        contentType: CONTENT_TYPES[format],
        filename,
        etag,
        body: async () => {
          const rows = r.scope === 'all' ? r.version.rowCount : await layer.count(r.parquet, r.columns, { filters: [] }, r.scope);
          await audit(actor, r, 'table.download', { format, rows });
          if (format === 'original') {
            const info = await blobs.head(r.version.sourceKey);
            if (!info) throw new NotFoundError('File', filename, 'file_not_found');
            return { kind: 'blob', key: r.version.sourceKey, size: info.size };
          }
          if (!scoped) {
            const target = path.join(downloadDir, `${r.version.id}.${EXTENSIONS[format]}`);
            const file = await cached(target, async (tmp) => {
              if (format === 'xlsx') {
                await pipeline(xlsxStream(r.columns.map((c) => ({ name: c.name, kind: c.kind })), layer.exportBatches(r.parquet, r.columns, 'all'), r.table.name.slice(0, 31)), createWriteStream(tmp));
              } else {
                await layer.copy(r.parquet, r.columns, 'all', format, tmp);
              }
            });
            return { kind: 'file', path: file, size: (await stat(file)).size };
          }
          // A restricted reader: stream their rows; nothing is cached.
          if (format === 'parquet') {
            const dir = path.join(dataDir, 'tmp', 'data-api');
            await mkdir(dir, { recursive: true });
            const target = path.join(dir, `${randomUUID()}.parquet`);
            await layer.copy(r.parquet, r.columns, r.scope, 'parquet', target);
            return { kind: 'stream', stream: createReadStream(target), cleanup: () => rm(target, { force: true }) };
          }
          const names = r.columns.map((c) => c.name);
          const batches: Batches = layer.exportBatches(r.parquet, r.columns, r.scope);
          const stream = format === 'csv' ? csvStream(names, batches) : format === 'json' ? jsonArrayStream(names, batches) : xlsxStream(r.columns, batches, r.table.name.slice(0, 31));
          return { kind: 'stream', stream };
        },
      };
    },

    ndjsonStream,
  };
}

export type DataApiService = ReturnType<typeof createDataApiService>;
