// The DuckDB table engine: turns uploaded CSV files into typed Parquet table versions and reads rows back from them.
//
// Ingest runs in three steps over one DuckDB instance (in memory, extensions neither installed nor loaded, explicit
// memory/thread/temp limits):
//   1. sniff: encoding by strict UTF-8 validation of the bytes, delimiter by DuckDB's `sniff_csv`, header by our own
//      rule on the first rows (the sniffer calls a first row of codes like "0001" a header). A file that is not UTF-8
//      is Windows-1252 ("ANSI", what Norwegian Excel and most exports write; a superset of Latin-1 for text): DuckDB
//      only reads UTF-8, UTF-16 and ISO-8859-1, which would turn € and curly quotes into control characters, so the
//      file is first transcoded to a UTF-8 temp file in 1 MB chunks;
//   2. stage: parse the CSV once, every column as VARCHAR, into a staging Parquet file in the temp directory;
//   3. type: one aggregate pass over the staging file decides a type per column (BIGINT, DOUBLE with '.' or ',' as
//      decimal mark, DATE, TIMESTAMP, BOOLEAN, else VARCHAR); code-like columns (leading zeros, identifier names such as
//      orgnr/komnr/postnummer) stay VARCHAR so "0301" never becomes 301. A second COPY writes the typed file, to a
//      temporary name first and then renamed, so a half-written table version is never visible.
// Each call uses its own connection, so calls may overlap; `close()` interrupts and closes them all.
import { createReadStream, createWriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
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
  EngineError,
  type ColumnInfo,
  type ConvertResult,
  type KeptAsTextReason,
  type CsvReadOptions,
  type ParquetDescription,
  type TableEngine,
  type TextEncodingName,
} from './index';

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
// Encoding detection

/** How many bytes at the end of `buf` start a UTF-8 sequence that continues in the next chunk. */
function incompleteUtf8Tail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    if (byte < 0xc0) return 0; // ASCII: the chunk ends on a boundary
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return need > back ? back : 0;
  }
  return 0;
}

export interface EncodingGuess {
  encoding: 'utf-8' | 'windows-1252' | 'utf-16le';
  /** True when the first bytes hold NUL characters and no UTF-16 byte-order mark: not a text file. */
  binary: boolean;
}

/**
 * Decides the encoding of a text file by streaming it through a strict UTF-8 validator: valid UTF-8 (with or without
 * BOM) is 'utf-8'; the first invalid sequence means a single-byte Norwegian encoding, read as 'windows-1252' (it
 * decodes Latin-1 text the same and adds €, curly quotes, dashes and Š/Ž/Œ in 0x80–0x9F). A UTF-16
 * byte-order mark gives 'utf-16'. The file is read in 1 MB chunks, never whole; reading stops at the first invalid byte.
 */
export async function detectEncoding(path: string): Promise<EncodingGuess> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
          return { encoding: 'utf-16le', binary: false };
        }
        if (chunk.subarray(0, 65_536).includes(0)) return { encoding: 'utf-8', binary: true };
      }
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const tail = incompleteUtf8Tail(buf);
      if (!isUtf8(buf.subarray(0, buf.length - tail))) return { encoding: 'windows-1252', binary: false };
      carry = Buffer.from(buf.subarray(buf.length - tail));
    }
  } finally {
    stream.destroy();
  }
  return { encoding: carry.length > 0 ? 'windows-1252' : 'utf-8', binary: false };
}

/**
 * Writes `target` as the UTF-8 text of `source` read in `encoding` (a WHATWG label, e.g. 'windows-1252'). Streams in
 * 1 MB chunks with a streaming TextDecoder, so the file is never held whole. Bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D,
 * unassigned in Windows-1252, become the control characters of the same number, as in Latin-1: nothing is lost.
 */
export async function transcodeToUtf8(source: string, target: string, encoding = 'windows-1252'): Promise<void> {
  const decoder = new TextDecoder(encoding);
  await pipeline(
    createReadStream(source, { highWaterMark: 1 << 20 }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
      const rest = decoder.decode();
      if (rest) yield Buffer.from(rest, 'utf8');
    },
    createWriteStream(target),
  );
}

