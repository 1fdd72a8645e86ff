// The `datafabrikken` command: serve, worker, migrate, seed, user create, org create/add-member/approve/reject/pending,
// registry import/recheck, token create, audit verify, harvest list/add/SOURCE.
// Each command parses its flags with node:util parseArgs, has --help, prints results as text or --json, and exits
// non-zero with a clear message on failure (1 = the operation failed, 2 = the command line was wrong).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CONFIG_KEYS, ConfigError, loadConfig, type Config } from '../config';
import { DomainError } from '../errors';
import { createLogger } from '../platform/log';
import { openPlatform, type Platform } from '../platform/index';
import { migrateToLatest } from '../platform/db/migrate';
import { openDatabase } from '../platform/db/index';
import { operatorPasswordBlock } from '../seed/operator';
import { createServices, type Services } from '../services';
import { urls } from '../web/urls';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  name: string; // e.g. "user create"
  summary: string;
  usage: string;
  options: Options;
  /** Names of the positional arguments the command takes (none when absent). */
  args?: string[];
  details?: string;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[]; io: Io }): Promise<number>;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
};

const JSON_OPT: Options = { json: { type: 'boolean', default: false } };

function configHelp(): string {
  const width = Math.max(...CONFIG_KEYS.map((k) => k.name.length));
  return ['Configuration (environment variables):', ...CONFIG_KEYS.map((k) => `  ${k.name.padEnd(width)}  ${k.description} Default: ${k.default}`)].join('\n');
}

