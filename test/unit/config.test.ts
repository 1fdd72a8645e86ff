import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.baseUrl).toBe('http://localhost:3000');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.s3).toBeUndefined();
    expect(c.secureCookies).toBe(false);
    expect(c.seedDemo).toBe(true);
  });

  it('reads every documented key', () => {
    const c = loadConfig({
      PORT: '8080',
      BASE_URL: 'https://data.example.no/',
      DATABASE_URL: 'postgres://u@h/db',
      S3_BUCKET: 'b',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      DUCKDB_MEMORY_LIMIT: '512MB',
      SEED_DEMO: 'false',
    });
    expect(c.port).toBe(8080);
    expect(c.baseUrl).toBe('https://data.example.no');
    expect(c.secureCookies).toBe(true);
    expect(c.s3?.bucket).toBe('b');
    expect(c.s3?.forcePathStyle).toBe(true);
    expect(c.duckdb.memoryLimit).toBe('512MB');
    expect(c.seedDemo).toBe(false);
  });

  it('trusts no proxy unless TRUST_PROXY says which', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    for (const off of ['', 'false', '0', 'no', 'off']) expect(loadConfig({ TRUST_PROXY: off }).trustProxy, off).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    for (const bad of ['proxy.example', '10.0.0.0/33', '127.0.0.1/8/1', '::1/129', 'maybe']) expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
  });

  it('rejects bad values with a message naming the key', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ SEED_DEMO: 'maybe' })).toThrow(/SEED_DEMO/);
    expect(() => loadConfig({ DUCKDB_MEMORY_LIMIT: 'lots' })).toThrow(/DUCKDB_MEMORY_LIMIT/);
    expect(() => loadConfig({ BASE_URL: 'not a url' })).toThrow(/BASE_URL/);
  });

  it('README documents every configuration key and nothing else reads process.env', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    for (const k of CONFIG_KEYS) expect(readme, k.name).toContain(`\`${k.name}\``);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts') && fs.readFileSync(p, 'utf8').includes('process.env')) offenders.push(p);
      }
    };
    walk('src');
    // The CLI passes process.env into loadConfig; config.ts parses it. No other module may read it.
    expect(offenders.sort()).toEqual(['src/cli/main.ts', 'src/config.ts']);
  });
});
