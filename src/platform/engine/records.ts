// An independent count of the records in a delimited text file, by a byte-level state machine over UTF-8 bytes.
//
// Hand-written rather than csv-parse: the count runs over every byte of every upload beside DuckDB's own parse, and
// csv-parse streams at ~18 MB/s (arrays), ~7× slower than DuckDB (../shared/STACK.md); counting needs no strings, so
// a loop over the bytes that only tracks state runs at a few hundred MB/s. It follows the dialect DuckDB is given
// (auto_detect off, strict mode): a quote opens a quoted field only at the start of a field, inside quotes the escape
// character escapes the next quote or escape (with escape = quote that is RFC 4180 doubling), a closing quote ends the
// quoting, and a quote in the middle of an unquoted field is a plain character. Line breaks are LF, CRLF or CR alone;
// physical line numbers count every break, also those inside quoted fields, so they match what an editor shows.
//
// Blank lines (nothing between two breaks) and comment lines (first byte the comment prefix, outside quotes) are
// reported, not counted as records; `skipLines` physical lines at the top are skipped before anything else.

export interface ScanDialect {
  delimiter: string;
  /** '' = no quoting. */
  quote: string;
  escape: string;
  /** '' = no comment lines; otherwise one character. */
  commentPrefix: string;
  skipLines: number;
}

export interface ScanOptions {
  /** Keep the fields of the first N records (decoded, each cut at 1,000 bytes), for dialect and header decisions. */
  collect?: number;
  /** Stop after this many bytes (a sample); the record cut off at the end is dropped. */
  limitBytes?: number;
  /** The input is the start of a longer file: the record cut off at its end is dropped. */
  partial?: boolean;
  /** Receives the input without its comment lines (each with its line break), for a filtered copy. */
  emit?: (bytes: Buffer) => void;
  /** With emit: write every line end outside quotes as LF (line ends inside quoted values stay as they are). */
  normaliseLineEnds?: boolean;
}

export interface RaggedRecord {
  /** Physical line the record starts on (1-based). */
  line: number;
  fields: number;
}

export interface LineList {
  count: number;
  /** The first 100 line numbers. */
  lines: number[];
}

export interface ScanResult {
  /** Records outside skipped, blank and comment lines (the header, if any, included). */
  records: number;
  /** Field count of the first record. */
  fields: number;
  /** Records whose field count differs from the first record's: the first 10 and how many in all. */
  ragged: RaggedRecord[];
  raggedCount: number;
  blank: LineList;
  comment: LineList;
  leading: LineList;
  /** Bytes in the longest record and the longest field (quotes included). */
  maxRecordBytes: number;
  maxFieldBytes: number;
  /** The line a quoted field opened on that never closed before the end of the file (or sample). */
  unterminatedQuoteLine?: number;
  /** The largest field count of any record. */
  maxFields: number;
  /** Physical lines in the file. */
  lines: number;
  /** Collected fields of the first records (see ScanOptions.collect). */
  sample: string[][];
  /** Physical start line of each collected record. */
  sampleLines: number[];
  /** True when limitBytes cut the input short. */
  truncated: boolean;
  /** Records with text after a closing quote other than spaces ("x"y): a sign of the wrong quote or escape. */
  junkAfterQuote: LineList;
  /** The first line whose line end (LF, CRLF, CR) differs from the first line's, if any. */
  mixedLineEndLine?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const COLLECT_FIELD_BYTES = 1000;
const LF_BYTE = Buffer.from([LF]);

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just saw a quote inside a quoted field where escape = quote: a doubled quote or the closing one. */
  QuoteInQuoted,
  /** Just saw the escape character inside a quoted field (escape ≠ quote). */
  Escaped,
  /** After the closing quote: the rest up to the delimiter or line break belongs to the field. */
  AfterQuote,
  Comment,
  Leading,
}

function byteOf(ch: string, what: string): number {
  const b = Buffer.from(ch, 'utf8');
  if (b.length !== 1) throw new Error(`${what} must be one ASCII character`);
  return b[0] as number;
}

function pushLine(list: LineList, line: number): void {
  list.count++;
  if (list.lines.length < 100) list.lines.push(line);
}

