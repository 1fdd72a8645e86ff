// Harvest benchmark: a generated DCAT-AP-NO catalogue in Turtle, Hydra-paged (1000 datasets a page, each with two
// distributions, a publisher among 20 organisations, a licence, themes, keywords, a contact point), served on
// loopback and harvested into a fresh database (SQLite; PostgreSQL with DATABASE_URL) — 10k, 50k and 100k datasets,
// each size in its own process so its peak RSS is its own. Printed per size: the harvest time, datasets/s, peak RSS,
// and the ratio to a baseline measured in the same process: fetching and parsing the same pages with n3 alone (no
// normalising, staging or switching). A second run of the same catalogue (nothing changed) shows the incremental path.
// Target: 100k in ≤ 3 minutes, and peak RSS flat as the catalogue grows (pages are parsed one at a time, staged to
// the database, and switched in batches; the whole catalogue is never in memory).
//
//   npm run bench:harvest            # 10k, 50k, 100k
//   npx tsx bench/harvest.ts 20000   # one size
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { StreamParser } from 'n3';
import { pino } from 'pino';
import { CLI_ACTOR } from '../src/access/model';
import { loadConfig } from '../src/config';
import { openPlatform } from '../src/platform/index';
import { createServices } from '../src/services';
import { createTestEnv } from '../test/helpers/db';

const PAGE = 1000;
const ORGS = ['991825827', '974760673', '971040238', '971032081', '961181399', '964969590', '971045698', '984195796', '926721720', '983887457', '974761076', '972417858', '974778807', '938801363', '974760843', '971526920', '974763060', '986105174', '970018131', '974774763'];
const THEMES = ['GOVE', 'ECON', 'TRAN', 'ENVI', 'HEAL', 'EDUC', 'REGI', 'SOCI'];

function page(n: number, total: number, base: string): string {
  const first = n * PAGE;
  const last = Math.min(total, first + PAGE);
  const out: string[] = [
    '@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .',
    '@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .',
    `<${base}/catalog> a dcat:Catalog ; dct:title "Benchmark"@nb .`,
  ];
  if (last < total) out.push(`<${base}/catalog?page=${n}> hydra:next <${base}/catalog?page=${n + 1}> .`);
  for (let i = first; i < last; i++) {
    const ds = `<https://bench.example.no/datasets/${i}>`;
    out.push(`<${base}/catalog> dcat:dataset ${ds} .`);
    out.push(
      `${ds} a dcat:Dataset ; dct:identifier "bench-${i}" ; dct:title "Datasett nummer ${i}"@nb , "Dataset number ${i}"@en ;`,
      `  dct:description "Et generert datasett (${i}) for ytelsesmåling av høsting, med en beskrivelse av passe lengde."@nb ;`,
      `  dct:publisher <https://data.brreg.no/enhetsregisteret/api/enheter/${ORGS[i % ORGS.length]}> ;`,
      `  dct:license <http://data.norge.no/nlod/no/2.0> ; dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;`,
      `  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/${THEMES[i % THEMES.length]}> ; dcat:keyword "nøkkel${i % 50}"@nb , "måling"@nb ;`,
      `  dct:issued "2024-01-${String((i % 28) + 1).padStart(2, '0')}"^^xsd:date ; dct:modified "2024-06-01T12:00:00"^^xsd:dateTime ;`,
      `  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Kontakt ${i % 20}" ; vcard:hasEmail <mailto:post${i % 20}@example.no> ] ;`,
      `  dcat:distribution <https://bench.example.no/datasets/${i}/csv> , <https://bench.example.no/datasets/${i}/api> .`,
      `<https://bench.example.no/datasets/${i}/csv> a dcat:Distribution ; dct:title "CSV"@nb ; dcat:accessURL <https://bench.example.no/files/${i}.csv> ;`,
      `  dcat:downloadURL <https://bench.example.no/files/${i}.csv> ; dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ; dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .`,
      `<https://bench.example.no/datasets/${i}/api> a dcat:Distribution ; dct:title "API"@nb ; dcat:accessURL <https://bench.example.no/api/${i}> ; dct:format <http://publications.europa.eu/resource/authority/file-type/JSON> .`,
    );
  }
  return out.join('\n');
}