function need(values: Record<string, string | boolean | undefined>, key: string): string {
  const v = values[key];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${key} is required.`);
  return v.trim();
}

function onePositional(positionals: string[], name: string): string {
  const v = positionals[0]?.trim();
  if (!v) throw new UsageError(`${name} is required.`);
  return v;
}

function print(io: Io, json: boolean, data: unknown, text: string): void {
  io.out(json ? JSON.stringify(data, null, 2) : text);
}

/** Opens the platform and services for one command and always closes them. */
async function withServices<T>(io: Io, fn: (s: Services, p: Platform, c: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const logger = createLogger(io.env.LOG_LEVEL ? config.logLevel : 'warn');
  const platform = await openPlatform(config, logger);
  try {
    return await fn(createServices(platform), platform, config);
  } finally {
    await platform.close();
  }
}

function parseExpiry(v: string | undefined): number | undefined {
  if (v === undefined || v === 'never') return undefined;
  const m = /^(\d+)d?$/.exec(v.trim());
  if (!m) throw new UsageError(`--expires must be a number of days like 30d, or "never"; got "${v}".`);
  const days = Number(m[1]);
  if (days < 1 || days > 365) throw new UsageError('--expires must be between 1d and 365d.');
  return days;
}

const commands: Command[] = [
  {
    name: 'serve',
    summary: 'Run the web server (and, unless WORKER=false, the job worker).',
    usage: 'datafabrikken serve [--port N] [--host H] [--no-seed]',
    options: { port: { type: 'string' }, host: { type: 'string' }, 'no-seed': { type: 'boolean', default: false } },
    details: `Creates DATA_DIR, runs migrations, creates the first operator account when none exists (its password is
shown once on stderr, never logged), seeds the demo catalogue when it is empty (SEED_DEMO), and prints the URL.
Logs go to stdout: readable lines on a terminal, JSON lines otherwise (LOG_FORMAT).\n\n${configHelp()}`,
    async run({ values, io }) {
      const env = { ...io.env };
      if (typeof values.port === 'string') env.PORT = values.port;
      if (typeof values.host === 'string') env.HOST = values.host;
      if (values['no-seed']) env.SEED_DEMO = 'false';
      const { serve } = await import('./serve');
      return serve(env, io);
    },
  },
  {
    name: 'worker',
    summary: 'Run only the job worker (background jobs such as table ingests).',
    usage: 'datafabrikken worker',
    options: {},
    details: `Use with WORKER=false on the web nodes to scale workers separately.\n\n${configHelp()}`,
    async run({ io }) {
      const { worker } = await import('./serve');
      return worker(io.env, io);
    },
  },
  {
    name: 'migrate',
    summary: 'Apply database migrations.',
    usage: 'datafabrikken migrate [--json]',
    options: { ...JSON_OPT },
    async run({ values, io }) {
      const config = loadConfig(io.env);
      const dbh = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const { applied } = await migrateToLatest(dbh.db);
        print(io, values.json === true, { dialect: dbh.dialect, applied }, applied.length ? `Applied ${applied.length} migration(s) on ${dbh.dialect}: ${applied.join(', ')}` : `Database (${dbh.dialect}) is up to date.`);
        return 0;
      } finally {
        await dbh.close();
      }
    },
  },
  {
    name: 'seed',
    summary: 'Seed the demo catalogue (when empty) and the first operator account (when none exists).',
    usage: 'datafabrikken seed [--json]',
    options: { ...JSON_OPT },
    async run({ values, io }) {
      return withServices(io, async (services, platform, config) => {
        const { seedAll } = await import('./serve');
        services.tables.registerJobs(); // the demo tables are ingested by this process before it exits
        const result = await seedAll(services, platform, { waitForJobs: true });
        print(io, values.json === true, result, describeSeed(result, `${config.baseUrl}${urls.signIn()}`));
        return 0;
      });
    },
  },
  {
    name: 'user create',
    summary: 'Create a user account.',
    usage: 'datafabrikken user create --email E --password P [--name N] [--operator] [--json]',
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, operator: { type: 'boolean', default: false }, ...JSON_OPT },
    async run({ values, io }) {
      const email = need(values, 'email');
      const password = need(values, 'password');
      return withServices(io, async (services) => {
        const user = await services.accounts.createUser({ email, password, name: typeof values.name === 'string' ? values.name : email.split('@')[0] ?? email, isOperator: values.operator === true });
        print(io, values.json === true, { id: user.id, email: user.email, name: user.name, isOperator: user.is_operator === 1 }, `Created user ${user.email} (${user.id})${user.is_operator ? ' as platform operator' : ''}.`);
        return 0;
      });
    },
  },
  {
    name: 'org create',
    summary: 'Register an organisation by its organisasjonsnummer.',
    usage: 'datafabrikken org create --orgnr N [--name NAME] [--form AS] [--municipality 0301] [--homepage URL] [--json]',
    details: `Looks the number up in Enhetsregisteret (REGISTRY_URL, then the copy imported with \`registry import\`): the
official name, form and municipality are used, and a deleted or unknown number is refused. When the registry cannot be
reached the organisation is still created, marked "not checked" (--name is then required); \`registry recheck\` asks
again later. Organisations created here are approved at once and get no members (use \`org add-member\`).`,
    options: { orgnr: { type: 'string' }, name: { type: 'string' }, form: { type: 'string' }, municipality: { type: 'string' }, homepage: { type: 'string' }, ...JSON_OPT },
    async run({ values, io }) {
      const orgnr = need(values, 'orgnr');
      const name = typeof values.name === 'string' && values.name.trim() !== '' ? values.name.trim() : undefined;
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const org = await services.organisations.create(CLI_ACTOR, {
          orgnr,
          name,
          orgForm: typeof values.form === 'string' ? values.form : undefined,
          municipality: typeof values.municipality === 'string' ? values.municipality : undefined,
          homepage: typeof values.homepage === 'string' ? values.homepage : undefined,
        });
        print(io, values.json === true, org, `Created organisation ${org.name} (${org.orgnr}), ${org.registry.checkedAt ? `checked against Enhetsregisteret (${org.registry.source})` : 'not checked against Enhetsregisteret'}.`);
        return 0;
      });
    },
  },
  {
    name: 'org add-member',
    summary: 'Give a user a role in an organisation.',
    usage: 'datafabrikken org add-member --orgnr N --email E --role admin|editor|member [--json]',
    options: { orgnr: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' }, ...JSON_OPT },
    async run({ values, io }) {
      const orgnr = need(values, 'orgnr');
      const email = need(values, 'email');
      const role = need(values, 'role');
      if (!['admin', 'editor', 'member'].includes(role)) throw new UsageError('--role must be admin, editor or member.');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const member = await services.organisations.addMember(CLI_ACTOR, orgnr, { email, role: role as 'admin' | 'editor' | 'member' });
        print(io, values.json === true, member, `${email} is now ${role} of ${orgnr}.`);
        return 0;
      });
    },
  },
  {
    name: 'org pending',
    summary: 'List organisation claims waiting for an operator.',
    usage: 'datafabrikken org pending [--json]',
    options: { ...JSON_OPT },
    async run({ values, io }) {
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const claims = await services.organisations.listClaims(CLI_ACTOR, { status: 'pending' });
        const lines = claims.map((c) => {
          const u = c.registryUnit;
          const registry = u ? `registry: ${u.name}, ${u.orgForm ?? '-'}, ${u.municipality ?? '-'}, ${u.status}` : 'not checked against Enhetsregisteret';
          return `${c.organization.orgnr}  ${c.organization.name}  claimed by ${c.claimant?.email ?? '-'} at ${c.organization.claimedAt ?? '-'}  (${registry})`;
        });
        print(io, values.json === true, claims, lines.length ? lines.join('\n') : 'No claims are waiting.');
        return 0;
      });
    },
  },
  {
    name: 'org approve',
    summary: 'Approve a pending organisation claim (it may publish from now on).',
    usage: 'datafabrikken org approve ORGNR [--json]',
    options: { ...JSON_OPT },
    args: ['ORGNR'],
    async run({ values, positionals, io }) {
      const orgnr = onePositional(positionals, 'ORGNR');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const org = await services.organisations.approve(CLI_ACTOR, orgnr);
        print(io, values.json === true, org, `Approved ${org.name} (${org.orgnr}).`);
        return 0;
      });
    },
  },
  {
    name: 'org reject',
    summary: 'Reject a pending organisation claim, with a reason the claimant sees.',
    usage: 'datafabrikken org reject ORGNR --reason R [--json]',
    options: { reason: { type: 'string' }, ...JSON_OPT },
    args: ['ORGNR'],
    async run({ values, positionals, io }) {
      const orgnr = onePositional(positionals, 'ORGNR');
      const reason = need(values, 'reason');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const org = await services.organisations.reject(CLI_ACTOR, orgnr, { reason });
        print(io, values.json === true, org, `Rejected ${org.name} (${org.orgnr}): ${reason}`);
        return 0;
      });
    },
  },
  {
    name: 'registry import',
    summary: 'Import Enhetsregisteret\'s bulk download as the local registry copy.',
    usage: 'datafabrikken registry import FILE [--kind enhet|underenhet] [--json]',
    options: { kind: { type: 'string' }, ...JSON_OPT },
    args: ['FILE'],
    details: `FILE is enheter_alle.json.gz (or underenheter_alle.json.gz with --kind underenhet) from
https://data.brreg.no/enhetsregisteret/api/enheter/lastned, gzipped or plain JSON. It is read as a stream (about a
million records) in one transaction: a truncated or broken file imports nothing. Records that are not valid JSON or
lack an organisation number or name are skipped and counted by reason. Lookups use this copy when the API cannot be
reached.`,
    async run({ values, positionals, io }) {
      const file = onePositional(positionals, 'FILE');
      const kind = typeof values.kind === 'string' ? values.kind : 'enhet';
      if (kind !== 'enhet' && kind !== 'underenhet') throw new UsageError('--kind must be enhet or underenhet.');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const r = await services.organisations.importRegistry(CLI_ACTOR, file, { kind });
        const reasons = Object.entries(r.skippedByReason).map(([k, n]) => `${k}: ${n}`).join(', ');
        print(io, values.json === true, r, `Read ${r.records} records: ${r.imported} imported, ${r.updated} updated, ${r.skipped} skipped${reasons ? ` (${reasons})` : ''}.`);
        return 0;
      });
    },
  },
  {
    name: 'registry recheck',
    summary: 'Check organisations against Enhetsregisteret again (those never checked, one, or --all).',
    usage: 'datafabrikken registry recheck [ORGNR] [--all] [--json]',
    options: { all: { type: 'boolean', default: false }, ...JSON_OPT },
    args: ['ORGNR'],
    async run({ values, positionals, io }) {
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        if (positionals[0]) {
          const r = await services.organisations.recheck(CLI_ACTOR, positionals[0].trim());
          const what = r.outcome === 'found' ? 'confirmed' : r.outcome === 'unchecked' ? `not checked (${r.reason ?? 'registry unavailable'})` : r.outcome.replace('_', ' ');
          print(io, values.json === true, r, `${r.organization.name} (${r.organization.orgnr}): ${what}.`);
          return 0;
        }
        const r = await services.organisations.recheckAll(CLI_ACTOR, { all: values.all === true });
        print(io, values.json === true, r, `Checked ${r.checked}: ${r.verified} confirmed, ${r.deleted} deleted, ${r.notFound} unknown, ${r.unavailable} without an answer.`);
        return 0;
      });
    },
  },
  {
    name: 'token create',
    summary: 'Create an API token for a user (printed once).',
    usage: 'datafabrikken token create --email E [--name N] [--scopes read,write] [--expires 30d|never] [--json]',
    options: { email: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, expires: { type: 'string' }, ...JSON_OPT },
    async run({ values, io }) {
      const email = need(values, 'email');
      const expiresInDays = parseExpiry(typeof values.expires === 'string' ? values.expires : '30d');
      const scopes = (typeof values.scopes === 'string' ? values.scopes : 'read').split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of scopes) if (!['read', 'write', 'admin'].includes(s)) throw new UsageError(`Unknown scope "${s}"; use read, write or admin.`);
      return withServices(io, async (services) => {
        const user = await services.accounts.findUserByEmail(email);
        if (!user) throw new DomainError(404, 'user_not_found', `No user with e-mail ${email}.`);
        const { token, record } = await services.accounts.createTokenForUser(user.id, {
          name: typeof values.name === 'string' ? values.name : 'cli',
          scopes: scopes as ('read' | 'write' | 'admin')[],
          expiresInDays,
        });
        print(io, values.json === true, { token, ...record }, `${token}\n(This token is shown once. Scopes: ${scopes.join(', ')}; expires: ${record.expiresAt ?? 'never'}.)`);
        return 0;
      });
    },
  },
  {
    name: 'audit verify',
    summary: 'Verify the audit log\'s hash chain; exit 1 naming the first entry that was changed, removed or reordered.',
    usage: 'datafabrikken audit verify [--json]',
    options: { ...JSON_OPT },
    async run({ values, io }) {
      return withServices(io, async (services) => {
        const r = await services.auditLog.verify();
        const text = r.ok
          ? `Audit log intact: ${r.entries} entries verified.`
          : `Audit log TAMPERED: entry seq ${r.problem?.seq ?? '?'} (id ${r.problem?.id ?? '?'}) fails (${r.problem?.reason ?? 'unknown'}); ${r.entries} entries before it verified.`;
        if (r.ok) print(io, values.json === true, r, text);
        else if (values.json === true) io.out(JSON.stringify(r, null, 2));
        else io.err(text);
        return r.ok ? 0 : 1;
      });
    },
  },
  {
    name: 'harvest list',
    summary: 'List the harvest sources with their last run.',
    usage: 'datafabrikken harvest list [--json]',
    options: { ...JSON_OPT },
    async run({ values, io }) {
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const sources = await services.harvest.list(CLI_ACTOR);
        const lines = sources.map((s) => `${s.id}  ${s.kind.padEnd(5)}  ${s.name}  ${s.url}  ${s.intervalMinutes ? `every ${s.intervalMinutes} min` : 'on demand'}  ${s.lastRun ? `${s.lastRun.state} ${s.lastRun.createdAt}` : 'never run'}`);
        print(io, values.json === true, sources, lines.length ? lines.join('\n') : 'No harvest sources.');
        return 0;
      });
    },
  },
  {
    name: 'harvest add',
    summary: 'Add a harvest source (a DCAT catalogue, a CKAN site or data.norge.no\'s search API).',
    usage: 'datafabrikken harvest add --name N --kind dcat|ckan|norge --url URL [--every MINUTES] [--json]',
    details: 'Without --every the source is harvested only on demand (`datafabrikken harvest SOURCE`, or the operator page /operator/hosting).',
    options: { name: { type: 'string' }, kind: { type: 'string' }, url: { type: 'string' }, every: { type: 'string' }, ...JSON_OPT },
    async run({ values, io }) {
      const kind = need(values, 'kind');
      if (!['dcat', 'ckan', 'norge'].includes(kind)) throw new UsageError(`--kind must be dcat, ckan or norge; got "${kind}".`);
      const every = typeof values.every === 'string' ? values.every.trim() : '';
      if (every && !/^\d+$/.test(every)) throw new UsageError('--every must be a whole number of minutes.');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const s = await services.harvest.create(CLI_ACTOR, { name: need(values, 'name'), kind: kind as 'dcat', url: need(values, 'url'), intervalMinutes: every ? Number(every) : null });
        print(io, values.json === true, s, `Added harvest source ${s.id} (${s.name}).`);
        return 0;
      });
    },
  },
  {
    name: 'harvest',
    summary: 'Harvest one source now (by id or name) and print the run report.',
    usage: 'datafabrikken harvest SOURCE [--json]',
    args: ['SOURCE'],
    details: 'Runs in this process (no worker needed) and stores the report like any run. Exits 1 when the run failed; then nothing was changed.',
    options: { ...JSON_OPT },
    async run({ values, positionals, io }) {
      const ref = onePositional(positionals, 'SOURCE');
      const { CLI_ACTOR } = await import('../access/model');
      return withServices(io, async (services) => {
        const source = await services.harvest.resolve(CLI_ACTOR, ref);
        const r = await services.harvest.runNow(CLI_ACTOR, source.id);
        const text = [
          `Harvest of ${source.name}: ${r.state}.`,
          `added ${r.added}, updated ${r.updated}, unchanged ${r.unchanged}, merged ${r.merged}, removed ${r.removed}, failed ${r.failed} (${r.pages} page(s)).`,
          ...(r.error ? [`Error: ${r.error}`] : []),
          ...r.failures.slice(0, 20).map((f) => `  ${f.record}: ${f.reason}`),
        ].join('\n');
        print(io, values.json === true, r, text);
        return r.state === 'succeeded' ? 0 : 1;
      });
    },
  },
];

