// XLSX ingest benchmark (issue 9.8, XLSX half): a generated Norwegian-style workbook of 1M rows (kommunenummer with
// leading zeros as text, orgnr, names with æøå, dates, whole numbers, amounts with decimals) ingested by us —
// tableToParquet: zip checks, raw pass, exceljs streaming read, staging CSV, typed Parquet — against exceljs's plain
// streaming read of the same file (WorkbookReader, every cell's value touched), measured in the same run. Each side
// runs in its own child process, so each reports its own peak RSS.
//
//   npm run bench:xlsx [-- rows]        (default 1,000,000; the workbook is generated once per run)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';

const KOMMUNER = ['0301', '1103', '4601', '5001', '1804', '3201', '0301', '4204', '3907', '5501'];
const NAVN = ['Ås gård', 'Bø bruk', 'Økern AS', 'Nordre Lindeberg', 'Å i Lofoten', 'Sørli', '“Sitat” – € 10'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function writeWorkbook(path: string, rows: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const ws = wb.addWorksheet('Tilskudd');
  ws.addRow(['komnr', 'orgnr', 'navn', 'dato', 'antall', 'belop']).commit();
  const rand = rng(42);
  for (let i = 0; i < rows; i++) {
    const row = ws.addRow([
      KOMMUNER[i % KOMMUNER.length],
      String(800_000_000 + Math.floor(rand() * 199_999_999)),
      `${NAVN[i % NAVN.length]} ${i % 5000}`,
      new Date(Date.UTC(2024, i % 12, 1 + (i % 28))),
      Math.floor(rand() * 10_000),
      Math.round(rand() * 100_000_000) / 100,
    ]);
    row.getCell(4).numFmt = 'dd.mm.yyyy';
    row.getCell(6).numFmt = '# ##0.00';
    row.commit();
  }
  ws.commit();
  await wb.commit();
}

/** One side of the comparison, in this (child) process: prints JSON { ms, rows, rssMb }. */
async function child(side: string, file: string, out: string): Promise<void> {
  const start = process.hrtime.bigint();
  let rows = 0;
  if (side === 'exceljs') {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
    let cells = 0;
    for await (const ws of reader) {
      for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
        rows++;
        row.eachCell({ includeEmpty: false }, (c) => { if (c.value !== undefined) cells++; });
      }
    }
    if (cells === 0) throw new Error('no cells read');
  } else {
    const { createDuckDbEngine } = await import('../src/platform/engine/duckdb');
    const engine = await createDuckDbEngine({ memoryLimit: '1GB', threads: 2, tempDir: join(out, 'duck') });
    const result = await engine.tableToParquet(file, join(out, 'table.parquet'));
    rows = result.rowCount;
    const types = result.columns.map((c) => `${c.name}:${c.type}${c.keptAsText ? `/${c.keptAsText}` : ''}`).join(' ');
    process.stderr.write(`${types}\n`);
    await engine.close();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, rows, rssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

function run(side: string, file: string, out: string): { ms: number; rows: number; rssMb: number } {
  const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', side, file, out], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`${side} failed: ${res.stderr}`);
  if (res.stderr.trim()) console.log(`  ${side}: ${res.stderr.trim()}`);
  return JSON.parse(res.stdout) as { ms: number; rows: number; rssMb: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = await mkdtemp(join(tmpdir(), 'bench-xlsx-'));
  try {
    const file = join(dir, 'tilskudd.xlsx');
    let t = Date.now();
    await writeWorkbook(file, rows);
    console.log(`workbook: ${rows.toLocaleString('en')} rows, ${((await stat(file)).size / 2 ** 20).toFixed(1)} MB (written in ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    t = Date.now();
    const base = run('exceljs', file, dir);
    const ours = run('ours', file, dir);
    if (ours.rows !== rows || base.rows !== rows + 1) throw new Error(`row counts differ: ours ${ours.rows}, exceljs ${base.rows} (with the header row)`);
    console.log(`exceljs streaming read (baseline): ${(base.ms / 1000).toFixed(2)} s, peak RSS ${base.rssMb} MB`);
    console.log(`our ingest (XLSX → typed Parquet):  ${(ours.ms / 1000).toFixed(2)} s, peak RSS ${ours.rssMb} MB`);
    console.log(`ratio ours / exceljs read: ${(ours.ms / base.ms).toFixed(2)} ×`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
