// SQL sandbox benchmark: the same queries over the same generated Parquet table (1M rows by default), through the
// sandbox (parse + tree check in the web process, a warm worker process, a fresh locked DuckDB instance per query
// with a view over the file) and on a bare DuckDB connection that already has the view, in the same run. Prints
// p50/p95 of each and the ratio; the difference is what the isolation costs per query.
//
//   npx tsx bench/sql.ts [rows] [runs]
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../src/platform/engine/duckdb';
import { createSqlSandbox } from '../src/sql/sandbox';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 30);
const NAME = '974760673/tilskudd-1a2b3c4d/tilskudd';
const LIMITS = { memoryLimit: '512MB', threads: 2 };

const QUERIES: [string, string][] = [
  ['tiny (SELECT 1)', 'SELECT 1'],
  ['count', `SELECT count(*) FROM "${NAME}"`],
  ['filtered, sorted page of 100', `SELECT * FROM "${NAME}" WHERE komnr = '0301' ORDER BY belop DESC LIMIT 100`],
  ['group by (10 groups)', `SELECT komnr, count(*), sum(belop), avg(antall) FROM "${NAME}" GROUP BY komnr ORDER BY komnr`],
];

function pct(times: number[], p: number): number {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function timed(work: () => Promise<unknown>): Promise<number[]> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-sql-'));
  const file = join(dir, 'table.parquet');
  const bare = await DuckDBInstance.create(':memory:', { memory_limit: LIMITS.memoryLimit, threads: String(LIMITS.threads), autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await bare.connect();
  await conn.run(`COPY (SELECT lpad(((i % 10) * 401 + 301)::VARCHAR, 4, '0') AS komnr, (800000000 + i)::VARCHAR AS orgnr, 'Foretak ' || i AS navn,
    (i * 7919 % 10000)::BIGINT AS antall, round((i * 104729 % 2000000) / 100.0, 2)::DOUBLE AS belop FROM range(${ROWS}) t(i)) TO ${sqlString(file)} (FORMAT parquet)`);
  await conn.run(`CREATE VIEW "${NAME}" AS SELECT * FROM read_parquet(${sqlString(file)})`);
  const sandbox = createSqlSandbox({ ...LIMITS, timeoutMs: 30_000, maxConcurrent: 1, tempDir: join(dir, 'tmp') });
  try {
    console.log(`${ROWS.toLocaleString('en')} rows; ${RUNS} runs after a warm-up; memory_limit=${LIMITS.memoryLimit}, threads=${LIMITS.threads}; ${cpus().length} cores`);
    console.log('                                 sandbox p50/p95        bare DuckDB p50/p95    ratio (p50)');
    for (const [label, sql] of QUERIES) {
      const viaSandbox = await timed(async () => {
        const a = await sandbox.analyse(sql);
        return sandbox.run(sql, a.tables.map((name) => ({ name, file })), { maxRows: 10_000 });
      });
      const viaBare = await timed(async () => (await conn.runAndReadAll(sql)).getRowsJS());
      const s50 = pct(viaSandbox, 50);
      const b50 = pct(viaBare, 50);
      console.log(`${label.padEnd(32)} ${s50.toFixed(1).padStart(7)} / ${pct(viaSandbox, 95).toFixed(1).padStart(7)} ms   ${b50.toFixed(1).padStart(7)} / ${pct(viaBare, 95).toFixed(1).padStart(7)} ms   ${(s50 / b50).toFixed(1)}× (+${(s50 - b50).toFixed(1)} ms)`);
    }
  } finally {
    await sandbox.close();
    conn.closeSync();
    bare.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
