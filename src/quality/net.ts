// The URL check of the quality job: does an external access/download URL answer 2xx? Hand-written on node:http(s)
// because the check must refuse private and loopback addresses at connect time (a custom DNS `lookup`, so a name that
// resolves to 127.0.0.1 or 10.x is refused even if it changes between check and connect), follow redirects itself
// (each hop checked again, at most MAX_REDIRECTS), stop after a timeout and read at most `maxBytes` of the body. No
// helper for this existed in the project (src/identifiers/url.ts only checks the shape of a URL, which we reuse).
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPrivateAddress } from '../platform/http/address-policy';
import { isHttpUrl } from '../identifiers/url';
import type { UrlCheck } from './model';

export const MAX_REDIRECTS = 5;

export interface CheckOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Allow loopback/private/link-local targets (tests, closed networks); off by default. */
  allowPrivate: boolean;
  now?: () => Date;
}

export { isPrivateAddress };

class Refused extends Error {}

function safeLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !allowPrivate && isPrivateAddress(a.address));
      if (bad || list.length === 0) return callback(new Refused('private_address'), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

interface Hop {
  status: number;
  location: string | null;
  contentType: string | null;
  body: Buffer;
  truncated: boolean;
}

function get(url: URL, opts: CheckOptions, deadline: number): Promise<Hop> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    // A literal IP address skips the lookup: check it here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host) && !opts.allowPrivate && isPrivateAddress(host)) return reject(new Refused('private_address'));
    const remaining = Math.max(1, deadline - Date.now());
    const req = lib.get(url, { lookup: safeLookup(opts.allowPrivate), headers: { 'user-agent': 'Datafabrikken-quality-check/1', accept: '*/*' }, timeout: remaining }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, location: typeof res.headers.location === 'string' ? res.headers.location : null, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks), truncated });
      };
      res.on('data', (c: Buffer) => {
        if (truncated) return;
        size += c.length;
        if (size > opts.maxBytes) {
          truncated = true;
          chunks.push(c.subarray(0, Math.max(0, opts.maxBytes - (size - c.length))));
          res.destroy();
          done();
          return;
        }
        chunks.push(c);
      });
      res.on('end', done);
      res.on('error', (e) => (truncated ? undefined : reject(e)));
    });
    const timer = setTimeout(() => req.destroy(new Refused('timeout')), remaining);
    req.on('timeout', () => req.destroy(new Refused('timeout')));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** JSON and CSV bodies read whole: do they parse? Anything else (or a truncated body): unknown. */
function syntaxOf(contentType: string | null, body: Buffer, truncated: boolean): boolean | null {
  if (truncated || !contentType) return null;
  const mt = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const text = () => new TextDecoder('utf-8', { fatal: true }).decode(body);
  try {
    if (mt === 'application/json' || mt.endsWith('+json')) {
      JSON.parse(text());
      return true;
    }
    if (mt === 'text/csv') return text().trim().length > 0;
  } catch {
    return false;
  }
  return null;
}

/** Checks one URL. Never throws: every failure is a result with `ok: false` and a short error code. */
export async function checkUrl(raw: string, opts: CheckOptions): Promise<UrlCheck> {
  const checkedAt = (opts.now?.() ?? new Date()).toISOString();
  const fail = (error: string, status: number | null = null): UrlCheck => ({ ok: false, status, contentType: null, syntaxValid: null, error, checkedAt });
  if (!isHttpUrl(raw)) return fail('invalid_url');
  const deadline = Date.now() + opts.timeoutMs;
  let url = new URL(raw);
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (seen.has(url.href)) return fail('redirect_loop');
    seen.add(url.href);
    let res: Hop;
    try {
      res = await get(url, opts, deadline);
    } catch (err) {
      if (err instanceof Refused) return fail(err.message);
      if (Date.now() >= deadline) return fail('timeout');
      const code = (err as NodeJS.ErrnoException).code;
      return fail(code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'connection');
    }
    if (res.status >= 300 && res.status < 400 && res.location) {
      let next: URL;
      try {
        next = new URL(res.location, url);
      } catch {
        return fail('bad_redirect', res.status);
      }
      if (!isHttpUrl(next.href)) return fail('bad_redirect', res.status);
      url = next;
      continue;
    }
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, contentType: res.contentType, syntaxValid: ok ? syntaxOf(res.contentType, res.body, res.truncated) : null, error: ok ? null : 'status', checkedAt };
  }
  return fail('too_many_redirects');
}
