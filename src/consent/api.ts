// JSON routes of consent (samtykke): a table's consent setting (owner editors), consent requests, decisions by the
// subject's admins, and the subject's event log. Handlers validate, call the consent service and present.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors';
import { requireJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { CONSENT_EVENTS, CONSENT_STATES, MAX_PURPOSE_LENGTH, type ConsentView } from './model';

const tags = ['consents'];
const security = [{ bearer: [] }];

/** Signed-in people and machine clients (they act for their organisation); 401 before anything is looked at. */
async function requireActor(request: FastifyRequest): Promise<void> {
  if (!request.actor.user && !request.actor.client) throw new UnauthenticatedError();
}
async function requireActorJson(request: FastifyRequest): Promise<void> {
  await requireActor(request);
  requireJson(request);
}
/** Decisions may come without a body; a body must be JSON. */
async function requireActorMaybeJson(request: FastifyRequest): Promise<void> {
  await requireActor(request);
  if (request.headers['content-type'] !== undefined) requireJson(request);
  else request.body = {};
}

const Orgnr = Type.String({ maxLength: 20, description: 'Organisasjonsnummer (9 digits)' });
const TableParams = Type.Object({ id: Type.String({ maxLength: 100 }), table: Type.String({ maxLength: 100 }) });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });

const TableConsentSchema = Type.Object({
  datasetId: Type.String(),
  table: Type.String(),
  consentBased: Type.Boolean(),
  column: Type.Union([Type.String(), Type.Null()], { description: 'The organisation-number column the rows are shared by.' }),
  candidates: Type.Optional(
    Type.Array(Type.Object({ name: Type.String(), semanticType: Type.Optional(Type.String()) }), { description: 'Editors only: the columns of the current version, detected orgnr columns first.' }),
  ),
});
const MarkBody = Type.Object({ column: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });

export const ConsentSchema = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  datasetTitle: Type.String(),
  table: Type.String(),
  tableTitle: Type.String(),
  subjectOrgnr: Type.String(),
  subjectName: Type.Union([Type.String(), Type.Null()]),
  consumerOrgnr: Type.String(),
  consumerName: Type.Union([Type.String(), Type.Null()]),
  purpose: Type.String(),
  validTo: Type.String({ format: 'date-time' }),
  state: Type.Union(CONSENT_STATES.map((s) => Type.Literal(s))),
  createdAt: Type.String({ format: 'date-time' }),
  decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  links: Type.Object({ self: Type.String(), page: Type.String() }),
});
const EventSchema = Type.Object({
  id: Type.String(),
  consentId: Type.String(),
  kind: Type.Union(CONSENT_EVENTS.map((s) => Type.Literal(s))),
  at: Type.String({ format: 'date-time' }),
  rows: Type.Optional(Type.Integer({ description: 'used: rows of the subject in the read' })),
  offset: Type.Optional(Type.Integer()),
  surface: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});
