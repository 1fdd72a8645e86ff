// JSON routes for organisations and their members. Handlers validate (schema), call the service, present the result.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError, UnsupportedMediaTypeError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { claimsApi } from './claims-api';
import { MEMBER_ROLES, ORGANIZATION_STATUSES, type MemberView, type OrganizationView } from './model';

const tags = ['organizations'];
const security = [{ bearer: [] }];

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const RoleSchema = Type.Union(
  MEMBER_ROLES.map((r) => Type.Literal(r)),
  { description: 'admin manages the organisation and its members; editor creates and edits its datasets; member reads its internal datasets.' },
);

export const StatusSchema = Type.Union(
  ORGANIZATION_STATUSES.map((s) => Type.Literal(s)),
  { description: 'pending: claimed by a user, waiting for an operator (may prepare drafts, not publish); approved: may publish; rejected: may do neither.' },
);

const RegistryCheckSchema = Type.Object(
  {
    checkedAt: Nullable(Type.String({ format: 'date-time', description: 'When Enhetsregisteret last answered for this organisation; null = not checked.' })),
    source: Nullable(Type.Union([Type.Literal('api'), Type.Literal('file')], { description: 'api: the Enhetsregisteret API; file: the imported bulk download.' })),
    status: Nullable(Type.Union(['active', 'bankrupt', 'winding_up', 'deleted', 'not_found'].map((s) => Type.Literal(s)))),
  },
  { description: 'The last check against Enhetsregisteret.' },
);

export const OrganizationSchema = Type.Object({
  orgnr: Type.String({ description: 'Organisasjonsnummer (9 digits, Enhetsregisteret).' }),
  name: Type.String({ description: 'The official name from Enhetsregisteret once checked; the claimant’s until then.' }),
  orgForm: Nullable(Type.String({ description: 'Organisasjonsform, e.g. AS, ORGL, KOMM, STAT.' })),
  municipality: Nullable(Type.String({ description: 'Kommunenummer of the business address.' })),
  municipalityName: Nullable(Type.String()),
  homepage: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  status: StatusSchema,
  claimedAt: Nullable(Type.String({ format: 'date-time', description: 'When a user claimed it; null when an operator created it.' })),
  decidedAt: Nullable(Type.String({ format: 'date-time', description: 'When an operator approved or rejected it.' })),
  rejectionReason: Nullable(Type.String({ description: 'Why it was rejected; shown to operators and the claimant only.' })),
  registry: RegistryCheckSchema,
  url: Type.String({ description: 'This organisation in the API.' }),
  page: Type.String({ description: 'This organisation on the web.' }),
});

const OrganizationCreate = Type.Object(
  {
    orgnr: Type.String({ minLength: 1, maxLength: 20, description: 'Organisasjonsnummer; the mod-11 check digit is verified (spaces allowed).' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Used only when Enhetsregisteret cannot be reached (then required); otherwise the official name is taken.' })),
    orgForm: Type.Optional(Nullable(Type.String({ maxLength: 10, description: 'As for name: the registry’s value wins.' }))),
    municipality: Type.Optional(Nullable(Type.String({ maxLength: 10, description: 'Kommunenummer (4 digits). As for name: the registry’s value wins.' }))),
    homepage: Type.Optional(Nullable(Type.String({ maxLength: 500, description: 'Absolute http(s) URL.' }))),
  },
  { additionalProperties: false },
);

const OrganizationPatchSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    orgForm: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
    municipality: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
    homepage: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);

const MemberSchema = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Type.String({ format: 'date-time' }),
  url: Type.String(),
});

const MemberCreate = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254, description: 'E-mail of an existing user.' }), role: RoleSchema },
  { additionalProperties: false },
);
const MemberPatch = Type.Object({ role: RoleSchema }, { additionalProperties: false });

const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });
const MemberParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }), userId: Type.String({ maxLength: 100 }) });
const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the name, or the start of the orgnr.' })),
    status: Type.Optional(StatusSchema),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

