// The table engine: DuckDB in-process over immutable Parquet table versions. Opened with extension auto-install and
// auto-load off and explicit memory, thread and temp-directory limits (see ../shared/STACK.md traps).
//
// The contract with the tables domain (src/tables) is this file. Two rules hold for everything the engine returns:
//   1. Nothing is dropped, retyped or re-decoded silently: the engine reads with options it decided explicitly (or the
//      publisher gave), checks the rows it wrote against an independent count of records in the file, and reports
//      every line it skipped (`skipped`) — or fails.
//   2. No value from the file appears in anything but the rows themselves: not in column notes (`keptAsText` is a
//      reason code), not in error messages or params (line numbers and counts only), not in warnings. Column names are
//      the file's header (or column1…), and a header is only taken when the first row is clearly not data.
import type { DuckDBConnection } from '@duckdb/node-api';
import { DomainError } from '../../errors';
import type { TableProfile } from './profile';

export type { ColumnProfile, TableProfile } from './profile';

/**
 * Text encodings the engine reads (WHATWG labels). Detection (a charset detector over the bytes, plus a strict UTF-8
 * check) reports one of these or refuses the file with `encoding_unsupported`. 'windows-1252' is cp1252 ("ANSI":
 * Latin-1 plus €, curly quotes, dashes, Š/Ž/Œ in 0x80–0x9F); 'iso-8859-1' is strict Latin-1 and only used when asked.
 */
export const TEXT_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1', 'iso-8859-15', 'iso-8859-7'] as const;
export type TextEncodingName = (typeof TEXT_ENCODINGS)[number];

/** The column types a publisher may force with `columnTypes` ('text' keeps values as they are written). */
export const COLUMN_TYPE_OVERRIDES = ['text', 'integer', 'decimal', 'date', 'timestamp', 'boolean'] as const;
export type ColumnTypeOverride = (typeof COLUMN_TYPE_OVERRIDES)[number];

/**
 * How to read a delimited text file. Every field is optional on input (the engine decides what is missing); the engine
 * reports back a complete set in `ConvertResult.detected`, and feeding that back reads the file the same way again.
 */
export interface CsvReadOptions {
  encoding?: TextEncodingName;
  /** One character: ';' ',' TAB '|' … */
  delimiter?: string;
  /** The quote character, or '' for none. Default '"'. */
  quote?: string;
  /** The escape character inside quotes; default the quote itself (RFC 4180 doubling). */
  escape?: string;
  /** Whether the first record (after skipped leading lines) names the columns. */
  header?: boolean;
  /** Lines to skip at the top before the header or first row (title lines above a table). Default 0. */
  skipLines?: number;
  /** Lines starting with this prefix are comments: skipped and reported. '' = no comment lines. */
  commentPrefix?: string;
  decimalSeparator?: '.' | ',';
  /** Digit grouping in numbers: '' none, ' ' (also no-break space), '.', ','. */
  thousandsSeparator?: '' | ' ' | '.' | ',';
  /** Per-column type the publisher chose, by column name (as in `columns[].name`). */
  columnTypes?: Record<string, ColumnTypeOverride>;
  /** XLSX: the sheet to read, by name; default the first sheet that holds a value. */
  sheet?: string;
  /** XLSX: header rows (1, or 2 for a group header row with cells merged across columns above the names). */
  headerRows?: number;
}

/** What a table file is, by its content (never its name): the readers `tableToParquet` dispatches to. */
export type SourceFormat = 'csv' | 'xlsx' | 'json' | 'ndjson' | 'parquet';

/** Why a column that looks numeric stays text. Codes, never values; pages translate them. */
export type KeptAsTextReason = 'leading_zeros' | 'plus_sign' | 'identifier_name' | 'too_large' | 'publisher_choice';

/**
 * What a column holds, beyond its type: identifiers with check digits or code lists (src/identifiers), contact data,
 * dates and coordinates. The one list: ColumnInfo.semanticType and the column profile (./profile.ts) both use it, and
 * the validators of every kind are in ./semantic.ts. Identifier kinds are recognised from column names (normalised, nb
 * and en) and confirmed by the values; some kinds are also recognised from the values alone (see ./semantic.ts).
 */
export const SEMANTIC_TYPES = ['orgnr', 'kommunenummer', 'fylkesnummer', 'postnummer', 'fodselsnummer', 'kontonummer',
  'email', 'phone', 'date', 'latitude', 'longitude', 'utm_easting', 'utm_northing'] as const;
