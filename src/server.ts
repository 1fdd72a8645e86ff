// Builds the Fastify app: logging with request ids, body limits, schema validation that rejects unknown fields,
// the actor/language/CSRF hooks, one error handler for JSON and HTML, static assets, and each domain in one line.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { accountsApi } from './accounts/api';
import { accountsPages, refreshSessionCookie } from './accounts/pages';
import { catalogApi } from './catalog/api';
import { catalogPages } from './catalog/pages';
import { DomainError, ValidationError } from './errors';
import { organisationsApi } from './organisations/api';
import { organisationsPages } from './organisations/pages';
import { jobsApi } from './platform/jobs/api';
import type { Services } from './services';
import { tablesApi } from './tables/api';
import { tablesPages } from './tables/pages';
import { csrfMatches, ensureCsrfToken, resolveLocale, CSRF_FIELD } from './web/context';
import { homePages } from './web/home';
import { apiDocsPages } from './web/api-docs';
import { sendErrorPage } from './web/error-page';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface AppOptions {
  services: Services;
  logger: Logger;
}

export const API_PREFIX = '/api/v1';

function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function buildApp({ services, logger }: AppOptions): Promise<FastifyInstance> {
  const config = services.platform.config;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: true,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: {
      // Unknown fields are errors (schemas say additionalProperties: false), not silently dropped.
      customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true },
    },
    routerOptions: { ignoreTrailingSlash: true },
  });

  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(multipart, { limits: { fileSize: config.uploadLimitBytes, files: 1, fields: 50 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Datafabrikken API',
        version: '1.0.0',
        description:
          'JSON API of Datafabrikken. Authenticate with a session cookie or `Authorization: Bearer <token>` (create tokens under My account or with `datafabrikken token create`). Errors always have the shape `{ "error": { "code", "message", "details" } }`.',
      },
      servers: [{ url: config.baseUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token (df_…)' } },
      },
    },
  });

  app.decorateRequest('actor', null as never);
  app.decorateRequest('locale', 'nb');
  app.decorateRequest('t', null as never);
  app.decorateRequest('csrfToken', '');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    resolveLocale(request);
    request.actor = await services.accounts.resolveActor({
      sessionToken: services.accounts.sessionTokenFrom(request),
      authorization: request.headers.authorization,
      userAgent: request.headers['user-agent'],
    });
    if (!isApi(request)) {
      ensureCsrfToken(request, reply, config.secureCookies);
      refreshSessionCookie(request, reply, config.secureCookies);
      reply.header('x-frame-options', 'DENY');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
    }
  });

  // CSRF: every state-changing request to a web page must carry the token from the df_csrf cookie, in the form field
  // `_csrf`, the `x-csrf-token` header or (for multipart uploads) the `_csrf` query parameter.
  app.addHook('preHandler', async (request) => {
    if (isApi(request) || !STATE_CHANGING.has(request.method)) return;
    const body = request.body as Record<string, unknown> | undefined;
    const submitted = (body && typeof body === 'object' ? body[CSRF_FIELD] : undefined) ?? request.headers['x-csrf-token'] ?? (request.query as Record<string, unknown>)[CSRF_FIELD];
    if (!csrfMatches(request, submitted)) throw new DomainError(403, 'csrf_failed', 'The form was missing a valid CSRF token. Reload the page and try again.');
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
  await app.register(tablesApi, { prefix: API_PREFIX, services });
  await app.register(jobsApi, { prefix: API_PREFIX, services });
  await app.register(homePages, { services });
  await app.register(accountsPages, { services });
  await app.register(organisationsPages, { services });
  await app.register(catalogPages, { services });
  await app.register(tablesPages, { services });
  await app.register(apiDocsPages, { services });

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
    return { status: 400, code: 'invalid_request', message: problems.map((p) => p.message).join(' '), details: { problems }, params: {} };
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
  if (e instanceof SyntaxError || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.', details: {}, params: {} };
  }
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status < 500) return { status, code: 'bad_request', message: 'The request could not be understood.', details: {}, params: {} };
  return { status: 500, code: 'internal', message: 'An unexpected error occurred. It has been logged.', details: {}, params: {} };
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
  };
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>('/static/:file', { schema: { hide: true } }, async (request, reply) => {
    const file = files[request.params.file];
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
