// The in-process job queue: polls the `jobs` table (SQLite, and PostgreSQL too) for due jobs.
//
// - A job is claimed atomically (see claimJob) with a lease: state 'running', locked_by, locked_until = now + leaseMs,
//   extended while the handler runs. A running job whose lease has passed belonged to a worker that died, and is taken
//   again; that crashed attempt counts, so a job that keeps killing its worker ends as 'failed'.
// - Up to `concurrency` handlers run at once; a finished handler triggers the next poll at once.
// - stop() stops polling, fires the handlers' abort signal and waits for them. A handler that then throws is
//   "interrupted": its job returns to 'queued', due now, and the attempt is not counted. A handler that finishes
//   despite the signal keeps its result.
import { sql } from 'kysely';
import type { Db } from '../../database';
import type { EnqueueOptions, JobHandler, JobQueue, JobQueueOptions } from './index';
import { resolveOptions, runClaimedJob } from './runner';
import { claimJob, drainJobs, findJob, insertJob, prepareJob, releaseJob } from './store';

export function createPollerQueue(db: Db, options: JobQueueOptions = {}): JobQueue {
  const opts = resolveOptions(options);
  const handlers = new Map<string, JobHandler<unknown>>();
  const running = new Set<Promise<void>>();
  const stopController = new AbortController();
  let state: 'idle' | 'started' | 'stopped' = 'idle';
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let again = false;

  async function fill(): Promise<void> {
    while (state === 'started' && running.size < opts.concurrency) {
      const row = await claimJob(db, { workerId: opts.workerId, leaseMs: opts.leaseMs });
      if (!row) return;
      if (state !== 'started') {
        // stop() began while this job was being claimed: hand it back untouched.
        await releaseJob(db, { id: row.id, workerId: opts.workerId, attempt: row.attempts });
        return;
      }
      const p = runClaimedJob(db, row, handlers, opts, stopController.signal)
        .then(() => undefined)
        .catch((err: unknown) => {
          // Only the database failing while recording an outcome lands here; the lease lets another worker retry.
          opts.logger.error({ jobId: row.id, err: err instanceof Error ? err.message : String(err) }, 'could not record job outcome');
        })
        .finally(() => {
          running.delete(p);
          poke();
        });
      running.add(p);
    }
  }

  /** Runs one poll now (or right after the one in progress) and schedules the next. */
  function poke(): void {
    if (state !== 'started') return;
    if (ticking) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    ticking = fill()
      .catch((err: unknown) =>
        opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'job poll failed'),
      )
      .finally(() => {
        ticking = undefined;
        if (state !== 'started') return;
        if (again) {
          again = false;
          poke();
        } else {
          timer = setTimeout(poke, opts.pollIntervalMs);
        }
      });
  }

  return {
    kind: 'poller',
    register<P>(type: string, handler: JobHandler<P>): void {
      if (state !== 'idle') throw new Error(`Cannot register job type "${type}" after the queue has started`);
      if (handlers.has(type)) throw new Error(`A handler for job type "${type}" is already registered`);
      handlers.set(type, handler as JobHandler<unknown>);
    },
    async enqueue<P>(type: string, payload: P, opts?: EnqueueOptions): Promise<string> {
      const id = await insertJob(db, prepareJob(type, payload, opts));
      poke();
      return id;
    },
    get: (id) => findJob(db, id),
    async start() {
      if (state === 'stopped') throw new Error('This job queue was stopped; create a new one');
      if (state === 'started') return;
      state = 'started';
      poke();
    },
    drain: (timeoutMs = 60_000) => drainJobs(db, timeoutMs, Math.min(opts.pollIntervalMs, 100)),
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      if (timer) clearTimeout(timer);
      stopController.abort(new Error('The job queue is stopping'));
      await ticking;
      await Promise.allSettled([...running]);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}
