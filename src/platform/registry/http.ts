// The Enhetsregisteret open API over HTTP: GET {base}/enheter/{orgnr}, and {base}/underenheter/{orgnr} when the number
// is not a main unit. 404 on both is "not found"; 410 Gone (how the API answers for removed units) or a record with
// slettedato is "deleted". Anything else that keeps a clear answer from us — DNS failure, refused connection, timeout,
// a 5xx, a body that is not JSON or is larger than the cap — is "unavailable", so the caller can fall back.
import type { Registry, RegistryLookup } from './index';
import { mapRegistryRecord } from './record';

type Answer = { status: number; body: unknown } | { unavailable: string };

async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createHttpRegistry(opts: { baseUrl: string; timeoutMs: number; maxBytes: number }): Registry {
  const base = opts.baseUrl.replace(/\/+$/, '');

  async function get(path: string): Promise<Answer> {
    let res: Response;
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
      res = await fetch(`${base}${path}`, { headers: { accept: 'application/json' }, redirect: 'error', signal });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { unavailable: e.name === 'TimeoutError' ? 'timeout' : `unreachable${e.cause?.code ? ` (${e.cause.code})` : ''}` };
    }
    let bodyText: string | undefined;
    try {
      bodyText = await readCapped(res, opts.maxBytes);
    } catch (err) {
      return { unavailable: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable (body)' };
    }
    if (bodyText === undefined) return { unavailable: 'response_too_large' };
    if (res.status >= 500) return { unavailable: `http_${res.status}` };
    if (res.status === 404) return { status: 404, body: undefined };
    let body: unknown;
    try {
      body = bodyText === '' ? undefined : JSON.parse(bodyText);
    } catch {
      if (res.status === 410) return { status: 410, body: undefined };
      return { unavailable: 'malformed_json' };
    }
    return { status: res.status, body };
  }

  function interpret(orgnr: string, answer: Answer, kind: 'enhet' | 'underenhet'): RegistryLookup | 'not_found' {
    if ('unavailable' in answer) return { kind: 'unavailable', reason: answer.unavailable };
    if (answer.status === 404) return 'not_found';
    if (answer.status === 410) {
      const b = answer.body as { slettedato?: unknown } | undefined;
      return { kind: 'deleted', orgnr, deletedAt: typeof b?.slettedato === 'string' ? b.slettedato : null };
    }
    if (answer.status !== 200) return { kind: 'unavailable', reason: `http_${answer.status}` };
    const mapped = mapRegistryRecord(answer.body, kind);
    if ('problem' in mapped) return { kind: 'unavailable', reason: `malformed_record (${mapped.problem})` };
    if (mapped.unit.orgnr !== orgnr) return { kind: 'unavailable', reason: 'malformed_record (other orgnr)' };
    if (mapped.unit.status === 'deleted') return { kind: 'deleted', orgnr, deletedAt: mapped.unit.deletedAt };
    return { kind: 'found', unit: mapped.unit };
  }

  return {
    enabled: true,
    async lookup(orgnr) {
      if (!/^\d{9}$/.test(orgnr)) return { kind: 'not_found', orgnr };
      const main = interpret(orgnr, await get(`/enheter/${orgnr}`), 'enhet');
      if (main !== 'not_found') return main;
      const sub = interpret(orgnr, await get(`/underenheter/${orgnr}`), 'underenhet');
      return sub === 'not_found' ? { kind: 'not_found', orgnr } : sub;
    },
  };
}