export type SemanticType = (typeof SEMANTIC_TYPES)[number];

export interface ColumnInfo {
  name: string;
  /** DuckDB type name: VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN. */
  type: string;
  nullable: boolean;
  /** Set when the values look numeric but the column stays text. */
  keptAsText?: KeptAsTextReason;
  /** The identifier this column holds, from its name (and, where a check digit exists, its values). */
  semanticType?: SemanticType;
  /**
   * Suppression/missing markers ('*', ':', '..', '-', …) found in an otherwise numeric column: those cells are null in
   * the table and counted here by marker. Markers are statistical symbols, not data values.
   */
  missingMarkers?: Record<string, number>;
}

export type SkipReason = 'comment' | 'blank' | 'leading';

/**
 * Cells or records the engine read but changed on purpose, by reason (positions only, never values):
 *   formula_without_value  XLSX formula cells with no cached value (the workbook was saved without calculating): null
 *   error_value            XLSX cells holding an error (#N/A, #DIV/0!, …): null
 *   missing_keys           JSON records without some of the columns (the union of all keys): those cells are null
 *   nested_as_json         JSON arrays / Parquet lists and maps kept as JSON text in a VARCHAR column
 *   timezone_to_utc        Parquet TIMESTAMP WITH TIME ZONE stored as TIMESTAMP in UTC
 */
export type NoteReason = 'formula_without_value' | 'error_value' | 'missing_keys' | 'nested_as_json' | 'timezone_to_utc';

export interface IngestNote {
  reason: NoteReason;
  count: number;
  /** Rows (XLSX sheet rows, JSON record numbers from 1, NDJSON lines): at most the first 100. */
  lines?: number[];
  /** Column names concerned (the file's header, like `columns[].name`). */
  columns?: string[];
}

/** A sheet of a workbook as the raw sheet XML counts it: `rows` XML rows, `columns` the widest row. */
export interface SheetInfo {
  name: string;
  rows: number;
  columns: number;
}

/** Lines the engine left out on purpose, by reason: how many and the first line numbers (1-based, in the file). */
export interface SkippedLines {
  reason: SkipReason;
  count: number;
  /** At most the first 100 line numbers. */
  lines: number[];
}

export interface ConvertResult {
  rowCount: number;
  columns: ColumnInfo[];
  /** The complete options the file was read with (given or decided). */
  detected: CsvReadOptions & Required<Pick<CsvReadOptions, 'encoding' | 'delimiter' | 'quote' | 'header' | 'skipLines' | 'commentPrefix' | 'decimalSeparator' | 'thousandsSeparator'>>;
  /** Records in the file by an independent streaming count (quotes honoured), before skipping. */
  recordCount: number;
  skipped: SkippedLines[];
}

/** The result of `tableToParquet`: the CSV result's fields, the format read, and what the format adds. */
export interface IngestResult extends Omit<ConvertResult, 'detected'> {
  format: SourceFormat;
  /** The complete options the file was read with; for CSV exactly ConvertResult['detected']. */
  detected: CsvReadOptions;
  /** XLSX: every sheet of the workbook, in workbook order. */
  sheets?: SheetInfo[];
  notes: IngestNote[];
}

/**
 * What an upload is by its content (`sniffFileKind` in ./encoding, re-exported by ./duckdb): only 'delimited-text' is
 * ingested; csvToParquet refuses the others with `file_not_text` and params `{ kind }`.
 */
export type FileKind = 'delimited-text' | 'xlsx' | 'xls' | 'ods' | 'json' | 'parquet' | 'pdf' | 'zip' | 'gzip' | 'binary' | 'empty';

/**
 * Rows whose `column`, cast to text, equals one of `values` (a consent-restricted read: see src/access/data-access.ts).
 * The column must exist (else `invalid_argument`); values are bound as parameters, never spliced into SQL; no values
 * match no rows.
 */
export interface RowFilter {
  column: string;
  values: string[];
}

export interface ParquetDescription {
  rowCount: number;
  columns: { name: string; type: string; nullable: boolean }[];
}

