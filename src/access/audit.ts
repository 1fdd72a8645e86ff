// The audit trail: who did what to which resource, and through which surface (web, API token, CLI, machine client).
// Every service writes it through this one function, inside the same transaction as the change it records.
//
// The log is append-only and hash-chained (issue 7): entry n stores seq = n, prev_hash = hash of entry n−1 (the
// genesis value for the first) and hash = sha256(canonical entry + prev_hash), where the canonical entry is the JSON
// array [seq, id, at, actor_user_id, action, resource_type, resource_id, details]. Changing, removing or reordering any
// entry breaks the chain from there on; verifyAuditChain() finds the first such entry (`datafabrikken audit verify`).
// The database refuses UPDATE and DELETE on audit_log (triggers, migration 20261202-002).
// The chain must never fork: the head is read and the new entry written in one transaction, on PostgreSQL under a
// transaction-level advisory lock (concurrent writers queue for it); SQLite has a single writer. The unique index on
// seq turns any fork that still slipped through into a failed write, never a second entry with the same seq.
import { createHash, randomUUID } from 'node:crypto';
import { PostgresAdapter, sql } from 'kysely';
import type { DbOrTx, Tx } from '../database';
import { nowIso } from '../platform/db/index';
import type { Actor } from './model';

/** The audit_log table. */
export interface AuditLogTable {
  id: string;
  at: string;
  actor_user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  details: string; // JSON, with `via` always set
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface AuditEntry {
  action: string; // e.g. dataset.publish, organization.member.add, table.read
  resourceType: string;
  resourceId: string;
  details?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);
/** The advisory lock key the audit writers queue on (PostgreSQL): "df-audit" as a number. */
const AUDIT_LOCK_KEY = 0x64662d61756474;

export interface ChainedFields {
  seq: number;
  id: string;
  at: string;
  actor_user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  details: string;
}

/** sha256(canonical entry + prev_hash), hex. The canonical form is fixed: changing it invalidates every stored chain. */
export function auditHash(e: ChainedFields, prevHash: string): string {
  const canonical = JSON.stringify([e.seq, e.id, e.at, e.actor_user_id, e.action, e.resource_type, e.resource_id, e.details]);
  return createHash('sha256').update(canonical).update(prevHash).digest('hex');
}

function isPostgres(db: DbOrTx): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function recordAudit(db: DbOrTx, actor: Actor, entry: AuditEntry): Promise<void> {
  const details: Record<string, unknown> = { ...entry.details, via: actor.via };
  if (actor.client) details.client = { id: actor.client.id, orgnr: actor.client.orgnr };
  const write = async (tx: Tx | DbOrTx) => {
    if (isPostgres(tx)) await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(tx);
    const head = await tx.selectFrom('audit_log').select(['seq', 'hash']).where('seq', 'is not', null).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const fields: ChainedFields = {
      seq: Number(head?.seq ?? 0) + 1,
      id: randomUUID(),
      at: nowIso(),
      actor_user_id: actor.user?.id ?? null,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      details: JSON.stringify(details),
    };
    const prev = head?.hash ?? GENESIS_HASH;
    await tx
      .insertInto('audit_log')
      .values({ ...fields, prev_hash: prev, hash: auditHash(fields, prev) })
      .execute();
  };
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
}

export interface AuditChainProblem {
  seq: number | null;
  id: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'unchained';
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  /** The first broken entry (everything after it is unproven). */
  problem?: AuditChainProblem;
}

/** Walks the whole chain in seq order (in pages, never the whole log in memory) and reports the first broken entry. */
export async function verifyAuditChain(db: DbOrTx, pageSize = 1000): Promise<AuditVerifyResult> {
  const unchained = await db.selectFrom('audit_log').select(['id']).where((eb) => eb.or([eb('seq', 'is', null), eb('hash', 'is', null), eb('prev_hash', 'is', null)])).limit(1).executeTakeFirst();
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let entries = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', expectSeq).orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expectSeq) return { ok: false, entries, problem: { seq: expectSeq, id: r.id, reason: 'seq_gap' } };
      if (r.prev_hash !== prev) return { ok: false, entries, problem: { seq, id: r.id, reason: 'prev_hash_mismatch' } };
      const fields: ChainedFields = { seq, id: r.id, at: r.at, actor_user_id: r.actor_user_id, action: r.action, resource_type: r.resource_type, resource_id: r.resource_id, details: r.details };
      if (auditHash(fields, prev) !== r.hash) return { ok: false, entries, problem: { seq, id: r.id, reason: 'hash_mismatch' } };
      prev = r.hash;
      expectSeq += 1;
      entries += 1;
    }
  }
  if (unchained) return { ok: false, entries, problem: { seq: null, id: unchained.id, reason: 'unchained' } };
  return { ok: true, entries };
}
