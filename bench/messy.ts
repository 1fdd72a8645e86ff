// The messy-CSV corpus (test/fixtures/messy/corpus.ts) through the engine: one line per kind (outcome, rows or error
// code, time) and the totals — ingested exactly, failed with a clear message, succeeded with wrong data (must be 0).
//
//   npx tsx bench/messy.ts [memoryLimit]      (default 256MiB)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEngine, maxColumnsFor } from '../src/platform/engine/duckdb';
import { buildCorpus, runCase } from '../test/fixtures/messy/corpus';

async function main(): Promise<void> {
  const memoryLimit = process.argv[2] ?? '256MiB';
  const CORPUS = buildCorpus(maxColumnsFor(memoryLimit));
  const dir = await mkdtemp(join(tmpdir(), 'bench-messy-'));
  const engine = await createDuckDbEngine({ memoryLimit, threads: 2, tempDir: join(dir, 'tmp') });
  const counts = { exact: 0, failed_as_expected: 0, wrong_data: 0, unexpected_failure: 0 };
  try {
    console.log(`memory_limit=${memoryLimit}, ${CORPUS.length} kinds\n`);
    console.log(`${'kind'.padEnd(52)} ${'outcome'.padEnd(20)} ${'rows / code'.padEnd(22)} time`);
    for (const c of CORPUS) {
      const r = await runCase(engine, dir, c);
      counts[r.outcome]++;
      const what = r.code ?? String(r.rows ?? '');
      console.log(`${r.kind.padEnd(52)} ${r.outcome.padEnd(20)} ${what.padEnd(22)} ${r.ms.toFixed(0).padStart(6)} ms${r.detail ? `  ${r.detail}` : ''}`);
    }
    console.log('');
    console.log(`ingested exactly:              ${counts.exact}`);
    console.log(`failed with a clear message:   ${counts.failed_as_expected}`);
    console.log(`succeeded with wrong data:     ${counts.wrong_data}`);
    console.log(`refused although readable:     ${counts.unexpected_failure}`);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
  if (counts.wrong_data > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
