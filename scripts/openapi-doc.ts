// The /api/v1 OpenAPI document as the app serves it, built on a throwaway SQLite data directory (nothing seeded).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/config';
import { openPlatform } from '../src/platform/index';
import { buildApp } from '../src/server';
import { createServices } from '../src/services';

/** `baseUrl` becomes the document's server (BASE_URL as deployed). */
export async function openApiDocument(baseUrl = 'https://datafabrikken.invalid'): Promise<unknown> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'df-openapi-'));
  const logger = pino({ level: 'silent' });
  const platform = await openPlatform(loadConfig({ BASE_URL: baseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent', SEED_DEMO: 'false', WORKER: 'false', REGISTRY_URL: '' }), logger);
  try {
    const app = await buildApp({ services: createServices(platform), logger });
    await app.ready();
    const doc = app.swagger();
    await app.close();
    return doc;
  } finally {
    await platform.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  pointer: string;
}

const REDOCLY = fileURLToPath(new URL('../node_modules/@redocly/cli/bin/cli.js', import.meta.url));

/**
 * Lints a document with Redocly CLI's `recommended` ruleset (the CLI is the only interface @redocly/cli 2 ships; it
 * runs offline with telemetry and update checks off) and returns its problems.
 */
export function lintOpenApi(doc: unknown): LintProblem[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'df-openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(process.execPath, [REDOCLY, 'lint', file, '--extends', 'recommended', '--format', 'json', '--max-problems', '10000'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const start = run.stdout.indexOf('{');
    if (start < 0) throw new Error(`redocly lint gave no report (exit ${run.status}): ${run.stderr.slice(0, 2000)}`);
    const report = JSON.parse(run.stdout.slice(start)) as { problems: { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer?: string }[] }[] };
    return report.problems.map((p) => ({ ruleId: p.ruleId, severity: p.severity, message: p.message, pointer: p.location[0]?.pointer ?? '' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
