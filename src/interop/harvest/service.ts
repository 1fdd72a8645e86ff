// Harvest sources and runs. Rules:
// - only the platform operator manages sources and starts runs (the access door: 'platform:operate');
// - a source URL must be http(s) and, unless HARVEST_ALLOW_PRIVATE, not on a private or loopback address (checked
//   when added, and again on every connection by fetch.ts);
// - one run per source at a time: a run is queued on the JobQueue (job `harvest.run`) from the API/UI and the
//   scheduler, or executed in-process by the CLI;
// - a run reads page after page into `harvest_staged` (records normalised; a record that cannot be read is a failure
//   of that record and the run goes on), then switches everything in in one transaction (store.ts). A source that
//   cannot be read to the end (HTTP error, HTML, malformed RDF, refused entity or context, too large, timeout,
//   redirect loop, private address) fails the run with the reason and changes nothing;
// - a run left `running` by a crashed process is marked failed (interrupted) when the next run of its source starts,
//   and its staged rows are dropped; the datasets are as before the crash.
import crypto from 'node:crypto';
import type { Actor } from '../../access/model';
import { recordAudit } from '../../access/audit';
import { authorize } from '../../access/service';
import type { Db } from '../../database';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../../errors';
import { nowIso, parseJson } from '../../platform/db/index';
import type { JobQueue } from '../../platform/jobs/index';
import { urlProblem, type FetchPolicy } from './fetch';
import {
  MAX_INTERVAL_MINUTES,
  MAX_REPORTED_FAILURES,
  MIN_INTERVAL_MINUTES,
  SOURCE_KINDS,
  type HarvestSource,
  type RecordExtras,
  type RecordFailure,
  type RunReport,
  type RunRow,
  type RunTrigger,
  type SourceInput,
  type SourceKind,
  type SourceRow,
} from './model';
import { READERS } from './sources';
import { recordHash, removeSourceDatasets, stageRecords, switchIn } from './store';

export const HARVEST_JOB = 'harvest.run';
/** A CLI run (no job) still `running` after this long belongs to a process that died. */
export const STALE_CLI_RUN_MS = 6 * 60 * 60_000;

