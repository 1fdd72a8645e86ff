// JSON and NDJSON in: records → the staging CSV (./staging.ts) the CSV path types, streamed, memory bounded.
//
// Hand-written splitter, because no streaming JSON parser is installed (../shared/STACK.md) and DuckDB's read_json
// decides records, columns and types by sampling: a byte-level state machine finds each element of the top-level
// array (strings and escapes honoured; only depth is tracked, not values), and JSON.parse reads one element at a time,
// so memory is bounded by the largest record (MAX_RECORD_BYTES). NDJSON is one object a line; blank lines are skipped
// and reported. The text must be UTF-8 (RFC 8259): invalid bytes fail, never become U+FFFD.
//
// Two passes over the file: the first collects the union of the keys (in order of first appearance) and checks every
// record; the second writes the rows. Rules:
//   - nested objects are flattened with dotted names: {"a": {"b": 1}} → column "a.b"; an empty object is null;
//   - arrays are kept as JSON text in a VARCHAR column (`nested_as_json`, with the columns and first records);
//   - a record without some of the columns gets nulls there (`missing_keys`, with the columns and first records);
//   - numbers with more than 15 digits are kept as the digits written, as text (a double would round them);
//   - JSON numbers, booleans and strings keep their kinds: a column of numbers is numeric, a column of strings goes
//     through the CSV column rules ("0301" stays text, "2022-01-31" is a date).
import { createReadStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { columnNames } from './dialect';
import { EngineError, type CsvReadOptions, type IngestNote, type SkippedLines } from './index';
import { numberCell, StagingWriter, type FixedColumn, type StagedCell } from './staging';

/** The longest record (an array element or an NDJSON line), in bytes. */
export const MAX_JSON_RECORD_BYTES = 32 * 1024 * 1024;
const MAX_LISTED = 100;

export interface JsonRecord {
  value: Record<string, unknown>;
  /** The line the record starts on (1-based). */
  line: number;
  /** The record's number (1-based). */
  index: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(buf: Buffer, line: number): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new EngineError('encoding_unsupported', `The file is not valid UTF-8 (JSON must be UTF-8), in the record starting on line ${line}.`, { reason: 'not_utf8', line });
  }
}

/** Puts number literals of more than 15 digits (outside strings) in quotes, so JSON.parse keeps their digits. */
export function quoteLongNumbers(text: string): string {
  let out = '';
  let i = 0;
  let from = 0;
  let inString = false;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
      i++;
      continue;
    }
    if (ch === 34) { inString = true; i++; continue; }
    if (ch === 45 || (ch >= 48 && ch <= 57)) {
      let j = i;
      while (j < text.length && /[-+0-9.eE]/.test(text[j] as string)) j++;
      const token = text.slice(i, j);
      if ((token.match(/[0-9]/g)?.length ?? 0) > 15) {
        out += `${text.slice(from, i)}"${token}"`;
        from = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return from === 0 ? text : out + text.slice(from);
}

function parseRecord(text: string, line: number, index: number): Record<string, unknown> {
  let value: unknown;
  const source = /\d{16}/.test(text) ? quoteLongNumbers(text) : text;
  try {
    value = JSON.parse(source);
  } catch (err) {
    const pos = Number(/position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1] ?? NaN);
    let l = line;
    let col = 1;
    if (Number.isFinite(pos)) {
      const before = text.slice(0, pos);
      const breaks = before.split('\n');
      l = line + breaks.length - 1;
      col = (breaks[breaks.length - 1] as string).length + 1;
    }
    throw new EngineError('json_invalid', `The file is not valid JSON near line ${l}, column ${col} (record ${index}).`, { line: l, column: col });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EngineError('json_not_objects', `Record ${index} (line ${line}) is not a JSON object; a table needs one object per row.`, { line, record: index });
  }
  return value as Record<string, unknown>;
}

/** Whether the file is a JSON array ('json') or one object a line ('ndjson'), from its first character. */
export async function jsonShape(path: string): Promise<'json' | 'ndjson'> {
  const fh = await openFile(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    let line = 1;
    let col = 1;
    while (i < bytesRead && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) {
      if (head[i] === 0x0a) { line++; col = 1; } else col++;
      i++;
    }
    if (head[i] === 0x5b) return 'json';
    if (head[i] === 0x7b) return 'ndjson';
    throw new EngineError('json_not_array', `The JSON file is not an array of objects nor one object a line (line ${line}, column ${col}).`, { line, column: col });
  } finally {
    await fh.close();
  }
}

