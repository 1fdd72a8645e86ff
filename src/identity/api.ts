// JSON routes of identity: the OAuth token endpoint for machine clients (JWT-bearer grant, RFC 7523) and the
// organisation's machine clients (register, list, show, disable). Handlers validate, call the service, present.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors';
import { requireSignedInJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { CLIENT_KEY_ALGS, CLIENT_SCOPES, CLIENT_TOKEN_RULES, JWT_BEARER_GRANT, type MachineClientView } from './model';
import { OAuthError } from './service';

const security = [{ bearer: [] }];

const ClientSchema = Type.Object({
  id: Type.String({ description: 'The client id: the `iss` of its assertions.' }),
  orgnr: Type.String({ description: 'The organisation the client acts for.' }),
  name: Type.String(),
  scopes: Type.Array(Type.String({ enum: [...CLIENT_SCOPES] })),
  keyIds: Type.Array(Type.String(), { description: 'The `kid` of each registered public key ("" when a single key has none).' }),
  createdAt: Type.String({ format: 'date-time' }),
  disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When an admin disabled it; a disabled client gets no tokens and its tokens stop working.' }),
  url: Type.String(),
});

const Jwk = Type.Object({ kty: Type.String() }, { additionalProperties: true, description: 'A public JWK (RSA ≥ 2048 bits or EC P-256).' });
const ClientCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    jwks: Type.Union([Type.Object({ keys: Type.Array(Jwk, { minItems: 1, maxItems: 10 }) }, { additionalProperties: false }), Type.String({ maxLength: 20000 })], {
      description: `The client's public keys as a JWKS (object or its JSON text): RSA or EC P-256 keys for ${CLIENT_KEY_ALGS.join(', ')}, no private or symmetric keys; a kid on each when there are several.`,
    }),
    scopes: Type.Optional(Type.Array(Type.String({ enum: [...CLIENT_SCOPES] }), { minItems: 1, description: 'Default ["read"]. Machine clients only read.' })),
  },
  { additionalProperties: false },
);
const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });
const ClientParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }), id: Type.String({ maxLength: 100 }) });

