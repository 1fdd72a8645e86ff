// The job queue on PostgreSQL, with pg-boss 10 (its own schema `pgboss`) carrying and scheduling the work while our
// `jobs` row stays the record users see.
//
// - enqueue inserts the row and sends a pg-boss job `{ jobId }` in ONE transaction (pg-boss's `db` option), so there
//   is never a row without its pg-boss job or the reverse. A queue that was stopped inserts the row only; the next
//   worker that starts sends it (see sweep).
// - A pg-boss worker (one per registered type and unit of `concurrency`) claims our row (state running, attempts + 1,
//   a lease kept fresh while the handler runs), runs the handler and records the outcome on the row, then settles the
//   pg-boss job itself: complete on success, fail on an error. Retries are pg-boss's: it is sent with
//   retryLimit = maxAttempts - 1, retryDelay = ceil(backoffMs / 1000) s (pg-boss counts whole seconds, so a backoff
//   below a second becomes one second) and retryBackoff, and after a failed attempt the row's run_after is set to the
//   start_after pg-boss chose (its backoff adds up to 100 % jitter), so `get` tells the truth. When our row fails for
//   good with pg-boss retries left (a permanent error, see runner.ts), the pg-boss job is failed and then cancelled in
//   one transaction, so pg-boss never runs it again (it shows 'cancelled' with the error as output).
// - pg-boss expires a job that stays active longer than leaseMs (then retries it), so on this back end leaseMs is also
//   the longest a handler may run; pick it accordingly.
// - sweep (at start, then every few poll intervals) repairs what pg-boss cannot know: queued rows without a live
//   pg-boss job (enqueued while stopped, or pg-boss lost it) are sent again; rows of a type no handler is registered
//   for fail with a clear error; running rows whose lease passed without a live pg-boss job go back to the queue.
// - stop() fires the handlers' abort signal, stops pg-boss gracefully (it waits up to 30 s for active handlers) and
//   closes its pool. An interrupted job returns to 'queued' without counting the attempt and gets a fresh pg-boss job.
import { CompiledQuery, sql } from 'kysely';
import PgBoss from 'pg-boss';
import type { Db, DbOrTx } from '../../database';
import type { EnqueueOptions, JobHandler, JobQueue, JobQueueOptions } from './index';
import type { JobRow } from './model';
import { resolveOptions, runClaimedJob, type AttemptOutcome } from './runner';
import { claimJob, drainJobs, findJob, insertJob, prepareJob, setRunAfter } from './store';

const SCHEMA = 'pgboss';
const STOP_TIMEOUT_MS = 30_000;

interface BossPayload {
  jobId: string;
}

/** Lets pg-boss run its SQL on our connection or inside our transaction. */
function bossDb(conn: DbOrTx): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const r = await conn.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: r.rows as unknown[] };
    },
  };
}

