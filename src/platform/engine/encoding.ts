// What kind of file an upload is, and which text encoding it is in — decided from the bytes, streamed, never the whole
// file in memory.
//
// Encoding: a byte-order mark decides UTF-8/UTF-16LE/UTF-16BE. Otherwise the whole file is streamed through a strict
// UTF-8 validator that also notes the first invalid sequence and whether valid multi-byte sequences occur: all valid
// is UTF-8; invalid sequences beside valid multi-byte UTF-8 mean a file of mixed encodings, refused with the line of
// the first bad sequence. A file with no valid UTF-8 at all is a single-byte encoding: when its non-ASCII bytes are
// the Western European letters and punctuation Norwegian text uses (æøå, é, €, “”, –) it is Windows-1252 (a superset
// of Latin-1 for text); otherwise the charset detector (chardet, a maintained port of ICU's detector) names it, and only
// Greek (ISO-8859-7) is read — anything else is refused rather than mis-decoded.
import { createReadStream, createWriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { isAscii, isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import { EngineError, type FileKind, type TextEncodingName } from './index';


async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * What a file is, by its content (for `.tab`, `.txt` and files without an extension): spreadsheets, JSON, Parquet,
 * PDF and archives by their signatures; text (any encoding we read, including UTF-16 with a byte-order mark) is
 * 'delimited-text'; NUL bytes or control characters otherwise make it 'binary'.
 */
export async function sniffFileKind(path: string): Promise<FileKind> {
  const head = await readHead(path, 65_536);
  return kindOfBytes(head);
}

export function kindOfBytes(head: Buffer): FileKind {
  if (head.length === 0) return 'empty';
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'delimited-text';
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    const text = head.toString('latin1');
    if (text.includes('xl/')) return 'xlsx';
    if (text.includes('opendocument.spreadsheet')) return 'ods';
    return 'zip';
  }
  if (starts(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return 'xls';
  if (starts(0x50, 0x41, 0x52, 0x31)) return 'parquet';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'pdf';
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (head.includes(0)) return 'binary';
  let controls = 0;
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) controls++;
  if (controls > 0 && controls * 100 > head.length) return 'binary';
  let i = starts(0xef, 0xbb, 0xbf) ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x7b || head[i] === 0x5b) {
    // '{' or '[' first: JSON when the text parses or looks like the start of an object/array of objects.
    const text = head.subarray(i).toString('utf8');
    if (/^\{\s*"/.test(text) || /^\[\s*(\{|"|\[|-?\d|true|false|null|\])/.test(text)) return 'json';
  }
  return 'delimited-text';
}

/** Whether NUL bytes sit in every other position of mostly-ASCII text: UTF-16 that lost (or never had) its BOM. */
export async function looksLikeUtf16WithoutBom(path: string): Promise<boolean> {
  const head = await readHead(path, 4096);
  const pairs = Math.floor(head.length / 2);
  if (pairs < 2) return false;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  return Math.max(evenNul, oddNul) >= pairs * 0.6 && Math.min(evenNul, oddNul) <= pairs * 0.05;
}

export interface EncodingVerdict {
  encoding: TextEncodingName;
  /** Bytes of a byte-order mark at the start. */
  bom: number;
  /** For single-byte encodings: the line of the first byte that is not UTF-8. */
  firstNonUtf8Line?: number;
}

/** How many bytes at the end of `buf` start a UTF-8 sequence that continues in the next chunk. */
function incompleteUtf8Tail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte < 0xc0) return 0;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return need > back ? back : 0;
  }
  return 0;
}

