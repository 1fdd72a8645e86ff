// SQL results as files: Parquet (written by DuckDB in this process from the result's rows with the result's own column
// types, so a DECIMAL stays a DECIMAL and a DATE a DATE) and XLSX (the data API's streaming writer). Results are at most
// MAX_ROWS rows, already in memory; the sandbox itself cannot write files (external access is off there).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { TableEngine } from '../platform/engine/index';
import { sqlIdent, sqlString } from '../platform/engine/duckdb';
import { xlsxStream } from '../data-api/writers';
import { uniqueNames } from './api';
import type { SqlColumn, SqlResult } from './model';

/** DuckDB type names the result can carry that read_json can take as they are; anything else is read as JSON text. */
const SIMPLE_TYPE = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\)|VARCHAR|DATE|TIME|TIMESTAMP|TIMESTAMP WITH TIME ZONE|UUID|INTERVAL)$/i;

function jsonColumnType(type: string): string {
  const t = type.trim().toUpperCase();
  // Parquet has no 128-bit integer: DuckDB would write a HUGEINT as DOUBLE and lose digits without a word. DECIMAL(38,0)
  // keeps every value up to 38 digits exactly (and a larger one fails the cast, loudly).
  if (t === 'HUGEINT' || t === 'UHUGEINT') return 'DECIMAL(38,0)';
  return SIMPLE_TYPE.test(t) ? t : 'JSON';
}

/** Writes a result as a zstd Parquet file at `target`. */
export async function resultToParquet(engine: Pick<TableEngine, 'withConnection'>, result: Pick<SqlResult, 'columns' | 'rows'>, target: string): Promise<void> {
  const names = uniqueNames(result.columns);
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const ndjson = path.join(dir, `${randomUUID()}.ndjson`);
  const lines = result.rows.map((row) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, row[i] ?? null])))).join('\n');
  await fs.writeFile(ndjson, lines.length ? `${lines}\n` : '');
  try {
    const columnsStruct = `{${names.map((n, i) => `${sqlString(n)}: ${sqlString(jsonColumnType((result.columns[i] as SqlColumn).type))}`).join(', ')}}`;
    const select = result.rows.length
      ? `SELECT * FROM read_json(${sqlString(ndjson)}, format = 'newline_delimited', columns = ${columnsStruct})`
      : // read_json refuses an empty file: an empty table with the same columns instead.
        `SELECT ${names.map((n, i) => `CAST(NULL AS ${jsonColumnType((result.columns[i] as SqlColumn).type)}) AS ${sqlIdent(n)}`).join(', ')} LIMIT 0`;
    await engine.withConnection((conn) => conn.run(`COPY (${select}) TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd)`).then(() => undefined));
  } finally {
    await fs.rm(ndjson, { force: true });
  }
}

function kindOf(type: string): string {
  if (/^DATE$/i.test(type)) return 'date';
  if (/^TIMESTAMP/i.test(type)) return 'timestamp';
  return 'other';
}

/** A result as an XLSX workbook (one sheet, the header first). */
export function resultToXlsx(result: Pick<SqlResult, 'columns' | 'rows'>, sheetName = 'result'): Readable {
  const names = uniqueNames(result.columns);
  const rows = result.rows;
  return xlsxStream(
    names.map((name, i) => ({ name, kind: kindOf((result.columns[i] as SqlColumn).type) })),
    (async function* () {
      for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
    })(),
    sheetName,
  );
}
