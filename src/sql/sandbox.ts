// The DuckDB sandbox for user SQL. Separate from the table engine (src/platform/engine): user SQL never runs on an
// instance that can read or write files, and never in the web process.
//
// 1. Parse (here, in a long-lived parser instance: external access off, configuration locked, no tables): DuckDB's
//    json_serialize_sql gives the parse tree of a SELECT (anything else is refused there) and extract_statements
//    counts the statements and reports syntax errors; ./model.ts analyseStatement() walks the tree: tables read, table
//    functions (only range/generate_series/unnest), refused scalar functions, qualified names.
// 2. Run (./execute.ts, in a worker process, ./worker.ts): a fresh in-memory instance per query with memory_limit,
//    threads, a capped temp_directory and extension install/load off; views/tables for exactly the tables named,
//    created before external access is switched off and the configuration locked (details in ./execute.ts).
// 3. Limits the worker cannot escape. At `timeoutMs` the query is interrupted (DuckDB checks between chunks: a cross
//    join of two ranges stops within milliseconds); if the worker has not answered GRACE_MS later it is killed
//    (SIGKILL): measured, repeat('x', 400000000) or range(0, 100000000) as a scalar neither check for interrupts nor
//    count against memory_limit, and ran to the end holding ~0.4–1 GB each when they ran in-process. The worker is
//    also killed when its resident memory passes memory_limit + RSS_HEADROOM (polled from /proc on Linux). Either way
//    the caller gets its 408 or 400 at once, the memory goes back to the system, and the next query gets a fresh
//    worker. Workers are kept warm between queries (one per slot); at most `maxConcurrent` queries run at once, others
//    wait for a slot up to `timeoutMs`, then get 503 `sql_busy`.
// No DuckDB message reaches a caller from here except parse and bind errors (made of the statement's own text and
// column names); runtime errors carry their class (`kind`) and DuckDB's text separately, and the service decides.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { memoryBytes } from '../platform/engine/duckdb';
import { BASE_CONFIG, firstLine, message, SandboxRuntimeError, type RuntimeKind, type SandboxResult, type SandboxTable } from './execute';
import { analyseStatement, leadingKeyword, SqlError, type SqlErrorCode, type StatementAnalysis } from './model';
import type { WorkerReply, WorkerRequest } from './worker';

export { SandboxRuntimeError, type RuntimeKind, type SandboxResult, type SandboxTable } from './execute';

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

