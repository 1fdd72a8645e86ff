// One typed configuration, parsed once and synchronously from the environment at start-up (STYLE §5).
// No other module reads process.env. The table CONFIG_KEYS is the single list of settings: `serve --help`
// prints it and a test checks that README.md documents every key.
import net from 'node:net';
import path from 'node:path';

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export interface Config {
  port: number;
  host: string;
  baseUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  s3: S3Config | undefined;
  /** smtp:// or smtps:// URL; unset = mail is only written to the outbox (DATA_DIR/mail/outbox). */
  smtpUrl: string | undefined;
  /** The From of every mail, e.g. "Datafabrikken <no-reply@example.no>". */
  mailFrom: string;
  logLevel: string;
  /** LOG_FORMAT: pretty on a terminal and JSON otherwise (`auto`), or forced. */
  logFormat: 'auto' | 'pretty' | 'json';
  duckdb: { memoryLimit: string; threads: number };
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  seedDemo: boolean;
  /** Base URL of Enhetsregisteret's API; undefined disables lookups (the local registry copy is used instead). */
  registryUrl: string | undefined;
  runWorkerInProcess: boolean;
  /** True when BASE_URL is https: session cookies then carry the Secure flag. */
  secureCookies: boolean;
  /**
   * Which proxies may set X-Forwarded-For/-Proto/-Host (Fastify's `trustProxy`): false (the default) trusts none, so
   * request.ip is the TCP peer and rate limits cannot be dodged with a made-up header; true trusts every hop; a number
   * trusts that many hops; a list trusts those addresses or CIDR ranges.
   */
  trustProxy: boolean | number | string[];
  /** OpenID Connect sign-in (ID-porten or any OpenID provider); undefined when OIDC_ISSUER is unset. */
  oidc: OidcConfig | undefined;
  /** The SQL sandbox (src/sql): per-query time and memory limits and how many queries run at once. */
  sql: { timeoutMs: number; memoryLimit: string; maxConcurrent: number };
  /** QUALITY_ALLOW_PRIVATE_URLS: let the metadata-quality URL check reach loopback/private addresses (closed networks). */
  qualityAllowPrivateUrls: boolean;
  /** Harvesting (src/interop/harvest): whether sources on private/loopback addresses are allowed, the largest document, the timeout. */
  harvest: { allowPrivate: boolean; maxBytes: number; timeoutMs: number };
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The lowest accepted `acr` (a key of ACR_LEVELS in src/identity/model.ts); undefined = not checked. */
  acrMin: string | undefined;
  scopes: string;
  /** The button's text on the sign-in page, e.g. "ID-porten" → "Logg inn med ID-porten". */
  label: string;
}

