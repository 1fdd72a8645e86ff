// Rules of the organisations service on a real, migrated database (SQLite, or PostgreSQL when DATABASE_URL is set).
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, type Actor } from '../access/model';
import type { Db } from '../database';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import type { Registry, RegistryLookup, RegistryUnit } from '../platform/registry/index';
import { createOrganisationsService, publishBlocker, type OrganisationsService } from './service';

let tdb: TestDb;
let orgs: OrganisationsService;

/** Test-data builder: a user row, and the actor a request by that user would resolve to. */
async function makeUser(db: Db, opts: { operator?: boolean } = {}): Promise<{ id: string; email: string }> {
  const id = crypto.randomUUID();
  const email = `u-${id.slice(0, 8)}@example.no`;
  const now = new Date().toISOString();
  await db.insertInto('users').values({ id, email, name: `User ${id.slice(0, 4)}`, password_hash: null, is_operator: opts.operator ? 1 : 0, locale: 'nb', created_at: now, updated_at: now }).execute();
  return { id, email };
}

async function actorOf(user: { id: string; email: string }, operator = false): Promise<Actor> {
  const memberships = Object.fromEntries((await orgs.membershipsOf(user.id)).map((m) => [m.orgnr, m.role]));
  return { kind: 'user', user: { id: user.id, email: user.email, name: 'x', isOperator: operator, emailVerified: true }, memberships, scopes: null, via: 'session' };
}

beforeAll(async () => {
  tdb = await createTestDb();
  orgs = createOrganisationsService({ db: tdb.db });
});
afterAll(async () => {
  await tdb?.destroy();
});

