// Runs one claimed job with its handler and records the outcome on the row. Shared by the poller and pg-boss, so a
// job behaves the same on both: progress, lease extension, success, retry with backoff, failure, interruption.
// An error retrying cannot fix (see isPermanentError: bad input such as an unreadable upload) fails the job at once.
import os from 'node:os';
import crypto from 'node:crypto';
import type { Db } from '../../database';
import { DomainError } from '../../errors';
import type { JobContext, JobHandler, JobQueueOptions } from './index';
import type { JobRow } from './model';
import {
  backoffDelay,
  extendLease,
  markFailed,
  markRetry,
  markSucceeded,
  releaseJob,
  setProgress,
  type Claim,
} from './store';

export type JobLogger = NonNullable<JobQueueOptions['logger']>;

export const DEFAULT_LEASE_MS = 5 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 500;

const silentLogger: JobLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  error: (obj, msg) => console.error(msg ?? '', obj),
};

export function resolveOptions(opts: JobQueueOptions) {
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
  const pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (!(pollIntervalMs > 0)) throw new Error(`pollIntervalMs must be > 0, got ${String(pollIntervalMs)}`);
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(leaseMs >= 1000)) throw new Error(`leaseMs must be at least 1000, got ${String(leaseMs)}`);
  return {
    concurrency,
    pollIntervalMs,
    leaseMs,
    workerId: opts.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
    logger: opts.logger ?? silentLogger,
  };
}

export type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** What happened to an attempt; pg-boss mirrors it onto its own job. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; error: string; runAfter: Date }
  | { kind: 'failed'; error: string }
  | { kind: 'interrupted' } // stop() aborted it; back in the queue, attempt not counted
  | { kind: 'lost' }; // another worker took the job over (our lease expired); nothing recorded

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/**
 * Whether retrying cannot help: a DomainError with a 4xx status (the input is wrong — an invalid or empty file, a
 * missing record — and will be just as wrong next time), or any error carrying `permanent: true`. Everything else
 * (5xx domain errors, plain errors, a database or network hiccup) is retried while attempts remain.
 */
export function isPermanentError(err: unknown): boolean {
  if (err instanceof DomainError && err.status >= 400 && err.status < 500) return true;
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/**
 * Runs a job the caller has claimed (state running, attempts already counted for this attempt).
 * `stopSignal` is the queue's stop(): it is passed to the handler, and a handler that throws after it fired counts as
 * interrupted rather than failed.
 */
export async function runClaimedJob(
  db: Db,
  row: JobRow,
  handlers: ReadonlyMap<string, JobHandler<unknown>>,
  opts: ResolvedOptions,
  stopSignal: AbortSignal,
  workerId = opts.workerId,
): Promise<AttemptOutcome> {
  const claim: Claim = { id: row.id, workerId, attempt: row.attempts };
  const log = { jobId: row.id, type: row.type, attempt: row.attempts, worker: workerId };
  const fail = async (error: string): Promise<AttemptOutcome> =>
    (await markFailed(db, claim, error)) ? { kind: 'failed', error } : { kind: 'lost' };

  // A job whose worker died was claimed again with its attempts already spent: it ends here instead of looping.
  if (row.attempts > row.max_attempts) {
    return fail(`Job was interrupted (its worker stopped responding) and has no attempts left (${row.max_attempts})`);
  }
  const handler = handlers.get(row.type);
  if (!handler) {
    opts.logger.error(log, 'job has an unknown type');
    return fail(`No handler is registered for job type "${row.type}"`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    return fail('Job payload is not valid JSON');
  }

  const ctx: JobContext = {
    jobId: row.id,
    attempt: row.attempts,
    signal: stopSignal,
    async progress(percent, message) {
      if (typeof percent !== 'number' || !Number.isFinite(percent)) throw new Error('progress percent must be a finite number');
      const p = Math.round(Math.min(100, Math.max(0, percent)));
      await setProgress(db, claim, p, message === undefined ? null : String(message).slice(0, 500));
    },
  };

  // Keep the lease while the handler runs, so a long job is not taken over by another worker.
  const heartbeat = setInterval(() => {
    extendLease(db, claim, opts.leaseMs).catch((err: unknown) =>
      opts.logger.warn({ ...log, err: errorMessage(err) }, 'could not extend job lease'),
    );
  }, Math.max(250, Math.floor(opts.leaseMs / 3)));
  heartbeat.unref();

  opts.logger.info(log, 'job started');
  let outcome: { ok: true; value: unknown } | { ok: false; err: unknown };
  try {
    outcome = { ok: true, value: await handler(payload, ctx) };
  } catch (err) {
    outcome = { ok: false, err };
  } finally {
    clearInterval(heartbeat);
  }

  if (outcome.ok) {
    let json: string | undefined;
    try {
      json = JSON.stringify(outcome.value ?? null);
    } catch (err) {
      outcome = { ok: false, err: new Error(`Job result is not JSON-serialisable: ${errorMessage(err)}`) };
    }
    if (outcome.ok && json !== undefined) {
      if (!(await markSucceeded(db, claim, json))) return { kind: 'lost' };
      opts.logger.info(log, 'job succeeded');
      return { kind: 'succeeded' };
    }
  }
  const err = outcome.ok ? new Error('Job result is not JSON-serialisable') : outcome.err;

  if (stopSignal.aborted) {
    opts.logger.info({ ...log, err: errorMessage(err) }, 'job interrupted by stop; back in the queue');
    return (await releaseJob(db, claim)) ? { kind: 'interrupted' } : { kind: 'lost' };
  }
  const message = errorMessage(err);
  // The stack goes to the log only; users see the message.
  const permanent = isPermanentError(err);
  opts.logger.error(
    { ...log, err: message, stack: err instanceof Error ? err.stack : undefined, ...(permanent ? { permanent } : {}) },
    permanent ? 'job failed permanently; not retried' : 'job attempt failed',
  );
  if (!permanent && row.attempts < row.max_attempts) {
    const runAfter = new Date(Date.now() + backoffDelay(row.backoff_ms, row.attempts));
    return (await markRetry(db, claim, message, runAfter)) ? { kind: 'retry', error: message, runAfter } : { kind: 'lost' };
  }
  return fail(message);
}
