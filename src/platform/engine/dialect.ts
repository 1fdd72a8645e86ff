// Deciding how to read a delimited text file from a sample of its (UTF-8) bytes: delimiter, quote, comment lines,
// title lines above the table, and whether the first record is a header. Every decision is ours and explicit — DuckDB
// is then told exactly these options (auto detection off), so its sniffer can never skip or merge lines on its own.
import { scanBuffer, type ScanDialect, type ScanResult } from './records';

const DELIMITERS = [',', ';', '\t', '|'] as const;
/** In order of preference when candidates read the sample equally well. */
const QUOTES = ['"', '', "'"] as const;

export interface SampleDialect {
  delimiter: string;
  quote: string;
  escape: string;
  commentPrefix: string;
  skipLines: number;
}

interface Candidate extends SampleDialect {
  scan: ScanResult;
  consistency: number;
  fields: number;
  /** Fields of the sample wrapped in this candidate's quote character (as read without quoting). */
  wrapped: number;
}

/** How many fields, read without quoting, start and end with `quote`. */
function wrappedFields(sample: Buffer, delimiter: string, quote: string, partial: boolean): number {
  if (quote === '') return 0;
  const scan = scanBuffer(sample, { delimiter, quote: '', escape: '', commentPrefix: '', skipLines: 0 }, { collect: 200, partial });
  let n = 0;
  for (const rec of scan.sample) for (const f of rec) if (f.length >= 2 && f.startsWith(quote) && f.endsWith(quote)) n++;
  return n;
}

/** The most common field count among the records of a scan, and the share of records that have it. */
function modal(scan: ScanResult): { fields: number; share: number } {
  const counts = new Map<number, number>();
  for (const rec of scan.sample) counts.set(rec.length, (counts.get(rec.length) ?? 0) + 1);
  let best = { fields: 0, n: 0 };
  for (const [fields, n] of counts) if (n > best.n || (n === best.n && fields > best.fields)) best = { fields, n };
  return { fields: best.fields, share: scan.sample.length === 0 ? 0 : best.n / scan.sample.length };
}

/**
 * Title lines above the table: leading records of a single field (no delimiter) before the first record with the
 * common field count. Returns how many physical lines they take, or 0.
 */
function titleLines(scan: ScanResult, fields: number): number {
  if (fields < 2) return 0;
  let i = 0;
  while (i < scan.sample.length && scan.sample[i]!.length === 1) i++;
  if (i === 0 || i >= scan.sample.length || scan.sample[i]!.length !== fields) return 0;
  return (scan.sampleLines[i] as number) - 1;
}

/**
 * Decides the dialect from a sample (the first bytes of the file as UTF-8), honouring what the publisher gave.
 * Candidates (delimiter × quote × comment '#' or none) are scored by how many records share the most common field
 * count; more than one field wins over one, then consistency, then more fields, then the order of preference.
 */
export function detectDialect(sample: Buffer, partial: boolean, givenOpts: Partial<SampleDialect>): SampleDialect {
  // Excel's "sep=;" first line names the delimiter; it is a leading line, not the header.
  const start = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf ? 3 : 0;
  const sep = /^sep=([^\r\n])\r?\n/.exec(sample.subarray(start, start + 8).toString('latin1'));
  const given: Partial<SampleDialect> = sep
    ? { ...givenOpts, delimiter: givenOpts.delimiter ?? (sep[1] as string), skipLines: givenOpts.skipLines ?? 1 }
    : givenOpts;
  const delims = given.delimiter !== undefined ? [given.delimiter] : [...DELIMITERS];
  const quotes = given.quote !== undefined ? [given.quote] : [...QUOTES];
  const comments = given.commentPrefix !== undefined ? [given.commentPrefix] : ['', '#'];
  const hasHashLine = sample[0] === 0x23 || sample.includes('\n#') || sample.includes('\r#') || (sample[0] === 0xef && sample[3] === 0x23);
  let best: Candidate | undefined;
  const wrappedCache = new Map<string, number>();
  const wrapped = (delimiter: string, quote: string) => {
    const key = `${delimiter}${quote}`;
    if (!wrappedCache.has(key)) wrappedCache.set(key, wrappedFields(sample, delimiter, quote, partial));
    return wrappedCache.get(key) as number;
  };
  for (const delimiter of delims) {
    for (const quote of quotes) {
      // A backslash before a quote suggests backslash escaping; try it beside doubling.
      const escapes = given.escape !== undefined ? [given.escape] : quote !== '' && sample.includes(`\\${quote}`) ? [quote, '\\'] : [quote];
      for (const [commentPrefix, escape] of comments.flatMap((cp) => escapes.map((e) => [cp, e] as const))) {
        if (commentPrefix === '#' && given.commentPrefix === undefined && !hasHashLine) continue;
        const dialect: ScanDialect = { delimiter, quote, escape: quote === '' ? '' : escape, commentPrefix, skipLines: given.skipLines ?? 0 };
        const scan = scanBuffer(sample, dialect, { collect: 200, partial });
        // A sample that ends inside quotes after a whole record or more is a sign the quote is wrong.
        const { fields, share } = modal(scan);
        let consistency = share;
        if (scan.unterminatedQuoteLine !== undefined) consistency *= 0.5;
        if (scan.junkAfterQuote.count > 0) consistency *= 0.5;
        // '#' as a comment marker only counts when it removes lines that do not fit.
        if (commentPrefix === '#' && scan.comment.count === 0) continue;
        const cand: Candidate = { ...dialect, scan, consistency, fields, wrapped: wrapped(delimiter, quote) };
        if (!best || better(cand, best)) best = cand;
      }
    }
  }
  if (!best) return { delimiter: given.delimiter ?? ',', quote: given.quote ?? '"', escape: given.escape ?? given.quote ?? '"', commentPrefix: given.commentPrefix ?? '', skipLines: given.skipLines ?? 0 };
  const skipLines = given.skipLines ?? titleLines(best.scan, best.fields);
  return { delimiter: best.delimiter, quote: best.quote, escape: best.escape, commentPrefix: best.commentPrefix, skipLines };
}

