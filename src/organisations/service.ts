// Organisations (virksomheter) and their members. Rules:
// - An organisation is identified by a valid organisasjonsnummer (mod-11 check digit) that Enhetsregisteret knows:
//   its official name, form and municipality come from the registry, not from the claimant. A deleted or unknown
//   number is refused (422). When the registry cannot be reached (API down or disabled, no local copy of the unit),
//   the organisation is still created, marked "not checked", and `recheck` asks again later.
// - Any signed-in user may claim one and becomes its admin; the claim is pending until an operator approves it (or
//   rejects it with a reason, which removes the claimant's membership). Operators and the CLI create approved ones.
//   Only an approved organisation may publish (publishBlocker, asked by the catalogue's publish).
// - Admins manage members; an organisation never loses its last admin.
// Access decisions come from the one door in src/access/service.ts.
import type { Actor } from '../access/model';
import { recordAudit } from '../access/audit';
import { authorize } from '../access/service';
import { containsText } from '../catalog/text-search';
import type { Database, DbOrTx, Db } from '../database';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { validateKommunenummer } from '../identifiers/kommunenummer';
import { validateOrgnr } from '../identifiers/orgnr';
import { isHttpUrl } from '../identifiers/url';
import { nowIso } from '../platform/db/index';
import { disabledRegistry, type Registry, type RegistryUnit } from '../platform/registry/index';
import { readRegistryFile, RegistryFileError, type SkipReason } from '../platform/registry/bulk-file';
import {
  MEMBER_ROLES,
  type ClaimView,
  type MemberRole,
  type MemberView,
  type Organization,
  type OrganizationInput,
  type OrganizationPatch,
  type OrganizationStatus,
  type OrganizationView,
  type RegistryUnitView,
} from './model';

export const ORG_NAME_MAX = 200;

export function organizationNotFound(orgnr: string): NotFoundError {
  return new NotFoundError('Organization', orgnr, 'organization_not_found');
}

export const REJECTION_REASON_MAX = 1000;

function municipalityName(kommunenummer: string | null): string | null {
  const kommune = kommunenummer ? validateKommunenummer(kommunenummer) : undefined;
  return kommune?.valid ? kommune.name : null;
}

/** Operators and the claimant see why a claim was rejected; others see only that it was. */
function seesClaimDetails(actor: Actor | undefined, row: Organization): boolean {
  const user = actor?.user;
  return user ? user.isOperator || (row.claimed_by !== null && user.id === row.claimed_by) : false;
}

export function presentOrganization(row: Organization, actor?: Actor): OrganizationView {
  return {
    orgnr: row.orgnr,
    name: row.name,
    orgForm: row.org_form,
    municipality: row.municipality,
    municipalityName: municipalityName(row.municipality),
    homepage: row.homepage,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    claimedAt: row.claimed_at,
    decidedAt: row.decided_at,
    rejectionReason: seesClaimDetails(actor, row) ? row.rejection_reason : null,
    registry: { checkedAt: row.registry_checked_at, source: row.registry_source, status: row.registry_status },
  };
}

type RegistryUnitRow = Database['registry_units'];

function presentRegistryUnit(r: RegistryUnitRow): RegistryUnitView {
  return {
    orgnr: r.orgnr,
    kind: r.kind,
    name: r.name,
    orgForm: r.org_form,
    municipality: r.municipality,
    municipalityName: municipalityName(r.municipality),
    status: r.status,
    deletedAt: r.deleted_at,
    parentOrgnr: r.parent_orgnr,
    source: r.source,
    fetchedAt: r.fetched_at,
  };
}

function unitRow(u: RegistryUnit, source: 'api' | 'file', at: string): RegistryUnitRow {
  return { orgnr: u.orgnr, kind: u.kind, name: u.name, org_form: u.orgForm, municipality: u.municipality, status: u.status, deleted_at: u.deletedAt, parent_orgnr: u.parentOrgnr, source, fetched_at: at };
}

