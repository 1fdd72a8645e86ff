// The consent domain's rules (see ./model for the lifecycle). Who may do what:
// - mark or unmark a table as consent-based: editors of the owner organisation (`dataset:update`), for a table of a
//   RESTRICTED or NON_PUBLIC dataset, keyed on a column of the table's current version;
// - send a consent request: an actor acting for the consumer organisation (a member, or a machine client of it), for a
//   consent-based table of a dataset it can see; nothing about the table's contents is checked or revealed — whether the
//   subject has rows in it is not the consumer's to learn;
// - accept, reject or revoke: a signed-in person who is an admin of the subject organisation (never the operator, a
//   machine client or the consumer: consent is the subject's own choice);
// - see a consent and its events: members of the subject or consumer organisation; anyone else gets 404, so ids cannot
//   be probed. The subject's event log (every consent of it, every use with row counts) is for its members only.
// Every change is one transaction: the consent row, its event and the audit entry. Mails (the platform's outbox) go
// after the commit; a mail that cannot be written is logged, never undoes the decision.
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../access/audit';
import { actingOrganisations, type Actor } from '../access/model';
import { datasetResourceFor } from '../access/data-access';
import { authorize, decide } from '../access/service';
import type { LangText } from '../catalog/model';
import type { Db, DbOrTx } from '../database';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import { validateOrgnr } from '../identifiers/orgnr';
import { nowIso, parseJson } from '../platform/db/index';
import type { Mailer } from '../platform/mail/index';
import type { ColumnSchema } from '../tables/model';
import { isLocale, type Locale } from '../web/i18n/index';
import { findConsentTable } from './access';
import { composeConsentMail, type ConsentMailKind } from './mails';
import {
  EVENT_OF,
  MAX_PURPOSE_LENGTH,
  MAX_VALIDITY_DAYS,
  effectiveState,
  nextState,
  type ConsentEventRow,
  type ConsentEventView,
  type ConsentRow,
  type ConsentState,
  type ConsentTransition,
  type ConsentView,
} from './model';

export interface ConsentServiceDeps {
  db: Db;
  mail?: Pick<Mailer, 'send'>;
  baseUrl: string;
  logger?: { warn(obj: object, msg?: string): void };
}

export interface ConsentRequestInput {
  consumerOrgnr: string;
  subjectOrgnr: string;
  datasetId: string;
  table: string;
  purpose: string;
  /** An ISO date (valid through that day, UTC) or date-time. */
  validTo: string;
}

export interface TableConsentInfo {
  datasetId: string;
  table: string;
  consentBased: boolean;
  column: string | null;
  /** Columns the owner may key on (the current version's), orgnr-typed ones first; for editors only. */
  candidates?: { name: string; semanticType?: string }[];
}

export class ConsentNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('Consent', id, 'consent_not_found');
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function refuse(message: string, reason: string): ForbiddenError {
  return new ForbiddenError(message, reason);
}

function titleOf(text: string): string {
  const t = parseJson<LangText>(text, {} as LangText) as Record<string, string | undefined>;
  return t.nb ?? t.nn ?? t.en ?? Object.values(t).find((v) => typeof v === 'string') ?? '';
}

