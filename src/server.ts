// Builds the Fastify app: logging with request ids, body limits, schema validation that rejects unknown fields,
// security headers (helmet: CSP, HSTS on https, nosniff), the input guard (NUL, surrogates, whole numbers), the
// actor/language/CSRF hooks, no-store caching, one error handler for JSON and HTML, static assets, and each domain in
// one line.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifySchema, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { accountsApi } from './accounts/api';
import { accountsPages, refreshSessionCookie } from './accounts/pages';
import { catalogApi } from './catalog/api';
import { catalogPages } from './catalog/pages';
import { competenceApi } from './competence/api';
import { competencePages } from './competence/pages';
import { TOKEN_PREFIX } from './accounts/service';
import { DomainError, ValidationError } from './errors';
import { dcatRoutes } from './interop/dcat/api';
import { dataPackageApi, dataPackagePages } from './interop/datapackage/api';
import { dataPackageImportPages } from './interop/datapackage/pages';
import { organisationsApi } from './organisations/api';
import { organisationsPages } from './organisations/pages';
import { registerInputGuard } from './platform/http/input-guard';
import { jobsApi } from './platform/jobs/api';
import { loggablePath } from './platform/log';
import type { Services } from './services';
import { tablesApi } from './tables/api';
import { tablesPages } from './tables/pages';
import { CSRF_FIELD, CSRF_HEADER, csrfMatches, ensureCsrfToken, resolveLocale, sameOriginProof } from './web/context';
import { homePages } from './web/home';
import { apiDocsPages } from './web/api-docs';
import { sendErrorPage } from './web/error-page';
import { wizardApi } from './wizard/api';
import { wizardPages } from './wizard/pages';
import { datasetAssessmentApi } from './wizard/dataset-api';
import { datasetAssessmentPages } from './wizard/dataset-pages';
import { ckanApi } from './interop/ckan/api';
import { consentApi } from './consent/api';
import { consentPages } from './consent/pages';
import { identityApi } from './identity/api';
import { identityPages } from './identity/pages';
import { accessRequestsApi } from './access-requests/api';
import { accessRequestsPages } from './access-requests/pages';
import { notificationCountHook } from './notifications/service';
import { sqlApi } from './sql/api';
import { sqlPages } from './sql/pages';
import { qualityApi } from './quality/api';
import { dataApi } from './data-api/api';
import { searchApi } from './search/api';
import { searchPages } from './search/pages';
import { harvestApi } from './interop/harvest/api';
import { harvestPages } from './interop/harvest/pages';
import { workbenchApi } from './workbench/api';
import { workbenchPages } from './workbench/pages';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The error shape every /api/v1 error has, for the OpenAPI document. */
const ERROR_RESPONSE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
    },
  },
};

/**
 * @fastify/swagger's per-route transform: an operationId from the method and path when the route names none
 * (`GET /api/v1/datasets/{id}/tables` → `getDatasetsIdTables`), and the 4XX error response every route can give
 * (bad input 400, 401/403 for credentials, 404, 409/422 for rules) where the route lists none.
 */
