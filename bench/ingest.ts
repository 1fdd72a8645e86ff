// Ingest benchmark: csvToParquet on a generated ~500k-row Norwegian-style CSV (`;`, decimal comma, codes with leading
// zeros), and a readRows page at a deep offset — each against a baseline run in the same process: a plain DuckDB
// `read_csv` COPY to Parquet of the same file without type inference (all_varchar), and a LIMIT/OFFSET read of it.
// Then the same rows written as Windows-1252 ("ANSI", as Norwegian Excel exports are; € and “quotes” in the names),
// which the engine transcodes to a UTF-8 temp file before DuckDB reads it: its time as a ratio to the UTF-8 run.
//
//   npx tsx bench/ingest.ts [rows]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEngine, sqlString, transcodeToUtf8 } from '../src/platform/engine/duckdb';

const ROWS = Number(process.argv[2] ?? 500_000);
const SETTINGS = { memoryLimit: '1GB', threads: 2 };
const KOMMUNER = ['0301', '1103', '4601', '5001', '1804', '3201', '0301', '4204', '3907', '5501'];
const NAVN = ['Ås gård', 'Bø bruk', 'Økern AS', 'Nordre Lindeberg', 'Å i Lofoten', 'Sørli', '“Sitat” – € 10'];

/** Windows-1252 bytes of `text` (Latin-1 plus the few cp1252 characters the names use). */
const CP1252_EXTRA: Record<string, number> = { '€': 0x80, '“': 0x93, '”': 0x94, '–': 0x96 };
function cp1252(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const code = CP1252_EXTRA[ch] ?? ch.charCodeAt(0);
    if (code > 0xff) throw new Error(`${ch} has no Windows-1252 byte`);
    out[i] = code;
  }
  return out;
}

/** Deterministic pseudo-random numbers, so every run writes the same file. */
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

async function writeCsv(path: string, rows: number, encoding: 'utf-8' | 'windows-1252' = 'utf-8'): Promise<void> {
  const out = createWriteStream(path);
  const rand = rng(42);
  const bytes = (text: string) => (encoding === 'utf-8' ? Buffer.from(text, 'utf8') : cp1252(text));
  out.write(encoding === 'utf-8' ? '\uFEFFkomnr;orgnr;navn;dato;antall;belop;andel\n' : bytes('komnr;orgnr;navn;dato;antall;belop;andel\n'));
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const komnr = KOMMUNER[i % KOMMUNER.length];
    const orgnr = String(800_000_000 + Math.floor(rand() * 199_999_999));
    const navn = `${NAVN[i % NAVN.length]} ${i}`;
    const day = 1 + (i % 28);
    const dato = `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const antall = Math.floor(rand() * 10_000);
    chunk += `${komnr};${orgnr};${navn};${dato};${antall};${decimalComma(rand() * 2_000_000)};${decimalComma(rand())}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(bytes(chunk))) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(bytes(chunk));
  await once(out, 'finish');
}

const RUNS = 3;

