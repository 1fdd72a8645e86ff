import type { Generated, Selectable } from 'kysely';
import type { CsvReadOptions, IngestNote, KeptAsTextReason, SemanticType, SheetInfo, SkippedLines } from '../platform/engine/index';

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
  /** Why a column that looks numeric was kept as text: a reason code, never a value. */
  keptAsText?: KeptAsTextReason;
  semanticType?: SemanticType;
  missingMarkers?: Record<string, number>;
}

export interface TableVersionsTable {
  id: string;
  table_id: string;
  version: number;
  state: TableVersionState;
  source_blob_key: string; // the uploaded file
  source_format: string; // csv | tsv | xlsx | json | ndjson | parquet: by extension until ingested, then by content
  source_options: string; // JSON CsvReadOptions: what the file was read with (the complete set once ingested)
  given_options: string; // JSON CsvReadOptions: what the publisher gave (the rest was detected)
  parquet_blob_key: string | null;
  row_count: number | null;
  record_count: number | null; // the engine's independent count of records in the file
  skipped: string; // JSON SkippedLines[]
  byte_size: number | null;
  columns: string; // JSON ColumnSchema[]
  /** Legacy free text; cleared by migration 20261201-003 and no longer written. */
  error: string | null;
  error_code: string | null; // `tables.error.<code>`: an EngineErrorCode, 'unknown', 'queue_failed' …
  error_params: string; // JSON: line numbers, counts, limits — never values
  from_version: number | null; // a re-ingest of this version's stored source file
  job_id: string | null;
  created_at: string;
  ready_at: string | null;
  /** JSON { sheets?: SheetInfo[], notes: IngestNote[] } (migration 20261202-008): a workbook's sheets, what was changed on purpose. */
  source_info: Generated<string>;
}

export type TableRow = Selectable<TablesTable>;
export type TableVersionRow = Selectable<TableVersionsTable>;

// --- presentation (what the service returns; the access door's table policy trims it per viewer) --------------------

export interface TableVersion {
  id: string;
  version: number;
  state: TableVersionState;
  rowCount: number | null;
  columns: ColumnSchema[];
  /** A value-free failure code (`tables.error.<code>`), or null. */
  errorCode: string | null;
  createdAt: string;
  readyAt: string | null;
  /** Import detail: only for people who may read the data or update the dataset (see src/access/table-visibility). */
  detail?: TableVersionDetail;
}

export interface TableVersionDetail {
  byteSize: number | null;
  sourceFormat: string;
  /** The options the file was read with: given or detected. */
  sourceOptions: CsvReadOptions;
  /** The options the publisher gave. */
  givenOptions: CsvReadOptions;
  recordCount: number | null;
  skipped: SkippedLines[];
  /** XLSX: the workbook's sheets (the import page offers them). */
  sheets?: SheetInfo[];
  /** Cells and records changed on purpose: formulas without a value, error cells, missing JSON keys, nested values. */
  notes?: IngestNote[];
  /** Line numbers, counts and limits for the failure message. */
  errorParams: Record<string, string | number>;
  fromVersion: number | null;
  jobId: string | null;
}

export interface TableSummary {
  id: string;
  datasetId: string;
  name: string;
  title: string;
  /** Columns and row count of the current (ready) version; empty/null until the first version is ready. */
  columns: ColumnSchema[];
  rowCount: number | null;
  currentVersion: TableVersion | null;
  /** The newest version, whatever its state: shows an ingest in progress or a failed upload. */
  latestVersion: TableVersion | null;
  /** Whether the viewer saw everything ('full') or the public schema only ('schema'). */
  detailLevel: 'full' | 'schema';
  createdAt: string;
  updatedAt: string;
}

export interface TableDetail extends TableSummary {
  versions: TableVersion[];
}