/** A streaming scanner: feed it chunks with `push`, then call `end`. */
export class RecordScanner {
  private readonly delim: number;
  private readonly quote: number; // -1 = none
  private readonly escape: number;
  private readonly comment: number; // -1 = none
  private readonly skipLines: number;
  private readonly collect: number;
  private state: S;
  private line = 1;
  private pendingCR = false;
  private bomChecked = false;
  private bomBytes = 0;
  private recordStartLine = 1;
  private recordBytes = 0;
  private fieldBytes = 0;
  private delims = 0;
  private recordEmpty = true;
  private quoteLine = 0;
  private collecting: string[] | undefined;
  private fieldBuf: number[] = [];
  private done = false;
  readonly result: ScanResult;

  constructor(dialect: ScanDialect, private readonly opts: ScanOptions = {}) {
    this.delim = byteOf(dialect.delimiter, 'delimiter');
    this.quote = dialect.quote === '' ? -1 : byteOf(dialect.quote, 'quote');
    this.escape = dialect.escape === '' ? this.quote : byteOf(dialect.escape, 'escape');
    this.comment = dialect.commentPrefix === '' ? -1 : byteOf(dialect.commentPrefix, 'comment prefix');
    this.skipLines = dialect.skipLines;
    this.collect = opts.collect ?? 0;
    this.state = this.skipLines > 0 ? S.Leading : S.FieldStart;
    this.result = {
      records: 0, fields: 0, ragged: [], raggedCount: 0, maxFields: 0,
      blank: { count: 0, lines: [] }, comment: { count: 0, lines: [] }, leading: { count: 0, lines: [] },
      maxRecordBytes: 0, maxFieldBytes: 0, lines: 0, sample: [], sampleLines: [], truncated: false,
      junkAfterQuote: { count: 0, lines: [] },
    };
    if (this.collect > 0) this.collecting = [];
  }

  private endField(): void {
    if (this.fieldBytes > this.result.maxFieldBytes) this.result.maxFieldBytes = this.fieldBytes;
    this.fieldBytes = 0;
    if (this.collecting) {
      this.collecting.push(Buffer.from(this.fieldBuf).toString('utf8'));
      this.fieldBuf = [];
    }
  }

  private endRecord(): void {
    const r = this.result;
    if (this.recordEmpty) {
      pushLine(r.blank, this.recordStartLine);
    } else {
      this.endField();
      const fields = this.delims + 1;
      r.records++;
      if (r.records === 1) r.fields = fields;
      else if (fields !== r.fields) {
        r.raggedCount++;
        if (r.ragged.length < 10) r.ragged.push({ line: this.recordStartLine, fields });
      }
      if (fields > r.maxFields) r.maxFields = fields;
      if (this.recordBytes > r.maxRecordBytes) r.maxRecordBytes = this.recordBytes;
      if (this.collecting) {
        r.sample.push(this.collecting);
        r.sampleLines.push(this.recordStartLine);
        this.collecting = r.sample.length < this.collect ? [] : undefined;
      }
    }
    this.delims = 0;
    this.junkNoted = false;
    this.recordBytes = 0;
    this.fieldBytes = 0;
    this.recordEmpty = true;
    this.fieldBuf = [];
    if (this.collecting) this.collecting = [];
  }

