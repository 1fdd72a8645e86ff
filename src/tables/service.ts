// The tables domain: a dataset's tables, each a series of immutable versions stored as Parquet.
//
// Ingest is the thin slice through every store:
//   createTableFromFile  → the uploaded file goes to the blob store (`uploads/<versionId>/<file>`), a table_versions row
//                          is written 'pending' and an `ingestTable` job is enqueued (its id kept on the version). A
//                          new table also becomes one of the dataset's distributions, in the same transaction: it
//                          stores `table_id` only, and presenters build its URLs (later versions add none);
//   ingestTableJob       → the worker copies the upload to a local temp file, DuckDB turns it into typed Parquet, the
//                          Parquet goes to the blob store (`tables/<tableId>/<versionId>.parquet`) and ONE transaction
//                          marks the version 'ready' and points the table at it, so readers switch atomically. On
//                          failure the version is marked 'failed' with a message a publisher understands and the error
//                          is rethrown: a file the engine cannot read (EngineError with a 4xx status) fails the job at
//                          once, anything else is retried while attempts remain; the table keeps serving its previous
//                          version.
//   rows                 → reads a page of the current version through the engine, from a local cache of the Parquet
//                          file (`<dataDir>/cache/parquet/<versionId>.parquet`, fetched once: versions never change).
// Access goes through the one door (authorize): table metadata follows `dataset:read-metadata`, rows need
// `dataset:read-data`, uploads need `dataset:update`.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Actor, Resource } from '../access/model';
import { recordAudit } from '../access/audit';
import { authorize, decide } from '../access/service';
import type { AccessRights, DatasetState } from '../catalog/model';
import type { Db, DbOrTx } from '../database';
import { BadRequestError, ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import type { BlobStore } from '../platform/blobs/index';
import { nowIso, parseJson } from '../platform/db/index';
import { EngineError, type CsvReadOptions, type TableEngine } from '../platform/engine/index';
import type { JobContext, JobQueue } from '../platform/jobs/index';
import type { ColumnSchema, TableRow, TableVersionRow, TableVersionState } from './model';

export const INGEST_TABLE_JOB = 'ingestTable';
export const TABLE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** File name extensions the ingest understands (all read as delimited text; the delimiter is sniffed). */
export const ACCEPTED_EXTENSIONS = ['csv', 'tsv', 'txt'] as const;
const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

export interface IngestTablePayload {
  datasetId: string;
  tableId: string;
  versionId: string;
}

export interface TablesServiceDeps {
  db: Db;
  blobs: BlobStore;
  jobs: Pick<JobQueue, 'register' | 'enqueue'>;
  engine: Pick<TableEngine, 'csvToParquet' | 'readRows'>;
  dataDir: string;
  logger?: { warn(obj: object, msg?: string): void };
}

export interface TableVersion {
  id: string;
  version: number;
  state: TableVersionState;
  rowCount: number | null;
  byteSize: number | null;
  columns: ColumnSchema[];
  sourceFormat: string;
  sourceOptions: CsvReadOptions;
  error: string | null;
  jobId: string | null;
  createdAt: string;
  readyAt: string | null;
}

export interface TableSummary {
  id: string;
  datasetId: string;
  name: string;
  title: string;
  /** Columns and row count of the current (ready) version; empty/null until the first version is ready. */
  columns: ColumnSchema[];
  rowCount: number | null;
  currentVersion: TableVersion | null;
  /** The newest version, whatever its state: shows an ingest in progress or a failed upload. */
  latestVersion: TableVersion | null;
  createdAt: string;
  updatedAt: string;
}

export interface TableDetail extends TableSummary {
  versions: TableVersion[];
}

export interface RowsPage {
  rows: Record<string, unknown>[];
  total: number;
  offset: number;
  size: number;
  /** Offset of the next page, when more rows remain (the API turns it into a `next` link). */
  nextOffset?: number;
}

export interface CreateTableInput {
  name: string;
  title?: string;
  /** A local file to upload, or… */
  filePath?: string;
  /** …a stream of its bytes (an HTTP upload). */
  stream?: Readable;
  filename: string;
  contentType?: string;
  /** Read options when the sniffer should not guess (encoding, delimiter, decimal separator, header). */
  options?: CsvReadOptions;
}

interface DatasetAccessRow {
  id: string;
  orgnr: string;
  state: DatasetState;
  access_rights: AccessRights;
}

// --- queries (db or transaction first, STYLE §6) -------------------------------------------------------------------

async function findDatasetForAccess(db: DbOrTx, id: string): Promise<DatasetAccessRow | undefined> {
  return db.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights']).where('id', '=', id).executeTakeFirst();
}

async function findTable(db: DbOrTx, datasetId: string, name: string): Promise<TableRow | undefined> {
  return db.selectFrom('tables').selectAll().where('dataset_id', '=', datasetId).where('name', '=', name).executeTakeFirst();
}

async function findVersion(db: DbOrTx, id: string): Promise<TableVersionRow | undefined> {
  return db.selectFrom('table_versions').selectAll().where('id', '=', id).executeTakeFirst();
}

async function findVersionsOf(db: DbOrTx, tableIds: string[]): Promise<TableVersionRow[]> {
  if (tableIds.length === 0) return [];
  return db.selectFrom('table_versions').selectAll().where('table_id', 'in', tableIds).orderBy('version', 'desc').execute();
}

/**
 * The distribution a new table adds to its dataset: the table's rows, with the dataset's licence. Only `table_id`
 * points at the data; the absolute URL depends on where the platform is served, so presenters build it.
 */
async function insertTableDistribution(tx: DbOrTx, datasetId: string, table: TableRow, now: string): Promise<void> {
  const dataset = await tx.selectFrom('datasets').select('licence').where('id', '=', datasetId).executeTakeFirstOrThrow();
  await tx
    .insertInto('distributions')
    .values({
      id: randomUUID(),
      dataset_id: datasetId,
      title: JSON.stringify({ nb: table.title }),
      description: '{}',
      access_url: null,
      download_url: null,
      media_type: 'text/csv',
      format: 'CSV',
      licence: dataset.licence,
      byte_size: null,
      blob_key: null,
      table_id: table.id,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await tx.updateTable('datasets').set({ updated_at: now }).where('id', '=', datasetId).execute();
}

// --- presentation ----------------------------------------------------------------------------------------------------

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function presentVersion(v: TableVersionRow): TableVersion {
  return {
    id: v.id,
    version: Number(v.version),
    state: v.state,
    rowCount: num(v.row_count),
    byteSize: num(v.byte_size),
    columns: parseJson<ColumnSchema[]>(v.columns, []),
    sourceFormat: v.source_format,
    sourceOptions: parseJson<CsvReadOptions>(v.source_options, {}),
    error: v.error,
    jobId: v.job_id,
    createdAt: v.created_at,
    readyAt: v.ready_at,
  };
}

function presentTable(t: TableRow, versions: TableVersionRow[]): TableDetail {
  const mine = versions.filter((v) => v.table_id === t.id).sort((a, b) => Number(b.version) - Number(a.version)).map(presentVersion);
  const current = mine.find((v) => v.id === t.current_version_id) ?? null;
  return {
    id: t.id,
    datasetId: t.dataset_id,
    name: t.name,
    title: t.title,
    columns: current?.columns ?? [],
    rowCount: current?.rowCount ?? null,
    currentVersion: current,
    latestVersion: mine[0] ?? null,
    createdAt: t.created_at,
    updatedAt: t.updated_at,
    versions: mine,
  };
}

function datasetResource(d: DatasetAccessRow): Resource {
  return { type: 'dataset', orgnr: d.orgnr, state: d.state, accessRights: d.access_rights };
}

/** A file name safe as the last segment of a blob key: letters, digits, '.', '_' and '-' only, never empty. */
export function safeFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-120);
  return cleaned === '' ? 'upload' : cleaned;
}

function extensionOf(filename: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(filename);
  return m?.[1]?.toLowerCase() ?? '';
}

/** Parses and checks a page request; `raw` values may come straight from a query string. */
export function parsePage(raw: { offset?: unknown; size?: unknown }): { offset: number; size: number } {
  const problems: FieldProblem[] = [];
  const toInt = (v: unknown, fallback: number): number => {
    if (v === undefined || v === null || v === '') return fallback;
    return typeof v === 'number' ? v : /^-?\d+$/.test(String(v).trim()) ? Number(String(v).trim()) : NaN;
  };
  const size = toInt(raw.size, DEFAULT_PAGE_SIZE);
  const offset = toInt(raw.offset, 0);
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    problems.push({ field: '_size', code: 'out_of_range', message: `_size must be a whole number from 1 to ${MAX_PAGE_SIZE}.` });
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    problems.push({ field: '_offset', code: 'out_of_range', message: '_offset must be a whole number of 0 or more.' });
  }
  if (problems.length > 0) throw new BadRequestError(problems.map((p) => p.message).join(' '), { problems }, 'invalid_request');
  return { offset, size };
}

