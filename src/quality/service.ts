// Metadata quality (issue 9.7): scores datasets with the pure rules of ./model.ts.
//
//   datasetQuality(actor, id)      → through the access door (catalog.getDataset: 404 for what the actor may not see);
//                                    drafts are scored too. Facts: hosted tables/files count as reachable (a table with
//                                    a ready version also has valid syntax and a byte size); external URLs use the
//                                    stored results of the check job. A URL never checked, or checked more than
//                                    RECHECK_AFTER_MS ago, is queued (at most once per RECHECK_AFTER_MS) — so scores
//                                    of new external distributions rise once the job has run.
//   organisationQuality(actor, n)  → average score and rating counts over the organisation's published datasets the
//                                    actor can see (catalog.listDatasets applies whereVisible).
//   the `qualityCheckUrls` job     → ./net.ts checkUrl() on each URL (timeout, size cap, no private addresses unless
//                                    configured), stored in quality_url_checks with checked_at.
//
// Metadata only: nothing reads table rows or file contents of the platform.
import { createHash } from 'node:crypto';
import type { Actor } from '../access/model';
import type { Dataset } from '../catalog/model';
import type { CatalogService } from '../catalog/service';
import type { Db } from '../database';
import type { OrganisationsService } from '../organisations/service';
import type { JobQueue } from '../platform/jobs/index';
import { isHosted, NO_FACTS, scoreDataset, summarise, urlsToCheck, type DistributionFacts, type OrganisationQuality, type QualityResult, type UrlCheck } from './model';
import { checkUrl, type CheckOptions } from './net';

export const QUALITY_CHECK_JOB = 'qualityCheckUrls';
export const RECHECK_AFTER_MS = 24 * 3600 * 1000;
const MAX_URLS_PER_JOB = 20;

export interface QualityCheckPayload {
  urls: string[];
}

export interface UrlCheckView {
  url: string;
  state: 'pending' | 'checked';
  ok: boolean | null;
  status: number | null;
  error: string | null;
  checkedAt: string | null;
}

export interface DatasetQuality extends QualityResult {
  datasetId: string;
  state: Dataset['state'];
  checks: UrlCheckView[];
}

const hashOf = (url: string) => createHash('sha256').update(url).digest('hex');

