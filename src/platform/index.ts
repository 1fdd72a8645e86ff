// Opens every store the platform runs on, from one configuration, and closes them in reverse order (STYLE §13).
import path from 'node:path';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { createBlobStore, type BlobStore } from './blobs/index';
import { openDatabase, type DbHandle } from './db/index';
import { migrateToLatest } from './db/migrate';
import type { TableEngine } from './engine/index';
import { createDuckDbEngine } from './engine/duckdb';
import { createJobQueue, type JobQueue } from './jobs/index';
import { createMailer, type Mailer } from './mail/index';

export interface Platform {
  config: Config;
  dbh: DbHandle;
  blobs: BlobStore;
  jobs: JobQueue;
  engine: TableEngine;
  mail: Mailer;
  logger: Logger;
  close(): Promise<void>;
}

export async function openPlatform(config: Config, logger: Logger, opts: { migrate?: boolean } = {}): Promise<Platform> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const dbh = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const opened: { close(): Promise<void> }[] = [dbh];
  try {
    if (opts.migrate !== false) await migrateToLatest(dbh.db);
    const blobs = await createBlobStore(config);
    opened.push(blobs);
    const engine = await createDuckDbEngine({
      memoryLimit: config.duckdb.memoryLimit,
      threads: config.duckdb.threads,
      tempDir: path.join(config.dataDir, 'tmp', 'duckdb'),
    });
    opened.push(engine);
    const jobs = await createJobQueue(dbh, config.databaseUrl, { logger: logger.child({ component: 'jobs' }) });
    opened.push({ close: () => jobs.stop() });
    const mail = createMailer({ dataDir: config.dataDir, from: config.mailFrom, smtpUrl: config.smtpUrl, logger });
    opened.push(mail);
    return {
      config,
      dbh,
      blobs,
      jobs,
      engine,
      mail,
      logger,
      async close() {
        for (const o of opened.reverse()) await o.close().catch((err: unknown) => logger.error({ err }, 'close failed'));
      },
    };
  } catch (err) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw err;
  }
}
