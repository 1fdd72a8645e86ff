// Output writers: rows (already JSON-safe values, in batches) → bytes, for JSON, NDJSON, CSV and XLSX. Each takes an
// async iterable of row batches, so a page (one batch) and a whole table (DuckDB chunks) go through the same code and
// a download never holds more than one chunk. Parquet is written by DuckDB itself (COPY), not here.
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

export type Batches = AsyncIterable<unknown[][]>;

/** Excel's row limit is 1,048,576 including the header: longer tables continue on the next sheet. */
export const XLSX_ROWS_PER_SHEET = 1_048_575;

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * One CSV cell (RFC 4180). Text starting with =, +, -, @, TAB or CR gets a leading apostrophe, so a spreadsheet does
 * not run it as a formula; numbers (a negative number starts with "-") are written as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && FORMULA_START.has(s.charAt(0))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* csvChunks(names: string[], batches: Batches): AsyncGenerator<string> {
  yield `${names.map(csvCell).join(',')}\r\n`;
  for await (const batch of batches) {
    let out = '';
    for (const row of batch) out += `${row.map(csvCell).join(',')}\r\n`;
    if (out) yield out;
  }
}

function objectOf(names: string[], row: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) o[names[i] as string] = row[i] ?? null;
  return o;
}

async function* ndjsonChunks(names: string[], batches: Batches): AsyncGenerator<string> {
  for await (const batch of batches) {
    let out = '';
    for (const row of batch) out += `${JSON.stringify(objectOf(names, row))}\n`;
    if (out) yield out;
  }
}

async function* jsonArrayChunks(names: string[], batches: Batches): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const batch of batches) {
    let out = '';
    for (const row of batch) {
      out += `${first ? '\n' : ',\n'}${JSON.stringify(objectOf(names, row))}`;
      first = false;
    }
    if (out) yield out;
  }
  yield '\n]\n';
}

export function csvStream(names: string[], batches: Batches): Readable {
  return Readable.from(csvChunks(names, batches));
}

export function ndjsonStream(names: string[], batches: Batches): Readable {
  return Readable.from(ndjsonChunks(names, batches));
}

/** A JSON array of row objects (the download format; the rows API's JSON is an envelope built by the route). */
export function jsonArrayStream(names: string[], batches: Batches): Readable {
  return Readable.from(jsonArrayChunks(names, batches));
}

/** Excel date cells for DATE/TIMESTAMP columns; everything else as its JSON value. */
function xlsxValue(value: unknown, kind: string): unknown {
  if (value === null || value === undefined) return null;
  if ((kind === 'date' || kind === 'timestamp') && typeof value === 'string') {
    const d = new Date(kind === 'date' ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`);
    return Number.isNaN(d.getTime()) ? value : d;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  // Text that would be read as a formula is kept as text by exceljs (it writes strings as strings); no prefix needed.
  return value;
}

/**
 * An XLSX workbook written with exceljs's streaming writer (no shared strings, no styles: constant memory), one sheet
 * per 1,048,575 rows, the header on each. Back-pressure: each row waits for the output stream to drain.
 */
export function xlsxStream(columns: { name: string; kind: string }[], batches: Batches, sheetName = 'data'): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const names = columns.map((c) => c.name);
  void (async () => {
    let sheet: ExcelJS.Worksheet | undefined;
    let inSheet = 0;
    let sheets = 0;
    const newSheet = () => {
      sheet?.commit();
      sheets += 1;
      sheet = workbook.addWorksheet(sheets === 1 ? sheetName : `${sheetName} ${sheets}`);
      sheet.addRow(names).commit();
      inSheet = 0;
    };
    newSheet();
    for await (const batch of batches) {
      for (const row of batch) {
        if (inSheet >= XLSX_ROWS_PER_SHEET) newSheet();
        (sheet as ExcelJS.Worksheet).addRow(row.map((v, i) => xlsxValue(v, columns[i]?.kind ?? 'text'))).commit();
        inSheet += 1;
      }
      if (out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
    }
    sheet?.commit();
    await workbook.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