/** After the interrupt, how long a worker may take to answer before it is killed. */
const GRACE_MS = 1000;
/** Resident memory a worker may use beyond memory_limit (Node, DuckDB's own code, the result being built). */
const RSS_HEADROOM = 384 * 1024 * 1024;
const WATCHDOG_MS = 100;
const WORKER_START_MS = 20_000;
/** The largest result, as JSON text: further rows are cut off (`truncated`). */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;
const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** tsx's loader, so the worker runs the TypeScript sources like the rest of the app (no build step). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Resident memory of a process in bytes (Linux /proc), or undefined where that cannot be read. */
function residentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
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
  const rssCap = memoryBytes(opts.memoryLimit) + RSS_HEADROOM;
  let parser: Promise<DuckDBInstance> | undefined;
  const openParser = (): Promise<DuckDBInstance> => {
    parser ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', { ...BASE_CONFIG, memory_limit: '64MB', threads: '1' });
      const c = await instance.connect();
      await c.run('SET enable_external_access = false');
      await c.run('SET lock_configuration = true');
      c.closeSync();
      return instance;
    })();
    return parser;
  };
  const slots = new Slots(Math.max(1, opts.maxConcurrent));
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
        throw new SqlError('sql_syntax_error', `The statement is not valid SQL: ${firstLine(message(err)).replace(/^(Failed to extract statements: )?(Parser Error: )?/, '')}`);
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

  const idle: ChildProcess[] = [];
  const busy = new Set<ChildProcess>();
  let nextId = 1;

  function spawnWorker(): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = fork(WORKER_FILE, [], { execArgv: ['--import', TSX_LOADER], env: {}, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('The SQL worker did not start.'));
      }, WORKER_START_MS);
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error('The SQL worker exited while starting.'));
      };
      child.once('exit', onExit);
      child.once('error', onExit);
      child.once('message', (msg: WorkerReply) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onExit);
        if (msg.type === 'ready') resolve(child);
        else reject(new Error('The SQL worker sent an unexpected first message.'));
      });
    });
  }

  async function run(sql: string, tables: SandboxTable[], { maxRows, maxBytes = MAX_RESULT_BYTES }: { maxRows: number; maxBytes?: number }): Promise<SandboxResult> {
    if (closed) throw new SqlError('sql_busy', 'The SQL service is shutting down.');
    const release = await slots.acquire(opts.timeoutMs);
    let child: ChildProcess;
    try {
      child = idle.pop() ?? (await spawnWorker());
    } catch (err) {
      release();
      throw err;
    }
    busy.add(child);
    const id = nextId++;
    const worker = child;
    return new Promise<SandboxResult>((resolve, reject) => {
      let stopped: 'time' | 'memory' | undefined;
      let settled = false;
      const timeout = () => new SqlError('sql_timeout', `The query ran longer than the limit of ${opts.timeoutMs / 1000} seconds and was stopped.`, { seconds: opts.timeoutMs / 1000 });
      const finish = (keep: boolean, outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(interruptTimer);
        clearTimeout(killTimer);
        clearInterval(watchdog);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        busy.delete(worker);
        if (keep && !closed && worker.connected && idle.length < opts.maxConcurrent) {
          idle.push(worker);
        } else {
          worker.kill('SIGKILL');
          // A killed worker left its spill directory behind; and the next query should not wait for a new worker.
          void rm(request.limits.tempDir, { recursive: true, force: true }).catch(() => undefined);
          if (!closed) void spawnWorker().then((c) => (closed || idle.length >= opts.maxConcurrent ? c.kill('SIGKILL') : idle.push(c)), () => undefined);
        }
        release();
        outcome();
      };
      const onMessage = (msg: WorkerReply) => {
        if (msg.type === 'ready' || msg.id !== id) return;
        if (stopped === 'time') return finish(true, () => reject(timeout()));
        if (msg.type === 'result') return finish(true, () => resolve(msg.result));
        const e = msg.error;
        return finish(true, () => reject(e.kind === 'sql' ? new SqlError(e.code as SqlErrorCode, e.message, e.params, e.status) : new SandboxRuntimeError(e.runtimeKind as RuntimeKind, e.detail)));
      };
      const onExit = () => finish(false, () => reject(stopped === 'memory' ? new SandboxRuntimeError('memory', '') : stopped === 'time' ? timeout() : new SandboxRuntimeError('other', 'The SQL worker stopped.')));
      const interruptTimer = setTimeout(() => {
        stopped = 'time';
        if (worker.connected) worker.send({ type: 'interrupt', id } satisfies WorkerRequest);
      }, opts.timeoutMs);
      const killTimer = setTimeout(() => {
        stopped = 'time';
        finish(false, () => reject(timeout()));
      }, opts.timeoutMs + GRACE_MS);
      const watchdog = setInterval(() => {
        const rss = residentBytes(worker.pid);
        if (rss !== undefined && rss > rssCap) {
          stopped = 'memory';
          finish(false, () => reject(new SandboxRuntimeError('memory', '')));
        }
      }, WATCHDOG_MS);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      const request: Extract<WorkerRequest, { type: 'run' }> = {
        type: 'run',
        id,
        sql,
        tables,
        maxRows,
        maxBytes,
        limits: { memoryLimit: opts.memoryLimit, threads: opts.threads, tempDir: path.join(opts.tempDir, randomUUID()), maxTempSize: opts.maxTempSize ?? '1GB' },
      };
      worker.send(request);
    });
  }

  return {
    analyse,
    run,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const child of [...idle, ...busy]) child.kill('SIGKILL');
      idle.length = 0;
      if (parser) (await parser).closeSync();
    },
  };
}
