import type { Selectable } from 'kysely';

export interface TablesTable {
  id: string;
  dataset_id: string;
  name: string; // URL-safe, unique within the dataset
  title: string;
  current_version_id: string | null; // switched atomically when a new version is ready
  created_at: string;
  updated_at: string;
}

export type TableVersionState = 'pending' | 'ready' | 'failed';

export interface ColumnSchema {
  name: string;
  type: string; // DuckDB logical type, e.g. VARCHAR, BIGINT, DOUBLE, DATE
  nullable: boolean;
  /** Why a column that looks numeric was kept as text (leading zeros, identifier pattern). */
  keptAsText?: string;
}

export interface TableVersionsTable {
  id: string;
  table_id: string;
  version: number;
  state: TableVersionState;
  source_blob_key: string; // the uploaded file
  source_format: string; // csv | tsv | json | parquet | xlsx
  source_options: string; // JSON: encoding, delimiter, decimal separator, header as detected or given
  parquet_blob_key: string | null;
  row_count: number | null;
  byte_size: number | null;
  columns: string; // JSON ColumnSchema[]
  error: string | null;
  job_id: string | null;
  created_at: string;
  ready_at: string | null;
}

export type TableRow = Selectable<TablesTable>;
export type TableVersionRow = Selectable<TableVersionsTable>;
