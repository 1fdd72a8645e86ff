// The same suite on every back end the environment offers: the one createJobQueue picks (the poller on SQLite,
// pg-boss when DATABASE_URL is set) and, on PostgreSQL, the poller as well.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/helpers/db';
import { createJobQueue, type JobQueue, type JobQueueOptions } from './index';
import { createPollerQueue } from './poller';
import { InvalidJobError } from './store';
import { sql } from 'kysely';
import { DomainError } from '../../errors';

interface Backend {
  name: string;
  make(t: TestDb, opts: JobQueueOptions): Promise<JobQueue>;
}

const backends: Backend[] = [
  { name: process.env.DATABASE_URL ? 'pg-boss (createJobQueue)' : 'poller on SQLite (createJobQueue)', make: (t, o) => createJobQueue(t, t.databaseUrl, o) },
];
if (process.env.DATABASE_URL) backends.push({ name: 'poller on PostgreSQL', make: async (t, o) => createPollerQueue(t.db, o) });

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function testLogger() {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.each(backends)('job queue: $name', (backend) => {
  let t: TestDb;
  let kind: JobQueue['kind'];
  const open: JobQueue[] = [];
  let logger = testLogger();
  // pg-boss schedules retries in whole seconds (see pg-boss.ts): a 50 ms backoff becomes 1 s there.
  const effectiveBackoff = (ms: number) => (kind === 'pg-boss' ? Math.ceil(ms / 1000) * 1000 : ms);

  async function queue(opts: JobQueueOptions = {}): Promise<JobQueue> {
    const q = await backend.make(t, { pollIntervalMs: 50, leaseMs: 5_000, logger, ...opts });
    open.push(q);
    return q;
  }

  beforeAll(async () => {
    t = await createTestDb();
    kind = (await queue()).kind;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.stop()));
    await t.db.deleteFrom('jobs').execute();
    logger = testLogger();
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('runs a job to success, storing progress and the result', async () => {
    const q = await queue();
    const seenWhileRunning: unknown[] = [];
    q.register<{ n: number }>('count-rows', async (payload, ctx) => {
      await ctx.progress(40, 'halfway');
      const row = await q.get(ctx.jobId);
      seenWhileRunning.push({ state: row?.state, progress: row?.progress, message: row?.progress_message, attempt: ctx.attempt, locked: row?.locked_by !== null });
      return { rows: payload.n * 2 };
    });
    await q.start();
    const id = await q.enqueue('count-rows', { n: 21 });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await q.drain(10_000);

    expect(seenWhileRunning).toEqual([{ state: 'running', progress: 40, message: 'halfway', attempt: 1, locked: true }]);
    const row = await q.get(id);
    expect(row).toMatchObject({ state: 'succeeded', progress: 100, attempts: 1, max_attempts: 3, error: null, locked_by: null });
    expect(JSON.parse(row!.result!)).toEqual({ rows: 42 });
    expect(JSON.parse(row!.payload)).toEqual({ n: 21 });
    expect(row!.finished_at).not.toBeNull();
    expect(await q.get('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('retries a failing attempt and then succeeds (attempts = 2)', async () => {
    const q = await queue();
    q.register('flaky', async (_p, ctx) => {
      if (ctx.attempt === 1) throw new Error('temporary glitch');
      return 'ok';
    });
    await q.start();
    const id = await q.enqueue('flaky', {}, { backoffMs: 50 });
    await q.drain(15_000);
    const row = await q.get(id);
    expect(row).toMatchObject({ state: 'succeeded', attempts: 2, error: null, result: '"ok"' });
  });

  it('fails for good after max attempts, keeping the message and logging the stack', async () => {
    const q = await queue();
    q.register('doomed', async (_p, ctx) => {
      throw new Error(`boom at attempt ${ctx.attempt}`);
    });
    await q.start();
    const id = await q.enqueue('doomed', { x: 1 }, { maxAttempts: 2, backoffMs: 50 });
    await q.drain(15_000);
    const row = await q.get(id);
    expect(row).toMatchObject({ state: 'failed', attempts: 2, max_attempts: 2, error: 'boom at attempt 2', locked_by: null });
    expect(row!.finished_at).not.toBeNull();
    expect(row!.error).not.toContain('\n');
    const logged = logger.entries.filter((e) => e.level === 'error' && e.obj.jobId === id);
    expect(logged).toHaveLength(2);
    expect(String(logged[1]!.obj.stack)).toContain('boom at attempt 2');
    expect(String(logged[1]!.obj.stack)).toContain('queue.test.ts');
  });

  it('backs off exponentially between attempts', async () => {
    const q = await queue();
    const base = 50;
    const failedAt: number[] = [];
    const runAfterSeen: number[] = [];
    q.register('always-fails', async (_p, ctx) => {
      const row = await q.get(ctx.jobId);
      if (ctx.attempt > 1) runAfterSeen.push(Date.parse(row!.run_after));
      failedAt.push(Date.now());
      throw new Error('nope');
    });
    await q.start();
    const id = await q.enqueue('always-fails', {}, { maxAttempts: 3, backoffMs: base });
    await q.drain(20_000);
    expect((await q.get(id))?.state).toBe('failed');
    expect((await q.get(id))?.backoff_ms).toBe(base);
    expect(failedAt).toHaveLength(3);
    const b = effectiveBackoff(base);
    // The stored run_after is at least base * 2^(attempt-1) after the failure (pg-boss adds up to 100 % jitter) ...
    const delay1 = runAfterSeen[0]! - failedAt[0]!;
    const delay2 = runAfterSeen[1]! - failedAt[1]!;
    expect(delay1).toBeGreaterThanOrEqual(b - 20);
    expect(delay1).toBeLessThan(2 * b + 200);
    expect(delay2).toBeGreaterThanOrEqual(2 * b - 20);
    expect(delay2).toBeLessThan(4 * b + 400);
    // ... and the next attempt did not start before it.
    expect(failedAt[1]! - failedAt[0]!).toBeGreaterThanOrEqual(b - 20);
    expect(failedAt[2]! - failedAt[1]!).toBeGreaterThanOrEqual(2 * b - 20);
  });

  it('fails at once, without retrying, on an error retrying cannot fix (4xx DomainError or permanent: true)', async () => {
    const q = await queue();
    const calls = new Map<string, number>();
    q.register<{ kind: string }>('judged', async ({ kind }) => {
      calls.set(kind, (calls.get(kind) ?? 0) + 1);
      if (kind === 'invalid-file') throw new DomainError(422, 'invalid_csv', 'The file is not valid CSV: line 3 has 6 fields where line 1 has 3.');
      if (kind === 'flagged') throw Object.assign(new Error('the source was withdrawn'), { permanent: true });
      throw new DomainError(503, 'engine_failed', 'the engine is busy'); // a 5xx is worth another try
    });
    await q.start();
    const invalid = await q.enqueue('judged', { kind: 'invalid-file' }, { maxAttempts: 3, backoffMs: 50 });
    const flagged = await q.enqueue('judged', { kind: 'flagged' }, { maxAttempts: 3, backoffMs: 50 });
    const transient = await q.enqueue('judged', { kind: 'transient' }, { maxAttempts: 2, backoffMs: 50 });
    await q.drain(15_000);

    expect(await q.get(invalid)).toMatchObject({ state: 'failed', attempts: 1, error: 'The file is not valid CSV: line 3 has 6 fields where line 1 has 3.', locked_by: null });
    expect(await q.get(flagged)).toMatchObject({ state: 'failed', attempts: 1, error: 'the source was withdrawn' });
    expect(await q.get(transient)).toMatchObject({ state: 'failed', attempts: 2, error: 'the engine is busy' });
    expect(logger.entries.filter((e) => e.obj.jobId === invalid).map((e) => e.msg)).toContain('job failed permanently; not retried');
    if (kind === 'pg-boss') {
      // pg-boss must not hold a retry for them either: their jobs are over (cancelled with retries left, else failed).
      const boss = await sql<{ job_id: string; state: string }>`
        select data->>'jobId' as job_id, state::text as state from pgboss.job where name = 'judged'`.execute(t.db);
      const states = Object.fromEntries(boss.rows.map((r) => [r.job_id, r.state]));
      expect(states).toEqual({ [invalid]: 'cancelled', [flagged]: 'cancelled', [transient]: 'failed' });
    }
    // Past the backoff a retry would have used, the handler still ran once for each permanent failure.
    await sleep(effectiveBackoff(50) * 2 + 200);
    expect(Object.fromEntries(calls)).toEqual({ 'invalid-file': 1, flagged: 1, transient: 2 });
  });

  it('fails a job of an unknown type with a clear error instead of leaving it queued', async () => {
    const q = await queue();
    q.register('known', async () => 'fine');
    await q.start();
    const id = await q.enqueue('no-such-type', { a: 1 });
    await q.drain(10_000);
    const row = await q.get(id);
    expect(row?.state).toBe('failed');
    expect(row?.error).toBe('No handler is registered for job type "no-such-type"');
  });

  it('rejects bad enqueue arguments with a clear error', async () => {
    const q = await queue();
    await expect(q.enqueue('', {})).rejects.toThrow(InvalidJobError);
    await expect(q.enqueue('bad type!', {})).rejects.toThrow(/Invalid job type/);
    await expect(q.enqueue('ok', {}, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    await expect(q.enqueue('ok', {}, { backoffMs: -1 })).rejects.toThrow(/backoffMs/);
    await expect(q.enqueue('ok', {}, { runAfter: new Date('nonsense') })).rejects.toThrow(/runAfter/);
    await expect(q.enqueue('ok', { big: 1n })).rejects.toThrow(/JSON-serialisable/);
    expect(await t.db.selectFrom('jobs').select('id').execute()).toEqual([]);
    await q.ping();
  });

  it('survives a restart: jobs enqueued before and after stop() are run by a new queue instance', async () => {
    const first = await queue();
    first.register('persist', async () => 'never here');
    const before = await first.enqueue('persist', { which: 'before' });
    await first.stop();
    const after = await first.enqueue('persist', { which: 'after' });
    expect((await first.get(after))?.state).toBe('queued');

    const second = await queue();
    const ran: string[] = [];
    second.register<{ which: string }>('persist', async (p) => {
      ran.push(p.which);
      return p.which;
    });
    await second.start();
    await second.drain(15_000);
    expect(ran.sort()).toEqual(['after', 'before']);
    expect((await second.get(before))?.state).toBe('succeeded');
    expect((await second.get(after))).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('takes again a job whose worker crashed mid-run (lease expired), and ends one with no attempts left', async () => {
    const stopped = await queue();
    await stopped.stop();
    const retryable = await stopped.enqueue('crashy', { n: 1 }, { maxAttempts: 3 });
    const exhausted = await stopped.enqueue('crashy', { n: 2 }, { maxAttempts: 2 });
    const past = new Date(Date.now() - 60_000).toISOString();
    await t.db.updateTable('jobs').set({ state: 'running', attempts: 1, locked_by: 'dead-worker', locked_until: past }).where('id', '=', retryable).execute();
    await t.db.updateTable('jobs').set({ state: 'running', attempts: 2, locked_by: 'dead-worker', locked_until: past }).where('id', '=', exhausted).execute();
    // A live lease is left alone.
    const live = await stopped.enqueue('crashy', { n: 3 });
    await t.db.updateTable('jobs').set({ state: 'running', attempts: 1, locked_by: 'busy-worker', locked_until: new Date(Date.now() + 60_000).toISOString() }).where('id', '=', live).execute();

    const q = await queue();
    const attempts: number[] = [];
    q.register('crashy', async (_p, ctx) => {
      attempts.push(ctx.attempt);
      return 'recovered';
    });
    await q.start();
    await waitFor('crashed jobs to finish', async () => {
      const rows = await t.db.selectFrom('jobs').select('state').where('id', 'in', [retryable, exhausted]).execute();
      return rows.every((r) => r.state === 'succeeded' || r.state === 'failed');
    }, 15_000);
    expect(await q.get(retryable)).toMatchObject({ state: 'succeeded', attempts: 2, result: '"recovered"' });
    expect(attempts).toEqual([2]);
    const dead = await q.get(exhausted);
    expect(dead?.state).toBe('failed');
    expect(dead?.error).toMatch(/interrupted.*no attempts left/);
    expect(await q.get(live)).toMatchObject({ state: 'running', locked_by: 'busy-worker' });
  });

  it('runs two jobs at once with concurrency = 2', async () => {
    const q = await queue({ concurrency: 2 });
    let active = 0;
    let maxActive = 0;
    q.register('parallel', async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await waitFor('a second job to run alongside', () => maxActive >= 2, 5_000);
      } finally {
        active--;
      }
      return maxActive;
    });
    await q.start();
    const ids = [await q.enqueue('parallel', 1), await q.enqueue('parallel', 2)];
    await q.drain(15_000);
    expect(maxActive).toBe(2);
    for (const id of ids) expect((await q.get(id))?.state).toBe('succeeded');
  });

  it('stop() waits for a running handler and keeps its result; the handler sees the abort signal', async () => {
    const q = await queue();
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    let finished = false;
    let abortedSeen = false;
    q.register('slow', async (_p, ctx) => {
      started();
      await sleep(300);
      abortedSeen = ctx.signal.aborted;
      finished = true;
      return 'done anyway';
    });
    await q.start();
    const id = await q.enqueue('slow', {});
    await startedP;
    const t0 = Date.now();
    await q.stop();
    expect(finished).toBe(true);
    expect(abortedSeen).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(await q.get(id)).toMatchObject({ state: 'succeeded', result: '"done anyway"' });
  });

  it('a handler aborted by stop() puts its job back in the queue without counting the attempt', async () => {
    const q = await queue();
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    q.register('abortable', async (_p, ctx) => {
      started();
      await new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    await q.start();
    const id = await q.enqueue('abortable', {});
    await startedP;
    await q.stop();
    expect(await q.get(id)).toMatchObject({ state: 'queued', attempts: 0, locked_by: null, error: null });

    const next = await queue();
    next.register('abortable', async (_p, ctx) => `attempt ${ctx.attempt}`);
    await next.start();
    await next.drain(15_000);
    expect(await next.get(id)).toMatchObject({ state: 'succeeded', attempts: 1, result: '"attempt 1"' });
  });

  it('drain() counts jobs scheduled for later and rejects with a clear error on timeout', async () => {
    const q = await queue();
    q.register('later', async () => 'x');
    await q.start();
    await q.enqueue('later', {}, { runAfter: new Date(Date.now() + 3_600_000) });
    await expect(q.drain(200)).rejects.toThrow('Job queue did not drain within 200 ms: 1 queued, 0 running');
  });
});
