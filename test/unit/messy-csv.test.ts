// The messy-CSV corpus (test/fixtures/messy/corpus.ts): every case ingests exactly or fails with its own error code,
// and none succeeds with wrong data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEngine, maxColumnsFor, type DuckDbTableEngine } from '../../src/platform/engine/duckdb';
import { buildCorpus, runCase, type CaseResult } from '../fixtures/messy/corpus';

let dir: string;
let engine: DuckDbTableEngine;
const results: CaseResult[] = [];
const MEMORY = '256MiB';
const CORPUS = buildCorpus(maxColumnsFor(MEMORY));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'messy-csv-'));
  engine = await createDuckDbEngine({ memoryLimit: MEMORY, threads: 2, tempDir: join(dir, 'tmp') });
});

afterAll(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('messy CSV corpus', () => {
  it('has at least 25 kinds', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  for (const c of CORPUS) {
    it(c.kind, async () => {
      const result = await runCase(engine, dir, c);
      results.push(result);
      expect(result.detail ?? '').toBe('');
      expect(['exact', 'failed_as_expected']).toContain(result.outcome);
    });
  }

  it('succeeds with wrong data zero times', () => {
    expect(results.filter((r) => r.outcome === 'wrong_data')).toEqual([]);
  });
});
