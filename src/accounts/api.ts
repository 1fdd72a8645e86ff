// JSON routes of the accounts domain: who am I (GET/PATCH /me) and my personal API tokens. Sign-in and sign-up are
// web forms (pages.tsx); scripts authenticate with `Authorization: Bearer df_…`.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError, UnsupportedMediaTypeError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { TOKEN_SCOPES } from './model';
import { LOCALES, MAX_TOKEN_DAYS, presentUser, type ApiTokenPublic } from './service';

const tags = ['accounts'];
const security = [{ bearer: [] }];

const ScopeSchema = Type.Union(
  TOKEN_SCOPES.map((s) => Type.Literal(s)),
  { description: "'read' reads, 'write' creates and changes datasets and tables, 'admin' manages organisations, members and tokens." },
);
const LocaleSchema = Type.Union(
  LOCALES.map((l) => Type.Literal(l)),
  { description: 'Preferred language: nb (bokmål), nn (nynorsk) or en.' },
);

const MeResponse = Type.Object({
  id: Type.String(),
  email: Type.String({ format: 'email' }),
  name: Type.String(),
  locale: LocaleSchema,
  isOperator: Type.Boolean({ description: 'A platform operator may do everything.' }),
  emailVerified: Type.Boolean({ description: 'Whether the e-mail address has been confirmed through the link mailed at sign-up.' }),
  createdAt: Type.String({ format: 'date-time' }),
  memberships: Type.Array(
    Type.Object({
      orgnr: Type.String(),
      name: Type.String(),
      role: Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('member')]),
      url: Type.String({ description: 'The organisation in this API.' }),
    }),
  ),
  via: Type.Union([Type.Literal('session'), Type.Literal('token')], { description: 'How this request was authenticated.' }),
  scopes: Type.Union([Type.Array(ScopeSchema), Type.Null()], { description: 'Scopes of the token used; null for a session.' }),
});

const MePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    locale: Type.Optional(LocaleSchema),
  },
  { additionalProperties: false },
);

const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the token, to tell tokens apart.' }),
  scopes: Type.Array(ScopeSchema),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  url: Type.String(),
});

const TokenCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for, e.g. "nightly upload".' }),
    scopes: Type.Optional(Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true, default: ['read'] })),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS, description: `Days until the token expires (1–${MAX_TOKEN_DAYS}); omit for a token that does not expire.` })),
  },
  { additionalProperties: false },
);

const TokenCreated = Type.Object({
  token: Type.String({ description: 'The secret token (df_…). It is shown only this once; store it safely.' }),
  record: TokenSchema,
});

const TokenParams = Type.Object({ id: Type.String() });

function presentTokenJson(t: ApiTokenPublic) {
  return { ...t, url: urls.api.token(t.id) };
}

function requireSignedIn(request: FastifyRequest) {
  const user = request.actor.user;
  if (!user) throw new UnauthenticatedError();
  return user;
}

/** Bodies of this API are JSON only (the app also parses forms and text for the web pages). */
function requireJson(request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaTypeError(type || undefined, ['application/json']);
}

export const accountsApi: DomainPlugin = async (app, { services }) => {
  const accounts = services.accounts;

  async function me(request: FastifyRequest): Promise<Static<typeof MeResponse>> {
    const actorUser = requireSignedIn(request);
    const user = presentUser(await accounts.getUser(actorUser.id));
    const memberships = (await accounts.listMemberships(user.id)).map((m) => ({ ...m, url: urls.api.organization(m.orgnr) }));
    const via = request.actor.via === 'token' ? 'token' : 'session';
    return { ...user, locale: user.locale as Static<typeof LocaleSchema>, memberships, via, scopes: request.actor.scopes };
  }

  app.get(
    '/me',
    {
      schema: {
        tags,
        summary: 'Who am I',
        description: 'The signed-in user (by session cookie or API token) with organisation memberships. 401 when anonymous.',
        security,
        response: { 200: MeResponse },
      },
    },
    async (request) => me(request),
  );

  app.patch<{ Body: Static<typeof MePatch> }>(
    '/me',
    {
      preValidation: async (request) => requireJson(request),
      schema: {
        tags,
        summary: 'Change my name or language',
        description: 'Updates the signed-in user. Through an API token this needs the admin scope.',
        security,
        body: MePatch,
        response: { 200: MeResponse },
      },
    },
    async (request) => {
      requireSignedIn(request);
      await accounts.updateMe(request.actor, request.body);
      return me(request);
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags,
        summary: 'My API tokens',
        description: 'Tokens of the signed-in user that are not revoked. The secret is never shown again after creation.',
        security,
        response: { 200: Type.Object({ items: Type.Array(TokenSchema) }) },
      },
    },
    async (request) => {
      requireSignedIn(request);
      const items = await accounts.listTokens(request.actor);
      return { items: items.map(presentTokenJson) };
    },
  );

  app.post<{ Body: Static<typeof TokenCreate> }>(
    '/tokens',
    {
      preValidation: async (request) => requireJson(request),
      schema: {
        tags,
        summary: 'Create an API token',
        description: 'Creates a personal API token. The response carries the token once; only its hash is stored. Through an API token this needs the admin scope.',
        security,
        body: TokenCreate,
        response: { 201: TokenCreated },
      },
    },
    async (request, reply) => {
      requireSignedIn(request);
      const { token, record } = await accounts.createToken(request.actor, request.body);
      return reply.status(201).header('location', urls.api.token(record.id)).send({ token, record: presentTokenJson(record) });
    },
  );

  app.delete<{ Params: Static<typeof TokenParams> }>(
    '/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API token',
        description: "Revokes one of your tokens at once. Someone else's token is 404.",
        security,
        params: TokenParams,
        response: { 204: Type.Null({ description: 'Revoked.' }) },
      },
    },
    async (request, reply) => {
      requireSignedIn(request);
      await accounts.revokeToken(request.actor, request.params.id);
      return reply.status(204).send();
    },
  );
};