export function createPgBossQueue(db: Db, databaseUrl: string, options: JobQueueOptions = {}): JobQueue {
  const opts = resolveOptions(options);
  const log = opts.logger;
  const expireInSeconds = Math.max(1, Math.ceil(opts.leaseMs / 1000));
  const handlers = new Map<string, JobHandler<unknown>>();
  const inflight = new Set<Promise<void>>();
  const knownQueues = new Set<string>();
  const workerIds = new Map<string, string[]>();
  const stopController = new AbortController();
  let state: 'idle' | 'started' | 'stopped' = 'idle';
  let bossStarted: Promise<PgBoss> | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: SCHEMA,
    application_name: 'datafabrikken-jobs',
    max: opts.concurrency + 3,
    schedule: false,
    supervise: true,
    migrate: true,
  });
  boss.on('error', (err) => log.error({ err: err.message }, 'pg-boss error'));

  function ensureBoss(): Promise<PgBoss> {
    if (state === 'stopped') return Promise.reject(new Error('This job queue was stopped'));
    // A failed start (database down) is not remembered, so the next call tries again.
    bossStarted ??= boss.start().catch((err: unknown) => {
      bossStarted = undefined;
      throw err;
    });
    return bossStarted;
  }

  async function ensureQueue(type: string): Promise<void> {
    await ensureBoss();
    if (knownQueues.has(type)) return;
    await boss.createQueue(type); // idempotent
    knownQueues.add(type);
  }

  /** Sends the pg-boss job that will run `row`'s next attempt, on `conn` (a transaction when called with one). */
  async function sendFor(
    conn: DbOrTx,
    row: Pick<JobRow, 'id' | 'type' | 'attempts' | 'max_attempts' | 'backoff_ms'>,
    startAfter: Date,
  ): Promise<void> {
    const payload: BossPayload = { jobId: row.id };
    const id = await boss.send(row.type, payload, {
      retryLimit: Math.max(0, row.max_attempts - row.attempts - 1),
      retryDelay: Math.ceil(row.backoff_ms / 1000),
      retryBackoff: true,
      startAfter,
      expireInSeconds,
      db: bossDb(conn),
    });
    if (!id) throw new Error(`pg-boss did not accept job ${row.id}`);
  }

  function wake(type: string): void {
    for (const id of workerIds.get(type) ?? []) boss.notifyWorker(id);
  }

  /** Handles one pg-boss job: claims our row, runs the handler, records the outcome on both. */
  async function work(type: string, job: PgBoss.Job<BossPayload>): Promise<void> {
    const jobId = job.data?.jobId;
    if (typeof jobId !== 'string') {
      log.warn({ bossJobId: job.id, type }, 'pg-boss job without a jobId; dropped');
      return;
    }
    const row = await claimJob(db, { workerId: opts.workerId, leaseMs: opts.leaseMs, id: jobId });
    if (!row) {
      // Finished already, running under a live lease elsewhere, or deleted: this pg-boss job has nothing to do.
      log.info({ jobId, bossJobId: job.id }, 'pg-boss job for a job that is not takeable; completed');
      return;
    }
    const outcome: AttemptOutcome = await runClaimedJob(db, row, handlers, opts, stopController.signal);
    switch (outcome.kind) {
      case 'succeeded':
      case 'lost':
        await boss.complete(type, job.id);
        return;
      case 'failed':
        // Our row has failed for good. fail() leaves a job with retries left in 'retry'; cancel() then ends it (and
        // does nothing to a job fail() already ended).
        await db.transaction().execute(async (trx) => {
          await boss.fail(type, job.id, { message: outcome.error }, { db: bossDb(trx) });
          await boss.cancel(type, job.id, { db: bossDb(trx) });
        });
        return;
      case 'retry': {
        await boss.fail(type, job.id, { message: outcome.error });
        const after = await boss.getJobById<BossPayload>(type, job.id);
        if (after?.state === 'retry') {
          await setRunAfter(db, row.id, row.attempts, new Date(after.startAfter));
        } else {
          // pg-boss has no retry left for this job (it was sent with fewer): our row decides, send a new one.
          await sendFor(db, row, outcome.runAfter);
        }
        return;
      }
      case 'interrupted':
        // The row is queued again with the attempt uncounted; give it a fresh pg-boss job and close this one.
        await db.transaction().execute(async (trx) => {
          await sendFor(trx, { ...row, attempts: row.attempts - 1 }, new Date());
          await boss.complete(type, job.id, {}, { db: bossDb(trx) });
        });
        return;
    }
  }

  /** See the header: resend orphaned rows, fail unknown types, requeue running rows whose worker vanished. */
  async function sweep(): Promise<void> {
    const nowIso = new Date().toISOString();
    const types = [...handlers.keys()];

    const unknown = await db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'queued')
      .where('run_after', '<=', nowIso)
      .$if(types.length > 0, (q) => q.where('type', 'not in', types))
      .limit(100)
      .execute();
    for (const { id } of unknown) {
      const row = await claimJob(db, { workerId: opts.workerId, leaseMs: opts.leaseMs, id });
      if (row) await runClaimedJob(db, row, handlers, opts, stopController.signal);
    }
    if (types.length === 0) return;

    const live = (alias: string) =>
      sql`exists (select 1 from ${sql.table(`${SCHEMA}.job`)} b
                  where b.name = ${sql.ref(`${alias}.type`)} and b.data->>'jobId' = ${sql.ref(`${alias}.id`)}
                    and b.state < 'completed')`;
    const orphans = await sql<{ id: string }>`
      select j.id from jobs j
      where j.type in (${sql.join(types)}) and not ${live('j')}
        and (j.state = 'queued' or (j.state = 'running' and j.locked_until < ${nowIso}))
      limit 100`.execute(db);
    for (const { id } of orphans.rows) {
      await db.transaction().execute(async (trx) => {
        // Lock the row and look again, so two sweeping workers cannot both send it.
        const locked = await sql<JobRow>`select * from jobs where id = ${id} for update`.execute(trx);
        const row = locked.rows[0];
        if (!row) return;
        const stillOrphan = await sql<{ live: boolean }>`select ${live('j')} as live from jobs j where j.id = ${id}`.execute(trx);
        if (stillOrphan.rows[0]?.live) return;
        if (row.state === 'running') {
          if (!(row.locked_until && row.locked_until < new Date().toISOString())) return;
          // Its worker died after pg-boss gave up on the job; the attempt stays counted.
          await trx
            .updateTable('jobs')
            .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: new Date().toISOString() })
            .where('id', '=', id)
            .execute();
        } else if (row.state !== 'queued') {
          return;
        }
        const runAfter = new Date(row.run_after);
        await sendFor(trx, row, Number.isNaN(runAfter.getTime()) ? new Date() : runAfter);
        log.info({ jobId: id, type: row.type }, 'sent a queued job pg-boss did not have');
      });
    }
  }

  function scheduleSweep(): void {
    if (state !== 'started') return;
    sweepTimer = setTimeout(() => {
      sweeping = sweep()
        .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'job sweep failed'))
        .finally(() => {
          sweeping = undefined;
          scheduleSweep();
        });
    }, Math.max(500, opts.pollIntervalMs * 10));
  }

  return {
    kind: 'pg-boss',
    register<P>(type: string, handler: JobHandler<P>): void {
      if (state !== 'idle') throw new Error(`Cannot register job type "${type}" after the queue has started`);
      if (handlers.has(type)) throw new Error(`A handler for job type "${type}" is already registered`);
      prepareJob(type, null); // checks the name is usable as a pg-boss queue
      handlers.set(type, handler as JobHandler<unknown>);
    },
    async enqueue<P>(type: string, payload: P, enqueueOpts?: EnqueueOptions): Promise<string> {
      const job = prepareJob(type, payload, enqueueOpts);
      if (state === 'stopped') {
        // Recorded now, sent to pg-boss by the next worker's sweep.
        return insertJob(db, job);
      }
      await ensureQueue(type);
      const id = await db.transaction().execute(async (trx) => {
        const newId = await insertJob(trx, job);
        await sendFor(trx, { id: newId, type, attempts: 0, max_attempts: job.maxAttempts, backoff_ms: job.backoffMs }, job.runAfter);
        return newId;
      });
      wake(type);
      return id;
    },
    get: (id) => findJob(db, id),
    async start() {
      if (state === 'stopped') throw new Error('This job queue was stopped; create a new one');
      if (state === 'started') return;
      state = 'started';
      await ensureBoss();
      for (const type of handlers.keys()) await ensureQueue(type);
      sweeping = sweep().finally(() => {
        sweeping = undefined;
      });
      await sweeping;
      const pollingIntervalSeconds = Math.max(0.5, opts.pollIntervalMs / 1000);
      for (const type of handlers.keys()) {
        const ids: string[] = [];
        for (let i = 0; i < opts.concurrency; i++) {
          ids.push(
            await boss.work<BossPayload>(type, { batchSize: 1, pollingIntervalSeconds }, async (jobs) => {
              for (const job of jobs) {
                const p = work(type, job);
                inflight.add(p);
                try {
                  await p;
                } finally {
                  inflight.delete(p);
                }
              }
            }),
          );
        }
        workerIds.set(type, ids);
      }
      scheduleSweep();
    },
    drain: (timeoutMs = 60_000) => drainJobs(db, timeoutMs, Math.min(opts.pollIntervalMs, 100)),
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      if (sweepTimer) clearTimeout(sweepTimer);
      stopController.abort(new Error('The job queue is stopping'));
      await sweeping?.catch(() => undefined);
      if (bossStarted) {
        try {
          await bossStarted;
        } catch {
          // It never started: nothing to close beyond what stop() does below.
        }
        // Graceful: pg-boss waits (up to the timeout) for active handlers, then closes its pool.
        await boss.stop({ graceful: true, wait: true, close: true, timeout: STOP_TIMEOUT_MS });
      }
      await Promise.allSettled([...inflight]);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}