function better(a: Candidate, b: Candidate): boolean {
  const multiA = a.fields > 1 ? 1 : 0;
  const multiB = b.fields > 1 ? 1 : 0;
  if (multiA !== multiB) return multiA > multiB;
  // Titles above the table lower consistency equally for every delimiter; compare what remains.
  if (Math.abs(a.consistency - b.consistency) > 1e-9) return a.consistency > b.consistency;
  // Same delimiter, different quote: the quote character that wraps values wins over splitting them further.
  if (a.delimiter === b.delimiter && a.wrapped !== b.wrapped) return a.wrapped > b.wrapped;
  if (a.fields !== b.fields) return a.fields > b.fields;
  // The same reading: the quote character that actually wraps values wins (a file quoted with ').
  if (a.wrapped !== b.wrapped) return a.wrapped > b.wrapped;
  return false; // keep the earlier (preferred) candidate
}

// ---------------------------------------------------------------------------------------------------------------
// Header detection

type Shape = 'empty' | 'number' | 'code' | 'date' | 'year' | 'text';

const NUMBER = /^[+-]?(\d+|\d{1,3}([ \u00a0.,]\d{3})+)([.,]\d+)?$/;
const CODE = /^(0\d+|\+\d[\d ]*)$/;
const DATE = /^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4})$/;
const YEAR = /^(1[89]|20)\d\d$/;

function shapeOf(value: string): Shape {
  const v = value.trim();
  if (v === '') return 'empty';
  if (CODE.test(v)) return 'code';
  if (YEAR.test(v)) return 'year';
  if (NUMBER.test(v)) return 'number';
  if (DATE.test(v)) return 'date';
  return 'text';
}

/** A value's outline: letters by case, digits, the rest as they are; runs collapsed ("Kari Nordmann" → "Aa Aa"). */
function signature(value: string): string {
  return value.trim()
    .replace(/\p{Lu}/gu, 'A').replace(/\p{Ll}/gu, 'a').replace(/\p{N}/gu, '9')
    .replace(/(.)\1+/gu, '$1');
}

const IDENTIFIER_LIKE = /^[\p{L}_][\p{L}\p{N}_.\-/]*$/u;

/**
 * Whether the first record names the columns, judged against the records after it (header cells are not data):
 *   - strong signs, per column: a text cell above a column of numbers, dates or codes says header; a number, date or
 *     code above values of the same shape says data (a year above numbers, as in SSB's wide tables, says neither);
 *   - weak signs, per text column: a first cell whose outline ("Aa Aa", "a", "9") none of the values below share
 *     says header, one they share says data.
 * Strong signs decide when there are any (header only if they outnumber the data signs); otherwise weak header signs
 * and no weak data sign make a header, and so do at least as many weak header as data signs when the first row's cells
 * are distinct identifier-like names. When unsure: no header (the publisher can say `header: true`). A lone
 * record is a header only when every cell is a non-empty identifier-like name.
 */
export function looksLikeHeader(rows: string[][]): boolean {
  const first = rows[0];
  if (!first || first.length === 0) return false;
  const body = rows.slice(1, 201);
  if (body.length === 0) return first.every((v) => IDENTIFIER_LIKE.test(v.trim()) && shapeOf(v) === 'text');
  let strongH = 0;
  let strongD = 0;
  let weakH = 0;
  let weakD = 0;
  first.forEach((cell, col) => {
    const head = shapeOf(cell);
    if (head === 'empty') return;
    const values = body.map((r) => r[col] ?? '').filter((v) => v.trim() !== '');
    if (values.length === 0) return;
    const shapes = values.map(shapeOf);
    const share = (pred: (s: Shape) => boolean) => shapes.filter(pred).length / shapes.length;
    const nonText = share((s) => s !== 'text');
    if (head === 'text') {
      if (nonText >= 0.9) { strongH++; return; }
      if (nonText > 0.1) return;
      const sigs = new Set(values.map(signature));
      if (sigs.has(signature(cell))) weakD++;
      else weakH++;
      return;
    }
    if (head === 'year') {
      if (share((s) => s === 'year') >= 0.5) strongD++;
      return;
    }
    const same = head === 'code' ? share((s) => s === 'code' || s === 'number') : share((s) => s === head || (head === 'number' && s === 'year'));
    if (same >= 0.5) strongD++;
    else if (nonText <= 0.1) strongD++; // a number above text is data in a text column, not a column name
  });
  if (strongH + strongD > 0) return strongH > strongD;
  if (weakH === 0) return false;
  if (weakD === 0) return true;
  // Mixed weak signs: a header only if its cells are distinct, identifier-like names ("navn", "merknad").
  const cells = first.map((v) => v.trim());
  return weakH >= weakD && cells.every((v) => IDENTIFIER_LIKE.test(v)) && new Set(cells.map((v) => v.toLowerCase())).size === cells.length;
}

/**
 * Column names from header cells (or none): trimmed; an empty cell becomes `column<N>` (its 1-based position); a name
 * seen before (case-insensitively, as SQL sees names) gets `_2`, `_3` … — the first free one. Without a header all
 * columns are `column1` … `columnN`.
 */
export function columnNames(header: string[] | undefined, count: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const raw = header?.[i]?.trim() ?? '';
    const base = raw === '' ? `column${i + 1}` : raw;
    let name = base;
    for (let n = 2; seen.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    seen.add(name.toLowerCase());
    out.push(name);
  }
  return out;
}
