// The CLI through its real entry point (in-process), on a fresh SQLite directory or PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, commandHelp, main, type Io } from '../../src/cli/main';
import { createTestEnv } from '../helpers/db';

let env: Record<string, string | undefined>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestEnv('df-cli-');
  env = { DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'silent', SEED_DEMO: 'false', REGISTRY_URL: '' };
  cleanup = t.cleanup;
});
afterAll(async () => cleanup());

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('datafabrikken CLI', () => {
  it('lists every command and has --help for each', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const name of ['serve', 'worker', 'migrate', 'seed', 'user create', 'org create', 'org add-member', 'org pending', 'org approve', 'org reject', 'registry import', 'registry recheck', 'token create']) {
      expect(COMMAND_NAMES).toContain(name);
      expect(r.out).toContain(name);
      const h = await run(...name.split(' '), '--help');
      expect(h.code, name).toBe(0);
      expect(h.out).toContain(`datafabrikken ${name}`);
    }
    // serve --help documents the configuration keys.
    expect(commandHelp('serve')).toContain('DATABASE_URL');
  });

  it('rejects unknown commands and flags with exit code 2', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    const r = await run('user', 'create', '--email', 'a@b.no', '--bogus', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bogus/);
    const missing = await run('user', 'create', '--email', 'a@b.no');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--password is required');
  });

  it('migrates, creates a user, an organisation, a membership and a token', async () => {
    const m = await run('migrate', '--json');
    expect(m.code, m.err).toBe(0);
    expect(JSON.parse(m.out).dialect).toBe(process.env.DATABASE_URL ? 'postgres' : 'sqlite');

    const u = await run('user', 'create', '--email', 'Kari@Example.no', '--password', 'et langt passord', '--name', 'Kari', '--json');
    expect(u.code, u.err).toBe(0);
    expect(JSON.parse(u.out)).toMatchObject({ email: 'kari@example.no', name: 'Kari', isOperator: false });

    const dup = await run('user', 'create', '--email', 'kari@example.no', '--password', 'et langt passord');
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/email_taken|already/i);

    const bad = await run('org', 'create', '--orgnr', '123456789', '--name', 'Feil AS');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/check digit/i);

    const o = await run('org', 'create', '--orgnr', '991825827', '--name', 'Digitaliseringsdirektoratet', '--form', 'ORGL', '--json');
    expect(o.code, o.err).toBe(0);
    expect(JSON.parse(o.out).orgnr).toBe('991825827');

    const am = await run('org', 'add-member', '--orgnr', '991825827', '--email', 'kari@example.no', '--role', 'editor');
    expect(am.code, am.err).toBe(0);
    const badRole = await run('org', 'add-member', '--orgnr', '991825827', '--email', 'kari@example.no', '--role', 'king');
    expect(badRole.code).toBe(2);

    const t = await run('token', 'create', '--email', 'kari@example.no', '--name', 'ci', '--scopes', 'read,write', '--expires', '30d', '--json');
    expect(t.code, t.err).toBe(0);
    const tok = JSON.parse(t.out);
    expect(tok.token).toMatch(/^df_/);
    const noUser = await run('token', 'create', '--email', 'nobody@example.no');
    expect(noUser.code).toBe(1);
    expect(noUser.err).toContain('nobody@example.no');
    const badExpiry = await run('token', 'create', '--email', 'kari@example.no', '--expires', 'soon');
    expect(badExpiry.code).toBe(2);
  });
});
