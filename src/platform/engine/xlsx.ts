// XLSX in: a workbook sheet → the staging CSV (./staging.ts) the CSV path types, streamed, memory bounded.
//
// Nothing is read before the container is checked:
//   1. kind: an OLE compound file (D0 CF 11 E0) is an old binary .xls, or — when its directory holds an
//      "EncryptedPackage" stream — a password-protected XLSX (Office encrypts the whole zip into a CFB file): each
//      gets its own error; anything else that is not a zip is `xlsx_invalid`;
//   2. the zip directory (hand-read: fflate reads a central directory only with the whole archive in memory): every
//      entry's compressed and uncompressed size; a total above the limit, or an entry above 1 MB expanding more than
//      MAX_RATIO times, is a zip bomb and refused before anything is inflated;
//   3. a raw pass (fflate's streaming Unzip) inflates every entry once, counting bytes — an entry that inflates past
//      its declared size is a bomb too (a directory can lie) — and reads workbook.xml (sheet names, order, the 1904
//      date system), its relationships (which sheetN.xml each sheet is), and of each sheet the number of <row>
//      elements, the widest row holding a value and the merged ranges. That count is the independent one;
//   4. exceljs's streaming WorkbookReader (./exceljs-reader.ts: with a UTF-8 fix) reads the chosen sheet: cached formula values, shared and rich text
//      flattened, Excel dates by the cell's number format. The rows it gives must equal the raw <row> count.
// Then the table is found in the sheet: title rows above it (rows with at most one value before the first row with
// two or more) are skipped as 'leading', like CSV title lines; the header row is taken when its cells are all text and
// the rows below are not; a header row with a cell merged across columns is a group header, and the names are the
// group's text and the text below it joined by a space ("Befolkning Menn"), a cell merged down over both rows gives
// its text alone. Empty rows inside the table are skipped as 'blank', with their sheet row numbers.
import { open as openFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Unzip, UnzipInflate } from 'fflate';
import type ExcelJSType from 'exceljs';
import { ExcelJS } from './exceljs-reader';
import { columnNames, looksLikeHeader } from './dialect';
import { EngineError, type CsvReadOptions, type IngestNote, type SheetInfo, type SkippedLines } from './index';
import { dateCell, numberCell, StagingWriter, type FixedColumn, type StagedCell } from './staging';

/**
 * An entry larger than RATIO_FROM_BYTES (uncompressed) may not expand more than MAX_RATIO times. One deflate layer
 * expands at most ~1,030 times, and a legitimate part can come close (a 1 MB cell of one repeated letter: 870 times),
 * so the ratio only counts for large parts: real sheets of 64 MB and more expand 5–30 times.
 */
export const MAX_RATIO = 200;
const RATIO_FROM_BYTES = 64 * 1024 * 1024;
/** Default limit of all entries together, uncompressed. */
export const MAX_UNCOMPRESSED_BYTES = 4 * 1024 ** 3;
/** Rows kept in memory to find the title rows and the header. */
const SAMPLE_ROWS = 50;
const MAX_LISTED = 100;

export interface XlsxLimits {
  maxColumns: number;
  maxUncompressedBytes?: number;
}

export interface ZipEntryInfo {
  name: string;
  compressed: number;
  uncompressed: number;
}

