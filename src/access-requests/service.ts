// Access requests, modelled on how Helsedata and Findata handle applications, and the grants they produce.
//
// Rules:
// - A signed-in user applies on behalf of one of their organisations for a published RESTRICTED or NON_PUBLIC dataset
//   they can see (a hidden one answers 404 as everywhere), never their own organisation's; one open request per
//   dataset and organisation. The application states purpose, intended use, GDPR art. 6 basis (art. 9 as well when
//   special categories are involved), data minimisation (tables and columns of the dataset), recipients, the period
//   wanted and deletion at its end.
// - The owner organisation's editors and admins see the queue and decide: approve with terms, reject with a reason, or
//   ask for more information (the requester answers, and the request is back in the queue). Nobody decides a request
//   they made or that their own (requesting) organisation made: self-approval is refused (403).
// - An approval offers a grant — the data-sharing agreement (./agreement) — that the requester's organisation accepts;
//   only then is it active, from the period's start until its end (exclusive: the day after `to`, 00:00 UTC). The owner
//   may revoke it at any time or renew it (move its end). resolveDataAccess() checks active grants at every read.
// - Requests and grants are seen by both organisations' members and the operator; everyone else gets 404 (no IDOR).
// - Every step is audited (recordAudit, same transaction) and notified to the other side in the app and by e-mail.
import { randomUUID } from 'node:crypto';
import type { Actor } from '../access/model';
import { recordAudit } from '../access/audit';
import { datasetResourceFor } from '../access/data-access';
import { decide } from '../access/service';
import type { Db, DbOrTx } from '../database';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import type { NotificationsService } from '../notifications/service';
import type { NotificationKind } from '../notifications/model';
import { nowIso, parseJson } from '../platform/db/index';
import type { LangText } from '../catalog/model';
import { urls } from '../web/urls';
import {
  ART6_BASES,
  ART9_BASES,
  OPEN_REQUEST_STATES,
  REQUEST_STATES,
  type AccessGrant,
  type AccessGrantRow,
  type AccessRequest,
  type AccessRequestInput,
  type AccessRequestRow,
  type Art6Basis,
  type Art9Basis,
  type RequestState,
} from './model';

export const TEXT_MAX = 5000;
const DAY_MS = 86_400_000;
/** The longest period a grant may run (five years), requested or renewed. */
export const MAX_PERIOD_DAYS = 5 * 366;

export function requestNotFound(id: string): NotFoundError {
  return new NotFoundError('Access request', id, 'access_request_not_found');
}
export function grantNotFound(id: string): NotFoundError {
  return new NotFoundError('Grant', id, 'grant_not_found');
}

function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The instant a period given as dates ends: the day after `to`, 00:00 UTC. */
export function periodEnd(to: string): string {
  return new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString();
}

function text(v: unknown, field: string, p: FieldProblem[], opts: { required?: boolean; max?: number } = {}): string | null {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) {
    if (opts.required !== false) p.push({ field, code: 'required', message: `${field.slice(1)} is required.` });
    return null;
  }
  const max = opts.max ?? TEXT_MAX;
  if (s.length > max) {
    p.push({ field, code: 'too_long', message: `${field.slice(1)} may be at most ${max} characters.` });
    return null;
  }
  return s;
}

export interface AccessRequestsDeps {
  db: Db;
  notifications: NotificationsService;
}

type RequestJoined = AccessRequestRow & { dataset_title: string; requester_name: string; owner_name: string; user_name: string | null };

function grantStatus(g: AccessGrantRow, now = nowIso()): AccessGrant['status'] {
  if (g.state === 'active' && g.valid_to <= now) return 'expired';
  return g.state;
}