async function serveCatalogue(total: number): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const server = http.createServer((req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? 0);
    res.writeHead(200, { 'content-type': 'text/turtle; charset=utf-8' });
    res.end(page(n, total, base));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/catalog?page=0`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The baseline: the same pages fetched and parsed with n3, nothing else. */
async function parseOnly(url: string, total: number): Promise<number> {
  const started = performance.now();
  let quads = 0;
  for (let n = 0; n * PAGE < total; n++) {
    const u = new URL(url);
    u.searchParams.set('page', String(n));
    const res = await fetch(u);
    const parser = new StreamParser({ format: 'Turtle' });
    parser.on('data', () => quads++);
    const done = new Promise((r, j) => parser.on('end', r).on('error', j));
    parser.end(await res.text());
    await done;
  }
  void quads;
  return performance.now() - started;
}

async function child(total: number): Promise<void> {
  const env = await createTestEnv('df-bench-harvest-');
  const config = loadConfig({ DATA_DIR: env.dataDir, DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', SEED_DEMO: 'false', REGISTRY_URL: '', HARVEST_ALLOW_PRIVATE: 'true', HARVEST_TIMEOUT_MS: '120000' });
  const platform = await openPlatform(config, pino({ level: 'silent' }));
  const services = createServices(platform);
  const cat = await serveCatalogue(total);
  let peak = process.memoryUsage().rss;
  let peakHeap = 0;
  let peakLive = 0;
  let ticks = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    // Every second a full collection: what is still reachable then is the harvest's working set (V8 otherwise lets
    // garbage pile up while memory is plentiful, so RSS says more about the collector than about the harvest).
    if (gc && ++ticks % 20 === 0) {
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
    }
  }, 50);
  try {
    const baselineMs = await parseOnly(cat.url, total);
    const source = await services.harvest.create(CLI_ACTOR, { name: 'bench', kind: 'dcat', url: cat.url });
    const t0 = performance.now();
    const first = await services.harvest.runNow(CLI_ACTOR, source.id);
    const harvestMs = performance.now() - t0;
    if (first.state !== 'succeeded' || first.added !== total) throw new Error(`harvest ${first.state}: added ${first.added}/${total} ${first.error ?? ''}`);
    const t1 = performance.now();
    const second = await services.harvest.runNow(CLI_ACTOR, source.id);
    const againMs = performance.now() - t1;
    if (second.unchanged !== total) throw new Error(`second run ${second.state}: unchanged ${second.unchanged}/${total} ${second.error ?? ""}`);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    process.stdout.write(`${JSON.stringify({ total, harvestMs, againMs, baselineMs, peakRssMb: peak / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20, peakLiveMb: peakLive / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024, dialect: platform.dbh.dialect })}\n`);
  } finally {
    clearInterval(sampler);
    await cat.close();
    await platform.close();
    await env.cleanup();
  }
}

async function parent(sizes: number[]): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  console.log(`Harvest benchmark: Hydra-paged Turtle on loopback, ${PAGE} datasets a page, 2 distributions each.`);
  const rows: { total: number; harvestMs: number; againMs: number; baselineMs: number; peakRssMb: number; peakHeapMb: number; peakLiveMb: number; maxRssMb: number; dialect: string }[] = [];
  for (const n of sizes) {
    const out = execFileSync(process.execPath, [...process.execArgv, '--expose-gc', self, '--child', String(n)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as (typeof rows)[number];
    rows.push(r);
    console.log(
      `${String(n).padStart(7)} datasets (${r.dialect}): harvest ${(r.harvestMs / 1000).toFixed(1)} s (${Math.round(n / (r.harvestMs / 1000))}/s), ` +
        `${(r.harvestMs / r.baselineMs).toFixed(1)}× the fetch+parse baseline (${(r.baselineMs / 1000).toFixed(1)} s); unchanged re-run ${(r.againMs / 1000).toFixed(1)} s; ` +
        `peak RSS ${r.peakRssMb.toFixed(0)} MB, peak JS heap ${r.peakHeapMb.toFixed(0)} MB, live heap after GC ≤ ${r.peakLiveMb.toFixed(0)} MB`,
    );
  }
  if (rows.length > 1) {
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    console.log(`Memory: peak RSS ${first.peakRssMb.toFixed(0)} MB at ${first.total} → ${last.peakRssMb.toFixed(0)} MB at ${last.total} (${(last.peakRssMb / first.peakRssMb).toFixed(2)}× for ${(last.total / first.total).toFixed(0)}× the datasets); live heap ${first.peakLiveMb.toFixed(0)} → ${last.peakLiveMb.toFixed(0)} MB (${(last.peakLiveMb / first.peakLiveMb).toFixed(2)}×).`);
  }
  const big = rows.find((r) => r.total === 100_000);
  if (big) console.log(`Target ≤ 180 s for 100k: ${(big.harvestMs / 1000).toFixed(1)} s — ${big.harvestMs <= 180_000 ? 'met' : 'NOT met'}.`);
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(Number(args[1]));
else await parent(args.length ? args.map(Number) : [10_000, 50_000, 100_000]);
