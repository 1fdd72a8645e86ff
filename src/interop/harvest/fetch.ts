// The one way harvesting reaches the network. Every request:
// - goes to http(s) only, and never to a private, loopback, link-local or otherwise internal address unless the
//   configuration allows it (HARVEST_ALLOW_PRIVATE, for tests and closed networks). The check runs on the address the
//   socket actually connects to (a `lookup` hook), so a name that resolves differently the second time (DNS
//   rebinding) cannot slip past; IP literals are checked before connecting;
// - follows at most MAX_REDIRECTS redirects, each hop checked again, and refuses a loop;
// - gives up after the timeout (connect + headers + body as a whole);
// - streams the body through a byte counter that aborts past the size cap, so a 100 MB answer never sits in memory.
// Failures are HarvestFetchError with a message fit for the run report.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPrivateAddress } from '../../platform/http/address-policy';
import { PassThrough, Transform, type Readable } from 'node:stream';

export interface FetchPolicy {
  allowPrivate: boolean;
  maxBytes: number;
  timeoutMs: number;
}

export const MAX_REDIRECTS = 5;
const USER_AGENT = 'Datafabrikken-harvester/1 (+https://github.com/datafabrikken)';

export class HarvestFetchError extends Error {
  override name = 'HarvestFetchError';
}

export { isPrivateAddress };

function privateRefused(host: string, address: string): HarvestFetchError {
  return new HarvestFetchError(`Refusing to connect to ${host} (${address}): a private or loopback address. Set HARVEST_ALLOW_PRIVATE=true to allow it.`);
}

function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && bad) return callback(privateRefused(hostname, bad.address), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new HarvestFetchError(`${hostname} has no address.`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

export interface FetchResponse {
  url: string; // after redirects
  status: number;
  contentType: string; // lower-case media type without parameters, '' when absent
  body: Readable; // capped at maxBytes
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  accept?: string;
}

function checkUrl(raw: string, policy: FetchPolicy): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HarvestFetchError(`"${raw.slice(0, 200)}" is not a URL.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HarvestFetchError(`Only http and https URLs are harvested, not ${u.protocol}`);
  if (u.username || u.password) throw new HarvestFetchError('URLs with user names or passwords are not harvested.');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !policy.allowPrivate && isPrivateAddress(host)) throw privateRefused(host, host);
  return u;
}

/** Whether a URL may be harvested under the policy (for validating a source when it is added); the message when not. */
export function urlProblem(raw: string, policy: Pick<FetchPolicy, 'allowPrivate'>): string | null {
  try {
    const u = checkUrl(raw, { ...policy, maxBytes: 0, timeoutMs: 0 });
    if (!policy.allowPrivate && /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(u.hostname)) return `Refusing ${u.hostname}: a private or loopback address. Set HARVEST_ALLOW_PRIVATE=true to allow it.`;
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function capped(maxBytes: number, url: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) cb(new HarvestFetchError(`${url} is larger than the limit of ${maxBytes} bytes (HARVEST_MAX_BYTES); nothing from it was imported.`));
      else cb(null, chunk);
    },
  });
}

/** One HTTP request under the policy, following redirects; the caller reads (or destroys) the body. */
export async function harvestFetch(rawUrl: string, policy: FetchPolicy, opts: RequestOptions = {}, signal?: AbortSignal): Promise<FetchResponse> {
  // One timer and controller per request, cleared when the body is done (AbortSignal.timeout/any would keep every
  // page's response reachable until the timeout fires: memory grew with the number of pages in bench/harvest.ts).
  const controller = new AbortController();
  const combined = controller.signal;
  const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
  const onOuter = () => controller.abort();
  signal?.addEventListener('abort', onOuter, { once: true });
  const cleanup = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onOuter);
  };
  try {
    return await follow(rawUrl, policy, opts, combined, cleanup);
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function follow(rawUrl: string, policy: FetchPolicy, opts: RequestOptions, combined: AbortSignal, cleanup: () => void): Promise<FetchResponse> {
  const seen = new Set<string>();
  let url = checkUrl(rawUrl, policy);
  for (let hop = 0; ; hop++) {
    if (seen.has(url.href)) throw new HarvestFetchError(`Redirect loop at ${url.href}.`);
    seen.add(url.href);
    const res = await requestOnce(url, policy, opts, combined);
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new HarvestFetchError(`More than ${MAX_REDIRECTS} redirects from ${rawUrl}.`);
      url = checkUrl(new URL(res.headers.location, url).href, policy);
      continue;
    }
    const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > policy.maxBytes) {
      res.destroy();
      throw new HarvestFetchError(`${url.href} is larger than the limit of ${policy.maxBytes} bytes (HARVEST_MAX_BYTES); nothing from it was imported.`);
    }
    const body = new PassThrough();
    const cap = capped(policy.maxBytes, url.href);
    const onAbort = () => {
      const e = new HarvestFetchError(`${url.href} did not answer within ${policy.timeoutMs} ms.`);
      res.destroy(e);
      body.destroy(e);
    };
    combined.addEventListener('abort', onAbort, { once: true });
    res.on('error', (e) => body.destroy(e instanceof HarvestFetchError ? e : new HarvestFetchError(`Reading ${url.href} failed: ${e.message}`)));
    cap.on('error', (e) => {
      res.destroy();
      body.destroy(e);
    });
    body.on('close', () => {
      combined.removeEventListener('abort', onAbort);
      cleanup();
    });
    res.pipe(cap).pipe(body);
    return { url: url.href, status: res.statusCode ?? 0, contentType, body };
  }
}

function requestOnce(url: URL, policy: FetchPolicy, opts: RequestOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new HarvestFetchError(`${url.href} did not answer within ${policy.timeoutMs} ms.`));
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: opts.accept ?? '*/*', 'accept-encoding': 'identity', ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    // A fresh connection per request (agent: false): a kept-alive socket the server closed while we were switching a
    // large run would fail the next page with ECONNRESET, and pages are few and large anyway.
    const req = lib.request(url, { method: opts.method ?? 'GET', headers, lookup: guardedLookup(policy.allowPrivate), signal, agent: false }, (res) => resolve(res));
    req.on('error', (err) => {
      if (err instanceof HarvestFetchError) return reject(err);
      if (signal.aborted || err.name === 'AbortError') return reject(new HarvestFetchError(`${url.href} did not answer within ${policy.timeoutMs} ms.`));
      reject(new HarvestFetchError(`Could not reach ${url.href}: ${err.message}`));
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Reads a (capped) body as UTF-8 text. */
export async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON answer, or says clearly what came instead (an HTML error page, a status). */
export async function fetchJson(url: string, policy: FetchPolicy, opts: RequestOptions = {}, signal?: AbortSignal): Promise<unknown> {
  const res = await harvestFetch(url, policy, { accept: 'application/json', ...opts }, signal);
  if (res.status < 200 || res.status >= 300) {
    res.body.resume();
    throw new HarvestFetchError(`${res.url} answered HTTP ${res.status}.`);
  }
  const text = await readText(res.body);
  if (!/json/.test(res.contentType) && !/^\s*[[{]/.test(text)) throw new HarvestFetchError(`${res.url} answered ${res.contentType || 'something'} , not JSON.`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HarvestFetchError(`${res.url} answered ${res.contentType || 'text'} that is not valid JSON.`);
  }
}