// --- the service -----------------------------------------------------------------------------------------------------

export function createTablesService(deps: TablesServiceDeps) {
  const { db, blobs, jobs, engine, dataDir } = deps;
  const cacheDir = path.join(dataDir, 'cache', 'parquet');
  const workDir = path.join(dataDir, 'tmp', 'ingest');
  const downloads = new Map<string, Promise<string>>();

  /** The dataset, if the actor may see its metadata; 404 otherwise (drafts of other organisations stay invisible). */
  async function visibleDataset(actor: Actor, datasetId: string): Promise<DatasetAccessRow> {
    const notFound = () => new NotFoundError('Dataset', datasetId, 'dataset_not_found');
    const dataset = await findDatasetForAccess(db, datasetId);
    if (!dataset) throw notFound();
    authorize(actor, 'dataset:read-metadata', datasetResource(dataset), notFound);
    return dataset;
  }

  async function tableOf(datasetId: string, name: string): Promise<TableRow> {
    const table = TABLE_NAME_PATTERN.test(name) ? await findTable(db, datasetId, name) : undefined;
    if (!table) throw new NotFoundError('Table', name, 'table_not_found');
    return table;
  }

  /** A local copy of a ready version's Parquet file, downloaded once per node (versions are immutable). */
  async function localParquet(version: TableVersionRow): Promise<string> {
    if (!version.parquet_blob_key) throw new ConflictError('This table version has no Parquet file.', 'table_not_ready');
    const target = path.join(cacheDir, `${version.id}.parquet`);
    try {
      await stat(target);
      return target;
    } catch {
      // not cached yet
    }
    let pending = downloads.get(version.id);
    if (!pending) {
      const key = version.parquet_blob_key;
      pending = (async () => {
        const tmp = path.join(cacheDir, `.${version.id}.${randomUUID()}.tmp`);
        try {
          await blobs.toLocalFile(key, tmp);
          await rename(tmp, target);
          return target;
        } finally {
          await rm(tmp, { force: true });
        }
      })().finally(() => downloads.delete(version.id));
      downloads.set(version.id, pending);
    }
    return pending;
  }

  async function markFailed(versionId: string, message: string): Promise<void> {
    await db.updateTable('table_versions').set({ state: 'failed', error: message }).where('id', '=', versionId).where('state', '!=', 'ready').execute();
  }

  async function getTable(actor: Actor, datasetId: string, name: string): Promise<TableDetail> {
    await visibleDataset(actor, datasetId);
    const table = await tableOf(datasetId, name);
    return presentTable(table, await findVersionsOf(db, [table.id]));
  }

  /** The `ingestTable` job: upload → Parquet → ready, switched atomically. Documented at the top of this file. */
  async function ingestTableJob(payload: IngestTablePayload, ctx: JobContext): Promise<unknown> {
    const version = await findVersion(db, payload.versionId);
    // The table (or its dataset) was deleted after the upload: nothing left to ingest, and nothing to retry.
    if (!version) return { versionId: payload.versionId, skipped: 'version_deleted' };
    if (version.state === 'ready') return { versionId: version.id, rowCount: num(version.row_count) };
    const dir = path.join(workDir, `${version.id}-${ctx.attempt}`);
    try {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await ctx.progress(5, 'Fetching the uploaded file');
      const source = await blobs.toLocalFile(version.source_blob_key, path.join(dir, 'source'));
      await ctx.progress(20, 'Reading the file and deciding column types');
      const givenOptions = parseJson<CsvReadOptions>(version.source_options, {});
      const out = path.join(dir, 'table.parquet');
      const converted = await engine.csvToParquet(source, out, givenOptions);
      await ctx.progress(80, `Storing ${converted.rowCount} rows as Parquet`);
      const byteSize = (await stat(out)).size;
      const parquetKey = `tables/${payload.tableId}/${version.id}.parquet`;
      await blobs.put(parquetKey, createReadStream(out), { contentType: PARQUET_CONTENT_TYPE });
      // This node already holds the file: keep it as the cache so the first read needs no download.
      await mkdir(cacheDir, { recursive: true });
      await rename(out, path.join(cacheDir, `${version.id}.parquet`)).catch(() => undefined);

      const readyAt = nowIso();
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('table_versions')
          .set({
            state: 'ready',
            error: null,
            parquet_blob_key: parquetKey,
            row_count: converted.rowCount,
            byte_size: byteSize,
            columns: JSON.stringify(converted.columns satisfies ColumnSchema[]),
            source_options: JSON.stringify(converted.detected),
            ready_at: readyAt,
          })
          .where('id', '=', version.id)
          .execute();
        // Switch only forwards: an older upload that finishes after a newer one must not replace it.
        const table = await tx.selectFrom('tables').select(['current_version_id']).where('id', '=', payload.tableId).executeTakeFirst();
        const current = table?.current_version_id ? await findVersion(tx, table.current_version_id) : undefined;
        if (!current || Number(current.version) < Number(version.version)) {
          await tx.updateTable('tables').set({ current_version_id: version.id, updated_at: readyAt }).where('id', '=', payload.tableId).execute();
        }
      });
      await ctx.progress(100, `Ready: ${converted.rowCount} rows`);
      return { versionId: version.id, rowCount: converted.rowCount, columns: converted.columns.length, byteSize };
    } catch (err) {
      const message =
        err instanceof EngineError
          ? err.message
          : `The file could not be processed because of an internal error (attempt ${ctx.attempt}); it will be retried if attempts remain.`;
      if (!(err instanceof EngineError)) deps.logger?.warn({ err, versionId: version.id }, 'table ingest failed');
      await markFailed(version.id, message).catch(() => undefined);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  return {
    /** Registers the ingest job handler on the queue; call before jobs.start(). */
    registerJobs(): void {
      jobs.register<IngestTablePayload>(INGEST_TABLE_JOB, ingestTableJob);
    },

    /**
     * Uploads a file as a new version of table `name` (creating the table if needed) and enqueues its ingest.
     * The file is checked only for name and size here; the job finds out whether it is a readable table.
     */
    async createTableFromFile(actor: Actor, datasetId: string, input: CreateTableInput): Promise<{ table: TableDetail; version: TableVersion; jobId: string }> {
      const dataset = await visibleDataset(actor, datasetId);
      authorize(actor, 'dataset:update', datasetResource(dataset));

      const problems: FieldProblem[] = [];
      const name = (input.name ?? '').trim();
      const title = (input.title ?? '').trim() || name;
      if (!TABLE_NAME_PATTERN.test(name)) {
        problems.push({
          field: '/name',
          code: 'invalid_table_name',
          message: 'The table name must be 1–63 characters: lower-case letters a–z, digits, "_" or "-", starting with a letter or digit.',
        });
      }
      if (title.length > 200) problems.push({ field: '/title', code: 'too_long', message: 'The title can be at most 200 characters.' });
      const ext = extensionOf(input.filename ?? '');
      if (!input.filename) {
        problems.push({ field: '/file', code: 'required', message: 'Choose a file to upload.' });
      } else if (!(ACCEPTED_EXTENSIONS as readonly string[]).includes(ext)) {
        problems.push({
          field: '/file',
          code: 'unsupported_format',
          message: `Files of type ".${ext || '?'}" cannot be read as a table yet; upload a CSV file (.csv, .tsv or .txt).`,
        });
      }
      if (!input.filePath && !input.stream) problems.push({ field: '/file', code: 'required', message: 'Choose a file to upload.' });
      if (problems.length > 0) {
        input.stream?.resume();
        throw new ValidationError(problems);
      }

      const versionId = randomUUID();
      const sourceKey = `uploads/${versionId}/${safeFilename(input.filename)}`;
      const body = input.stream ?? createReadStream(input.filePath as string);
      await blobs.put(sourceKey, body, { contentType: input.contentType || 'text/csv' });

      const now = nowIso();
      let tableId: string;
      try {
        tableId = await db.transaction().execute(async (tx) => {
          let table = await findTable(tx, datasetId, name);
          if (!table) {
            table = { id: randomUUID(), dataset_id: datasetId, name, title, current_version_id: null, created_at: now, updated_at: now };
            await tx.insertInto('tables').values(table).execute();
            await insertTableDistribution(tx, datasetId, table, now);
          } else if (input.title && input.title.trim() !== table.title) {
            await tx.updateTable('tables').set({ title, updated_at: now }).where('id', '=', table.id).execute();
          }
          const last = await tx.selectFrom('table_versions').select((eb) => eb.fn.max('version').as('v')).where('table_id', '=', table.id).executeTakeFirst();
          await tx
            .insertInto('table_versions')
            .values({
              id: versionId,
              table_id: table.id,
              version: Number(last?.v ?? 0) + 1,
              state: 'pending',
              source_blob_key: sourceKey,
              source_format: ext === 'tsv' ? 'tsv' : 'csv',
              source_options: JSON.stringify(input.options ?? {}),
              parquet_blob_key: null,
              row_count: null,
              byte_size: null,
              columns: '[]',
              error: null,
              job_id: null,
              created_at: now,
              ready_at: null,
            })
            .execute();
          return table.id;
        });
      } catch (err) {
        await blobs.delete(sourceKey).catch(() => undefined);
        throw err;
      }

      let jobId: string;
      try {
        jobId = await jobs.enqueue<IngestTablePayload>(INGEST_TABLE_JOB, { datasetId, tableId, versionId });
      } catch (err) {
        await markFailed(versionId, 'The ingest could not be queued; upload the file again.');
        throw err;
      }
      await db.updateTable('table_versions').set({ job_id: jobId }).where('id', '=', versionId).execute();
      const table = await getTable(actor, datasetId, name);
      const version = table.versions.find((v) => v.id === versionId);
      if (!version) throw new Error('The new table version disappeared.');
      return { table, version, jobId };
    },

    async listTables(actor: Actor, datasetId: string): Promise<TableSummary[]> {
      await visibleDataset(actor, datasetId);
      const tables = await db.selectFrom('tables').selectAll().where('dataset_id', '=', datasetId).orderBy('name').execute();
      const versions = await findVersionsOf(db, tables.map((t) => t.id));
      return tables.map((t) => {
        const { versions: _all, ...summary } = presentTable(t, versions);
        return summary;
      });
    },

    getTable,

    /** Whether the actor may upload tables to this dataset (pages show the upload link). */
    async canUpload(actor: Actor, datasetId: string): Promise<boolean> {
      const dataset = await visibleDataset(actor, datasetId);
      return decide(actor, 'dataset:update', datasetResource(dataset)).allow;
    },

    /** Throws unless the actor may upload tables to this dataset (404 hidden, 401 anonymous, 403 not an editor). */
    async assertCanUpload(actor: Actor, datasetId: string): Promise<void> {
      const dataset = await visibleDataset(actor, datasetId);
      authorize(actor, 'dataset:update', datasetResource(dataset));
    },

    /** Whether the actor may read the rows of this dataset's tables (pages show a notice instead of rows). */
    async canReadData(actor: Actor, datasetId: string): Promise<boolean> {
      const dataset = await visibleDataset(actor, datasetId);
      return decide(actor, 'dataset:read-data', datasetResource(dataset)).allow;
    },

    /** A page of rows of the table's current version, in file order. Non-open reads are written to the audit log. */
    async rows(actor: Actor, datasetId: string, name: string, page: { offset?: unknown; size?: unknown }): Promise<RowsPage> {
      const { offset, size } = parsePage(page);
      const dataset = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, name);
      authorize(actor, 'dataset:read-data', datasetResource(dataset));
      if (!table.current_version_id) {
        throw new ConflictError(`Table "${name}" has no ready version yet; its ingest is still running or has failed.`, 'table_not_ready');
      }
      const version = await findVersion(db, table.current_version_id);
      if (!version || version.state !== 'ready') throw new ConflictError(`Table "${name}" has no ready version yet.`, 'table_not_ready');
      const total = Number(version.row_count ?? 0);
      const rows = offset >= total ? [] : await engine.readRows(await localParquet(version), { offset, limit: size });
      if (dataset.access_rights !== 'PUBLIC') {
        await recordAudit(db, actor, {
          action: 'table.read',
          resourceType: 'table',
          resourceId: table.id,
          details: { datasetId, table: name, versionId: version.id, offset, size, rows: rows.length },
        });
      }
      const result: RowsPage = { rows, total, offset, size };
      if (offset + rows.length < total) result.nextOffset = offset + rows.length;
      return result;
    },

    /** The dataset an ingest job belongs to, for deciding who may see the job (GET /jobs/{id}). */
    async datasetResourceOf(datasetId: string): Promise<Resource | undefined> {
      const dataset = await findDatasetForAccess(db, datasetId);
      return dataset ? datasetResource(dataset) : undefined;
    },
  };
}

export type TablesService = ReturnType<typeof createTablesService>;