/** The records of an NDJSON file; blank lines go to `blank`. */
async function* ndjsonRecords(path: string, blank: { add(line: number): void }): AsyncGenerator<JsonRecord> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let line = 0;
  let index = 0;
  const one = (buf: Buffer): JsonRecord | undefined => {
    line++;
    let b = buf;
    if (line === 1 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    if (b.length > 0 && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    const text = decode(b, line);
    if (text.trim() === '') { blank.add(line); return undefined; }
    index++;
    if (index === 1 && !text.trim().startsWith('{')) {
      throw new EngineError('json_not_objects', `Record 1 (line ${line}) is not a JSON object; a table needs one object per row.`, { line, record: 1 });
    }
    if (index === 1) {
      try {
        JSON.parse(/\d{16}/.test(text) ? quoteLongNumbers(text) : text);
      } catch {
        // The first line is no complete value: one object spread over lines (pretty-printed), not NDJSON.
        throw new EngineError('json_not_array', 'The JSON file is one object spread over several lines, not an array of objects nor one object a line (line 1, column 1).', { line: 1, column: 1 });
      }
    }
    return { value: parseRecord(text, line, index), line, index };
  };
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        parts.push(chunk.subarray(from, nl));
        const rec = one(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
        parts = [];
        partBytes = 0;
        from = nl + 1;
        if (rec) yield rec;
      }
      if (from < chunk.length) {
        parts.push(chunk.subarray(from));
        partBytes += chunk.length - from;
        if (partBytes > MAX_JSON_RECORD_BYTES) {
          throw new EngineError('field_too_long', `A line of the file (line ${line + 1}) is longer than the service reads (${MAX_JSON_RECORD_BYTES / 2 ** 20} MB).`, { limitMb: MAX_JSON_RECORD_BYTES / 2 ** 20, rowLimitMb: MAX_JSON_RECORD_BYTES / 2 ** 20, line: line + 1 });
        }
      }
    }
    if (parts.length > 0) {
      const rec = one(Buffer.concat(parts));
      if (rec) yield rec;
    }
  } finally {
    stream.destroy();
  }
}

/** The elements of a top-level JSON array, each an object. */
async function* arrayRecords(path: string): AsyncGenerator<JsonRecord> {
  type State = 'start' | 'first' | 'before' | 'after' | 'in' | 'end';
  let state: State = 'start';
  let line = 1;
  let col = 0;
  let depth = 0;
  let inString = false;
  let escape = false;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let startLine = 0;
  let index = 0;
  let bomChecked = false;
  const invalid = () => new EngineError('json_invalid', `The file is not valid JSON near line ${line}, column ${col}.`, { line, column: col });
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      let chunk = raw;
      if (!bomChecked) {
        bomChecked = true;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      }
      let from = state === 'in' ? 0 : -1;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        if (b === 0x0a) { line++; col = 0; } else col++;
        if (state === 'in') {
          if (inString) {
            if (escape) escape = false;
            else if (b === 0x5c) escape = true;
            else if (b === 0x22) inString = false;
            continue;
          }
          if (b === 0x22) inString = true;
          else if (b === 0x7b || b === 0x5b) depth++;
          else if (b === 0x7d || b === 0x5d) {
            depth--;
            if (depth === 0) {
              parts.push(chunk.subarray(from, i + 1));
              const buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
              parts = [];
              partBytes = 0;
              state = 'after';
              yield { value: parseRecord(decode(buf, startLine), startLine, index), line: startLine, index };
            }
          }
          continue;
        }
        if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
        if (state === 'start') {
          if (b !== 0x5b) throw new EngineError('json_not_array', `The JSON file is not an array of objects (line ${line}, column ${col}).`, { line, column: col });
          state = 'first';
        } else if (state === 'first' || state === 'before') {
          if (state === 'first' && b === 0x5d) { state = 'end'; continue; }
          index++;
          if (b !== 0x7b) throw new EngineError('json_not_objects', `Record ${index} (line ${line}) is not a JSON object; a table needs one object per row.`, { line, record: index });
          state = 'in';
          depth = 1;
          startLine = line;
          from = i;
        } else if (state === 'after') {
          if (b === 0x2c) state = 'before';
          else if (b === 0x5d) state = 'end';
          else throw invalid();
        } else {
          throw invalid();
        }
      }
      if (state === 'in') {
        parts.push(chunk.subarray(Math.max(0, from)));
        partBytes += chunk.length - Math.max(0, from);
        if (partBytes > MAX_JSON_RECORD_BYTES) {
          throw new EngineError('field_too_long', `Record ${index} (line ${startLine}) is longer than the service reads (${MAX_JSON_RECORD_BYTES / 2 ** 20} MB).`, { limitMb: MAX_JSON_RECORD_BYTES / 2 ** 20, rowLimitMb: MAX_JSON_RECORD_BYTES / 2 ** 20, line: startLine });
        }
      }
    }
  } finally {
    stream.destroy();
  }
  const final = state as State;
  if (final !== 'end') {
    if (final === 'start') throw new EngineError('file_empty', 'The file is empty: it holds only white space.', {});
    throw new EngineError('json_invalid', `The file is not valid JSON: it ends before the array is closed (line ${line}, column ${col}).`, { line, column: col });
  }
}

