// The consent branch of the data-access decision (src/access/data-access.ts calls this and nothing else of the consent
// domain): which rows of a consent-based table an actor may read under accepted, unexpired consents given to the
// organisations it acts for. Kept free of policy about who the actor is otherwise — the caller only asks when nothing
// else (membership, operator, a grant) gives access.
import { randomUUID } from 'node:crypto';
import type { RowRestriction } from '../access/data-access';
import { actingOrganisations, type Actor } from '../access/model';
import type { DbOrTx } from '../database';
import { nowIso } from '../platform/db/index';

/** The consent-based marking of a table, or undefined when its rows are not shared by consent. */
export async function findConsentTable(db: DbOrTx, tableId: string) {
  return db.selectFrom('consent_tables').selectAll().where('table_id', '=', tableId).executeTakeFirst();
}

/**
 * The restriction for `actor` on `table`: the subjects whose accepted consents to the actor's organisations have not
 * passed validTo, and those consents' ids; null when the table is not consent-based or no consent is usable. The
 * subjects are only ever the actor's own consents — never a hint of which other organisations are in the table.
 */
export async function consentRowRestriction(db: DbOrTx, actor: Actor, datasetId: string, tableId: string, now = nowIso()): Promise<RowRestriction | null> {
  const orgs = actingOrganisations(actor);
  if (orgs.length === 0) return null;
  const marked = await findConsentTable(db, tableId);
  if (!marked || marked.dataset_id !== datasetId) return null;
  const consents = await db
    .selectFrom('consents')
    .select(['id', 'subject_orgnr'])
    .where('table_id', '=', tableId)
    .where('consumer_orgnr', 'in', orgs)
    .where('state', '=', 'accepted')
    .where('valid_to', '>', now)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  if (consents.length === 0) return null;
  return { column: marked.column_name, values: [...new Set(consents.map((c) => c.subject_orgnr))], consentIds: consents.map((c) => c.id) };
}

/**
 * Records one read under consents: a `used` event per consent, with the number of rows of that consent's subject in
 * what was read (so each subject sees its own rows only, never how many rows others had). In the read's transaction.
 */
export async function recordConsentUse(
  tx: DbOrTx,
  actor: Actor,
  restriction: RowRestriction,
  rows: Record<string, unknown>[],
  context: { offset: number; surface: string },
): Promise<void> {
  if (restriction.consentIds.length === 0) return;
  const consents = await tx.selectFrom('consents').select(['id', 'subject_orgnr']).where('id', 'in', restriction.consentIds).execute();
  const perSubject = new Map<string, number>();
  for (const row of rows) {
    const v = row[restriction.column];
    if (v === null || v === undefined) continue;
    const key = String(v);
    perSubject.set(key, (perSubject.get(key) ?? 0) + 1);
  }
  const at = nowIso();
  await tx
    .insertInto('consent_events')
    .values(
      consents.map((c) => ({
        id: randomUUID(),
        consent_id: c.id,
        subject_orgnr: c.subject_orgnr,
        kind: 'used' as const,
        at,
        actor_user_id: actor.user?.id ?? null,
        details: JSON.stringify({ rows: perSubject.get(c.subject_orgnr) ?? 0, offset: context.offset, surface: context.surface, ...(actor.client ? { client: actor.client.id } : {}) }),
      })),
    )
    .execute();
}
