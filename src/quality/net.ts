// The URL check of the quality job: does an external access/download URL answer 2xx? The request itself is
// src/platform/http/safe-fetch.ts (private and loopback addresses refused at connect time, redirects followed and
// checked hop by hop, one timeout, at most `maxBytes` of the body read); this module turns its answer into a UrlCheck.
import { isPrivateAddress } from '../platform/http/address-policy';
import { MAX_REDIRECTS, readBody, safeFetch, SafeFetchError } from '../platform/http/safe-fetch';
import { isHttpUrl } from '../identifiers/url';
import type { UrlCheck } from './model';

export { MAX_REDIRECTS, isPrivateAddress };

export interface CheckOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Allow loopback/private/link-local targets (tests, closed networks); off by default. */
  allowPrivate: boolean;
  now?: () => Date;
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
  try {
    const res = await safeFetch(raw, { allowPrivate: opts.allowPrivate, timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes, overLimit: 'truncate', userAgent: 'Datafabrikken-quality-check/1' });
    const ok = res.status >= 200 && res.status < 300;
    if (!ok) {
      res.body.destroy();
      return { ok, status: res.status, contentType: res.rawContentType, syntaxValid: null, error: 'status', checkedAt };
    }
    const body = await readBody(res.body);
    return { ok, status: res.status, contentType: res.rawContentType, syntaxValid: syntaxOf(res.rawContentType, body, res.truncated()), error: null, checkedAt };
  } catch (err) {
    if (!(err instanceof SafeFetchError)) return fail('connection');
    switch (err.code) {
      case 'private_address':
      case 'no_address':
        return fail('private_address');
      case 'redirect_loop':
      case 'too_many_redirects':
      case 'timeout':
      case 'dns':
        return fail(err.code);
      case 'bad_redirect':
        return fail('bad_redirect', err.detail.status ?? null);
      case 'invalid_url':
      case 'unsupported_scheme':
      case 'credentials_in_url':
        return fail('invalid_url');
      default:
        return fail('connection');
    }
  }
}
