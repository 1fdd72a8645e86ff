// JSON routes for access requests, grants and their agreements (ODRL JSON-LD, PDF), the owner's queue, a dataset's
// audit log (JSON, CSV) and usage statistics, and the signed-in user's notifications. Handlers validate (schema), call
// the services, present; every id route answers 404 to whoever is on neither side (no IDOR).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors';
import { requireJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { translator } from '../web/i18n/index';
import { urls } from '../web/urls';
import { agreementFilename, odrlAgreement, renderAgreementPdf, type AgreementFacts } from './agreement';
import { GRANT_STATES, REQUEST_STATES, type AccessRequest } from './model';

const tags = ['access'];
const security = [{ bearer: [] }];
const NStr = Type.Union([Type.String(), Type.Null()]);
const Text = (max: number) => Type.String({ maxLength: max });

const OrgRef = Type.Object({ orgnr: Type.String(), name: Type.String() });
export const GrantSchema = Type.Object({
  id: Type.String(),
  requestId: Type.String(),
  datasetId: Type.String(),
  grantee: OrgRef,
  owner: OrgRef,
  state: Type.Union(GRANT_STATES.map((s) => Type.Literal(s))),
  status: Type.Union([...GRANT_STATES, 'expired'].map((s) => Type.Literal(s)), { description: 'state, with active grants past validTo shown as expired' }),
  validFrom: Type.String({ format: 'date-time' }),
  validTo: Type.String({ format: 'date-time', description: 'Exclusive end.' }),
  terms: Type.String(),
  licence: NStr,
  createdAt: Type.String(),
  acceptedAt: NStr,
  revokedAt: NStr,
  revokeReason: NStr,
  renewedAt: NStr,
  url: Type.String(),
  agreement: Type.String({ description: 'The ODRL Agreement (JSON-LD).' }),
  agreementPdf: Type.String(),
});
const RequestSchema = Type.Object({
  id: Type.String(),
  dataset: Type.Object({ id: Type.String(), title: Type.Object({ nb: Type.Optional(Type.String()), nn: Type.Optional(Type.String()), en: Type.Optional(Type.String()) }) }),
  requester: Type.Object({ orgnr: Type.String(), name: Type.String(), userId: NStr, userName: NStr }),
  owner: OrgRef,
  state: Type.Union(REQUEST_STATES.map((s) => Type.Literal(s))),
  purpose: Type.String(),
  intendedUse: Type.String(),
  legalBasis: Type.Object({ art6: Type.String(), specialCategories: Type.Boolean(), art9: NStr, note: NStr }),
  dataScope: Type.Record(Type.String(), Type.Array(Type.String())),
  recipients: Type.String(),
  period: Type.Object({ from: Type.String(), to: Type.String() }),
  deletion: Type.String(),
  terms: NStr,
  decisionReason: NStr,
  infoQuestion: NStr,
  infoAnswer: NStr,
  decidedAt: NStr,
  createdAt: Type.String(),
  updatedAt: Type.String(),
  ageDays: Type.Integer(),
  grant: Type.Union([GrantSchema, Type.Null()]),
  url: Type.String(),
  page: Type.String(),
});
const RequestList = Type.Object({ items: Type.Array(RequestSchema) });

const RequestCreate = Type.Object(
  {
    datasetId: Text(100),
    orgnr: Text(20),
    purpose: Text(5000),
    intendedUse: Text(5000),
    legalBasis: Type.Object(
      { art6: Text(2), specialCategories: Type.Optional(Type.Boolean()), art9: Type.Optional(Type.Union([Text(2), Type.Null()])), note: Type.Optional(Type.Union([Text(2000), Type.Null()])) },
      { additionalProperties: false, description: 'GDPR art. 6(1) letter a–f; with special categories, art. 9(2) letter a–j.' },
    ),
    dataScope: Type.Record(Type.String({ maxLength: 63 }), Type.Array(Text(200), { maxItems: 500 }), { description: 'Data minimisation: table name → the columns needed ([] = all).' }),
    recipients: Text(2000),
    period: Type.Object({ from: Text(10), to: Text(10) }, { additionalProperties: false, description: 'YYYY-MM-DD, both inclusive.' }),
    deletion: Text(2000),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });
const Terms = Type.Object({ terms: Text(5000) }, { additionalProperties: false });
const Reason = Type.Object({ reason: Text(2000) }, { additionalProperties: false });
const OptReason = Type.Object({ reason: Type.Optional(Text(2000)) }, { additionalProperties: false });
const Question = Type.Object({ question: Text(2000) }, { additionalProperties: false });
const Answer = Type.Object({ answer: Text(5000) }, { additionalProperties: false });
const Renew = Type.Object({ validTo: Text(10) }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });

const AuditEntry = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  at: Type.String(),
  actor: Type.Object({ userId: NStr, name: NStr }),
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.String(),
});
const AuditQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })) }, { additionalProperties: false });
const UsageSchema = Type.Object({
  items: Type.Array(Type.Object({ orgnr: NStr, name: NStr, basis: Type.String(), grantId: NStr, reads: Type.Integer(), rows: Type.Integer(), lastAt: Type.String() })),
});
const NotificationList = Type.Object({
  unread: Type.Integer(),
  items: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), params: Type.Record(Type.String(), Type.String()), link: Type.String(), createdAt: Type.String(), readAt: NStr })),
});
const ReadBody = Type.Object({ id: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false });