/** A validTo as an ISO instant: a date means through the end of that day (UTC). */
export function parseValidTo(input: string): string | null {
  const s = (input ?? '').trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  if (!dateOnly && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return null;
  const d = new Date(dateOnly ? `${s}T23:59:59.999Z` : s);
  if (Number.isNaN(d.getTime())) return null;
  if (dateOnly && d.toISOString().slice(0, 10) !== s) return null; // 2026-02-31
  return d.toISOString();
}

/** The problems of a consent request's fields (the API schema has checked the shapes). */
export function checkRequest(input: ConsentRequestInput, now: Date): { problems: FieldProblem[]; validTo: string | null; subject: string; purpose: string } {
  const problems: FieldProblem[] = [];
  const subjectCheck = validateOrgnr(input.subjectOrgnr ?? '');
  const subject = subjectCheck.valid ? subjectCheck.value : '';
  if (!subjectCheck.valid) problems.push({ field: '/subjectOrgnr', code: `orgnr_${subjectCheck.reason}`, message: subjectCheck.message });
  else if (subject === input.consumerOrgnr) problems.push({ field: '/subjectOrgnr', code: 'consent_self', message: 'An organisation cannot ask itself for consent.' });
  const purpose = (input.purpose ?? '').trim();
  if (purpose.length === 0) problems.push({ field: '/purpose', code: 'required', message: 'Say what the data will be used for.' });
  else if (purpose.length > MAX_PURPOSE_LENGTH) problems.push({ field: '/purpose', code: 'too_long', message: `The purpose can be at most ${MAX_PURPOSE_LENGTH} characters.` });
  else if (CONTROL.test(purpose)) problems.push({ field: '/purpose', code: 'invalid_characters', message: 'The purpose cannot hold control characters.' });
  const validTo = parseValidTo(input.validTo);
  if (!validTo) problems.push({ field: '/validTo', code: 'invalid_date', message: 'validTo must be a date (YYYY-MM-DD) or a date-time with a time zone.' });
  else if (validTo <= now.toISOString()) problems.push({ field: '/validTo', code: 'in_past', message: 'validTo must be in the future.' });
  else if (Date.parse(validTo) - now.getTime() > MAX_VALIDITY_DAYS * 86_400_000) {
    problems.push({ field: '/validTo', code: 'too_far', message: `A consent can run at most ${MAX_VALIDITY_DAYS} days.` });
  }
  return { problems, validTo, subject, purpose };
}

function canWrite(actor: Actor): boolean {
  return actor.scopes === null || actor.scopes.includes('write') || actor.scopes.includes('admin');
}

export function createConsentService(deps: ConsentServiceDeps) {
  const { db } = deps;

  // --- lookups ------------------------------------------------------------------------------------------------------

  async function findDataset(tx: DbOrTx, id: string) {
    return tx.selectFrom('datasets').select(['id', 'orgnr', 'state', 'access_rights', 'title', 'hidden']).where('id', '=', id).executeTakeFirst();
  }

  /** The dataset if the actor may see its metadata; a hidden one is 404 to outsiders as everywhere. */
  async function visibleDataset(actor: Actor, id: string) {
    const ds = await findDataset(db, id);
    const notFound = () => new NotFoundError('Dataset', id, 'dataset_not_found');
    if (!ds) throw notFound();
    // The access door decides (hidden datasets are 404 to outsiders, grant holders included as everywhere).
    authorize(actor, 'dataset:read-metadata', await datasetResourceFor(db, actor, ds), notFound);
    return ds;
  }

  async function tableOf(datasetId: string, name: string) {
    const t = await db.selectFrom('tables').select(['id', 'name', 'title', 'current_version_id']).where('dataset_id', '=', datasetId).where('name', '=', name).executeTakeFirst();
    if (!t) throw new NotFoundError('Table', name, 'table_not_found');
    return t;
  }

  async function currentColumns(versionId: string | null): Promise<ColumnSchema[] | null> {
    if (!versionId) return null;
    const v = await db.selectFrom('table_versions').select(['state', 'columns']).where('id', '=', versionId).executeTakeFirst();
    return v && v.state === 'ready' ? parseJson<ColumnSchema[]>(v.columns, []) : null;
  }

  async function orgNames(orgnrs: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(orgnrs)];
    if (unique.length === 0) return new Map();
    const rows = await db.selectFrom('organizations').select(['orgnr', 'name']).where('orgnr', 'in', unique).execute();
    return new Map(rows.map((r) => [r.orgnr, r.name]));
  }

  async function present(rows: ConsentRow[], now: string): Promise<ConsentView[]> {
    if (rows.length === 0) return [];
    const names = await orgNames(rows.flatMap((r) => [r.subject_orgnr, r.consumer_orgnr]));
    const datasets = await db.selectFrom('datasets').select(['id', 'title']).where('id', 'in', [...new Set(rows.map((r) => r.dataset_id))]).execute();
    const tables = await db.selectFrom('tables').select(['id', 'name', 'title']).where('id', 'in', [...new Set(rows.map((r) => r.table_id))]).execute();
    const dsTitle = new Map(datasets.map((d) => [d.id, titleOf(d.title)]));
    const tableBy = new Map(tables.map((t) => [t.id, t]));
    return rows.map((r) => ({
      id: r.id,
      datasetId: r.dataset_id,
      datasetTitle: dsTitle.get(r.dataset_id) ?? '',
      table: tableBy.get(r.table_id)?.name ?? '',
      tableTitle: tableBy.get(r.table_id)?.title ?? '',
      subjectOrgnr: r.subject_orgnr,
      subjectName: names.get(r.subject_orgnr) ?? null,
      consumerOrgnr: r.consumer_orgnr,
      consumerName: names.get(r.consumer_orgnr) ?? null,
      purpose: r.purpose,
      validTo: r.valid_to,
      state: effectiveState(r.state, r.valid_to, now),
      createdAt: r.created_at,
      decidedAt: r.decided_at,
    }));
  }

  function presentEvent(e: ConsentEventRow): ConsentEventView {
    const d = parseJson<Record<string, unknown>>(e.details, {});
    const out: ConsentEventView = { id: e.id, consentId: e.consent_id, kind: e.kind, at: e.at };
    if (typeof d.rows === 'number') out.rows = d.rows;
    if (typeof d.offset === 'number') out.offset = d.offset;
    if (typeof d.surface === 'string') out.surface = d.surface;
    if (typeof d.reason === 'string') out.reason = d.reason;
    return out;
  }

  /** A consent the actor is a party to (subject or consumer side), else 404 (401 anonymous). */
  async function partyConsent(actor: Actor, id: string): Promise<ConsentRow> {
    if (!actor.user && !actor.client) throw new UnauthenticatedError();
    const row = await db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
    const orgs = actingOrganisations(actor);
    if (!row || !(orgs.includes(row.subject_orgnr) || orgs.includes(row.consumer_orgnr))) throw new ConsentNotFoundError(id);
    return row;
  }

  // --- the clock ----------------------------------------------------------------------------------------------------

  /**
   * Writes down what the clock decided: requested and accepted consents whose validTo has passed become `expired`, with
   * an `expired` event at validTo. Reads never wait for this (effectiveState and the data-access query compare validTo
   * themselves); every consent operation runs it first so the record catches up. Returns how many expired.
   */
  async function expireDue(now = nowIso()): Promise<number> {
    const due = await db.selectFrom('consents').selectAll().where('state', 'in', ['requested', 'accepted']).where('valid_to', '<=', now).execute();
    let n = 0;
    for (const c of due) {
      const done = await db.transaction().execute(async (tx) => {
        const res = await tx.updateTable('consents').set({ state: 'expired', updated_at: now }).where('id', '=', c.id).where('state', '=', c.state).executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return false;
        await insertEvent(tx, c, 'expired', c.valid_to, null, { from: c.state });
        return true;
      });
      if (done) n++;
    }
    return n;
  }

  async function insertEvent(tx: DbOrTx, c: Pick<ConsentRow, 'id' | 'subject_orgnr'>, kind: ConsentEventRow['kind'], at: string, userId: string | null, details: Record<string, unknown> = {}) {
    await tx.insertInto('consent_events').values({ id: randomUUID(), consent_id: c.id, subject_orgnr: c.subject_orgnr, kind, at, actor_user_id: userId, details: JSON.stringify(details) }).execute();
  }

  // --- mail -----------------------------------------------------------------------------------------------------------

  async function notify(kind: ConsentMailKind, consent: ConsentRow, to: { email: string; name: string; locale: string }[]): Promise<void> {
    if (!deps.mail || to.length === 0) return;
    const [view] = await present([consent], nowIso());
    if (!view) return;
    for (const r of to) {
      const locale: Locale = isLocale(r.locale) ? r.locale : 'nb';
      try {
        await deps.mail.send(composeConsentMail(kind, { locale, name: r.name, email: r.email, consent: view, baseUrl: deps.baseUrl }));
      } catch (err) {
        deps.logger?.warn({ err, consentId: consent.id, kind }, 'consent mail could not be written');
      }
    }
  }

  async function subjectAdmins(orgnr: string) {
    return db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.email', 'users.name', 'users.locale'])
      .where('memberships.orgnr', '=', orgnr)
      .where('memberships.role', '=', 'admin')
      .where('users.email_verified_at', 'is not', null)
      .execute();
  }

  async function requester(consent: ConsentRow) {
    if (!consent.requested_by || consent.requested_by.startsWith('client:')) return [];
    const u = await db.selectFrom('users').select(['email', 'name', 'locale', 'email_verified_at']).where('id', '=', consent.requested_by).executeTakeFirst();
    return u && u.email_verified_at ? [u] : [];
  }

  // --- decisions ----------------------------------------------------------------------------------------------------

  async function decideConsent(actor: Actor, id: string, transition: Exclude<ConsentTransition, 'expire'>, reason?: string): Promise<ConsentView> {
    await partyConsent(actor, id);
    await expireDue();
    const consent = await partyConsent(actor, id);
    if (!actor.user || actor.client) throw refuse('Only a person who administers the subject organisation can decide on a consent.', 'consent_subject_admin_only');
    if (actor.memberships[consent.subject_orgnr] !== 'admin') {
      throw refuse('Only an administrator of the organisation the data is about can decide on this consent.', 'consent_subject_admin_only');
    }
    if (!canWrite(actor)) throw refuse('Your API token does not have the scope this needs.', 'token_scope');
    const note = (reason ?? '').trim();
    if (note.length > MAX_PURPOSE_LENGTH || CONTROL.test(note)) {
      throw new ValidationError([{ field: '/reason', code: 'invalid_reason', message: `A reason can be at most ${MAX_PURPOSE_LENGTH} characters without control characters.` }]);
    }
    const now = nowIso();
    const from = effectiveState(consent.state, consent.valid_to, now);
    const to = nextState(from, transition);
    if (!to) throw illegal(from, transition);
    const userId = actor.user.id;
    const updated = await db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('consents')
        .set({ state: to, decided_by: userId, decided_at: now, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', from)
        .where('valid_to', '>', now)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await insertEvent(tx, consent, EVENT_OF[transition], now, userId, note ? { reason: note } : {});
      await recordAudit(tx, actor, {
        action: `consent.${transition}`,
        resourceType: 'consent',
        resourceId: id,
        details: { subjectOrgnr: consent.subject_orgnr, consumerOrgnr: consent.consumer_orgnr, tableId: consent.table_id, from, to },
      });
      return true;
    });
    if (!updated) {
      const again = await db.selectFrom('consents').select(['state', 'valid_to']).where('id', '=', id).executeTakeFirstOrThrow();
      throw illegal(effectiveState(again.state, again.valid_to, nowIso()), transition);
    }
    const row = await db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await notify(EVENT_OF[transition] as ConsentMailKind, row, await requester(row));
    const [view] = await present([row], nowIso());
    return view as ConsentView;
  }

  return {
    expireDue,

    /** Whether a table is consent-based and on which column; editors also get the columns they may choose from. */
    async tableConsent(actor: Actor, datasetId: string, tableName: string): Promise<TableConsentInfo> {
      const ds = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, tableName);
      const marked = await findConsentTable(db, table.id);
      const info: TableConsentInfo = { datasetId, table: table.name, consentBased: !!marked, column: marked?.column_name ?? null };
      if (decide(actor, 'dataset:update', { type: 'dataset', orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights }).allow) {
        const cols = (await currentColumns(table.current_version_id)) ?? [];
        info.candidates = [...cols]
          .sort((a, b) => Number(b.semanticType === 'orgnr') - Number(a.semanticType === 'orgnr'))
          .map((c) => (c.semanticType ? { name: c.name, semanticType: c.semanticType } : { name: c.name }));
      }
      return info;
    },

    /** Throws unless the actor may change the table's consent setting (404 hidden, 401 anonymous, 403 not an editor). */
    async assertCanMark(actor: Actor, datasetId: string, tableName: string): Promise<void> {
      const ds = await visibleDataset(actor, datasetId);
      await tableOf(datasetId, tableName);
      authorize(actor, 'dataset:update', { type: 'dataset', orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights });
    },

    /** Names of organisations by orgnr (for pages). */
    organisationNames: orgNames,

    /** Marks a table consent-based, keyed on `column` (a column of its current version). Audited as table.consent.mark. */
    async markTable(actor: Actor, datasetId: string, tableName: string, column: string): Promise<TableConsentInfo> {
      const ds = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, tableName);
      authorize(actor, 'dataset:update', { type: 'dataset', orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights });
      if (ds.access_rights === 'PUBLIC') {
        throw new ValidationError([{ field: '/column', code: 'consent_public_dataset', message: 'The rows of a public dataset are open to everyone; make the dataset restricted or non-public to share rows by consent.' }]);
      }
      const cols = await currentColumns(table.current_version_id);
      if (!cols) throw new ConflictError(`Table "${tableName}" has no ready version yet.`, 'table_not_ready');
      if (!cols.some((c) => c.name === column)) {
        throw new ValidationError([{ field: '/column', code: 'unknown_column', message: 'The table has no column with this name in its current version.' }]);
      }
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        const existing = await findConsentTable(tx, table.id);
        if (existing) await tx.updateTable('consent_tables').set({ column_name: column, updated_at: now }).where('table_id', '=', table.id).execute();
        else await tx.insertInto('consent_tables').values({ table_id: table.id, dataset_id: datasetId, column_name: column, created_by: actor.user?.id ?? null, created_at: now, updated_at: now }).execute();
        await recordAudit(tx, actor, { action: 'table.consent.mark', resourceType: 'table', resourceId: table.id, details: { datasetId, table: tableName, column, previous: existing?.column_name ?? null } });
      });
      return this.tableConsent(actor, datasetId, tableName);
    },

    /** Makes a table ordinary again: its consents stop giving rows (they stay on record). Audited. */
    async unmarkTable(actor: Actor, datasetId: string, tableName: string): Promise<TableConsentInfo> {
      const ds = await visibleDataset(actor, datasetId);
      const table = await tableOf(datasetId, tableName);
      authorize(actor, 'dataset:update', { type: 'dataset', orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights });
      await db.transaction().execute(async (tx) => {
        const res = await tx.deleteFrom('consent_tables').where('table_id', '=', table.id).executeTakeFirst();
        if (Number(res.numDeletedRows) > 0) await recordAudit(tx, actor, { action: 'table.consent.unmark', resourceType: 'table', resourceId: table.id, details: { datasetId, table: tableName } });
      });
      return this.tableConsent(actor, datasetId, tableName);
    },

    /**
     * A consent request from the consumer organisation to the subject for one consent-based table. 409 when an open
     * (requested or accepted) consent for the same three already exists. Mails the subject's admins.
     */
    async request(actor: Actor, input: ConsentRequestInput): Promise<ConsentView> {
      if (!actor.user && !actor.client) throw new UnauthenticatedError();
      if (!canWrite(actor)) throw refuse('Your API token does not have the scope this needs.', 'token_scope');
      if (!actingOrganisations(actor).includes(input.consumerOrgnr)) {
        throw refuse('You can only ask for consent on behalf of an organisation you act for.', 'consent_not_acting_for');
      }
      const ds = await visibleDataset(actor, input.datasetId);
      const table = await tableOf(input.datasetId, input.table);
      const marked = await findConsentTable(db, table.id);
      if (!marked || ds.access_rights === 'PUBLIC') throw new ConflictError(`Table "${input.table}" does not share its rows by consent.`, 'table_not_consent_based');
      const nowDate = new Date();
      const { problems, validTo, subject, purpose } = checkRequest(input, nowDate);
      if (problems.length > 0 || !validTo) throw new ValidationError(problems);
      const now = nowDate.toISOString();
      await expireDue(now);
      const id = randomUUID();
      const requestedBy = actor.client ? `client:${actor.client.id}` : (actor.user?.id ?? null);
      await db.transaction().execute(async (tx) => {
        const open = await tx
          .selectFrom('consents')
          .select('id')
          .where('table_id', '=', table.id)
          .where('consumer_orgnr', '=', input.consumerOrgnr)
          .where('subject_orgnr', '=', subject)
          .where('state', 'in', ['requested', 'accepted'])
          .where('valid_to', '>', now)
          .executeTakeFirst();
        if (open) throw new ConflictError('Your organisation already has an open consent request or consent for this table from this organisation.', 'consent_exists', { consentId: open.id });
        const row = {
          id,
          dataset_id: input.datasetId,
          table_id: table.id,
          subject_orgnr: subject,
          consumer_orgnr: input.consumerOrgnr,
          purpose,
          valid_to: validTo,
          state: 'requested' as ConsentState,
          requested_by: requestedBy,
          decided_by: null,
          decided_at: null,
          created_at: now,
          updated_at: now,
        };
        await tx.insertInto('consents').values(row).execute();
        await insertEvent(tx, row, 'requested', now, actor.user?.id ?? null, actor.client ? { client: actor.client.id } : {});
        await recordAudit(tx, actor, {
          action: 'consent.request',
          resourceType: 'consent',
          resourceId: id,
          details: { subjectOrgnr: subject, consumerOrgnr: input.consumerOrgnr, datasetId: input.datasetId, tableId: table.id, validTo },
        });
      });
      const row = await db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await notify('requested', row, await subjectAdmins(subject));
      const [view] = await present([row], now);
      return view as ConsentView;
    },

    /** Consents the actor's organisations are party to; `as` narrows to one side, `orgnr` to one of its organisations. */
    async list(actor: Actor, filter: { as?: 'subject' | 'consumer'; orgnr?: string; state?: ConsentState } = {}): Promise<ConsentView[]> {
      if (!actor.user && !actor.client) throw new UnauthenticatedError();
      let orgs = actingOrganisations(actor);
      if (filter.orgnr !== undefined) orgs = orgs.filter((o) => o === filter.orgnr);
      if (orgs.length === 0) return [];
      const now = nowIso();
      await expireDue(now);
      let q = db.selectFrom('consents').selectAll();
      q = filter.as === 'subject' ? q.where('subject_orgnr', 'in', orgs) : filter.as === 'consumer' ? q.where('consumer_orgnr', 'in', orgs) : q.where((eb) => eb.or([eb('subject_orgnr', 'in', orgs), eb('consumer_orgnr', 'in', orgs)]));
      if (filter.state) q = q.where('state', '=', filter.state);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(500).execute();
      return present(rows, now);
    },

    /** One consent and its events, for either party. */
    async get(actor: Actor, id: string): Promise<{ consent: ConsentView; events: ConsentEventView[]; canDecide: boolean }> {
      await partyConsent(actor, id);
      await expireDue();
      const row = await partyConsent(actor, id);
      const events = await db.selectFrom('consent_events').selectAll().where('consent_id', '=', id).orderBy('at').orderBy('id').limit(5000).execute();
      const [consent] = await present([row], nowIso());
      const canDecide = !!actor.user && !actor.client && actor.memberships[row.subject_orgnr] === 'admin' && canWrite(actor);
      return { consent: consent as ConsentView, events: events.map(presentEvent), canDecide };
    },

    accept: (actor: Actor, id: string) => decideConsent(actor, id, 'accept'),
    reject: (actor: Actor, id: string, reason?: string) => decideConsent(actor, id, 'reject', reason),
    revoke: (actor: Actor, id: string, reason?: string) => decideConsent(actor, id, 'revoke', reason),

    /**
     * Every event of every consent the organisation is the subject of, newest first: what the subject may see of the use
     * of its data. Members of the organisation only (401 anonymous, 403 others: organisations are public).
     */
    async subjectEvents(actor: Actor, orgnr: string, page: { offset?: number; limit?: number } = {}): Promise<{ items: (ConsentEventView & { consent: ConsentView })[]; total: number }> {
      if (!actor.user && !actor.client) throw new UnauthenticatedError();
      if (!actingOrganisations(actor).includes(orgnr)) throw refuse('Only members of the organisation may see its consent log.', 'members_only');
      await expireDue();
      const offset = Math.max(0, Math.floor(page.offset ?? 0));
      const limit = Math.min(1000, Math.max(1, Math.floor(page.limit ?? 100)));
      const totalRow = await db.selectFrom('consent_events').select((eb) => eb.fn.countAll().as('n')).where('subject_orgnr', '=', orgnr).executeTakeFirst();
      const events = await db.selectFrom('consent_events').selectAll().where('subject_orgnr', '=', orgnr).orderBy('at', 'desc').orderBy('id').limit(limit).offset(offset).execute();
      const consentRows = events.length ? await db.selectFrom('consents').selectAll().where('id', 'in', [...new Set(events.map((e) => e.consent_id))]).execute() : [];
      const views = new Map((await present(consentRows, nowIso())).map((c) => [c.id, c]));
      return {
        total: Number(totalRow?.n ?? 0),
        items: events.flatMap((e) => {
          const consent = views.get(e.consent_id);
          return consent ? [{ ...presentEvent(e), consent }] : [];
        }),
      };
    },
  };
}

function illegal(state: ConsentState, transition: ConsentTransition): DomainError {
  return new ConflictError(`A consent that is ${state} cannot be ${EVENT_OF[transition]}.`, 'consent_transition_refused', { state, transition });
}

export type ConsentService = ReturnType<typeof createConsentService>;
