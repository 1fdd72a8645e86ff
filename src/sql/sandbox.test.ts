// Defence in depth: the sandbox holds even when a statement skips the checks of analyse(). Statements are given to
// run() directly, as if the parse-tree check had a gap: the file of a consent-restricted table, any other file, COPY,
// ATTACH, SET, INSTALL/LOAD and writes to our views all fail inside DuckDB, while the views over open tables read.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createSqlSandbox, SandboxRuntimeError, type SqlSandbox } from './sandbox';

let dir: string;
let open: string;
let secret: string;
let sandbox: SqlSandbox;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'df-sql-'));
  open = path.join(dir, 'open.parquet');
  secret = path.join(dir, 'secret.parquet');
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  await c.run(`COPY (SELECT range AS id, 'open ' || range AS v FROM range(100)) TO '${open}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT range::VARCHAR AS who, 'SECRET' || range AS v FROM range(10)) TO '${secret}' (FORMAT parquet)`);
  c.closeSync();
  inst.closeSync();
  sandbox = createSqlSandbox({ memoryLimit: '128MB', threads: 1, timeoutMs: 3000, maxConcurrent: 2, tempDir: path.join(dir, 'tmp') });
});

afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const TABLES = () => [
  { name: 'o', file: open },
  { name: 'r', file: secret, restriction: { column: 'who', values: ['2', '3'] } },
];

async function fails(sql: string): Promise<string> {
  try {
    await sandbox.run(sql, TABLES(), { maxRows: 100 });
  } catch (err) {
    return err instanceof SandboxRuntimeError ? `runtime:${err.detail.split('\n')[0]}` : `${(err as { code?: string }).code}:${(err as Error).message}`;
  }
  throw new Error(`${sql} ran`);
}

describe('the DuckDB behaviour the sandbox is built on (fails if an upgrade changes it)', () => {
  it('a view over read_parquet stops reading once external access is off, unless its file is in allowed_paths', async () => {
    const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const c = await inst.connect();
    try {
      await c.run(`CREATE VIEW plain AS SELECT * FROM read_parquet('${open}')`);
      await c.run(`CREATE VIEW allowed AS SELECT * FROM read_parquet('${secret}')`);
      await c.run(`SET allowed_paths = ['${secret}']`);
      await c.run('SET enable_external_access = false');
      await c.run('SET lock_configuration = true');
      await expect(c.run('SELECT count(*) FROM plain')).rejects.toThrow(/Permission Error/);
      expect((await c.runAndReadAll('SELECT count(*)::INT FROM allowed')).getRows()).toEqual([[10]]);
      await expect(c.run("SET allowed_paths = ['/etc/passwd']")).rejects.toThrow(/locked/);
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  });
});

describe('the sandbox without the parse-tree check', () => {
  it('reads open tables through views and restricted tables as only their rows', async () => {
    expect((await sandbox.run('SELECT count(*) FROM o', TABLES(), { maxRows: 10 })).rows).toEqual([[100]]);
    expect((await sandbox.run('SELECT who, v FROM r ORDER BY who', TABLES(), { maxRows: 10 })).rows).toEqual([['2', 'SECRET2'], ['3', 'SECRET3']]);
  });

  it('cannot read the restricted file, other files, or write, attach, set, install or load', async () => {
    expect(await fails(`SELECT * FROM read_parquet('${secret}')`)).toMatch(/Permission Error/);
    expect(await fails(`SELECT * FROM '${secret}'`)).toMatch(/Permission Error|Catalog Error/);
    expect(await fails("SELECT * FROM read_csv('/etc/passwd')")).toMatch(/Permission Error/);
    expect(await fails("SELECT * FROM read_text('/etc/hostname')")).toMatch(/Permission Error/);
    expect(await fails("SELECT * FROM glob('/etc/*')")).toMatch(/Permission Error/);
    expect(await fails(`COPY o TO '${path.join(dir, 'out.csv')}'`)).toMatch(/Permission Error|sql_not_read_only/);
    expect(await fails(`COPY (SELECT 1) TO '${open}' (FORMAT parquet)`)).toMatch(/Permission Error|sql_not_read_only/);
    expect(await fails(`ATTACH '${path.join(dir, 'x.duckdb')}'`)).toMatch(/Permission Error|sql_not_read_only/);
    expect(await fails('SET enable_external_access = true')).toMatch(/locked|sql_not_read_only/);
    expect(await fails("SET allowed_paths = ['/etc/passwd']")).toMatch(/locked|sql_not_read_only/);
    expect(await fails('INSTALL httpfs')).toMatch(/Permission Error|sql_not_read_only/);
    expect(await fails('LOAD httpfs')).toMatch(/disabled|sql_not_read_only/);
    expect(await fails("SELECT * FROM read_csv('https://example.org/x.csv')")).toMatch(/Permission Error|disabled/);
    expect(await fails('INSERT INTO r VALUES (\'9\', \'x\')')).toMatch(/sql_not_read_only/);
    expect(await fails('DELETE FROM r')).toMatch(/sql_not_read_only/);
    expect(await fails('CREATE TABLE z AS SELECT 1')).toMatch(/sql_not_read_only/);
  });

  it('keeps the configuration locked and external access off for the statement', async () => {
    const r = await sandbox.run("SELECT current_setting('enable_external_access') AS ext, current_setting('lock_configuration') AS locked", TABLES(), { maxRows: 1 });
    expect(r.rows).toEqual([[false, true]]);
  });

  it('cuts a result by size as well as by rows', async () => {
    const r = await sandbox.run("SELECT repeat('x', 1000) FROM range(100)", [], { maxRows: 100, maxBytes: 10_000 });
    expect(r.truncated).toBe(true);
    expect(r.rows.length).toBeLessThan(10);
    expect(await sandbox.run("SELECT repeat('x', 100000)", [], { maxRows: 1, maxBytes: 10_000 }).catch((e: { code: string }) => e.code)).toBe('sql_result_too_large');
  });
});
