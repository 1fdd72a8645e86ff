// The tables domain: a dataset's tables, each a series of immutable versions stored as Parquet.
//
// Ingest is the thin slice through every store:
//   createTableFromFile  → the uploaded file goes to the blob store (`uploads/<versionId>/<file>`), a table_versions row
//                          is written 'pending' and an `ingestTable` job is enqueued (its id kept on the version). A
//                          new table also becomes one of the dataset's distributions, in the same transaction: it
//                          stores `table_id` only, and presenters build its URLs (later versions add none);
//   ingestTableJob       → the worker copies the upload to a local temp file, DuckDB turns it into typed Parquet, the
//                          Parquet goes to the blob store (`tables/<tableId>/<versionId>.parquet`) and ONE transaction
//                          marks the version 'ready' and points the table at it, so readers switch atomically. The
//                          import report (options used, record count, skipped lines) is stored with it. On failure the
//                          version is marked 'failed' with a value-free code and params (`tables.error.<code>`; never
//                          the engine's or DuckDB's text) and an error with a message built from them is rethrown: a
//                          file the engine cannot read (EngineError with a 4xx status) fails the job at once, anything
//                          else is retried while attempts remain; the table keeps serving its previous version;
//   reingest             → a new version from a stored version's source file with options the publisher chose;
//   rows                 → reads a page of the current version through the engine, from a local cache of the Parquet
//                          file (`<dataDir>/cache/parquet/<versionId>.parquet`, fetched once: versions never change).
// Access goes through the one door (authorize): table metadata follows `dataset:read-metadata`, rows need
// `dataset:read-data`, uploads need `dataset:update`; what of a table's metadata a viewer sees is decided by
// visibleTable() (src/access/table-visibility.ts), applied here to every table the service returns.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Actor, Resource } from '../access/model';
import { recordAudit } from '../access/audit';
import { authorize, decide } from '../access/service';
import { visibleTable } from '../access/table-visibility';
import { authorizeData, datasetResourceFor, readForOrganisation, resolveDataAccess, type DataResource } from '../access/data-access';
import { recordConsentUse } from '../consent/access';
import type { AccessRights, DatasetState } from '../catalog/model';
import type { Db, DbOrTx } from '../database';
import { BadRequestError, ConflictError, DomainError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import type { BlobStore } from '../platform/blobs/index';
import { nowIso, parseJson } from '../platform/db/index';
import {
  COLUMN_TYPE_OVERRIDES,
  EngineError,
  TEXT_ENCODINGS,
  type ColumnInfo,
  type CsvReadOptions,
  type IngestNote,
  type KeptAsTextReason,
  type SheetInfo,
  type SkippedLines,
  type TableEngine,
} from '../platform/engine/index';
import type { JobContext, JobQueue } from '../platform/jobs/index';
import { indexDatasets } from '../search/indexer';
import type { ColumnSchema, TableDetail, TableRow, TableSummary, TableVersion, TableVersionRow } from './model';
import { computeProfile, loadProfile, storeProfile, type ProfileView } from './profile';

export type { TableDetail, TableSummary, TableVersion } from './model';

export const INGEST_TABLE_JOB = 'ingestTable';
export const TABLE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** File name extensions the ingest understands; files without an extension are accepted too. The name never decides
 * how a file is read: the engine dispatches by content (tableToParquet), so a CSV named .xlsx is read as CSV. */
export const ACCEPTED_EXTENSIONS = ['csv', 'tsv', 'txt', 'tab', 'xlsx', 'json', 'ndjson', 'jsonl', 'parquet'] as const;
/** Formats of the upload by its extension, until the engine has read it (then: by content). */
const FORMAT_OF_EXTENSION: Record<string, string> = { tsv: 'tsv', tab: 'tsv', xlsx: 'xlsx', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson', parquet: 'parquet' };
/** The longest sheet name Excel allows is 31 characters; names up to this length are accepted. */
const MAX_SHEET_NAME = 100;
/** Most lines a publisher may skip at the top of a file (title lines above a table). */
export const MAX_SKIP_LINES = 1000;
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
  engine: Pick<TableEngine, 'tableToParquet' | 'readRows' | 'countRows' | 'profileParquet'>;
  dataDir: string;
  logger?: { warn(obj: object, msg?: string): void };
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
  /** Read options the publisher gave (the engine decides the rest); checked by checkReadOptions. */
  options?: CsvReadOptions;
}

export interface ReingestInput {
  /** The options to read with; omitted: those the publisher gave for `fromVersion`. */
  sourceOptions?: CsvReadOptions;
  /** The version whose stored source file is read again; default the newest. */
  fromVersion?: number;
}

interface DatasetAccessRow {
  id: string;
  orgnr: string;
  state: DatasetState;
  access_rights: AccessRights;
  hidden: number;
}

// --- queries (db or transaction first, STYLE §6) -------------------------------------------------------------------

async function findDatasetForAccess(db: DbOrTx, id: string): Promise<DatasetAccessRow | undefined> {
  return db.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights', 'hidden']).where('id', '=', id).executeTakeFirst();
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

const KEPT_AS_TEXT: ReadonlySet<string> = new Set<KeptAsTextReason>(['leading_zeros', 'plus_sign', 'identifier_name', 'too_large', 'publisher_choice']);

/** Column info as stored: only the contract's fields, and a column note only when it is a reason code. */
function storedColumn(c: ColumnInfo | ColumnSchema): ColumnSchema {
  const out: ColumnSchema = { name: c.name, type: c.type, nullable: c.nullable };
  if (c.keptAsText) out.keptAsText = KEPT_AS_TEXT.has(c.keptAsText) ? c.keptAsText : 'identifier_name';
  if (c.semanticType) out.semanticType = c.semanticType;
  if (c.missingMarkers && Object.keys(c.missingMarkers).length > 0) out.missingMarkers = c.missingMarkers;
  return out;
}

/** A version with its full import report; visibleTable() trims it for viewers without data access. */
export function presentVersion(v: TableVersionRow): TableVersion {
  return {
    id: v.id,
    version: Number(v.version),
    state: v.state,
    rowCount: num(v.row_count),
    columns: parseJson<ColumnSchema[]>(v.columns, []).map(storedColumn),
    errorCode: v.error_code ?? (v.state === 'failed' ? 'unknown' : null),
    createdAt: v.created_at,
    readyAt: v.ready_at,
    detail: {
      byteSize: num(v.byte_size),
      sourceFormat: v.source_format,
      sourceOptions: parseJson<CsvReadOptions>(v.source_options, {}),
      ...sourceInfo(v.source_info),
      givenOptions: parseJson<CsvReadOptions>(v.given_options, {}),
      recordCount: num(v.record_count),
      skipped: parseJson<SkippedLines[]>(v.skipped, []),
      errorParams: parseJson<Record<string, string | number>>(v.error_params, {}),
      fromVersion: v.from_version === null ? null : Number(v.from_version),
      jobId: v.job_id,
    },
  };
}

/** The sheets of a workbook and the notes of an ingest, as stored (see migration 20261202-008). */
function sourceInfo(raw: string | null | undefined): { sheets?: SheetInfo[]; notes: IngestNote[] } {
  const info = parseJson<{ sheets?: SheetInfo[]; notes?: IngestNote[] }>(raw ?? '{}', {});
  return { ...(info.sheets ? { sheets: info.sheets } : {}), notes: info.notes ?? [] };
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
    detailLevel: 'full',
    createdAt: t.created_at,
    updatedAt: t.updated_at,
    versions: mine,
  };
}

// --- import options and content checks --------------------------------------------------------------------------------

const THOUSANDS = ['', ' ', '.', ','] as const;

/**
 * Checks read options a publisher gave (the API schema has already checked their shapes; these are the values).
 * `columns`, when known (a re-ingest), are the names `columnTypes` may refer to. Fields are `/sourceOptions/<key>`.
 */
export function checkReadOptions(o: CsvReadOptions, columns?: string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const bad = (key: string, code: string, message: string) => problems.push({ field: `/sourceOptions/${key}`, code, message });
  const oneChar = (v: string) => [...v].length === 1 && !/[\r\n\0]/.test(v);
  if (o.encoding !== undefined && !(TEXT_ENCODINGS as readonly string[]).includes(o.encoding)) {
    bad('encoding', 'invalid_option', `encoding must be one of ${TEXT_ENCODINGS.join(', ')}.`);
  }
  if (o.delimiter !== undefined && (!oneChar(o.delimiter) || o.delimiter === '"' || o.delimiter === o.quote)) {
    bad('delimiter', 'invalid_option', 'delimiter must be one character other than a quote or a line break.');
  }
  if (o.quote !== undefined && o.quote !== '' && !oneChar(o.quote)) bad('quote', 'invalid_option', 'quote must be one character, or empty for none.');
  if (o.escape !== undefined && o.escape !== '' && !oneChar(o.escape)) bad('escape', 'invalid_option', 'escape must be one character.');
  if (o.skipLines !== undefined && !(Number.isSafeInteger(o.skipLines) && o.skipLines >= 0 && o.skipLines <= MAX_SKIP_LINES)) {
    bad('skipLines', 'invalid_option', `skipLines must be a whole number from 0 to ${MAX_SKIP_LINES}.`);
  }
  if (o.commentPrefix !== undefined && (o.commentPrefix.length > 3 || /[\r\n\0]/.test(o.commentPrefix))) {
    bad('commentPrefix', 'invalid_option', 'commentPrefix must be at most 3 characters on one line, or empty for none.');
  }
  if (o.decimalSeparator !== undefined && o.decimalSeparator !== '.' && o.decimalSeparator !== ',') {
    bad('decimalSeparator', 'invalid_option', 'decimalSeparator must be "." or ",".');
  }
  if (o.thousandsSeparator !== undefined && !(THOUSANDS as readonly string[]).includes(o.thousandsSeparator)) {
    bad('thousandsSeparator', 'invalid_option', 'thousandsSeparator must be "", " ", "." or ",".');
  } else if (o.thousandsSeparator && o.thousandsSeparator === o.decimalSeparator) {
    bad('thousandsSeparator', 'invalid_option', 'The thousands separator cannot be the decimal separator.');
  }
  // eslint-disable-next-line no-control-regex
  if (o.sheet !== undefined && (o.sheet.trim() === '' || o.sheet.length > MAX_SHEET_NAME || /[\u0000-\u001f]/.test(o.sheet))) {
    bad('sheet', 'invalid_option', `sheet must be a sheet name of 1–${MAX_SHEET_NAME} characters.`);
  }
  if (o.headerRows !== undefined && o.headerRows !== 1 && o.headerRows !== 2) bad('headerRows', 'invalid_option', 'headerRows must be 1 or 2.');
  if (o.columnTypes !== undefined) {
    const entries = Object.entries(o.columnTypes);
    if (entries.length > 2000) bad('columnTypes', 'invalid_option', 'columnTypes can name at most 2000 columns.');
    for (const [name, type] of entries.slice(0, 2000)) {
      if (!(COLUMN_TYPE_OVERRIDES as readonly string[]).includes(type)) {
        bad(`columnTypes/${name}`, 'invalid_option', `A column type must be one of ${COLUMN_TYPE_OVERRIDES.join(', ')}.`);
      } else if (columns && columns.length > 0 && !columns.includes(name)) {
        bad(`columnTypes/${name}`, 'unknown_column', 'columnTypes names a column the table does not have.');
      }
    }
  }
  return problems;
}

/**
 * Uploads refused at once by their first bytes (a file name can lie or be missing): PDF documents, which are no
 * table in any format. Everything else is stored and the ingest decides by content — CSV/TSV, XLSX, JSON, NDJSON,
 * Parquet — and names what it cannot read (an old .xls, an encrypted workbook, a ZIP archive, binary data).
 */
export function refusedFormat(head: Buffer): 'pdf' | null {
  if (head.subarray(0, 4).toString('latin1') === '%PDF') return 'pdf';
  return null;
}

function unsupportedFormat(what: string): ValidationError {
  return new ValidationError([
    {
      field: '/file',
      code: 'unsupported_format',
      message: `${what} cannot be read as a table; upload CSV or other delimited text (.csv, .tsv, .tab, .txt), an Excel workbook (.xlsx), JSON or NDJSON (.json, .ndjson, .jsonl) or Parquet (.parquet).`,
    },
  ]);
}

/**
 * A table name from a file name: the name without its extension, lower case, letters folded to a–z (æ → ae, ø → o,
 * å → a, accents dropped), every other run of characters one "-", at most 63 characters ("Tilskudd 2022.xlsx" →
 * "tilskudd-2022"); "tabell" when nothing is left.
 */
export function tableNameFromFilename(filename: string): string {
  const base = (filename.split(/[\\/]/).pop() ?? '').replace(/\.[A-Za-z0-9]{1,8}$/, '');
  const name = base
    .toLowerCase()
    .replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a')
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return TABLE_NAME_PATTERN.test(name) ? name : 'tabell';
}

/** Passes a stream through after checking its first bytes with refusedFormat(); fails it with a 422 otherwise. */
function contentGuard(): Transform {
  let head: Buffer[] = [];
  let seen = 0;
  let decided = false;
  const decide = (self: Transform): Error | null => {
    decided = true;
    const all = Buffer.concat(head);
    head = [];
    if (refusedFormat(all.subarray(0, 512))) return unsupportedFormat('A PDF file');
    self.push(all);
    return null;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (decided) return done(null, chunk);
      head.push(chunk);
      seen += chunk.length;
      if (seen < 512) return done();
      done(decide(this));
    },
    flush(done: TransformCallback) {
      done(decided ? null : decide(this));
    },
  });
}

