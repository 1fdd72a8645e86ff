// `serve` and `worker`: long-running processes that close everything they opened on SIGINT/SIGTERM.
import type { Config } from '../config';
import { loadConfig } from '../config';
import { createLogger, type LoggerOptions } from '../platform/log';
import { openPlatform, type Platform } from '../platform/index';
import { buildApp } from '../server';
import { createServices, type Services } from '../services';
import { seedDemo } from '../seed/index';
import { ensureOperator, operatorPasswordBlock } from '../seed/operator';
import { urls } from '../web/urls';
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

/** What tests inject instead of a real terminal and signals. */
export interface ServeOptions {
  /** Where log lines go and whether that counts as a terminal (default: stdout and its isTTY). */
  log?: Pick<LoggerOptions, 'destination' | 'isTTY'>;
  /** Resolves when the server should stop; receives the URL it listens on (default: SIGINT or SIGTERM). */
  until?: (listeningUrl: string) => Promise<string>;
}

async function open(env: Record<string, string | undefined>, log: ServeOptions['log'] = {}): Promise<{ config: Config; platform: Platform; services: Services }> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, { format: config.logFormat, ...log });
  const platform = await openPlatform(config, logger);
  const services = createServices(platform);
  services.tables.registerJobs();
  services.quality.registerJobs();
  services.harvest.registerJobs();
  return { config, platform, services };
}

/**
 * Runs the web server. Its own few lines (the operator's one-time password, the URL) go to stderr through `io.err`, so
 * stdout stays the log stream: JSON lines that a collector can parse, or pretty lines on a terminal.
 */
export async function serve(env: Record<string, string | undefined>, io: Io, opts: ServeOptions = {}): Promise<number> {
  const { config, platform, services } = await open(env, opts.log);
  // The harvest scheduler runs beside the worker: every node with a worker ticks, and the compare-and-set on
  // next_run_at lets exactly one of them enqueue each due run (src/interop/harvest/service.ts).
  let stopScheduler = () => {};
  try {
    if (config.runWorkerInProcess) {
      await platform.jobs.start();
      stopScheduler = services.harvest.startScheduler();
    }
    const seeded = await seedAll(services, platform, { waitForJobs: false, seedDemo: config.seedDemo });
    if (seeded.operator.created && seeded.operator.password) {
      // The password goes to the terminal only; the log gets the fact without it.
      platform.logger.info({ email: seeded.operator.email }, 'created the first operator account (its one-time password is printed on stderr, not logged)');
      io.err(['', ...operatorPasswordBlock({ email: seeded.operator.email, password: seeded.operator.password }, `${config.baseUrl}${urls.signIn()}`), ''].join('\n'));
    }
    if (seeded.demo.seeded) io.err(`Seeded the demo catalogue: ${seeded.demo.datasets} datasets; their tables are being ingested in the background.`);
    const app = await buildApp({ services, logger: platform.logger });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = address && typeof address === 'object' ? address.port : config.port;
    io.err(`Datafabrikken is running at ${config.baseUrl}/ (listening on ${config.host}:${port}, ${platform.dbh.dialect}, ${platform.blobs.kind} blobs, ${platform.jobs.kind} jobs). Stop with Ctrl+C.`);
    const sig = await (opts.until ?? waitForSignal)(`http://${config.host}:${port}`);
    platform.logger.info({ signal: sig }, 'shutting down');
    await app.close();
    return 0;
  } finally {
    stopScheduler();
    await platform.close();
  }
}

export async function worker(env: Record<string, string | undefined>, io: Io): Promise<number> {
  const { platform, services } = await open(env);
  const stopScheduler = services.harvest.startScheduler();
  try {
    await platform.jobs.start();
    io.err(`Datafabrikken worker is running (${platform.jobs.kind}). Stop with Ctrl+C.`);
    await waitForSignal();
    return 0;
  } finally {
    stopScheduler();
    await platform.close();
  }
}
