// The verification commands through the CLI's real entry point: registry import (a gzipped bulk file generated here,
// with a malformed record and a deleted unit), org pending/approve/reject and registry recheck against a loopback
// Enhetsregisteret. SQLite by default, PostgreSQL with DATABASE_URL.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/access/model';
import { main, type Io } from '../../src/cli/main';
import { loadConfig } from '../../src/config';
import { openPlatform } from '../../src/platform/index';
import { createServices, type Services } from '../../src/services';
import { BRREG, startBrregServer, type BrregServer } from '../helpers/brreg-server';
import { createTestEnv } from '../helpers/db';

let env: Record<string, string | undefined>;
let cleanup: () => Promise<void>;
let dataDir: string;
let brreg: BrregServer;
const fixtures = path.resolve(__dirname, '../fixtures/brreg');

beforeAll(async () => {
  const t = await createTestEnv('df-cli-org-');
  dataDir = t.dataDir;
  env = { DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'silent', SEED_DEMO: 'false', REGISTRY_URL: '' };
  cleanup = t.cleanup;
  brreg = await startBrregServer();
});
afterAll(async () => {
  await brreg?.close();
  await cleanup();
});

async function run(argv: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { ...env, ...extraEnv } };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The same database through the services, for what only a web user does (claiming). */
async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const platform = await openPlatform(loadConfig(env), pino({ level: 'silent' }));
  try {
    return await fn(createServices(platform));
  } finally {
    await platform.close();
  }
}

async function claimAs(email: string, orgnr: string, name: string): Promise<void> {
  await withServices(async (s) => {
    const user = await s.accounts.findUserByEmail(email);
    if (!user) throw new Error(`no user ${email}`);
    const actor: Actor = { kind: 'user', user: { id: user.id, email: user.email, name: user.name, isOperator: false, emailVerified: true }, memberships: {}, scopes: null, via: 'session' };
    await s.organisations.create(actor, { orgnr, name });
  });
}

function record(file: string): Record<string, unknown> {
  const body = JSON.parse(fs.readFileSync(path.join(fixtures, file), 'utf8')) as { _embedded?: { enheter: Record<string, unknown>[] } } & Record<string, unknown>;
  return body._embedded?.enheter[0] ?? body;
}

describe('datafabrikken registry import', () => {
  it('streams a gzipped bulk file, counts imported/updated/skipped by reason, and a second run updates', async () => {
    const good = [record('brreg_enhet_991825827_digdir.json'), record('brreg_enhet_961181399.json'), record('brreg_download_komm.json')];
    const deleted = { ...record('brreg_download_stat.json'), slettedato: '2024-06-30' };
    const text = `[${good.map((r) => JSON.stringify(r)).join(',')},{"organisasjonsnummer":"910000101","navn":}, ${JSON.stringify(deleted)}, {"navn":"UTEN NUMMER"}, ${JSON.stringify(good[0])}]`;
    const file = path.join(dataDir, 'enheter_alle.json.gz');
    fs.writeFileSync(file, gzipSync(text));
    const first = await run(['registry', 'import', file, '--json']);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ records: 7, imported: 4, updated: 0, skipped: 3, skippedByReason: { invalid_json: 1, missing_orgnr: 1, duplicate: 1 } });
    const text2 = await run(['registry', 'import', file]);
    expect(text2.code, text2.err).toBe(0);
    expect(text2.out).toBe('Read 7 records: 0 imported, 4 updated, 3 skipped (invalid_json: 1, missing_orgnr: 1, duplicate: 1).');

    // Plain JSON works too; a truncated file imports nothing and says why.
    const plain = path.join(dataDir, 'enheter.json');
    fs.writeFileSync(plain, JSON.stringify([record('brreg_download_fylk.json')]));
    expect(JSON.parse((await run(['registry', 'import', plain, '--json'])).out)).toMatchObject({ imported: 1 });
    const cut = path.join(dataDir, 'cut.json.gz');
    fs.writeFileSync(cut, gzipSync(`[${JSON.stringify(record('brreg_download_stat_sub.json'))},{"organisasjonsnummer":"9`));
    const truncated = await run(['registry', 'import', cut]);
    expect(truncated.code).toBe(1);
    expect(truncated.err).toMatch(/ends before the JSON array is closed.*Nothing was imported/);
    const units = await withServices(async (s) => s.platform.dbh.db.selectFrom('registry_units').select(['orgnr', 'status']).orderBy('orgnr').execute());
    expect(units.map((u) => u.orgnr)).not.toContain('926721720');
    expect(units.find((u) => u.orgnr === '984195796')?.status).toBe('deleted');

    expect((await run(['registry', 'import', path.join(dataDir, 'nope.json.gz')])).err).toMatch(/No such file/);
    expect((await run(['registry', 'import'])).code).toBe(2);
    expect((await run(['registry', 'import', file, '--kind', 'bedrift'])).code).toBe(2);
  });

  it('org create uses the imported copy when the API is off: deleted units are refused, known ones verified', async () => {
    const refused = await run(['org', 'create', '--orgnr', '984195796', '--name', 'Domstolene']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/as deleted \(2024-06-30\); it cannot be registered/);
    const created = await run(['org', 'create', '--orgnr', BRREG.arkivverket, '--json']);
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ name: 'ARKIVVERKET', status: 'approved', registry: { source: 'file' } });
  });
});

