// The audit chain: append-only, hash-chained, never forked by concurrent writers, and `datafabrikken audit verify`
// naming the first entry that was changed — on SQLite and PostgreSQL (DATABASE_URL).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../cli/main';
import { createTestEnv, type TestEnv } from '../../test/helpers/db';
import { openDatabase, type DbHandle } from '../platform/db/index';
import { migrateToLatest } from '../platform/db/migrate';
import { auditHash, GENESIS_HASH, recordAudit, verifyAuditChain } from './audit';
import { CLI_ACTOR, type Actor } from './model';

let env: TestEnv;
let h: DbHandle;
const actor: Actor = { ...CLI_ACTOR, via: 'session' };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { DATA_DIR: env.dataDir, DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', SEED_DEMO: 'false', REGISTRY_URL: '' } };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  env = await createTestEnv('df-audit-');
  h = openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
  await migrateToLatest(h.db);
});
afterAll(async () => {
  await h?.close();
  await env?.cleanup();
});

describe('audit chain', () => {
  it('chains every entry to the one before, from the genesis hash', async () => {
    await recordAudit(h.db, actor, { action: 'test.first', resourceType: 'dataset', resourceId: 'd1', details: { n: 1 } });
    await h.db.transaction().execute(async (tx) => recordAudit(tx, actor, { action: 'test.second', resourceType: 'dataset', resourceId: 'd1' }));
    const rows = await h.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2]);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    const r = rows[1]!;
    expect(r.hash).toBe(auditHash({ seq: 2, id: r.id, at: r.at, actor_user_id: r.actor_user_id, action: r.action, resource_type: r.resource_type, resource_id: r.resource_id, details: r.details }, rows[0]!.hash!));
    expect(await verifyAuditChain(h.db)).toEqual({ ok: true, entries: 2 });
  });

  it('does not fork under concurrent writers (with and without their own transactions)', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? recordAudit(h.db, actor, { action: 'test.concurrent', resourceType: 'dataset', resourceId: `c${i}` })
          : h.db.transaction().execute(async (tx) => recordAudit(tx, actor, { action: 'test.concurrent', resourceType: 'dataset', resourceId: `c${i}` })),
      ),
    );
    const seqs = (await h.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect(await verifyAuditChain(h.db, 7)).toEqual({ ok: true, entries: 42 });
    expect((await cli('audit', 'verify')).out).toContain('42 entries verified');
  });

  it('refuses UPDATE and DELETE (append-only)', async () => {
    await expect(h.db.updateTable('audit_log').set({ action: 'x' }).where('seq', '=', 1).execute()).rejects.toThrow(/append-only/);
    await expect(h.db.deleteFrom('audit_log').where('seq', '=', 1).execute()).rejects.toThrow(/append-only/);
  });

  it('detects an edited entry and names it (`audit verify` exits 1)', async () => {
    const victim = await h.db.selectFrom('audit_log').selectAll().where('seq', '=', 10).executeTakeFirstOrThrow();
    // Someone with database access gets past the trigger and edits a row.
    if (h.dialect === 'postgres') {
      await sql`alter table audit_log disable trigger audit_log_no_update`.execute(h.db);
      await sql`update audit_log set details = ${'{"via":"session","forged":true}'} where id = ${victim.id}`.execute(h.db);
      await sql`alter table audit_log enable trigger audit_log_no_update`.execute(h.db);
    } else {
      await sql`drop trigger audit_log_no_update`.execute(h.db);
      await sql`update audit_log set details = ${'{"via":"session","forged":true}'} where id = ${victim.id}`.execute(h.db);
    }
    expect(await verifyAuditChain(h.db)).toEqual({ ok: false, entries: 9, problem: { seq: 10, id: victim.id, reason: 'hash_mismatch' } });
    const r = await cli('audit', 'verify');
    expect(r.code).toBe(1);
    expect(r.err).toContain(victim.id);
    expect(r.err).toContain('seq 10');
    const json = await cli('audit', 'verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, problem: { id: victim.id } });
  });

  it('detects a removed entry (a gap in the chain)', async () => {
    const gone = await h.db.selectFrom('audit_log').select(['id']).where('seq', '=', 20).executeTakeFirstOrThrow();
    if (h.dialect === 'postgres') {
      await sql`alter table audit_log disable trigger audit_log_no_update`.execute(h.db);
      await sql`delete from audit_log where seq >= 5 and seq <= 20`.execute(h.db);
      await sql`alter table audit_log enable trigger audit_log_no_update`.execute(h.db);
    } else {
      await sql`drop trigger audit_log_no_delete`.execute(h.db);
      await sql`delete from audit_log where seq >= 5 and seq <= 20`.execute(h.db);
    }
    const r = await verifyAuditChain(h.db);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ seq: 5, reason: 'seq_gap' });
    expect(gone.id).not.toBe(r.problem?.id);
  });
});