const DELIMITERS = [';', ',', '\t', '|'];

/** How often `delim` occurs outside double quotes in `line`. */
function countOutsideQuotes(line: string, delim: string): number {
  let inQuotes = false;
  let count = 0;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === delim && !inQuotes) count++;
  }
  return count;
}

/**
 * Our own delimiter guess from the first lines: the candidate (; , TAB |) found in the first line that occurs the same
 * number of times on most lines. Used when DuckDB's sniffer settles on a delimiter the first line does not contain,
 * which it does for files with ragged rows (it then reads one column and hides the problem).
 */
export function guessDelimiter(sample: string): string | undefined {
  const lines = sample.split(/\r?\n/).slice(0, 30).filter((l) => l.trim() !== '');
  if (lines.length > 1 && !sample.endsWith('\n')) lines.pop(); // the last line may be cut off
  const first = lines[0];
  if (!first) return undefined;
  let best: { delim: string; agree: number; count: number } | undefined;
  for (const delim of DELIMITERS) {
    const count = countOutsideQuotes(first, delim);
    if (count === 0) continue;
    const agree = lines.filter((l) => countOutsideQuotes(l, delim) === count).length;
    if (!best || agree > best.agree || (agree === best.agree && count > best.count)) best = { delim, agree, count };
  }
  return best?.delim;
}

/**
 * The first line (of the sample) whose field count differs from the first line's, in words, e.g. "line 3 has 6
 * fields where line 1 has 3". Lines are counted naively (a quoted line break counts as one), so only used to explain
 * an error DuckDB has already raised.
 */
export function describeRaggedLine(sample: string, delimiter: string): string | undefined {
  const lines = sample.split(/\r?\n/);
  if (!sample.endsWith('\n')) lines.pop();
  const expected = countOutsideQuotes(lines[0] ?? '', delimiter) + 1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const fields = countOutsideQuotes(line, delimiter) + 1;
    if (fields !== expected) return `line ${i + 1} has ${fields} fields where line 1 has ${expected}`;
  }
  return undefined;
}

/** DuckDB's names for the encodings it reads itself; the others are transcoded to a UTF-8 temp copy first. */
type DuckEncoding = 'utf-8' | 'utf-16' | 'latin-1';
const DUCKDB_ENCODINGS: Partial<Record<TextEncodingName, DuckEncoding>> = { 'utf-8': 'utf-8', 'utf-16le': 'utf-16', 'iso-8859-1': 'latin-1' };

async function readHead(path: string, bytes: number, encoding: string): Promise<string> {
  const handle = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    const data = buf.subarray(0, bytesRead);
    // WHATWG's 'latin1' label means Windows-1252; DuckDB's latin-1 is ISO-8859-1, which Buffer decodes.
    if (encoding === 'latin-1') return data.toString('latin1');
    return new TextDecoder(encoding === 'utf-16' ? 'utf-16le' : encoding).decode(data);
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Column rules

const ID_TOKENS = new Set([
  'orgnr', 'orgno', 'orgnummer', 'organisasjonsnr', 'organisasjonsnummer',
  'komnr', 'kommnr', 'kommunenr', 'kommunenummer', 'kummunenr', 'knr',
  'fylkenr', 'fylkesnr', 'fylkesnummer', 'fylkenummer',
  'postnr', 'postnummer',
  'fnr', 'fodselsnr', 'fodselsnummer', 'personnr', 'personnummer', 'dnr', 'dnummer',
  'kontonr', 'kontonummer',
  'produsentnr', 'produsentnummer',
  'telefon', 'telefonnr', 'telefonnummer', 'tlf', 'mobil', 'mobilnr', 'mobilnummer',
  'kode', 'code',
]);
// Long stems that mark an identifier also at the end of a compound word ("foretaksorgnr", "leverandorkontonummer").
const ID_SUFFIXES = ['orgnr', 'organisasjonsnummer', 'kommunenr', 'kommunenummer', 'postnummer', 'kontonummer',
  'fodselsnummer', 'produsentnummer', 'telefonnummer'];

/**
 * The identifier word in a column name, if it has one (orgnr, komnr, kommunenummer, postnummer, fnr, kontonummer,
 * produsentnummer, telefon, kode …). Land-register numbers (gardsnr, bruksnr, festenr) are deliberately not
 * identifiers here: they never carry leading zeros and sort usefully as numbers. Amounts never match.
 */
export function identifierWord(columnName: string): string | undefined {
  const normalised = columnName
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  for (const token of normalised.split(/[^a-z0-9]+/)) {
    if (!token) continue;
    if (ID_TOKENS.has(token)) return token;
    if (ID_SUFFIXES.some((s) => token.endsWith(s))) return token;
  }
  return undefined;
}

const NUMBERISH = /^[+-]?\d[\d \u00a0.,]*$/;
const DATEISH = /^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}/;
const YEAR = /^(1[89]|20)\d\d$/;

