// Profile benchmark (issue 9.4): what the column profile adds to an ingest. Generates a Norwegian-style CSV (default
// 1,000,000 rows: `;`, decimal comma with space thousands, kommunenummer with leading zeros, orgnr, dates, a category,
// e-mail addresses), then measures in the same run, median of RUNS:
//   ingest   engine.csvToParquet (the ingest without the profile);
//   profile  engine.profileParquet on the Parquet file it wrote (what the ingest job adds);
// and prints profile / ingest and (ingest + profile) / ingest. Not a test: no timed assertions.
//
//   npm run bench:profile [-- rows]
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEngine } from '../src/platform/engine/duckdb';
import { APPROX_DISTINCT_FROM } from '../src/platform/engine/profile';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 3;
const KOMMUNER = ['0301', '1103', '4601', '5001', '1804', '3201', '4204', '3907', '5501', '1508'];
const KATEGORI = ['Melk', 'Kjøtt', 'Egg', 'Ull', 'Korn', 'Grønnsaker', 'Frukt', 'Bær', 'Honning', 'Skinn', 'Fisk', 'Annet'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function decimalComma(value: number): string {
  const [whole, frac] = value.toFixed(2).split('.');
  return `${(whole ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ' ')},${frac}`;
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const rand = rng(7);
  out.write('komnr;orgnr;navn;dato;kategori;antall;belop;epost\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const dato = `20${String(15 + (i % 10)).padStart(2, '0')}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    chunk += `${KOMMUNER[i % KOMMUNER.length]};${800_000_000 + Math.floor(rand() * 199_999_999)};Gård ${i};${dato};${KATEGORI[i % KATEGORI.length]};`
      + `${Math.floor(rand() * 10_000)};${decimalComma(rand() * 2_000_000)};bruker${i % 50_000}@example.no\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function median(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-profile-'));
  const engine = await createDuckDbEngine({ memoryLimit: '1GB', threads: 2, tempDir: join(dir, 'duck') });
  try {
    const csv = join(dir, 'data.csv');
    await writeCsv(csv, ROWS);
    const mb = (await stat(csv)).size / 1e6;
    console.log(`file: ${ROWS.toLocaleString('en')} rows, ${mb.toFixed(1)} MB; distinct counts ${ROWS >= APPROX_DISTINCT_FROM ? 'approximate' : 'exact'} (threshold ${APPROX_DISTINCT_FROM.toLocaleString('en')} rows)`);
    const parquet = join(dir, 'data.parquet');
    let i = 0;
    const ingest = await median(() => engine.csvToParquet(csv, join(dir, `run-${i++}.parquet`)));
    await engine.csvToParquet(csv, parquet);
    const profile = await median(() => engine.profileParquet(parquet));
    const p = await engine.profileParquet(parquet);
    console.log(`columns profiled: ${p.columns.length}; semantic: ${p.columns.map((c) => `${c.name}=${c.semantic?.confirmed ? c.semantic.type : '-'}`).join(', ')}`);
    console.log(`ingest without profile (csvToParquet): ${(ingest / 1000).toFixed(2)} s`);
    console.log(`profile (profileParquet):              ${(profile / 1000).toFixed(2)} s`);
    console.log(`ratio profile / ingest:                ${(profile / ingest).toFixed(2)}`);
    console.log(`ratio ingest with profile / without:   ${((ingest + profile) / ingest).toFixed(2)}`);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
