// Migration 20261201-003 (table imports): adds the value-free failure and import-report columns and scrubs legacy
// rows — a free-text error that could quote a CSV line, and column notes that quoted an example value — on both
// databases. Runs the migration on a table_versions table as the foundation migration created it.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../../src/platform/db/migrations/20261201-003-table-import';
import { createTestDb, type TestDb } from '../helpers/db';

let t: TestDb;
let db: Kysely<unknown>;

beforeAll(async () => {
  t = await createTestDb({ migrate: false });
  db = t.db as unknown as Kysely<unknown>;
  await db.schema
    .createTable('table_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('table_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source_blob_key', 'text', (c) => c.notNull())
    .addColumn('source_format', 'text', (c) => c.notNull())
    .addColumn('source_options', 'text', (c) => c.notNull())
    .addColumn('parquet_blob_key', 'text')
    .addColumn('row_count', 'bigint')
    .addColumn('byte_size', 'bigint')
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('job_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('ready_at', 'text')
    .execute();
  const row = (id: string, state: string, columns: unknown, error: string | null) =>
    sql`insert into table_versions (id, table_id, version, state, source_blob_key, source_format, source_options, columns, error, created_at)
        values (${id}, 't', 1, ${state}, 'k', 'csv', '{}', ${JSON.stringify(columns)}, ${error}, '2026-11-30T00:00:00.000Z')`.execute(db);
  await row('failed', 'failed', [], 'The file is not valid CSV: line 5001 "LEAKMARKER7731;0177317731" has 5 fields');
  await row('ready', 'ready', [{ name: 'kode', type: 'VARCHAR', nullable: false, keptAsText: 'values have leading zeros (e.g. "01017012345")' }, { name: 'n', type: 'BIGINT', nullable: true }], null);
});

afterAll(async () => {
  await t?.destroy();
});

describe('migration 20261201-003-table-import', () => {
  it('adds the columns with defaults and scrubs values from legacy rows', async () => {
    await up(db);
    const rows = (await sql<Record<string, unknown>>`select * from table_versions order by id`.execute(db)).rows;
    const failed = rows.find((r) => r.id === 'failed');
    const ready = rows.find((r) => r.id === 'ready');
    expect(failed).toMatchObject({ error: null, error_code: 'unknown', error_params: '{}', skipped: '[]', given_options: '{}', record_count: null, from_version: null });
    expect(ready?.error_code).toBeNull();
    expect(JSON.parse(String(ready?.columns))).toEqual([
      { name: 'kode', type: 'VARCHAR', nullable: false, keptAsText: 'leading_zeros' },
      { name: 'n', type: 'BIGINT', nullable: true },
    ]);
    expect(JSON.stringify(rows)).not.toContain('LEAKMARKER7731');
    expect(JSON.stringify(rows)).not.toContain('01017012345');
  });

  it('goes down again', async () => {
    await down(db);
    const cols = (await db.introspection.getTables()).find((x) => x.name === 'table_versions')?.columns.map((c) => c.name) ?? [];
    expect(cols).not.toContain('error_code');
    expect(cols).toContain('error');
  });
});