  /** Feeds the next bytes. Returns false once a byte limit has been reached (stop feeding). */
  push(chunk: Buffer): boolean {
    if (this.done) return false;
    let start = 0;
    if (!this.bomChecked) {
      // A UTF-8 byte-order mark is not part of the first field. It may arrive split over tiny chunks.
      while (this.bomBytes < 3 && start < chunk.length && chunk[start] === [0xef, 0xbb, 0xbf][this.bomBytes]) {
        this.bomBytes++;
        start++;
      }
      if (this.bomBytes === 3 || start < chunk.length) this.bomChecked = true;
    }
    let end = chunk.length;
    if (this.opts.limitBytes !== undefined) {
      const room = this.opts.limitBytes - this.consumed;
      if (room <= 0) { this.done = true; this.result.truncated = true; return false; }
      if (end - start > room) { end = start + room; this.result.truncated = true; this.done = true; }
    }
    this.consumed += end - start;
    const { delim, quote, escape, comment } = this;
    const emit = this.opts.emit;
    let emitFrom = this.inComment ? -1 : start;
    const collect = this.collecting !== undefined || this.collect > 0;
    for (let i = start; i < end; i++) {
      const b = chunk[i] as number;
      if (this.pendingCR) {
        this.pendingCR = false;
        this.noteLineEnd(b === LF ? 2 : 3, this.line - 1);
        if (b === LF) {
          if (this.dropLF) { this.dropLF = false; emitFrom = i + 1; }
          if (this.state === S.Quoted) {
            // The LF of a CRLF inside quotes belongs to the value.
            this.recordBytes++;
            this.fieldBytes++;
            if (this.collecting && this.fieldBuf.length < COLLECT_FIELD_BYTES) this.fieldBuf.push(b);
          }
          continue; // the LF of a CRLF: the break was counted at the CR
        }
        this.dropLF = false;
      }
      const isBreak = b === LF || b === CR;
      if (isBreak) {
        if (b === CR) this.pendingCR = true;
        else this.noteLineEnd(1, this.line);
        this.line++;
        switch (this.state) {
          case S.Quoted:
            this.recordBytes++;
            this.fieldBytes++;
            if (this.collecting && this.fieldBuf.length < COLLECT_FIELD_BYTES) this.fieldBuf.push(b);
            continue;
          case S.QuoteInQuoted:
          case S.Escaped:
            if (this.state === S.Escaped) {
              // An escape character before a line break escapes nothing; the break stays inside the quotes.
              this.state = S.Quoted;
              continue;
            }
            break; // the quote closed the field
          case S.Comment:
            pushLine(this.result.comment, this.recordStartLine);
            this.inComment = false;
            emitFrom = i + 1;
            this.dropLF = b === CR;
            this.state = S.FieldStart;
            this.recordStartLine = this.line;
            this.recordEmpty = true;
            continue;
          case S.Leading:
            if (this.opts.normaliseLineEnds) emitFrom = this.emitLF(chunk, emitFrom, i, b);
            pushLine(this.result.leading, this.line - 1);
            if (this.line > this.skipLines) this.state = S.FieldStart;
            this.recordStartLine = this.line;
            continue;
          default:
            break;
        }
        if (this.opts.normaliseLineEnds) emitFrom = this.emitLF(chunk, emitFrom, i, b);
        this.endRecord();
        this.state = S.FieldStart;
        this.recordStartLine = this.line;
        continue;
      }
      switch (this.state) {
        case S.Leading:
        case S.Comment:
          continue;
        case S.FieldStart:
          if (this.recordEmpty) {
            this.recordEmpty = false;
            if (b === comment) {
              this.state = S.Comment;
              this.inComment = true;
              if (emit && emitFrom >= 0 && i > emitFrom) emit(chunk.subarray(emitFrom, i));
              emitFrom = -1;
              continue;
            }
          }
          this.recordBytes++;
          if (b === quote) { this.state = S.Quoted; this.fieldBytes++; this.quoteLine = this.line; continue; }
          if (b === delim) { this.delims++; this.endField(); continue; }
          this.fieldBytes++;
          if (collect && this.collecting) this.fieldBuf.push(b);
          this.state = S.Unquoted;
          continue;
        case S.Unquoted: {
          if (b === delim) { this.recordBytes++; this.delims++; this.endField(); this.state = S.FieldStart; continue; }
          // Fast path: run to the next delimiter or line break.
          let j = i + 1;
          while (j < end) {
            const c = chunk[j] as number;
            if (c === delim || c === LF || c === CR) break;
            j++;
          }
          this.recordBytes += j - i;
          this.fieldBytes += j - i;
          if (this.collecting) for (let q = i; q < j && this.fieldBuf.length < COLLECT_FIELD_BYTES; q++) this.fieldBuf.push(chunk[q] as number);
          i = j - 1;
          continue;
        }
        case S.Quoted:
          this.recordBytes++;
          this.fieldBytes++;
          if (b === escape && escape !== quote) { this.state = S.Escaped; continue; }
          if (b === quote) { this.state = escape === quote ? S.QuoteInQuoted : S.AfterQuote; continue; }
          if (this.collecting && this.fieldBuf.length < COLLECT_FIELD_BYTES) this.fieldBuf.push(b);
          continue;
        case S.Escaped:
          this.recordBytes++;
          this.fieldBytes++;
          if (this.collecting && this.fieldBuf.length < COLLECT_FIELD_BYTES) this.fieldBuf.push(b);
          this.state = S.Quoted;
          continue;
        case S.QuoteInQuoted:
          this.recordBytes++;
          if (b === quote) {
            this.fieldBytes++;
            if (this.collecting && this.fieldBuf.length < COLLECT_FIELD_BYTES) this.fieldBuf.push(b);
            this.state = S.Quoted;
            continue;
          }
          if (b === delim) { this.delims++; this.endField(); this.state = S.FieldStart; continue; }
          this.fieldBytes++;
          if (b !== 0x20 && b !== 0x09) this.noteJunk();
          this.state = S.AfterQuote;
          continue;
        case S.AfterQuote:
          this.recordBytes++;
          if (b === delim) { this.delims++; this.endField(); this.state = S.FieldStart; continue; }
          this.fieldBytes++;
          if (b !== 0x20 && b !== 0x09) this.noteJunk();
          continue;
      }
    }
    if (emit && emitFrom >= 0 && end > emitFrom) emit(chunk.subarray(emitFrom, end));
    return !this.done;
  }