interface Merge {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

interface RawSheet {
  name: string;
  /** Number in xl/worksheets/sheetN.xml (exceljs's worksheet id), or 0 when the sheet lives elsewhere. */
  id: number;
  path: string;
  rows: number;
  columns: number;
  merges: Merge[];
}

export interface StagedTable {
  csvPath: string;
  names: string[];
  fixed: Map<number, FixedColumn>;
  rows: number;
  recordCount: number;
  skipped: SkippedLines[];
  notes: IngestNote[];
  sheets: SheetInfo[];
  detected: CsvReadOptions;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Compound files: .xls or an encrypted .xlsx

const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Whether an OLE compound file's root directory names an "EncryptedPackage" stream (an encrypted OOXML file). */
export async function isEncryptedOoxml(path: string): Promise<boolean> {
  const fh = await openFile(path, 'r');
  try {
    const header = Buffer.alloc(512);
    await fh.read(header, 0, 512, 0);
    if (!header.subarray(0, 8).equals(CFB_MAGIC)) return false;
    const sectorSize = 1 << header.readUInt16LE(0x1e);
    const firstDir = header.readUInt32LE(0x30);
    if (sectorSize < 512 || sectorSize > 4096 || firstDir >= 0xfffffffa) return false;
    // The first directory sector holds the root's first entries; Office writes its streams there. Read a few sectors.
    const dir = Buffer.alloc(sectorSize * 4);
    const { bytesRead } = await fh.read(dir, 0, dir.length, (firstDir + 1) * sectorSize);
    const names = dir.subarray(0, bytesRead).toString('utf16le');
    return names.includes('EncryptedPackage') || names.includes('EncryptionInfo');
  } finally {
    await fh.close();
  }
}

async function refuseCompoundFile(path: string): Promise<never> {
  if (await isEncryptedOoxml(path)) {
    throw new EngineError('xlsx_encrypted', 'The workbook is protected with a password (encrypted). Remove the password in Excel (File → Info → Protect Workbook), save it and upload it again.');
  }
  throw new EngineError('xls_unsupported', 'The file is an old Excel workbook (.xls, Excel 97–2003). Open it in Excel and save it as .xlsx (Excel Workbook), or as CSV, and upload that.');
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The zip directory

/** The entries of a zip file from its central directory; `xlsx_invalid` when there is none. */
export async function readZipDirectory(path: string): Promise<ZipEntryInfo[]> {
  const { size } = await stat(path);
  const fh = await openFile(path, 'r');
  try {
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    }
    if (eocd < 0) throw new EngineError('xlsx_invalid', 'The workbook is damaged: its zip directory is missing (the file may be cut off). Save it again and upload it again.', { reason: 'truncated' });
    let entries = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      // ZIP64: the locator sits just before the end record.
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw new EngineError('xlsx_invalid', 'The workbook is damaged: its zip directory cannot be read.', { reason: 'zip64' });
      const recOffset = Number(tail.readBigUInt64LE(loc + 8));
      const rec = Buffer.alloc(56);
      await fh.read(rec, 0, 56, recOffset);
      if (rec.readUInt32LE(0) !== 0x06064b50) throw new EngineError('xlsx_invalid', 'The workbook is damaged: its zip directory cannot be read.', { reason: 'zip64' });
      entries = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size || cdSize > 64 * 1024 * 1024) {
      throw new EngineError('xlsx_invalid', 'The workbook is damaged: its zip directory points outside the file (the file may be cut off).', { reason: 'truncated' });
    }
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const out: ZipEntryInfo[] = [];
    let p = 0;
    for (let n = 0; n < entries; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) {
        throw new EngineError('xlsx_invalid', 'The workbook is damaged: its zip directory cannot be read.', { reason: 'truncated' });
      }
      let compressed = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
      // ZIP64 extra field (id 1): the 64-bit sizes, in this order, for the fields that are 0xFFFFFFFF.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          if (uncompressed === 0xffffffff && q + 8 <= e + 4 + len) { uncompressed = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (compressed === 0xffffffff && q + 8 <= e + 4 + len) compressed = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      out.push({ name, compressed, uncompressed });
      p = extraEnd + commentLen;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Refuses a zip bomb from its directory: too much in total, or an entry that expands too much. */
export function checkZipSizes(entries: ZipEntryInfo[], maxUncompressed = MAX_UNCOMPRESSED_BYTES): void {
  const total = entries.reduce((s, e) => s + e.uncompressed, 0);
  const worst = entries
    .filter((e) => e.uncompressed > RATIO_FROM_BYTES)
    .reduce((m, e) => Math.max(m, e.uncompressed / Math.max(1, e.compressed)), 0);
  if (total > maxUncompressed || worst > MAX_RATIO) {
    throw new EngineError('xlsx_zip_bomb',
      `The workbook expands to far more data than it holds (${Math.round(total / 2 ** 20)} MB, up to ${Math.round(worst)} times its compressed size), which is how a zip bomb looks; it was not opened. The limits are ${Math.round(maxUncompressed / 2 ** 20)} MB and ${MAX_RATIO} times.`,
      { ratio: Math.round(worst), limitRatio: MAX_RATIO, uncompressedMb: Math.round(total / 2 ** 20), limitMb: Math.round(maxUncompressed / 2 ** 20) });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The raw pass

function xmlDecode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const k = e.toLowerCase();
    if (k === 'amp') return '&';
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const code = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  return m ? xmlDecode(m[1] ?? m[2] ?? '') : undefined;
}

/** Column number (1-based) of letters "A".."XFD". */
function colNumber(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

function parseRef(ref: string): { row: number; col: number } | undefined {
  const m = /^\$?([A-Z]{1,3})\$?(\d+)$/.exec(ref.trim().toUpperCase());
  return m ? { col: colNumber(m[1] as string), row: Number(m[2]) } : undefined;
}

/** Streaming counter over one sheet's XML: <row> elements, the widest row holding a value, merged ranges. */
class SheetScanner {
  rows = 0;
  columns = 0;
  merges: Merge[] = [];
  private carry = '';

  push(chunk: Uint8Array, final: boolean): void {
    const text = this.carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    // Keep an unfinished tag for the next chunk.
    const cut = final ? text.length : Math.max(0, text.lastIndexOf('<'));
    const body = text.slice(0, cut);
    this.carry = text.slice(cut);
    const rowTags = body.match(/<row[\s>/]/g);
    if (rowTags) this.rows += rowTags.length;
    for (const m of body.matchAll(/<c\s([^>]*?)(\/?)>/g)) {
      if (m[2] === '/') continue; // <c …/> holds no value
      const r = /\br=["']\$?([A-Z]{1,3})\$?\d+["']/.exec(m[1] as string);
      if (r) this.columns = Math.max(this.columns, colNumber(r[1] as string));
    }
    for (const m of body.matchAll(/<mergeCell\s[^>]*?ref=["']([A-Z$]+\d+):([A-Z$]+\d+)["']/g)) {
      const a = parseRef(m[1] as string);
      const b = parseRef(m[2] as string);
      if (a && b && this.merges.length < 10_000) this.merges.push({ top: Math.min(a.row, b.row), bottom: Math.max(a.row, b.row), left: Math.min(a.col, b.col), right: Math.max(a.col, b.col) });
    }
  }
}

interface RawWorkbook {
  sheets: RawSheet[];
  date1904: boolean;
}

const SMALL_PART_LIMIT = 16 * 1024 * 1024;

/** Inflates every entry once (counting bytes against the directory) and reads the workbook's structure. */
async function rawPass(path: string, entries: ZipEntryInfo[]): Promise<RawWorkbook> {
  const declared = new Map(entries.map((e) => [e.name, e.uncompressed]));
  const texts = new Map<string, string[]>();
  const scanners = new Map<string, SheetScanner>();
  let failure: EngineError | undefined;
  const unzip = new Unzip((file) => {
    const name = file.name;
    const limit = declared.get(name);
    let seen = 0;
    const isSheet = /^xl\/worksheets\/[^/]+\.xml$/.test(name);
    const wanted = name === 'xl/workbook.xml' || name === 'xl/_rels/workbook.xml.rels';
    if (isSheet) scanners.set(name, new SheetScanner());
    if (wanted) texts.set(name, []);
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = new EngineError('xlsx_invalid', 'The workbook is damaged: a part of it cannot be unpacked.', { reason: 'parse' });
        return;
      }
      seen += chunk.length;
      if (limit === undefined || seen > limit) {
        failure = new EngineError('xlsx_zip_bomb', 'The workbook holds more data than its zip directory declares, which is how a zip bomb looks; it was not opened.',
          { ratio: 0, limitRatio: MAX_RATIO, uncompressedMb: Math.round(seen / 2 ** 20), limitMb: Math.round((limit ?? 0) / 2 ** 20) });
        file.terminate();
        return;
      }
      scanners.get(name)?.push(chunk, final);
      const parts = texts.get(name);
      if (parts) {
        if (seen > SMALL_PART_LIMIT) failure = new EngineError('xlsx_invalid', 'The workbook is damaged: its workbook part is too large.', { reason: 'parse' });
        else parts.push(Buffer.from(chunk).toString('utf8'));
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        unzip.push(chunk, false);
        if (failure) break;
      }
      if (!failure) unzip.push(new Uint8Array(0), true);
    } finally {
      stream.destroy();
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('xlsx_invalid', 'The workbook is damaged: it cannot be unpacked.', { reason: 'parse' });
  }
  if (failure) throw failure;

  const workbook = texts.get('xl/workbook.xml')?.join('') ?? '';
  const rels = texts.get('xl/_rels/workbook.xml.rels')?.join('') ?? '';
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\s[^>]*>/g)) {
    const id = attr(m[0], 'Id');
    const target = attr(m[0], 'Target');
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`.replace(/\/\.\//g, '/'));
  }
  const sheets: RawSheet[] = [];
  for (const m of workbook.matchAll(/<(?:\w+:)?sheet\s[^>]*>/g)) {
    const name = attr(m[0], 'name') ?? '';
    const rid = attr(m[0], 'r:id') ?? '';
    const target = targets.get(rid) ?? '';
    const scan = scanners.get(target);
    const id = /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(target)?.[1];
    sheets.push({ name, id: id ? Number(id) : 0, path: target, rows: scan?.rows ?? 0, columns: scan?.columns ?? 0, merges: scan?.merges ?? [] });
  }
  const pr = /<(?:\w+:)?workbookPr\s[^>]*>/.exec(workbook)?.[0] ?? '';
  const d1904 = attr(pr, 'date1904');
  return { sheets, date1904: d1904 === '1' || d1904 === 'true' };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Cells

/** Whether an Excel number format shows dates or times (quoted text and [colour]/[$-locale] parts left out). */
export function isDateFormat(fmt: string | undefined): boolean {
  if (!fmt) return false;
  const clean = fmt.replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, '').replace(/"[^"]*"/g, '').replace(/\\./g, '');
  return /[ymdhs]/i.test(clean) && !/^general$/i.test(clean.trim());
}

/** An Excel serial number as a date (1900 system: day 1 = 1900-01-01, with Excel's phantom 1900-02-29; or 1904). */
export function excelSerialToDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial + 1462 : serial < 60 ? serial + 1 : serial;
  return new Date(Math.round((days - 25569) * 86_400_000));
}

type Note = 'formula_without_value' | 'error_value';

interface CellOut {
  cell: StagedCell | null;
  note?: Note;
}

function flattenRich(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && Array.isArray((v as { richText?: unknown }).richText)) {
    return (v as { richText: { text?: unknown }[] }).richText.map((r) => (typeof r.text === 'string' ? r.text : '')).join('');
  }
  return undefined;
}

/** One exceljs cell value → a staging cell (null for empty) and what was changed on purpose. */
export function convertCell(value: unknown, numFmt: string | undefined, date1904: boolean): CellOut {
  let v = value;
  if (v === null || v === undefined) return { cell: null };
  if (typeof v === 'object' && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    if ('formula' in o || 'sharedFormula' in o) {
      if (o.result === undefined || o.result === null) return { cell: null, note: 'formula_without_value' };
      v = o.result;
      if (typeof v === 'number' && Number.isNaN(v)) return { cell: null, note: 'error_value' };
      if (typeof v === 'object' && v !== null && 'error' in (v as object)) return { cell: null, note: 'error_value' };
      if (typeof v === 'number' && isDateFormat(numFmt)) return { cell: dateCell(excelSerialToDate(v, date1904)) };
    } else if ('error' in o) {
      return { cell: null, note: 'error_value' };
    } else if ('richText' in o) {
      v = flattenRich(o);
    } else if ('text' in o) {
      v = flattenRich(o.text) ?? String(o.text ?? '');
    } else {
      return { cell: { kind: 'text', text: JSON.stringify(o) } };
    }
  }
  if (v instanceof Date) return { cell: dateCell(v) };
  if (typeof v === 'boolean') return { cell: { kind: 'bool', text: v ? 'true' : 'false' } };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { cell: null, note: 'error_value' };
    const pad = numFmt && /^0{2,}$/.test(numFmt.trim()) ? numFmt.trim().length : 0;
    if (pad > 0 && Number.isSafeInteger(v) && v >= 0) return { cell: { kind: 'number', text: String(v).padStart(pad, '0'), padded: true } };
    return { cell: numberCell(v, !!numFmt && /0\.0|#\.#|0\.#/.test(numFmt)) };
  }
  if (typeof v === 'string') return { cell: v === '' ? null : { kind: 'text', text: v } };
  return { cell: { kind: 'text', text: String(v) } };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. The sheet → the staging file

interface BufferedRow {
  number: number;
  cells: (StagedCell | null)[];
  filled: number;
}

class LineList {
  count = 0;
  lines: number[] = [];
  add(line: number): void {
    this.count++;
    if (this.lines.length < MAX_LISTED) this.lines.push(line);
  }
}

function listed(reason: SkippedLines['reason'], l: LineList): SkippedLines[] {
  return l.count > 0 ? [{ reason, count: l.count, lines: l.lines }] : [];
}

/** The header names of one or two header rows (rules at the top of this file). */
function headerNames(rows: BufferedRow[], headerRows: number, width: number, merges: Merge[]): string[] {
  const textAt = (r: BufferedRow | undefined, c: number) => r?.cells[c - 1]?.text?.trim() ?? '';
  const first = rows[0];
  const out: string[] = [];
  for (let c = 1; c <= width; c++) {
    if (headerRows === 1) { out.push(textAt(first, c)); continue; }
    const top = first?.number ?? 1;
    const merge = merges.find((m) => m.top <= top && m.bottom >= top && m.left <= c && m.right >= c);
    const group = merge ? textAt(rows.find((r) => r.number === merge.top), merge.left) : textAt(first, c);
    const downMerged = merge !== undefined && merge.bottom > top && merge.left === merge.right;
    const sub = downMerged ? '' : textAt(rows[1], c);
    out.push([group, sub].filter((s, i, all) => s !== '' && !(i === 1 && s === all[0])).join(' '));
  }
  return out;
}

export interface XlsxStageOptions {
  opts: CsvReadOptions;
  csvPath: string;
  limits: XlsxLimits;
}

/** Reads a workbook's sheet into the staging CSV. Throws EngineError for anything the file is at fault for. */
export async function stageXlsx(path: string, { opts, csvPath, limits }: XlsxStageOptions): Promise<StagedTable> {
  const head = Buffer.alloc(8);
  const fh = await openFile(path, 'r');
  try { await fh.read(head, 0, 8, 0); } finally { await fh.close(); }
  if (head.equals(CFB_MAGIC)) await refuseCompoundFile(path);
  if (head.readUInt32LE(0) !== 0x04034b50) throw new EngineError('xlsx_invalid', 'The file is not an Excel workbook (.xlsx): it is not a zip container.', { reason: 'not_zip' });
  const entries = await readZipDirectory(path);
  if (!entries.some((e) => e.name === 'xl/workbook.xml')) {
    throw new EngineError('file_not_text', 'The file is a ZIP archive, not an Excel workbook. Upload the CSV, XLSX, JSON or Parquet file itself.', { kind: 'zip' });
  }
  checkZipSizes(entries, limits.maxUncompressedBytes);
  const wb = await rawPass(path, entries);
  const sheets: SheetInfo[] = wb.sheets.map((s) => ({ name: s.name, rows: s.rows, columns: s.columns }));
  let sheet: RawSheet | undefined;
  if (opts.sheet !== undefined) {
    sheet = wb.sheets.find((s) => s.name === opts.sheet);
    if (!sheet) throw new EngineError('xlsx_sheet_not_found', `The workbook has no sheet of the chosen name; it has ${wb.sheets.length} ${wb.sheets.length === 1 ? 'sheet' : 'sheets'}.`, { sheets: wb.sheets.length });
    if (sheet.columns === 0) throw new EngineError('xlsx_sheet_empty', 'The chosen sheet holds no values. Choose another sheet.', { sheets: wb.sheets.length });
  } else {
    sheet = wb.sheets.find((s) => s.columns > 0 && s.id > 0);
    if (!sheet) throw new EngineError('xlsx_sheet_empty', 'The workbook holds no values: every sheet is empty.', { sheets: wb.sheets.length });
  }
  if (sheet.id === 0) throw new EngineError('xlsx_invalid', 'The workbook is laid out in a way the service cannot read (a sheet outside xl/worksheets).', { reason: 'parse' });
  const width = sheet.columns;
  if (width > limits.maxColumns) {
    throw new EngineError('too_many_columns', `The sheet has ${width} columns; a table can have at most ${limits.maxColumns}.`, { columns: width, limit: limits.maxColumns });
  }

  const leading = new LineList();
  const blank = new LineList();
  const formulaRows = new LineList();
  const errorRows = new LineList();
  const formulaCols = new Set<number>();
  const errorCols = new Set<number>();
  let emitted = 0;
  let writer: StagingWriter | undefined;
  let names: string[] = [];
  let headerRows = 0;
  let skipLines = opts.skipLines ?? 0;
  let header = false;
  const sample: BufferedRow[] = [];
  let lastWritten = 0;
  let pendingBlank: number[] = [];
  let decided = false;

  const toRow = (row: ExcelJSType.Row): BufferedRow => {
    const cells: (StagedCell | null)[] = new Array<StagedCell | null>(width).fill(null);
    let filled = 0;
    let formula = false;
    let error = false;
    let beyond = false;
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      // The raw pass measured the widest row holding a value; a value beyond it means the two reads disagree.
      if (col > width) { beyond = true; return; }
      const out = convertCell(cell.value, cell.numFmt, wb.date1904);
      if (out.note === 'formula_without_value') { formula = true; formulaCols.add(col - 1); }
      if (out.note === 'error_value') { error = true; errorCols.add(col - 1); }
      if (out.cell) { cells[col - 1] = out.cell; filled++; }
    });
    if (beyond) throw new EngineError('record_count_mismatch', `Row ${row.number} of the sheet holds a value beyond the ${width} columns counted in the file. The file was not imported.`, { expected: width, read: width + 1, line: row.number });
    if (formula) formulaRows.add(row.number);
    if (error) errorRows.add(row.number);
    return { number: row.number, cells, filled };
  };

  const writeData = async (r: BufferedRow): Promise<void> => {
    if (r.filled === 0) { pendingBlank.push(r.number); return; }
    // Rows missing between two rows of the table (Excel stores no empty rows) are blank rows too.
    for (let n = lastWritten + 1; n < r.number; n++) if (!pendingBlank.includes(n)) pendingBlank.push(n);
    pendingBlank.sort((a, b) => a - b).forEach((n) => blank.add(n));
    pendingBlank = [];
    await (writer as StagingWriter).write(r.cells);
    lastWritten = r.number;
  };

  /** Decides title rows and header from the sample, opens the staging file, writes the sample's data rows. */
  const decide = async (): Promise<void> => {
    decided = true;
    const rows = sample.filter((r) => r.number > skipLines);
    let start = rows.findIndex((r) => r.filled >= Math.min(2, width));
    if (opts.skipLines === undefined) {
      if (start < 0) start = rows.findIndex((r) => r.filled > 0);
      skipLines = start < 0 ? 0 : (rows[start] as BufferedRow).number - 1;
    } else {
      start = rows.findIndex((r) => r.filled > 0);
    }
    const table = start < 0 ? [] : rows.slice(start);
    const first = table[0];
    // Everything above the table's first row is leading: title rows, empty rows, rows the publisher skipped.
    if (first) skipLines = first.number - 1;
    for (let n = 1; n <= skipLines; n++) leading.add(n);
    const allText = (r: BufferedRow | undefined) => !!r && r.filled > 0 && r.cells.every((c) => !c || c.kind === 'text');
    const texts = table.slice(0, 20).map((r) => r.cells.map((c) => c?.text ?? ''));
    const nonTextBelow = table.slice(1).some((r) => r.cells.some((c) => c && c.kind !== 'text'));
    header = opts.header ?? (allText(first) && (nonTextBelow || (table.length > 1 && looksLikeHeader(texts))));
    const groupMerge = !!first && sheet.merges.some((m) => m.top === first.number && m.right > m.left);
    headerRows = header ? (opts.headerRows ?? (groupMerge && allText(table[1]) && (table[1] as BufferedRow).number === first.number + 1 ? 2 : 1)) : 0;
    names = columnNames(header ? headerNames(table, headerRows, width, sheet.merges) : undefined, width);
    writer = new StagingWriter(csvPath, names);
    const data = table.slice(headerRows);
    lastWritten = header ? (table[headerRows - 1] as BufferedRow).number : skipLines;
    for (const r of data) await writeData(r);
  };

  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
      sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore',
    });
    // Sheets other than the chosen one are not iterated: exceljs drains them unparsed. The loop runs to the end of
    // the file (no break), so the zip reader is never cut off mid-stream.
    for await (const ws of reader) {
      if (Number((ws as unknown as { id: unknown }).id) !== sheet.id) continue;
      for await (const row of ws as AsyncIterable<ExcelJSType.Row>) {
        emitted++;
        const r = toRow(row);
        if (!decided) {
          sample.push(r);
          if (sample.filter((s) => s.number > skipLines && s.filled > 0).length >= SAMPLE_ROWS) await decide();
        } else {
          await writeData(r);
        }
      }
    }
    if (!decided) await decide();
    await (writer as StagingWriter).close();
  } catch (err) {
    writer?.abort();
    if (err instanceof EngineError) throw err;
    throw new EngineError('xlsx_invalid', 'The workbook is damaged: the sheet cannot be read.', { reason: 'parse' });
  } finally {
    input.destroy();
  }
  if (emitted !== sheet.rows) {
    throw new EngineError('record_count_mismatch', `The sheet holds ${sheet.rows} rows by our count, but ${emitted} were read. The file was not imported.`, { expected: sheet.rows, read: emitted });
  }
  const w = writer as StagingWriter;
  if (w.rows === 0) throw new EngineError('file_empty', 'The sheet holds no rows of data: only title or header rows.', { lines: lastWritten });
  const notes: IngestNote[] = [];
  const colNames = (s: Set<number>) => [...s].sort((a, b) => a - b).slice(0, MAX_LISTED).map((i) => names[i] as string);
  if (formulaRows.count > 0) notes.push({ reason: 'formula_without_value', count: formulaRows.count, lines: formulaRows.lines, columns: colNames(formulaCols) });
  if (errorRows.count > 0) notes.push({ reason: 'error_value', count: errorRows.count, lines: errorRows.lines, columns: colNames(errorCols) });
  return {
    csvPath,
    names,
    fixed: w.fixedColumns(),
    rows: w.rows,
    // Every sheet row from the first to the last holding a value: rowCount + headerRows + Σ skipped.
    recordCount: lastWritten,
    skipped: [...listed('leading', leading), ...listed('blank', blank)],
    notes,
    sheets,
    detected: { sheet: sheet.name, header, headerRows, skipLines, ...(opts.columnTypes ? { columnTypes: { ...opts.columnTypes } } : {}) },
  };
}
