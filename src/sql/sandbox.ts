// The DuckDB sandbox for user SQL. Separate from the table engine (src/platform/engine): user SQL never runs on an
// instance that can read or write files.
//
// 1. Parse (a long-lived parser instance, external access off and configuration locked, no tables): DuckDB's
//    extract_statements counts the statements and reports syntax errors; json_serialize_sql gives the parse tree of a
//    SELECT (anything else is refused there) and ./model.ts analyseStatement() walks it: tables read, table functions
//    (only range/generate_series/unnest), refused scalar functions, qualified names.
// 2. Run (a fresh in-memory instance per query, closed afterwards): memory_limit, threads, temp_directory with a size
//    cap, extension install/load off. The tables the statement reads become catalogue entries under their SQL names,
//    created BEFORE the lock: an open table is a VIEW over read_parquet of its file, and that one file is put in
//    `allowed_paths`; a consent-restricted table is a TABLE holding only its permitted rows (copied while external
//    access is still on, its file never allowed), so no way around the filter exists even inside DuckDB. Then
//    `SET enable_external_access=false; SET lock_configuration=true`. Measured (DuckDB 1.5.6): with external access
//    off, a view over read_parquet fails ("file system operations are disabled") unless the file is in
//    allowed_paths; with it there the view reads and read_csv('/etc/passwd'), COPY … TO, ATTACH, INSTALL/LOAD and SET
//    all fail. The statement is prepared (binding: unknown columns, types) and must be a SELECT, then streamed chunk
//    by chunk until `maxRows + 1` rows, so a row limit stops the work early.
// 3. Time: a timer interrupts the connection at `timeoutMs` (DuckDB checks for interrupts between chunks; a cross
//    join of two ranges stops within milliseconds). Should a query not stop within a grace period the caller still
//    gets its 408 and the instance is closed when DuckDB returns; its slot stays taken until then, so runaway queries
//    cannot pile up. At most `maxConcurrent` queries run at once (each holds up to memory_limit); others wait for a
//    slot up to `timeoutMs`, then get 503 `sql_busy`.
// No DuckDB message reaches a caller from here except parse and bind errors (made of the statement's own text and
// column names); runtime errors carry only their class (`kind`), and the service decides what to say.
import { mkdir, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, StatementType, type DuckDBValue } from '@duckdb/node-api';
import { sqlIdent, sqlString, toJsonValue } from '../platform/engine/duckdb';
import { analyseStatement, leadingKeyword, SqlError, type SqlColumn, type StatementAnalysis } from './model';

export interface SandboxOptions {
  memoryLimit: string;
  threads: number;
  timeoutMs: number;
  maxConcurrent: number;
  /** Spill directory root (a directory per query below it). */
  tempDir: string;
  /** Disk a query may spill, e.g. '1GB'. */
  maxTempSize?: string;
}

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
}

/** The class of a runtime failure, from DuckDB's error type; never its text. */
export type RuntimeKind = 'conversion' | 'out_of_range' | 'invalid_input' | 'divide_by_zero' | 'memory' | 'other';

/** A failure while the statement ran: `kind` for everyone, `detail` (DuckDB's text) only for the service to judge. */
export class SandboxRuntimeError extends Error {
  constructor(readonly kind: RuntimeKind, readonly detail: string) {
    super(`SQL runtime error (${kind})`);
  }
}

const GRACE_MS = 2000;
/** The largest result, as JSON text: further rows are cut off (`truncated`). */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;
const STATEMENT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(StatementType).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** DuckDB prefixes messages with the error type ("Conversion Error: …"); that type is all we keep. */
function kindOf(err: unknown): RuntimeKind {
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
function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 500);
}

/** At most `max` holders at once; the rest wait in order, each up to its own time limit (then 503 `sql_busy`). */
export class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async acquire(waitMs: number): Promise<() => void> {
    if (this.busy < this.max) {
      this.busy += 1;
      return () => this.release();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.busy += 1;
        resolve(() => this.release());
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new SqlError('sql_busy', 'Too many SQL queries are running right now; try again in a moment.', { seconds: 5 }));
      }, waitMs);
      this.waiting.push(grant);
    });
  }
  private release(): void {
    this.busy -= 1;
    const next = this.waiting.shift();
    if (next) next();
  }
}

export interface SqlSandbox {
  /** Parses and checks one statement (no tables needed): the tables it reads, or a SqlError. */
  analyse(sql: string): Promise<StatementAnalysis>;
  /** Runs a statement analyse() accepted over exactly these tables. */
  run(sql: string, tables: SandboxTable[], opts: { maxRows: number; maxBytes?: number }): Promise<SandboxResult>;
  close(): Promise<void>;
}