export function presentGrant(g: AccessGrantRow, names: { grantee: string; owner: string }): AccessGrant {
  return {
    id: g.id,
    requestId: g.request_id,
    datasetId: g.dataset_id,
    grantee: { orgnr: g.grantee_orgnr, name: names.grantee },
    owner: { orgnr: g.owner_orgnr, name: names.owner },
    state: g.state,
    status: grantStatus(g),
    validFrom: g.valid_from,
    validTo: g.valid_to,
    terms: g.terms,
    licence: g.licence,
    createdAt: g.created_at,
    acceptedAt: g.accepted_at,
    revokedAt: g.revoked_at,
    revokeReason: g.revoke_reason,
    renewedAt: g.renewed_at,
  };
}

function present(r: RequestJoined, grant: AccessGrantRow | undefined): AccessRequest {
  return {
    id: r.id,
    dataset: { id: r.dataset_id, title: parseJson<LangText>(r.dataset_title, {}) },
    requester: { orgnr: r.requester_orgnr, name: r.requester_name, userId: r.requester_user_id, userName: r.user_name },
    owner: { orgnr: r.owner_orgnr, name: r.owner_name },
    state: r.state,
    purpose: r.purpose,
    intendedUse: r.intended_use,
    legalBasis: { art6: r.legal_basis_art6, specialCategories: Number(r.special_categories) === 1, art9: r.legal_basis_art9, note: r.legal_basis_note },
    dataScope: parseJson<Record<string, string[]>>(r.data_scope, {}),
    recipients: r.recipients,
    period: { from: r.period_from, to: r.period_to },
    deletion: r.deletion,
    terms: r.terms,
    decisionReason: r.decision_reason,
    infoQuestion: r.info_question,
    infoAnswer: r.info_answer,
    decidedAt: r.decided_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ageDays: Math.max(0, Math.floor((Date.now() - Date.parse(r.created_at)) / DAY_MS)),
    grant: grant ? presentGrant(grant, { grantee: r.requester_name, owner: r.owner_name }) : null,
  };
}

function requestQuery(db: DbOrTx) {
  return db
    .selectFrom('access_requests')
    .innerJoin('datasets', 'datasets.id', 'access_requests.dataset_id')
    .innerJoin('organizations as req', 'req.orgnr', 'access_requests.requester_orgnr')
    .innerJoin('organizations as own', 'own.orgnr', 'access_requests.owner_orgnr')
    .leftJoin('users', 'users.id', 'access_requests.requester_user_id')
    .selectAll('access_requests')
    .select(['datasets.title as dataset_title', 'req.name as requester_name', 'own.name as owner_name', 'users.name as user_name']);
}

/** The users to notify on one side: the owner's editors and admins, or the requester and its organisation's admins. */
async function ownerDeciders(db: DbOrTx, orgnr: string): Promise<string[]> {
  const rows = await db.selectFrom('memberships').select('user_id').where('orgnr', '=', orgnr).where('role', 'in', ['admin', 'editor']).execute();
  return rows.map((r) => r.user_id);
}
async function requesterSide(db: DbOrTx, r: AccessRequestRow): Promise<string[]> {
  const admins = await db.selectFrom('memberships').select('user_id').where('orgnr', '=', r.requester_orgnr).where('role', '=', 'admin').execute();
  return [...(r.requester_user_id ? [r.requester_user_id] : []), ...admins.map((a) => a.user_id)];
}

function isDecider(actor: Actor, ownerOrgnr: string): boolean {
  const role = actor.memberships[ownerOrgnr];
  return role === 'admin' || role === 'editor';
}

