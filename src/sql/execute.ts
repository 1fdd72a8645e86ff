// One query in a fresh in-memory DuckDB instance (run inside a sandbox worker process, ./worker.ts; see ./sandbox.ts
// for the whole design). The tables become catalogue entries BEFORE the lock: an open table is a VIEW over
// read_parquet of its file and that one file is put in `allowed_paths`; a consent-restricted table is a TABLE holding
// only its permitted rows (copied while external access is still on; its file is never allowed). Then
// `SET enable_external_access=false; SET lock_configuration=true`. Measured on DuckDB 1.5.6: with external access off
// a view over read_parquet fails ("file system operations are disabled") unless its file is in allowed_paths; with it
// there the view reads, and read_csv('/etc/passwd'), COPY … TO, ATTACH, INSTALL/LOAD and SET all fail. The statement
// is prepared (binding: unknown columns, types), must be a SELECT, and is streamed chunk by chunk until `maxRows` rows
// or `maxBytes` of JSON, so a limit stops the work early.
import { mkdir, rm } from 'node:fs/promises';
import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { sqlIdent, sqlString, toJsonValue } from '../platform/engine/duckdb';
import { SqlError, type SqlColumn } from './model';

export interface SandboxTable {
  /** The SQL name, e.g. 974760673/befolkning-1a2b3c4d/kommuner. */
  name: string;
  /** A local Parquet file. */
  file: string;
  /** Only rows whose column (as text) is one of values. */
  restriction?: { column: string; values: string[] };
}

export interface SandboxResult {
  columns: SqlColumn[];
  rows: unknown[][];
  truncated: boolean;
  /**
   * For each consent-restricted table, by SQL name: how many of its permitted rows the statement could read, per value
   * of the restriction column (per consenting subject) — what a record of consent use counts.
   */
  restrictedRows: Record<string, Record<string, number>>;
}

export interface InstanceLimits {
  memoryLimit: string;
  threads: number;
  /** This query's spill directory (created and removed here). */
  tempDir: string;
  maxTempSize: string;
}

/** The class of a runtime failure, from DuckDB's error type; never its text. */
export type RuntimeKind = 'conversion' | 'out_of_range' | 'invalid_input' | 'divide_by_zero' | 'memory' | 'other';

/** A failure while the statement ran: `kind` for everyone, `detail` (DuckDB's text) only for the service to judge. */
export class SandboxRuntimeError extends Error {
  constructor(readonly kind: RuntimeKind, readonly detail: string) {
    super(`SQL runtime error (${kind})`);
  }
}

const STATEMENT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(StatementType).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));

export const BASE_CONFIG = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
} as const;

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * DuckDB's error type, from the fixed prefix of its message ("Conversion Error: …"): @duckdb/node-api 1.5.6 throws a
 * plain Error with only a message (duckdb_result_error_type is not bound), so the prefix — DuckDB's own type name,
 * never data — is the only structured part there is. Nothing after it is read.
 */
export function kindOf(err: unknown): RuntimeKind {
  const type = /^([A-Za-z ]+?) Error:/.exec(message(err))?.[1]?.toLowerCase() ?? '';
  if (type === 'conversion') return 'conversion';
  if (type === 'out of range') return 'out_of_range';
  if (type === 'invalid input') return 'invalid_input';
  if (type === 'out of memory') return 'memory';
  if (type.includes('divide')) return 'divide_by_zero';
  return 'other';
}

/** The error type DuckDB gave a failed prepare, if it is one made from the statement and schema alone. */
function bindErrorType(err: unknown): string | undefined {
  const type = /^([A-Za-z ]+?) Error:/.exec(message(err))?.[1];
  return type && ['Binder', 'Catalog', 'Parser', 'Not implemented', 'Syntax'].includes(type) ? type : undefined;
}

/** DuckDB's message without its LINE/caret excerpt (which repeats the statement). */
export function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 500);
}

/**
 * Runs one statement over exactly `tables`. `onConnection` receives the connection (to interrupt it). Throws SqlError
 * (the statement's fault, with our words) or SandboxRuntimeError (DuckDB failed while running it).
 */