function presentGrantJson(g: NonNullable<AccessRequest['grant']>): Static<typeof GrantSchema> {
  return { ...g, url: urls.api.grant(g.id), agreement: urls.api.agreement(g.id), agreementPdf: urls.api.agreementPdf(g.id) };
}
function presentRequestJson(r: AccessRequest): Static<typeof RequestSchema> {
  return { ...r, grant: r.grant ? presentGrantJson(r.grant) : null, url: urls.api.accessRequest(r.id), page: urls.accessRequest(r.id) };
}

/** Signed in (401 first), and a JSON body when there is one (a body-less POST is fine). */
async function signedInMaybeJson(request: FastifyRequest): Promise<void> {
  if (!request.actor.user && !request.actor.client) throw new UnauthenticatedError();
  if (request.headers['content-type'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0) requireJson(request);
}

export function agreementFacts(r: AccessRequest, baseUrl: string): AgreementFacts {
  const grantId = r.grant?.id ?? r.id;
  return { request: r, datasetTitle: r.dataset.title, urls: { dataset: `${baseUrl}${urls.rdf.datasetResource(r.dataset.id)}`, agreement: `${baseUrl}${urls.agreement(grantId)}`, org: (o) => `${baseUrl}${urls.organization(o)}` } };
}

export const accessRequestsApi: DomainPlugin = async (app, { services }) => {
  const svc = services.accessRequests;
  const baseUrl = services.platform.config.baseUrl;

  app.post<{ Body: Static<typeof RequestCreate> }>(
    '/access-requests',
    {
      preValidation: signedInMaybeJson,
      schema: {
        tags,
        summary: 'Apply for access to a dataset',
        description:
          'On behalf of an organisation you are a member of, for a published RESTRICTED or NON_PUBLIC dataset of another organisation. 422 `validation_failed` lists each problem (art. 9 is required when specialCategories is true; dataScope names tables and columns of the dataset); 409 when your organisation already has an open request for it. The owner\'s editors and admins are notified.',
        security,
        body: RequestCreate,
        response: { 201: RequestSchema },
      },
    },
    async (request, reply) => {
      const r = await svc.submit(request.actor, request.body);
      return reply.status(201).header('location', urls.api.accessRequest(r.id)).send(presentRequestJson(r));
    },
  );

  app.get('/access-requests', { schema: { tags, summary: 'Your organisations\' access requests', security, response: { 200: RequestList } } }, async (request) => ({
    items: (await svc.mine(request.actor)).map(presentRequestJson),
  }));

  app.get<{ Params: Static<typeof IdParams> }>(
    '/access-requests/:id',
    { schema: { tags, summary: 'One access request', description: 'For members of the requesting and the owning organisation; 404 for everyone else.', security, params: IdParams, response: { 200: RequestSchema } } },
    async (request) => presentRequestJson(await svc.get(request.actor, request.params.id)),
  );

  const decision = <B extends Record<string, unknown>>(action: 'approve' | 'reject' | 'ask' | 'answer' | 'withdraw' | 'accept', body: ReturnType<typeof Type.Object>, summary: string, run: (actor: FastifyRequest['actor'], id: string, body: B) => Promise<AccessRequest>) =>
    app.post<{ Params: Static<typeof IdParams>; Body: B }>(
      `/access-requests/:id/${action}`,
      { preValidation: signedInMaybeJson, schema: { tags, summary, security, params: IdParams, body, response: { 200: RequestSchema } } },
      async (request) => presentRequestJson(await run(request.actor, request.params.id, (request.body ?? {}) as B)),
    );
  decision<{ terms: string }>('approve', Terms, 'Approve with terms (owner editors/admins; never your own organisation\'s request): offers the agreement', (a, id, b) => svc.approve(a, id, b));
  decision<{ reason: string }>('reject', Reason, 'Reject with a reason (owner editors/admins)', (a, id, b) => svc.reject(a, id, b));
  decision<{ question: string }>('ask', Question, 'Ask the requester for more information (owner editors/admins)', (a, id, b) => svc.askForInformation(a, id, b));
  decision<{ answer: string }>('answer', Answer, 'Answer the owner\'s question (requesting organisation)', (a, id, b) => svc.answer(a, id, b));
  decision<Record<string, never>>('withdraw', Empty, 'Withdraw the request (requesting organisation)', (a, id) => svc.withdraw(a, id));
  decision<Record<string, never>>('accept', Empty, 'Accept the agreement: the grant becomes active (requesting organisation)', (a, id) => svc.accept(a, id));

  app.get<{ Params: Static<typeof OrgParams>; Querystring: { state?: string } }>(
    '/organizations/:orgnr/access-requests',
    {
      schema: {
        tags,
        summary: 'The organisation\'s queue of access requests',
        description: 'Requests for the organisation\'s datasets, oldest first, with state and age in days. Editors and admins of the organisation.',
        security,
        params: OrgParams,
        querystring: Type.Object({ state: Type.Optional(Type.Union(REQUEST_STATES.map((s) => Type.Literal(s)))) }, { additionalProperties: false }),
        response: { 200: RequestList },
      },
    },
    async (request) => ({ items: (await svc.queue(request.actor, request.params.orgnr, { state: request.query.state })).map(presentRequestJson) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/grants/:id',
    { schema: { tags, summary: 'One grant', description: 'Both organisations and the operator; 404 for everyone else.', security, params: IdParams, response: { 200: GrantSchema } } },
    async (request) => presentGrantJson(await svc.getGrant(request.actor, request.params.id)),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/grants/:id/agreement',
    {
      schema: {
        tags,
        summary: 'The data-sharing agreement as an ODRL Agreement (JSON-LD)',
        description: 'assigner (owner) and assignee (requester) with organisasjonsnummer, target (the dataset), a use permission constrained by purpose and period, a duty to delete at the end.',
        security,
        params: IdParams,
        produces: ['application/ld+json'],
        response: { 200: { description: 'ODRL JSON-LD', content: { 'application/ld+json': { schema: { type: 'object' } } } } },
      },
    },
    async (request, reply) => {
      const r = await svc.agreement(request.actor, request.params.id);
      return reply.type('application/ld+json; charset=utf-8').send(JSON.stringify(odrlAgreement(agreementFacts(r, baseUrl)), null, 2));
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/grants/:id/agreement.pdf',
    { schema: { tags, summary: 'The data-sharing agreement as PDF', security, params: IdParams, produces: ['application/pdf'], response: { 200: { description: 'PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } } } },
    async (request, reply) => {
      const r = await svc.agreement(request.actor, request.params.id);
      const facts = agreementFacts(r, baseUrl);
      const pdf = await renderAgreementPdf(facts, translator(request.locale), request.locale);
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${agreementFilename(facts)}"`).send(pdf);
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: { reason?: string } }>(
    '/grants/:id/revoke',
    { preValidation: signedInMaybeJson, schema: { tags, summary: 'Revoke a grant now (owner editors/admins): the next read is refused', security, params: IdParams, body: OptReason, response: { 200: GrantSchema } } },
    async (request) => presentGrantJson(await svc.revoke(request.actor, request.params.id, request.body ?? {})),
  );
  app.post<{ Params: Static<typeof IdParams>; Body: { validTo: string } }>(
    '/grants/:id/renew',
    { preValidation: signedInMaybeJson, schema: { tags, summary: 'Renew a grant: move its end to the end of validTo (owner editors/admins)', security, params: IdParams, body: Renew, response: { 200: GrantSchema } } },
    async (request) => presentGrantJson(await svc.renew(request.actor, request.params.id, request.body)),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/grants',
    { schema: { tags, summary: 'Grants on a dataset (owner editors/admins)', security, params: IdParams, response: { 200: Type.Object({ items: Type.Array(GrantSchema) }) } } },
    async (request) => ({ items: (await svc.grantsOfDataset(request.actor, request.params.id)).map(presentGrantJson) }),
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof AuditQuery> }>(
    '/datasets/:id/audit',
    {
      schema: {
        tags,
        summary: 'The dataset\'s audit log',
        description: 'Every change, request, decision, grant and read of the dataset and its tables, newest first, with the entry\'s chain hash. Editors and admins of the owner (403 otherwise; 404 for a hidden dataset).',
        security,
        params: IdParams,
        querystring: AuditQuery,
        response: { 200: Type.Object({ items: Type.Array(AuditEntry), total: Type.Integer() }) },
      },
    },
    async (request) => services.auditLog.datasetLog(request.actor, request.params.id, { limit: request.query.limit, offset: request.query.offset }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/audit.csv',
    { schema: { tags, summary: 'The dataset\'s audit log as CSV', security, params: IdParams, produces: ['text/csv'], response: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } } } } },
    async (request, reply) => {
      const csv = await services.auditLog.datasetCsv(request.actor, request.params.id);
      return reply.type('text/csv; charset=utf-8; header=present').header('content-disposition', `attachment; filename="audit-${request.params.id.slice(0, 8)}.csv"`).send(csv);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/usage',
    { schema: { tags, summary: 'Per-consumer usage of the dataset\'s data', description: 'Reads and rows per consumer organisation and basis (grant, member, …). Editors and admins of the owner.', security, params: IdParams, response: { 200: UsageSchema } } },
    async (request) => ({ items: await services.auditLog.usage(request.actor, request.params.id) }),
  );

  app.get('/notifications', { schema: { tags, summary: 'Your notifications (newest first) and the unread count', security, response: { 200: NotificationList } } }, async (request) =>
    services.notifications.list(request.actor),
  );
  app.post<{ Body: { id?: string } }>(
    '/notifications/read',
    { preValidation: signedInMaybeJson, schema: { tags, summary: 'Mark one notification (id) or all as read', security, body: ReadBody, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await services.notifications.markRead(request.actor, request.body?.id);
      return reply.status(204).send();
    },
  );
};
