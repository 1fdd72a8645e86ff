// Reads Enhetsregisteret's bulk download (enheter_alle.json.gz / underenheter_alle.json.gz: every unit as one JSON
// array, about a million records and well over a gigabyte uncompressed) as a stream of mapped records, one at a time.
// A gzipped file is recognised by its magic bytes, so plain .json works too. Memory stays at one record.
//
// Why the array splitter is hand-written: JSON.parse needs the whole text, and no streaming JSON parser is installed
// (stream-json and friends are not dependencies). The splitter below does not parse JSON; it only finds where each
// top-level element begins and ends (tracking strings, escapes and bracket depth) and hands that element's text to
// JSON.parse, which alone decides whether the record is valid. Separators between elements are checked, so a file
// that is not one JSON array — or ends before the array is closed — is an error, never a silent partial read.
import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { mapRegistryRecord, type RegistryUnit } from './record';

export type SkipReason = 'invalid_json' | 'record_too_large' | 'not_an_object' | 'missing_orgnr' | 'invalid_orgnr' | 'missing_name';

export type BulkItem = { index: number; unit: RegistryUnit } | { index: number; skipped: SkipReason };

/** The file as a whole is unreadable: not gzip/JSON, not an array, or cut short. */
export class RegistryFileError extends Error {
  override name = 'RegistryFileError';
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d, 0xfeff]);

interface SplitState {
  phase: 'start' | 'between' | 'element' | 'end';
  afterElement: boolean; // between: the last thing seen was an element (a comma or ] may follow)
  afterComma: boolean;
  depth: number;
  inString: boolean;
  escape: boolean;
  scalar: boolean;
  carry: string;
  carryLen: number;
  tooLarge: boolean;
  offset: number; // characters consumed before this chunk, for messages
}

type Piece = { text: string } | { tooLarge: true };

function* splitChunk(chunk: string, st: SplitState, maxChars: number): Generator<Piece> {
  const n = chunk.length;
  let start = st.phase === 'element' ? 0 : -1;
  const fail = (i: number, what: string): never => {
    throw new RegistryFileError(`${what} at character ${st.offset + i}.`);
  };
  const finish = (end: number): Piece => {
    const piece: Piece = st.tooLarge ? { tooLarge: true } : { text: st.carry + chunk.slice(start, end) };
    st.phase = 'between';
    st.afterElement = true;
    st.afterComma = false;
    st.carry = '';
    st.carryLen = 0;
    st.tooLarge = false;
    start = -1;
    return piece;
  };
  let i = 0;
  while (i < n) {
    const c = chunk.charCodeAt(i);
    if (st.phase === 'element') {
      if (st.inString) {
        if (st.escape) st.escape = false;
        else if (c === 0x5c) st.escape = true;
        else if (c === 0x22) st.inString = false;
        else {
          // Jump to the next quote or backslash: most of the file is string content.
          let q = chunk.indexOf('"', i + 1);
          let b = chunk.indexOf('\\', i + 1);
          if (q < 0) q = n;
          if (b < 0) b = n;
          i = Math.min(q, b);
          continue;
        }
        i++;
        continue;
      }
      if (st.scalar) {
        if (c === 0x2c || c === 0x5d || WS.has(c)) {
          yield finish(i);
          continue; // the separator is handled in the 'between' phase
        }
        if (c === 0x22) st.inString = true;
        i++;
        continue;
      }
      if (c === 0x22) st.inString = true;
      else if (c === 0x7b || c === 0x5b) st.depth++;
      else if (c === 0x7d || c === 0x5d) {
        st.depth--;
        if (st.depth === 0) {
          i++;
          yield finish(i);
          continue;
        }
      }
      i++;
      continue;
    }
    if (WS.has(c)) {
      i++;
      continue;
    }
    if (st.phase === 'start') {
      if (c !== 0x5b) fail(i, 'Expected a JSON array of units ("[")');
      st.phase = 'between';
      i++;
      continue;
    }
    if (st.phase === 'end') fail(i, 'Unexpected data after the end of the array');
    // between elements
    if (c === 0x5d) {
      if (st.afterComma) fail(i, 'A comma is followed by "]"');
      st.phase = 'end';
      i++;
      continue;
    }
    if (c === 0x2c) {
      if (!st.afterElement) fail(i, 'Unexpected comma');
      st.afterElement = false;
      st.afterComma = true;
      i++;
      continue;
    }
    if (st.afterElement) fail(i, 'Expected "," or "]" between records');
    st.phase = 'element';
    st.depth = c === 0x7b || c === 0x5b ? 1 : 0;
    st.scalar = st.depth === 0;
    st.inString = c === 0x22;
    st.escape = false;
    start = i;
    i++;
  }
  if (st.phase === 'element' && start >= 0) {
    const rest = n - start;
    if (st.tooLarge || st.carryLen + rest > maxChars) {
      st.tooLarge = true;
      st.carry = '';
      st.carryLen = 0;
    } else {
      st.carry += chunk.slice(start);
      st.carryLen += rest;
    }
  }
  st.offset += n;
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Streams the units of a bulk file. `kind` says whether the file holds enheter or underenheter. Records that are not
 * valid JSON, too large, or lack an orgnr or a name are yielded as skipped with a reason; a file that is not one JSON
 * array throws RegistryFileError (after the records before the fault were yielded).
 */
export async function* readRegistryFile(file: string, opts: { kind?: RegistryUnit['kind']; maxRecordChars?: number } = {}): AsyncGenerator<BulkItem> {
  const kind = opts.kind ?? 'enhet';
  const maxChars = opts.maxRecordChars ?? 1024 * 1024;
  const gz = await isGzip(file);
  const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const stream = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on('error', (err) => stream.destroy(err));
  stream.setEncoding('utf8');
  const st: SplitState = { phase: 'start', afterElement: false, afterComma: false, depth: 0, inString: false, escape: false, scalar: false, carry: '', carryLen: 0, tooLarge: false, offset: 0 };
  let index = 0;
  const item = (piece: Piece): BulkItem => {
    const at = index++;
    if ('tooLarge' in piece) return { index: at, skipped: 'record_too_large' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(piece.text);
    } catch {
      return { index: at, skipped: 'invalid_json' };
    }
    const mapped = mapRegistryRecord(parsed, kind);
    return 'unit' in mapped ? { index: at, unit: mapped.unit } : { index: at, skipped: mapped.problem };
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      for (const piece of splitChunk(chunk, st, maxChars)) yield item(piece);
    }
  } catch (err) {
    if (err instanceof RegistryFileError) throw err;
    const code = (err as { code?: string }).code;
    throw new RegistryFileError(gz ? `The gzip file cannot be read (${code ?? (err as Error).message}).` : `The file cannot be read (${code ?? (err as Error).message}).`);
  } finally {
    stream.destroy();
  }
  if (st.phase === 'element' && st.scalar && !st.inString) {
    // A bare scalar at the very end: the array was never closed either; report it before the error below.
    yield item({ text: st.carry });
    st.phase = 'between';
  }
  if (st.phase === 'start') throw new RegistryFileError('The file is empty; expected a JSON array of units.');
  if (st.phase !== 'end') throw new RegistryFileError('The file ends before the JSON array is closed (truncated download?).');
}
