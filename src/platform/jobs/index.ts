// The job queue that ingest, harvest and notifications run on. Two back ends behind one interface:
// an in-process poller over the `jobs` table (SQLite) and pg-boss (PostgreSQL). On both, the `jobs` table is the
// record users see (state, attempts, progress, error, result); a job survives a restart of the process.
import type { JobRow } from './model';

export interface JobContext {
  jobId: string;
  attempt: number; // 1-based
  /** Reports progress 0..100 with an optional message; stored so /api/v1/jobs/{id} shows it. */
  progress(percent: number, message?: string): Promise<void>;
  signal: AbortSignal;
}

export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => Promise<unknown>;

export interface EnqueueOptions {
  maxAttempts?: number; // default 3
  /** Base delay for exponential backoff between attempts, in ms (default 1000): base * 2^(attempt-1). */
  backoffMs?: number;
  runAfter?: Date;
}

export interface JobQueue {
  readonly kind: 'poller' | 'pg-boss';
  /** Registers the handler for a job type; must happen before start(). */
  register<P>(type: string, handler: JobHandler<P>): void;
  enqueue<P>(type: string, payload: P, opts?: EnqueueOptions): Promise<string>;
  get(id: string): Promise<JobRow | undefined>;
  /** Starts taking jobs (serve with WORKER=true, or `datafabrikken worker`). */
  start(): Promise<void>;
  /** Resolves when no queued or running job is left, or rejects after timeoutMs. For the CLI seed and tests. */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops taking jobs and waits for running handlers to finish. */
  stop(): Promise<void>;
  ping(): Promise<void>;
}

export interface JobQueueOptions {
  /** Name of this worker in locks and logs. */
  workerId?: string;
  /** How often the poller looks for due jobs, ms (default 500). */
  pollIntervalMs?: number;
  /** How long a taken job is leased before another worker may take it again, ms (default 5 min). */
  leaseMs?: number;
  concurrency?: number; // default 1
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

/** Chooses the back end: pg-boss when the metadata DB is PostgreSQL, the in-process poller on SQLite. */
export async function createJobQueue(
  dbh: { db: import('../../database').Db; dialect: 'sqlite' | 'postgres' },
  databaseUrl: string | undefined,
  opts: JobQueueOptions = {},
): Promise<JobQueue> {
  if (dbh.dialect === 'postgres' && databaseUrl) {
    const { createPgBossQueue } = await import('./pg-boss');
    return createPgBossQueue(dbh.db, databaseUrl, opts);
  }
  const { createPollerQueue } = await import('./poller');
  return createPollerQueue(dbh.db, opts);
}