export interface TableEngine {
  /**
   * Reads a local delimited text file and writes a typed Parquet file; code-like columns stay text. Throws EngineError
   * (4xx: the file's fault, permanent; 5xx: ours, may be retried) — never returns a result with rows lost unreported.
   */
  csvToParquet(csvPath: string, parquetPath: string, opts?: CsvReadOptions): Promise<ConvertResult>;
  /**
   * Reads a local table file of any format the engine knows — decided by its content (sniffFileKind), never its name:
   * CSV/TSV (csvToParquet), XLSX, JSON (an array of objects), NDJSON (one object a line) and Parquet — and writes a
   * typed Parquet file with the same guarantees as csvToParquet. Other kinds fail with `file_not_text` { kind }.
   */
  tableToParquet(path: string, parquetPath: string, opts?: CsvReadOptions): Promise<IngestResult>;
  /**
   * Reads rows [offset, offset+limit) of a local Parquet file, in file order, as JSON-safe objects. With `where`, only
   * rows whose column (as text) is one of the values, and the offset counts those rows only.
   */
  readRows(parquetPath: string, opts: { offset: number; limit: number; where?: RowFilter }): Promise<Record<string, unknown>[]>;
  /** How many rows of a local Parquet file match `where` (all rows without it). */
  countRows(parquetPath: string, where?: RowFilter): Promise<number>;
  /** Column names, types and nullability (from the file's statistics) and the row count of a local Parquet file. */
  describeParquet(parquetPath: string): Promise<ParquetDescription>;
  /**
   * Runs `work` on a connection of its own (closed afterwards, interrupted by close()), for query layers over the
   * Parquet versions (src/data-api). The caller binds every value as a parameter and quotes every identifier.
   */
  withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  /** The column profile of a local Parquet file (statistics, top values, histograms, semantic types): ./profile.ts. */
  profileParquet(parquetPath: string): Promise<TableProfile>;
  close(): Promise<void>;
}

/**
 * Codes and the params each carries (all numbers unless said; never values from the file):
 *   file_not_found {} · file_empty {} or { lines } · file_not_text { kind: FileKind }
 *   encoding_unsupported { reason: 'mixed' | 'unknown' | 'truncated' | 'utf16_no_bom' | 'not_utf8' | 'invalid', line?, encoding? }
 *   invalid_csv { reason: 'unterminated_quote' | 'text_after_quote' | 'mixed_line_ends' | 'parse' | 'blank_lines', line?, count? }
 *   ragged_rows { count, line, fields, expected, lines: string (the first five line numbers, "3, 4, 9 …") }
 *   record_count_mismatch { expected, read } · too_many_columns { columns, limit } · field_too_long { limitMb, rowLimitMb }
 *   file_too_complex { columns, memoryLimit: string } · column_type_mismatch { column (1-based), count, type: string }
 *   invalid_argument { option: string, count? } · invalid_parquet {} · engine_closed {} · engine_failed { stage: string }
 *   xls_unsupported {} · xlsx_encrypted {} · xlsx_invalid { reason: 'not_zip' | 'no_workbook' | 'truncated' | 'parse' | 'zip64' }
 *   xlsx_zip_bomb { ratio, limitRatio, uncompressedMb, limitMb } · xlsx_sheet_not_found { sheets } · xlsx_sheet_empty { sheets }
 *   json_invalid { line, column } · json_not_array { line, column } · json_not_objects { line, record }
 *   parquet_unsupported_type { column (1-based) }
 */
export type EngineErrorCode =
  | 'file_not_found'
  | 'file_empty'
  | 'file_not_text'
  | 'encoding_unsupported'
  | 'invalid_csv'
  | 'ragged_rows'
  | 'record_count_mismatch'
  | 'too_many_columns'
  | 'field_too_long'
  | 'file_too_complex'
  | 'column_type_mismatch'
  | 'invalid_parquet'
  | 'invalid_argument'
  | 'engine_closed'
  | 'engine_failed'
  | 'xls_unsupported'
  | 'xlsx_encrypted'
  | 'xlsx_invalid'
  | 'xlsx_zip_bomb'
  | 'xlsx_sheet_not_found'
  | 'xlsx_sheet_empty'
  | 'json_invalid'
  | 'json_not_array'
  | 'json_not_objects'
  | 'parquet_unsupported_type';

/**
 * A table file could not be read or written. `message` is English, says why in words a data publisher understands and
 * never quotes the file's content or a raw DuckDB message; `params` (line numbers, counts, limits — never values) let
 * pages say the same in the reader's language under the key `tables.error.<code>`.
 */
export class EngineError extends DomainError {
  constructor(code: EngineErrorCode, message: string, params: Record<string, string | number> = {}) {
    super(code === 'engine_failed' || code === 'engine_closed' ? 500 : 422, code, message, params, params);
  }
}
