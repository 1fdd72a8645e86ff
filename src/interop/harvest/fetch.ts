// Harvesting's view of the network: src/platform/http/safe-fetch.ts does the guarded request (http(s) only, no
// private addresses unless HARVEST_ALLOW_PRIVATE, redirects checked hop by hop, one timeout, a size cap that fails the
// body); this module turns its coded failures into HarvestFetchError messages fit for the run report.
import { PassThrough, type Readable } from 'node:stream';
import { isPrivateAddress } from '../../platform/http/address-policy';
import { checkFetchUrl, MAX_REDIRECTS, readBody, safeFetch, SafeFetchError } from '../../platform/http/safe-fetch';

export interface FetchPolicy {
  allowPrivate: boolean;
  maxBytes: number;
  timeoutMs: number;
}

export { MAX_REDIRECTS, isPrivateAddress };
const USER_AGENT = 'Datafabrikken-harvester/1 (+https://github.com/datafabrikken)';

export class HarvestFetchError extends Error {
  override name = 'HarvestFetchError';
}

function message(err: SafeFetchError, policy: Pick<FetchPolicy, 'maxBytes' | 'timeoutMs'>, rawUrl: string): string {
  const d = err.detail;
  switch (err.code) {
    case 'invalid_url':
      return `"${err.url}" is not a URL.`;
    case 'unsupported_scheme':
      return `Only http and https URLs are harvested, not ${d.scheme ?? 'this scheme'}`;
    case 'credentials_in_url':
      return 'URLs with user names or passwords are not harvested.';
    case 'private_address':
      return `Refusing to connect to ${d.host} (${d.address}): a private or loopback address. Set HARVEST_ALLOW_PRIVATE=true to allow it.`;
    case 'no_address':
      return `${d.host} has no address.`;
    case 'timeout':
      return `${err.url} did not answer within ${policy.timeoutMs} ms.`;
    case 'redirect_loop':
      return `Redirect loop at ${err.url}.`;
    case 'too_many_redirects':
      return `More than ${MAX_REDIRECTS} redirects from ${rawUrl}.`;
    case 'bad_redirect':
      return d.scheme ? `Only http and https URLs are harvested, not ${d.scheme}` : `${err.url} redirects to something that is not a URL.`;
    case 'too_large':
      return `${err.url} is larger than the limit of ${policy.maxBytes} bytes (HARVEST_MAX_BYTES); nothing from it was imported.`;
    case 'read_failed':
      return `Reading ${err.url} failed: ${d.cause ?? 'the connection broke'}`;
    case 'dns':
    case 'connection':
      return `Could not reach ${err.url}: ${d.cause ?? err.code}`;
  }
}

function translate(err: unknown, policy: FetchPolicy, rawUrl: string): unknown {
  return err instanceof SafeFetchError ? new HarvestFetchError(message(err, policy, rawUrl)) : err;
}

/** Whether a URL may be harvested under the policy (for validating a source when it is added); the message when not. */
export function urlProblem(raw: string, policy: Pick<FetchPolicy, 'allowPrivate'>): string | null {
  try {
    const u = checkFetchUrl(raw, policy.allowPrivate);
    if (!policy.allowPrivate && /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(u.hostname)) return `Refusing ${u.hostname}: a private or loopback address. Set HARVEST_ALLOW_PRIVATE=true to allow it.`;
    return null;
  } catch (err) {
    if (err instanceof SafeFetchError) return message(err, { maxBytes: 0, timeoutMs: 0 }, raw);
    return (err as Error).message;
  }
}

export interface FetchResponse {
  url: string; // after redirects
  status: number;
  contentType: string; // lower-case media type without parameters, '' when absent
  body: Readable; // capped at maxBytes; fails with HarvestFetchError past it
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  accept?: string;
}

/** One HTTP request under the policy, following redirects; the caller reads (or destroys) the body. */
export async function harvestFetch(rawUrl: string, policy: FetchPolicy, opts: RequestOptions = {}, signal?: AbortSignal): Promise<FetchResponse> {
  let res;
  try {
    res = await safeFetch(rawUrl, {
      allowPrivate: policy.allowPrivate,
      timeoutMs: policy.timeoutMs,
      maxBytes: policy.maxBytes,
      method: opts.method,
      headers: { accept: opts.accept ?? '*/*', ...opts.headers },
      body: opts.body,
      userAgent: USER_AGENT,
      signal,
    });
  } catch (err) {
    throw translate(err, policy, rawUrl);
  }
  // Errors on the body stream become harvest messages too (size cap, timeout, a broken connection).
  const body = res.body;
  const out = new PassThrough();
  body.on('error', (e) => out.destroy(translate(e, policy, rawUrl) as Error));
  out.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return { url: res.url, status: res.status, contentType: res.contentType, body: out };
}

/** Reads a (capped) body as UTF-8 text. */
export async function readText(body: Readable): Promise<string> {
  return (await readBody(body)).toString('utf8');
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
