// The data API's vocabulary: a parsed rows request (filters, sort, fields, paging, counts, aggregates, format), the
// keyset cursor and the output formats. Parsing and SQL are in ./query.ts; access and stores in ./service.ts.
import type { RowRestriction } from '../access/data-access';

export const DEFAULT_SIZE = 100;
export const MAX_SIZE = 10_000;
/** Largest `_offset` (the legacy paging; `next` links use the cursor). */
export const MAX_OFFSET = 1_000_000_000;
/** Most values in one `__in` filter and most filters in one request. */
export const MAX_IN_VALUES = 1_000;
export const MAX_FILTERS = 50;

export const FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startswith', 'isnull'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export const AGG_FUNCS = ['count', 'sum', 'avg', 'min', 'max'] as const;
export type AggFunc = (typeof AGG_FUNCS)[number];

export const FORMATS = ['json', 'ndjson', 'csv', 'parquet', 'xlsx'] as const;
export type Format = (typeof FORMATS)[number];

export const MEDIA_TYPES: Record<Format, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** What a download offers: the stored source file, or a conversion of the version. */
export const DOWNLOAD_FORMATS = ['original', 'csv', 'parquet', 'xlsx', 'json'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

/** How a column's values are read from the query string and compared. */
export type ColumnKind = 'text' | 'integer' | 'number' | 'date' | 'timestamp' | 'boolean' | 'other';

export interface QueryColumn {
  name: string;
  /** DuckDB type name of the version's Parquet column. */
  type: string;
  kind: ColumnKind;
}

export interface Filter {
  column: QueryColumn;
  op: FilterOp;
  /** Checked values, as text, cast to the column's type in SQL (`isnull`: 'true' | 'false'). */
  values: string[];
}

export interface SortKey {
  column: QueryColumn;
  desc: boolean;
}

export interface Aggregate {
  func: AggFunc;
  /** Undefined for count(*). */
  column?: QueryColumn;
  /** Output name: `count`, or `func:column` as requested. */
  key: string;
}

/** Where a page starts: after the row with these sort-key values and file_row_number. */
export interface Cursor {
  versionId: string;
  /** Fingerprint of sort and filters: a cursor only continues the query it came from. */
  query: string;
  keys: (string | null)[];
  row: number;
}

export type CountMode = 'exact' | 'estimate' | 'none';

export interface RowsSpec {
  filters: Filter[];
  sort: SortKey[];
  /** Output columns, in order. */
  fields: QueryColumn[];
  size: number;
  offset: number;
  cursor?: Cursor;
  count: CountMode;
  group?: QueryColumn[];
  aggregates?: Aggregate[];
  /** With _group: order by group columns and aggregate keys. */
  aggSort?: { key: string; desc: boolean }[];
}

/**
 * The rows an actor may read: every row, or those a RowRestriction allows. Every function of the query layer takes
 * one, with no default, so no query, count, aggregate or download can be built without deciding it.
 */
export type RowScope = 'all' | RowRestriction;
