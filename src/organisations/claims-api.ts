// JSON routes for the operator's side of organisations: review claims beside the Enhetsregisteret record, approve or
// reject them, and check organisations against the registry again. Operator only (403 otherwise; tokens need the
// admin scope). Split from api.ts by sub-resource (STYLE §2).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { OrganizationSchema, presentOrganizationJson, requireSignedInJson, StatusSchema } from './api';
import type { ClaimView } from './model';

const tags = ['organizations'];
const security = [{ bearer: [] }];
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });

const RegistryUnitSchema = Type.Object(
  {
    orgnr: Type.String(),
    kind: Type.Union([Type.Literal('enhet'), Type.Literal('underenhet')], { description: 'enhet: a legal unit; underenhet: a sub-unit (business location).' }),
    name: Type.String({ description: 'Official name (navn).' }),
    orgForm: Nullable(Type.String({ description: 'organisasjonsform.kode' })),
    municipality: Nullable(Type.String({ description: 'Kommunenummer of forretningsadresse (beliggenhetsadresse for underenheter).' })),
    municipalityName: Nullable(Type.String()),
    status: Type.Union(['active', 'bankrupt', 'winding_up', 'deleted'].map((s) => Type.Literal(s))),
    deletedAt: Nullable(Type.String({ description: 'slettedato' })),
    parentOrgnr: Nullable(Type.String({ description: 'overordnetEnhet' })),
    source: Type.Union([Type.Literal('api'), Type.Literal('file')]),
    fetchedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'The local copy of the Enhetsregisteret record.' },
);

const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why; the claimant sees it.' }) }, { additionalProperties: false });
const RecheckAllQuery = Type.Object({ all: Type.Optional(Type.Boolean({ description: 'Check every organisation, not only those never checked.' })) }, { additionalProperties: false });

// Built when the plugin registers: api.ts (OrganizationSchema) imports this file, so its exports are not yet
// initialised while this module is evaluated.
function schemas() {
  const ClaimsQuery = Type.Object({ status: Type.Optional(StatusSchema) }, { additionalProperties: false });
  const ClaimSchema = Type.Object({
    organization: OrganizationSchema,
    claimedName: Nullable(Type.String({ description: 'The name the claimant typed.' })),
    claimant: Type.Union([Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }), Type.Null()]),
    registryUnit: Type.Union([RegistryUnitSchema, Type.Null()]),
    url: Type.String(),
  });
  
  const RecheckResult = Type.Object({
    organization: OrganizationSchema,
    outcome: Type.Union(['found', 'deleted', 'not_found', 'unchecked'].map((s) => Type.Literal(s)), { description: 'unchecked: the registry could not be reached and no local copy exists.' }),
    reason: Type.Optional(Type.String({ description: 'Why the registry could not answer (unchecked only).' })),
  });
  return { ClaimSchema, ClaimsQuery, RecheckResult };
}

function presentClaim(c: ClaimView): Static<ReturnType<typeof schemas>['ClaimSchema']> {
  return { ...c, organization: presentOrganizationJson(c.organization), url: urls.api.claim(c.organization.orgnr) };
}

/** Operator actions without a body: only a signed-in actor is needed before the service decides. */
async function requireSignedIn(request: FastifyRequest): Promise<void> {
  if (!request.actor.user) throw new UnauthenticatedError();
}

export const claimsApi: DomainPlugin = async (app, { services }) => {
  const orgs = services.organisations;
  const { ClaimSchema, ClaimsQuery, RecheckResult } = schemas();

  app.get<{ Querystring: { status?: 'pending' | 'approved' | 'rejected' } }>(
    '/operator/claims',
    {
      preValidation: requireSignedIn,
      schema: {
        tags,
        summary: 'Claims to review (operator)',
        description: 'Organisations claimed by users, pending by default (or `status`), each with the claimant and the Enhetsregisteret record beside the claim. Operator only.',
        security,
        querystring: ClaimsQuery,
        response: { 200: Type.Object({ items: Type.Array(ClaimSchema) }) },
      },
    },
    async (request) => ({ items: (await orgs.listClaims(request.actor, { status: request.query.status })).map(presentClaim) }),
  );

  app.get<{ Params: Static<typeof OrgParams> }>(
    '/operator/claims/:orgnr',
    {
      preValidation: requireSignedIn,
      schema: { tags, summary: 'One claim (operator)', description: 'The organisation, its claimant and registry record. Operator only; 404 `organization_not_found`.', security, params: OrgParams, response: { 200: ClaimSchema } },
    },
    async (request) => presentClaim(await orgs.getClaim(request.actor, request.params.orgnr)),
  );

  app.post<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/approve',
    {
      preValidation: requireSignedIn,
      schema: {
        tags,
        summary: 'Approve a claim (operator)',
        description: 'A pending organisation becomes approved and may publish. 409 `organization_not_pending` when it is not pending. Operator only.',
        security,
        params: OrgParams,
        response: { 200: OrganizationSchema },
      },
    },
    async (request) => presentOrganizationJson(await orgs.approve(request.actor, request.params.orgnr)),
  );

  app.post<{ Params: Static<typeof OrgParams>; Body: Static<typeof RejectBody> }>(
    '/organizations/:orgnr/reject',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Reject a claim (operator)',
        description: 'A pending organisation becomes rejected with a reason: it may neither publish nor prepare drafts, and the claimant’s membership is removed. A later claim of the same number replaces it. 409 `organization_not_pending`. Operator only.',
        security,
        params: OrgParams,
        body: RejectBody,
        response: { 200: OrganizationSchema },
      },
    },
    async (request) => presentOrganizationJson(await orgs.reject(request.actor, request.params.orgnr, request.body)),
  );

  app.post<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/recheck',
    {
      preValidation: requireSignedIn,
      schema: {
        tags,
        summary: 'Check against Enhetsregisteret again (operator)',
        description: 'Asks the registry (then the imported copy) again; a found unit refreshes the official name, form and municipality. Operator only.',
        security,
        params: OrgParams,
        response: { 200: RecheckResult },
      },
    },
    async (request) => {
      const r = await orgs.recheck(request.actor, request.params.orgnr);
      return { ...r, organization: presentOrganizationJson(r.organization) };
    },
  );

  app.post<{ Querystring: Static<typeof RecheckAllQuery> }>(
    '/operator/registry/recheck',
    {
      preValidation: requireSignedIn,
      schema: {
        tags,
        summary: 'Check all unchecked organisations again (operator)',
        description: 'Runs the registry check for every organisation not yet checked (or every one with `?all=true`) and returns counts. Operator only.',
        security,
        querystring: RecheckAllQuery,
        response: { 200: Type.Object({ checked: Type.Integer(), verified: Type.Integer(), deleted: Type.Integer(), notFound: Type.Integer(), unavailable: Type.Integer() }) },
      },
    },
    async (request) => orgs.recheckAll(request.actor, { all: request.query.all === true }),
  );
};
