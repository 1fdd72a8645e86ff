// Rules of the competence service on a real, migrated database: the repository import (insert, follow changed files,
// drop removed ones, never touch operator rows), filters with counts, operator overrides, reverts and their audit.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, CLI_ACTOR, type Actor } from '../access/model';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import { createTestDb, tempDir, type TestDb } from '../../test/helpers/db';
import { createCompetenceService, parseFilter } from './service';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures/content');
let tdb: TestDb;
let dir: string;
const user: Actor = { kind: 'user', user: { id: 'u1', email: 'u@example.no', name: 'U', isOperator: false, emailVerified: true }, memberships: {}, scopes: null, via: 'session' };

beforeAll(async () => {
  tdb = await createTestDb();
  dir = tempDir('df-content-');
  fs.cpSync(FIXTURES, dir, { recursive: true });
});
afterAll(async () => {
  await tdb.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fresh = () => createCompetenceService({ db: tdb.db, contentDir: dir });
const operatorFields = { title: 'Operatørens tittel', summary: 'Ny.', audience: 'provider', kind: 'guide', level: 'intro', provider: 'Datafabrikken', free: true };

describe('competence service', () => {
  it('imports the repository once and lists guides, courses and videos with counts', async () => {
    const svc = fresh();
    expect(await svc.importRepository()).toEqual({ inserted: 8, updated: 0, removed: 0, kept: 0 });
    const all = await svc.list({}, 'nb');
    expect(all.items.map((i) => i.id).sort()).toEqual(['bruk-api', 'eksternt-kurs', 'test-guide']);
    expect(all.counts.audience).toEqual({ provider: 2, consumer: 2, both: 1 });
    const providers = await svc.list({ audience: 'provider' }, 'nb');
    expect(providers.items.map((i) => i.id).sort()).toEqual(['eksternt-kurs', 'test-guide']);
    expect(providers.counts.level).toEqual({ intro: 1, advanced: 0, 'further-education': 1 });
    expect((await svc.list({ kind: 'course', level: 'intro' }, 'nb')).total).toBe(0);
    expect((await svc.news('en')).map((n) => n.title)).toEqual(['The competence pages are live']);
  });

  it('refuses unknown filter values with a 400 naming them', () => {
    expect(() => parseFilter({ audience: 'everyone', level: 'expert' })).toThrow(BadRequestError);
    try {
      parseFilter({ audience: 'everyone' });
    } catch (err) {
      expect((err as BadRequestError).message).toMatch(/Unknown audience "everyone"/);
    }
    expect(parseFilter({ audience: '', kind: 'video' })).toEqual({ audience: undefined, kind: 'video', level: undefined });
  });

  it('renders an item in the reading language and hides odd ids as not found', async () => {
    const svc = fresh();
    const g = await svc.get('test-guide', 'en');
    expect(g.title).toBe('Test guide for data owners');
    expect(g.html).toContain('<h2 id="first-step">First step</h2>');
    for (const id of ['../etc/passwd', 'TEST-GUIDE', 'x'.repeat(200), 'nope', '']) await expect(svc.get(id, 'nb')).rejects.toThrow(NotFoundError);
  });

  it('lets only operators edit: anonymous 401, others 403', async () => {
    const svc = fresh();
    await expect(svc.operatorList(ANONYMOUS)).rejects.toThrow(UnauthenticatedError);
    await expect(svc.operatorList(user)).rejects.toThrow(ForbiddenError);
    await expect(svc.operatorSave(user, { id: 'x', lang: 'nb', fields: operatorFields, body: 'x' }, 'create')).rejects.toThrow(ForbiddenError);
    expect(() => svc.preview(ANONYMOUS, 'x')).toThrow(UnauthenticatedError);
  });

  it('validates operator input like a file', async () => {
    const svc = fresh();
    const bad = svc.operatorSave(CLI_ACTOR, { id: 'Bad Id', lang: 'nn', fields: { ...operatorFields, audience: 'all', link: 'javascript:alert(1)' }, body: 'x'.repeat(200_001) }, 'create');
    await expect(bad).rejects.toThrow(ValidationError);
    const err = (await bad.catch((e: unknown) => e)) as ValidationError;
    expect(err.problems.map((p) => `${p.field}:${p.code}`).sort()).toEqual(['/audience:bad_value', '/body:too_long', '/id:bad_id', '/lang:bad_value', '/link:bad_link']);
    await expect(svc.operatorSave(CLI_ACTOR, { id: 'test-guide', lang: 'nb', fields: operatorFields, body: 'x' }, 'create')).rejects.toThrow(ConflictError);
    await expect(svc.operatorSave(CLI_ACTOR, { id: 'not-there', lang: 'nb', fields: operatorFields, body: 'x' }, 'update')).rejects.toThrow(NotFoundError);
  });

  it('keeps an operator override through a re-import, shows that the file changed, and reverts to the new file', async () => {
    const svc = fresh();
    await svc.operatorSave(CLI_ACTOR, { id: 'test-guide', lang: 'nb', fields: operatorFields, body: '## Endret\n\n<script>x</script>' }, 'update');
    expect((await svc.get('test-guide', 'nb')).html).toBe('<h2 id="endret">Endret</h2>\n');
    // An upgrade changes the file and removes another one.
    const file = path.join(dir, 'guides/test-guide.nb.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Testveiledning for dataeiere', 'Ny tittel fra kodelageret'));
    fs.writeFileSync(path.join(dir, 'guides/test-guide.en.md'), fs.readFileSync(path.join(dir, 'guides/test-guide.en.md'), 'utf8').replace('First step', 'Step one'));
    const upgraded = fresh();
    expect(await upgraded.importRepository()).toEqual({ inserted: 0, updated: 1, removed: 0, kept: 1 });
    expect((await upgraded.get('test-guide', 'nb')).title).toBe('Operatørens tittel');
    expect((await upgraded.get('test-guide', 'en')).html).toContain('Step one');
    const row = (await upgraded.operatorList(CLI_ACTOR)).find((r) => r.id === 'test-guide' && r.lang === 'nb')!;
    expect(row).toMatchObject({ source: 'operator', inRepo: true, repoChanged: true, updatedBy: 'cli' });
    expect(await upgraded.operatorRemove(CLI_ACTOR, 'test-guide', 'nb')).toEqual({ restored: true });
    expect((await upgraded.get('test-guide', 'nb')).title).toBe('Ny tittel fra kodelageret');
    await expect(upgraded.operatorRemove(CLI_ACTOR, 'test-guide', 'nb')).rejects.toThrow(ConflictError);
    const audit = await tdb.db.selectFrom('audit_log').select(['action', 'resource_id']).where('resource_type', '=', 'content').orderBy('at').execute();
    expect(audit.map((a) => `${a.action} ${a.resource_id}`)).toEqual(['content.override test-guide/nb', 'content.revert test-guide/nb']);
  });

  it('adds operator-only items, falls back to the other language, and deletes them', async () => {
    const svc = fresh();
    await svc.operatorSave(CLI_ACTOR, { id: 'bare-operator', lang: 'nb', fields: { ...operatorFields, kind: 'video' }, body: 'Video.' }, 'create');
    expect((await svc.get('bare-operator', 'en')).lang).toBe('nb');
    expect((await svc.list({ kind: 'video' }, 'en')).items.map((i) => i.id)).toEqual(['bare-operator']);
    // A re-import leaves it alone.
    expect((await fresh().importRepository()).removed).toBe(0);
    expect((await svc.get('bare-operator', 'nb')).body).toBe('Video.');
    expect(await svc.operatorRemove(CLI_ACTOR, 'bare-operator', 'nb')).toEqual({ restored: false });
    await expect(svc.get('bare-operator', 'nb')).rejects.toThrow(NotFoundError);
  });

  it('removes repository rows whose file is gone, and survives a broken file without dropping what it has', async () => {
    fs.rmSync(path.join(dir, 'courses'), { recursive: true });
    expect((await fresh().importRepository()).removed).toBe(2);
    fs.writeFileSync(path.join(dir, 'guides/bruk-api.nb.md'), 'no front matter');
    const broken = fresh();
    expect((await broken.list({}, 'nb')).items.map((i) => i.id).sort()).toEqual(['bruk-api', 'test-guide']);
    expect(broken.importProblems()[0]).toMatchObject({ file: 'guides/bruk-api.nb.md' });
  });
});
