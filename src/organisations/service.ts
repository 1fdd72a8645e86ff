// Organisations (virksomheter) and their members. Rules: an organisation is identified by a valid organisasjonsnummer
// (mod-11 check digit); any signed-in user may register one and becomes its first admin; admins manage members; an
// organisation never loses its last admin. Access decisions come from the one door in src/access/service.ts.
import type { Actor } from '../access/model';
import { recordAudit } from '../access/audit';
import { authorize } from '../access/service';
import { containsText } from '../catalog/text-search';
import type { DbOrTx, Db } from '../database';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { validateKommunenummer } from '../identifiers/kommunenummer';
import { validateOrgnr } from '../identifiers/orgnr';
import { isHttpUrl } from '../identifiers/url';
import { nowIso } from '../platform/db/index';
import {
  MEMBER_ROLES,
  type MemberRole,
  type MemberView,
  type Organization,
  type OrganizationInput,
  type OrganizationPatch,
  type OrganizationView,
} from './model';

export const ORG_NAME_MAX = 200;

export function organizationNotFound(orgnr: string): NotFoundError {
  return new NotFoundError('Organization', orgnr, 'organization_not_found');
}

export function presentOrganization(row: Organization): OrganizationView {
  const kommune = row.municipality ? validateKommunenummer(row.municipality) : undefined;
  return {
    orgnr: row.orgnr,
    name: row.name,
    orgForm: row.org_form,
    municipality: row.municipality,
    municipalityName: kommune?.valid ? kommune.name : null,
    homepage: row.homepage,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
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

export function createOrganisationsService({ db }: { db: Db }) {
  async function mustFind(orgnr: string): Promise<Organization> {
    const row = await findOrganization(db, orgnr);
    if (!row) throw organizationNotFound(orgnr);
    return row;
  }

  return {
    async create(actor: Actor, input: OrganizationInput): Promise<OrganizationView> {
      authorize(actor, 'organization:create', { type: 'platform' });
      const problems: FieldProblem[] = [];
      const orgnr = checkOrgnr(input.orgnr);
      if (orgnr.problem) problems.push(orgnr.problem);
      const fields = validateFields(input, true, problems);
      if (problems.length > 0 || !orgnr.value) throw new ValidationError(problems);
      const now = nowIso();
      const row: Organization = {
        orgnr: orgnr.value,
        name: fields.name ?? '',
        org_form: fields.org_form ?? null,
        municipality: fields.municipality ?? null,
        homepage: fields.homepage ?? null,
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (tx) => {
        if (await findOrganization(tx, row.orgnr)) {
          throw new ConflictError(`Organisation ${row.orgnr} is already registered.`, 'organization_exists', { orgnr: row.orgnr });
        }
        await tx.insertInto('organizations').values(row).execute();
        // The person registering the organisation administers it; the CLI (an operator tool) assigns admins itself.
        if (actor.user && actor.via !== 'cli') {
          await tx.insertInto('memberships').values({ orgnr: row.orgnr, user_id: actor.user.id, role: 'admin', created_at: now }).execute();
        }
        await recordAudit(tx, actor, { action: 'organization.create', resourceType: 'organization', resourceId: row.orgnr, details: { name: row.name } });
      });
      return presentOrganization(row);
    },

    async get(orgnr: string): Promise<OrganizationView> {
      return presentOrganization(await mustFind(orgnr));
    },

    async list(opts: { q?: string; limit: number; offset: number }): Promise<{ items: OrganizationView[]; total: number }> {
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
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy('name').orderBy('orgnr').limit(opts.limit).offset(opts.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(presentOrganization), total: Number(count.n) };
    },

    async update(actor: Actor, orgnr: string, patch: OrganizationPatch): Promise<OrganizationView> {
      await mustFind(orgnr);
      authorize(actor, 'organization:update', { type: 'organization', orgnr });
      const problems: FieldProblem[] = [];
      const fields = validateFields(patch, false, problems);
      if (problems.length > 0) throw new ValidationError(problems);
      await db
        .updateTable('organizations')
        .set({ ...fields, updated_at: nowIso() })
        .where('orgnr', '=', orgnr)
        .execute();
      return presentOrganization(await mustFind(orgnr));
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
