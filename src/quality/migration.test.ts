// Migration 20261202-009-quality on both databases: the table takes a check (with an upsert keyed on the URL hash),
// down drops it, and up again recreates it.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../platform/db/migrations/20261202-009-quality';
import { createTestDb, type TestDb } from '../../test/helpers/db';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});

afterAll(async () => {
  await t?.destroy();
});

describe('migration 20261202-009-quality', () => {
  it('stores checks, upserts on the URL hash, and goes down and up again', async () => {
    const db = t.db;
    const row = { url_hash: 'h1', url: 'https://example.no/a.csv', ok: 0, status: null, content_type: null, syntax_valid: null, error: null, requested_at: '2026-12-01T00:00:00.000Z', checked_at: null };
    await db.insertInto('quality_url_checks').values(row).execute();
    await db
      .insertInto('quality_url_checks')
      .values({ ...row, requested_at: '2026-12-02T00:00:00.000Z' })
      .onConflict((oc) => oc.column('url_hash').doUpdateSet({ requested_at: '2026-12-02T00:00:00.000Z' }))
      .execute();
    const rows = await db.selectFrom('quality_url_checks').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ url: row.url, requested_at: '2026-12-02T00:00:00.000Z', checked_at: null });
    await expect(db.insertInto('quality_url_checks').values({ ...row, url_hash: 'h2', url: null as unknown as string }).execute()).rejects.toThrow();

    const raw = db as unknown as Kysely<unknown>;
    await down(raw);
    await expect(sql`select count(*) from quality_url_checks`.execute(raw)).rejects.toThrow();
    await up(raw);
    expect((await db.selectFrom('quality_url_checks').selectAll().execute()).length).toBe(0);
  });
});