export interface ConfigKey {
  name: string;
  default: string;
  description: string;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'PORT', default: '3000', description: 'TCP port the HTTP server listens on.' },
  { name: 'HOST', default: '127.0.0.1', description: 'Interface to bind (0.0.0.0 to listen on all).' },
  { name: 'BASE_URL', default: 'http://localhost:PORT', description: 'Public URL of the platform; https turns on Secure cookies.' },
  { name: 'DATA_DIR', default: './data', description: 'Directory for the SQLite database, local blobs, DuckDB temp files.' },
  { name: 'DATABASE_URL', default: '(unset = SQLite in DATA_DIR)', description: 'postgres://… to keep metadata, sessions and jobs in PostgreSQL (jobs via pg-boss).' },
  { name: 'S3_ENDPOINT', default: '(unset)', description: 'S3-compatible endpoint URL; with S3_BUCKET set, files go to object storage instead of DATA_DIR/blobs.' },
  { name: 'S3_BUCKET', default: '(unset = local directory)', description: 'Bucket for files and table versions.' },
  { name: 'S3_REGION', default: 'us-east-1', description: 'Region sent to the S3 endpoint.' },
  { name: 'S3_ACCESS_KEY_ID', default: '(unset)', description: 'S3 access key id.' },
  { name: 'S3_SECRET_ACCESS_KEY', default: '(unset)', description: 'S3 secret access key.' },
  { name: 'S3_FORCE_PATH_STYLE', default: 'true', description: 'Use path-style bucket addressing (needed by most self-hosted S3 servers).' },
  { name: 'SMTP_URL', default: '(unset = outbox only)', description: 'smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 to deliver mail. Every mail is also written to DATA_DIR/mail/outbox as an .eml file and moved to DATA_DIR/mail/sent once the server accepts it; unset, mail stays in the outbox for the operator.' },
  { name: 'MAIL_FROM', default: 'Datafabrikken <no-reply@localhost>', description: 'Sender (From) of every mail the platform sends.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino log level: fatal, error, warn, info, debug, trace, silent.' },
  { name: 'LOG_FORMAT', default: 'auto', description: 'auto (readable lines on a terminal, JSON lines otherwise), pretty or json.' },
  { name: 'DUCKDB_MEMORY_LIMIT', default: '1GB', description: 'Memory limit for the DuckDB table engine.' },
  { name: 'DUCKDB_THREADS', default: '2', description: 'Threads DuckDB may use.' },
  { name: 'BODY_LIMIT', default: '1048576', description: 'Largest JSON or form body in bytes (larger gets 413).' },
  { name: 'UPLOAD_LIMIT', default: '1073741824', description: 'Largest file upload in bytes.' },
  { name: 'SEED_DEMO', default: 'true', description: 'Seed the demo catalogue of real Norwegian open data when the catalogue is empty.' },
  { name: 'REGISTRY_URL', default: 'https://data.brreg.no/enhetsregisteret/api', description: 'Base URL of Enhetsregisteret (Brønnøysundregistrene) for checking organisations; empty disables the API (the copy imported with `registry import` is used).' },
  { name: 'WORKER', default: 'true', description: 'Run the job worker inside `serve` (set false when running `datafabrikken worker` separately).' },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description: 'Trust X-Forwarded-For from a reverse proxy: false (none), true (any), a hop count, or a comma-separated list of proxy addresses/CIDRs (e.g. 10.0.0.0/8,127.0.0.1). Sign-in throttling uses the client address this yields.',
  },
  { name: 'OIDC_ISSUER', default: '(unset = off)', description: 'Issuer URL of an OpenID provider for sign-in (ID-porten: https://idporten.no, test: https://test.idporten.no); https, or http on a loopback address only. Redirect URI to register: BASE_URL/logg-inn/oidc/callback.' },
  { name: 'OIDC_CLIENT_ID', default: '(unset)', description: 'Client id registered at the OpenID provider (required with OIDC_ISSUER).' },
  { name: 'OIDC_CLIENT_SECRET', default: '(unset)', description: 'Client secret registered at the OpenID provider (sent as client_secret_post; required with OIDC_ISSUER).' },
  { name: 'OIDC_ACR_MIN', default: '(unset = not checked)', description: 'Lowest accepted level of assurance (`acr`): idporten-loa-substantial or idporten-loa-high (also low/substantial/high and the eIDAS URIs); sent as acr_values and checked on the ID token.' },
  { name: 'OIDC_SCOPES', default: 'openid profile email', description: 'Scopes asked for at sign-in (must include openid).' },
  { name: 'OIDC_LABEL', default: 'ID-porten', description: 'Name of the provider on the sign-in button ("Logg inn med …").' },
  { name: 'SQL_TIMEOUT_MS', default: '10000', description: 'Time limit of one SQL query (POST /api/v1/sql, /sql) in milliseconds; longer queries are interrupted (408).' },
  { name: 'SQL_MEMORY_LIMIT', default: '512MB', description: 'DuckDB memory limit of one SQL query (each runs in its own sandbox instance).' },
  { name: 'SQL_CONCURRENCY', default: '2', description: 'SQL queries that run at once; others wait up to SQL_TIMEOUT_MS for a slot, then get 503.' },
  { name: 'QUALITY_ALLOW_PRIVATE_URLS', default: 'false', description: 'Let the metadata-quality check of external distribution URLs reach loopback and private addresses (only for closed networks).' },
  { name: 'HARVEST_ALLOW_PRIVATE', default: 'false', description: 'Allow harvest sources on private, loopback and link-local addresses (closed networks, tests). Off, such sources are refused and reported on the run.' },
  { name: 'HARVEST_MAX_BYTES', default: '52428800', description: 'Largest document (or page) a harvest reads, in bytes; a larger one fails the run and nothing from it is imported.' },
  { name: 'HARVEST_TIMEOUT_MS', default: '60000', description: 'How long one harvest request may take (connect, headers and body), in milliseconds.' },
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${key} must be a whole number, got "${raw}"`);
  return n;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${env[key]}"`);
}