export function createAccessRequestsService(deps: AccessRequestsDeps) {
  const { db, notifications } = deps;

  async function load(id: string, tx: DbOrTx = db): Promise<AccessRequest> {
    const r = await requestQuery(tx).where('access_requests.id', '=', id).executeTakeFirst();
    if (!r) throw requestNotFound(id);
    const g = r.grant_id ? await tx.selectFrom('access_grants').selectAll().where('id', '=', r.grant_id).executeTakeFirst() : undefined;
    return present(r, g);
  }

  /** The request row if the actor is on either side (or the operator); 404 otherwise, 401 anonymous. */
  async function visibleRequest(actor: Actor, id: string): Promise<AccessRequestRow> {
    if (!actor.user && !actor.client) throw new UnauthenticatedError();
    if (actor.scopes !== null && actor.scopes.length === 0) throw requestNotFound(id);
    const r = await db.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw requestNotFound(id);
    const sides = [r.owner_orgnr, r.requester_orgnr];
    const member = sides.some((o) => actor.memberships[o] !== undefined) || (actor.client !== undefined && actor.client !== null && sides.includes(actor.client.orgnr));
    if (!member && !actor.user?.isOperator) throw requestNotFound(id);
    return r;
  }

  /** Write access: API tokens need the write scope for any change here. */
  function assertWriteScope(actor: Actor): void {
    if (actor.scopes !== null && !actor.scopes.includes('write') && !actor.scopes.includes('admin')) throw new ForbiddenError('Your API token does not have the scope this needs.', 'token_scope');
  }

  function assertOwnerDecider(actor: Actor, r: AccessRequestRow): void {
    assertWriteScope(actor);
    if (!isDecider(actor, r.owner_orgnr)) {
      // Both sides may see the request; only the owner's editors and admins decide.
      throw new ForbiddenError('Only an administrator or editor of the dataset owner may decide this request.', 'editor_only');
    }
    if (actor.user && (r.requester_user_id === actor.user.id || actor.memberships[r.requester_orgnr] !== undefined)) {
      throw new ForbiddenError('You cannot decide a request you or your own organisation made.', 'self_approval');
    }
  }

  /** assertOwnerDecider(), with a refusal recorded in the audit log (self-approval attempts are on record). */
  async function assertOwnerDeciderAudited(actor: Actor, r: AccessRequestRow, action: string): Promise<void> {
    try {
      assertOwnerDecider(actor, r);
    } catch (err) {
      if (err instanceof ForbiddenError) {
        await recordAudit(db, actor, { action: `${action}.denied`, resourceType: 'dataset', resourceId: r.dataset_id, details: { requestId: r.id, reason: (err.details as { reason?: string } | undefined)?.reason ?? 'forbidden' } });
      }
      throw err;
    }
  }

  function assertRequesterSide(actor: Actor, r: AccessRequestRow): void {
    assertWriteScope(actor);
    if (actor.memberships[r.requester_orgnr] === undefined) throw new ForbiddenError('Only the requesting organisation may do this.', 'requester_only');
  }

  async function transition(
    actor: Actor,
    r: AccessRequestRow,
    from: readonly RequestState[],
    set: Partial<AccessRequestRow>,
    audit: { action: string; details?: Record<string, unknown> },
    notify: { kind: NotificationKind; to: 'owner' | 'requester' },
    extra?: (tx: DbOrTx) => Promise<void>,
  ): Promise<AccessRequest> {
    if (!from.includes(r.state)) throw new ConflictError(`The request is ${r.state}; this cannot be done now.`, 'request_state');
    const now = nowIso();
    let send: () => void = () => undefined;
    await db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('access_requests')
        .set({ ...set, updated_at: now })
        .where('id', '=', r.id)
        .where('state', '=', r.state)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new ConflictError('The request changed meanwhile; reload it.', 'request_state');
      await extra?.(tx);
      await recordAudit(tx, actor, { action: audit.action, resourceType: 'dataset', resourceId: r.dataset_id, details: { requestId: r.id, requesterOrgnr: r.requester_orgnr, ...audit.details } });
      const users = notify.to === 'owner' ? await ownerDeciders(tx, r.owner_orgnr) : await requesterSide(tx, r);
      send = await notifications.notify(tx, { userIds: users.filter((u) => u !== actor.user?.id), kind: notify.kind, params: await noticeParams(tx, r), link: urls.accessRequest(r.id) });
    });
    send();
    return load(r.id);
  }

  async function noticeParams(tx: DbOrTx, r: AccessRequestRow): Promise<Record<string, string>> {
    const [ds, req, own] = await Promise.all([
      tx.selectFrom('datasets').select('title').where('id', '=', r.dataset_id).executeTakeFirst(),
      tx.selectFrom('organizations').select('name').where('orgnr', '=', r.requester_orgnr).executeTakeFirst(),
      tx.selectFrom('organizations').select('name').where('orgnr', '=', r.owner_orgnr).executeTakeFirst(),
    ]);
    const title = parseJson<LangText>(ds?.title ?? '{}', {});
    return { dataset: title.nb ?? title.en ?? title.nn ?? r.dataset_id, requester: req?.name ?? r.requester_orgnr, owner: own?.name ?? r.owner_orgnr };
  }

  async function visibleGrant(actor: Actor, id: string): Promise<AccessGrantRow> {
    if (!actor.user && !actor.client) throw new UnauthenticatedError();
    const g = await db.selectFrom('access_grants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!g) throw grantNotFound(id);
    const sides = [g.owner_orgnr, g.grantee_orgnr];
    const member = sides.some((o) => actor.memberships[o] !== undefined) || (actor.client ? sides.includes(actor.client.orgnr) : false);
    if (!member && !actor.user?.isOperator) throw grantNotFound(id);
    return g;
  }

  async function grantView(g: AccessGrantRow): Promise<AccessGrant> {
    const orgs = await db.selectFrom('organizations').select(['orgnr', 'name']).where('orgnr', 'in', [g.grantee_orgnr, g.owner_orgnr]).execute();
    const name = (o: string) => orgs.find((x) => x.orgnr === o)?.name ?? o;
    return presentGrant(g, { grantee: name(g.grantee_orgnr), owner: name(g.owner_orgnr) });
  }

  return {
    /** Checks and stores an application; notifies the owner's editors and admins. */
    async submit(actor: Actor, input: AccessRequestInput): Promise<AccessRequest> {
      if (!actor.user) throw new UnauthenticatedError();
      assertWriteScope(actor);
      const datasetId = typeof input.datasetId === 'string' ? input.datasetId : '';
      const ds = await db.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights', 'hidden', 'licence']).where('id', '=', datasetId).executeTakeFirst();
      if (!ds) throw new NotFoundError('Dataset', datasetId, 'dataset_not_found');
      const resource = await datasetResourceFor(db, actor, ds);
      if (!decide(actor, 'dataset:read-metadata', resource).allow) throw new NotFoundError('Dataset', datasetId, 'dataset_not_found');
      const p: FieldProblem[] = [];
      if (ds.state !== 'published') p.push({ field: '/datasetId', code: 'not_published', message: 'Access can be requested to published datasets only.' });
      if (ds.access_rights === 'PUBLIC') p.push({ field: '/datasetId', code: 'public_dataset', message: 'This dataset is public: no request is needed.' });
      const orgnr = typeof input.orgnr === 'string' ? input.orgnr.trim() : '';
      if (actor.memberships[orgnr] === undefined) p.push({ field: '/orgnr', code: 'not_your_organisation', message: 'You can apply on behalf of an organisation you are a member of only.' });
      else if (orgnr === ds.orgnr) p.push({ field: '/orgnr', code: 'own_dataset', message: 'Your organisation owns this dataset: no request is needed.' });
      const purpose = text(input.purpose, '/purpose', p);
      const intendedUse = text(input.intendedUse, '/intendedUse', p);
      const lb = input.legalBasis ?? { art6: '' };
      const art6 = typeof lb.art6 === 'string' ? lb.art6.trim().toLowerCase() : '';
      if (!(ART6_BASES as readonly string[]).includes(art6)) p.push({ field: '/legalBasis/art6', code: 'invalid_art6', message: 'Choose the legal basis under GDPR article 6(1), a–f.' });
      const special = lb.specialCategories === true;
      const art9raw = typeof lb.art9 === 'string' ? lb.art9.trim().toLowerCase() : '';
      let art9: Art9Basis | null = null;
      if (special) {
        if ((ART9_BASES as readonly string[]).includes(art9raw)) art9 = art9raw as Art9Basis;
        else p.push({ field: '/legalBasis/art9', code: 'invalid_art9', message: 'Special categories of personal data need an exception under GDPR article 9(2), a–j.' });
      } else if (art9raw) p.push({ field: '/legalBasis/art9', code: 'art9_without_special', message: 'An article 9 exception applies only when special categories are involved.' });
      const note = text(lb.note, '/legalBasis/note', p, { required: false, max: 2000 });
      const recipients = text(input.recipients, '/recipients', p, { max: 2000 });
      const deletion = text(input.deletion, '/deletion', p, { max: 2000 });
      const from = typeof input.period?.from === 'string' ? input.period.from.trim() : '';
      const to = typeof input.period?.to === 'string' ? input.period.to.trim() : '';
      if (!isIsoDate(from)) p.push({ field: '/period/from', code: 'invalid_date', message: 'The start of the period must be a date as YYYY-MM-DD.' });
      if (!isIsoDate(to)) p.push({ field: '/period/to', code: 'invalid_date', message: 'The end of the period must be a date as YYYY-MM-DD.' });
      if (isIsoDate(from) && isIsoDate(to)) {
        if (to < from) p.push({ field: '/period/to', code: 'end_before_start', message: 'The period ends before it starts.' });
        else if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_PERIOD_DAYS) p.push({ field: '/period/to', code: 'period_too_long', message: 'A period may be at most five years.' });
        if (to < nowIso().slice(0, 10)) p.push({ field: '/period/to', code: 'period_past', message: 'The period has already ended.' });
      }
      // Data minimisation: name the tables (and columns) of this dataset you need.
      const tables = await db.selectFrom('tables').leftJoin('table_versions', 'table_versions.id', 'tables.current_version_id').select(['tables.name', 'table_versions.columns']).where('tables.dataset_id', '=', ds.id).execute();
      const scope: Record<string, string[]> = {};
      const given = input.dataScope && typeof input.dataScope === 'object' && !Array.isArray(input.dataScope) ? input.dataScope : {};
      for (const [name, cols] of Object.entries(given).slice(0, 200)) {
        const t = tables.find((x) => x.name === name);
        if (!t) {
          p.push({ field: `/dataScope/${name.slice(0, 64)}`, code: 'unknown_table', message: 'The dataset has no table with this name.' });
          continue;
        }
        const known = parseJson<{ name: string }[]>(t.columns ?? '[]', []).map((c) => c.name);
        const list = Array.isArray(cols) ? [...new Set(cols.filter((c): c is string => typeof c === 'string'))] : [];
        const unknown = list.filter((c) => !known.includes(c));
        if (unknown.length > 0) p.push({ field: `/dataScope/${name}`, code: 'unknown_column', message: `The table has no column ${unknown.slice(0, 3).map((c) => `"${c.slice(0, 64)}"`).join(', ')}.` });
        scope[name] = list;
      }
      if (tables.length > 0 && Object.keys(scope).length === 0 && !p.some((x) => x.field.startsWith('/dataScope'))) {
        p.push({ field: '/dataScope', code: 'scope_required', message: 'Name the tables (and columns) you need: data minimisation.' });
      }
      if (p.length > 0) throw new ValidationError(p);
      const open = await db.selectFrom('access_requests').select('id').where('dataset_id', '=', ds.id).where('requester_orgnr', '=', orgnr).where('state', 'in', [...OPEN_REQUEST_STATES, 'approved']).executeTakeFirst();
      if (open) throw new ConflictError('Your organisation already has an open request for this dataset.', 'request_open', { requestId: open.id });

      const id = randomUUID();
      const now = nowIso();
      let send: () => void = () => undefined;
      await db.transaction().execute(async (tx) => {
        const row: AccessRequestRow = {
          id,
          dataset_id: ds.id,
          requester_user_id: actor.user?.id ?? null,
          requester_orgnr: orgnr,
          owner_orgnr: ds.orgnr,
          state: 'submitted',
          purpose: purpose as string,
          intended_use: intendedUse as string,
          legal_basis_art6: art6 as Art6Basis,
          special_categories: special ? 1 : 0,
          legal_basis_art9: art9,
          legal_basis_note: note,
          data_scope: JSON.stringify(scope),
          recipients: recipients as string,
          period_from: from,
          period_to: to,
          deletion: deletion as string,
          terms: null,
          decision_reason: null,
          info_question: null,
          info_answer: null,
          decided_by: null,
          decided_at: null,
          grant_id: null,
          created_at: now,
          updated_at: now,
        };
        await tx.insertInto('access_requests').values(row).execute();
        await recordAudit(tx, actor, { action: 'access_request.submit', resourceType: 'dataset', resourceId: ds.id, details: { requestId: id, requesterOrgnr: orgnr, tables: Object.keys(scope) } });
        send = await notifications.notify(tx, { userIds: await ownerDeciders(tx, ds.orgnr), kind: 'request.submitted', params: await noticeParams(tx, row), link: urls.accessRequest(id) });
      });
      send();
      return load(id);
    },

    async get(actor: Actor, id: string): Promise<AccessRequest> {
      await visibleRequest(actor, id);
      return load(id);
    },

    /** The requests of the organisations the actor belongs to (as requester). */
    async mine(actor: Actor): Promise<AccessRequest[]> {
      if (!actor.user) throw new UnauthenticatedError();
      const orgs = Object.keys(actor.memberships);
      if (orgs.length === 0) return [];
      const rows = await requestQuery(db).where('access_requests.requester_orgnr', 'in', orgs).orderBy('access_requests.created_at', 'desc').limit(500).execute();
      return Promise.all(rows.map((r) => load(r.id)));
    },

    /** The owner's queue: requests for the organisation's datasets (editors and admins; the operator). */
    async queue(actor: Actor, orgnr: string, opts: { state?: string } = {}): Promise<AccessRequest[]> {
      if (!actor.user && !actor.client) throw new UnauthenticatedError();
      if (!isDecider(actor, orgnr) && !actor.user?.isOperator) throw new ForbiddenError('Only administrators and editors of the organisation see its request queue.', 'editor_only');
      let q = requestQuery(db).where('access_requests.owner_orgnr', '=', orgnr);
      if (opts.state) {
        if (!(REQUEST_STATES as readonly string[]).includes(opts.state)) throw new ValidationError([{ field: '/state', code: 'invalid_state', message: `state is one of ${REQUEST_STATES.join(', ')}.` }]);
        q = q.where('access_requests.state', '=', opts.state as RequestState);
      }
      const rows = await q.orderBy('access_requests.created_at').limit(500).execute();
      return Promise.all(rows.map((r) => load(r.id)));
    },

    /** Approve with terms: offers the grant (the agreement) for the requester to accept. */
    async approve(actor: Actor, id: string, input: { terms: string }): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      await assertOwnerDeciderAudited(actor, r, 'access_request.approve');
      const p: FieldProblem[] = [];
      const terms = text(input.terms, '/terms', p);
      if (p.length > 0) throw new ValidationError(p);
      const ds = await db.selectFrom('datasets').select(['licence']).where('id', '=', r.dataset_id).executeTakeFirstOrThrow();
      const grantId = randomUUID();
      const now = nowIso();
      const validFrom = new Date(Math.max(Date.parse(`${r.period_from}T00:00:00Z`), 0)).toISOString();
      return transition(
        actor,
        r,
        ['submitted', 'info_requested'],
        { state: 'approved', terms, decided_by: actor.user?.id ?? null, decided_at: now, grant_id: grantId },
        { action: 'access_request.approve', details: { grantId } },
        { kind: 'request.approved', to: 'requester' },
        async (tx) => {
          await tx
            .insertInto('access_grants')
            .values({
              id: grantId,
              request_id: r.id,
              dataset_id: r.dataset_id,
              grantee_orgnr: r.requester_orgnr,
              owner_orgnr: r.owner_orgnr,
              state: 'offered',
              valid_from: validFrom,
              valid_to: periodEnd(r.period_to),
              terms: terms as string,
              licence: ds.licence,
              created_at: now,
              accepted_at: null,
              accepted_by: null,
              revoked_at: null,
              revoked_by: null,
              revoke_reason: null,
              renewed_at: null,
            })
            .execute();
        },
      );
    },

    async reject(actor: Actor, id: string, input: { reason: string }): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      await assertOwnerDeciderAudited(actor, r, 'access_request.reject');
      const p: FieldProblem[] = [];
      const reason = text(input.reason, '/reason', p, { max: 2000 });
      if (p.length > 0) throw new ValidationError(p);
      return transition(actor, r, ['submitted', 'info_requested'], { state: 'rejected', decision_reason: reason, decided_by: actor.user?.id ?? null, decided_at: nowIso() }, { action: 'access_request.reject' }, { kind: 'request.rejected', to: 'requester' });
    },

    async askForInformation(actor: Actor, id: string, input: { question: string }): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      assertOwnerDecider(actor, r);
      const p: FieldProblem[] = [];
      const question = text(input.question, '/question', p, { max: 2000 });
      if (p.length > 0) throw new ValidationError(p);
      return transition(actor, r, ['submitted'], { state: 'info_requested', info_question: question, info_answer: null }, { action: 'access_request.ask_info' }, { kind: 'request.info_requested', to: 'requester' });
    },

    async answer(actor: Actor, id: string, input: { answer: string }): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      assertRequesterSide(actor, r);
      const p: FieldProblem[] = [];
      const answer = text(input.answer, '/answer', p);
      if (p.length > 0) throw new ValidationError(p);
      return transition(actor, r, ['info_requested'], { state: 'submitted', info_answer: answer }, { action: 'access_request.answer' }, { kind: 'request.answered', to: 'owner' });
    },

    async withdraw(actor: Actor, id: string): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      assertRequesterSide(actor, r);
      return transition(actor, r, ['submitted', 'info_requested'], { state: 'withdrawn' }, { action: 'access_request.withdraw' }, { kind: 'request.answered', to: 'owner' });
    },

    /** The requesting organisation accepts the agreement: the grant becomes active. */
    async accept(actor: Actor, id: string): Promise<AccessRequest> {
      const r = await visibleRequest(actor, id);
      assertRequesterSide(actor, r);
      if (!r.grant_id) throw new ConflictError('There is no agreement to accept yet.', 'request_state');
      const grantId = r.grant_id;
      const now = nowIso();
      return transition(actor, r, ['approved'], { state: 'accepted' }, { action: 'grant.accept', details: { grantId } }, { kind: 'grant.accepted', to: 'owner' }, async (tx) => {
        const res = await tx.updateTable('access_grants').set({ state: 'active', accepted_at: now, accepted_by: actor.user?.id ?? null }).where('id', '=', grantId).where('state', '=', 'offered').executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw new ConflictError('The agreement is no longer on offer.', 'grant_state');
      });
    },

    /** The request behind a grant, with the grant: the facts of its agreement (both parties and the operator). */
    async agreement(actor: Actor, grantId: string): Promise<AccessRequest> {
      const g = await visibleGrant(actor, grantId);
      return load(g.request_id);
    },

    async getGrant(actor: Actor, id: string): Promise<AccessGrant> {
      return grantView(await visibleGrant(actor, id));
    },

    /** The owner's grants on one of its datasets (editors/admins, the operator). */
    async grantsOfDataset(actor: Actor, datasetId: string): Promise<AccessGrant[]> {
      const ds = await db.selectFrom('datasets').select(['orgnr']).where('id', '=', datasetId).executeTakeFirst();
      if (!ds || (!isDecider(actor, ds.orgnr) && !actor.user?.isOperator)) throw new NotFoundError('Dataset', datasetId, 'dataset_not_found');
      const rows = await db.selectFrom('access_grants').selectAll().where('dataset_id', '=', datasetId).orderBy('created_at', 'desc').execute();
      return Promise.all(rows.map(grantView));
    },

    /** The owner ends a grant now; the next read (the next page of a download) is refused. */
    async revoke(actor: Actor, grantId: string, input: { reason?: string }): Promise<AccessGrant> {
      const g = await visibleGrant(actor, grantId);
      assertWriteScope(actor);
      if (!isDecider(actor, g.owner_orgnr)) throw new ForbiddenError('Only an administrator or editor of the dataset owner may revoke a grant.', 'editor_only');
      if (g.state === 'revoked') throw new ConflictError('The grant is already revoked.', 'grant_state');
      const p: FieldProblem[] = [];
      const reason = text(input.reason, '/reason', p, { required: false, max: 2000 });
      if (p.length > 0) throw new ValidationError(p);
      const r = await db.selectFrom('access_requests').selectAll().where('id', '=', g.request_id).executeTakeFirstOrThrow();
      let send: () => void = () => undefined;
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('access_grants').set({ state: 'revoked', revoked_at: nowIso(), revoked_by: actor.user?.id ?? null, revoke_reason: reason }).where('id', '=', grantId).execute();
        await recordAudit(tx, actor, { action: 'grant.revoke', resourceType: 'dataset', resourceId: g.dataset_id, details: { grantId, requestId: g.request_id, granteeOrgnr: g.grantee_orgnr } });
        send = await notifications.notify(tx, { userIds: await requesterSide(tx, r), kind: 'grant.revoked', params: await noticeParams(tx, r), link: urls.accessRequest(r.id) });
      });
      send();
      return this.getGrant(actor, grantId);
    },

    /** The owner moves an active (or expired) grant's end to the end of `validTo` (a date). */
    async renew(actor: Actor, grantId: string, input: { validTo: string }): Promise<AccessGrant> {
      const g = await visibleGrant(actor, grantId);
      assertWriteScope(actor);
      if (!isDecider(actor, g.owner_orgnr)) throw new ForbiddenError('Only an administrator or editor of the dataset owner may renew a grant.', 'editor_only');
      if (g.state !== 'active') throw new ConflictError('Only an accepted, unrevoked grant can be renewed.', 'grant_state');
      const to = typeof input.validTo === 'string' ? input.validTo.trim() : '';
      if (!isIsoDate(to)) throw new ValidationError([{ field: '/validTo', code: 'invalid_date', message: 'The new end must be a date as YYYY-MM-DD.' }]);
      const end = periodEnd(to);
      if (end <= nowIso()) throw new ValidationError([{ field: '/validTo', code: 'period_past', message: 'The new end must be in the future.' }]);
      if ((Date.parse(end) - Date.now()) / DAY_MS > MAX_PERIOD_DAYS) throw new ValidationError([{ field: '/validTo', code: 'period_too_long', message: 'A period may be at most five years.' }]);
      const r = await db.selectFrom('access_requests').selectAll().where('id', '=', g.request_id).executeTakeFirstOrThrow();
      let send: () => void = () => undefined;
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('access_grants').set({ valid_to: end, renewed_at: nowIso() }).where('id', '=', grantId).execute();
        await recordAudit(tx, actor, { action: 'grant.renew', resourceType: 'dataset', resourceId: g.dataset_id, details: { grantId, validTo: end, previousValidTo: g.valid_to } });
        send = await notifications.notify(tx, { userIds: await requesterSide(tx, r), kind: 'grant.renewed', params: await noticeParams(tx, r), link: urls.accessRequest(r.id) });
      });
      send();
      return this.getGrant(actor, grantId);
    },

    /** Whether the actor could apply for this dataset: signed in, a member of an organisation other than the owner. */
    canApply(actor: Actor, ownerOrgnr: string): boolean {
      return actor.user !== null && Object.keys(actor.memberships).some((o) => o !== ownerOrgnr);
    },
  };
}

export type AccessRequestsService = ReturnType<typeof createAccessRequestsService>;