const RequestBody = Type.Object(
  {
    consumerOrgnr: Orgnr,
    subjectOrgnr: Orgnr,
    datasetId: Type.String({ maxLength: 100 }),
    table: Type.String({ maxLength: 100 }),
    purpose: Type.String({ maxLength: MAX_PURPOSE_LENGTH * 2 }),
    validTo: Type.String({ maxLength: 40, description: 'YYYY-MM-DD (through that day, UTC) or an RFC 3339 date-time.' }),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  {
    as: Type.Optional(Type.Union([Type.Literal('subject'), Type.Literal('consumer')])),
    orgnr: Type.Optional(Type.String({ maxLength: 20 })),
    state: Type.Optional(Type.Union(CONSENT_STATES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);
const DecisionBody = Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: MAX_PURPOSE_LENGTH * 2 })) }, { additionalProperties: false }));
const EventsQuery = Type.Object(
  { offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

export function presentConsent(c: ConsentView) {
  return { ...c, links: { self: urls.api.consent(c.id), page: urls.consent(c.id) } };
}

const PARTIES = 'Visible to members (and machine clients) of the subject and the consumer organisation; anyone else gets 404 `consent_not_found`, anonymous 401.';

export const consentApi: DomainPlugin = async (app, { services }) => {
  const consents = services.consents;

  app.get<{ Params: Static<typeof TableParams> }>(
    '/datasets/:id/tables/:table/consent',
    {
      schema: {
        tags,
        summary: 'Whether a table shares its rows by consent',
        description: 'A consent-based table shares each organisation’s rows with the consumers that organisation consented to, keyed on an organisation-number column. Public metadata of a visible dataset; editors also get the columns to choose from.',
        params: TableParams,
        response: { 200: TableConsentSchema },
      },
    },
    async (request) => consents.tableConsent(request.actor, request.params.id, request.params.table),
  );

  app.put<{ Params: Static<typeof TableParams>; Body: Static<typeof MarkBody> }>(
    '/datasets/:id/tables/:table/consent',
    {
      preValidation: requireActorJson,
      schema: {
        tags,
        summary: 'Make a table consent-based',
        description: 'Editors of the owner organisation: the rows are shared per subject organisation, keyed on `column`, which must be a column of the current version (422 `unknown_column`); a PUBLIC dataset is 422 `consent_public_dataset`. Audited as table.consent.mark.',
        security,
        params: TableParams,
        body: MarkBody,
        response: { 200: TableConsentSchema },
      },
    },
    async (request) => consents.markTable(request.actor, request.params.id, request.params.table, request.body.column),
  );

  app.delete<{ Params: Static<typeof TableParams> }>(
    '/datasets/:id/tables/:table/consent',
    {
      preValidation: requireActor,
      schema: { tags, summary: 'Stop sharing a table’s rows by consent', description: 'Editors of the owner organisation. Consents stay on record but give no rows.', security, params: TableParams, response: { 200: TableConsentSchema } },
    },
    async (request) => consents.unmarkTable(request.actor, request.params.id, request.params.table),
  );

  app.post<{ Body: Static<typeof RequestBody> }>(
    '/consents',
    {
      preValidation: requireActorJson,
      schema: {
        tags,
        summary: 'Send a consent request (samtykkeforespørsel)',
        description: 'On behalf of `consumerOrgnr` (an organisation you act for, else 403 `consent_not_acting_for`), ask `subjectOrgnr` for consent to read its rows of a consent-based table (409 `table_not_consent_based`) for `purpose` until `validTo`. 409 `consent_exists` while an open request or consent for the same table and subject exists. The subject’s admins are notified by e-mail. Needs the write scope.',
        security,
        body: RequestBody,
        response: { 201: ConsentSchema },
      },
    },
    async (request, reply) => reply.status(201).send(presentConsent(await consents.request(request.actor, request.body))),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/consents',
    {
      preValidation: requireActor,
      schema: {
        tags,
        summary: 'Consents your organisations are party to',
        description: 'As subject (asked for consent) or consumer (asking), newest first, at most 500. `orgnr` narrows to one of your organisations.',
        security,
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(ConsentSchema) }) },
      },
    },
    async (request) => ({ items: (await consents.list(request.actor, request.query)).map(presentConsent) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/consents/:id',
    {
      preValidation: requireActor,
      schema: {
        tags,
        summary: 'A consent and its events',
        description: `Every event of the consent in order: requested, accepted, rejected, revoked, expired and each use (with the subject’s rows read). ${PARTIES}`,
        security,
        params: IdParams,
        response: { 200: Type.Object({ consent: ConsentSchema, events: Type.Array(EventSchema), canDecide: Type.Boolean() }) },
      },
    },
    async (request) => {
      const { consent, events, canDecide } = await consents.get(request.actor, request.params.id);
      return { consent: presentConsent(consent), events, canDecide };
    },
  );

  for (const action of ['accept', 'reject', 'revoke'] as const) {
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof DecisionBody> }>(
      `/consents/:id/${action}`,
      {
        preValidation: requireActorMaybeJson,
        schema: {
          tags,
          summary: action === 'accept' ? 'Accept a consent request' : action === 'reject' ? 'Reject a consent request' : 'Revoke a consent',
          description: `Admins of the subject organisation only, signed in as a person (403 \`consent_subject_admin_only\`, also for the consumer). ${
            action === 'revoke' ? 'An accepted consent can be revoked at any time; reads stop at once.' : 'Only a requested consent before its validTo.'
          } Any other state is 409 \`consent_transition_refused\`. The requester is notified. ${PARTIES}`,
          security,
          params: IdParams,
          body: DecisionBody,
          response: { 200: ConsentSchema },
        },
      },
      async (request) => {
        const reason = request.body?.reason;
        const c =
          action === 'accept'
            ? await consents.accept(request.actor, request.params.id)
            : action === 'reject'
              ? await consents.reject(request.actor, request.params.id, reason)
              : await consents.revoke(request.actor, request.params.id, reason);
        return presentConsent(c);
      },
    );
  }

  app.get<{ Params: Static<typeof OrgParams>; Querystring: Static<typeof EventsQuery> }>(
    '/organizations/:orgnr/consent-events',
    {
      preValidation: requireActor,
      schema: {
        tags,
        summary: 'The consent log of an organisation as subject',
        description: 'Every event of every consent the organisation was asked for, newest first, each with its consent; `used` events say how many of the organisation’s rows were read. Members of the organisation only (403 `members_only`).',
        security,
        params: OrgParams,
        querystring: EventsQuery,
        response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(Type.Intersect([EventSchema, Type.Object({ consent: ConsentSchema })])) }) },
      },
    },
    async (request) => {
      const page = await consents.subjectEvents(request.actor, request.params.orgnr, request.query);
      return { total: page.total, items: page.items.map((e) => ({ ...e, consent: presentConsent(e.consent) })) };
    },
  );
};