function describeSeed(r: { operator: { created: boolean; email: string; password?: string }; demo: { seeded: boolean; datasets: number } }, signInUrl: string): string {
  const lines: string[] = [];
  lines.push(r.demo.seeded ? `Seeded the demo catalogue: ${r.demo.datasets} datasets.` : 'The catalogue already has datasets; demo seed skipped.');
  if (r.operator.created && r.operator.password) lines.push(...operatorPasswordBlock({ email: r.operator.email, password: r.operator.password }, signInUrl));
  else lines.push(`Operator account exists: ${r.operator.email}.`);
  return lines.join('\n');
}

function helpFor(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}`);
  return [`${cmd.usage}`, '', cmd.summary, ...(cmd.details ? ['', cmd.details] : []), '', 'Options:', ...opts, '  --help', ''].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Datafabrikken — share data, find data and use data.',
    '',
    'Usage: datafabrikken <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `datafabrikken <command> --help` for a command\'s options.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(mainHelp());
    return argv.length === 0 ? 2 : 0;
  }
  const two = argv.slice(0, 2).join(' ');
  const cmd = commands.find((c) => c.name === two) ?? commands.find((c) => c.name === argv[0]);
  if (!cmd) {
    io.err(`Unknown command "${argv.slice(0, 2).join(' ')}".\n\n${mainHelp()}`);
    return 2;
  }
  const rest = argv.slice(cmd.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(helpFor(cmd));
    return 0;
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: cmd.args !== undefined, strict: true }) as typeof parsed;
    if (parsed.positionals.length > (cmd.args?.length ?? 0)) throw new Error(`Unexpected argument "${parsed.positionals[cmd.args?.length ?? 0]}".`);
  } catch (err) {
    io.err(`${(err as Error).message}\n\nUsage: ${cmd.usage}`);
    return 2;
  }
  try {
    return await cmd.run({ ...parsed, io });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\nUsage: ${cmd.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`Configuration error: ${err.message}`);
      return 2;
    }
    if (err instanceof DomainError) {
      const problems = (err.details as { problems?: { message: string }[] } | undefined)?.problems;
      io.err(`Error (${err.code}): ${problems?.length ? problems.map((p) => p.message).join(' ') : err.message}`);
      return 1;
    }
    io.err(`Error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

export const COMMAND_NAMES = commands.map((c) => c.name);
export function commandHelp(name: string): string | undefined {
  const c = commands.find((x) => x.name === name);
  return c ? helpFor(c) : undefined;
}