const UNIT_UPDATE = ['kind', 'name', 'org_form', 'municipality', 'status', 'deleted_at', 'parent_orgnr', 'source', 'fetched_at'] as const;

async function upsertUnits(db: DbOrTx, rows: RegistryUnitRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('registry_units')
    .values(rows)
    .onConflict((oc) => oc.column('orgnr').doUpdateSet((eb) => Object.fromEntries(UNIT_UPDATE.map((c) => [c, eb.ref(`excluded.${c}`)]))))
    .execute();
}

/**
 * Why an organisation may not publish, or undefined when it may: only approved organisations publish, and not one
 * Enhetsregisteret says is deleted or unknown. Asked by the catalogue's publishDataset.
 */
export async function publishBlocker(db: DbOrTx, orgnr: string): Promise<FieldProblem | undefined> {
  const org = await db.selectFrom('organizations').select(['status', 'registry_status']).where('orgnr', '=', orgnr).executeTakeFirst();
  if (!org) return undefined;
  if (org.status === 'pending') {
    return { field: '/orgnr', code: 'organization_pending', message: 'The publishing organisation is waiting for an operator to approve it; drafts can be prepared, but nothing can be published until then.' };
  }
  if (org.status === 'rejected') return { field: '/orgnr', code: 'organization_rejected', message: 'The publishing organisation was rejected by an operator and cannot publish.' };
  if (org.registry_status === 'deleted' || org.registry_status === 'not_found') {
    return { field: '/orgnr', code: 'organization_deregistered', message: 'Enhetsregisteret no longer lists the publishing organisation, so it cannot publish.' };
  }
  return undefined;
}

/** What a check against Enhetsregisteret found (policy: the API first, then the local copy). */
type RegistryCheck =
  | { kind: 'found'; unit: RegistryUnit; source: 'api' | 'file'; checkedAt: string }
  | { kind: 'deleted'; deletedAt: string | null; source: 'api' | 'file'; checkedAt: string }
  | { kind: 'not_found'; checkedAt: string }
  | { kind: 'unchecked'; reason: string };

function refusal(orgnr: string, check: RegistryCheck): ValidationError | undefined {
  if (check.kind === 'deleted') {
    return new ValidationError([{ field: '/orgnr', code: 'orgnr_deleted', message: `Enhetsregisteret lists organisation number ${orgnr} as deleted${check.deletedAt ? ` (${check.deletedAt})` : ''}; it cannot be registered.` }]);
  }
  if (check.kind === 'not_found') {
    return new ValidationError([{ field: '/orgnr', code: 'orgnr_unknown', message: `Enhetsregisteret has no unit with organisation number ${orgnr}.` }]);
  }
  return undefined;
}

export interface RecheckResult {
  checked: number;
  verified: number;
  deleted: number;
  notFound: number;
  unavailable: number;
}

export interface RegistryImportResult {
  file: string;
  kind: 'enhet' | 'underenhet';
  records: number;
  imported: number;
  updated: number;
  skipped: number;
  skippedByReason: Partial<Record<SkipReason | 'duplicate', number>>;
}