export interface HarvestServiceDeps {
  db: Db;
  jobs: JobQueue;
  policy: FetchPolicy;
  baseUrl: string;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface Provenance {
  sourceId: string;
  sourceName: string;
  sourceKind: SourceKind;
  sourceUrl: string;
  recordUri: string | null;
  landingPage: string | null;
  otherThemes: string[];
  score: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Other sources that list the same dataset (merged by URI/identifier). */
  alsoIn: string[];
}

export function sourceNotFound(id: string): NotFoundError {
  return new NotFoundError('Harvest source', id, 'harvest_source_not_found');
}

function presentRun(r: RunRow): RunReport {
  return {
    id: r.id,
    sourceId: r.source_id,
    state: r.state,
    trigger: r.trigger,
    jobId: r.job_id,
    added: r.added,
    updated: r.updated,
    unchanged: r.unchanged,
    merged: r.merged,
    removed: r.removed,
    failed: r.failed,
    pages: r.pages,
    failures: parseJson<RecordFailure[]>(r.failures, []),
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function presentSource(s: SourceRow, lastRun: RunRow | undefined): HarvestSource {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    url: s.url,
    intervalMinutes: s.interval_minutes,
    enabled: s.enabled === 1,
    nextRunAt: s.next_run_at,
    lastRun: lastRun ? presentRun(lastRun) : null,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

/** A string that shares no memory with the text it was cut from (see the page loop in execute). */
function ownString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

export function createHarvestService(deps: HarvestServiceDeps) {
  const { db, jobs, policy } = deps;
  const ownDatasetPrefix = `${deps.baseUrl}/datasets/`;

  function operate(actor: Actor): void {
    authorize(actor, 'platform:operate', { type: 'platform' });
  }

  function validate(input: Partial<SourceInput>, partial: boolean): Partial<SourceInput> {
    const problems: FieldProblem[] = [];
    const out: Partial<SourceInput> = {};
    if (input.name !== undefined || !partial) {
      const name = (input.name ?? '').trim();
      if (!name) problems.push({ field: '/name', code: 'required', message: 'A source needs a name.' });
      else if (name.length > 200) problems.push({ field: '/name', code: 'too_long', message: 'The name may be at most 200 characters.' });
      else out.name = name;
    }
    if (input.kind !== undefined || !partial) {
      if (!SOURCE_KINDS.includes(input.kind as SourceKind)) problems.push({ field: '/kind', code: 'invalid_kind', message: `The source type must be one of ${SOURCE_KINDS.join(', ')}.` });
      else out.kind = input.kind;
    }
    if (input.url !== undefined || !partial) {
      const url = (input.url ?? '').trim();
      const problem = url ? urlProblem(url, policy) : 'A source needs a URL.';
      if (problem) problems.push({ field: '/url', code: url ? (/private or loopback/.test(problem) ? 'private_address' : 'invalid_url') : 'required', message: problem });
      else if (url.length > 2000) problems.push({ field: '/url', code: 'too_long', message: 'The URL may be at most 2000 characters.' });
      else out.url = url;
    }
    if (input.intervalMinutes !== undefined) {
      const m = input.intervalMinutes;
      if (m !== null && (!Number.isInteger(m) || m < MIN_INTERVAL_MINUTES || m > MAX_INTERVAL_MINUTES)) {
        problems.push({ field: '/intervalMinutes', code: 'invalid_interval', message: `The interval must be a whole number of minutes from ${MIN_INTERVAL_MINUTES} to ${MAX_INTERVAL_MINUTES}, or empty for on demand only.` });
      } else out.intervalMinutes = m;
    }
    if (input.enabled !== undefined) out.enabled = input.enabled;
    if (problems.length > 0) throw new ValidationError(problems);
    return out;
  }

  async function sourceRow(id: string): Promise<SourceRow> {
    const row = await db.selectFrom('harvest_sources').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw sourceNotFound(id);
    return row;
  }

  async function lastRuns(ids: string[]): Promise<Map<string, RunRow>> {
    const map = new Map<string, RunRow>();
    if (ids.length === 0) return map;
    const rows = await db.selectFrom('harvest_runs').selectAll().where('source_id', 'in', ids).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    for (const r of rows) if (!map.has(r.source_id)) map.set(r.source_id, r);
    return map;
  }

  /**
   * The source's queued or running run, if one is really alive: a run whose job has ended (its worker died and the
   * queue gave up on it) or a CLI run whose process died (running for over STALE_CLI_RUN_MS) is marked interrupted
   * instead, so it never blocks the source.
   */
  async function activeRun(sourceId: string): Promise<RunRow | undefined> {
    const runs = await db.selectFrom('harvest_runs').selectAll().where('source_id', '=', sourceId).where('state', 'in', ['queued', 'running']).orderBy('created_at', 'desc').execute();
    for (const r of runs) {
      const job = r.job_id ? await jobs.get(r.job_id) : undefined;
      const dead = r.job_id ? !job || job.state === 'failed' || job.state === 'succeeded' : r.state === 'running' && Date.now() - Date.parse(r.started_at ?? r.created_at) > STALE_CLI_RUN_MS;
      if (!dead) return r;
      await db.deleteFrom('harvest_staged').where('run_id', '=', r.id).execute();
      await db.updateTable('harvest_runs').set({ state: 'failed', error: 'Interrupted: the process running this harvest stopped. Nothing from it was applied.', finished_at: nowIso() }).where('id', '=', r.id).execute();
    }
    return undefined;
  }

  async function createRun(sourceId: string, trigger: RunTrigger): Promise<RunRow> {
    const now = nowIso();
    const run: RunRow = { id: crypto.randomUUID(), source_id: sourceId, state: 'queued', trigger, job_id: null, added: 0, updated: 0, unchanged: 0, merged: 0, removed: 0, failed: 0, pages: 0, failures: '[]', error: null, created_at: now, started_at: null, finished_at: null };
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('harvest_runs').values(run).execute();
      await tx.updateTable('harvest_sources').set({ last_run_id: run.id }).where('id', '=', sourceId).execute();
    });
    return run;
  }

  async function enqueue(sourceId: string, trigger: RunTrigger): Promise<RunRow> {
    const active = await activeRun(sourceId);
    if (active) throw new ConflictError('A harvest of this source is already queued or running.', 'harvest_run_active', { runId: active.id });
    const run = await createRun(sourceId, trigger);
    const jobId = await jobs.enqueue(HARVEST_JOB, { runId: run.id }, { maxAttempts: 1 });
    await db.updateTable('harvest_runs').set({ job_id: jobId }).where('id', '=', run.id).execute();
    return { ...run, job_id: jobId };
  }

  async function appliedHashes(sourceId: string, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await db.selectFrom('harvest_records').select(['record_key', 'hash']).where('source_id', '=', sourceId).where('record_key', 'in', keys.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.record_key, r.hash);
    }
    return out;
  }

  /** Executes a run to its end; never throws for source problems (they are the run's report). */
  async function execute(runId: string, signal?: AbortSignal): Promise<RunReport> {
    const run = await db.selectFrom('harvest_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!run) throw new NotFoundError('Harvest run', runId, 'harvest_run_not_found');
    // A job is delivered again only when its worker died mid-run: start the run over (its staging is dropped below).
    if (run.state === 'running' && run.job_id) await db.deleteFrom('harvest_staged').where('run_id', '=', runId).execute();
    else if (run.state !== 'queued') return presentRun(run);
    const source = await sourceRow(run.source_id);
    const started = nowIso();
    // Runs a crashed process left behind: failed, their staged rows dropped. The datasets never saw them.
    const stale = await db.selectFrom('harvest_runs').select('id').where('source_id', '=', source.id).where('state', '=', 'running').where('id', '!=', runId).execute();
    for (const s of stale) {
      await db.deleteFrom('harvest_staged').where('run_id', '=', s.id).execute();
      await db.updateTable('harvest_runs').set({ state: 'failed', error: 'Interrupted: the process running this harvest stopped. Nothing from it was applied.', finished_at: started }).where('id', '=', s.id).execute();
    }
    await db.updateTable('harvest_runs').set({ state: 'running', started_at: started }).where('id', '=', runId).execute();
    const failures: RecordFailure[] = [];
    let failed = 0;
    let pages = 0;
    const keys = new Set<string>();
    const fail = (f: RecordFailure) => {
      failed++;
      if (failures.length < MAX_REPORTED_FAILURES) failures.push({ record: ownString(f.record.slice(0, 500)), reason: ownString(f.reason.slice(0, 500)) });
    };
    try {
      for await (const page of READERS[source.kind](source.url, policy, signal)) {
        pages++;
        for (const f of page.failures) fail(f);
        const fresh = page.records.filter((r) => {
          // A copy, not the parser's substring: V8 keeps a substring's whole source text (the page) alive.
          if (!keys.has(r.key)) return keys.add(ownString(r.key));
          fail({ record: r.key, reason: 'listed more than once in the source; the first was kept' });
          return false;
        });
        // Records whose hash equals the one applied last are staged without their payload: the switch needs only
        // to know they are still there, and an unchanged catalogue then costs little more than reading it.
        const hashes = fresh.map((r) => recordHash(r));
        const lastApplied = await appliedHashes(source.id, fresh.map((r) => r.key));
        await stageRecords(db, runId, fresh.map((r, i) => ({ key: r.key, hash: hashes[i]!, payload: lastApplied.get(r.key) === hashes[i] ? '' : JSON.stringify(r) })));
        if (pages % 10 === 0) await db.updateTable('harvest_runs').set({ pages }).where('id', '=', runId).execute();
      }
      const counts = await db.transaction().execute((tx) => switchIn(tx, { runId, sourceId: source.id, sourceName: source.name, ownDatasetPrefix }));
      await db
        .updateTable('harvest_runs')
        .set({ state: 'succeeded', ...counts, failed, pages, failures: JSON.stringify(failures), finished_at: nowIso() })
        .where('id', '=', runId)
        .execute();
      deps.logger?.info({ runId, sourceId: source.id, ...counts, failed }, 'harvest run succeeded');
    } catch (err) {
      await db.deleteFrom('harvest_staged').where('run_id', '=', runId).execute();
      const message = err instanceof Error ? err.message : String(err);
      await db
        .updateTable('harvest_runs')
        .set({ state: 'failed', error: message.slice(0, 2000), failed, pages, failures: JSON.stringify(failures), finished_at: nowIso() })
        .where('id', '=', runId)
        .execute();
      deps.logger?.warn({ runId, sourceId: source.id, err: message }, 'harvest run failed; previous state kept');
    }
    return presentRun((await db.selectFrom('harvest_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow()));
  }

  return {
    async list(actor: Actor): Promise<HarvestSource[]> {
      operate(actor);
      const rows = await db.selectFrom('harvest_sources').selectAll().orderBy('name').orderBy('id').execute();
      const runs = await lastRuns(rows.map((r) => r.id));
      return rows.map((r) => presentSource(r, runs.get(r.id)));
    },

    async get(actor: Actor, id: string): Promise<HarvestSource> {
      operate(actor);
      const row = await sourceRow(id);
      return presentSource(row, (await lastRuns([id])).get(id));
    },

    async create(actor: Actor, input: SourceInput): Promise<HarvestSource> {
      operate(actor);
      const v = validate(input, false);
      const now = nowIso();
      const row: SourceRow = {
        id: crypto.randomUUID(),
        name: v.name!,
        kind: v.kind!,
        url: v.url!,
        interval_minutes: v.intervalMinutes ?? null,
        enabled: v.enabled === false ? 0 : 1,
        next_run_at: v.intervalMinutes ? now : null,
        last_run_id: null,
        created_by: actor.user?.id ?? null,
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('harvest_sources').values(row).execute();
        await recordAudit(tx, actor, { action: 'harvest.source.create', resourceType: 'harvest_source', resourceId: row.id, details: { name: row.name, kind: row.kind, url: row.url } });
      });
      return presentSource(row, undefined);
    },

    async update(actor: Actor, id: string, patch: Partial<SourceInput>): Promise<HarvestSource> {
      operate(actor);
      const current = await sourceRow(id);
      const v = validate(patch, true);
      const set: Partial<SourceRow> = { updated_at: nowIso() };
      if (v.name !== undefined) set.name = v.name;
      if (v.kind !== undefined) set.kind = v.kind;
      if (v.url !== undefined) set.url = v.url;
      if (v.enabled !== undefined) set.enabled = v.enabled ? 1 : 0;
      if (v.intervalMinutes !== undefined) {
        set.interval_minutes = v.intervalMinutes;
        set.next_run_at = v.intervalMinutes ? addMinutes(nowIso(), v.intervalMinutes) : null;
      }
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('harvest_sources').set(set).where('id', '=', id).execute();
        await recordAudit(tx, actor, { action: 'harvest.source.update', resourceType: 'harvest_source', resourceId: id, details: { fields: Object.keys(patch) } });
      });
      return presentSource({ ...current, ...set }, (await lastRuns([id])).get(id));
    },

    /** Deletes the source and, in the same transaction, the datasets only it brought. */
    async remove(actor: Actor, id: string): Promise<{ removedDatasets: number }> {
      operate(actor);
      await sourceRow(id);
      const active = await activeRun(id);
      if (active?.state === 'running') throw new ConflictError('A harvest of this source is running; delete it when the run has finished.', 'harvest_run_active', { runId: active.id });
      return db.transaction().execute(async (tx) => {
        const removedDatasets = await removeSourceDatasets(tx, id);
        await tx.deleteFrom('harvest_sources').where('id', '=', id).execute();
        await recordAudit(tx, actor, { action: 'harvest.source.delete', resourceType: 'harvest_source', resourceId: id, details: { removedDatasets } });
        return { removedDatasets };
      });
    },

    /** Queues a run (operator UI, API). 409 while one is queued or running. */
    async requestRun(actor: Actor, id: string): Promise<RunReport> {
      operate(actor);
      await sourceRow(id);
      const run = await enqueue(id, 'manual');
      await recordAudit(db, actor, { action: 'harvest.run.request', resourceType: 'harvest_source', resourceId: id, details: { runId: run.id } });
      return presentRun(run);
    },

    /** Runs a harvest here and now (the CLI); the report is also stored like any run's. */
    async runNow(actor: Actor, id: string): Promise<RunReport> {
      operate(actor);
      await sourceRow(id);
      const active = await activeRun(id);
      if (active?.state === 'queued') throw new ConflictError('A harvest of this source is already queued.', 'harvest_run_active', { runId: active.id });
      const run = await createRun(id, 'cli');
      return execute(run.id);
    },

    async runs(actor: Actor, id: string, limit = 20): Promise<RunReport[]> {
      operate(actor);
      await sourceRow(id);
      const rows = await db.selectFrom('harvest_runs').selectAll().where('source_id', '=', id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(presentRun);
    },

    async run(actor: Actor, sourceId: string, runId: string): Promise<RunReport> {
      operate(actor);
      const row = await db.selectFrom('harvest_runs').selectAll().where('id', '=', runId).where('source_id', '=', sourceId).executeTakeFirst();
      if (!row) throw new NotFoundError('Harvest run', runId, 'harvest_run_not_found');
      return presentRun(row);
    },

    /** Finds a source by id or exact name (the CLI's SOURCE argument). */
    async resolve(actor: Actor, idOrName: string): Promise<HarvestSource> {
      operate(actor);
      const row = (await db.selectFrom('harvest_sources').selectAll().where('id', '=', idOrName).executeTakeFirst()) ?? (await db.selectFrom('harvest_sources').selectAll().where('name', '=', idOrName).executeTakeFirst());
      if (!row) throw sourceNotFound(idOrName);
      return presentSource(row, (await lastRuns([row.id])).get(row.id));
    },

    /** Where a dataset came from, for its page (public: harvested metadata is public). Null for local datasets. */
    async provenanceOf(datasetId: string): Promise<Provenance | null> {
      const ds = await db.selectFrom('datasets').select(['origin']).where('id', '=', datasetId).executeTakeFirst();
      if (!ds || ds.origin === 'local') return null;
      const links = await db
        .selectFrom('harvest_records')
        .innerJoin('harvest_sources', 'harvest_sources.id', 'harvest_records.source_id')
        .select(['harvest_records.source_id', 'harvest_records.uri', 'harvest_records.extras', 'harvest_records.score', 'harvest_records.first_seen_at', 'harvest_records.last_seen_at', 'harvest_sources.name', 'harvest_sources.kind', 'harvest_sources.url'])
        .where('harvest_records.dataset_id', '=', datasetId)
        .execute();
      const own = links.find((l) => l.source_id === ds.origin) ?? links[0];
      if (!own) return null;
      const extras = parseJson<RecordExtras>(own.extras, { otherThemes: [], publisherUri: null, publisherName: null, landingPage: null });
      return {
        sourceId: own.source_id,
        sourceName: own.name,
        sourceKind: own.kind,
        sourceUrl: own.url,
        recordUri: own.uri,
        landingPage: extras.landingPage,
        otherThemes: extras.otherThemes,
        score: own.score,
        firstSeenAt: own.first_seen_at,
        lastSeenAt: own.last_seen_at,
        alsoIn: links.filter((l) => l !== own).map((l) => l.name),
      };
    },

    /**
     * The scheduler's tick: every enabled source whose next_run_at has passed gets one queued run. The slot is claimed
     * with a compare-and-set on next_run_at, so when several nodes tick at once exactly one of them enqueues.
     */
    async tick(now = new Date()): Promise<number> {
      const iso = now.toISOString();
      const due = await db.selectFrom('harvest_sources').selectAll().where('enabled', '=', 1).where('interval_minutes', 'is not', null).where('next_run_at', '<=', iso).execute();
      let queued = 0;
      for (const s of due) {
        const claimed = await db
          .updateTable('harvest_sources')
          .set({ next_run_at: addMinutes(iso, s.interval_minutes!) })
          .where('id', '=', s.id)
          .where('next_run_at', '=', s.next_run_at)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) continue;
        if (await activeRun(s.id)) continue;
        await enqueue(s.id, 'schedule');
        queued++;
      }
      return queued;
    },

    /** Starts the in-process scheduler (serve/worker); returns a stop function. */
    startScheduler(intervalMs = 60_000): () => void {
      const timer = setInterval(() => {
        this.tick().catch((err: unknown) => deps.logger?.warn({ err: String(err) }, 'harvest scheduler tick failed'));
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },

    registerJobs(): void {
      jobs.register<{ runId: string }>(HARVEST_JOB, async (payload, ctx) => {
        const report = await execute(payload.runId, ctx.signal);
        return { runId: report.id, state: report.state, added: report.added, updated: report.updated, removed: report.removed, failed: report.failed };
      });
    },

    execute,
  };
}

export type HarvestService = ReturnType<typeof createHarvestService>;