/**
 * Whether the first row is a header, judged from the first rows read without one: a first row holding a number or a
 * date (other than a year, as in SSB's wide tables) is data — Bring's register starts "0001 OSLO 0301"; otherwise it is
 * a header. DuckDB's sniffer cannot tell when every column is text-like.
 */
export function looksLikeHeader(rows: (string | null)[][]): boolean {
  const first = rows[0];
  if (!first) return false;
  return !first.some((v) => {
    const t = v?.trim() ?? '';
    return t !== '' && (NUMBERISH.test(t) || DATEISH.test(t)) && !YEAR.test(t);
  });
}

// Regular expressions (RE2, full match) for the per-column type checks. Grouping marks for decimal-comma numbers are a
// space, a no-break space or a dot: "1 316 303,34", "1.316.303,34".
const RE = {
  leading: String.raw`0[0-9]+|\+[0-9 ]+`,
  intDot: String.raw`[+-]?[0-9]+`,
  decDot: String.raw`[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?`,
  intGrouped: String.raw`[+-]?[0-9]{1,3}([ \x{00A0}.][0-9]{3})+`,
  decComma: String.raw`[+-]?([0-9]+|[0-9]{1,3}([ \x{00A0}.][0-9]{3})+)(,[0-9]+)?`,
  dateIso: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}`,
  dateNo: String.raw`[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}`,
  timestamp: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?`,
};

const GROUP_MARKS = String.raw`[ \x{00A0}.]`;

/**
 * The shape classes a value falls in, most specific first. Number classes nest: every `int` is also a dot decimal and
 * a comma decimal; `decg` ("1.234") reads either as a dot decimal or as a dot-grouped whole number.
 */
const CLASSES = ['int', 'intbig', 'dec', 'decg', 'grp', 'grpbig', 'com', 'date', 'dateno', 'ts', 'bool'] as const;
type ValueClass = (typeof CLASSES)[number];

/**
 * One CASE expression that puts a trimmed value `v` in its class. CASE evaluates each branch only for the values that
 * reach it, so a value costs the first regex that matches, and text is sent off by its first character.
 */
function classSql(v: string): string {
  const m = (re: string) => `regexp_full_match(${v}, ${sqlString(re)})`;
  const ungrouped = `regexp_replace(${v}, ${sqlString(GROUP_MARKS)}, '', 'g')`;
  return `CASE
    WHEN ${v} IS NULL THEN NULL
    WHEN NOT (ascii(${v}) BETWEEN 48 AND 57 OR ascii(${v}) IN (43, 45, 46))
      THEN CASE WHEN lower(${v}) IN ('true', 'false') THEN 'bool' ELSE 'other' END
    WHEN ${m(RE.intDot)} THEN CASE WHEN TRY_CAST(${v} AS BIGINT) IS NOT NULL THEN 'int' ELSE 'intbig' END
    WHEN ${m(RE.intGrouped)}
      THEN CASE WHEN ${m(RE.decDot)} THEN 'decg' WHEN TRY_CAST(${ungrouped} AS BIGINT) IS NOT NULL THEN 'grp' ELSE 'grpbig' END
    WHEN ${m(RE.decDot)} THEN 'dec'
    WHEN ${m(RE.decComma)} THEN 'com'
    WHEN ${m(RE.dateIso)} THEN CASE WHEN TRY_CAST(${v} AS DATE) IS NOT NULL THEN 'date' ELSE 'other' END
    WHEN ${m(RE.dateNo)} THEN CASE WHEN try_strptime(${v}, '%d.%m.%Y') IS NOT NULL THEN 'dateno' ELSE 'other' END
    WHEN ${m(RE.timestamp)} THEN CASE WHEN TRY_CAST(${v} AS TIMESTAMP) IS NOT NULL THEN 'ts' ELSE 'other' END
    ELSE 'other' END`;
}

