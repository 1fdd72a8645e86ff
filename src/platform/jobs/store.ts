// Queries on the `jobs` table shared by both back ends. The row is the record users see; every write that finishes an
// attempt is guarded by the claim token (locked_by + attempts) so a worker that lost its lease cannot overwrite the
// outcome of the worker that took the job over.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx } from '../../database';
import type { EnqueueOptions } from './index';
import type { JobRow } from './model';

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;

/** A job type names a pg-boss queue too, so it is kept to letters, digits, '_', '-', '.' and '/'. */
const TYPE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,99}$/;

export class InvalidJobError extends Error {
  readonly code = 'invalid_job';
  readonly status = 400;
}

export interface NewJob {
  type: string;
  payload: string; // JSON
  maxAttempts: number;
  backoffMs: number;
  runAfter: Date;
}

/** Checks the arguments of enqueue() and fills in the defaults; throws InvalidJobError on bad input. */
export function prepareJob(type: string, payload: unknown, opts: EnqueueOptions = {}): NewJob {
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw new InvalidJobError(`Invalid job type ${JSON.stringify(type)}: use letters, digits, '_', '-', '.' or '/'`);
  }
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new InvalidJobError(`maxAttempts must be an integer from 1 to 100, got ${String(maxAttempts)}`);
  }
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  if (!Number.isInteger(backoffMs) || backoffMs < 0 || backoffMs > 24 * 3600_000) {
    throw new InvalidJobError(`backoffMs must be an integer from 0 to 86400000, got ${String(backoffMs)}`);
  }
  const runAfter = opts.runAfter ?? new Date();
  if (!(runAfter instanceof Date) || Number.isNaN(runAfter.getTime())) {
    throw new InvalidJobError('runAfter must be a valid Date');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(payload ?? null);
  } catch (err) {
    throw new InvalidJobError(`Job payload is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json === undefined) throw new InvalidJobError('Job payload is not JSON-serialisable');
  return { type, payload: json, maxAttempts, backoffMs, runAfter };
}

export async function insertJob(db: DbOrTx, job: NewJob): Promise<string> {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await db
    .insertInto('jobs')
    .values({
      id,
      type: job.type,
      payload: job.payload,
      state: 'queued',
      attempts: 0,
      max_attempts: job.maxAttempts,
      backoff_ms: job.backoffMs,
      run_after: job.runAfter.toISOString(),
      locked_by: null,
      locked_until: null,
      progress: 0,
      progress_message: null,
      result: null,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .execute();
  return id;
}

export async function findJob(db: DbOrTx, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Takes one job atomically: the oldest due queued job, or a running job whose lease has expired (its worker died).
 * The outer WHERE repeats the condition, so when two workers pick the same id only one update matches (PostgreSQL
 * re-checks the row after waiting for the other's lock; SQLite serialises writers). attempts counts started attempts.
 * With `id`, takes that job only and ignores run_after (pg-boss did the scheduling).
 */
export async function claimJob(
  db: DbOrTx,
  opts: { workerId: string; leaseMs: number; id?: string },
): Promise<JobRow | undefined> {
  const now = new Date();
  const nowIso = now.toISOString();
  const takeable = sql<boolean>`(state = 'queued' or (state = 'running' and locked_until < ${nowIso}))`;
  const next = opts.id
    ? sql`${opts.id}`
    : sql`(select id from jobs
            where (state = 'queued' and run_after <= ${nowIso}) or (state = 'running' and locked_until < ${nowIso})
            order by run_after, created_at limit 1)`;
  const result = await sql<JobRow>`
    update jobs set state = 'running', attempts = attempts + 1, locked_by = ${opts.workerId},
      locked_until = ${new Date(now.getTime() + opts.leaseMs).toISOString()}, updated_at = ${nowIso}
    where id = ${next} and ${takeable}
    returning *`.execute(db);
  return result.rows[0];
}

/** The claim token: updates of an attempt apply only while the row still belongs to that attempt. */
export interface Claim {
  id: string;
  workerId: string;
  attempt: number;
}

function owned(claim: Claim) {
  return sql<boolean>`id = ${claim.id} and state = 'running' and locked_by = ${claim.workerId} and attempts = ${claim.attempt}`;
}

export async function extendLease(db: DbOrTx, claim: Claim, leaseMs: number): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ locked_until: new Date(Date.now() + leaseMs).toISOString(), updated_at: new Date().toISOString() })
    .where(owned(claim))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function setProgress(db: DbOrTx, claim: Claim, percent: number, message: string | null): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ progress: percent, progress_message: message, updated_at: new Date().toISOString() })
    .where(owned(claim))
    .execute();
}

export async function markSucceeded(db: DbOrTx, claim: Claim, resultJson: string): Promise<boolean> {
  const now = new Date().toISOString();
  const r = await db
    .updateTable('jobs')
    .set({
      state: 'succeeded',
      progress: 100,
      result: resultJson,
      error: null,
      locked_by: null,
      locked_until: null,
      updated_at: now,
      finished_at: now,
    })
    .where(owned(claim))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Ends the job for good (attempts used up, unknown type, unreadable payload). */
export async function markFailed(db: DbOrTx, claim: Claim, error: string): Promise<boolean> {
  const now = new Date().toISOString();
  const r = await db
    .updateTable('jobs')
    .set({ state: 'failed', error, locked_by: null, locked_until: null, updated_at: now, finished_at: now })
    .where(owned(claim))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Puts the job back in the queue for another attempt at runAfter, keeping the error of the failed attempt. */
export async function markRetry(db: DbOrTx, claim: Claim, error: string, runAfter: Date): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({
      state: 'queued',
      error,
      run_after: runAfter.toISOString(),
      locked_by: null,
      locked_until: null,
      updated_at: new Date().toISOString(),
    })
    .where(owned(claim))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A job interrupted by stop() goes back to the queue, due now, and the interrupted attempt is not counted. */
export async function releaseJob(db: DbOrTx, claim: Claim): Promise<boolean> {
  const now = new Date().toISOString();
  const r = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'queued',
      attempts: eb('attempts', '-', 1),
      run_after: now,
      locked_by: null,
      locked_until: null,
      updated_at: now,
    }))
    .where(owned(claim))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Delay before the next attempt after `attempt` failed: backoffMs * 2^(attempt-1). */
export function backoffDelay(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, Math.min(30, attempt - 1));
}

export async function countUnfinished(db: DbOrTx): Promise<{ queued: number; running: number }> {
  const rows = await db
    .selectFrom('jobs')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', ['queued', 'running'])
    .groupBy('state')
    .execute();
  const count = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { queued: count('queued'), running: count('running') };
}

/**
 * Resolves when no job is queued or running. Queued jobs whose run_after lies in the future count too: drain waits
 * for them (or times out), so a caller never mistakes "scheduled later" for "done".
 */
export async function drainJobs(db: DbOrTx, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { queued, running } = await countUnfinished(db);
    if (queued === 0 && running === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`Job queue did not drain within ${timeoutMs} ms: ${queued} queued, ${running} running`);
    }
    await new Promise((r) => setTimeout(r, Math.max(10, Math.min(pollMs, deadline - Date.now()))));
  }
}

/** Records when a queued job's next attempt is due (pg-boss decides it, with jitter); only for that same attempt. */
export async function setRunAfter(db: DbOrTx, id: string, attempts: number, runAfter: Date): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ run_after: runAfter.toISOString(), updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .where('state', '=', 'queued')
    .where('attempts', '=', attempts)
    .execute();
}
