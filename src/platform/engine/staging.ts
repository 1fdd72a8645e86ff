// The staging file of typed formats (XLSX, JSON, NDJSON): a UTF-8 CSV the engine's CSV path reads with explicit
// options, written as the source is streamed, so memory stays bounded whatever the file's size.
//
// Every cell arrives with the kind its format gave it (an Excel number, a JSON string, …). The writer counts the kinds
// per column, and `fixedColumns()` decides the columns whose format already typed them — every value an Excel/JSON
// number, date or boolean — so those are cast directly and never guessed from text. Columns of text (or a mix of
// kinds) go through the CSV column rules (./columns.ts) unchanged: "0301" stays text, "1 316 303,34" is a number under
// the file's convention. Numbers are written as JavaScript prints them ("1316303.34", "1e+21").
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { isIdentifierName } from './columns';
import type { KeptAsTextReason } from './index';

export type CellKind = 'number' | 'text' | 'bool' | 'date' | 'timestamp' | 'json';

/** One cell: its kind and its text in the staging file. `padded`: an Excel number shown with leading zeros ("0000"). */
export interface StagedCell {
  kind: CellKind;
  text: string;
  /** Number kinds: the value is not a whole number within ±2^53, or its format shows decimals. */
  fractional?: boolean;
  padded?: boolean;
}

/** A column whose format typed it: cast to this DuckDB type without inference. */
export interface FixedColumn {
  type: 'BIGINT' | 'DOUBLE' | 'DATE' | 'TIMESTAMP' | 'BOOLEAN' | 'VARCHAR';
  keptAsText?: KeptAsTextReason;
}

interface Tally {
  number: number;
  fractional: number;
  padded: number;
  text: number;
  bool: number;
  date: number;
  timestamp: number;
  json: number;
}

const FLUSH_BYTES = 1 << 20;

function quoted(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

export class StagingWriter {
  private readonly out: WriteStream;
  private readonly tallies: Tally[];
  private buffer: string[] = [];
  private buffered = 0;
  rows = 0;

  constructor(path: string, readonly names: string[]) {
    this.out = createWriteStream(path);
    this.tallies = names.map(() => ({ number: 0, fractional: 0, padded: 0, text: 0, bool: 0, date: 0, timestamp: 0, json: 0 }));
    this.push(names.map(quoted).join(','));
  }

  private push(line: string): void {
    this.buffer.push(line);
    this.buffered += line.length + 1;
  }

  /** Writes one data row (cells past the header's width are a bug of the caller). Await it: it honours backpressure. */
  async write(cells: (StagedCell | null | undefined)[]): Promise<void> {
    const width = this.names.length;
    const fields: string[] = new Array<string>(width);
    for (let i = 0; i < width; i++) {
      const cell = cells[i];
      if (!cell) {
        // A one-column file: an empty line would be a blank line, not a row.
        fields[i] = width === 1 ? '""' : '';
        continue;
      }
      const t = this.tallies[i] as Tally;
      t[cell.kind]++;
      if (cell.fractional) t.fractional++;
      if (cell.padded) t.padded++;
      fields[i] = cell.kind === 'number' && !cell.padded ? cell.text : quoted(cell.text);
    }
    this.push(fields.join(','));
    this.rows++;
    if (this.buffered >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.buffered = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }

  /** Destroys the stream after a failure (the file is removed with the work directory). */
  abort(): void {
    this.out.destroy();
  }

  /**
   * Columns the source typed, by index. Rules: every value a number → BIGINT (whole, within ±2^53, no decimals in the
   * format) or DOUBLE, except in identifier columns (by name: orgnr, komnr, telefon, …) and numbers formatted with
   * leading zeros, which stay text; every value a date → DATE, dates and date-times → TIMESTAMP; every value a boolean
   * → BOOLEAN; any JSON array or object text → VARCHAR as written. Text and mixed columns: not here (CSV rules).
   */
  fixedColumns(): Map<number, FixedColumn> {
    const fixed = new Map<number, FixedColumn>();
    this.tallies.forEach((t, i) => {
      const name = this.names[i] as string;
      const total = t.number + t.text + t.bool + t.date + t.timestamp + t.json;
      if (total === 0) return;
      if (t.json > 0) fixed.set(i, { type: 'VARCHAR' });
      else if (t.number === total) {
        if (t.padded > 0) fixed.set(i, { type: 'VARCHAR', keptAsText: 'leading_zeros' });
        else if (isIdentifierName(name)) fixed.set(i, { type: 'VARCHAR', keptAsText: 'identifier_name' });
        else fixed.set(i, { type: t.fractional > 0 ? 'DOUBLE' : 'BIGINT' });
      } else if (t.date === total) fixed.set(i, { type: 'DATE' });
      else if (t.date + t.timestamp === total) fixed.set(i, { type: 'TIMESTAMP' });
      else if (t.bool === total) fixed.set(i, { type: 'BOOLEAN' });
    });
    return fixed;
  }
}

/** A number's staging cell: its shortest round-trip text, fractional when it is not a safe whole number. */
export function numberCell(value: number, decimalsShown = false): StagedCell {
  return { kind: 'number', text: String(value), fractional: decimalsShown || !Number.isSafeInteger(value) };
}

/** A JS Date (UTC) as a DATE cell when it is midnight, else a TIMESTAMP cell ('YYYY-MM-DD HH:MM:SS[.fff]'). */
export function dateCell(d: Date): StagedCell | null {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) return null;
  const iso = d.toISOString();
  if (ms % 86_400_000 === 0) return { kind: 'date', text: iso.slice(0, 10) };
  const frac = iso.slice(20, 23);
  return { kind: 'timestamp', text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '000' ? '' : `.${frac}`}` };
}