/** Runs `work` RUNS times and reports the median time (cores here are shared, single runs are noisy). */
async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const times: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    value = await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)] as number, value: value as T };
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
  try {
    const csv = join(dir, 'data.csv');
    await writeCsv(csv, ROWS);
    const csvBytes = (await stat(csv)).size;
    console.log(`CSV: ${ROWS.toLocaleString('en')} rows, ${(csvBytes / 1e6).toFixed(1)} MB; DuckDB memory_limit=${SETTINGS.memoryLimit}, threads=${SETTINGS.threads}; ${cpus().length} cores; median of ${RUNS} runs`);

    // Baseline: one plain COPY, no type inference, on an instance with the same limits.
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: SETTINGS.memoryLimit,
      threads: String(SETTINGS.threads),
      temp_directory: join(dir, 'baseline-tmp'),
    });
    const conn = await instance.connect();
    const basePq = join(dir, 'baseline.parquet');
    const offset = Math.max(0, ROWS - 50_000);
    const limit = 100;
    const baseCopy = await time(() => conn.run(
      `COPY (SELECT * FROM read_csv(${sqlString(csv)}, delim = ';', header = true, all_varchar = true)) TO ${sqlString(basePq)} (FORMAT parquet)`,
    ));
    const basePage = await time(async () => (await conn.runAndReadAll(
      `SELECT * FROM read_parquet(${sqlString(basePq)}) LIMIT ${limit} OFFSET ${offset}`,
    )).getRowObjectsJS());
    conn.closeSync();
    instance.closeSync();

    const engine = await createDuckDbEngine({ ...SETTINGS, tempDir: join(dir, 'engine-tmp') });
    try {
      const pq = join(dir, 'typed.parquet');
      const convert = await time(() => engine.csvToParquet(csv, pq));
      const page = await time(() => engine.readRows(pq, { offset, limit }));
      if (convert.value.rowCount !== ROWS) throw new Error(`expected ${ROWS} rows, got ${convert.value.rowCount}`);
      if (page.value.length !== limit || basePage.value.length !== limit) throw new Error('short page');
      const pqBytes = (await stat(pq)).size;
      const baseBytes = (await stat(basePq)).size;

      console.log(`types: ${convert.value.columns.map((c) => `${c.name}:${c.type}`).join(', ')}; detected ${JSON.stringify(convert.value.detected)}`);
      console.log('');
      console.log(`                                   this engine      baseline   ratio`);
      console.log(`csv → parquet                      ${fmt(convert.ms)}   ${fmt(baseCopy.ms)}   ${(convert.ms / baseCopy.ms).toFixed(2)}×`);
      console.log(`  throughput                       ${(csvBytes / 1e6 / (convert.ms / 1000)).toFixed(0).padStart(5)} MB/s   ${(csvBytes / 1e6 / (baseCopy.ms / 1000)).toFixed(0).padStart(5)} MB/s`);
      console.log(`  parquet size                     ${(pqBytes / 1e6).toFixed(1).padStart(6)} MB   ${(baseBytes / 1e6).toFixed(1).padStart(6)} MB   ${(pqBytes / baseBytes).toFixed(2)}×`);
      console.log(`readRows ${limit} at offset ${offset.toLocaleString('en').padEnd(9)}       ${fmt(page.ms)}   ${fmt(basePage.ms)}   ${(page.ms / basePage.ms).toFixed(2)}×`);

      // The same rows as Windows-1252: transcoded to UTF-8 in Node first, then the same DuckDB work.
      const ansi = join(dir, 'data-cp1252.csv');
      await writeCsv(ansi, ROWS, 'windows-1252');
      const ansiBytes = (await stat(ansi)).size;
      const ansiPq = join(dir, 'typed-cp1252.parquet');
      const ansiConvert = await time(() => engine.csvToParquet(ansi, ansiPq));
      if (ansiConvert.value.detected.encoding !== 'windows-1252') throw new Error(`detected ${ansiConvert.value.detected.encoding}`);
      if (ansiConvert.value.rowCount !== ROWS) throw new Error(`expected ${ROWS} cp1252 rows, got ${ansiConvert.value.rowCount}`);
      const utf8Rows = await engine.readRows(pq, { offset: 6, limit: 1 });
      const ansiRows = await engine.readRows(ansiPq, { offset: 6, limit: 1 });
      if (JSON.stringify(utf8Rows) !== JSON.stringify(ansiRows)) throw new Error(`cp1252 rows differ: ${JSON.stringify(ansiRows)} vs ${JSON.stringify(utf8Rows)}`);
      const transcode = await time(() => transcodeToUtf8(ansi, join(dir, 'transcoded.csv')));
      console.log('');
      console.log(`cp1252 file: ${(ansiBytes / 1e6).toFixed(1)} MB                cp1252         UTF-8   ratio`);
      console.log(`csv → parquet                      ${fmt(ansiConvert.ms)}   ${fmt(convert.ms)}   ${(ansiConvert.ms / convert.ms).toFixed(2)}×`);
      console.log(`  of which transcoding to UTF-8    ${fmt(transcode.ms)}   (${(ansiBytes / 1e6 / (transcode.ms / 1000)).toFixed(0)} MB/s)`);
    } finally {
      await engine.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
