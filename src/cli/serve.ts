// `serve` and `worker`: long-running processes that close everything they opened on SIGINT/SIGTERM.
import type { Config } from '../config';
import { loadConfig } from '../config';
import { createLogger } from '../platform/log';
import { openPlatform, type Platform } from '../platform/index';
import { buildApp } from '../server';
import { createServices, type Services } from '../services';
import { seedDemo } from '../seed/index';
import { ensureOperator } from '../seed/operator';
import type { Io } from './main';

export interface SeedOutcome {
  operator: { created: boolean; email: string; password?: string };
  demo: { seeded: boolean; datasets: number; jobIds: string[] };
}

/** Seeds the demo catalogue when empty and the first operator when none exists. Idempotent. */
export async function seedAll(services: Services, platform: Platform, opts: { waitForJobs: boolean; seedDemo?: boolean }): Promise<SeedOutcome> {
  const operator = await ensureOperator(services);
  const demo = opts.seedDemo === false ? { seeded: false, datasets: 0, jobIds: [] } : await seedDemo(services, { log: platform.logger });
  if (opts.waitForJobs && demo.jobIds.length > 0) {
    await platform.jobs.start();
    await platform.jobs.drain(10 * 60_000);
  }
  return { operator, demo };
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

async function open(env: Record<string, string | undefined>): Promise<{ config: Config; platform: Platform; services: Services }> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const platform = await openPlatform(config, logger);
  const services = createServices(platform);
  services.tables.registerJobs();
  return { config, platform, services };
}

export async function serve(env: Record<string, string | undefined>, io: Io): Promise<number> {
  const { config, platform, services } = await open(env);
  try {
    if (config.runWorkerInProcess) await platform.jobs.start();
    const seeded = await seedAll(services, platform, { waitForJobs: false, seedDemo: config.seedDemo });
    if (seeded.operator.created) {
      io.out(`Created the operator account ${seeded.operator.email} with password: ${seeded.operator.password}`);
      io.out('(This password is shown once. Sign in and change it under "Min konto".)');
    }
    if (seeded.demo.seeded) io.out(`Seeded the demo catalogue: ${seeded.demo.datasets} datasets; their tables are being ingested in the background.`);
    const app = await buildApp({ services, logger: platform.logger });
    await app.listen({ port: config.port, host: config.host });
    io.out(`Datafabrikken is running at ${config.baseUrl}/ (listening on ${config.host}:${config.port}, ${platform.dbh.dialect}, ${platform.blobs.kind} blobs, ${platform.jobs.kind} jobs)`);
    const sig = await waitForSignal();
    platform.logger.info({ signal: sig }, 'shutting down');
    await app.close();
    return 0;
  } finally {
    await platform.close();
  }
}

export async function worker(env: Record<string, string | undefined>, io: Io): Promise<number> {
  const { platform } = await open(env);
  try {
    await platform.jobs.start();
    io.out(`Datafabrikken worker is running (${platform.jobs.kind}). Stop with Ctrl+C.`);
    await waitForSignal();
    return 0;
  } finally {
    await platform.close();
  }
}
