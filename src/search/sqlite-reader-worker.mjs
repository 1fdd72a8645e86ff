// A read-only SQLite connection in a worker thread for search statements (see sqlite-reader.ts): better-sqlite3 is
// synchronous, so a search that ran on the main thread would hold up every other request of the process meanwhile.
// Receives { id, sql, parameters } and answers { id, rows } or { id, error }.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();

parentPort.on('message', (message) => {
  const { id, sql, parameters } = message;
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size > 200) statements.clear();
      statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(...parameters) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
