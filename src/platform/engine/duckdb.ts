// The DuckDB table engine: turns uploaded delimited text files into typed Parquet table versions and reads rows back.
//
// Ingest never lets a library decide what to drop (the rules are in ./index.ts):
//   1. kind and encoding (./encoding.ts): the bytes say whether the upload is text at all and in which encoding; a
//      file in anything but UTF-8 is first transcoded, streamed, to a UTF-8 temp copy, so DuckDB only reads UTF-8;
//   2. dialect (./dialect.ts): delimiter, quote, comment lines, title lines and header are decided by us from a sample
//      (or taken from the publisher) and passed to DuckDB explicitly, auto detection off, strict mode on;
//   3. count (./records.ts): an independent streaming count of records; ragged records, unterminated quotes, too many
//      columns and too long fields fail here, before DuckDB reads a byte, with line numbers;
//   4. stage: DuckDB parses the file once, every column VARCHAR, into a staging Parquet file; its row count must equal
//      our count, or the ingest fails;
//   5. type (./columns.ts): aggregate passes over the staging file, in batches of columns so wide files stay within
//      the memory limit, decide each column's type; identifiers and codes stay text; a second COPY writes the typed
//      file to a temporary name and renames it, so a half-written table version is never visible.
// Each call uses its own connection, so calls may overlap; `close()` interrupts and closes them all. No DuckDB message
// reaches a caller: failures become EngineErrors with our own words and params (line numbers, counts, limits).
import { createReadStream, createWriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join, basename } from 'node:path';
import {
  DuckDBBlobValue,
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  COLUMN_TYPE_OVERRIDES,
  EngineError,
  TEXT_ENCODINGS,
  type ColumnInfo,
  type ColumnTypeOverride,
  type ConvertResult,
  type FileKind,
  type CsvReadOptions,
  type IngestNote,
  type IngestResult,
  type KeptAsTextReason,
  type ParquetDescription,
  type SemanticType,
  type SkippedLines,
  type RowFilter,
  type TableEngine,
  type TextEncodingName,
} from './index';
import { detectEncoding, looksLikeUtf16WithoutBom, sniffFileKind, transcodeToUtf8 } from './encoding';
import { columnNames, detectDialect, looksLikeHeader } from './dialect';
import { RecordScanner, type ScanDialect, type ScanResult } from './records';
import type { FixedColumn } from './staging';
import { stageXlsx } from './xlsx';
import { stageJson } from './json';
import { profileParquetWith } from './profile';
import {
  classSql,
  decideConvention,
  isIdentifierName,
  NUMBER_CLASSES,
  numberClassesFor,
  numberSql,
  semanticTypeOfName,
  valuesConfirm,
  type Decimal,
  type Thousands,
} from './columns';

export { detectEncoding, sniffFileKind, transcodeToUtf8 } from './encoding';
export type { FileKind } from './index';
export { looksLikeHeader, columnNames } from './dialect';
export { isIdentifierName, semanticTypeOfName } from './columns';

export interface DuckDbEngineOptions {
  /** DuckDB memory_limit, e.g. '1GB'. */
  memoryLimit: string;
  threads: number;
  /** Where DuckDB spills and where staging files are written; created if missing. */
  tempDir: string;
}

export interface DuckDbTableEngine extends TableEngine {
  /** The value of a DuckDB setting as `current_setting(name)` reports it (for checks and diagnostics). */
  currentSetting(name: string): Promise<string>;
}

/** The largest page readRows serves in one call. */
export const MAX_PAGE_ROWS = 10_000;
/** The most values a RowFilter may hold (one bound parameter each). */
export const MAX_FILTER_VALUES = 10_000;
/** The most columns a table may have at any memory limit. */
export const MAX_COLUMNS = 10_000;
/**
 * DuckDB materialises every column of a 2,048-row chunk per thread, in the CSV reader and in the Parquet writer. A
 * single COPY from CSV ran out of memory at 1,500 VARCHAR columns under memory_limit 256MiB; so wide files are parsed
 * in batches of STAGE_BATCH columns (one pass over the file each, projection pushed into the reader) into one staging
 * file per batch, and only the final typed write holds all columns: measured with 2 threads, 2,500 columns fit in
 * 256MiB and 3,000 do not; 8,000 fit in 1GB and 10,000 do not (~100 KiB per column). A wider file is refused at
 * once (`too_many_columns`, with the limit) instead of running out of memory in the middle.
 */
const BYTES_PER_COLUMN = 128 * 1024;
/** Columns per staging pass for wide files. */
const STAGE_BATCH = 500;
/**
 * From this many columns on, statistics come from one classification over the unpivoted cells instead of one CASE
 * per column: DuckDB binds a CASE of a dozen regexes per column in ~9 ms, 18 s for 2,000 columns, where one UNPIVOT
 * query binds it once.
 */
const LONG_STATS_FROM = 50;

/** Bytes in a DuckDB memory limit such as '256MiB', '1GB', '512 MB'. */
export function memoryBytes(limit: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*$/i.exec(limit);
  if (!m) return 1 << 30;
  const unit = (m[2] ?? 'B').toUpperCase();
  const pow = { B: 0, KB: 1, KIB: 1, MB: 2, MIB: 2, GB: 3, GIB: 3, TB: 4, TIB: 4 }[unit] ?? 0;
  const base = unit.includes('I') ? 1024 : 1000;
  return Number(m[1]) * base ** pow;
}

/** The widest table an engine with this memory limit ingests. */
export function maxColumnsFor(memoryLimit: string): number {
  return Math.max(1, Math.min(MAX_COLUMNS, Math.floor(memoryBytes(memoryLimit) / BYTES_PER_COLUMN)));
}
/** The longest field and record, in bytes (UTF-8). DuckDB holds a record in one buffer. */
export const MAX_FIELD_BYTES = 8 * 1024 * 1024;
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;
/** Columns per type-inference aggregate query: bounds the query's state for wide files. */
const STATS_BATCH = 200;
/** The sample read first (emptiness), and the part of it the dialect is decided on. */
const SAMPLE_BYTES = 1 << 20;
const DIALECT_SAMPLE_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// SQL quoting. Paths come from our own code, but they are quoted as literals all the same.