function documentOperation(args: { schema: FastifySchema; url: string; route: { method: string | string[] } }): { schema: FastifySchema; url: string } {
  const { url, route } = args;
  const schema = args.schema as Record<string, unknown> | undefined;
  if (!schema || schema.hide) return { schema: args.schema, url };
  const method = (Array.isArray(route.method) ? route.method[0]! : route.method).toLowerCase();
  const words = url
    .replace(/^\/api\/v1/, '')
    .split(/[/.:{}-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  const response = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  if (!Object.keys(response).some((k) => /^4/.test(k))) response['4XX'] = { description: 'An error: `{ "error": { "code", "message", "details" } }`.', ...ERROR_RESPONSE };
  const operationId = typeof schema.operationId === 'string' ? schema.operationId : `${method}${words.join('')}`;
  return { schema: { ...schema, operationId, response } as FastifySchema, url };
}

export interface AppOptions {
  services: Services;
  logger: Logger;
}

export const API_PREFIX = '/api/v1';

function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

function isStatic(request: FastifyRequest): boolean {
  return request.url.startsWith('/static/');
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Only Bearer credentials (and the bare `df_…` token CKAN clients send) are ours to judge. Any other scheme — a
 * reverse proxy's `Basic` login in front of a staging site, say — is not meant for us and is ignored, so pages and
 * the API behave as without the header. A malformed Bearer header is still refused with 401 by the accounts service.
 */
export function ownAuthorization(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^bearer(\s|$)/i.test(value) || value.startsWith(TOKEN_PREFIX)) return value;
  return undefined;
}

/**
 * The Content-Security-Policy of every response: our own CSS and (should there ever be any) script files only.
 * `formActions`: further origins forms may lead to — the OpenID provider, since the sign-in button's POST redirects
 * there (src/identity).
 */
export function contentSecurityPolicy(https: boolean, formActions?: () => string[]): Record<string, (string | (() => string))[]> {
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'form-action': ["'self'", ...(formActions ? [() => formActions().join(' ') || "'self'"] : [])],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

const csrfFailed = () => new DomainError(403, 'csrf_failed', 'The form was missing a valid CSRF token. Reload the page and try again.');

export async function buildApp({ services, logger }: AppOptions): Promise<FastifyInstance> {
  const config = services.platform.config;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Off unless TRUST_PROXY says which proxies to believe: otherwise anyone could pick their own request.ip.
    // (A hop count is supported by Fastify at runtime — "trust the nth hop" — but missing from its types.)
    trustProxy: config.trustProxy as boolean | string[],
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // Fastify's own request lines log the full URL (query strings carry tokens and verification links) and every
    // stylesheet fetch; the onResponse hook below writes one line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: {
      // Unknown fields are errors (schemas say additionalProperties: false), not silently dropped.
      customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true },
    },
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Security headers on every response (pages, API, static): CSP without inline script or style, HSTS when BASE_URL
  // is https, nosniff, no framing, same-origin referrers.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(config.secureCookies, config.oidc ? services.identity.formActionOrigins : undefined) },
    hsts: config.secureCookies ? { maxAge: 365 * 24 * 60 * 60, includeSubDomains: false } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    // The API and the RDF/Data Package twins are meant to be fetched from elsewhere.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  registerInputGuard(app);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(multipart, { limits: { fileSize: config.uploadLimitBytes, files: 1, fields: 50 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Datafabrikken API',
        version: '1.0.0',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
        description:
          'JSON API of Datafabrikken. Authenticate with a session cookie or `Authorization: Bearer <token>` (create tokens under My account or with `datafabrikken token create`); other Authorization schemes are ignored. A change made with the session cookie must come from this site (`Sec-Fetch-Site: same-origin` or a matching `Origin`) or send the CSRF token in `x-csrf-token`, else it is 403 `csrf_failed`. Errors always have the shape `{ "error": { "code", "message", "details" } }`; bad input is a 400 naming the field (`details.problems[]`).',
      },
      servers: [{ url: config.baseUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token (df_…), or a machine client’s access token (dfm_…) from POST /api/v1/oauth/token' } },
      },
      // Public operations need no credentials; a token (or session) is always accepted. Operations that need one
      // declare `security` themselves.
      security: [{}, { bearer: [] }],
    },
    // The document is linted (`npm run lint:openapi`, test/unit/openapi-lint.test.ts): every operation gets an id
    // and the error responses it can give. This changes the document only, never validation or serialisation.
    transform: documentOperation,
  });

  app.decorateRequest('actor', null as never);
  app.decorateRequest('locale', 'nb');
  app.decorateRequest('t', null as never);
  app.decorateRequest('csrfToken', '');

  // One line per request: method, path without its query string, status, time; the request id comes from the child
  // logger. Static files and health checks only at debug, so a page view is one line at info.
  app.addHook('onResponse', async (request, reply) => {
    const path = loggablePath(request.url);
    const quiet = path.startsWith('/static/') || path === '/health' || path === '/ready';
    const ms = Math.round(reply.elapsedTime);
    request.log[quiet ? 'debug' : 'info']({ method: request.method, path, statusCode: reply.statusCode, ms }, `${request.method} ${path} ${reply.statusCode} (${ms} ms)`);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    resolveLocale(request);
    const sessionToken = services.accounts.sessionTokenFrom(request);
    request.actor = await services.accounts.resolveActor({
      sessionToken,
      authorization: ownAuthorization(request.headers.authorization),
      userAgent: request.headers['user-agent'],
    });
    const session = request.actor.via === 'session' ? sessionToken : undefined;
    // Pages get (and may be issued) a token; static files never set a cookie (they are cacheable); the API only reads.
    ensureCsrfToken(request, reply, config.secureCookies, session, !isApi(request) && !isStatic(request));
    if (!isApi(request)) refreshSessionCookie(request, reply, config.secureCookies);
    // CSRF for the JSON API: a change authenticated by the session cookie (which a browser attaches to a cross-site
    // form post, e.g. to the body-less POST …/publish) needs proof that one of our pages sent it: Fetch Metadata or a
    // matching Origin/Referer, or the CSRF token in the x-csrf-token header. Bearer tokens are never sent by a browser
    // on its own and need none.
    if (isApi(request) && STATE_CHANGING.has(request.method) && request.actor.via === 'session') {
      if (!sameOriginProof(request, config.baseUrl) && !csrfMatches(request, request.headers[CSRF_HEADER])) {
        throw new DomainError(
          403,
          'csrf_failed',
          'A change made with the session cookie must come from this site (Sec-Fetch-Site: same-origin or a matching Origin) or carry the x-csrf-token header. Scripts should use an API token (Authorization: Bearer).',
        );
      }
    }
  });

  // CSRF for web forms: every state-changing request to a page carries the token in the form field `_csrf` or the
  // x-csrf-token header — never in the URL, where logs and Referer headers would keep it. A multipart body is a
  // stream the hook cannot read: routes that take one declare `config: { csrf: 'handler' }` and check the `_csrf`
  // field (sent first) with csrfMatches() themselves; any other multipart request needs the header.
  app.addHook('preHandler', async (request) => {
    if (isApi(request) || !STATE_CHANGING.has(request.method)) return;
    const header = request.headers[CSRF_HEADER];
    if (request.isMultipart()) {
      if (request.routeOptions.config.csrf === 'handler') return;
      if (!csrfMatches(request, header)) throw csrfFailed();
      return;
    }
    const body = request.body as Record<string, unknown> | undefined;
    const submitted = (body && typeof body === 'object' ? body[CSRF_FIELD] : undefined) ?? header;
    if (!csrfMatches(request, submitted)) throw csrfFailed();
  });

  app.addHook('preHandler', notificationCountHook(services.notifications));

  // Nothing but the static stylesheets may be kept by a browser or shared cache: pages and API answers may carry
  // drafts, non-open data or a signed-in reader's details, and telling those apart per route is where leaks begin.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!(isStatic(request) && reply.statusCode === 200)) reply.header('cache-control', 'private, no-store');
    return payload;
  });

  app.setErrorHandler((error: FastifyError | DomainError | Error, request, reply) => renderError(error, request, reply));
  app.setNotFoundHandler((request, reply) => renderError(new DomainError(404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`), request, reply));

  registerStatic(app);

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    const checks: Record<string, string> = {};
    const p = services.platform;
    await Promise.all(
      (
        [
          ['database', () => p.dbh.ping()],
          ['blobs', () => p.blobs.ping()],
          ['jobs', () => p.jobs.ping()],
        ] as const
      ).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = 'ok';
        } catch (err) {
          request.log.warn({ err, check: name }, 'readiness check failed');
          checks[name] = 'failing';
        }
      }),
    );
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });

  // Domains, one line each.
  await app.register(accountsApi, { prefix: API_PREFIX, services });
  await app.register(organisationsApi, { prefix: API_PREFIX, services });
  await app.register(catalogApi, { prefix: API_PREFIX, services });
  await app.register(searchApi, { prefix: API_PREFIX, services });
  await app.register(tablesApi, { prefix: API_PREFIX, services });
  await app.register(dataApi, { prefix: API_PREFIX, services });
  await app.register(jobsApi, { prefix: API_PREFIX, services });
  await app.register(wizardApi, { prefix: API_PREFIX, services });
  await app.register(datasetAssessmentApi, { prefix: API_PREFIX, services });
  await app.register(competenceApi, { prefix: API_PREFIX, services });
  await app.register(ckanApi, { services });
  await app.register(dataPackageApi, { prefix: API_PREFIX, services });
  await app.register(consentApi, { prefix: API_PREFIX, services });
  await app.register(sqlApi, { prefix: API_PREFIX, services });
  await app.register(sqlPages, { services });
  await app.register(workbenchPages, { services });
  await app.register(workbenchApi, { prefix: API_PREFIX, services });
  await app.register(qualityApi, { prefix: API_PREFIX, services });
  await app.register(homePages, { services });
  await app.register(accountsPages, { services });
  await app.register(organisationsPages, { services });
  await app.register(searchPages, { services });
  await app.register(catalogPages, { services });
  await app.register(tablesPages, { services });
  await app.register(competencePages, { services });
  await app.register(apiDocsPages, { services });
  await app.register(wizardPages, { services });
  await app.register(datasetAssessmentPages, { services });
  await app.register(dcatRoutes, { services });
  await app.register(dataPackagePages, { services });
  await app.register(dataPackageImportPages, { services });
  await app.register(consentPages, { services });
  await app.register(identityApi, { prefix: API_PREFIX, services });
  await app.register(identityPages, { services });
  await app.register(accessRequestsApi, { prefix: API_PREFIX, services });
  await app.register(accessRequestsPages, { services });
  await app.register(harvestApi, { prefix: API_PREFIX, services });
  await app.register(harvestPages, { services });

  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  return app;
}

// --- errors ---------------------------------------------------------------------------------------------------------

interface ErrorBody {
  status: number;
  code: string;
  message: string;
  details: unknown;
  params: Record<string, string | number>;
}

/** Turns anything thrown into our error shape. Never lets a stack trace or internal message reach the client. */
export function normaliseError(error: unknown): ErrorBody {
  if (error instanceof DomainError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details ?? {}, params: error.params };
  }
  const e = error as FastifyError & { validation?: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[]; validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const problems = e.validation.map((v) => {
      const base = `${e.validationContext ?? 'body'}${v.instancePath || ''}`;
      if (v.keyword === 'additionalProperties') {
        const extra = String(v.params.additionalProperty);
        return { field: `${base}/${extra}`, code: 'unknown_field', message: `Unknown field "${extra}" in ${base}.` };
      }
      if (v.keyword === 'required') {
        const missing = String(v.params.missingProperty);
        return { field: `${base}/${missing}`, code: 'required', message: `"${missing}" is required in ${base}.` };
      }
      return { field: base, code: v.keyword, message: `${base} ${v.message ?? 'is invalid'}.` };
    });
    return { status: 400, code: 'invalid_request', message: problems.map((p) => p.message).join(' '), details: { problems }, params: { field: problems[0]?.field ?? '' } };
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
      return { status: 413, code: 'payload_too_large', message: 'The request body is larger than the limit.', details: {}, params: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'This content type is not accepted here; send application/json.', details: {}, params: {} };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', message: 'The request body is empty; send a JSON object.', details: {}, params: {} };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'invalid_request', message: 'The Content-Length header does not match the body.', details: {}, params: {} };
  }
  if (isMultipartParseError(e)) {
    return { status: 400, code: 'invalid_multipart', message: 'The multipart/form-data body is malformed or ends early; send the whole form again.', details: {}, params: {} };
  }
  if (e instanceof SyntaxError || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.', details: {}, params: {} };
  }
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status < 500) return { status, code: 'bad_request', message: 'The request could not be understood.', details: {}, params: {} };
  return { status: 500, code: 'internal', message: 'An unexpected error occurred. It has been logged.', details: {}, params: {} };
}

/**
 * The multipart parser (@fastify/busboy, under @fastify/multipart) reports a malformed or truncated body — "Unexpected
 * end of multipart data", "Boundary not found" — as a plain Error without a code, raised while a handler iterates the
 * parts. Its origin is the only thing that tells it from our own failures, so it is recognised by the frame that
 * created it (the parser's own files), never by its message. Everything else stays a 500.
 */
function isMultipartParseError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof DomainError || (e as FastifyError).code !== undefined) return false;
  const firstFrame = (e.stack ?? '').split('\n').find((l) => l.trimStart().startsWith('at ')) ?? '';
  return /[\\/]@fastify[\\/]busboy[\\/]/.test(firstFrame);
}

function renderError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = normaliseError(error);
  if (body.status >= 500) request.log.error({ err: error }, 'unhandled error');
  else request.log.info({ code: body.code, status: body.status }, 'request rejected');
  if (body.status === 429 && typeof body.params.seconds === 'number') reply.header('retry-after', String(body.params.seconds));
  if (isApi(request) || !request.t || (request.headers.accept ?? '').includes('application/json')) {
    return reply.status(body.status).type('application/json; charset=utf-8').send({ error: { code: body.code, message: body.message, details: body.details } });
  }
  return sendErrorPage(request, reply, body, error instanceof ValidationError ? error.problems : []);
}

// --- static assets --------------------------------------------------------------------------------------------------

function registerStatic(app: FastifyInstance): void {
  const root = path.resolve(here, '..');
  const files: Record<string, string> = {
    'designsystemet.css': path.join(root, 'node_modules/@digdir/designsystemet-css/dist/src/index.css'),
    'theme.css': path.join(root, 'node_modules/@digdir/designsystemet-theme/brand/digdir.css'),
    'app.css': path.join(here, 'web/static/app.css'),
    'upload.js': path.join(here, 'web/static/upload.js'),
    'search.js': path.join(here, 'web/static/search.js'),
  };
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>('/static/:file', { schema: { hide: true } }, async (request, reply) => {
    // Own keys only: "/static/__proto__" or "/static/constructor" must not reach Object.prototype.
    const file = Object.hasOwn(files, request.params.file) ? files[request.params.file] : undefined;
    if (!file) throw new DomainError(404, 'not_found', 'No such static file.');
    let body = cache.get(file);
    if (!body) {
      body = fs.readFileSync(file);
      cache.set(file, body);
    }
    const type = file.endsWith('.css') ? 'text/css; charset=utf-8' : file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/octet-stream';
    return reply.type(type).header('cache-control', 'public, max-age=3600').send(body);
  });
}
