// Harvesting: the tables, the normalised record every source type produces, and the run report. No I/O here.
import type { Generated, Selectable } from 'kysely';
import type { AccessRights, ContactPoint, LangList, LangText } from '../../catalog/model';

export const SOURCE_KINDS = ['dcat', 'ckan', 'norge'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed';
export type RunTrigger = 'manual' | 'schedule' | 'cli';

export interface HarvestSourcesTable {
  id: string;
  name: string;
  kind: SourceKind;
  url: string;
  interval_minutes: number | null; // null: on demand only
  enabled: Generated<number>;
  next_run_at: string | null;
  last_run_id: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface HarvestRunsTable {
  id: string;
  source_id: string;
  state: RunState;
  trigger: RunTrigger;
  job_id: string | null;
  added: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  merged: Generated<number>;
  removed: Generated<number>;
  failed: Generated<number>;
  pages: Generated<number>;
  failures: Generated<string>; // JSON RecordFailure[]
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface HarvestRecordsTable {
  source_id: string;
  record_key: string;
  dataset_id: string;
  uri: string | null;
  identifier: string | null;
  hash: string;
  applied: string; // JSON: the dataset fields this record set last
  extras: string; // JSON RecordExtras
  score: number;
  first_seen_at: string;
  last_seen_at: string;
}

export interface HarvestStagedTable {
  run_id: string;
  record_key: string;
  hash: string;
  payload: string; // JSON HarvestRecord
}

export type SourceRow = Selectable<HarvestSourcesTable>;
export type RunRow = Selectable<HarvestRunsTable>;

/** A publisher as a source names it: the orgnr when any known form of it was found, else an external agent. */
export interface HarvestPublisher {
  orgnr: string | null;
  uri: string | null;
  name: string | null;
}

export interface HarvestDistribution {
  uri: string | null;
  title: LangText;
  description: LangText;
  accessUrl: string | null;
  downloadUrl: string | null;
  mediaType: string | null;
  format: string | null;
  licence: string | null;
  byteSize: number | null;
}

/** One dataset as every source type hands it over: already normalised (languages, dates, themes, publisher). */
export interface HarvestRecord {
  /** The dataset's URI, else its identifier: the key within a source and (with the other) across sources. */
  key: string;
  uri: string | null;
  identifier: string | null;
  title: LangText;
  description: LangText;
  keywords: LangList;
  themes: string[]; // EU data themes
  losThemes: string[];
  otherThemes: string[]; // any other vocabulary (Geonorge, INSPIRE, EuroVoc …), kept as they are
  accessRights: AccessRights | null;
  licence: string | null;
  contactPoint: ContactPoint;
  spatial: string[];
  temporal: { start: string | null; end: string | null };
  frequency: string | null;
  provenance: string | null;
  issued: string | null;
  modified: string | null;
  landingPage: string | null;
  publisher: HarvestPublisher;
  distributions: HarvestDistribution[];
}

export interface RecordExtras {
  otherThemes: string[];
  publisherUri: string | null;
  publisherName: string | null;
  landingPage: string | null;
}

export interface RecordFailure {
  record: string; // the record's URI/identifier, or its position in the source
  reason: string;
}

export interface RunReport {
  id: string;
  sourceId: string;
  state: RunState;
  trigger: RunTrigger;
  jobId: string | null;
  added: number;
  updated: number;
  unchanged: number;
  merged: number;
  removed: number;
  failed: number;
  pages: number;
  failures: RecordFailure[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface HarvestSource {
  id: string;
  name: string;
  kind: SourceKind;
  url: string;
  intervalMinutes: number | null;
  enabled: boolean;
  nextRunAt: string | null;
  lastRun: RunReport | null;
  createdAt: string;
  updatedAt: string;
}

export interface SourceInput {
  name: string;
  kind: SourceKind;
  url: string;
  intervalMinutes?: number | null;
  enabled?: boolean;
}

/** At most this many record failures are kept on a run (the count is exact). */
export const MAX_REPORTED_FAILURES = 200;
/** Interval bounds: every 5 minutes at most often, every 90 days at least. */
export const MIN_INTERVAL_MINUTES = 5;
export const MAX_INTERVAL_MINUTES = 90 * 24 * 60;

/** How complete a record is, 0..100: the catalogue shows it, and records without description or licence score low. */
export function qualityScore(r: HarvestRecord): number {
  let s = 0;
  if (r.title.nb || r.title.nn || r.title.en) s += 15;
  if (r.description.nb || r.description.nn || r.description.en) s += 20;
  if (r.licence) s += 15;
  if (r.publisher.orgnr) s += 10;
  if (r.accessRights) s += 10;
  if (r.distributions.length > 0) s += 10;
  if (r.themes.length + r.losThemes.length > 0) s += 10;
  if (Object.values(r.keywords).some((k) => k && k.length > 0)) s += 5;
  if (r.contactPoint.email || r.contactPoint.url || r.contactPoint.phone) s += 5;
  return s;
}
