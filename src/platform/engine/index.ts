// The table engine: DuckDB in-process over immutable Parquet table versions. Opened with extension auto-install and
// auto-load off and explicit memory, thread and temp-directory limits (see ../shared/STACK.md traps).
import { DomainError } from '../../errors';

/**
 * Text encodings the engine reads. Detection reports 'utf-8', 'utf-16' or, for anything that is not valid UTF-8,
 * 'windows-1252' (cp1252, "ANSI": Latin-1 plus €, curly quotes, dashes, Š/Ž/Œ in 0x80–0x9F). 'latin-1' (strict
 * ISO-8859-1, 0x80–0x9F as control characters) is only used when asked for explicitly.
 */
export type TextEncodingName = 'utf-8' | 'windows-1252' | 'latin-1' | 'utf-16';

export interface CsvReadOptions {
  encoding?: TextEncodingName;
  delimiter?: string;
  decimalSeparator?: '.' | ',';
  header?: boolean;
}

export interface ColumnInfo {
  name: string;
  /** DuckDB type name: VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN. */
  type: string;
  nullable: boolean;
  /** Set when the values look numeric but the column stays text (leading zeros, identifier name, too large). */
  keptAsText?: string;
}

export interface ConvertResult {
  rowCount: number;
  columns: ColumnInfo[];
  detected: CsvReadOptions;
}

export interface ParquetDescription {
  rowCount: number;
  columns: { name: string; type: string; nullable: boolean }[];
}

export interface TableEngine {
  /** Reads a local CSV file and writes a typed Parquet file; code-like columns (leading zeros) stay text. */
  csvToParquet(csvPath: string, parquetPath: string, opts?: CsvReadOptions): Promise<ConvertResult>;
  /** Reads rows [offset, offset+limit) of a local Parquet file, in file order, as JSON-safe objects. */
  readRows(parquetPath: string, opts: { offset: number; limit: number }): Promise<Record<string, unknown>[]>;
  /** Column names, types and nullability (from the file's statistics) and the row count of a local Parquet file. */
  describeParquet(parquetPath: string): Promise<ParquetDescription>;
  close(): Promise<void>;
}

export type EngineErrorCode =
  | 'file_not_found'
  | 'file_empty'
  | 'file_not_text'
  | 'invalid_csv'
  | 'invalid_parquet'
  | 'invalid_argument'
  | 'engine_closed'
  | 'engine_failed';

/** A table file could not be read or written; `message` says why in words a data publisher understands. */
export class EngineError extends DomainError {
  constructor(code: EngineErrorCode, message: string, details?: Record<string, unknown>) {
    super(code === 'engine_failed' || code === 'engine_closed' ? 500 : 422, code, message, details);
  }
}