/** TRUST_PROXY: unset/false = off; true; a hop count; or a comma-separated list of IP addresses and CIDR ranges. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  const lower = raw.toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = net.isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (!family || !prefixOk || extra !== undefined) {
      throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of IP addresses/CIDRs, got "${entry}"`);
    }
  }
  return list;
}

function blankToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export const DEFAULT_REGISTRY_URL = 'https://data.brreg.no/enhetsregisteret/api';

/** Unset means the public registry; set but empty means disabled. */
function registryUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return DEFAULT_REGISTRY_URL;
  const v = raw.trim().replace(/\/+$/, '');
  if (v === '') return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`REGISTRY_URL must be an absolute http(s) URL or empty, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`REGISTRY_URL must be an absolute http(s) URL or empty, got "${raw}"`);
  return v;
}

/** Levels OIDC_ACR_MIN may name (the same as ACR_LEVELS in src/identity/model.ts, which a test keeps equal). */
export const OIDC_ACR_VALUES = ['idporten-loa-low', 'idporten-loa-substantial', 'idporten-loa-high', 'low', 'substantial', 'high', 'http://eidas.europa.eu/LoA/low', 'http://eidas.europa.eu/LoA/substantial', 'http://eidas.europa.eu/LoA/high'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function oidcConfig(env: Env): OidcConfig | undefined {
  const issuer = blankToUndefined(env.OIDC_ISSUER)?.replace(/\/+$/, '');
  if (!issuer) return undefined;
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new ConfigError(`OIDC_ISSUER must be an absolute URL, got "${issuer}"`);
  }
  if (!(u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname)))) {
    throw new ConfigError(`OIDC_ISSUER must be an https URL (http only on a loopback address), got "${issuer}"`);
  }
  const clientId = blankToUndefined(env.OIDC_CLIENT_ID);
  const clientSecret = blankToUndefined(env.OIDC_CLIENT_SECRET);
  if (!clientId || !clientSecret) throw new ConfigError('OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required when OIDC_ISSUER is set');
  const acrMin = blankToUndefined(env.OIDC_ACR_MIN);
  if (acrMin !== undefined && !OIDC_ACR_VALUES.includes(acrMin)) throw new ConfigError(`OIDC_ACR_MIN must be one of ${OIDC_ACR_VALUES.join(', ')}; got "${acrMin}"`);
  const scopes = (blankToUndefined(env.OIDC_SCOPES) ?? 'openid profile email').split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError('OIDC_SCOPES must include openid');
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) throw new ConfigError('OIDC_SCOPES must be scope names separated by spaces');
  const label = blankToUndefined(env.OIDC_LABEL) ?? 'ID-porten';
  // eslint-disable-next-line no-control-regex
  if (label.length > 60 || /[\u0000-\u001f\u007f]/.test(label)) throw new ConfigError('OIDC_LABEL must be a short name without control characters');
  return { issuer, clientId, clientSecret, acrMin, scopes: scopes.join(' '), label };
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const port = int(env, 'PORT', 3000);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`);
  const host = blankToUndefined(env.HOST) ?? '127.0.0.1';
  const baseUrl = (blankToUndefined(env.BASE_URL) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new ConfigError(`BASE_URL must be an absolute URL, got "${baseUrl}"`);
  }
  const databaseUrl = blankToUndefined(env.DATABASE_URL);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const bucket = blankToUndefined(env.S3_BUCKET);
  const s3: S3Config | undefined = bucket
    ? {
        endpoint: blankToUndefined(env.S3_ENDPOINT),
        bucket,
        region: blankToUndefined(env.S3_REGION) ?? 'us-east-1',
        accessKeyId: blankToUndefined(env.S3_ACCESS_KEY_ID),
        secretAccessKey: blankToUndefined(env.S3_SECRET_ACCESS_KEY),
        forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
      }
    : undefined;
  const logLevel = (blankToUndefined(env.LOG_LEVEL) ?? 'info').toLowerCase();
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${env.LOG_LEVEL}"`);
  }
  const logFormat = (blankToUndefined(env.LOG_FORMAT) ?? 'auto').toLowerCase();
  if (logFormat !== 'auto' && logFormat !== 'pretty' && logFormat !== 'json') {
    throw new ConfigError(`LOG_FORMAT must be auto, pretty or json, got "${env.LOG_FORMAT}"`);
  }
  const smtpUrl = blankToUndefined(env.SMTP_URL);
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl)) throw new ConfigError('SMTP_URL must start with smtp:// or smtps:// and name a host');
  const mailFrom = blankToUndefined(env.MAIL_FROM) ?? 'Datafabrikken <no-reply@localhost>';
  if (/[\r\n\0]/.test(mailFrom) || !/@/.test(mailFrom)) throw new ConfigError(`MAIL_FROM must be one address like "Name <user@host>", got "${mailFrom}"`);
  const threads = int(env, 'DUCKDB_THREADS', 2);
  const memoryLimit = blankToUndefined(env.DUCKDB_MEMORY_LIMIT) ?? '1GB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit)) {
    throw new ConfigError(`DUCKDB_MEMORY_LIMIT must look like 512MB or 2GB, got "${memoryLimit}"`);
  }
  const oidc = oidcConfig(env);
  const sqlMemoryLimit = blankToUndefined(env.SQL_MEMORY_LIMIT) ?? '512MB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(sqlMemoryLimit)) {
    throw new ConfigError(`SQL_MEMORY_LIMIT must look like 512MB or 2GB, got "${sqlMemoryLimit}"`);
  }
  const sqlTimeoutMs = int(env, 'SQL_TIMEOUT_MS', 10_000);
  if (sqlTimeoutMs < 100) throw new ConfigError(`SQL_TIMEOUT_MS must be at least 100, got ${sqlTimeoutMs}`);
  const config: Config = {
    port,
    host,
    baseUrl,
    dataDir: path.resolve(blankToUndefined(env.DATA_DIR) ?? './data'),
    databaseUrl,
    s3,
    smtpUrl,
    mailFrom,
    logLevel,
    logFormat,
    duckdb: { memoryLimit, threads: Math.max(1, threads) },
    bodyLimitBytes: int(env, 'BODY_LIMIT', 1024 * 1024),
    uploadLimitBytes: int(env, 'UPLOAD_LIMIT', 1024 * 1024 * 1024),
    seedDemo: bool(env, 'SEED_DEMO', true),
    registryUrl: registryUrl(env.REGISTRY_URL),
    runWorkerInProcess: bool(env, 'WORKER', true),
    secureCookies: baseUrl.startsWith('https://'),
    trustProxy: trustProxy(env),
    oidc,
    sql: { timeoutMs: sqlTimeoutMs, memoryLimit: sqlMemoryLimit, maxConcurrent: Math.max(1, int(env, 'SQL_CONCURRENCY', 2)) },
    qualityAllowPrivateUrls: bool(env, 'QUALITY_ALLOW_PRIVATE_URLS', false),
    harvest: { allowPrivate: bool(env, 'HARVEST_ALLOW_PRIVATE', false), maxBytes: Math.max(1024, int(env, 'HARVEST_MAX_BYTES', 50 * 1024 * 1024)), timeoutMs: Math.max(100, int(env, 'HARVEST_TIMEOUT_MS', 60_000)) },
  };
  return { ...config, ...overrides };
}
