// The SQL sandbox's settings: defaults, and a clear ConfigError for values it cannot run with.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('SQL configuration', () => {
  it('defaults to 10 s, 512MB and two queries at once', () => {
    expect(loadConfig({}).sql).toEqual({ timeoutMs: 10_000, memoryLimit: '512MB', maxConcurrent: 2 });
    expect(loadConfig({ SQL_TIMEOUT_MS: '2500', SQL_MEMORY_LIMIT: '1GB', SQL_CONCURRENCY: '4' }).sql).toEqual({ timeoutMs: 2500, memoryLimit: '1GB', maxConcurrent: 4 });
    expect(loadConfig({ SQL_CONCURRENCY: '0' }).sql.maxConcurrent).toBe(1);
  });

  it('refuses a time limit under 100 ms, a memory limit DuckDB cannot read and non-numbers', () => {
    expect(() => loadConfig({ SQL_TIMEOUT_MS: '50' })).toThrow(ConfigError);
    expect(() => loadConfig({ SQL_TIMEOUT_MS: '10s' })).toThrow(/SQL_TIMEOUT_MS/);
    expect(() => loadConfig({ SQL_MEMORY_LIMIT: 'lots' })).toThrow(/SQL_MEMORY_LIMIT/);
    expect(() => loadConfig({ SQL_CONCURRENCY: '-1' })).toThrow(/SQL_CONCURRENCY/);
  });
});