/** Opens nothing until the first query: the parser instance starts on first use, each query opens its own instance. */
export function createSqlSandbox(opts: SandboxOptions): SqlSandbox {
  const baseConfig = {
    memory_limit: opts.memoryLimit,
    threads: String(Math.max(1, opts.threads)),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  };
  let parser: Promise<DuckDBInstance> | undefined;
  const openParser = (): Promise<DuckDBInstance> => {
    parser ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', { ...baseConfig, memory_limit: '64MB', threads: '1' });
      const c = await instance.connect();
      await c.run('SET enable_external_access = false');
      await c.run('SET lock_configuration = true');
      c.closeSync();
      return instance;
    })();
    return parser;
  };
  const slots = new Slots(Math.max(1, opts.maxConcurrent));
  const running = new Set<DuckDBConnection>();
  let closed = false;

  async function analyse(sql: string): Promise<StatementAnalysis> {
    if (closed) throw new SqlError('sql_busy', 'The SQL service is shutting down.');
    const conn = await (await openParser()).connect();
    try {
      const prepared = await conn.prepare('SELECT json_serialize_sql($1::VARCHAR) AS tree');
      prepared.bindVarchar(1, sql);
      const reader = await prepared.runAndReadAll();
      prepared.destroySync();
      const tree = JSON.parse(String(reader.getRows()[0]?.[0] ?? '{}')) as { error?: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
      // Nothing but whitespace, semicolons and comments (extract_statements calls that an error).
      if (!tree.error && (tree.statements ?? []).length === 0) throw new SqlError('sql_empty', 'The statement is empty: write one SELECT.');
      let count: number;
      try {
        count = (await conn.extractStatements(sql)).count;
      } catch (err) {
        throw new SqlError('sql_syntax_error', `The statement is not valid SQL: ${firstLine(message(err)).replace(/^Parser Error: /, '')}`, { detail: firstLine(message(err)) });
      }
      if (count === 0) throw new SqlError('sql_empty', 'The statement is empty: write one SELECT.');
      if (count > 1 && !tree.error && (tree.statements ?? []).length === 1) {
        // One statement that DuckDB rewrites into several: PIVOT without an IN list first creates an enum type.
        throw new SqlError('sql_several_statements', 'This statement needs DuckDB to run more than one statement (a PIVOT without IN): list the values, e.g. PIVOT … ON column IN (\'a\', \'b\').', { count });
      }
      if (count > 1) throw new SqlError('sql_several_statements', `Send exactly one statement; this has ${count}.`, { count });
      if (tree.error) {
        if (tree.error_type === 'parser') throw new SqlError('sql_syntax_error', `The statement is not valid SQL: ${firstLine(String(tree.error_message ?? ''))}`);
        const keyword = leadingKeyword(sql) || 'This';
        throw new SqlError('sql_not_read_only', `${keyword} statements are not allowed: send one read-only SELECT (WITH … SELECT, FROM …, VALUES and DESCRIBE/SUMMARIZE of a query work too).`, { statement: keyword });
      }
      if ((tree.statements ?? []).length !== 1) throw new SqlError('sql_several_statements', 'Send exactly one statement.', { count: (tree.statements ?? []).length });
      return analyseStatement(tree.statements);
    } finally {
      conn.closeSync();
    }
  }

  async function run(sql: string, tables: SandboxTable[], { maxRows, maxBytes = MAX_RESULT_BYTES }: { maxRows: number; maxBytes?: number }): Promise<SandboxResult> {
    if (closed) throw new SqlError('sql_busy', 'The SQL service is shutting down.');
    const release = await slots.acquire(opts.timeoutMs);
    const dir = path.join(opts.tempDir, randomUUID());
    let instance: DuckDBInstance | undefined;
    let conn: DuckDBConnection | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = async () => {
      clearTimeout(timer);
      if (conn) {
        running.delete(conn);
        conn.closeSync();
      }
      instance?.closeSync();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      release();
    };
    const work = (async (): Promise<SandboxResult> => {
      await mkdir(dir, { recursive: true });
      instance = await DuckDBInstance.create(':memory:', { ...baseConfig, temp_directory: dir, max_temp_directory_size: opts.maxTempSize ?? '1GB' });
      conn = await instance.connect();
      running.add(conn);
      const c = conn;
      timer = setTimeout(() => {
        timedOut = true;
        c.interrupt();
      }, opts.timeoutMs);
      const open: string[] = [];
      for (const t of tables) {
        if (t.restriction) {
          const p = await c.prepare(
            `CREATE TABLE ${sqlIdent(t.name)} AS SELECT * FROM read_parquet(${sqlString(t.file)}) WHERE list_contains($1::VARCHAR[], CAST(${sqlIdent(t.restriction.column)} AS VARCHAR))`,
          );
          p.bindList(1, t.restriction.values);
          await p.run();
          p.destroySync();
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
        if (timedOut) throw err;
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
          if (rows.length >= maxRows) {
            truncated = true;
            break;
          }
          const values = row.map((v) => toJsonValue(v as DuckDBValue));
          // The answer is built in memory (and again as JSON): bound it by size as well as by rows.
          bytes += JSON.stringify(values).length;
          if (bytes > maxBytes) {
            if (rows.length === 0) {
              throw new SqlError('sql_result_too_large', `One row of the result is larger than the limit of ${Math.round(maxBytes / 1e6)} MB.`, { limitMb: Math.round(maxBytes / 1e6) });
            }
            truncated = true;
            break;
          }
          rows.push(values);
        }
        if (truncated) break;
      }
      prepared.destroySync();
      return { columns, rows, truncated };
    })();

    const translate = (err: unknown): Error => {
      if (timedOut) return new SqlError('sql_timeout', `The query ran longer than the limit of ${opts.timeoutMs / 1000} seconds and was stopped.`, { seconds: opts.timeoutMs / 1000 });
      if (err instanceof SqlError || err instanceof SandboxRuntimeError) return err;
      const kind = kindOf(err);
      return new SandboxRuntimeError(kind, message(err));
    };

    let hardStop: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      hardStop = setTimeout(() => {
        timedOut = true;
        conn?.interrupt();
        reject(new Error('deadline'));
      }, opts.timeoutMs + GRACE_MS);
    });
    // The work settles (and frees its slot) on its own; the caller stops waiting at the deadline at the latest.
    const settled = work.then(
      async (r) => {
        await cleanup();
        return r;
      },
      async (err: unknown) => {
        await cleanup();
        throw translate(err);
      },
    );
    settled.catch(() => undefined);
    try {
      return await Promise.race([settled, deadline]);
    } catch (err) {
      throw translate(err);
    } finally {
      clearTimeout(hardStop);
    }
  }

  return {
    analyse,
    run,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const c of running) c.interrupt();
      if (parser) (await parser).closeSync();
    },
  };
}
