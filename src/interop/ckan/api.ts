// CKAN's Action API at /api/3/action/{action}, GET (query parameters) and POST (a JSON object body). Answers use CKAN's
// envelope `{ help, success: true, result }`, and errors CKAN's shape `{ help, success: false, error: { __type,
// message, … } }` with CKAN's statuses (Validation Error 409, Not Found 404, Authorization 403, unknown action 400),
// so this plugin renders its own errors instead of our `{ error: { code } }` shape. All actions only read; the
// Authorization header may carry the bare `df_…` token CKAN clients send (resolved once per request in server.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseError } from '../../server';
import type { Services } from '../../services';
import { CkanError, type CkanErrorType } from './model';
import type { Params } from './service';

const ROUTE = '/api/3/action/:action';

export async function ckanApi(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const ckan = services.ckan;

  function send(reply: FastifyReply, action: string, status: number, body: Record<string, unknown>) {
    return reply.status(status).type('application/json; charset=utf-8').send({ help: ckan.helpUrl(action), ...body });
  }

  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const action = (request.params as { action?: string } | undefined)?.action ?? '';
    if (error instanceof CkanError) {
      request.log.info({ ckanError: error.type }, 'ckan request rejected');
      const message = error.type === 'Bad request' ? `Bad request - ${error.message}` : error.message;
      return send(reply, action, error.status, { success: false, error: { ...(error.fields ?? {}), __type: error.type, message } });
    }
    const body = normaliseError(error);
    if (body.status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, action, 500, { success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } });
    }
    request.log.info({ code: body.code, status: body.status }, 'ckan request rejected');
    const type: CkanErrorType = body.status === 401 || body.status === 403 ? 'Authorization Error' : body.status === 404 ? 'Not Found Error' : 'Bad request';
    const status = type === 'Authorization Error' ? 403 : body.status;
    const message = type !== 'Bad request' ? body.message : body.code === 'invalid_json' ? `Bad request - JSON Error: ${body.message}` : `Bad request - ${body.message}`;
    return send(reply, action, status, { success: false, error: { __type: type, message } });
  });

  async function handle(request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply, params: unknown) {
    const { action } = request.params;
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new CkanError('Bad request', 'JSON Error: the request body must be a JSON object of the action\'s parameters.');
    }
    const result = await ckan.run(request.actor, action, params as Params);
    return send(reply, action, 200, { success: true, result });
  }

  app.get<{ Params: { action: string } }>(ROUTE, { schema: { hide: true } }, async (request, reply) => handle(request, reply, { ...(request.query as object) }));
  app.post<{ Params: { action: string } }>(ROUTE, { schema: { hide: true } }, async (request, reply) => handle(request, reply, request.body ?? {}));
}
