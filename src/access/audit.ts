// The audit trail: who did what to which resource, and through which surface (web, API token, CLI). Every service
// writes it through this one function, inside the same transaction as the change it records.
import { randomUUID } from 'node:crypto';
import type { DbOrTx } from '../database';
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
}

export interface AuditEntry {
  action: string; // e.g. dataset.publish, organization.member.add, table.read
  resourceType: string;
  resourceId: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: DbOrTx, actor: Actor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: randomUUID(),
      at: nowIso(),
      actor_user_id: actor.user?.id ?? null,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      details: JSON.stringify({ ...entry.details, via: actor.via }),
    })
    .execute();
}
