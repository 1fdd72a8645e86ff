// Logs a newcomer reads: readable lines on a terminal, JSON lines elsewhere; the first operator's password on the
// terminal only, never in the log stream; one info line per page request, none for static files and health checks;
// no query strings (tokens, verification links) in logged URLs.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/main';
import { serve } from '../../src/cli/serve';
import { ConfigError, loadConfig } from '../../src/config';
import { chooseLogFormat, createLogger, loggablePath } from '../../src/platform/log';
import { createTestEnv } from '../helpers/db';

function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger selection', () => {
  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT forces one', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'fancy' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
  });

  it('writes readable single lines when the output is a terminal', () => {
    const out = capture();
    createLogger('info', { isTTY: true, destination: out.stream }).info({ reqId: 'r-1', method: 'GET', path: '/datasett', statusCode: 200, ms: 3 }, 'GET /datasett 200 (3 ms)');
    const line = out.text().trim();
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\] INFO: GET \/datasett 200 \(3 ms\) \{"reqId":"r-1"\}$/);
    expect(line).not.toContain('\u001b['); // no colour codes when not writing to the real terminal
  });

  it('writes one JSON object per line when it is not', () => {
    const out = capture();
    createLogger('info', { isTTY: false, destination: out.stream }).info({ reqId: 'r-1' }, 'hello');
    const entry = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, msg: 'hello', reqId: 'r-1', service: 'datafabrikken' });
  });

  it('logs paths without query strings or fragments', () => {
    expect(loggablePath('/konto/bekreft?token=abc&e=x@y.no')).toBe('/konto/bekreft');
    expect(loggablePath('/datasett#x')).toBe('/datasett');
    expect(loggablePath('/datasett')).toBe('/datasett');
    expect(loggablePath(undefined)).toBe('');
  });
});

describe('a first start (`serve`) as a newcomer sees it', () => {
  const log = capture();
  const errLines: string[] = [];
  const outLines: string[] = [];
  let cleanup: () => Promise<void>;
  let exit: number;
  const SECRET = 'verify-token-4b1e9f';

  beforeAll(async () => {
    const t = await createTestEnv('df-serve-');
    cleanup = t.cleanup;
    const io: Io = { out: (l) => outLines.push(l), err: (l) => errLines.push(l), env: {} };
    const env = { DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, PORT: '0', HOST: '127.0.0.1', BASE_URL: 'http://localhost:3999', SEED_DEMO: 'false', WORKER: 'false', LOG_LEVEL: 'debug' };
    exit = await serve(env, io, {
      log: { isTTY: false, destination: log.stream },
      async until(url) {
        const paths = ['/static/app.css', '/health', '/', `/datasett?q=${SECRET}`, `/logg-inn?next=%2Fkonto&token=${SECRET}`, `/finnes-ikke?token=${SECRET}`];
        for (const [i, path] of paths.entries()) {
          const res = await fetch(`${url}${path}`, { headers: { 'x-request-id': `test-${i}` } });
          await res.arrayBuffer();
        }
        return 'test';
      },
    });
  });
  afterAll(async () => cleanup?.());

  function entries(): Record<string, unknown>[] {
    return log
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>); // every line of the stream is JSON
  }

  it('shows the operator password once in a framed block, and never in the log stream', () => {
    expect(exit).toBe(0);
    const block = errLines.join('\n');
    const password = /Password: (\S+)/.exec(block)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(block).toContain('E-mail:   operator@datafabrikken.local');
    expect(block).toContain('Sign in:  http://localhost:3999/logg-inn');
    expect(block).toContain('This password is shown once. Change it after signing in');
    expect(block).toMatch(/^\+-+\+$/m);
    expect(log.text()).not.toContain(password);
    expect(outLines.join('\n')).not.toContain(password);
    expect(entries().some((e) => String(e.msg).startsWith('created the first operator account'))).toBe(true);
    expect(block).toContain('Datafabrikken is running at http://localhost:3999/');
  });

  it('logs static files and health checks at debug only, pages at info', () => {
    const requests = entries().filter((e) => typeof e.path === 'string');
    const byPath = (p: string) => requests.filter((e) => e.path === p);
    expect(byPath('/static/app.css').map((e) => e.level)).toEqual([20]);
    expect(byPath('/health').map((e) => e.level)).toEqual([20]);
    expect(byPath('/').map((e) => e.level)).toEqual([30]);
    expect(byPath('/datasett')[0]).toMatchObject({ level: 30, method: 'GET', statusCode: 200, reqId: 'test-3' });
    expect(entries().some((e) => e.msg === 'incoming request' || e.msg === 'request completed')).toBe(false); // Fastify's own lines are off
  });

  it('never logs query strings: tokens and verification links stay out of the log', () => {
    expect(log.text()).not.toContain(SECRET);
    expect(entries().find((e) => e.path === '/finnes-ikke')).toMatchObject({ level: 30, statusCode: 404 });
  });
});