const OrganizationList = Type.Object({
  items: Type.Array(OrganizationSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  next: Nullable(Type.String({ description: 'URL of the next page, or null on the last page.' })),
});

export function presentOrganizationJson(o: OrganizationView): Static<typeof OrganizationSchema> {
  return { ...o, url: urls.api.organization(o.orgnr), page: urls.organization(o.orgnr) };
}

function presentMemberJson(orgnr: string, m: MemberView): Static<typeof MemberSchema> {
  return { ...m, url: urls.api.member(orgnr, m.userId) };
}

/** Bodies of this API are JSON only (the app also parses forms for the web pages). */
export function requireJson(request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaTypeError(type || undefined, ['application/json']);
}

/** Changes need a signed-in actor; checked before body validation so anonymous callers learn that first. */
export async function requireSignedInJson(request: FastifyRequest): Promise<void> {
  if (!request.actor.user) throw new UnauthenticatedError();
  requireJson(request);
}

export const organisationsApi: DomainPlugin = async (app, { services }) => {
  const orgs = services.organisations;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/organizations',
    {
      schema: {
        tags,
        summary: 'List organisations',
        description: 'Registered organisations (publishers), sorted by name. Public.',
        querystring: ListQuery,
        response: { 200: OrganizationList },
      },
    },
    async (request) => {
      const { q, status, limit, offset } = request.query;
      const { items, total } = await orgs.list({ q, status, limit, offset });
      const next = offset + limit < total ? urls.api.organizations({ q, status, limit, offset: offset + limit }) : null;
      return { items: items.map(presentOrganizationJson), total, limit, offset, next };
    },
  );

  app.post<{ Body: Static<typeof OrganizationCreate> }>(
    '/organizations',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Register an organisation',
        description:
          'Registers an organisation by its organisasjonsnummer. The check digit is verified: a wrong one is 422 `validation_failed` naming the digit it should be. The number is looked up in Enhetsregisteret: its official name, form and municipality are used; a deleted unit is 422 `orgnr_deleted`, an unknown one 422 `orgnr_unknown`. When the registry cannot be reached the organisation is created "not checked" (`registry.checkedAt` null) and `name` is required. An existing orgnr is 409 `organization_exists`. The signed-in user becomes its admin; unless an operator, the organisation starts `pending` and may not publish until an operator approves it. Needs the write scope.',
        security,
        body: OrganizationCreate,
        response: { 201: OrganizationSchema },
      },
    },
    async (request, reply) => {
      const created = await orgs.create(request.actor, request.body);
      return reply.status(201).header('location', urls.api.organization(created.orgnr)).send(presentOrganizationJson(created));
    },
  );

  app.get<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr',
    {
      schema: { tags, summary: 'One organisation', description: 'Public. 404 `organization_not_found` when not registered.', params: OrgParams, response: { 200: OrganizationSchema } },
    },
    async (request) => presentOrganizationJson(await orgs.get(request.params.orgnr, request.actor)),
  );

  app.patch<{ Params: Static<typeof OrgParams>; Body: Static<typeof OrganizationPatchSchema> }>(
    '/organizations/:orgnr',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Change an organisation',
        description:
          'Admins of the organisation (and operators) change its name, form, municipality and homepage. Once checked against Enhetsregisteret, name, form and municipality come from the registry: changing them is 422 `from_registry`. Needs the admin scope. Empty string or null clears a field.',
        security,
        params: OrgParams,
        body: OrganizationPatchSchema,
        response: { 200: OrganizationSchema },
      },
    },
    async (request) => presentOrganizationJson(await orgs.update(request.actor, request.params.orgnr, request.body)),
  );

  app.get<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/members',
    {
      schema: {
        tags,
        summary: 'Members of an organisation',
        description: 'Visible to the organisation’s members and operators.',
        security,
        params: OrgParams,
        response: { 200: Type.Object({ items: Type.Array(MemberSchema) }) },
      },
    },
    async (request) => {
      const items = await orgs.listMembers(request.actor, request.params.orgnr);
      return { items: items.map((m) => presentMemberJson(request.params.orgnr, m)) };
    },
  );

  app.post<{ Params: Static<typeof OrgParams>; Body: Static<typeof MemberCreate> }>(
    '/organizations/:orgnr/members',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Add a member',
        description: 'Admins add an existing user by e-mail with a role. Unknown e-mail is 404 `user_not_found`; an existing member is 409 `already_member`. Needs the admin scope.',
        security,
        params: OrgParams,
        body: MemberCreate,
        response: { 201: MemberSchema },
      },
    },
    async (request, reply) => {
      const m = await orgs.addMember(request.actor, request.params.orgnr, request.body);
      return reply.status(201).header('location', urls.api.member(request.params.orgnr, m.userId)).send(presentMemberJson(request.params.orgnr, m));
    },
  );

  app.patch<{ Params: Static<typeof MemberParams>; Body: Static<typeof MemberPatch> }>(
    '/organizations/:orgnr/members/:userId',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Change a member’s role',
        description: 'Admins change roles. Demoting the last admin is 409 `last_admin`. Needs the admin scope.',
        security,
        params: MemberParams,
        body: MemberPatch,
        response: { 200: MemberSchema },
      },
    },
    async (request) => presentMemberJson(request.params.orgnr, await orgs.updateMember(request.actor, request.params.orgnr, request.params.userId, request.body)),
  );

  app.delete<{ Params: Static<typeof MemberParams> }>(
    '/organizations/:orgnr/members/:userId',
    {
      schema: {
        tags,
        summary: 'Remove a member',
        description: 'Admins remove members. Removing the last admin is 409 `last_admin`. Needs the admin scope.',
        security,
        params: MemberParams,
        response: { 204: Type.Null({ description: 'Removed.' }) },
      },
    },
    async (request, reply) => {
      await orgs.removeMember(request.actor, request.params.orgnr, request.params.userId);
      return reply.status(204).send();
    },
  );

  await app.register(claimsApi, { services });
};
