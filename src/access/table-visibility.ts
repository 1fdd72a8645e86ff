// What a viewer may see of a hosted table's metadata: the central policy every surface goes through (the dataset
// page's tables section, the tables JSON API, the upload result). Services call visibleTable(); surfaces never trim.
//
// Who sees everything ('full'): whoever may read the table's data (everyone for PUBLIC datasets; members and holders
// of an active grant — resource.grantee, set by datasetResourceFor — for RESTRICTED and NON_PUBLIC) or update the
// dataset (its publishers). They already have the values, so the import
// report — how the file was read, which lines were skipped, why the ingest failed — tells them nothing new.
//
// Everyone else ('schema') sees the table's public description only (published metadata is public at every access
// level, DCAT-AP-NO), an allow-list:
//   - table name and title, row count;
//   - column names, types and nullability (names are the file's header, or column1… when it has none);
//   - each version's number, state (pending/ready/failed), value-free failure code and timestamps.
// Never: keptAsText reasons, semantic types (decided from the values), missing markers and their counts, the options
// the file was read with (per-column types are the publisher's description of values), the record count, skipped
// lines, failure params, byte size, the job id. Skipped-line numbers and failure params are value-free, but they say
// where in the file the irregular records are (which lines are comments, where a record broke), i.e. they describe the
// content rather than the schema; outsiders gain nothing from them and publishers see them in full.
import type { ColumnSchema, TableSummary, TableVersion } from '../tables/model';
import type { Actor, Resource } from './model';
import { decide } from './service';

export type TableDetailLevel = 'full' | 'schema';

/** 'full' for readers of the data and publishers of the dataset, 'schema' for everyone else. */
export function tableDetailLevel(actor: Actor, dataset: Resource): TableDetailLevel {
  const granted = dataset.type === 'dataset' && dataset.grantee === true;
  return granted || decide(actor, 'dataset:read-data', dataset).allow || decide(actor, 'dataset:update', dataset).allow ? 'full' : 'schema';
}

function schemaColumn(c: ColumnSchema): ColumnSchema {
  return { name: c.name, type: c.type, nullable: c.nullable };
}

function schemaVersion(v: TableVersion): TableVersion {
  return {
    id: v.id,
    version: v.version,
    state: v.state,
    rowCount: v.rowCount,
    columns: v.columns.map(schemaColumn),
    errorCode: v.errorCode,
    createdAt: v.createdAt,
    readyAt: v.readyAt,
  };
}

/**
 * The table as this actor may see it (see the top of this file). `table` is the complete presentation; the result is
 * the same object shape with everything outside the allow-list removed for 'schema' viewers.
 */
export function visibleTable<T extends TableSummary & { versions?: TableVersion[] }>(actor: Actor, dataset: Resource, table: T): T {
  const level = tableDetailLevel(actor, dataset);
  if (level === 'full') return { ...table, detailLevel: 'full' };
  const out: T = {
    ...table,
    detailLevel: 'schema',
    columns: table.columns.map(schemaColumn),
    currentVersion: table.currentVersion ? schemaVersion(table.currentVersion) : null,
    latestVersion: table.latestVersion ? schemaVersion(table.latestVersion) : null,
  };
  if (table.versions) out.versions = table.versions.map(schemaVersion);
  return out;
}