const TokenRequest = Type.Object(
  {
    // Optional in the schema so that a missing field is refused (and audited) by the service like every other fault.
    grant_type: Type.Optional(Type.String({ description: `Required: ${JWT_BEARER_GRANT}.` })),
    assertion: Type.Optional(Type.String({ description: 'Required: a JWT signed with one of the client’s registered keys (see the description).' })),
  },
  { additionalProperties: true },
);
const TokenResponse = Type.Object({
  access_token: Type.String({ description: 'Opaque (dfm_…); send as `Authorization: Bearer`.' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds the token lives.' }),
  scope: Type.String(),
});
const OAuthErrorSchema = Type.Object({
  error: Type.String({ enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type'] }),
  error_description: Type.String(),
});

function presentClientJson(c: MachineClientView): Static<typeof ClientSchema> {
  return { ...c, url: urls.api.machineClient(c.orgnr, c.id) };
}

/** The token endpoint answers in RFC 6749 §5.2 shape, whatever went wrong (schema, content type, our checks). */
function oauthErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let status = 400;
  let body: Static<typeof OAuthErrorSchema>;
  if (error instanceof OAuthError) {
    status = error.status;
    body = { error: error.code, error_description: error.message };
  } else if ((error as FastifyError).validation) {
    body = { error: 'invalid_request', error_description: 'grant_type and assertion are required form fields.' };
  } else if (error instanceof DomainError && error.status < 500) {
    status = error.status === 401 ? 401 : 400;
    body = { error: 'invalid_request', error_description: error.message };
  } else if ((error as FastifyError).statusCode && (error as FastifyError).statusCode! < 500) {
    status = (error as FastifyError).statusCode === 413 ? 413 : 400;
    body = { error: 'invalid_request', error_description: 'The request could not be read; send application/x-www-form-urlencoded.' };
  } else {
    request.log.error({ err: error }, 'token endpoint failed');
    return reply.status(500).header('pragma', 'no-cache').send({ error: 'server_error', error_description: 'An unexpected error occurred. It has been logged.' });
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer error="invalid_client"');
  return reply.status(status).header('pragma', 'no-cache').type('application/json; charset=utf-8').send(body);
}

export const identityApi: DomainPlugin = async (app, { services }) => {
  const identity = services.identity;
  const R = CLIENT_TOKEN_RULES;

  app.post<{ Body: Static<typeof TokenRequest> }>(
    '/oauth/token',
    {
      errorHandler: oauthErrorHandler,
      preValidation: async (request) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded') throw new OAuthError(400, 'invalid_request', 'Send the token request as application/x-www-form-urlencoded.');
      },
      schema: {
        tags: ['oauth'],
        summary: 'Get an access token for a machine client (JWT-bearer grant)',
        description:
          `The Maskinporten pattern (RFC 7523). Post \`grant_type=${JWT_BEARER_GRANT}\` and \`assertion\`, a JWT signed (${CLIENT_KEY_ALGS.join(', ')}) with a key registered for the client, with exactly these claims: ` +
          `\`iss\` = the client id, \`aud\` = this platform's issuer (its BASE_URL, as in the OpenAPI servers), \`iat\`, \`exp\` (exp − iat ≤ ${R.maxAssertionSeconds} s; ${R.clockSkewSeconds} s clock skew allowed), \`jti\` (single use), \`scope\` (space-separated, a subset of the client's), optionally \`nbf\`. Any other claim is refused. ` +
          `The answer is an opaque access token valid for ${R.accessTokenSeconds} s; it acts for the client's organisation (its grants apply), reads PUBLIC data and may never change anything. Errors are RFC 6749 \`{ "error", "error_description" }\`: 400 invalid_request, invalid_grant, invalid_scope, unsupported_grant_type; 401 invalid_client (unknown or disabled client).`,
        // No bearer token: the signed assertion is the credential.
        security: [],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenRequest,
        response: { 200: TokenResponse, 400: OAuthErrorSchema, 401: OAuthErrorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      if (Array.isArray(body.grant_type) || Array.isArray(body.assertion)) throw new OAuthError(400, 'invalid_request', 'grant_type and assertion may be sent once each.');
      const token = await identity.issueToken({ grant_type: body.grant_type, assertion: body.assertion }, { ip: request.ip });
      return reply.header('pragma', 'no-cache').send(token);
    },
  );

  const tags = ['machine clients'];

  app.get<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/clients',
    {
      schema: {
        tags,
        summary: 'Machine clients of an organisation',
        description: 'Admins of the organisation (and operators) only; needs the admin scope with a token.',
        security,
        params: OrgParams,
        response: { 200: Type.Object({ items: Type.Array(ClientSchema) }) },
      },
    },
    async (request) => ({ items: (await identity.listClients(request.actor, request.params.orgnr)).map(presentClientJson) }),
  );

  app.post<{ Params: Static<typeof OrgParams>; Body: Static<typeof ClientCreate> }>(
    '/organizations/:orgnr/clients',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Register a machine client',
        description: 'An admin registers a client for the organisation with its public keys. Bad keys are 422 `validation_failed` naming the problem (`jwk_private`, `jwk_weak`, `jwk_alg`, …).',
        security,
        params: OrgParams,
        body: ClientCreate,
        response: { 201: ClientSchema },
      },
    },
    async (request, reply) => {
      const c = await identity.registerClient(request.actor, request.params.orgnr, request.body);
      return reply.status(201).header('location', urls.api.machineClient(c.orgnr, c.id)).send(presentClientJson(c));
    },
  );

  app.get<{ Params: Static<typeof ClientParams> }>(
    '/organizations/:orgnr/clients/:id',
    { schema: { tags, summary: 'A machine client', security, params: ClientParams, response: { 200: ClientSchema } } },
    async (request) => presentClientJson(await identity.getClient(request.actor, request.params.orgnr, request.params.id)),
  );

  app.post<{ Params: Static<typeof ClientParams> }>(
    '/organizations/:orgnr/clients/:id/disable',
    {
      preValidation: async (request) => {
        if (!request.actor.user) throw new DomainError(401, 'unauthenticated', 'Sign in or send a valid API token to do this.');
      },
      schema: { tags, summary: 'Disable a machine client', description: 'It gets no new tokens and its access tokens stop working at once. A client of another organisation is 404.', security, params: ClientParams, response: { 200: ClientSchema } },
    },
    async (request) => presentClientJson(await identity.disableClient(request.actor, request.params.orgnr, request.params.id)),
  );
};