/** The length of the valid UTF-8 sequence at `i` (1 for ASCII), or 0 if the bytes there are not valid UTF-8. */
function utf8SequenceLength(buf: Buffer, i: number): number {
  const b0 = buf[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number) => i + k < buf.length && ((buf[i + k] as number) & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = buf[i + 1] as number;
    if (b0 === 0xe0 && b1 < 0xa0) return 0;
    if (b0 === 0xed && b1 >= 0xa0) return 0; // surrogates
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = buf[i + 1] as number;
    if (b0 === 0xf0 && b1 < 0x90) return 0;
    if (b0 === 0xf4 && b1 >= 0x90) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Windows-1252 bytes Norwegian (and other Western European) text uses: the Latin-1 letters À–ÿ, « » ° § ½ and the
// cp1252 punctuation € ‚ „ … – — ‘ ’ “ ” • and Š/Ž/Œ.
function isWesternByte(b: number): boolean {
  if (b >= 0xc0) return true;
  return [0x80, 0x82, 0x84, 0x85, 0x8a, 0x8c, 0x8e, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x9a, 0x9c, 0x9e, 0x9f,
    0xa0, 0xa7, 0xab, 0xb0, 0xb2, 0xb3, 0xb4, 0xb5, 0xb7, 0xbb, 0xbd, 0xa3, 0xa9, 0xae, 0xb1, 0xb9, 0xbc, 0xbe, 0xbf,
    0xa1, 0xa2, 0xa4, 0xa5, 0xa6, 0xa8, 0xaa, 0xac, 0xad, 0xaf, 0xb6, 0xb8, 0xba].includes(b);
}

/** Letters that Norwegian/Western text is made of, as single bytes in Latin-1/cp1252: æ ø å Æ Ø Å é è ü ö ä Ä Ö Ü. */
const NORDIC_LETTERS = new Set([0xe6, 0xf8, 0xe5, 0xc6, 0xd8, 0xc5, 0xe9, 0xe8, 0xfc, 0xf6, 0xe4, 0xc4, 0xd6, 0xdc, 0xe1, 0xf3, 0xed, 0xc9]);

/**
 * Decides the encoding of a text file (see the top of this file). Throws EngineError `encoding_unsupported` for mixed
 * or unrecognised encodings and UTF-16 without a byte-order mark, with `line` where it helps.
 */
export async function detectEncoding(path: string): Promise<EncodingVerdict> {
  const head = await readHead(path, 4);
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;

  let line = 1;
  let firstBadLine = 0;
  let firstMultiByteLine = 0;
  let nonAscii = 0;
  let western = 0;
  let nordic = 0;
  let inRuns = 0;
  let run = 0;
  let lastHigh = -2;
  const sample: Buffer[] = [];
  let sampled = 0;
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0; // of `buf` in the file
  let linesCounted = true;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      offset -= carry.length;
      const tail = incompleteUtf8Tail(buf);
      const end = buf.length - tail;
      let sawNonAscii = false;
      const whole = buf.subarray(0, end);
      if (!firstBadLine && isUtf8(whole)) {
        // Fast path (native): a valid chunk only needs its line count and whether it holds multi-byte characters.
        if (!isAscii(whole)) {
          if (!firstMultiByteLine) firstMultiByteLine = line;
          sawNonAscii = true;
        }
        // Lines are counted only once a line number is needed (see below).
        linesCounted = false;
        if (sawNonAscii && sampled < 256 * 1024) {
          sample.push(Buffer.from(whole));
          sampled += end;
        }
        carry = Buffer.from(buf.subarray(end));
        offset += buf.length;
        continue;
      }
      if (!linesCounted) {
        line = 1 + (await countLineBreaks(path, offset));
        linesCounted = true;
      }
      for (let i = 0; i < end; ) {
        const b = buf[i] as number;
        if (b < 0x80) {
          if (b === 0x0a) line++;
          i++;
          continue;
        }
        sawNonAscii = true;
        const n = utf8SequenceLength(buf, i);
        if (n > 1) {
          if (!firstMultiByteLine) firstMultiByteLine = line;
          i += n;
        } else {
          if (!firstBadLine) firstBadLine = line;
          nonAscii++;
          if (isWesternByte(b)) western++;
          if (NORDIC_LETTERS.has(b)) nordic++;
          // Runs of three or more such bytes are words of a non-Latin script (Greek, Cyrillic), not æøå in Latin text.
          run = lastHigh === i - 1 ? run + 1 : 1;
          lastHigh = i;
          if (run === 3) inRuns += 3;
          else if (run > 3) inRuns++;
          i++;
        }
        if (firstBadLine && firstMultiByteLine) {
          throw new EngineError('encoding_unsupported',
            `The file mixes text encodings: it is neither valid UTF-8 nor one single-byte encoding (the first byte that is not UTF-8 is on line ${firstBadLine}). Save it again as UTF-8.`,
            { reason: 'mixed', line: firstBadLine });
        }
      }
      if (sawNonAscii && sampled < 256 * 1024) {
        sample.push(Buffer.from(buf.subarray(0, end)));
        sampled += end;
      }
      carry = Buffer.from(buf.subarray(end));
      offset += buf.length;
      lastHigh = -2;
    }
  } finally {
    stream.destroy();
  }
  if (carry.length > 0) {
    if (!linesCounted) line = 1 + (await countLineBreaks(path, Number.MAX_SAFE_INTEGER));
    // A multi-byte sequence cut off by the end of the file.
    if (firstMultiByteLine) {
      throw new EngineError('encoding_unsupported', `The file ends in the middle of a UTF-8 character (line ${line}).`, { reason: 'truncated', line });
    }
    for (const b of carry) {
      nonAscii++;
      if (isWesternByte(b)) western++;
      if (NORDIC_LETTERS.has(b)) nordic++;
    }
    if (!firstBadLine) firstBadLine = line;
  }
  if (!firstBadLine) return { encoding: 'utf-8', bom };

  // Single-byte text. Greek first: its letters are all bytes ≥ 0xC1, which would also pass as Latin-1 letters.
  const matches = chardet.analyse(Buffer.concat(sample));
  const best = matches[0];
  const name = best?.name.toLowerCase() ?? '';
  if ((name === 'iso-8859-7' || name === 'windows-1253') && (best?.confidence ?? 0) >= 30) return { encoding: 'iso-8859-7', bom: 0, firstNonUtf8Line: firstBadLine };
  // Western letters and punctuation throughout, with Nordic letters among them, one or two at a time: Windows-1252.
  const latinShaped = inRuns * 10 < nonAscii;
  if (latinShaped && western === nonAscii && (nordic > 0 || nonAscii <= 3)) return { encoding: 'windows-1252', bom: 0, firstNonUtf8Line: firstBadLine };
  if (latinShaped && (name === 'iso-8859-1' || name === 'windows-1252') && western * 10 >= nonAscii * 9) return { encoding: 'windows-1252', bom: 0, firstNonUtf8Line: firstBadLine };
  throw new EngineError('encoding_unsupported',
    `The file is not in a text encoding the service reads (UTF-8, UTF-16 with a byte-order mark, Windows-1252/ISO-8859-1 or ISO-8859-7); the first byte that is not UTF-8 is on line ${firstBadLine}. Save it again as UTF-8.`,
    { reason: 'unknown', line: firstBadLine });
}

