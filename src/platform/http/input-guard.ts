// Input checks that hold for every route, run once in a preValidation hook (before schema validation and before any
// handler), so no route can forget them:
//   - NUL characters anywhere in the path, query or a parsed body: PostgreSQL refuses them in text ("invalid byte
//     sequence"), which would otherwise surface as a 500 deep inside a query. SQLite would store them silently.
//   - lone UTF-16 surrogates (from JSON "\ud800" escapes): they cannot be encoded as UTF-8 and would be replaced by
//     U+FFFD on the way to the database, silently changing the data.
//   - whole-number query and path parameters: Ajv's type coercion turns "1e3" into 1000, "0x10" into 16 and
//     " 5" into 5. Every parameter whose schema says `integer` must be written as plain decimal digits and stay within
//     the range where JavaScript numbers are exact. The routes' schemas are read once at registration (onRoute).
//   - an overlong URL (query string), refused with 414 before anything parses it further.
//   - a multipart/form-data request without a usable boundary (RFC 2046: 1–70 characters), which the multipart parser
//     would otherwise report as an untyped error from inside a handler.
// Each refusal is a 400 `invalid_request` with `details.problems[]` naming the field, like schema errors.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { DomainError } from '../../errors';

export const MAX_URL_LENGTH = 8192;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const WHOLE_NUMBER = /^-?[0-9]{1,16}$/;
/** How deep a parsed body is walked; deeper structures are refused rather than skipped. */
const MAX_DEPTH = 32;

interface Problem {
  field: string;
  code: string;
  message: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Names of `integer` query parameters and path parameters, filled in by the input guard at registration. */
    wholeNumbers?: { querystring: string[]; params: string[] };
  }
}

function isIntegerSchema(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  const s = schema as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[] };
  if (s.type === 'integer' || (Array.isArray(s.type) && s.type.includes('integer'))) return true;
  return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].some(isIntegerSchema);
}

function integerProperties(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!props || typeof props !== 'object') return [];
  return Object.entries(props)
    .filter(([, s]) => isIntegerSchema(s))
    .map(([name]) => name);
}

function textProblem(value: string, field: string): Problem | undefined {
  if (value.includes('\u0000')) return { field, code: 'nul_character', message: `${field} contains a NUL character (U+0000), which is not allowed.` };
  if (LONE_SURROGATE.test(value)) return { field, code: 'invalid_unicode', message: `${field} contains an unpaired UTF-16 surrogate, which is not valid text.` };
  return undefined;
}

/** The first bad string in a parsed value (keys included), as a problem naming its JSON-pointer-like path. */
function findTextProblem(value: unknown, field: string, depth = 0): Problem | undefined {
  if (typeof value === 'string') return textProblem(value, field);
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return { field, code: 'too_deep', message: `${field} is nested more than ${MAX_DEPTH} levels deep.` };
  if (Buffer.isBuffer(value)) return undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = `${field}/${k}`;
    const p = textProblem(k, name) ?? findTextProblem(v, name, depth + 1);
    if (p) return p;
  }
  return undefined;
}

function wholeNumberProblem(part: 'querystring' | 'params', name: string, value: unknown): Problem | undefined {
  for (const one of Array.isArray(value) ? value : [value]) {
    if (typeof one !== 'string') continue;
    const field = `${part}/${name}`;
    if (!WHOLE_NUMBER.test(one) || !Number.isSafeInteger(Number(one))) {
      return { field, code: 'not_a_whole_number', message: `${field} must be a whole number written in digits (like 20), got "${one.slice(0, 40)}".` };
    }
  }
  return undefined;
}

function reject(problem: Problem): DomainError {
  return new DomainError(400, 'invalid_request', problem.message, { problems: [problem] }, { field: problem.field });
}

/** The boundary parameter of a multipart content type, if it is one RFC 2046 allows. */
function multipartBoundaryOk(contentType: string): boolean {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  return Boolean(m && (m[1] ?? m[2]));
}

/** Checks one request; throws a 400 (or 414) DomainError for the first problem. Exported for unit tests. */
export function checkRequestInput(request: FastifyRequest): void {
  if (request.url.length > MAX_URL_LENGTH) throw new DomainError(414, 'uri_too_long', `The URL is longer than ${MAX_URL_LENGTH} characters.`);
  const contentType = request.headers['content-type'] ?? '';
  if (/^\s*multipart\//i.test(contentType) && !multipartBoundaryOk(contentType)) {
    throw new DomainError(400, 'invalid_multipart', 'A multipart/form-data body needs a boundary parameter of 1–70 characters in its Content-Type.');
  }
  let path: string;
  try {
    path = decodeURIComponent(request.url.split('?')[0] ?? '');
  } catch {
    path = request.url;
  }
  const problem =
    textProblem(path, 'path') ??
    findTextProblem(request.params, 'params') ??
    findTextProblem(request.query, 'querystring') ??
    (request.body !== undefined ? findTextProblem(request.body, 'body') : undefined);
  if (problem) throw reject(problem);
  const whole = request.routeOptions.config?.wholeNumbers;
  if (!whole) return;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const name of whole.querystring) {
    const p = name in query ? wholeNumberProblem('querystring', name, query[name]) : undefined;
    if (p) throw reject(p);
  }
  for (const name of whole.params) {
    const p = name in params ? wholeNumberProblem('params', name, params[name]) : undefined;
    if (p) throw reject(p);
  }
}

/** Registers the guard on the app (call before any route is registered, so onRoute sees them all). */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as { querystring?: unknown; params?: unknown } | undefined;
    const querystring = integerProperties(schema?.querystring);
    const params = integerProperties(schema?.params);
    if (querystring.length || params.length) route.config = { ...(route.config ?? {}), wholeNumbers: { querystring, params } };
  });
  app.addHook('preValidation', async (request) => checkRequestInput(request));
}
