// The one way the platform reaches other servers (harvesting, Data Package URL import, the quality job's URL check).
// Hand-written on node:http(s) because every request must:
// - go to http(s) only, with no user name or password in the URL;
// - never reach a private, loopback, link-local or otherwise internal address unless the caller allows it (tests and
//   closed networks). The check runs on the address the socket actually connects to (a `lookup` hook), so a name that
//   resolves differently the second time (DNS rebinding) cannot slip past; IP literals are checked before connecting;
// - follow at most MAX_REDIRECTS redirects itself, each hop checked again, refusing a loop;
// - give up after one timeout for connect + headers + body as a whole;
// - stream the body through a byte counter that either fails (`overLimit: 'error'`) or stops reading
//   (`overLimit: 'truncate'`) past the cap, so a 100 MB answer never sits in memory.
// fetch()/undici offers none of the connect-time address check, so it is not used here.
// Failures are SafeFetchError with a code (and the facts behind it); callers turn codes into their own messages.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { isPrivateAddress } from './address-policy';

export const MAX_REDIRECTS = 5;

export type SafeFetchCode =
  | 'invalid_url'
  | 'unsupported_scheme'
  | 'credentials_in_url'
  | 'private_address'
  | 'no_address'
  | 'dns'
  | 'connection'
  | 'timeout'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'too_large'
  | 'read_failed';

export class SafeFetchError extends Error {
  override name = 'SafeFetchError';
  constructor(
    readonly code: SafeFetchCode,
    /** The URL the failure concerns (after redirects, where known). */
    readonly url: string,
    readonly detail: { host?: string; address?: string; scheme?: string; cause?: string; status?: number } = {},
  ) {
    super(`${code}: ${url}${detail.cause ? ` (${detail.cause})` : ''}`);
  }
}

export interface SafeFetchOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
  /** 'error' (default): the body stream fails with too_large past maxBytes; 'truncate': it ends there, `truncated` is set. */
  overLimit?: 'error' | 'truncate';
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  userAgent: string;
  signal?: AbortSignal;
}

export interface SafeFetchResponse {
  url: string; // after redirects
  status: number;
  /** Lower-case media type without parameters, '' when absent. */
  contentType: string;
  /** The Content-Type header as sent, or null. */
  rawContentType: string | null;
  body: Readable;
  /** Whether the body was cut at maxBytes ('truncate' mode); final once the body has ended. */
  truncated(): boolean;
}

/** Checks the shape of a URL under the policy (scheme, credentials, literal private address); throws SafeFetchError. */
export function checkFetchUrl(raw: string, allowPrivate: boolean): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SafeFetchError('invalid_url', raw.slice(0, 200));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SafeFetchError('unsupported_scheme', u.href, { scheme: u.protocol });
  if (u.username || u.password) throw new SafeFetchError('credentials_in_url', `${u.protocol}//${u.host}${u.pathname}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !allowPrivate && isPrivateAddress(host)) throw new SafeFetchError('private_address', u.href, { host, address: host });
  return u;
}

function guardedLookup(allowPrivate: boolean, url: () => string): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && bad) return callback(new SafeFetchError('private_address', url(), { host: hostname, address: bad.address }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new SafeFetchError('no_address', url(), { host: hostname }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One request under the policy, following redirects; the caller reads (or destroys) the body. */
export async function safeFetch(rawUrl: string, opts: SafeFetchOptions): Promise<SafeFetchResponse> {
  // One timer and controller per request, cleared when the body is done (AbortSignal.timeout/any would keep every
  // response reachable until the timeout fires: memory grew with the number of pages in bench/harvest.ts).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  const onOuter = () => controller.abort();
  opts.signal?.addEventListener('abort', onOuter, { once: true });
  const cleanup = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuter);
  };
  try {
    return await follow(rawUrl, opts, controller.signal, cleanup);
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function follow(rawUrl: string, opts: SafeFetchOptions, signal: AbortSignal, cleanup: () => void): Promise<SafeFetchResponse> {
  const seen = new Set<string>();
  let url = checkFetchUrl(rawUrl, opts.allowPrivate);
  for (let hop = 0; ; hop++) {
    if (seen.has(url.href)) throw new SafeFetchError('redirect_loop', url.href);
    seen.add(url.href);
    const res = await requestOnce(url, opts, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new SafeFetchError('too_many_redirects', rawUrl);
      let next: URL;
      try {
        next = new URL(res.headers.location, url);
      } catch {
        throw new SafeFetchError('bad_redirect', url.href, { status });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new SafeFetchError('bad_redirect', url.href, { status, scheme: next.protocol });
      url = checkFetchUrl(next.href, opts.allowPrivate);
      continue;
    }
    const rawContentType = res.headers['content-type'] ?? null;
    const contentType = (rawContentType ?? '').split(';')[0]!.trim().toLowerCase();
    const truncate = opts.overLimit === 'truncate';
    const declared = Number(res.headers['content-length']);
    if (!truncate && Number.isFinite(declared) && declared > opts.maxBytes) {
      res.destroy();
      throw new SafeFetchError('too_large', url.href);
    }
    const href = url.href;
    const body = new PassThrough();
    let truncated = false;
    let seenBytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        if (truncated) return cb();
        seenBytes += chunk.length;
        if (seenBytes <= opts.maxBytes) return cb(null, chunk);
        if (!truncate) return cb(new SafeFetchError('too_large', href));
        truncated = true;
        const keep = chunk.subarray(0, Math.max(0, opts.maxBytes - (seenBytes - chunk.length)));
        this.push(keep);
        this.push(null);
        res.destroy();
        cb();
      },
    });
    const onAbort = () => {
      const e = new SafeFetchError('timeout', href);
      res.destroy(e);
      body.destroy(e);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('error', (e) => {
      if (truncated) return;
      body.destroy(e instanceof SafeFetchError ? e : new SafeFetchError('read_failed', href, { cause: e.message }));
    });
    cap.on('error', (e) => {
      res.destroy();
      body.destroy(e);
    });
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      cleanup();
    };
    body.on('close', done);
    body.on('end', done);
    res.pipe(cap).pipe(body);
    return { url: href, status, contentType, rawContentType, body, truncated: () => truncated };
  }
}

function requestOnce(url: URL, opts: SafeFetchOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new SafeFetchError('timeout', url.href));
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': opts.userAgent, accept: '*/*', 'accept-encoding': 'identity', ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    // A fresh connection per request (agent: false): a kept-alive socket the server closed in the meantime would fail
    // the next request with ECONNRESET, and these requests are few and large anyway.
    const req = lib.request(url, { method: opts.method ?? 'GET', headers, lookup: guardedLookup(opts.allowPrivate, () => url.href), signal, agent: false }, (res) => resolve(res));
    req.on('error', (err) => {
      if (err instanceof SafeFetchError) return reject(err);
      if (signal.aborted || err.name === 'AbortError') return reject(new SafeFetchError('timeout', url.href));
      const code = (err as NodeJS.ErrnoException).code;
      reject(new SafeFetchError(code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'connection', url.href, { cause: err.message }));
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Reads a body whole (it is capped by safeFetch). */
export async function readBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
