import type { Selectable } from 'kysely';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** One row per job on both back ends: the record users see at /api/v1/jobs/{id} (state, progress, error). */
export interface JobsTable {
  id: string;
  type: string;
  payload: string; // JSON
  state: JobState;
  attempts: number;
  max_attempts: number;
  backoff_ms: number; // base of the exponential backoff: a retry waits backoff_ms * 2^(attempt-1)
  run_after: string; // ISO; the poller takes jobs whose run_after has passed (backoff sets it ahead)
  locked_by: string | null;
  locked_until: string | null; // a lease: a job whose worker died is taken again after this
  progress: number; // 0..100
  progress_message: string | null;
  result: string | null; // JSON
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export type JobRow = Selectable<JobsTable>;
