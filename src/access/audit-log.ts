// Reading the audit log: an owner's view of its dataset's entries (every request, decision, grant and read), the same
// as CSV, and per-consumer usage statistics; and the whole chain's verification (`datafabrikken audit verify`).
// Owners are the dataset's editors and admins (the `dataset:update` door) and the operator; a hidden dataset is 404 to
// everyone else, any other dataset 403 (its existence is public).
import type { Actor } from './model';
import type { Db } from '../database';
import { NotFoundError } from '../errors';
import { parseJson } from '../platform/db/index';
import { datasetResourceFor } from './data-access';
import { authorize } from './service';
import { verifyAuditChain, type AuditVerifyResult } from './audit';

export const AUDIT_PAGE_MAX = 1000;
/** The most entries a CSV export or the usage statistics read (newest first). */
export const AUDIT_EXPORT_MAX = 100_000;

export interface AuditView {
  seq: number;
  id: string;
  at: string;
  actor: { userId: string | null; name: string | null };
  action: string;
  resourceType: string;
  resourceId: string;
  details: Record<string, unknown>;
  hash: string;
}

export interface UsageRow {
  /** The organisation the reads were made for (grant holder, or the owner for its own members). */
  orgnr: string | null;
  name: string | null;
  basis: string;
  grantId: string | null;
  reads: number;
  rows: number;
  lastAt: string;
}

function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function createAuditLogService({ db }: { db: Db }) {
  async function ownedDataset(actor: Actor, datasetId: string) {
    const notFound = () => new NotFoundError('Dataset', datasetId, 'dataset_not_found');
    const row = await db.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights', 'hidden']).where('id', '=', datasetId).executeTakeFirst();
    if (!row) throw notFound();
    const resource = await datasetResourceFor(db, actor, row);
    authorize(actor, 'dataset:read-metadata', resource, notFound);
    authorize(actor, 'dataset:update', resource, notFound);
    return row;
  }

  async function entries(datasetId: string, limit: number, offset: number): Promise<{ items: AuditView[]; total: number }> {
    const tableIds = (await db.selectFrom('tables').select('id').where('dataset_id', '=', datasetId).execute()).map((t) => t.id);
    const base = db
      .selectFrom('audit_log')
      .leftJoin('users', 'users.id', 'audit_log.actor_user_id')
      .where((eb) =>
        eb.or([
          eb.and([eb('audit_log.resource_type', '=', 'dataset'), eb('audit_log.resource_id', '=', datasetId)]),
          ...(tableIds.length > 0 ? [eb.and([eb('audit_log.resource_type', '=', 'table'), eb('audit_log.resource_id', 'in', tableIds)])] : []),
        ]),
      );
    const [rows, count] = await Promise.all([
      base.selectAll('audit_log').select('users.name as user_name').orderBy('audit_log.seq', 'desc').limit(limit).offset(offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(count.n),
      items: rows.map((r) => ({
        seq: Number(r.seq),
        id: r.id,
        at: r.at,
        actor: { userId: r.actor_user_id, name: r.user_name },
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        details: parseJson<Record<string, unknown>>(r.details, {}),
        hash: r.hash ?? '',
      })),
    };
  }

  return {
    async datasetLog(actor: Actor, datasetId: string, page: { limit?: number; offset?: number } = {}): Promise<{ items: AuditView[]; total: number }> {
      await ownedDataset(actor, datasetId);
      const limit = Math.max(1, Math.min(AUDIT_PAGE_MAX, Math.trunc(page.limit ?? 100) || 100));
      const offset = Math.max(0, Math.trunc(page.offset ?? 0) || 0);
      return entries(datasetId, limit, offset);
    },

    /** The dataset's log as CSV (RFC 4180; formula-looking cells get a leading apostrophe). */
    async datasetCsv(actor: Actor, datasetId: string): Promise<string> {
      await ownedDataset(actor, datasetId);
      const { items } = await entries(datasetId, AUDIT_EXPORT_MAX, 0);
      const head = ['seq', 'at', 'action', 'actor_user_id', 'actor_name', 'via', 'orgnr', 'basis', 'grant_id', 'rows', 'resource_type', 'resource_id', 'details', 'hash'];
      const lines = [head.join(',')];
      for (const e of items) {
        const d = e.details;
        lines.push([e.seq, e.at, e.action, e.actor.userId, e.actor.name, d.via, d.orgnr ?? d.requesterOrgnr ?? null, d.basis, d.grantId, d.rows, e.resourceType, e.resourceId, d, e.hash].map(csvCell).join(','));
      }
      return `${lines.join('\r\n')}\r\n`;
    },

    /** Reads of the dataset's tables per consumer organisation and basis: how many reads, rows and the last one. */
    async usage(actor: Actor, datasetId: string): Promise<UsageRow[]> {
      await ownedDataset(actor, datasetId);
      const { items } = await entries(datasetId, AUDIT_EXPORT_MAX, 0);
      const by = new Map<string, UsageRow>();
      for (const e of items) {
        if (e.action !== 'table.read') continue;
        const orgnr = typeof e.details.orgnr === 'string' ? e.details.orgnr : null;
        const basis = typeof e.details.basis === 'string' ? e.details.basis : 'unknown';
        const grantId = typeof e.details.grantId === 'string' ? e.details.grantId : null;
        const key = `${orgnr}|${basis}|${grantId}`;
        const row = by.get(key) ?? { orgnr, name: null, basis, grantId, reads: 0, rows: 0, lastAt: e.at };
        row.reads += 1;
        row.rows += typeof e.details.rows === 'number' ? e.details.rows : 0;
        if (e.at > row.lastAt) row.lastAt = e.at;
        by.set(key, row);
      }
      const list = [...by.values()];
      const orgs = list.map((r) => r.orgnr).filter((o): o is string => o !== null);
      if (orgs.length > 0) {
        const names = await db.selectFrom('organizations').select(['orgnr', 'name']).where('orgnr', 'in', orgs).execute();
        for (const r of list) r.name = names.find((n) => n.orgnr === r.orgnr)?.name ?? null;
      }
      return list.sort((a, b) => b.rows - a.rows || (a.orgnr ?? '').localeCompare(b.orgnr ?? ''));
    },

    /** Verifies the whole chain (the CLI; no actor: whoever runs the command holds the database). */
    verify(): Promise<AuditVerifyResult> {
      return verifyAuditChain(db);
    },
  };
}

export type AuditLogService = ReturnType<typeof createAuditLogService>;