/** Empty strings from forms mean "not given". */
function blankToNull(v: string | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Checks an orgnr and returns the normalised 9 digits, or a problem naming the check digit. */
export function checkOrgnr(input: unknown, field = '/orgnr'): { value?: string; problem?: FieldProblem } {
  if (typeof input !== 'string' || input.trim() === '') {
    return { problem: { field, code: 'required', message: 'An organisasjonsnummer (9 digits) is required.' } };
  }
  const r = validateOrgnr(input);
  if (r.valid) return { value: r.value };
  return { problem: { field, code: r.reason === 'check_digit' ? 'orgnr_check_digit' : 'orgnr_format', message: r.message } };
}

interface CleanFields {
  name?: string;
  org_form?: string | null;
  municipality?: string | null;
  homepage?: string | null;
}

function validateFields(input: OrganizationPatch, requireName: boolean, problems: FieldProblem[]): CleanFields {
  const out: CleanFields = {};
  if (input.name !== undefined || requireName) {
    const name = (input.name ?? '').trim();
    if (name === '') problems.push({ field: '/name', code: 'required', message: 'A name is required.' });
    else if (name.length > ORG_NAME_MAX) problems.push({ field: '/name', code: 'too_long', message: `The name may be at most ${ORG_NAME_MAX} characters.` });
    else out.name = name;
  }
  if (input.orgForm !== undefined) {
    const f = blankToNull(input.orgForm);
    if (f && !/^[A-ZÆØÅ]{2,6}$/i.test(f)) problems.push({ field: '/orgForm', code: 'invalid', message: 'The organisation form is a short code such as AS, ENK, KOMM or STAT.' });
    else out.org_form = f ? f.toUpperCase() : null;
  }
  if (input.municipality !== undefined) {
    const m = blankToNull(input.municipality);
    if (m) {
      const r = validateKommunenummer(m);
      if (r.valid) out.municipality = r.value;
      else problems.push({ field: '/municipality', code: 'invalid_kommunenummer', message: r.message });
    } else out.municipality = null;
  }
  if (input.homepage !== undefined) {
    const u = blankToNull(input.homepage);
    if (u && !isHttpUrl(u)) problems.push({ field: '/homepage', code: 'invalid_url', message: 'The homepage must be an absolute http(s) URL.' });
    else out.homepage = u ?? null;
  }
  return out;
}

async function findOrganization(db: DbOrTx, orgnr: string): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('orgnr', '=', orgnr).executeTakeFirst();
}

/**
 * Takes the organisation's row lock (PostgreSQL) / the write lock (SQLite) before a membership change, so two
 * concurrent removals cannot both see "another admin remains" and leave the organisation without one.
 */
async function lockOrganization(tx: DbOrTx, orgnr: string): Promise<void> {
  await tx.updateTable('organizations').set({ updated_at: nowIso() }).where('orgnr', '=', orgnr).execute();
}

async function adminCount(tx: DbOrTx, orgnr: string): Promise<number> {
  const r = await tx
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('orgnr', '=', orgnr)
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function memberQuery(db: DbOrTx, orgnr: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
    .where('memberships.orgnr', '=', orgnr);
}

type MemberRow = { user_id: string; email: string; name: string; role: MemberRole; created_at: string };
const presentMember = (r: MemberRow): MemberView => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, createdAt: r.created_at });

async function findMembers(db: DbOrTx, orgnr: string): Promise<MemberView[]> {
  return (await memberQuery(db, orgnr).orderBy('users.name').orderBy('users.email').execute()).map(presentMember);
}

async function findMember(db: DbOrTx, orgnr: string, userId: string): Promise<MemberView | undefined> {
  const r = await memberQuery(db, orgnr).where('memberships.user_id', '=', userId).executeTakeFirst();
  return r ? presentMember(r) : undefined;
}

function checkRole(role: unknown): MemberRole {
  if (typeof role === 'string' && (MEMBER_ROLES as readonly string[]).includes(role)) return role as MemberRole;
  throw new ValidationError([{ field: '/role', code: 'invalid_role', message: `The role must be one of ${MEMBER_ROLES.join(', ')}.` }]);
}