/** An English, value-free sentence for a failure code (the job record and the API; pages translate by code). */
export function ingestErrorMessage(code: string, params: Record<string, string | number>): string {
  const where = typeof params.line === 'number' || typeof params.line === 'string' ? ` (line ${params.line})` : '';
  const known: Record<string, string> = {
    file_empty: 'The file is empty.',
    file_not_text: 'The file is not text: it holds binary data.',
    encoding_unsupported: 'The text encoding of the file could not be recognised.',
    invalid_csv: `The file is not valid delimited text${where}.`,
    ragged_rows: `A record has a different number of fields than the header${where}.`,
    record_count_mismatch: 'The number of rows read differs from the number of records in the file.',
    too_many_columns: 'The file has more columns than a table may have.',
    field_too_long: `A field is longer than the limit${where}.`,
    file_too_complex: 'The file is too complex to read within the limits.',
    invalid_argument: 'A read option is not valid for this file.',
    xls_unsupported: 'The file is an old Excel workbook (.xls); save it as .xlsx or CSV.',
    xlsx_encrypted: 'The workbook is protected with a password; remove the password and upload it again.',
    xlsx_invalid: 'The workbook is damaged or not an Excel workbook.',
    xlsx_zip_bomb: 'The workbook expands to far more data than it holds (a zip bomb); it was not opened.',
    xlsx_sheet_not_found: 'The workbook has no sheet of the chosen name.',
    xlsx_sheet_empty: 'The sheet holds no values.',
    json_invalid: `The file is not valid JSON${where}.`,
    json_not_array: `The JSON file is not an array of objects nor one object a line${where}.`,
    json_not_objects: `A record of the JSON file is not an object${where}.`,
    parquet_unsupported_type: 'A column of the Parquet file has a type a table cannot hold.',
    invalid_parquet: 'The file is not a valid Parquet file.',
  };
  return `Ingest failed [${code}]: ${known[code] ?? 'The file could not be processed because of an internal error.'}`;
}

