// A fresh, migrated metadata database per test file: SQLite in a temp directory by default; a new PostgreSQL database
// (created from DATABASE_URL, dropped afterwards) when DATABASE_URL is set — so the whole suite runs on both.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DbHandle } from '../../src/platform/db/index';
import { migrateToLatest } from '../../src/platform/db/migrate';

export interface TestDb extends DbHandle {
  dataDir: string;
  databaseUrl: string | undefined;
  /** Closes the connection and removes the database and temp directory. */
  destroy(): Promise<void>;
}

export function tempDir(prefix = 'df-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Creates an empty PostgreSQL database next to the one DATABASE_URL names and returns its URL. */
export async function createPgDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `df_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Where a test process keeps its state: a temp DATA_DIR and, when DATABASE_URL is set, a fresh PostgreSQL database. */
export interface TestEnv {
  dataDir: string;
  databaseUrl: string | undefined;
  /** Drops the database (if any) and removes the directory. */
  cleanup(): Promise<void>;
}

export async function createTestEnv(prefix = 'df-test-'): Promise<TestEnv> {
  const dataDir = tempDir(prefix);
  const baseUrl = process.env.DATABASE_URL;
  const created = baseUrl ? await createPgDatabase(baseUrl) : undefined;
  return {
    dataDir,
    databaseUrl: created?.url,
    async cleanup() {
      if (created) await created.drop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const env = await createTestEnv();
  const { dataDir, databaseUrl } = env;
  const handle = openDatabase({ databaseUrl, dataDir });
  if (opts.migrate !== false) await migrateToLatest(handle.db);
  return {
    ...handle,
    dataDir,
    databaseUrl,
    async destroy() {
      await handle.close();
      await env.cleanup();
    },
  };
}