export function sqlString(value: string): string {
  if (value.includes('\0')) throw new EngineError('invalid_argument', 'A path or name contains a NUL character.');
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlIdent(name: string): string {
  if (name.includes('\0')) throw new EngineError('invalid_argument', 'A column name contains a NUL character.');
  return `"${name.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Options

const KIND_WORDS: Record<FileKind, string> = {
  'delimited-text': 'text', xlsx: 'binary data (an Excel workbook, XLSX)', xls: 'binary data (an old Excel workbook, XLS)',
  ods: 'binary data (an OpenDocument spreadsheet)', json: 'JSON', parquet: 'binary data (a Parquet file)', pdf: 'a PDF document',
  zip: 'binary data (a ZIP archive)', gzip: 'binary data (a gzip-compressed file)', binary: 'binary data', empty: 'nothing',
};

function checkOptions(o: CsvReadOptions): void {
  const oneChar = (v: string | undefined, what: string, allowEmpty: boolean) => {
    if (v === undefined) return;
    if ((allowEmpty && v === '') || (v.length === 1 && v.charCodeAt(0) < 0x80 && !/[\r\n\0]/.test(v))) return;
    throw new EngineError('invalid_argument', `The ${what} must be one ASCII character other than a line break${allowEmpty ? ', or empty' : ''}.`, { option: what });
  };
  oneChar(o.delimiter, 'delimiter', false);
  oneChar(o.quote, 'quote', true);
  oneChar(o.escape, 'escape', true);
  oneChar(o.commentPrefix, 'commentPrefix', true);
  if (o.delimiter !== undefined && (o.delimiter === o.quote || o.delimiter === '"' && o.quote === undefined)) {
    throw new EngineError('invalid_argument', 'The delimiter and the quote must differ.', { option: 'delimiter' });
  }
  if (o.encoding !== undefined && !(TEXT_ENCODINGS as readonly string[]).includes(o.encoding)) {
    throw new EngineError('invalid_argument', 'The encoding is not one the service reads.', { option: 'encoding' });
  }
  if (o.skipLines !== undefined && (!Number.isSafeInteger(o.skipLines) || o.skipLines < 0)) {
    throw new EngineError('invalid_argument', 'skipLines must be a whole number ≥ 0.', { option: 'skipLines' });
  }
  if (o.decimalSeparator !== undefined && o.decimalSeparator !== '.' && o.decimalSeparator !== ',') {
    throw new EngineError('invalid_argument', "The decimal separator must be '.' or ','.", { option: 'decimalSeparator' });
  }
  if (o.thousandsSeparator !== undefined && !['', ' ', '.', ','].includes(o.thousandsSeparator)) {
    throw new EngineError('invalid_argument', "The thousands separator must be '', ' ', '.' or ','.", { option: 'thousandsSeparator' });
  }
  if (o.thousandsSeparator && o.thousandsSeparator === o.decimalSeparator) {
    throw new EngineError('invalid_argument', 'The thousands and decimal separators must differ.', { option: 'thousandsSeparator' });
  }
  for (const t of Object.values(o.columnTypes ?? {})) {
    if (!(COLUMN_TYPE_OVERRIDES as readonly string[]).includes(t)) {
      throw new EngineError('invalid_argument', 'A column type is not one of text, integer, decimal, date, timestamp, boolean.', { option: 'columnTypes' });
    }
  }
}

async function readSample(path: string): Promise<{ sample: Buffer; partial: boolean }> {
  const handle = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, SAMPLE_BYTES + 1, 0);
    return { sample: buf.subarray(0, Math.min(bytesRead, SAMPLE_BYTES)), partial: bytesRead > SAMPLE_BYTES };
  } finally {
    await handle.close();
  }
}

/** Streams `path` through a scanner; with `copyTo`, also writes the file without its comment lines there. */
async function scanFile(path: string, dialect: ScanDialect, copyTo?: string, normaliseLineEnds = false): Promise<ScanResult> {
  const out = copyTo ? createWriteStream(copyTo) : undefined;
  let pending = 0;
  const scanner = new RecordScanner(dialect, {
    collect: 201,
    normaliseLineEnds,
    ...(out ? { emit: (bytes: Buffer) => { pending += bytes.length; out.write(Buffer.from(bytes)); } } : {}),
  });
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      scanner.push(chunk);
      if (out && pending > 8 << 20) {
        pending = 0;
        if (out.writableNeedDrain) await once(out, 'drain');
      }
    }
  } finally {
    stream.destroy();
    if (out) {
      out.end();
      await once(out, 'close');
    }
  }
  return scanner.end();
}

function lineList(lines: number[], count: number): string {
  const shown = lines.slice(0, 5).join(', ');
  return count > 5 ? `${shown} …` : shown;
}

/** The EngineError for what the record count found wrong with the file, if anything. */
function checkScan(scan: ScanResult, maxColumns: number): void {
  if (scan.unterminatedQuoteLine !== undefined) {
    throw new EngineError('invalid_csv',
      `The file is not valid CSV: a quoted value that starts on line ${scan.unterminatedQuoteLine} is never closed. Check the quote character, or choose "no quote character".`,
      { reason: 'unterminated_quote', line: scan.unterminatedQuoteLine });
  }
  if (scan.junkAfterQuote.count > 0) {
    const line = scan.junkAfterQuote.lines[0] as number;
    throw new EngineError('invalid_csv',
      `The file is not valid CSV: on line ${line}${scan.junkAfterQuote.count > 1 ? ` (and ${scan.junkAfterQuote.count - 1} more)` : ''} a quoted value is followed by more text before the next separator. Check the quote and escape characters.`,
      { reason: 'text_after_quote', line, count: scan.junkAfterQuote.count });
  }
  if (scan.maxFields > maxColumns) {
    throw new EngineError('too_many_columns', `The file has ${scan.maxFields} columns; at most ${maxColumns} are supported.`, { columns: scan.maxFields, limit: maxColumns });
  }
  if (scan.maxFieldBytes > MAX_FIELD_BYTES || scan.maxRecordBytes > MAX_RECORD_BYTES) {
    const limitMb = MAX_FIELD_BYTES / (1024 * 1024);
    throw new EngineError('field_too_long', `A value in the file is longer than ${limitMb} MB (or a row longer than ${MAX_RECORD_BYTES / (1024 * 1024)} MB), more than the service reads.`, { limitMb, rowLimitMb: MAX_RECORD_BYTES / (1024 * 1024) });
  }
  if (scan.raggedCount > 0) {
    const first = scan.ragged[0] as { line: number; fields: number };
    const lines = lineList(scan.ragged.map((r) => r.line), scan.raggedCount);
    throw new EngineError('ragged_rows',
      `${scan.raggedCount} ${scan.raggedCount === 1 ? 'row does' : 'rows do'} not have the same number of values as the first row (${scan.fields}): line ${first.line} has ${first.fields} (lines ${lines}). Check the separator and the quote character, or fix those lines.`,
      { count: scan.raggedCount, line: first.line, fields: first.fields, expected: scan.fields, lines });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Column types

interface ColumnStats {
  raw: number; // non-null values as read
  n: number; // non-empty values after trimming
  classes: Map<string, number>;
}

/** The aggregate expressions for column `c` of the staging file. */
function statsSql(c: string, counts = false): string[] {
  const v = `NULLIF(trim(${c}), '')`;
  // A column its format already typed (./staging.ts) needs only its counts.
  return [`count(${c})`, `count(${v})`, counts ? 'NULL' : `histogram(${classSql(v)})`];
}

function readStats(values: unknown[]): ColumnStats {
  const classes = new Map<string, number>();
  const histogram = values[2];
  if (histogram instanceof DuckDBMapValue) {
    for (const { key, value } of histogram.entries) classes.set(String(key), Number(value));
  }
  return { raw: Number(values[0] ?? 0), n: Number(values[1] ?? 0), classes };
}

interface ColumnPlan {
  info: ColumnInfo;
  /** SQL expression over the staging column that yields the typed value. */
  expr: string;
  /** For publisher-chosen types: SQL counting the values that do not convert. */
  failures?: string;
}

interface PlanContext {
  rows: number;
  decimal: Decimal;
  thousands: Thousands;
  override?: ColumnTypeOverride;
}

function planColumn(name: string, s: ColumnStats, ctx: PlanContext): ColumnPlan {
  const c = sqlIdent(name);
  const v = `NULLIF(trim(${c}), '')`;
  const k = (cls: string) => s.classes.get(cls) ?? 0;
  const markers = [...s.classes.entries()].filter(([cls]) => cls.startsWith('m:'));
  const markerCount = markers.reduce((sum, [, n]) => sum + n, 0);
  const { valid, whole } = numberClassesFor(ctx.decimal, ctx.thousands);
  const numeric = [...s.classes.entries()].filter(([cls]) => valid.has(cls)).reduce((sum, [, n]) => sum + n, 0);
  const leading = k('z') + k('z+');
  const text = (keptAsText?: KeptAsTextReason): ColumnPlan => ({
    info: { name, type: 'VARCHAR', nullable: s.raw < ctx.rows, ...(keptAsText ? { keptAsText } : {}) },
    expr: c,
  });
  const typed = (type: string, expr: string, extra: Partial<ColumnInfo> = {}): ColumnPlan => ({
    info: { name, type, nullable: s.n - (extra.missingMarkers ? markerCount : 0) < ctx.rows, ...extra },
    expr,
  });
  const looksNumeric = s.n > 0 && numeric + leading === s.n;

  if (ctx.override) return planOverride(name, c, v, s, ctx, looksNumeric);
  if (s.n === 0) return text();

  // Numbers, with suppression markers as nulls when they are a minority in an otherwise numeric column.
  const withMarkers = markerCount > 0 && numeric > 0 && numeric + markerCount === s.n && markerCount * 2 < s.n && leading === 0;
  if (looksNumeric || withMarkers) {
    if (leading > 0) return text(hasPlusSign(s) ? 'plus_sign' : 'leading_zeros');
    if (isIdentifierName(name)) return text('identifier_name');
    if (k('I') > 0) return text('too_large');
    const allWhole = [...s.classes.entries()].every(([cls, n]) => n === 0 || whole.has(cls) || cls.startsWith('m:'));
    const type = allWhole ? 'BIGINT' : 'DOUBLE';
    let expr = numberSql(v, ctx.decimal, ctx.thousands, type);
    if (withMarkers) {
      const list = markers.map(([cls]) => sqlString(cls.slice(2))).join(', ');
      expr = `CASE WHEN ${v} IN (${list}) THEN NULL ELSE ${expr} END`;
      return typed(type, expr, { missingMarkers: Object.fromEntries(markers.map(([cls, n]) => [cls.slice(2), n])) });
    }
    return typed(type, expr);
  }
  if (leading > 0 && leading === s.n && isIdentifierName(name)) return text('identifier_name');
  if (k('date') === s.n) return typed('DATE', `CAST(${v} AS DATE)`);
  if (k('dateno') === s.n) return typed('DATE', `CAST(strptime(${v}, '%d.%m.%Y') AS DATE)`);
  if (k('ts') === s.n) return typed('TIMESTAMP', `CAST(${v} AS TIMESTAMP)`);
  if (k('bool') === s.n) return typed('BOOLEAN', `(lower(${v}) = 'true')`);
  return text();
}

/** The plan of a column its source format typed (XLSX, JSON: ./staging.ts): a cast, no inference. */
function fixedPlan(name: string, s: ColumnStats, rows: number, f: FixedColumn): ColumnPlan {
  const c = sqlIdent(name);
  const v = `NULLIF(trim(${c}), '')`;
  if (f.type === 'VARCHAR') return { info: { name, type: 'VARCHAR', nullable: s.raw < rows, ...(f.keptAsText ? { keptAsText: f.keptAsText } : {}) }, expr: c };
  const expr = f.type === 'BOOLEAN' ? `(lower(${v}) = 'true')` : `CAST(${v} AS ${f.type})`;
  return { info: { name, type: f.type, nullable: s.n < rows }, expr };
}

function hasPlusSign(s: ColumnStats): boolean {
  return (s.classes.get('z+') ?? 0) > 0;
}

function planOverride(name: string, c: string, v: string, s: ColumnStats, ctx: PlanContext, looksNumeric: boolean): ColumnPlan {
  const info = (type: string): ColumnInfo => ({ name, type, nullable: s.n < ctx.rows });
  switch (ctx.override) {
    case 'text':
      return { info: { ...info('VARCHAR'), nullable: s.raw < ctx.rows, ...(looksNumeric ? { keptAsText: 'publisher_choice' as const } : {}) }, expr: c };
    case 'integer':
    case 'decimal': {
      const type = ctx.override === 'integer' ? 'BIGINT' : 'DOUBLE';
      const expr = numberSql(v, ctx.decimal, ctx.thousands, type);
      return { info: info(type), expr, failures: `count(${v}) - count(TRY_${expr})` };
    }
    case 'date': {
      const expr = `COALESCE(TRY_CAST(${v} AS DATE), CAST(try_strptime(${v}, '%d.%m.%Y') AS DATE))`;
      return { info: info('DATE'), expr, failures: `count(${v}) - count(${expr})` };
    }
    case 'timestamp':
      return { info: info('TIMESTAMP'), expr: `CAST(${v} AS TIMESTAMP)`, failures: `count(${v}) - count(TRY_CAST(${v} AS TIMESTAMP))` };
    case 'boolean': {
      const expr = `CASE lower(${v}) WHEN 'true' THEN true WHEN 'false' THEN false WHEN '1' THEN true WHEN '0' THEN false WHEN 'ja' THEN true WHEN 'nei' THEN false WHEN 'yes' THEN true WHEN 'no' THEN false END`;
      return { info: info('BOOLEAN'), expr, failures: `count(${v}) - count(${expr})` };
    }
    default:
      return { info: info('VARCHAR'), expr: c };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values out

function timestampIso(micros: bigint, finite: boolean, fallback: string, zone: string): string {
  if (!finite) return fallback;
  const millis = micros / 1000n;
  if (millis < -8_640_000_000_000_000n || millis > 8_640_000_000_000_000n) return fallback;
  const iso = new Date(Number(millis)).toISOString(); // 2024-01-02T03:04:05.678Z
  const sub = micros % 1_000_000n;
  const fraction = sub === 0n ? '' : `.${String(sub < 0n ? sub + 1_000_000n : sub).padStart(6, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 19)}${fraction}${zone}`;
}

/** Converts one DuckDB value to a JSON-safe JS value. */
export function toJsonValue(value: DuckDBValue): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBTimestampValue) return timestampIso(value.micros, value.isFinite, value.toString(), '');
  if (value instanceof DuckDBTimestampTZValue) return timestampIso(value.micros, value.isFinite, value.toString(), 'Z');
  if (value instanceof DuckDBTimestampSecondsValue) return timestampIso(value.seconds * 1_000_000n, true, value.toString(), '');
  if (value instanceof DuckDBTimestampMillisecondsValue) return timestampIso(value.millis * 1000n, true, value.toString(), '');
  if (value instanceof DuckDBTimestampNanosecondsValue) return timestampIso(value.nanos / 1000n, true, value.toString(), '');
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBListValue) return value.items.map(toJsonValue);
  if (value instanceof DuckDBMapValue) return value.entries.map(({ key, value: v }) => ({ key: toJsonValue(key), value: toJsonValue(v) }));
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

async function statFile(path: string, what: string): Promise<{ size: number }> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new EngineError('invalid_argument', `The ${what} path is not a file.`);
    return { size: st.size };
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('file_not_found', `The ${what} file does not exist.`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The engine

export async function createDuckDbEngine(opts: DuckDbEngineOptions): Promise<DuckDbTableEngine> {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) {
    throw new EngineError('invalid_argument', `threads must be a positive whole number, got ${opts.threads}.`);
  }
  await mkdir(opts.tempDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: opts.memoryLimit,
    threads: String(opts.threads),
    temp_directory: opts.tempDir,
    preserve_insertion_order: 'true',
  });
  const open = new Set<DuckDBConnection>();
  let closed = false;

  async function withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) throw new EngineError('engine_closed', 'The table engine has been closed.');
    const conn = await instance.connect();
    open.add(conn);
    try {
      return await work(conn);
    } finally {
      // close() may already have closed it.
      if (open.delete(conn)) conn.closeSync();
    }
  }

  /** The EngineError for a failed DuckDB call: ours (500) unless the text says the input is at fault. */
  function failure(err: unknown, ctx: { columns?: number; stage: string; mixedLineEndLine?: number }): EngineError {
    if (err instanceof EngineError) return err;
    if (closed) return new EngineError('engine_closed', 'The table engine was closed while the work was running.');
    const text = err instanceof Error ? err.message : String(err);
    if (/out of memory|could not allocate|memory limit/i.test(text)) {
      return new EngineError('file_too_complex',
        `The file is too large or too wide to convert within the memory the service has (${opts.memoryLimit}). Split it into smaller files, or fewer columns.`,
        { columns: ctx.columns ?? 0, memoryLimit: opts.memoryLimit });
    }
    if (ctx.stage === 'parse' && /invalid unicode|not utf-8 encoded|utf-8 encoded/i.test(text)) {
      return new EngineError('encoding_unsupported', 'The file is not valid text in the chosen encoding.', { reason: 'invalid' });
    }
    if (/maximum line size|line size/i.test(text)) {
      return new EngineError('field_too_long', `A row in the file is longer than the service reads.`, { limitMb: MAX_FIELD_BYTES / (1024 * 1024), rowLimitMb: MAX_RECORD_BYTES / (1024 * 1024) });
    }
    if (ctx.stage === 'parse' && /CSV Error|Invalid Input Error|unterminated quote|Conversion Error/i.test(text)) {
      if (ctx.mixedLineEndLine !== undefined) {
        return new EngineError('invalid_csv',
          `The file mixes line-end styles (Windows CRLF, Unix LF, old Mac CR), first on line ${ctx.mixedLineEndLine}. Save it again with one style.`,
          { reason: 'mixed_line_ends', line: ctx.mixedLineEndLine });
      }
      const line = /CSV Error on Line: (\d+)/.exec(text)?.[1];
      return new EngineError('invalid_csv',
        `The file is not valid CSV${line ? ` near line ${line}` : ''}: it cannot be read with the chosen separator, quote and escape characters.`,
        { reason: 'parse', ...(line ? { line: Number(line) } : {}) });
    }
    return new EngineError('engine_failed', `The table engine failed while ${ctx.stage === 'parse' ? 'reading' : ctx.stage === 'write' ? 'writing' : 'analysing'} the file. Try again later.`, { stage: ctx.stage });
  }

  async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Record<string, DuckDBValue>[]> {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects();
  }

  async function csvToParquet(csvPath: string, parquetPath: string, readOpts: CsvReadOptions = {}): Promise<ConvertResult> {
    checkOptions(readOpts);
    const { size } = await statFile(csvPath, 'CSV');
    if (size === 0) throw new EngineError('file_empty', 'The file is empty.');
    const kind = await sniffFileKind(csvPath);
    const utf16 = readOpts.encoding === 'utf-16le' || readOpts.encoding === 'utf-16be';
    if (kind === 'binary' && !utf16 && (await looksLikeUtf16WithoutBom(csvPath))) {
      throw new EngineError('encoding_unsupported', 'The file looks like UTF-16 text without a byte-order mark. Save it again as UTF-8 (or UTF-16 with a byte-order mark).', { reason: 'utf16_no_bom' });
    }
    if (kind !== 'delimited-text' && !(kind === 'binary' && utf16)) {
      throw new EngineError('file_not_text', `The file is not valid CSV: it contains ${KIND_WORDS[kind]}, not text. Upload CSV or TSV (values separated by a delimiter).`, { kind });
    }
    let encoding = readOpts.encoding;
    if (encoding === undefined || encoding === 'utf-8') {
      const verdict = await detectEncoding(csvPath);
      if (encoding === 'utf-8' && verdict.encoding !== 'utf-8') {
        const line = verdict.firstNonUtf8Line ?? 1;
        throw new EngineError('encoding_unsupported', `The file is not valid UTF-8 (the first byte that is not is on line ${line}). Choose its encoding, or save it again as UTF-8.`, { reason: 'not_utf8', line });
      }
      encoding = verdict.encoding;
    }
    const work = join(opts.tempDir, `ingest-${randomUUID()}`);
    await mkdir(work, { recursive: true });
    try {
      let readPath = csvPath;
      if (encoding !== 'utf-8') {
        readPath = join(work, 'utf8.csv');
        await transcodeToUtf8(csvPath, readPath, encoding);
      }
      return await convertText(readPath, work, encoding, parquetPath, readOpts);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * `fixed`: columns (by index) a typed source format already typed (XLSX, JSON staging files): cast, not inferred,
   * and left out of the file's number convention.
   */
  async function convertText(readPath: string, work: string, encoding: TextEncodingName, parquetPath: string, readOpts: CsvReadOptions, fixed?: Map<number, FixedColumn>): Promise<ConvertResult> {
    const { sample, partial } = await readSample(readPath);
    if (!partial && sample.toString('utf8').replace(/^\uFEFF/, '').trim() === '') {
      throw new EngineError('file_empty', 'The file is empty: it holds only blank lines.', {});
    }
    const given = {
      ...(readOpts.delimiter !== undefined ? { delimiter: readOpts.delimiter } : {}),
      ...(readOpts.quote !== undefined ? { quote: readOpts.quote } : {}),
      ...(readOpts.escape !== undefined ? { escape: readOpts.escape } : {}),
      ...(readOpts.commentPrefix !== undefined ? { commentPrefix: readOpts.commentPrefix } : {}),
      ...(readOpts.skipLines !== undefined ? { skipLines: readOpts.skipLines } : {}),
    };
    // The dialect from the first 64 KB (a few thousand lines); the header from the first records of the full count.
    const dialectSample = sample.length > DIALECT_SAMPLE_BYTES ? sample.subarray(0, DIALECT_SAMPLE_BYTES) : sample;
    const dialect = detectDialect(dialectSample, partial || sample.length > DIALECT_SAMPLE_BYTES, given);
    if (dialect.quote === '') dialect.escape = '';
    const scanDialect: ScanDialect = dialect;
    // Comment lines are removed in a copy: DuckDB's own `comment` option also cuts lines at a '#' after a value. Mixed
    // line ends (CRLF and LF, as in concatenated exports), which DuckDB's reader refuses, become LF in the same copy.
    let scan = await scanFile(readPath, scanDialect);
    // Blank lines above the first record are leading lines: DuckDB would take the first of them for the header.
    const firstLine = scan.sampleLines[0];
    if (readOpts.skipLines === undefined && firstLine !== undefined && scan.blank.lines.some((l) => l < firstLine)
      && !scan.comment.lines.some((l) => l < firstLine)) {
      dialect.skipLines = firstLine - 1;
      scan = await scanFile(readPath, scanDialect);
    }
    let duckPath = readPath;
    if (scan.comment.count > 0 || scan.mixedLineEndLine !== undefined) {
      duckPath = join(work, 'normalised.csv');
      scan = await scanFile(readPath, scanDialect, duckPath, scan.mixedLineEndLine !== undefined);
    }
    const singleColumn = scan.fields === 1;
    if (scan.records === 0) throw new EngineError('file_empty', 'The file holds no rows: only blank lines, comments or skipped lines.', { lines: scan.lines });
    checkScan(scan, maxColumnsFor(opts.memoryLimit));
    const header = readOpts.header ?? looksLikeHeader(scan.sample);
    const names = columnNames(header ? scan.sample[0] : undefined, scan.fields);
    const unknownTypes = Object.keys(readOpts.columnTypes ?? {}).filter((n) => !names.includes(n));
    if (unknownTypes.length > 0) {
      throw new EngineError('invalid_argument', `${unknownTypes.length} of the chosen column types ${unknownTypes.length === 1 ? 'names a column' : 'name columns'} the file does not have.`, { option: 'columnTypes', count: unknownTypes.length });
    }
    // A blank line is a row of one empty value in a one-column file (DuckDB reads it so); otherwise it is skipped.
    const blankRows = singleColumn ? scan.blank.lines.filter((l) => l > (scan.sampleLines[0] ?? 0)).length : 0;
    if (singleColumn && scan.blank.count > 100) {
      throw new EngineError('invalid_csv', 'The file has one column and many blank lines; it cannot be read as a table safely.', { reason: 'blank_lines', count: scan.blank.count });
    }
    const expectedRows = scan.records - (header ? 1 : 0) + blankRows;

    const skipped: SkippedLines[] = [];
    if (scan.leading.count > 0) skipped.push({ reason: 'leading', count: scan.leading.count, lines: scan.leading.lines });
    if (scan.comment.count > 0) skipped.push({ reason: 'comment', count: scan.comment.count, lines: scan.comment.lines });
    if (!singleColumn && scan.blank.count > 0) skipped.push({ reason: 'blank', count: scan.blank.count, lines: scan.blank.lines });

    // Staging files: one, or one per batch of columns for wide files.
    const batches: string[][] = [];
    const stageBatch = names.length > 2 * STAGE_BATCH ? STAGE_BATCH : names.length;
    for (let from = 0; from < names.length; from += stageBatch) batches.push(names.slice(from, from + stageBatch));
    const stagingFiles = batches.map((_, i) => join(work, `staging-${i}.parquet`));
    const batchOf = new Map<string, number>();
    batches.forEach((b, i) => b.forEach((n) => batchOf.set(n, i)));
    const target = join(dirname(parquetPath), `.${basename(parquetPath)}.${randomUUID()}.tmp`);
    const columnsSql = `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(', ')}}`;
    const maxLine = Math.max(2 << 20, scan.maxRecordBytes + 1024);
    const readArgs = [
      `auto_detect = false`, `columns = ${columnsSql}`, `header = ${header}`, `skip = ${dialect.skipLines}`,
      `delim = ${sqlString(dialect.delimiter)}`, `quote = ${sqlString(dialect.quote)}`, `escape = ${sqlString(dialect.escape)}`,
      `strict_mode = true`, `null_padding = false`, `ignore_errors = false`, `encoding = 'utf-8'`,
      `max_line_size = ${maxLine}`, `buffer_size = ${Math.max(16 * maxLine, 32 << 20)}`,
    ].join(', ');
    // Wide tables get smaller row groups, so the writer's buffers stay within the memory limit.
    const rowGroup = Math.max(2_048, Math.min(122_880, Math.floor(4_000_000 / names.length)));

    return withConnection(async (conn) => {
      try {
        try {
          for (const [i, batch] of batches.entries()) {
            const select = batches.length === 1 ? '*' : batch.map(sqlIdent).join(', ');
            await conn.run(`COPY (SELECT ${select} FROM read_csv(${sqlString(duckPath)}, ${readArgs})) TO ${sqlString(stagingFiles[i] as string)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE ${rowGroup})`);
          }
        } catch (err) {
          throw failure(err, { columns: names.length, stage: 'parse', ...(scan.mixedLineEndLine !== undefined ? { mixedLineEndLine: scan.mixedLineEndLine } : {}) });
        }
        const stagingSrc = stagingFiles.map((f) => `read_parquet(${sqlString(f)})`).join(' POSITIONAL JOIN ');
        const srcOf = (name: string) => `read_parquet(${sqlString(stagingFiles[batchOf.get(name) as number] as string)})`;
        const [meta] = await rowsOf(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(stagingFiles[0] as string)})`);
        const rows = Number(meta?.n ?? 0);
        if (rows !== expectedRows) {
          throw new EngineError('record_count_mismatch',
            `The file holds ${expectedRows} rows by our count, but ${rows} were read. The file was not imported; check its quoting and line breaks.`,
            { expected: expectedRows, read: rows });
        }

        // Column statistics, in batches of columns.
        const stats: ColumnStats[] = names.length > LONG_STATS_FROM ? await longStats(conn, stagingFiles, batches) : [];
        const statsBatches: string[][] = [];
        if (names.length <= LONG_STATS_FROM) {
          for (const b of batches) for (let from = 0; from < b.length; from += STATS_BATCH) statsBatches.push(b.slice(from, from + STATS_BATCH));
        }
        const indexOf = new Map(names.map((n, i) => [n, i]));
        const isFixed = (name: string) => fixed?.has(indexOf.get(name) as number) === true && !readOpts.columnTypes?.[name];
        for (const batch of statsBatches) {
          const exprs = batch.flatMap((name, i) => statsSql(sqlIdent(name), isFixed(name)).map((e, j) => `${e} AS s${i}_${j}`));
          let agg: Record<string, DuckDBValue> | undefined;
          try {
            [agg] = await rowsOf(conn, `SELECT ${exprs.join(', ')} FROM ${srcOf(batch[0] as string)}`);
          } catch (err) {
            throw failure(err, { columns: names.length, stage: 'analyse' });
          }
          batch.forEach((_, i) => stats.push(readStats([0, 1, 2].map((j) => agg?.[`s${i}_${j}`]))));
        }
        const classTotals: Record<string, number> = {};
        stats.forEach((s, i) => {
          const override = readOpts.columnTypes?.[names[i] as string];
          if (override === 'text' || isFixed(names[i] as string)) return;
          for (const cls of NUMBER_CLASSES) classTotals[cls] = (classTotals[cls] ?? 0) + (s.classes.get(cls) ?? 0);
        });
        const convention = decideConvention(classTotals, {
          ...(readOpts.decimalSeparator !== undefined ? { decimal: readOpts.decimalSeparator } : {}),
          ...(readOpts.thousandsSeparator !== undefined ? { thousands: readOpts.thousandsSeparator } : {}),
        });
        const plans = names.map((name, i) => {
          const override = readOpts.columnTypes?.[name];
          const typed = fixed?.get(i);
          if (typed && !override) return fixedPlan(name, stats[i] as ColumnStats, rows, typed);
          return planColumn(name, stats[i] as ColumnStats, { rows, ...convention, ...(override ? { override } : {}) });
        });
        await checkOverrides(conn, srcOf, plans);
        await addSemanticTypes(conn, srcOf, plans);

        const projection = plans.map((p) => `${p.expr} AS ${sqlIdent(p.info.name)}`).join(', ');
        try {
          await conn.run(`COPY (SELECT ${projection} FROM ${stagingSrc}) TO ${sqlString(target)} (FORMAT parquet, ROW_GROUP_SIZE ${rowGroup})`);
        } catch (err) {
          throw failure(err, { columns: names.length, stage: 'write' });
        }
        await rename(target, parquetPath);
        const columnTypes = readOpts.columnTypes ? { columnTypes: { ...readOpts.columnTypes } } : {};
        return {
          rowCount: rows,
          columns: plans.map((p) => p.info),
          detected: {
            encoding, delimiter: dialect.delimiter, quote: dialect.quote, escape: dialect.escape, header, skipLines: dialect.skipLines,
            commentPrefix: dialect.commentPrefix, decimalSeparator: convention.decimal, thousandsSeparator: convention.thousands, ...columnTypes,
          },
          // Every record and every skipped line: rowCount + (header ? 1 : 0) + Σ skipped[].count.
          recordCount: scan.records + blankRows + skipped.reduce((sum, sk) => sum + sk.count, 0),
          skipped,
        };
      } catch (err) {
        throw failure(err, { columns: names.length, stage: 'analyse' });
      } finally {
        await rm(target, { force: true });
      }
    });
  }

  /** Per-column statistics of wide files, from the cells unpivoted to (column, value), one staging batch at a time. */
  async function longStats(conn: DuckDBConnection, files: string[], batches: string[][]): Promise<ColumnStats[]> {
    const byName = new Map<string, ColumnStats>();
    for (const file of files) {
      let rows: Record<string, DuckDBValue>[];
      try {
        rows = await rowsOf(conn, `SELECT col, k, count(*) AS n, count(v) AS nv FROM (
            SELECT col, v, ${classSql('v')} AS k FROM (
              SELECT col, NULLIF(trim(val), '') AS v FROM (UNPIVOT read_parquet(${sqlString(file)}) ON COLUMNS(*) INTO NAME col VALUE val)))
          GROUP BY col, k`);
      } catch (err) {
        throw failure(err, { columns: batches.flat().length, stage: 'analyse' });
      }
      for (const r of rows) {
        const name = String(r.col);
        const st = byName.get(name) ?? { raw: 0, n: 0, classes: new Map<string, number>() };
        st.raw += Number(r.n);
        st.n += Number(r.nv);
        if (r.k !== null && r.k !== undefined) st.classes.set(String(r.k), Number(r.n));
        byName.set(name, st);
      }
    }
    return batches.flat().map((name) => byName.get(name) ?? { raw: 0, n: 0, classes: new Map<string, number>() });
  }

  /** Publisher-chosen types must convert every value; otherwise the ingest fails, naming the column by position. */
  async function checkOverrides(conn: DuckDBConnection, srcOf: (name: string) => string, plans: ColumnPlan[]): Promise<void> {
    const checked = plans.map((p, i) => ({ p, i })).filter(({ p }) => p.failures);
    for (const { p, i } of checked) {
      const [row] = await rowsOf(conn, `SELECT ${p.failures} AS f FROM ${srcOf(p.info.name)}`);
      const bad = Number(row?.f ?? 0);
      if (bad > 0) {
        throw new EngineError('column_type_mismatch',
          `Column ${i + 1} cannot be read as ${p.info.type === 'BIGINT' ? 'whole numbers' : p.info.type.toLowerCase()}: ${bad} ${bad === 1 ? 'value does' : 'values do'} not convert. Choose another type for it.`,
          { column: i + 1, count: bad, type: p.info.type });
      }
    }
  }

  /** Name-matched identifier columns get a semantic type when their values pass the kind's check. */
  async function addSemanticTypes(conn: DuckDBConnection, srcOf: (name: string) => string, plans: ColumnPlan[]): Promise<void> {
    for (const plan of plans) {
      const kind: SemanticType | undefined = semanticTypeOfName(plan.info.name);
      if (!kind || plan.info.type !== 'VARCHAR') continue;
      const c = sqlIdent(plan.info.name);
      const rows = await rowsOf(conn, `SELECT DISTINCT trim(${c}) AS v FROM ${srcOf(plan.info.name)} WHERE NULLIF(trim(${c}), '') IS NOT NULL LIMIT 500`);
      if (valuesConfirm(kind, rows.map((r) => String(r.v)))) plan.info.semanticType = kind;
    }
  }

  function notParquet(err: unknown): EngineError {
    if (err instanceof EngineError) return err;
    if (closed) return new EngineError('engine_closed', 'The table engine was closed while the work was running.');
    return new EngineError('invalid_parquet', 'The file is not a valid Parquet file.');
  }

  async function describeWith(conn: DuckDBConnection, parquetPath: string): Promise<ParquetDescription> {
    await statFile(parquetPath, 'Parquet');
    const src = sqlString(parquetPath);
    try {
      const cols = await rowsOf(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${src}))`);
      const nulls = await rowsOf(conn, `SELECT path_in_schema AS name, sum(stats_null_count) AS nulls, bool_or(stats_null_count IS NULL) AS unknown FROM parquet_metadata(${src}) GROUP BY 1`);
      const [meta] = await rowsOf(conn, `SELECT num_rows FROM parquet_file_metadata(${src})`);
      const nullsBy = new Map(nulls.map((r) => [String(r.name), r.unknown === true || Number(r.nulls ?? 0) > 0]));
      return {
        rowCount: Number(meta?.num_rows ?? 0),
        columns: cols.map((r) => ({ name: String(r.column_name), type: String(r.column_type), nullable: nullsBy.get(String(r.column_name)) ?? true })),
      };
    } catch (err) {
      throw notParquet(err);
    }
  }

  /** The column names of a Parquet file (invalid_parquet when it is not one). */
  async function columnNamesOf(conn: DuckDBConnection, src: string): Promise<string[]> {
    try {
      return (await rowsOf(conn, `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${src}))`)).map((r) => String(r.column_name));
    } catch (err) {
      throw notParquet(err);
    }
  }

  /** The WHERE condition of a RowFilter with one bound parameter per value ($1…), checked against the file's columns. */
  function filterSql(where: RowFilter, names: string[]): { sql: string; params: string[] } {
    if (!names.includes(where.column)) throw new EngineError('invalid_argument', 'The filter column is not a column of the table.', { option: 'where' });
    if (where.values.length > MAX_FILTER_VALUES) throw new EngineError('invalid_argument', `A filter can hold at most ${MAX_FILTER_VALUES} values.`, { option: 'where', count: where.values.length });
    for (const v of where.values) if (typeof v !== 'string' || v.includes('\0')) throw new EngineError('invalid_argument', 'A filter value must be text without NUL characters.', { option: 'where' });
    if (where.values.length === 0) return { sql: 'FALSE', params: [] };
    const marks = where.values.map((_, i) => `$${i + 1}`).join(', ');
    return { sql: `CAST(${sqlIdent(where.column)} AS VARCHAR) IN (${marks})`, params: [...where.values] };
  }

  async function countRows(parquetPath: string, where?: RowFilter): Promise<number> {
    await statFile(parquetPath, 'Parquet');
    return withConnection(async (conn) => {
      const src = sqlString(parquetPath);
      if (!where) return (await describeWith(conn, parquetPath)).rowCount;
      const filter = filterSql(where, await columnNamesOf(conn, src));
      try {
        const reader = await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${src}) WHERE ${filter.sql}`, filter.params);
        return Number(reader.getRowObjects()[0]?.n ?? 0);
      } catch (err) {
        throw failure(err, { stage: 'read' });
      }
    });
  }

  async function readRows(parquetPath: string, page: { offset: number; limit: number; where?: RowFilter }): Promise<Record<string, unknown>[]> {
    const { offset, limit, where } = page;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new EngineError('invalid_argument', `offset must be a whole number ≥ 0, got ${offset}.`);
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_PAGE_ROWS) {
      throw new EngineError('invalid_argument', `limit must be a whole number from 0 to ${MAX_PAGE_ROWS}, got ${limit}.`);
    }
    await statFile(parquetPath, 'Parquet');
    if (limit === 0) return [];
    return withConnection(async (conn) => {
      const src = sqlString(parquetPath);
      const names = await columnNamesOf(conn, src);
      const filter = where ? filterSql(where, names) : undefined;
      // file_row_number is the row's position in the file: filtering on it reads only the row groups of the page and
      // gives file order regardless of threads. A table with its own column of that name falls back to LIMIT/OFFSET,
      // which keeps file order because insertion order is preserved.
      // A filtered read pages over the matching rows (in file order), so its offset is not a file position.
      const sql = filter
        ? names.includes('file_row_number')
          ? `SELECT * FROM read_parquet(${src}) WHERE ${filter.sql} LIMIT ${limit} OFFSET ${offset}`
          : `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${src}, file_row_number = true)
             WHERE ${filter.sql} ORDER BY file_row_number LIMIT ${limit} OFFSET ${offset}`
        : names.includes('file_row_number')
          ? `SELECT * FROM read_parquet(${src}) LIMIT ${limit} OFFSET ${offset}`
          : `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${src}, file_row_number = true)
             WHERE file_row_number >= ${offset} AND file_row_number < ${offset + limit} ORDER BY file_row_number`;
      let reader;
      try {
        reader = await conn.runAndReadAll(sql, filter?.params ?? []);
      } catch (err) {
        throw failure(err, { stage: 'read' });
      }
      const columnNames = reader.columnNames();
      return reader.getRows().map((row) => {
        const out: Record<string, unknown> = {};
        columnNames.forEach((name, i) => { out[name] = toJsonValue(row[i] as DuckDBValue); });
        return out;
      });
    });
  }

  /** Dispatches by content (rules in ./index.ts, `tableToParquet`). */
  async function tableToParquet(path: string, parquetPath: string, readOpts: CsvReadOptions = {}): Promise<IngestResult> {
    const { size } = await statFile(path, 'table');
    if (size === 0) throw new EngineError('file_empty', 'The file is empty.');
    const kind = await sniffFileKind(path);
    if (kind === 'xls' || kind === 'xlsx' || kind === 'zip') return typedSource('xlsx', path, parquetPath, readOpts);
    if (kind === 'json') return typedSource('json', path, parquetPath, readOpts);
    if (kind === 'parquet') return parquetIn(path, parquetPath);
    const csv = await csvToParquet(path, parquetPath, readOpts);
    return { ...csv, format: 'csv', notes: [] };
  }

  /** XLSX and JSON: the source is staged as CSV with its typed columns, then read by the CSV path. */
  async function typedSource(kind: 'xlsx' | 'json', path: string, parquetPath: string, readOpts: CsvReadOptions): Promise<IngestResult> {
    checkOptions(readOpts);
    const work = join(opts.tempDir, `ingest-${randomUUID()}`);
    await mkdir(work, { recursive: true });
    try {
      const csvPath = join(work, 'staged.csv');
      const maxColumns = maxColumnsFor(opts.memoryLimit);
      const staged = kind === 'xlsx'
        ? { format: 'xlsx' as const, ...(await stageXlsx(path, { opts: readOpts, csvPath, limits: { maxColumns } })) }
        : await stageJson(path, { opts: readOpts, csvPath, maxColumns });
      const csvOpts: CsvReadOptions = {
        encoding: 'utf-8', delimiter: ',', quote: '"', escape: '"', header: true, skipLines: 0, commentPrefix: '',
        ...(readOpts.decimalSeparator !== undefined ? { decimalSeparator: readOpts.decimalSeparator } : {}),
        ...(readOpts.thousandsSeparator !== undefined ? { thousandsSeparator: readOpts.thousandsSeparator } : {}),
        ...(readOpts.columnTypes ? { columnTypes: readOpts.columnTypes } : {}),
      };
      const converted = await convertText(csvPath, work, 'utf-8', parquetPath, csvOpts, staged.fixed);
      if (converted.rowCount !== staged.rows || converted.columns.length !== staged.names.length) {
        await rm(parquetPath, { force: true });
        throw new EngineError('record_count_mismatch', `The file holds ${staged.rows} rows by our count, but ${converted.rowCount} were read.`, { expected: staged.rows, read: converted.rowCount });
      }
      return {
        format: staged.format,
        rowCount: converted.rowCount,
        columns: converted.columns,
        detected: { ...staged.detected, decimalSeparator: converted.detected.decimalSeparator, thousandsSeparator: converted.detected.thousandsSeparator },
        recordCount: staged.recordCount,
        skipped: staged.skipped,
        notes: staged.notes,
        ...('sheets' in staged ? { sheets: staged.sheets } : {}),
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Parquet in: the producer's types are kept (never inferred again from text), mapped onto the table types —
   * integers → BIGINT (UBIGINT/HUGEINT → text, too_large), FLOAT/DOUBLE and DECIMAL up to 15 digits → DOUBLE (wider
   * DECIMAL → text, too_large), DATE, TIMESTAMP (TIMESTAMP WITH TIME ZONE → TIMESTAMP in UTC, noted), BOOLEAN,
   * VARCHAR; UUID, TIME, INTERVAL, ENUM → their text; STRUCT fields flattened with dotted names; LIST, ARRAY and MAP
   * → JSON text (noted); BLOB and anything else → `parquet_unsupported_type`. Written with zstd; the row count of the
   * written file must equal the source's metadata row count.
   */
  async function parquetIn(path: string, parquetPath: string): Promise<IngestResult> {
    const src = sqlString(path);
    const target = join(dirname(parquetPath), `.${basename(parquetPath)}.${randomUUID()}.tmp`);
    return withConnection(async (conn) => {
      try {
        let top: Record<string, DuckDBValue>[];
        let expected: number;
        try {
          top = await rowsOf(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${src}))`);
          const [meta] = await rowsOf(conn, `SELECT num_rows FROM parquet_file_metadata(${src})`);
          expected = Number(meta?.num_rows ?? -1);
        } catch (err) {
          throw notParquet(err);
        }
        const out: { name: string; expr: string; info: ColumnInfo }[] = [];
        const nestedCols: string[] = [];
        const tzCols: string[] = [];
        const add = async (name: string, expr: string, type: string, position: number): Promise<void> => {
          const t = type.toUpperCase();
          const text = (keptAsText?: KeptAsTextReason) => out.push({ name, expr: `CAST(${expr} AS VARCHAR)`, info: { name, type: 'VARCHAR', nullable: true, ...(keptAsText ? { keptAsText } : {}) } });
          const as = (duck: string, e = `CAST(${expr} AS ${duck})`) => out.push({ name, expr: e, info: { name, type: duck, nullable: true } });
          if (t.startsWith('STRUCT(')) {
            const fields = await rowsOf(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT unnest(${expr}) FROM read_parquet(${src}))`);
            for (const f of fields) await add(`${name}.${String(f.column_name)}`, `struct_extract(${expr}, ${sqlString(String(f.column_name))})`, String(f.column_type), position);
          } else if (/\[\d*\]$/.test(t) || t.startsWith('MAP(')) {
            nestedCols.push(name);
            out.push({ name, expr: `CAST(to_json(${expr}) AS VARCHAR)`, info: { name, type: 'VARCHAR', nullable: true } });
          } else if (['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER'].includes(t)) as('BIGINT');
          else if (['UBIGINT', 'HUGEINT', 'UHUGEINT'].includes(t)) text('too_large');
          else if (t === 'FLOAT' || t === 'DOUBLE') as('DOUBLE');
          else if (t.startsWith('DECIMAL')) {
            const p = Number(/DECIMAL\((\d+)/.exec(t)?.[1] ?? 38);
            if (p <= 15) as('DOUBLE'); else text('too_large');
          } else if (t === 'DATE' || t === 'BOOLEAN' || t === 'VARCHAR') as(t, expr);
          else if (t === 'TIMESTAMP WITH TIME ZONE') { tzCols.push(name); as('TIMESTAMP', `CAST(timezone('UTC', ${expr}) AS TIMESTAMP)`); }
          else if (t.startsWith('TIMESTAMP')) as('TIMESTAMP');
          else if (['UUID', 'TIME', 'INTERVAL', 'TIME WITH TIME ZONE', 'BIT'].includes(t) || t.startsWith('ENUM(')) text();
          else throw new EngineError('parquet_unsupported_type', `Column ${position} of the Parquet file has a type a table cannot hold (binary data or similar). Leave it out, or convert it to text, and upload the file again.`, { column: position });
        };
        for (const [i, c] of top.entries()) await add(String(c.column_name), sqlIdent(String(c.column_name)), String(c.column_type), i + 1);
        const names = columnNames(out.map((o) => o.name), out.length);
        const limit = maxColumnsFor(opts.memoryLimit);
        if (names.length > limit) throw new EngineError('too_many_columns', `The file has ${names.length} columns; a table can have at most ${limit}.`, { columns: names.length, limit });
        if (names.length === 0) throw new EngineError('file_empty', 'The Parquet file has no columns.', {});
        const projection = out.map((o, i) => `${o.expr} AS ${sqlIdent(names[i] as string)}`).join(', ');
        try {
          await conn.run(`COPY (SELECT ${projection} FROM read_parquet(${src})) TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd)`);
        } catch (err) {
          throw failure(err, { columns: names.length, stage: 'write' });
        }
        const written = await describeWith(conn, target);
        if (written.rowCount !== expected) {
          throw new EngineError('record_count_mismatch', `The Parquet file declares ${expected} rows, but ${written.rowCount} were written.`, { expected, read: written.rowCount });
        }
        if (written.rowCount === 0) throw new EngineError('file_empty', 'The Parquet file holds no rows.', {});
        const plans: ColumnPlan[] = out.map((o, i) => ({
          expr: sqlIdent(names[i] as string),
          info: { ...o.info, name: names[i] as string, nullable: written.columns[i]?.nullable ?? true },
        }));
        await addSemanticTypes(conn, () => `read_parquet(${sqlString(target)})`, plans);
        await rename(target, parquetPath);
        const notes: IngestNote[] = [];
        if (nestedCols.length > 0) notes.push({ reason: 'nested_as_json', count: nestedCols.length, columns: nestedCols.slice(0, 100) });
        if (tzCols.length > 0) notes.push({ reason: 'timezone_to_utc', count: tzCols.length, columns: tzCols.slice(0, 100) });
        return { format: 'parquet', rowCount: written.rowCount, columns: plans.map((p) => p.info), detected: {}, recordCount: expected, skipped: [], notes };
      } catch (err) {
        throw failure(err, { stage: 'analyse' });
      } finally {
        await rm(target, { force: true });
      }
    });
  }

  return {
    csvToParquet,
    tableToParquet,
    readRows,
    countRows,
    withConnection,
    describeParquet: (parquetPath) => withConnection((conn) => describeWith(conn, parquetPath)),
    profileParquet: async (parquetPath) => { await statFile(parquetPath, 'Parquet'); return withConnection((conn) => profileParquetWith(conn, parquetPath)); },
    async currentSetting(name: string): Promise<string> {
      return withConnection(async (conn) => {
        const [row] = await rowsOf(conn, `SELECT current_setting(${sqlString(name)})::VARCHAR AS value`);
        return String(row?.value ?? '');
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const conn of open) {
        conn.interrupt();
        conn.closeSync();
      }
      open.clear();
      instance.closeSync();
    },
  };
}