export function createOrganisationsService({ db, registry = disabledRegistry }: { db: Db; registry?: Registry }) {
  async function mustFind(orgnr: string): Promise<Organization> {
    const row = await findOrganization(db, orgnr);
    if (!row) throw organizationNotFound(orgnr);
    return row;
  }

  /** Asks the registry; a unit it returns is kept in the local copy. When it cannot answer, the local copy decides. */
  async function checkRegistry(orgnr: string): Promise<RegistryCheck> {
    const answer = await registry.lookup(orgnr);
    const now = nowIso();
    if (answer.kind === 'found') {
      await upsertUnits(db, [unitRow(answer.unit, 'api', now)]);
      return { kind: 'found', unit: answer.unit, source: 'api', checkedAt: now };
    }
    if (answer.kind === 'deleted') {
      await db.updateTable('registry_units').set({ status: 'deleted', deleted_at: answer.deletedAt, source: 'api', fetched_at: now }).where('orgnr', '=', orgnr).execute();
      return { kind: 'deleted', deletedAt: answer.deletedAt, source: 'api', checkedAt: now };
    }
    if (answer.kind === 'not_found') return { kind: 'not_found', checkedAt: now };
    const local = await db.selectFrom('registry_units').selectAll().where('orgnr', '=', orgnr).executeTakeFirst();
    if (!local) return { kind: 'unchecked', reason: answer.reason };
    if (local.status === 'deleted') return { kind: 'deleted', deletedAt: local.deleted_at, source: local.source, checkedAt: local.fetched_at };
    const unit: RegistryUnit = { orgnr: local.orgnr, kind: local.kind, name: local.name, orgForm: local.org_form, municipality: local.municipality, status: local.status, deletedAt: local.deleted_at, parentOrgnr: local.parent_orgnr };
    return { kind: 'found', unit, source: local.source, checkedAt: local.fetched_at };
  }

  /** The organisation's columns after a check (nothing changes when the registry could not be asked). */
  function checkedColumns(check: RegistryCheck): Partial<Organization> {
    switch (check.kind) {
      case 'found':
        return { name: check.unit.name, org_form: check.unit.orgForm, municipality: check.unit.municipality, registry_checked_at: check.checkedAt, registry_source: check.source, registry_status: check.unit.status };
      case 'deleted':
        return { registry_checked_at: check.checkedAt, registry_source: check.source, registry_status: 'deleted' };
      case 'not_found':
        return { registry_checked_at: check.checkedAt, registry_source: 'api', registry_status: 'not_found' };
      default:
        return {};
    }
  }

  async function recheckOne(actor: Actor, orgnr: string): Promise<RegistryCheck> {
    const check = await checkRegistry(orgnr);
    const cols = checkedColumns(check);
    await db.transaction().execute(async (tx) => {
      if (Object.keys(cols).length > 0) await tx.updateTable('organizations').set({ ...cols, updated_at: nowIso() }).where('orgnr', '=', orgnr).execute();
      await recordAudit(tx, actor, {
        action: 'organization.recheck',
        resourceType: 'organization',
        resourceId: orgnr,
        details: { outcome: check.kind, ...(check.kind === 'unchecked' ? { reason: check.reason } : {}), ...('source' in check ? { source: check.source } : {}) },
      });
    });
    return check;
  }

  async function claimView(row: Organization, actor: Actor): Promise<ClaimView> {
    const [claimant, unit] = await Promise.all([
      row.claimed_by ? db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', row.claimed_by).executeTakeFirst() : undefined,
      db.selectFrom('registry_units').selectAll().where('orgnr', '=', row.orgnr).executeTakeFirst(),
    ]);
    return { organization: presentOrganization(row, actor), claimedName: row.claimed_name, claimant: claimant ?? null, registryUnit: unit ? presentRegistryUnit(unit) : null };
  }

  async function decide(actor: Actor, orgnr: string, to: 'approved' | 'rejected', reason: string | null): Promise<OrganizationView> {
    authorize(actor, 'platform:operate', { type: 'platform' });
    await mustFind(orgnr);
    const now = nowIso();
    await db.transaction().execute(async (tx) => {
      await lockOrganization(tx, orgnr);
      const row = await findOrganization(tx, orgnr);
      if (!row) throw organizationNotFound(orgnr);
      if (row.status !== 'pending') {
        throw new ConflictError(`Organisation ${orgnr} is ${row.status}, not a pending claim.`, 'organization_not_pending', { status: row.status });
      }
      await tx
        .updateTable('organizations')
        .set({ status: to, decided_by: actor.user?.id ?? null, decided_at: now, rejection_reason: reason, updated_at: now })
        .where('orgnr', '=', orgnr)
        .execute();
      // A rejected claim gives nobody a role: the claimant can no longer prepare drafts in its name.
      if (to === 'rejected') await tx.deleteFrom('memberships').where('orgnr', '=', orgnr).execute();
      await recordAudit(tx, actor, {
        action: to === 'approved' ? 'organization.approve' : 'organization.reject',
        resourceType: 'organization',
        resourceId: orgnr,
        details: { claimedBy: row.claimed_by, ...(reason ? { reason } : {}) },
      });
    });
    return presentOrganization(await mustFind(orgnr), actor);
  }

  return {
    /**
     * Registers an organisation. Operators and the CLI create it approved; anyone else claims it (pending, with the
     * claimant as admin). The registry's record wins over the typed name, form and municipality.
     */
    async create(actor: Actor, input: OrganizationInput): Promise<OrganizationView> {
      authorize(actor, 'organization:create', { type: 'platform' });
      const problems: FieldProblem[] = [];
      const orgnr = checkOrgnr(input.orgnr);
      if (orgnr.problem) problems.push(orgnr.problem);
      const fields = validateFields(input, false, problems);
      if (problems.length > 0 || !orgnr.value) throw new ValidationError(problems);
      // Answer a duplicate before asking the registry (the transaction below checks again).
      const known = await findOrganization(db, orgnr.value);
      if (known && known.status !== 'rejected' && !known.harvested) throw new ConflictError(`Organisation ${orgnr.value} is already registered.`, 'organization_exists', { orgnr: orgnr.value });
      const check = await checkRegistry(orgnr.value);
      const refused = refusal(orgnr.value, check);
      if (refused) throw refused;
      if (check.kind === 'unchecked' && !fields.name) {
        throw new ValidationError([{ field: '/name', code: 'required', message: 'Enhetsregisteret cannot be reached right now, so the name is required.' }]);
      }
      const operator = actor.user?.isOperator === true;
      const now = nowIso();
      const row: Organization = {
        orgnr: orgnr.value,
        name: fields.name ?? '',
        org_form: fields.org_form ?? null,
        municipality: fields.municipality ?? null,
        homepage: fields.homepage ?? null,
        created_at: now,
        updated_at: now,
        status: operator ? 'approved' : 'pending',
        claimed_by: operator ? null : (actor.user?.id ?? null),
        claimed_at: operator ? null : now,
        claimed_name: fields.name ?? null,
        decided_by: operator ? (actor.user?.id ?? null) : null,
        decided_at: operator ? now : null,
        rejection_reason: null,
        registry_checked_at: null,
        registry_source: null,
        registry_status: null,
        // A publisher row a harvest created (migration 20261202-001) is taken over by the real organisation's claim.
        harvested: 0,
        agent_uri: null,
        ...checkedColumns(check),
      };
      await db.transaction().execute(async (tx) => {
        const existing = await findOrganization(tx, row.orgnr);
        if (existing && existing.status !== 'rejected' && !existing.harvested) {
          throw new ConflictError(`Organisation ${row.orgnr} is already registered.`, 'organization_exists', { orgnr: row.orgnr });
        }
        if (existing) {
          // A rejected claim (or a harvested publisher row) does not block the real organisation: a new claim (or the
          // operator) takes the number over.
          await tx.deleteFrom('memberships').where('orgnr', '=', row.orgnr).execute();
          await tx.updateTable('organizations').set({ ...row, created_at: existing.created_at }).where('orgnr', '=', row.orgnr).execute();
        } else {
          await tx.insertInto('organizations').values(row).execute();
        }
        // The person registering the organisation administers it; the CLI (an operator tool) assigns admins itself.
        if (actor.user && actor.via !== 'cli') {
          await tx.insertInto('memberships').values({ orgnr: row.orgnr, user_id: actor.user.id, role: 'admin', created_at: now }).execute();
        }
        await recordAudit(tx, actor, {
          action: operator ? 'organization.create' : 'organization.claim',
          resourceType: 'organization',
          resourceId: row.orgnr,
          details: { name: row.name, status: row.status, registry: check.kind === 'unchecked' ? `unchecked (${check.reason})` : check.kind, ...(existing ? { replacedRejectedClaim: true } : {}) },
        });
      });
      return presentOrganization(row, actor);
    },

    async get(orgnr: string, actor?: Actor): Promise<OrganizationView> {
      return presentOrganization(await mustFind(orgnr), actor);
    },

    async list(opts: { q?: string; status?: OrganizationStatus; limit: number; offset: number }): Promise<{ items: OrganizationView[]; total: number }> {
      const q = opts.q?.trim();
      let base = db.selectFrom('organizations');
      if (q) {
        const digits = q.replace(/\s+/g, '');
        base = base.where((eb) =>
          eb.or([
            containsText(eb.ref('name'), q),
            ...(/^\d+$/.test(digits) ? [eb('orgnr', 'like', `${digits}%`)] : []),
          ]),
        );
      }
      if (opts.status) base = base.where('status', '=', opts.status);
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy('name').orderBy('orgnr').limit(opts.limit).offset(opts.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map((r) => presentOrganization(r)), total: Number(count.n) };
    },

    async update(actor: Actor, orgnr: string, patch: OrganizationPatch): Promise<OrganizationView> {
      const current = await mustFind(orgnr);
      authorize(actor, 'organization:update', { type: 'organization', orgnr });
      const problems: FieldProblem[] = [];
      const fields = validateFields(patch, false, problems);
      if (current.registry_checked_at && current.registry_status !== 'not_found') {
        // Checked organisations keep the registry's name, form and municipality; a recheck refreshes them.
        const fromRegistry: [keyof typeof fields, keyof Organization, string][] = [
          ['name', 'name', '/name'],
          ['org_form', 'org_form', '/orgForm'],
          ['municipality', 'municipality', '/municipality'],
        ];
        for (const [k, col, field] of fromRegistry) {
          if (fields[k] !== undefined && fields[k] !== current[col]) {
            problems.push({ field, code: 'from_registry', message: 'This comes from Enhetsregisteret and cannot be changed here; an operator can check the registry again.' });
          }
        }
      }
      if (problems.length > 0) throw new ValidationError(problems);
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('organizations')
          .set({ ...fields, updated_at: nowIso() })
          .where('orgnr', '=', orgnr)
          .execute();
        await recordAudit(tx, actor, { action: 'organization.update', resourceType: 'organization', resourceId: orgnr, details: { fields: Object.keys(fields) } });
      });
      return presentOrganization(await mustFind(orgnr), actor);
    },

    /** Operator: approve a pending claim; the organisation may publish from now on. */
    async approve(actor: Actor, orgnr: string): Promise<OrganizationView> {
      return decide(actor, orgnr, 'approved', null);
    },

    /** Operator: reject a pending claim with a reason the claimant sees; the claimant's membership goes. */
    async reject(actor: Actor, orgnr: string, input: { reason: string }): Promise<OrganizationView> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      const reason = (input.reason ?? '').trim();
      if (reason === '') throw new ValidationError([{ field: '/reason', code: 'required', message: 'A reason is required to reject a claim.' }]);
      if (reason.length > REJECTION_REASON_MAX) throw new ValidationError([{ field: '/reason', code: 'too_long', message: `The reason may be at most ${REJECTION_REASON_MAX} characters.` }]);
      return decide(actor, orgnr, 'rejected', reason);
    },

    /** Operator: ask Enhetsregisteret again about one organisation. */
    async recheck(actor: Actor, orgnr: string): Promise<{ organization: OrganizationView; outcome: RegistryCheck['kind']; reason?: string }> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      await mustFind(orgnr);
      const check = await recheckOne(actor, orgnr);
      return { organization: presentOrganization(await mustFind(orgnr), actor), outcome: check.kind, ...(check.kind === 'unchecked' ? { reason: check.reason } : {}) };
    },

    /** Operator: ask again about every organisation not yet checked (or, with `all`, every organisation). */
    async recheckAll(actor: Actor, opts: { all?: boolean } = {}): Promise<RecheckResult> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      let q = db.selectFrom('organizations').select('orgnr').orderBy('orgnr');
      if (!opts.all) q = q.where('registry_checked_at', 'is', null);
      const result: RecheckResult = { checked: 0, verified: 0, deleted: 0, notFound: 0, unavailable: 0 };
      for (const { orgnr } of await q.execute()) {
        const check = await recheckOne(actor, orgnr);
        result.checked++;
        if (check.kind === 'found') result.verified++;
        else if (check.kind === 'deleted') result.deleted++;
        else if (check.kind === 'not_found') result.notFound++;
        else result.unavailable++;
      }
      return result;
    },

    /** Operator: claims (pending by default) with the claimant and the registry record beside each. */
    async listClaims(actor: Actor, opts: { status?: OrganizationStatus } = {}): Promise<ClaimView[]> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      const rows = await db
        .selectFrom('organizations')
        .selectAll()
        .where('status', '=', opts.status ?? 'pending')
        .orderBy('claimed_at')
        .orderBy('orgnr')
        .limit(500)
        .execute();
      return Promise.all(rows.map((r) => claimView(r, actor)));
    },

    async getClaim(actor: Actor, orgnr: string): Promise<ClaimView> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      return claimView(await mustFind(orgnr), actor);
    },

    /**
     * Operator: loads Enhetsregisteret's bulk download (gzipped or plain JSON array) into the local copy used when the
     * API cannot be reached. One transaction: a file that turns out truncated or broken changes nothing.
     */
    async importRegistry(actor: Actor, file: string, opts: { kind?: 'enhet' | 'underenhet'; batchSize?: number } = {}): Promise<RegistryImportResult> {
      authorize(actor, 'platform:operate', { type: 'platform' });
      const kind = opts.kind ?? 'enhet';
      const batchSize = opts.batchSize ?? 500;
      const result: RegistryImportResult = { file, kind, records: 0, imported: 0, updated: 0, skipped: 0, skippedByReason: {} };
      const skip = (reason: SkipReason | 'duplicate') => {
        result.skipped++;
        result.skippedByReason[reason] = (result.skippedByReason[reason] ?? 0) + 1;
      };
      const at = nowIso();
      try {
        await db.transaction().execute(async (tx) => {
          let batch = new Map<string, Database['registry_units']>();
          const flush = async () => {
            if (batch.size === 0) return;
            const keys = [...batch.keys()];
            const existing = await tx.selectFrom('registry_units').select('orgnr').where('orgnr', 'in', keys).execute();
            result.updated += existing.length;
            result.imported += keys.length - existing.length;
            await upsertUnits(tx, [...batch.values()]);
            batch = new Map();
          };
          const seen = new Set<string>();
          for await (const item of readRegistryFile(file, { kind })) {
            result.records++;
            if ('skipped' in item) {
              skip(item.skipped);
              continue;
            }
            if (seen.has(item.unit.orgnr)) {
              skip('duplicate');
              continue;
            }
            seen.add(item.unit.orgnr);
            batch.set(item.unit.orgnr, unitRow(item.unit, 'file', at));
            if (batch.size >= batchSize) await flush();
          }
          await flush();
          await recordAudit(tx, actor, { action: 'registry.import', resourceType: 'registry', resourceId: kind, details: { ...result, file: file.split(/[\\/]/).pop() } });
        });
      } catch (err) {
        if (err instanceof RegistryFileError) throw new ValidationError([{ field: '/file', code: 'registry_file_invalid', message: `${err.message} Nothing was imported.` }]);
        if ((err as { code?: string }).code === 'ENOENT') throw new ValidationError([{ field: '/file', code: 'registry_file_missing', message: `No such file: ${file}.` }]);
        throw err;
      }
      return result;
    },

    async listMembers(actor: Actor, orgnr: string): Promise<MemberView[]> {
      await mustFind(orgnr);
      authorize(actor, 'organization:view-members', { type: 'organization', orgnr });
      return findMembers(db, orgnr);
    },
    async addMember(actor: Actor, orgnr: string, input: { email: string; role: string }): Promise<MemberView> {
      await mustFind(orgnr);
      authorize(actor, 'organization:manage-members', { type: 'organization', orgnr });
      const role = checkRole(input.role);
      const email = (input.email ?? '').trim().toLowerCase();
      if (!email) throw new ValidationError([{ field: '/email', code: 'required', message: 'The e-mail address of the user is required.' }]);
      const user = await db.selectFrom('users').select(['id', 'email', 'name']).where('email', '=', email).executeTakeFirst();
      if (!user) throw new NotFoundError('User', email, 'user_not_found');
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await lockOrganization(tx, orgnr);
        const existing = await tx.selectFrom('memberships').select('role').where('orgnr', '=', orgnr).where('user_id', '=', user.id).executeTakeFirst();
        if (existing) throw new ConflictError(`${email} is already a member (${existing.role}); change the role instead.`, 'already_member', { role: existing.role });
        await tx.insertInto('memberships').values({ orgnr, user_id: user.id, role, created_at: now }).execute();
        await recordAudit(tx, actor, { action: 'organization.member.add', resourceType: 'organization', resourceId: orgnr, details: { userId: user.id, role } });
      });
      return { userId: user.id, email: user.email, name: user.name, role, createdAt: now };
    },

    async updateMember(actor: Actor, orgnr: string, userId: string, input: { role: string }): Promise<MemberView> {
      await mustFind(orgnr);
      authorize(actor, 'organization:manage-members', { type: 'organization', orgnr });
      const role = checkRole(input.role);
      await db.transaction().execute(async (tx) => {
        await lockOrganization(tx, orgnr);
        const existing = await tx.selectFrom('memberships').select('role').where('orgnr', '=', orgnr).where('user_id', '=', userId).executeTakeFirst();
        if (!existing) throw new NotFoundError('Member', userId, 'member_not_found');
        if (existing.role === 'admin' && role !== 'admin' && (await adminCount(tx, orgnr)) <= 1) {
          throw new ConflictError('This is the organisation’s last administrator; make someone else administrator first.', 'last_admin');
        }
        await tx.updateTable('memberships').set({ role }).where('orgnr', '=', orgnr).where('user_id', '=', userId).execute();
        await recordAudit(tx, actor, { action: 'organization.member.update', resourceType: 'organization', resourceId: orgnr, details: { userId, role } });
      });
      const member = await findMember(db, orgnr, userId);
      if (!member) throw new NotFoundError('Member', userId, 'member_not_found');
      return member;
    },

    async removeMember(actor: Actor, orgnr: string, userId: string): Promise<void> {
      await mustFind(orgnr);
      authorize(actor, 'organization:manage-members', { type: 'organization', orgnr });
      await db.transaction().execute(async (tx) => {
        await lockOrganization(tx, orgnr);
        const existing = await tx.selectFrom('memberships').select('role').where('orgnr', '=', orgnr).where('user_id', '=', userId).executeTakeFirst();
        if (!existing) throw new NotFoundError('Member', userId, 'member_not_found');
        if (existing.role === 'admin' && (await adminCount(tx, orgnr)) <= 1) {
          throw new ConflictError('This is the organisation’s last administrator and cannot be removed.', 'last_admin');
        }
        await tx.deleteFrom('memberships').where('orgnr', '=', orgnr).where('user_id', '=', userId).execute();
        await recordAudit(tx, actor, { action: 'organization.member.remove', resourceType: 'organization', resourceId: orgnr, details: { userId } });
      });
    },

    /** The organisations a user belongs to, with names and roles (for the actor and for "my organisations"). */
    async membershipsOf(userId: string): Promise<{ orgnr: string; name: string; role: MemberRole }[]> {
      return db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.orgnr', 'memberships.orgnr')
        .select(['memberships.orgnr', 'organizations.name', 'memberships.role'])
        .where('memberships.user_id', '=', userId)
        .orderBy('organizations.name')
        .execute();
    },
  };
}

export type OrganisationsService = ReturnType<typeof createOrganisationsService>;
