// Registry import benchmark: `registry import` (organisations.importRegistry) on a generated gzipped bulk file shaped
// like Brønnøysund's enheter_alle.json.gz (N copies of the real Digdir record with distinct numbers), on SQLite in a
// temp directory (or PostgreSQL when DATABASE_URL is set). Prints the file size, time, records per second and peak RSS
// (sampled), to show the import streams instead of loading the file.
//
//   npx tsx bench/registry-import.ts [records]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pino } from 'pino';
import { CLI_ACTOR } from '../src/access/model';
import { loadConfig } from '../src/config';
import { openPlatform } from '../src/platform/index';
import { createServices } from '../src/services';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'df-registry-bench-'));
  try {
    const file = path.join(dir, 'enheter_alle.json.gz');
    const template = JSON.parse(fs.readFileSync(path.join(import.meta.dirname ?? __dirname, '../test/fixtures/brreg/brreg_enhet_991825827_digdir.json'), 'utf8')) as Record<string, unknown>;
    let raw = 0;
    async function* records(): AsyncGenerator<string> {
      yield '[\n';
      for (let i = 0; i < n; i++) {
        const s = `${i ? ',\n' : ''}${JSON.stringify({ ...template, organisasjonsnummer: String(800_000_000 + i), navn: `ENHET NUMMER ${i}` })}`;
        raw += Buffer.byteLength(s);
        yield s;
      }
      yield '\n]\n';
    }
    await pipeline(Readable.from(records()), createGzip(), fs.createWriteStream(file));
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', REGISTRY_URL: '', DATABASE_URL: process.env.DATABASE_URL });
    const platform = await openPlatform(config, pino({ level: 'silent' }));
    try {
      const services = createServices(platform);
      let peak = process.memoryUsage().rss;
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const t0 = performance.now();
      const r = await services.organisations.importRegistry(CLI_ACTOR, file);
      const ms = performance.now() - t0;
      clearInterval(sample);
      console.log(
        JSON.stringify({ records: r.records, imported: r.imported, skipped: r.skipped, gzMB: +(fs.statSync(file).size / 1e6).toFixed(1), jsonMB: +(raw / 1e6).toFixed(1), seconds: +(ms / 1000).toFixed(1), perSecond: Math.round(r.records / (ms / 1000)), peakRssMB: Math.round(peak / 1e6) }),
      );
    } finally {
      await platform.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