describe('organisations service', () => {
  it('rejects an orgnr with a wrong check digit, naming the digit it should be', async () => {
    const u = await makeUser(tdb.db);
    const err = await orgs.create(await actorOf(u), { orgnr: '991825828', name: 'Digdir' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems;
    expect(problems).toEqual([expect.objectContaining({ field: '/orgnr', code: 'orgnr_check_digit' })]);
    expect(problems[0]?.message).toContain('should be 7');
  });

  it('rejects malformed orgnr, empty name, unknown kommunenummer and a non-URL homepage all at once', async () => {
    const u = await makeUser(tdb.db);
    const err = (await orgs.create(await actorOf(u), { orgnr: '12345', name: ' ', municipality: '0399', homepage: 'digdir.no' }).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field).sort()).toEqual(['/homepage', '/municipality', '/name', '/orgnr']);
  });

  it('requires a signed-in user', async () => {
    await expect(orgs.create(ANONYMOUS, { orgnr: '991825827', name: 'Digdir' })).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('creates an organisation (spaces in the orgnr tolerated), makes the creator admin, and refuses duplicates', async () => {
    const u = await makeUser(tdb.db);
    const created = await orgs.create(await actorOf(u), { orgnr: '991 825 827', name: 'Digitaliseringsdirektoratet', orgForm: 'orgl', municipality: '4601', homepage: 'https://www.digdir.no' });
    expect(created).toMatchObject({ orgnr: '991825827', orgForm: 'ORGL', municipality: '4601', municipalityName: 'Bergen' });
    expect(await orgs.membershipsOf(u.id)).toEqual([{ orgnr: '991825827', name: 'Digitaliseringsdirektoratet', role: 'admin' }]);
    const again = await orgs.create(await actorOf(u), { orgnr: '991825827', name: 'Again' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect((again as ConflictError).code).toBe('organization_exists');
    expect((await orgs.get('991825827')).name).toBe('Digitaliseringsdirektoratet');
    await expect(orgs.get('974760673')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('the CLI creates organisations without becoming a member', async () => {
    const op = await makeUser(tdb.db, { operator: true });
    const cli: Actor = { ...(await actorOf(op, true)), via: 'cli' };
    await orgs.create(cli, { orgnr: '961181399', name: 'Arkivverket' });
    expect(await orgs.membershipsOf(op.id)).toEqual([]);
  });

  it('searches by name (case-insensitive, also æøå) and by orgnr prefix, with paging and totals', async () => {
    const u = await makeUser(tdb.db);
    await orgs.create(await actorOf(u), { orgnr: '974760673', name: 'Registerenheten i Brønnøysund' });
    expect((await orgs.list({ q: 'BRØNNØYSUND', limit: 10, offset: 0 })).items.map((o) => o.orgnr)).toEqual(['974760673']);
    expect((await orgs.list({ q: '9747', limit: 10, offset: 0 })).items.map((o) => o.orgnr)).toEqual(['974760673']);
    expect((await orgs.list({ q: '100%', limit: 10, offset: 0 })).total).toBe(0);
    const page = await orgs.list({ limit: 1, offset: 1 });
    expect(page.total).toBeGreaterThanOrEqual(3);
    expect(page.items).toHaveLength(1);
  });

  it('lets only admins update and manage members; never removes or demotes the last admin', async () => {
    const admin = await makeUser(tdb.db);
    const editor = await makeUser(tdb.db);
    const outsider = await makeUser(tdb.db);
    await orgs.create(await actorOf(admin), { orgnr: '123456785', name: 'Eksempel AS' });

    await expect(orgs.update(await actorOf(outsider), '123456785', { name: 'Hijack' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(orgs.listMembers(await actorOf(outsider), '123456785')).rejects.toBeInstanceOf(ForbiddenError);
    expect((await orgs.update(await actorOf(admin), '123456785', { name: 'Eksempel AS (ny)', homepage: '' })).name).toBe('Eksempel AS (ny)');

    const added = await orgs.addMember(await actorOf(admin), '123456785', { email: editor.email.toUpperCase(), role: 'editor' });
    expect(added).toMatchObject({ userId: editor.id, role: 'editor' });
    await expect(orgs.addMember(await actorOf(admin), '123456785', { email: editor.email, role: 'member' })).rejects.toMatchObject({ code: 'already_member' });
    await expect(orgs.addMember(await actorOf(admin), '123456785', { email: 'nobody@example.no', role: 'member' })).rejects.toMatchObject({ code: 'user_not_found', status: 404 });
    await expect(orgs.addMember(await actorOf(admin), '123456785', { email: outsider.email, role: 'owner' })).rejects.toBeInstanceOf(ValidationError);
    // An editor may see but not manage members.
    expect((await orgs.listMembers(await actorOf(editor), '123456785')).map((m) => m.role).sort()).toEqual(['admin', 'editor']);
    await expect(orgs.removeMember(await actorOf(editor), '123456785', admin.id)).rejects.toBeInstanceOf(ForbiddenError);

    const last = await orgs.removeMember(await actorOf(admin), '123456785', admin.id).catch((e: unknown) => e);
    expect(last).toBeInstanceOf(ConflictError);
    expect((last as DomainError).code).toBe('last_admin');
    await expect(orgs.updateMember(await actorOf(admin), '123456785', admin.id, { role: 'member' })).rejects.toMatchObject({ code: 'last_admin' });

    // With a second admin, the first may step down.
    await orgs.updateMember(await actorOf(admin), '123456785', editor.id, { role: 'admin' });
    await orgs.removeMember(await actorOf(admin), '123456785', admin.id);
    expect((await orgs.listMembers(await actorOf(editor), '123456785')).map((m) => m.userId)).toEqual([editor.id]);
    await expect(orgs.removeMember(await actorOf(editor), '123456785', admin.id)).rejects.toMatchObject({ code: 'member_not_found' });
  });

  it('keeps one admin when two admins remove each other concurrently', async () => {
    const a = await makeUser(tdb.db);
    const b = await makeUser(tdb.db);
    await orgs.create(await actorOf(a), { orgnr: '889640782', name: 'Samtidig AS' });
    await orgs.addMember(await actorOf(a), '889640782', { email: b.email, role: 'admin' });
    const [actorA, actorB] = [await actorOf(a), await actorOf(b)];
    const results = await Promise.allSettled([orgs.removeMember(actorA, '889640782', b.id), orgs.removeMember(actorB, '889640782', a.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const survivor = results[0]?.status === 'fulfilled' ? actorA : actorB;
    const admins = (await orgs.listMembers(survivor, '889640782')).filter((m) => m.role === 'admin');
    expect(admins).toHaveLength(1);
  });

  it('operators manage any organisation; unknown organisations are 404 before any permission check', async () => {
    const op = await makeUser(tdb.db, { operator: true });
    const opActor = await actorOf(op, true);
    await expect(orgs.update(opActor, '961181399', { orgForm: 'STAT' })).resolves.toMatchObject({ orgForm: 'STAT' });
    await expect(orgs.update(opActor, '000000000', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('verification rules (registry policy, claims, publish gate)', () => {
  // A scripted registry: the adapter itself is tested against a loopback server in src/platform/registry.
  const answers = new Map<string, RegistryLookup>();
  const scripted: Registry = { enabled: true, lookup: async (orgnr) => answers.get(orgnr) ?? { kind: 'unavailable', reason: 'unreachable (ENOTFOUND)' } };
  let vorgs: OrganisationsService;
  const unit = (orgnr: string, name: string): RegistryUnit => ({ orgnr, kind: 'enhet', name, orgForm: 'AS', municipality: '0301', status: 'active', deletedAt: null, parentOrgnr: null });

  beforeAll(() => {
    vorgs = createOrganisationsService({ db: tdb.db, registry: scripted });
  });

  it('the API answer wins over the local copy; the local copy answers only when the API cannot', async () => {
    const now = new Date().toISOString();
    await tdb.db.insertInto('registry_units').values([
      { orgnr: '910000101', kind: 'enhet', name: 'LOKAL KOPI AS', org_form: 'AS', municipality: '0301', status: 'active', deleted_at: null, parent_orgnr: null, source: 'file', fetched_at: now },
      { orgnr: '910000098', kind: 'enhet', name: 'SLETTET LOKALT AS', org_form: 'AS', municipality: null, status: 'deleted', deleted_at: '2020-01-01', parent_orgnr: null, source: 'file', fetched_at: now },
    ]).execute();
    answers.set('910000101', { kind: 'not_found', orgnr: '910000101' });
    const u = await makeUser(tdb.db);
    const refused = (await vorgs.create(await actorOf(u), { orgnr: '910000101' }).catch((e: unknown) => e)) as ValidationError;
    expect(refused.problems[0]?.code).toBe('orgnr_unknown');
    answers.delete('910000101');
    const fromCopy = await vorgs.create(await actorOf(u), { orgnr: '910000101' });
    expect(fromCopy).toMatchObject({ name: 'LOKAL KOPI AS', registry: { source: 'file', checkedAt: now } });
    const deleted = (await vorgs.create(await actorOf(u), { orgnr: '910000098', name: 'X' }).catch((e: unknown) => e)) as ValidationError;
    expect(deleted.problems[0]?.code).toBe('orgnr_deleted');
  });

  it('claims are pending with the claimant as admin; operators create approved; only approved publish', async () => {
    answers.set('910000004', { kind: 'found', unit: unit('910000004', 'KRAV AS') });
    answers.set('910000012', { kind: 'found', unit: unit('910000012', 'OPERATØR AS') });
    const u = await makeUser(tdb.db);
    const op = await makeUser(tdb.db, { operator: true });
    const claimed = await vorgs.create(await actorOf(u), { orgnr: '910000004', name: 'Hva som helst' });
    expect(claimed).toMatchObject({ name: 'KRAV AS', status: 'pending' });
    expect(await vorgs.listMembers(await actorOf(op, true), '910000004')).toEqual([expect.objectContaining({ userId: u.id, role: 'admin' })]);
    expect(await publishBlocker(tdb.db, '910000004')).toMatchObject({ code: 'organization_pending' });
    expect((await vorgs.create(await actorOf(op, true), { orgnr: '910000012' })).status).toBe('approved');
    expect(await publishBlocker(tdb.db, '910000012')).toBeUndefined();
    await expect(vorgs.approve(await actorOf(u), '910000004')).rejects.toBeInstanceOf(ForbiddenError);
    await vorgs.reject(await actorOf(op, true), '910000004', { reason: 'Ikke ansatt.' });
    expect(await publishBlocker(tdb.db, '910000004')).toMatchObject({ code: 'organization_rejected' });
    expect(await vorgs.membershipsOf(u.id)).toEqual([]);
  });

  it('a recheck that finds the unit deleted stops publishing', async () => {
    answers.set('910000012', { kind: 'deleted', orgnr: '910000012', deletedAt: '2026-11-30' });
    const op = await makeUser(tdb.db, { operator: true });
    const r = await vorgs.recheck(await actorOf(op, true), '910000012');
    expect(r).toMatchObject({ outcome: 'deleted', organization: { status: 'approved', registry: { status: 'deleted' } } });
    expect(await publishBlocker(tdb.db, '910000012')).toMatchObject({ code: 'organization_deregistered' });
  });
});