describe('datafabrikken org approve / reject / pending', () => {
  it('approves and rejects pending claims made by users', async () => {
    expect((await run(['user', 'create', '--email', 'per@example.no', '--password', 'et langt passord'])).code).toBe(0);
    await claimAs('per@example.no', BRREG.digdir, 'Digdir');
    await claimAs('per@example.no', BRREG.haKommune, 'Hå');
    const pending = await run(['org', 'pending']);
    expect(pending.out).toContain(`${BRREG.digdir}  DIGITALISERINGSDIREKTORATET  claimed by per@example.no`);
    expect(pending.out).toContain('registry: HÅ KOMMUNE, KOMM, 1119, active');

    const ok = await run(['org', 'approve', BRREG.digdir, '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ orgnr: BRREG.digdir, status: 'approved' });
    const twice = await run(['org', 'approve', BRREG.digdir]);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('organization_not_pending');
    expect((await run(['org', 'approve', '123456785'])).err).toContain('organization_not_found');
    expect((await run(['org', 'approve'])).code).toBe(2);
    expect((await run(['org', 'approve', BRREG.digdir, 'extra'])).code).toBe(2);

    expect((await run(['org', 'reject', BRREG.haKommune])).code).toBe(2); // --reason is required
    const rejected = await run(['org', 'reject', BRREG.haKommune, '--reason', 'Per arbeider ikke i Hå kommune.']);
    expect(rejected.code, rejected.err).toBe(0);
    expect(rejected.out).toContain('Rejected HÅ KOMMUNE (964969590)');
    expect((await run(['org', 'pending'])).out).toBe('No claims are waiting.');
    const audit = await withServices(async (s) => s.platform.dbh.db.selectFrom('audit_log').select(['action', 'details']).where('action', 'in', ['organization.approve', 'organization.reject', 'registry.import']).execute());
    expect(audit.map((a) => a.action).sort()).toEqual(['organization.approve', 'organization.reject', 'registry.import', 'registry.import', 'registry.import']);
    expect(audit.every((a) => JSON.parse(a.details).via === 'cli')).toBe(true);
  });
});

describe('datafabrikken registry recheck', () => {
  it('checks unchecked organisations again once the registry answers', async () => {
    const offline = await run(['org', 'create', '--orgnr', BRREG.domstoladministrasjonen, '--name', 'Domstoladministrasjonen']); // not in the imported copy
    expect(offline.code, offline.err).toBe(0);
    expect(offline.out).toContain('not checked against Enhetsregisteret');
    const still = await run(['registry', 'recheck', '--json']);
    expect(JSON.parse(still.out)).toEqual({ checked: 1, verified: 0, deleted: 0, notFound: 0, unavailable: 1 });

    const online = await run(['registry', 'recheck', '--json'], { REGISTRY_URL: brreg.url });
    expect(online.code, online.err).toBe(0);
    expect(JSON.parse(online.out)).toEqual({ checked: 1, verified: 1, deleted: 0, notFound: 0, unavailable: 0 });
    const one = await run(['registry', 'recheck', BRREG.domstoladministrasjonen], { REGISTRY_URL: brreg.url });
    expect(one.out).toBe('DOMSTOLADMINISTRASJONEN (926721720): confirmed.');
    const all = await run(['registry', 'recheck', '--all', '--json'], { REGISTRY_URL: brreg.url });
    expect(JSON.parse(all.out)).toMatchObject({ checked: 4, verified: 4 });
    expect((await run(['registry', 'recheck', '123456785'])).err).toContain('organization_not_found');
  });
});
