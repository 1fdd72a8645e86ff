// A sandbox worker process (forked by ./sandbox.ts): runs one query at a time with ./execute.ts and answers over IPC.
// It is a process of its own so that the parent can always end it: a DuckDB function that neither checks for
// interrupts nor counts against memory_limit (repeat('x', 400000000) allocates outside the buffer manager and runs
// to the end) is stopped by SIGKILL at the deadline or when the process grows past its memory cap, and the web
// process never holds that memory. Messages: `run` → `result` | `error`; `interrupt` interrupts the running query.
import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery, message, SandboxRuntimeError, type InstanceLimits, type SandboxResult, type SandboxTable } from './execute';
import { SqlError } from './model';

export type WorkerRequest =
  | { type: 'run'; id: number; limits: InstanceLimits; sql: string; tables: SandboxTable[]; maxRows: number; maxBytes: number }
  | { type: 'interrupt'; id: number };

export type WorkerError =
  | { kind: 'sql'; code: string; message: string; params: Record<string, string | number>; status: number }
  | { kind: 'runtime'; runtimeKind: string; detail: string };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: SandboxResult }
  | { type: 'error'; id: number; error: WorkerError };

let current: { id: number; conn?: DuckDBConnection } | undefined;

function reply(msg: WorkerReply): void {
  process.send?.(msg);
}

function describe(err: unknown): WorkerError {
  if (err instanceof SqlError) return { kind: 'sql', code: err.code, message: err.message, params: err.params, status: err.status };
  if (err instanceof SandboxRuntimeError) return { kind: 'runtime', runtimeKind: err.kind, detail: err.detail };
  return { kind: 'runtime', runtimeKind: 'other', detail: message(err) };
}

process.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'interrupt') {
    if (current?.id === msg.id) current.conn?.interrupt();
    return;
  }
  if (msg.type !== 'run') return;
  const job = { id: msg.id } as { id: number; conn?: DuckDBConnection };
  current = job;
  executeQuery(msg.limits, msg.sql, msg.tables, { maxRows: msg.maxRows, maxBytes: msg.maxBytes }, (conn) => (job.conn = conn))
    .then((result) => reply({ type: 'result', id: msg.id, result }))
    .catch((err: unknown) => reply({ type: 'error', id: msg.id, error: describe(err) }))
    .finally(() => {
      if (current === job) current = undefined;
    });
});

// The parent went away: nothing left to answer.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