interface ColumnStats {
  raw: number; // non-null values as read
  n: number; // non-empty values after trimming
  leading: number; // values with a leading zero ("0301") or plus sign ("+47…")
  leadingExample: string | null;
  classes: Record<ValueClass, number>;
}

/** The aggregate expressions for one column over `r` (raw), `v` (trimmed, '' as NULL) and `k` (its class). */
function statsSql(r: string, v: string, k: string): string[] {
  const leading = `CASE WHEN ascii(${v}) IN (48, 43) THEN CASE WHEN regexp_full_match(${v}, ${sqlString(RE.leading)}) THEN ${v} END END`;
  return [`count(${r})`, `count(${v})`, `count(${leading})`, `any_value(${leading})`, `histogram(${k})`];
}

function readStats(values: unknown[]): ColumnStats {
  const num = (i: number) => Number(values[i] ?? 0);
  const example = values[3];
  const histogram = values[4];
  const counts = new Map<string, number>();
  if (histogram instanceof DuckDBMapValue) {
    for (const { key, value } of histogram.entries) counts.set(String(key), Number(value));
  }
  return {
    raw: num(0),
    n: num(1),
    leading: num(2),
    leadingExample: example === null || example === undefined ? null : String(example),
    classes: Object.fromEntries(CLASSES.map((cls) => [cls, counts.get(cls) ?? 0])) as Record<ValueClass, number>,
  };
}

interface ColumnPlan {
  info: ColumnInfo;
  /** SQL expression over the staging column that yields the typed value. */
  expr: string;
  usedDecimalComma: boolean;
}