export async function executeQuery(
  limits: InstanceLimits,
  sql: string,
  tables: SandboxTable[],
  opts: { maxRows: number; maxBytes: number },
  onConnection: (conn: DuckDBConnection) => void,
): Promise<SandboxResult> {
  await mkdir(limits.tempDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    ...BASE_CONFIG,
    memory_limit: limits.memoryLimit,
    threads: String(Math.max(1, limits.threads)),
    temp_directory: limits.tempDir,
    max_temp_directory_size: limits.maxTempSize,
  });
  const c = await instance.connect();
  onConnection(c);
  try {
    const open: string[] = [];
    const restrictedRows: Record<string, Record<string, number>> = {};
    for (const t of tables) {
      if (t.restriction) {
        const p = await c.prepare(
          `CREATE TABLE ${sqlIdent(t.name)} AS SELECT * FROM read_parquet(${sqlString(t.file)}) WHERE list_contains($1::VARCHAR[], CAST(${sqlIdent(t.restriction.column)} AS VARCHAR))`,
        );
        p.bindList(1, t.restriction.values);
        await p.run();
        p.destroySync();
        const counts = await c.runAndReadAll(`SELECT CAST(${sqlIdent(t.restriction.column)} AS VARCHAR) AS v, count(*)::BIGINT AS n FROM ${sqlIdent(t.name)} GROUP BY 1`);
        restrictedRows[t.name] = Object.fromEntries(counts.getRows().map(([v, n]) => [String(v), Number(n)]));
      } else {
        await c.run(`CREATE VIEW ${sqlIdent(t.name)} AS SELECT * FROM read_parquet(${sqlString(t.file)})`);
        open.push(t.file);
      }
    }
    if (open.length > 0) await c.run(`SET allowed_paths = [${open.map(sqlString).join(', ')}]`);
    await c.run('SET enable_external_access = false');
    await c.run('SET lock_configuration = true');

    const extracted = await c.extractStatements(sql);
    if (extracted.count !== 1) throw new SqlError('sql_several_statements', 'Send exactly one statement.', { count: extracted.count });
    let prepared;
    try {
      prepared = await extracted.prepare(0);
    } catch (err) {
      const type = bindErrorType(err);
      if (type) throw new SqlError('sql_invalid', `The statement cannot run: ${firstLine(message(err))}`, { kind: type });
      throw new SandboxRuntimeError(kindOf(err), message(err));
    }
    if (prepared.statementType !== StatementType.SELECT) {
      const name = STATEMENT_NAMES[prepared.statementType] ?? 'This';
      throw new SqlError('sql_not_read_only', `${name} statements are not allowed: send one read-only SELECT.`, { statement: name });
    }
    const result = await prepared.stream();
    const columns: SqlColumn[] = result.columnNames().map((name, i) => ({ name, type: result.columnType(i).toString() }));
    const rows: unknown[][] = [];
    let truncated = false;
    let bytes = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const row of chunk.getRows()) {
        if (rows.length >= opts.maxRows) {
          truncated = true;
          break;
        }
        const values = row.map((v) => toJsonValue(v as DuckDBValue));
        // The answer is built in memory (and again as JSON): bound it by size as well as by rows.
        bytes += JSON.stringify(values).length;
        if (bytes > opts.maxBytes) {
          if (rows.length === 0) {
            throw new SqlError('sql_result_too_large', `One row of the result is larger than the limit of ${Math.round(opts.maxBytes / 1e6)} MB.`, { limitMb: Math.round(opts.maxBytes / 1e6) });
          }
          truncated = true;
          break;
        }
        rows.push(values);
      }
      if (truncated) break;
    }
    prepared.destroySync();
    return { columns, rows, truncated, restrictedRows };
  } catch (err) {
    if (err instanceof SqlError || err instanceof SandboxRuntimeError) throw err;
    throw new SandboxRuntimeError(kindOf(err), message(err));
  } finally {
    c.closeSync();
    instance.closeSync();
    await rm(limits.tempDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