/** The failure the ingest job throws: a code and value-free params, with a message built from them alone. */
export class TableIngestError extends DomainError {
  constructor(code: string, params: Record<string, string | number>, status: number) {
    super(status, code, ingestErrorMessage(code, params), params, params);
  }
}

/** Only numbers and short codes survive into stored error params (the engine's contract; enforced here as well). */
function valueFreeParams(params: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (typeof v === 'string' && (k === 'reason' || k === 'encoding') && /^[a-z0-9_-]{1,40}$/.test(v)) out[k] = v;
  }
  return out;
}

function dataResource(d: DatasetAccessRow): DataResource {
  return { id: d.id, orgnr: d.orgnr, state: d.state, accessRights: d.access_rights, hidden: Boolean(Number(d.hidden)) && d.access_rights === 'NON_PUBLIC' };
}

function datasetResource(d: DatasetAccessRow & { grantee?: boolean }): Resource {
  return { type: 'dataset', orgnr: d.orgnr, state: d.state, accessRights: d.access_rights, hidden: Boolean(Number(d.hidden)), grantee: d.grantee };
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
  async function visibleDataset(actor: Actor, datasetId: string): Promise<DatasetAccessRow & { grantee?: boolean }> {
    const notFound = () => new NotFoundError('Dataset', datasetId, 'dataset_not_found');
    const dataset = await findDatasetForAccess(db, datasetId);
    if (!dataset) throw notFound();
    // Hidden datasets: 404 unless a member, the operator or a grant holder (datasetResourceFor looks the grant up).
    const resource = await datasetResourceFor(db, actor, dataset);
    authorize(actor, 'dataset:read-metadata', resource, notFound);
    return { ...dataset, grantee: resource.grantee };
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

  async function markFailed(versionId: string, code: string, params: Record<string, string | number> = {}): Promise<void> {
    await db
      .updateTable('table_versions')
      .set({ state: 'failed', error: null, error_code: code, error_params: JSON.stringify(params) })
      .where('id', '=', versionId)
      .where('state', '!=', 'ready')
      .execute();
  }

  async function getTable(actor: Actor, datasetId: string, name: string): Promise<TableDetail> {
    const dataset = await visibleDataset(actor, datasetId);
    const table = await tableOf(datasetId, name);
    return visibleTable(actor, datasetResource(dataset), presentTable(table, await findVersionsOf(db, [table.id])));
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
      const givenOptions = parseJson<CsvReadOptions>(version.given_options, {});
      const out = path.join(dir, 'table.parquet');
      const converted = await engine.tableToParquet(source, out, givenOptions);
      const profiled = await computeProfile(engine, out, converted.columns); // issue 9.4: stored with the ready switch
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
            error_code: null,
            error_params: '{}',
            parquet_blob_key: parquetKey,
            row_count: converted.rowCount,
            record_count: Number.isFinite(converted.recordCount) ? converted.recordCount : null,
            skipped: JSON.stringify(converted.skipped ?? []),
            byte_size: byteSize,
            columns: JSON.stringify(profiled.columns.map(storedColumn)),
            source_options: JSON.stringify(converted.detected),
            // What the content turned out to be (the extension only guessed), the workbook's sheets, the notes.
            source_format: converted.format === 'csv' && converted.detected.delimiter === '\t' ? 'tsv' : converted.format,
            source_info: JSON.stringify({ ...(converted.sheets ? { sheets: converted.sheets } : {}), notes: converted.notes }),
            ready_at: readyAt,
          })
          .where('id', '=', version.id)
          .execute();
        await storeProfile(tx, version.id, profiled.profile);
        // Switch only forwards: an older upload that finishes after a newer one must not replace it.
        const table = await tx.selectFrom('tables').select(['current_version_id']).where('id', '=', payload.tableId).executeTakeFirst();
        const current = table?.current_version_id ? await findVersion(tx, table.current_version_id) : undefined;
        if (!current || Number(current.version) < Number(version.version)) {
          await tx.updateTable('tables').set({ current_version_id: version.id, updated_at: readyAt }).where('id', '=', payload.tableId).execute();
          // Search indexes the new version's column names (names only: every visitor may see them).
          await indexDatasets(tx, [payload.datasetId]);
        }
      });
      await ctx.progress(100, `Ready: ${converted.rowCount} rows`);
      return { versionId: version.id, rowCount: converted.rowCount, columns: converted.columns.length, byteSize };
    } catch (err) {
      if (err instanceof EngineError) {
        // The engine's message and params are value-free by contract; store and rethrow only the code and numbers,
        // so the job record and the log cannot quote the file whatever the engine said.
        const params = valueFreeParams(err.params);
        await markFailed(version.id, err.code, params).catch(() => undefined);
        throw new TableIngestError(err.code, params, err.status);
      }
      deps.logger?.warn({ err, versionId: version.id }, 'table ingest failed');
      await markFailed(version.id, 'internal', { attempt: ctx.attempt }).catch(() => undefined);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Enqueues the ingest of a new pending version and returns the job id (a version that cannot be queued fails). */
  async function enqueueIngest(datasetId: string, tableId: string, versionId: string): Promise<string> {
    let jobId: string;
    try {
      jobId = await jobs.enqueue<IngestTablePayload>(INGEST_TABLE_JOB, { datasetId, tableId, versionId });
    } catch (err) {
      await markFailed(versionId, 'queue_failed');
      throw err;
    }
    await db.updateTable('table_versions').set({ job_id: jobId }).where('id', '=', versionId).execute();
    return jobId;
  }

  async function result(actor: Actor, datasetId: string, name: string, versionId: string, jobId: string) {
    const table = await getTable(actor, datasetId, name);
    const version = table.versions.find((v) => v.id === versionId);
    if (!version) throw new Error('The new table version disappeared.');
    return { table, version, jobId };
  }

  return {
    /** Registers the ingest job handler on the queue; call before jobs.start(). */
    registerJobs(): void {
      jobs.register<IngestTablePayload>(INGEST_TABLE_JOB, ingestTableJob);
    },

    /**
     * Uploads a file as a new version of table `name` (creating the table if needed) and enqueues its ingest.
     * Checked here: name, title, read options, file name and the first bytes (formats the ingest cannot read are
     * refused); the job finds out whether it is a readable table. Audited as `table.upload`.
     */
    async createTableFromFile(actor: Actor, datasetId: string, input: CreateTableInput): Promise<{ table: TableDetail; version: TableVersion; jobId: string }> {
      const dataset = await visibleDataset(actor, datasetId);
      authorize(actor, 'dataset:update', datasetResource(dataset));

      const problems: FieldProblem[] = [];
      // No name given: one from the file's name ("Tilskudd 2022.xlsx" → tilskudd-2022).
      const name = (input.name ?? '').trim() || (input.filename ? tableNameFromFilename(input.filename) : '');
      const title = (input.title ?? '').trim() || name;
      if (!TABLE_NAME_PATTERN.test(name)) {
        problems.push({
          field: '/name',
          code: 'invalid_table_name',
          message: 'The table name must be 1–63 characters: lower-case letters a–z, digits, "_" or "-", starting with a letter or digit.',
        });
      }
      if (title.length > 200) problems.push({ field: '/title', code: 'too_long', message: 'The title can be at most 200 characters.' });
      // eslint-disable-next-line no-control-regex
      else if (/[\u0000-\u001f\u007f]/.test(title)) problems.push({ field: '/title', code: 'invalid_characters', message: 'The title cannot hold control characters.' });
      const ext = extensionOf(input.filename ?? '');
      if (!input.filename) {
        problems.push({ field: '/file', code: 'required', message: 'Choose a file to upload.' });
      } else if (ext === 'xls') {
        problems.push({ field: '/file', code: 'xls_unsupported', message: 'Old Excel workbooks (.xls, Excel 97–2003) cannot be read; open the file in Excel and save it as .xlsx (Excel Workbook) or CSV.' });
      } else if (ext !== '' && !(ACCEPTED_EXTENSIONS as readonly string[]).includes(ext)) {
        problems.push(unsupportedFormat(`A ".${ext}" file`).problems[0] as FieldProblem);
      }
      if (input.filename && !input.filePath && !input.stream) problems.push({ field: '/file', code: 'required', message: 'Choose a file to upload.' });
      const options = input.options ?? {};
      problems.push(...checkReadOptions(options));
      if (problems.length > 0) {
        input.stream?.resume();
        throw new ValidationError(problems);
      }

      const versionId = randomUUID();
      const sourceKey = `uploads/${versionId}/${safeFilename(input.filename)}`;
      const source = input.stream ?? createReadStream(input.filePath as string);
      // An HTTP upload may have failed (too large, empty, cut off) while the access checks above ran; pipe() does not
      // carry errors along, so take an earlier one from the stream and forward later ones.
      if (source.errored) throw source.errored;
      const body = source.pipe(contentGuard());
      source.on('error', (err: Error) => body.destroy(err));
      try {
        await blobs.put(sourceKey, body, { contentType: input.contentType || 'text/csv' });
      } catch (err) {
        await blobs.delete(sourceKey).catch(() => undefined);
        throw err;
      }

      const now = nowIso();
      let created: { tableId: string; version: number };
      try {
        created = await db.transaction().execute(async (tx) => {
          let table = await findTable(tx, datasetId, name);
          if (!table) {
            table = { id: randomUUID(), dataset_id: datasetId, name, title, current_version_id: null, created_at: now, updated_at: now };
            await tx.insertInto('tables').values(table).execute();
            await insertTableDistribution(tx, datasetId, table, now);
          } else if (input.title && input.title.trim() !== table.title) {
            await tx.updateTable('tables').set({ title, updated_at: now }).where('id', '=', table.id).execute();
          }
          const version = await nextVersion(tx, table.id);
          await tx
            .insertInto('table_versions')
            .values(newVersionRow(versionId, table.id, version, sourceKey, FORMAT_OF_EXTENSION[ext] ?? 'csv', options, null, now))
            .execute();
          await recordAudit(tx, actor, {
            action: 'table.upload',
            resourceType: 'table',
            resourceId: table.id,
            details: { datasetId, table: name, versionId, version, filename: safeFilename(input.filename), options },
          });
          await indexDatasets(tx, [datasetId]); // the table's name and title, and its distribution's format
          return { tableId: table.id, version };
        });
      } catch (err) {
        await blobs.delete(sourceKey).catch(() => undefined);
        throw err;
      }
      const jobId = await enqueueIngest(datasetId, created.tableId, versionId);
      return result(actor, datasetId, name, versionId, jobId);
    },

    /**
     * Reads a stored version's source file again as a new version, with the options the publisher chose (omitted:
     * the options given for that version). 409 while a version of the table is still being ingested. Audited as
     * `table.reingest`.
     */
    async reingest(actor: Actor, datasetId: string, name: string, input: ReingestInput): Promise<{ table: TableDetail; version: TableVersion; jobId: string }> {
      const dataset = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, name);
      authorize(actor, 'dataset:update', datasetResource(dataset));
      const versions = await findVersionsOf(db, [table.id]);
      const from = input.fromVersion === undefined ? versions[0] : versions.find((v) => Number(v.version) === input.fromVersion);
      if (!from) throw new NotFoundError('Table version', String(input.fromVersion ?? ''), 'version_not_found');
      if (versions.some((v) => v.state === 'pending')) {
        throw new ConflictError(`Table "${name}" has a version still being read in; wait for it to finish, then try again.`, 'ingest_pending');
      }
      const options = input.sourceOptions ?? parseJson<CsvReadOptions>(from.given_options, {});
      const known = parseJson<ColumnSchema[]>(from.columns, []).map((c) => c.name);
      const problems = checkReadOptions(options, known);
      if (problems.length > 0) throw new ValidationError(problems);

      const versionId = randomUUID();
      const now = nowIso();
      const version = await db.transaction().execute(async (tx) => {
        const next = await nextVersion(tx, table.id);
        await tx.insertInto('table_versions').values(newVersionRow(versionId, table.id, next, from.source_blob_key, from.source_format, options, Number(from.version), now)).execute();
        await recordAudit(tx, actor, {
          action: 'table.reingest',
          resourceType: 'table',
          resourceId: table.id,
          details: { datasetId, table: name, versionId, version: next, fromVersion: Number(from.version), options },
        });
        return next;
      });
      void version;
      const jobId = await enqueueIngest(datasetId, table.id, versionId);
      return result(actor, datasetId, name, versionId, jobId);
    },

    async listTables(actor: Actor, datasetId: string): Promise<TableSummary[]> {
      const dataset = await visibleDataset(actor, datasetId);
      const tables = await db.selectFrom('tables').selectAll().where('dataset_id', '=', datasetId).orderBy('name').execute();
      const versions = await findVersionsOf(db, tables.map((t) => t.id));
      return tables.map((t) => {
        const { versions: _all, ...summary } = visibleTable(actor, datasetResource(dataset), presentTable(t, versions));
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

    /**
     * Whether the actor may read the rows of this dataset's tables (pages show a notice instead of rows); with a table
     * name, of that table (consent gives access per table, to some of its rows).
     */
    async canReadData(actor: Actor, datasetId: string, tableName?: string): Promise<boolean> {
      const dataset = await visibleDataset(actor, datasetId);
      const table = tableName === undefined ? undefined : await tableOf(datasetId, tableName);
      return (await resolveDataAccess(db, actor, dataResource(dataset), table ? { id: table.id } : undefined)).allow;
    },

    /** A page of rows of the table's current version, in file order. Non-open reads are written to the audit log. */
    async rows(actor: Actor, datasetId: string, name: string, page: { offset?: unknown; size?: unknown }): Promise<RowsPage> {
      const { offset, size } = parsePage(page);
      const dataset = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, name);
      const access = await resolveDataAccess(db, actor, dataResource(dataset), { id: table.id });
      // A refused read by a signed-in user or machine client is on record too (a revoked grant used mid-download shows
      // here); anonymous refusals are not, so nobody can fill the log without an account.
      if (!access.allow && (actor.user || actor.client)) {
        await recordAudit(db, actor, { action: 'table.read.denied', resourceType: 'table', resourceId: table.id, details: { datasetId, table: name, status: access.status, reason: access.reason } });
      }
      authorizeData(access, () => new NotFoundError('Dataset', datasetId, 'dataset_not_found'));
      if (!table.current_version_id) {
        throw new ConflictError(`Table "${name}" has no ready version yet; its ingest is still running or has failed.`, 'table_not_ready');
      }
      const version = await findVersion(db, table.current_version_id);
      if (!version || version.state !== 'ready') throw new ConflictError(`Table "${name}" has no ready version yet.`, 'table_not_ready');
      // A RowRestriction (consent) is applied to the rows and to the total: the reader learns nothing of other rows.
      const restriction = access.rows === 'all' ? undefined : access.rows;
      if (restriction && !parseJson<ColumnSchema[]>(version.columns, []).some((c) => c.name === restriction.column)) {
        throw new ConflictError(`The current version of table "${name}" has no column "${restriction.column}" to share rows by consent.`, 'consent_column_missing');
      }
      const where = restriction ? { column: restriction.column, values: restriction.values } : undefined;
      const parquet = where ? await localParquet(version) : undefined;
      const total = where && parquet ? await engine.countRows(parquet, where) : Number(version.row_count ?? 0);
      const rows = offset >= total ? [] : await engine.readRows(parquet ?? (await localParquet(version)), { offset, limit: size, ...(where ? { where } : {}) });
      if (dataset.access_rights !== 'PUBLIC') {
        // The organisation the read was made for: the grant's grantee, else the owner (members) or the machine client's.
        const readFor = await readForOrganisation(db, actor, access, dataset.orgnr);
        await db.transaction().execute(async (tx) => {
          await recordAudit(tx, actor, {
            action: 'table.read',
            resourceType: 'table',
            resourceId: table.id,
            details: {
              datasetId,
              table: name,
              versionId: version.id,
              offset,
              size,
              rows: rows.length,
              basis: access.basis,
              orgnr: readFor,
              ...(access.grantId ? { grantId: access.grantId } : {}),
              ...(restriction ? { consentIds: restriction.consentIds } : {}),
            },
          });
          if (restriction) await recordConsentUse(tx, actor, restriction, rows, { offset, surface: 'rows' });
        });
      }
      const out: RowsPage = { rows, total, offset, size };
      if (offset + rows.length < total) out.nextOffset = offset + rows.length;
      return out;
    },

    /**
     * A local copy of a ready version's Parquet file, for query layers (src/sql) that decided data access themselves
     * with resolveDataAccess(); never hand the path to a caller.
     */
    localParquet,

    /**
     * The column profile of the table's current version (src/tables/profile.ts): data, so only for actors who may read
     * all its rows; under a consent (a RowRestriction) it is not shown. Non-open reads are written to the audit log.
     */
    async profile(actor: Actor, datasetId: string, name: string): Promise<ProfileView> {
      const dataset = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, name);
      const access = await resolveDataAccess(db, actor, dataResource(dataset), { id: table.id });
      authorizeData(access, () => new NotFoundError('Dataset', datasetId, 'dataset_not_found'));
      const version = table.current_version_id ? await findVersion(db, table.current_version_id) : undefined;
      if (!version || version.state !== 'ready') throw new ConflictError(`Table "${name}" has no ready version yet.`, 'table_not_ready');
      const ref = { versionId: version.id, version: Number(version.version) };
      if (access.rows !== 'all') return { available: false, reason: 'consent', ...ref };
      const columns = await loadProfile(db, version.id);
      if (columns.length === 0) return { available: false, reason: 'not_computed', ...ref };
      if (dataset.access_rights !== 'PUBLIC') {
        await recordAudit(db, actor, {
          action: 'table.profile', resourceType: 'table', resourceId: table.id,
          details: { datasetId, table: name, versionId: version.id, basis: access.basis, ...(access.grantId ? { grantId: access.grantId } : {}) },
        });
      }
      return { available: true, ...ref, rowCount: Number(version.row_count ?? 0), columns };
    },

    /** The dataset an ingest job belongs to, for deciding who may see the job (GET /jobs/{id}). */
    async datasetResourceOf(datasetId: string): Promise<Resource | undefined> {
      const dataset = await findDatasetForAccess(db, datasetId);
      return dataset ? datasetResource(dataset) : undefined;
    },
  };
}

async function nextVersion(tx: DbOrTx, tableId: string): Promise<number> {
  const last = await tx.selectFrom('table_versions').select((eb) => eb.fn.max('version').as('v')).where('table_id', '=', tableId).executeTakeFirst();
  return Number(last?.v ?? 0) + 1;
}

function newVersionRow(id: string, tableId: string, version: number, sourceKey: string, format: string, given: CsvReadOptions, fromVersion: number | null, now: string) {
  return {
    id,
    table_id: tableId,
    version,
    state: 'pending' as const,
    source_blob_key: sourceKey,
    source_format: format,
    source_options: JSON.stringify(given),
    given_options: JSON.stringify(given),
    parquet_blob_key: null,
    row_count: null,
    record_count: null,
    skipped: '[]',
    byte_size: null,
    columns: '[]',
    error: null,
    error_code: null,
    error_params: '{}',
    from_version: fromVersion,
    job_id: null,
    source_info: '{}',
    created_at: now,
    ready_at: null,
  };
}

export type TablesService = ReturnType<typeof createTablesService>;