/** LF bytes in the first `upTo` bytes of a file (native search, streamed). */
async function countLineBreaks(path: string, upTo: number): Promise<number> {
  let n = 0;
  let seen = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const part = seen + chunk.length > upTo ? chunk.subarray(0, Math.max(0, upTo - seen)) : chunk;
      for (let at = part.indexOf(0x0a); at !== -1; at = part.indexOf(0x0a, at + 1)) n++;
      seen += chunk.length;
      if (seen >= upTo) break;
    }
  } finally {
    stream.destroy();
  }
  return n;
}

/** Bytes an encoding's decoder would refuse, so that a wrong encoding given by a publisher fails instead of garbling. */
function decoderFor(encoding: TextEncodingName): { decode(chunk: Buffer, last: boolean): string } {
  if (encoding === 'iso-8859-1') {
    // WHATWG's TextDecoder treats 'iso-8859-1' as Windows-1252; strict Latin-1 maps each byte to its code point.
    return { decode: (chunk) => chunk.toString('latin1') };
  }
  const decoder = new TextDecoder(encoding, { fatal: encoding !== 'windows-1252', ignoreBOM: false });
  return { decode: (chunk, last) => decoder.decode(chunk, { stream: !last }) };
}

/**
 * Writes `target` as the UTF-8 text of `source` read in `encoding`. Streams in 1 MB chunks with a streaming decoder,
 * so the file is never held whole. UTF-16 and ISO-8859-7 are decoded strictly (a byte sequence the encoding does not
 * define fails with `encoding_unsupported`); Windows-1252 maps its five unassigned bytes to the C1 controls of the
 * same number, as Latin-1 does, so nothing is lost. A byte-order mark is dropped.
 */
export async function transcodeToUtf8(source: string, target: string, encoding: TextEncodingName = 'windows-1252'): Promise<void> {
  const decoder = decoderFor(encoding);
  let first = true;
  try {
    await pipeline(
      createReadStream(source, { highWaterMark: 1 << 20 }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          let text = decoder.decode(chunk, false);
          if (first && text.length > 0) {
            first = false;
            if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          }
          yield Buffer.from(text, 'utf8');
        }
        const rest = decoder.decode(Buffer.alloc(0), true);
        if (rest) yield Buffer.from(rest, 'utf8');
      },
      createWriteStream(target),
    );
  } catch (err) {
    if (err instanceof TypeError) {
      throw new EngineError('encoding_unsupported', `The file is not valid ${encoding} text.`, { reason: 'invalid', encoding });
    }
    throw err;
  }
}