  private consumed = 0;
  private lineEndStyle = 0; // 1 LF, 2 CRLF, 3 CR
  private junkNoted = false;

  /** Emits what came before the line break at `i`, then LF in place of the break; returns the new emit start. */
  private emitLF(chunk: Buffer, emitFrom: number, i: number, b: number): number {
    const emit = this.opts.emit;
    if (!emit) return emitFrom;
    if (emitFrom >= 0 && i > emitFrom) emit(chunk.subarray(emitFrom, i));
    emit(LF_BYTE);
    this.dropLF = b === CR;
    return i + 1;
  }

  private noteLineEnd(style: number, line: number): void {
    if (this.lineEndStyle === 0) this.lineEndStyle = style;
    else if (style !== this.lineEndStyle && this.result.mixedLineEndLine === undefined) this.result.mixedLineEndLine = line;
  }

  private noteJunk(): void {
    if (this.junkNoted) return; // once per record
    this.junkNoted = true;
    pushLine(this.result.junkAfterQuote, this.recordStartLine);
  }
  private inComment = false;
  private dropLF = false;

  end(): ScanResult {
    const r = this.result;
    if (this.opts.partial) r.truncated = true;
    if (r.truncated) {
      // The last record may be cut off: drop it from the sample rather than judge half a record.
      if (this.state === S.Quoted || this.state === S.Escaped) r.unterminatedQuoteLine = undefined;
      r.lines = this.line;
      return r;
    }
    if (this.state === S.Quoted || this.state === S.Escaped) {
      r.unterminatedQuoteLine = this.quoteLine;
      this.endRecord();
    } else if (this.state === S.Comment) {
      pushLine(r.comment, this.recordStartLine);
    } else if (this.state === S.Leading) {
      if (!this.pendingCR) pushLine(r.leading, this.line);
    } else if (!this.recordEmpty || this.state !== S.FieldStart) {
      this.endRecord();
    }
    // A final line without a break is a line; a file ending in a break has no line after it.
    r.lines = this.recordEmpty && this.state === S.FieldStart ? this.line - 1 : this.line;
    return r;
  }
}

/** Scans a whole stream of chunks. */
export async function scanRecords(chunks: AsyncIterable<Buffer>, dialect: ScanDialect, opts: ScanOptions = {}): Promise<ScanResult> {
  const scanner = new RecordScanner(dialect, opts);
  for await (const chunk of chunks) {
    if (!scanner.push(chunk)) break;
  }
  return scanner.end();
}

/** Scans an in-memory sample. */
export function scanBuffer(buf: Buffer, dialect: ScanDialect, opts: ScanOptions = {}): ScanResult {
  const scanner = new RecordScanner(dialect, opts);
  scanner.push(buf);
  return scanner.end();
}