/** Flattens one record: nested objects with dotted names, arrays as JSON text. */
export function flattenRecord(obj: Record<string, unknown>, out: Map<string, StagedCell | null> = new Map(), prefix = ''): Map<string, StagedCell | null> {
  for (const [k, v] of Object.entries(obj)) {
    let name = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      flattenRecord(v as Record<string, unknown>, out, name);
      continue;
    }
    // {"a.b": 1, "a": {"b": 2}}: the second "a.b" gets a suffix instead of replacing the first.
    for (let n = 2; out.has(name); n++) name = `${prefix === '' ? k : `${prefix}.${k}`}_${n}`;
    if (v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v))) out.set(name, null);
    else if (Array.isArray(v)) out.set(name, { kind: 'json', text: JSON.stringify(v) });
    else if (typeof v === 'number') out.set(name, numberCell(v));
    else if (typeof v === 'boolean') out.set(name, { kind: 'bool', text: v ? 'true' : 'false' });
    else out.set(name, String(v) === '' ? null : { kind: 'text', text: String(v) });
  }
  return out;
}

class LineList {
  count = 0;
  lines: number[] = [];
  add(line: number): void {
    this.count++;
    if (this.lines.length < MAX_LISTED) this.lines.push(line);
  }
}

export interface JsonStaged {
  format: 'json' | 'ndjson';
  csvPath: string;
  names: string[];
  fixed: Map<number, FixedColumn>;
  rows: number;
  recordCount: number;
  skipped: SkippedLines[];
  notes: IngestNote[];
  detected: CsvReadOptions;
}

export async function stageJson(path: string, { opts, csvPath, maxColumns }: { opts: CsvReadOptions; csvPath: string; maxColumns: number }): Promise<JsonStaged> {
  const format = await jsonShape(path);
  const blank = new LineList();
  const records = () => (format === 'json' ? arrayRecords(path) : ndjsonRecords(path, blank));

  // Pass 1: the union of the keys.
  const order = new Map<string, number>();
  const presence: number[] = [];
  let count = 0;
  for await (const rec of records()) {
    count++;
    for (const name of flattenRecord(rec.value).keys()) {
      let i = order.get(name);
      if (i === undefined) {
        i = order.size;
        order.set(name, i);
        presence.push(0);
        if (order.size > maxColumns) {
          throw new EngineError('too_many_columns', `The records have more than ${maxColumns} different keys; a table can have at most ${maxColumns} columns.`, { columns: order.size, limit: maxColumns });
        }
      }
      presence[i] = (presence[i] as number) + 1;
    }
  }
  if (count === 0 || order.size === 0) throw new EngineError('file_empty', 'The file holds no records with values.', { lines: blank.count });
  const keys = [...order.keys()];
  const names = columnNames(keys, keys.length);

  // Pass 2: the rows.
  const blankLines = blank.count;
  blank.count = 0;
  blank.lines = [];
  const writer = new StagingWriter(csvPath, names);
  const missing = new LineList();
  const nested = new LineList();
  const nestedCols = new Set<number>();
  let written = 0;
  try {
    for await (const rec of records()) {
      const flat = flattenRecord(rec.value);
      const cells: (StagedCell | null)[] = new Array<StagedCell | null>(names.length).fill(null);
      let hasNested = false;
      for (const [name, cell] of flat) {
        const i = order.get(name);
        if (i === undefined) throw new EngineError('record_count_mismatch', 'The file changed while it was read.', { expected: count, read: written });
        cells[i] = cell;
        if (cell?.kind === 'json') { hasNested = true; nestedCols.add(i); }
      }
      if (flat.size < names.length) missing.add(rec.index);
      if (hasNested) nested.add(rec.index);
      await writer.write(cells);
      written++;
    }
    await writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
  if (written !== count || blank.count !== blankLines) {
    throw new EngineError('record_count_mismatch', `The file holds ${count} records by our first count, but ${written} were read.`, { expected: count, read: written });
  }
  const notes: IngestNote[] = [];
  if (missing.count > 0) {
    notes.push({ reason: 'missing_keys', count: missing.count, lines: missing.lines, columns: names.filter((_, i) => (presence[i] as number) < count).slice(0, MAX_LISTED) });
  }
  if (nested.count > 0) {
    notes.push({ reason: 'nested_as_json', count: nested.count, lines: nested.lines, columns: [...nestedCols].sort((a, b) => a - b).map((i) => names[i] as string).slice(0, MAX_LISTED) });
  }
  return {
    format,
    csvPath,
    names,
    fixed: writer.fixedColumns(),
    rows: written,
    recordCount: count + blank.count,
    skipped: blank.count > 0 ? [{ reason: 'blank', count: blank.count, lines: blank.lines }] : [],
    notes,
    detected: { header: true, ...(opts.columnTypes ? { columnTypes: { ...opts.columnTypes } } : {}) },
  };
}
