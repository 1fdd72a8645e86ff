// Runs search's read statements on SQLite in worker threads, each with its own read-only connection to the same file
// (WAL lets readers run beside the writer and see every committed change), so a search over many hits does not block
// the event loop: /health and other requests keep answering while searches run (bench:search measures it). Workers
// are unref'd (they never keep the process alive) and started lazily. PostgreSQL needs none of this: its driver is
// asynchronous.
import { Worker } from 'node:worker_threads';

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (err: Error) => void;
}

export interface SqliteReader {
  all<R>(sql: string, parameters: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export function createSqliteReader(file: string, size = 2): SqliteReader {
  const workers: { worker: Worker; busy: number }[] = [];
  const pending = new Map<number, Pending>();
  let next = 1;

  function start(): { worker: Worker; busy: number } {
    const worker = new Worker(new URL('./sqlite-reader-worker.mjs', import.meta.url), { workerData: { file } });
    worker.unref();
    const slot = { worker, busy: 0 };
    worker.on('message', (m: { id: number; rows?: unknown[]; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      slot.busy--;
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.rows ?? []);
    });
    worker.on('error', (err) => {
      // A worker that died takes its in-flight statements with it; the next call starts a fresh one.
      workers.splice(workers.indexOf(slot), 1);
      for (const [id, p] of pending) {
        if ((p as Pending & { slot?: unknown }).slot === slot) {
          pending.delete(id);
          p.reject(err);
        }
      }
    });
    workers.push(slot);
    return slot;
  }

  return {
    all<R>(sql: string, parameters: readonly unknown[]): Promise<R[]> {
      const idle = workers.find((w) => w.busy === 0);
      const slot = idle ?? (workers.length < size ? start() : workers.reduce((a, b) => (a.busy <= b.busy ? a : b)));
      const id = next++;
      slot.busy++;
      return new Promise<R[]>((resolve, reject) => {
        pending.set(id, Object.assign({ resolve: resolve as (rows: unknown[]) => void, reject }, { slot }));
        slot.worker.postMessage({ id, sql, parameters });
      });
    },
    async close() {
      await Promise.all(workers.splice(0).map((w) => w.worker.terminate()));
    },
  };
}
