// The rules of ./model.ts on parse trees DuckDB itself produced: which tables a statement reads, which functions and
// names are refused, and the SQL names of tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { analyseStatement, leadingKeyword, parseTableName, quotedTableName, sqlTableName } from './model';
import { Slots } from './sandbox';

let instance: DuckDBInstance;

async function tree(sql: string): Promise<unknown> {
  const conn = await instance.connect();
  try {
    const p = await conn.prepare('SELECT json_serialize_sql($1::VARCHAR)');
    p.bindVarchar(1, sql);
    const parsed = JSON.parse(String((await p.runAndReadAll()).getRows()[0]?.[0]));
    expect(parsed.error, sql).toBe(false);
    return parsed.statements;
  } finally {
    conn.closeSync();
  }
}

const tablesOf = async (sql: string) => analyseStatement(await tree(sql)).tables;
const refusal = async (sql: string) => {
  try {
    analyseStatement(await tree(sql));
  } catch (err) {
    return (err as { code: string; params: Record<string, string> });
  }
  return undefined;
};

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
});
afterAll(() => instance.closeSync());

describe('analyseStatement', () => {
  it('finds every table a statement reads, wherever it sits, without CTE names', async () => {
    expect(await tablesOf('SELECT * FROM "a/b/c"')).toEqual(['a/b/c']);
    expect(await tablesOf('WITH x AS (SELECT * FROM t1) SELECT * FROM x JOIN t2 USING (k) WHERE k IN (SELECT k FROM t3)')).toEqual(['t1', 't2', 't3']);
    expect(await tablesOf('SELECT (SELECT max(v) FROM t4), EXISTS (SELECT 1 FROM t5) FROM t6 UNION ALL SELECT 1, 2 FROM t4')).toEqual(['t4', 't5', 't6']);
    expect(await tablesOf('SELECT * FROM t7, LATERAL (SELECT * FROM t8 WHERE t8.k = t7.k)')).toEqual(['t7', 't8']);
    expect(await tablesOf('DESCRIBE SELECT * FROM t9')).toEqual(['t9']);
    expect(await tablesOf('SUMMARIZE t10')).toEqual(['t10']);
    expect(await tablesOf('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r')).toEqual([]);
    expect(await tablesOf('SELECT * FROM range(3), unnest([1, 2]), generate_series(1, 2)')).toEqual([]);
  });

  it('refuses table functions that read files or run SQL, sandbox-describing functions and qualified names', async () => {
    for (const [sql, fn] of [
      ["SELECT * FROM read_csv('/etc/passwd')", 'read_csv'],
      ["SELECT * FROM read_csv_auto('/etc/passwd')", 'read_csv_auto'],
      ["SELECT * FROM read_json('x.json')", 'read_json'],
      ["SELECT * FROM parquet_metadata('x')", 'parquet_metadata'],
      ["SELECT * FROM t WHERE k IN (SELECT * FROM read_blob('/etc/shadow'))", 'read_blob'],
      ["SELECT * FROM query_table('t')", 'query_table'],
      ['SELECT * FROM duckdb_tables()', 'duckdb_tables'],
      ['SELECT * FROM pragma_table_info(\'t\')', 'pragma_table_info'],
      ["SELECT current_setting('temp_directory')", 'current_setting'],
      ["SELECT getvariable('x')", 'getvariable'],
      ["SELECT * FROM main.range(3)", 'range'],
    ] as const) {
      const err = await refusal(sql);
      expect(err?.code, sql).toBe('sql_function_not_allowed');
      expect(err?.params.function, sql).toBe(fn);
    }
    for (const [sql, name] of [
      ['SELECT * FROM main.t', 'main.t'],
      ['SELECT * FROM memory.main.t', 'memory.main.t'],
      ['SELECT * FROM information_schema.columns', 'information_schema.columns'],
      ['SELECT * FROM system.main.duckdb_settings', 'system.main.duckdb_settings'],
    ] as const) {
      const err = await refusal(sql);
      expect(err?.code, sql).toBe('sql_table_not_found');
      expect(err?.params.table).toBe(name);
    }
    expect((await refusal('SHOW TABLES'))?.code).toBe('sql_not_read_only');
    expect((await refusal('SHOW ALL TABLES'))?.code).toBe('sql_not_read_only');
  });
});

describe('table names', () => {
  it('uses the CKAN package name as the dataset slug and parses its own names only', () => {
    const name = sqlTableName({ id: '1a2b3c4d-0000-4000-8000-000000000000', orgnr: '974760673', title: { nb: 'Befolkning i Ås' } }, 'kommuner');
    expect(name).toBe('974760673/befolkning-i-as-1a2b3c4d/kommuner');
    expect(parseTableName(name)).toEqual({ orgnr: '974760673', slug: 'befolkning-i-as-1a2b3c4d', idPrefix: '1a2b3c4d', table: 'kommuner' });
    expect(parseTableName('974760673/1a2b3c4d/t')).toMatchObject({ idPrefix: '1a2b3c4d' });
    for (const bad of ['/etc/passwd', 'kommuner', '97476067/x-1a2b3c4d/t', '974760673/x-1a2b3c4d/T', '974760673/X-1a2b3c4d/t', '974760673/x-1a2b3c4d/t/u', '974760673/x-1a2b3c4/t']) {
      expect(parseTableName(bad), bad).toBeUndefined();
    }
    expect(quotedTableName('a"b')).toBe('"a""b"');
  });

  it('names a refused statement by its first keyword, past comments and parentheses', () => {
    expect(leadingKeyword('  -- x\n /* y */ (insert into t values (1))')).toBe('INSERT');
    expect(leadingKeyword('attach \'x\'')).toBe('ATTACH');
    expect(leadingKeyword('')).toBe('');
  });
});

describe('Slots', () => {
  it('lets `max` holders in, queues the rest in order and refuses a waiter after its time limit', async () => {
    const slots = new Slots(1);
    const first = await slots.acquire(50);
    const order: string[] = [];
    const second = slots.acquire(1000).then((release) => {
      order.push('second');
      return release;
    });
    const late = slots.acquire(20).catch((err: { code: string }) => err.code);
    expect(await late).toBe('sql_busy');
    first();
    const release = await second;
    expect(order).toEqual(['second']);
    release();
    (await slots.acquire(10))();
  });
});