function planColumn(name: string, s: ColumnStats, rows: number, opts: { allowComma: boolean; allowDot: boolean }): ColumnPlan {
  const c = sqlIdent(name);
  const v = `NULLIF(trim(${c}), '')`;
  const text = (keptAsText?: KeptAsTextReason): ColumnPlan => ({
    info: { name, type: 'VARCHAR', nullable: s.raw < rows, ...(keptAsText ? { keptAsText } : {}) },
    expr: c,
    usedDecimalComma: false,
  });
  const typed = (type: string, expr: string, usedDecimalComma = false): ColumnPlan => ({
    info: { name, type, nullable: s.n < rows },
    expr,
    usedDecimalComma,
  });
  const n = s.n;
  if (n === 0) return text();
  const k = s.classes;

  const ints = k.int + k.intbig;
  const allInt = opts.allowDot && ints === n;
  const allDot = opts.allowDot && ints + k.dec + k.decg === n;
  const allComma = opts.allowComma && ints + k.decg + k.grp + k.grpbig + k.com === n;
  if (allInt || allDot || allComma) {
    if (s.leading > 0) {
      const example = s.leadingExample ?? '';
      return text(example.startsWith('+') ? 'plus_sign' : 'leading_zeros');
    }
    const word = identifierWord(name);
    if (word) return text('identifier_name');
    if (allInt) return k.intbig === 0 ? typed('BIGINT', `CAST(${v} AS BIGINT)`) : text('too_large');
    if (allDot) return typed('DOUBLE', `CAST(${v} AS DOUBLE)`);
    // Decimal comma; spaces, no-break spaces and dots group thousands.
    const ungrouped = `regexp_replace(${v}, ${sqlString(GROUP_MARKS)}, '', 'g')`;
    if (k.com === 0) {
      return k.intbig + k.grpbig === 0 ? typed('BIGINT', `CAST(${ungrouped} AS BIGINT)`) : text('too_large');
    }
    return typed('DOUBLE', `CAST(replace(${ungrouped}, ',', '.') AS DOUBLE)`, true);
  }
  if (k.date === n) return typed('DATE', `CAST(${v} AS DATE)`);
  if (k.dateno === n) return typed('DATE', `CAST(strptime(${v}, '%d.%m.%Y') AS DATE)`);
  if (k.ts === n) return typed('TIMESTAMP', `CAST(${v} AS TIMESTAMP)`);
  if (k.bool === n) return typed('BOOLEAN', `(lower(${v}) = 'true')`);
  return text();
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

function duckMessage(err: unknown, paths: string[] = []): string {
  let text = err instanceof Error ? err.message : String(err);
  // Server paths mean nothing to the person who uploaded the file; keep the file name only.
  for (const p of paths) text = text.split(p).join(basename(p));
  // DuckDB's CSV errors run to a dozen lines of hints; the first lines say what went wrong.
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const short = lines.slice(0, 2).join(' ');
  return short.length > 400 ? `${short.slice(0, 400)}…` : short;
}

async function statFile(path: string, what: string): Promise<{ size: number }> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new EngineError('invalid_argument', `The ${what} path is not a file: ${basename(path)}`);
    return { size: st.size };
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('file_not_found', `The ${what} file does not exist: ${basename(path)}`, { path });
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

  /** The error to throw for a failed DuckDB call: closing the engine mid-call is not the file's fault. */
  function failure(err: unknown, otherwise: () => EngineError): EngineError {
    if (err instanceof EngineError) return err;
    if (closed) return new EngineError('engine_closed', 'The table engine was closed while the work was running.');
    return otherwise();
  }

  async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Record<string, DuckDBValue>[]> {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects();
  }

  async function sniffDelimiter(conn: DuckDBConnection, path: string, encoding: string, head: string): Promise<string> {
    let sniffed: string | undefined;
    try {
      const [row] = await rowsOf(conn, `SELECT Delimiter FROM sniff_csv(${sqlString(path)}, encoding = ${sqlString(encoding)}, all_varchar = true)`);
      sniffed = typeof row?.Delimiter === 'string' && row.Delimiter.length === 1 ? row.Delimiter : undefined;
    } catch {
      // Ragged or oddly quoted files defeat the sniffer; our own count below still names the delimiter, and reading
      // with it then reports what is wrong with the file.
    }
    const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
    if (sniffed && countOutsideQuotes(firstLine, sniffed) > 0) return sniffed;
    return guessDelimiter(head) ?? sniffed ?? ',';
  }

  async function csvToParquet(csvPath: string, parquetPath: string, readOpts: CsvReadOptions = {}): Promise<ConvertResult> {
    const { size } = await statFile(csvPath, 'CSV');
    if (size === 0) throw new EngineError('file_empty', 'The file is empty.');
    if (readOpts.delimiter !== undefined && (readOpts.delimiter.length !== 1 || /[\r\n"]/.test(readOpts.delimiter))) {
      throw new EngineError('invalid_argument', `The delimiter must be one character other than a quote or line break, got ${JSON.stringify(readOpts.delimiter)}.`);
    }
    const guess = await detectEncoding(csvPath);
    if (guess.binary && !readOpts.encoding) {
      throw new EngineError('file_not_text', 'The file is not valid CSV: it contains binary data, not text.');
    }
    const encoding = readOpts.encoding ?? guess.encoding;
    // DuckDB cannot read Windows-1252: it reads a UTF-8 copy, in a directory of its own under the same file name, so
    // DuckDB's messages name the file the publisher uploaded.
    const native = DUCKDB_ENCODINGS[encoding];
    const transcodedDir = native ? undefined : join(opts.tempDir, `utf8-${randomUUID()}`);
    const readPath = transcodedDir ? join(transcodedDir, basename(csvPath)) : csvPath;
    const readEncoding: DuckEncoding = native ?? 'utf-8';
    try {
      if (transcodedDir) {
        await mkdir(transcodedDir, { recursive: true });
        try {
          await transcodeToUtf8(csvPath, readPath, encoding);
        } catch (err) {
          throw new EngineError('engine_failed', `Converting the file from ${encoding} to UTF-8 failed: ${duckMessage(err, [readPath, csvPath])}`);
        }
      }
      return await convertText({ csvPath, readPath, readEncoding, encoding, size }, parquetPath, readOpts);
    } finally {
      if (transcodedDir) await rm(transcodedDir, { recursive: true, force: true });
    }
  }

  /**
   * csvToParquet once the encoding is settled: DuckDB reads `readPath` in `readEncoding` (a UTF-8 copy of a
   * Windows-1252 upload, otherwise the upload itself); `encoding` is the upload's, reported as detected.
   */
  async function convertText(
    source: { csvPath: string; readPath: string; readEncoding: DuckEncoding; encoding: TextEncodingName; size: number },
    parquetPath: string,
    readOpts: CsvReadOptions,
  ): Promise<ConvertResult> {
    const { csvPath, readPath, readEncoding, encoding, size } = source;
    const head = await readHead(readPath, 65_536, readEncoding);
    if (size <= 65_536 && head.replace(/^\uFEFF/, '').trim() === '') throw new EngineError('file_empty', 'The file is empty: it holds only blank lines.');
    const src = sqlString(readPath);
    const paths = [readPath, csvPath];
    const staging = join(opts.tempDir, `staging-${randomUUID()}.parquet`);
    const target = join(dirname(parquetPath), `.${basename(parquetPath)}.${randomUUID()}.tmp`);

    return withConnection(async (conn) => {
      try {
        // 1. Sniff.
        let delimiter: string | undefined;
        let header: boolean;
        try {
          delimiter = readOpts.delimiter ?? (await sniffDelimiter(conn, readPath, readEncoding, head));
          const csvArgs = `delim = ${sqlString(delimiter)}, encoding = ${sqlString(readEncoding)}, all_varchar = true`;
          if (readOpts.header !== undefined) {
            header = readOpts.header;
          } else {
            const reader = await conn.runAndReadAll(`SELECT * FROM read_csv(${src}, ${csvArgs}, header = false) LIMIT 50`);
            header = looksLikeHeader(reader.getRowsJS() as (string | null)[][]);
          }
          // 2. Stage: parse once, all text.
          await conn.run(`COPY (SELECT * FROM read_csv(${src}, ${csvArgs}, header = ${header})) TO ${sqlString(staging)} (FORMAT parquet, COMPRESSION uncompressed)`);
        } catch (err) {
          throw failure(err, () => {
            const ragged = delimiter === undefined ? undefined : describeRaggedLine(head, delimiter);
            const why = ragged ? `${ragged} (separated by ${JSON.stringify(delimiter)}).` : duckMessage(err, paths);
            return new EngineError('invalid_csv', `The file is not valid CSV: ${why}`);
          });
        }
        const stagingSrc = `read_parquet(${sqlString(staging)})`;
        const names = (await rowsOf(conn, `SELECT column_name FROM (DESCRIBE SELECT * FROM ${stagingSrc})`)).map((r) => String(r.column_name));
        if (names.length === 0) throw new EngineError('invalid_csv', 'The file is not valid CSV: no columns were found.');

        // 3. Type each column from one aggregate pass.
        const inner = names.map((name, i) => `${sqlIdent(name)} AS r${i}, NULLIF(trim(${sqlIdent(name)}), '') AS v${i}`);
        const classed = names.map((_, i) => `r${i}, v${i}, ${classSql(`v${i}`)} AS k${i}`);
        const perColumn = names.map((_, i) => statsSql(`r${i}`, `v${i}`, `k${i}`));
        const selects = [`count(*) AS rows`, ...perColumn.flatMap((exprs, i) => exprs.map((e, j) => `${e} AS s${i}_${j}`))];
        const [agg] = await rowsOf(conn, `SELECT ${selects.join(', ')} FROM (SELECT ${classed.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${stagingSrc}))`);
        if (!agg) throw new EngineError('engine_failed', 'The column statistics query returned nothing.');
        const rows = Number(agg.rows);
        const allowComma = readOpts.decimalSeparator === ',' || (readOpts.decimalSeparator === undefined && delimiter !== ',');
        const allowDot = readOpts.decimalSeparator !== ',';
        const plans = names.map((name, i) => {
          const stats = readStats(perColumn[i]!.map((_, j) => agg[`s${i}_${j}`]));
          return planColumn(name, stats, rows, { allowComma, allowDot });
        });

        const projection = plans.map((p) => `${p.expr} AS ${sqlIdent(p.info.name)}`).join(', ');
        try {
          await conn.run(`COPY (SELECT ${projection} FROM ${stagingSrc}) TO ${sqlString(target)} (FORMAT parquet)`);
        } catch (err) {
          throw failure(err, () => new EngineError('engine_failed', `Writing the typed Parquet file failed: ${duckMessage(err)}`));
        }
        await rename(target, parquetPath);
        const usedComma = plans.some((p) => p.usedDecimalComma);
        return {
          rowCount: rows,
          columns: plans.map((p) => p.info),
          detected: { encoding, delimiter, quote: '"', header, skipLines: 0, commentPrefix: '', decimalSeparator: usedComma ? ',' : '.', thousandsSeparator: '' },
          recordCount: rows,
          skipped: [],
        };
      } catch (err) {
        throw failure(err, () => new EngineError('engine_failed', `Converting the file failed: ${duckMessage(err, paths)}`));
      } finally {
        await rm(staging, { force: true });
        await rm(target, { force: true });
      }
    });
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
      throw failure(err, () => new EngineError('invalid_parquet', `The file is not a valid Parquet file: ${duckMessage(err, [parquetPath])}`));
    }
  }

  async function readRows(parquetPath: string, page: { offset: number; limit: number }): Promise<Record<string, unknown>[]> {
    const { offset, limit } = page;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new EngineError('invalid_argument', `offset must be a whole number ≥ 0, got ${offset}.`);
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_PAGE_ROWS) {
      throw new EngineError('invalid_argument', `limit must be a whole number from 0 to ${MAX_PAGE_ROWS}, got ${limit}.`);
    }
    await statFile(parquetPath, 'Parquet');
    if (limit === 0) return [];
    return withConnection(async (conn) => {
      const src = sqlString(parquetPath);
      let names: string[];
      try {
        names = (await rowsOf(conn, `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${src}))`)).map((r) => String(r.column_name));
      } catch (err) {
        throw failure(err, () => new EngineError('invalid_parquet', `The file is not a valid Parquet file: ${duckMessage(err, [parquetPath])}`));
      }
      // file_row_number is the row's position in the file: filtering on it reads only the row groups of the page and
      // gives file order regardless of threads. A table with its own column of that name falls back to LIMIT/OFFSET,
      // which keeps file order because insertion order is preserved.
      const sql = names.includes('file_row_number')
        ? `SELECT * FROM read_parquet(${src}) LIMIT ${limit} OFFSET ${offset}`
        : `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${src}, file_row_number = true)
           WHERE file_row_number >= ${offset} AND file_row_number < ${offset + limit} ORDER BY file_row_number`;
      let reader;
      try {
        reader = await conn.runAndReadAll(sql);
      } catch (err) {
        throw failure(err, () => new EngineError('engine_failed', `Reading rows failed: ${duckMessage(err, [parquetPath])}`));
      }
      const columnNames = reader.columnNames();
      return reader.getRows().map((row) => {
        const out: Record<string, unknown> = {};
        columnNames.forEach((name, i) => { out[name] = toJsonValue(row[i] as DuckDBValue); });
        return out;
      });
    });
  }

  return {
    csvToParquet,
    readRows,
    describeParquet: (parquetPath) => withConnection((conn) => describeWith(conn, parquetPath)),
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