export function createQualityService(deps: {
  db: Db;
  catalog: CatalogService;
  organisations: Pick<OrganisationsService, 'get'>;
  jobs: JobQueue;
  check?: Partial<CheckOptions>;
  now?: () => Date;
}) {
  const { db, catalog, jobs } = deps;
  const now = deps.now ?? (() => new Date());
  const checkOptions: CheckOptions = { timeoutMs: 10_000, maxBytes: 1024 * 1024, allowPrivate: false, ...deps.check };

  async function storedChecks(urls: string[]): Promise<Map<string, { row: import('./model').QualityUrlChecksTable }>> {
    const out = new Map<string, { row: import('./model').QualityUrlChecksTable }>();
    if (urls.length === 0) return out;
    const rows = await db
      .selectFrom('quality_url_checks')
      .selectAll()
      .where(
        'url_hash',
        'in',
        urls.map((u) => hashOf(u)),
      )
      .execute();
    for (const row of rows) out.set(row.url, { row });
    return out;
  }

  const asCheck = (r: import('./model').QualityUrlChecksTable): UrlCheck | null =>
    r.checked_at === null ? null : { ok: Number(r.ok) === 1, status: r.status === null ? null : Number(r.status), contentType: r.content_type, syntaxValid: r.syntax_valid === null ? null : Number(r.syntax_valid) === 1, error: r.error, checkedAt: r.checked_at };

  /** Queues a check of the URLs that have none, or an old one, unless one was queued recently. */
  async function requestChecks(urls: string[], stored: Map<string, { row: import('./model').QualityUrlChecksTable }>): Promise<void> {
    const t = now();
    const cutoff = new Date(t.getTime() - RECHECK_AFTER_MS).toISOString();
    const due = urls.filter((u) => {
      const r = stored.get(u)?.row;
      if (!r) return true;
      return r.requested_at < cutoff && (r.checked_at === null || r.checked_at < cutoff);
    });
    if (due.length === 0) return;
    const at = t.toISOString();
    for (const url of due) {
      await db
        .insertInto('quality_url_checks')
        .values({ url_hash: hashOf(url), url, ok: 0, status: null, content_type: null, syntax_valid: null, error: null, requested_at: at, checked_at: null })
        .onConflict((oc) => oc.column('url_hash').doUpdateSet({ requested_at: at }))
        .execute();
    }
    for (let i = 0; i < due.length; i += MAX_URLS_PER_JOB) {
      await jobs.enqueue<QualityCheckPayload>(QUALITY_CHECK_JOB, { urls: due.slice(i, i + MAX_URLS_PER_JOB) }, { maxAttempts: 1 });
    }
  }

  /** Reachability facts of every distribution of the datasets, by distribution id, and the external URL checks. */
  async function factsFor(datasets: Dataset[], queue: boolean): Promise<{ facts: Record<string, DistributionFacts>; checks: Map<string, UrlCheckView> }> {
    const all = datasets.flatMap((d) => d.distributions);
    const facts: Record<string, DistributionFacts> = {};
    const checks = new Map<string, UrlCheckView>();
    if (all.length === 0) return { facts, checks };
    const blobKeys = new Map(
      (
        await db
          .selectFrom('distributions')
          .select(['id', 'blob_key'])
          .where(
            'id',
            'in',
            all.map((d) => d.id),
          )
          .execute()
      ).map((r) => [r.id, r.blob_key]),
    );
    const tableIds = [...new Set(all.map((d) => d.tableId).filter((x): x is string => x !== null))];
    const tables = new Map<string, { ready: boolean; byteSize: number | null }>();
    if (tableIds.length > 0) {
      const rows = await db
        .selectFrom('tables')
        .leftJoin('table_versions', 'table_versions.id', 'tables.current_version_id')
        .select(['tables.id as id', 'tables.current_version_id as current', 'table_versions.byte_size as byte_size', 'table_versions.state as vstate'])
        .where('tables.id', 'in', tableIds)
        .execute();
      for (const r of rows) tables.set(r.id, { ready: r.current !== null && r.vstate === 'ready', byteSize: r.byte_size === null || r.byte_size === undefined ? null : Number(r.byte_size) });
    }
    const external = new Set<string>();
    for (const d of all) {
      const hosted = isHosted({ tableId: d.tableId, blobKey: blobKeys.get(d.id) ?? null });
      for (const u of urlsToCheck(d, hosted)) external.add(u);
    }
    const stored = await storedChecks([...external]);
    if (queue) await requestChecks([...external], stored);
    for (const url of external) {
      const r = stored.get(url)?.row;
      const c = r ? asCheck(r) : null;
      checks.set(url, { url, state: c ? 'checked' : 'pending', ok: c ? c.ok : null, status: c?.status ?? null, error: c?.error ?? null, checkedAt: c?.checkedAt ?? null });
    }
    for (const d of all) {
      const blobKey = blobKeys.get(d.id) ?? null;
      const hosted = isHosted({ tableId: d.tableId, blobKey });
      if (hosted) {
        const t = d.tableId ? tables.get(d.tableId) : undefined;
        facts[d.id] = { ...NO_FACTS, hosted: true, hostedReady: d.tableId ? t?.ready === true : true, hostedByteSize: d.tableId ? (t?.byteSize ?? null) : d.byteSize };
        continue;
      }
      const row = (u: string | null) => (u ? stored.get(u)?.row : undefined);
      const a = row(d.accessUrl);
      const dl = row(d.downloadUrl);
      facts[d.id] = { ...NO_FACTS, accessCheck: a ? asCheck(a) : null, downloadCheck: dl ? asCheck(dl) : null };
    }
    return { facts, checks };
  }

  async function checkUrlsJob(payload: QualityCheckPayload): Promise<unknown> {
    const urls = Array.isArray(payload?.urls) ? payload.urls.filter((u) => typeof u === 'string').slice(0, MAX_URLS_PER_JOB) : [];
    let ok = 0;
    for (const url of urls) {
      const c = await checkUrl(url, { ...checkOptions, now });
      if (c.ok) ok++;
      await db
        .updateTable('quality_url_checks')
        .set({ ok: c.ok ? 1 : 0, status: c.status, content_type: c.contentType?.slice(0, 200) ?? null, syntax_valid: c.syntaxValid === null ? null : c.syntaxValid ? 1 : 0, error: c.error, checked_at: c.checkedAt })
        .where('url_hash', '=', hashOf(url))
        .execute();
    }
    return { checked: urls.length, ok };
  }

  return {
    /** Registers the URL check job on the queue; call before jobs.start(). */
    registerJobs(): void {
      jobs.register<QualityCheckPayload>(QUALITY_CHECK_JOB, checkUrlsJob);
    },

    /** The quality of one dataset the actor may see (404 otherwise), drafts included. */
    async datasetQuality(actor: Actor, id: string): Promise<DatasetQuality> {
      const ds = await catalog.getDataset(actor, id);
      const { facts, checks } = await factsFor([ds], true);
      return { datasetId: ds.id, state: ds.state, ...scoreDataset(ds, facts), checks: [...checks.values()] };
    },

    /** Average score and rating counts over the organisation's published datasets the actor can see. */
    async organisationQuality(actor: Actor, orgnr: string): Promise<OrganisationQuality & { scores: { datasetId: string; score: number; rating: QualityResult['rating'] }[] }> {
      await deps.organisations.get(orgnr, actor);
      const datasets: Dataset[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = await catalog.listDatasets(actor, { orgnr, state: 'published', limit: 100, offset });
        datasets.push(...page.items);
        if (page.items.length < 100 || datasets.length >= page.total) break;
      }
      const { facts } = await factsFor(datasets, false);
      const scores = datasets.map((d) => {
        const r = scoreDataset(d, facts);
        return { datasetId: d.id, score: r.score, rating: r.rating };
      });
      return { ...summarise(orgnr, scores), scores };
    },
  };
}

export type QualityService = ReturnType<typeof createQualityService>;
