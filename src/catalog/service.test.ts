// Rules of the catalogue service on a real, migrated database (SQLite, or PostgreSQL when DATABASE_URL is set).
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, type Actor } from '../access/model';
import type { Db } from '../database';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import type { MemberRole } from '../organisations/model';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import type { DatasetInput } from './model';
import { createCatalogService, type CatalogService } from './service';
import { findLicence, isOpenLicence, losThemes } from './vocabularies';

let tdb: TestDb;
let catalog: CatalogService;
const ORG = '991825827';
const OTHER_ORG = '974760673';
let editor: Actor;
let member: Actor;
let outsider: Actor;

async function makeUser(db: Db, orgs: Record<string, MemberRole> = {}, operator = false): Promise<Actor> {
  const id = crypto.randomUUID();
  const email = `u-${id.slice(0, 8)}@example.no`;
  const now = new Date().toISOString();
  await db.insertInto('users').values({ id, email, name: 'Test', password_hash: null, is_operator: operator ? 1 : 0, locale: 'nb', created_at: now, updated_at: now }).execute();
  for (const [orgnr, role] of Object.entries(orgs)) await db.insertInto('memberships').values({ orgnr, user_id: id, role, created_at: now }).execute();
  return { kind: 'user', user: { id, email, name: 'Test', isOperator: operator, emailVerified: true }, memberships: orgs, scopes: null, via: 'session' };
}

async function makeOrg(db: Db, orgnr: string, name: string): Promise<void> {
  const now = new Date().toISOString();
  await db.insertInto('organizations').values({ orgnr, name, org_form: null, municipality: null, homepage: null, created_at: now, updated_at: now }).execute();
}

/** A dataset input that may be published. */
function complete(overrides: Partial<DatasetInput> = {}): DatasetInput {
  return {
    orgnr: ORG,
    title: { nb: 'Kommunale nøkkeltall', en: 'Municipal key figures' },
    description: { nb: 'Nøkkeltall for alle kommuner i Norge.' },
    keywords: { nb: ['kommune', 'statistikk'] },
    themes: ['http://publications.europa.eu/resource/authority/data-theme/GOVE'],
    accessRights: 'PUBLIC',
    licence: 'https://data.norge.no/nlod/no/2.0/',
    spatial: ['0301', '46'],
    temporal: { start: '2020-01-01', end: '2023-12-31' },
    frequency: 'ANNUAL',
    // Restricted and non-public datasets need a contact point to be published (issue 7).
    contactPoint: { email: 'data@example.no' },
    ...overrides,
  };
}

beforeAll(async () => {
  tdb = await createTestDb();
  catalog = createCatalogService({ db: tdb.db });
  await makeOrg(tdb.db, ORG, 'Digitaliseringsdirektoratet');
  await makeOrg(tdb.db, OTHER_ORG, 'Brønnøysundregistrene');
  editor = await makeUser(tdb.db, { [ORG]: 'editor' });
  member = await makeUser(tdb.db, { [ORG]: 'member' });
  outsider = await makeUser(tdb.db, { [OTHER_ORG]: 'admin' });
});
afterAll(async () => {
  await tdb?.destroy();
});

describe('vocabularies', () => {
  it('knows the open licences in all their URI forms', () => {
    expect(isOpenLicence('http://data.norge.no/nlod/no/2.0')).toBe(true);
    expect(isOpenLicence('https://data.norge.no/nlod/no/2.0/')).toBe(true);
    expect(isOpenLicence('https://creativecommons.org/licenses/by/4.0/deed.no')).toBe(true);
    expect(isOpenLicence('http://publications.europa.eu/resource/authority/licence/CC0')).toBe(true);
    expect(findLicence('https://creativecommons.org/publicdomain/zero/1.0')?.code).toBe('CC0_1_0');
    expect(isOpenLicence('https://creativecommons.org/licenses/by-nc/4.0/')).toBe(false);
    expect(isOpenLicence(null)).toBe(false);
  });

  it('loads 14 top-level LOS themes with their sub-themes', () => {
    const all = losThemes();
    expect(all.filter((t) => t.parent === null)).toHaveLength(14);
    expect(all.length).toBe(92);
    expect(all.find((t) => t.uri === 'https://psi.norge.no/los/tema/arbeid')?.label).toEqual({ nb: 'Arbeid', nn: 'Arbeid', en: 'Work' });
  });
});

describe('catalog service', () => {
  it('lets only editors of the organisation create datasets', async () => {
    await expect(catalog.createDataset(ANONYMOUS, complete())).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(catalog.createDataset(member, complete())).rejects.toBeInstanceOf(ForbiddenError);
    await expect(catalog.createDataset(outsider, complete())).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('validates every field against its vocabulary and reports all problems at once', async () => {
    const err = (await catalog
      .createDataset(
        editor,
        complete({
          title: { nn: 'Berre nynorsk' },
          themes: ['http://example.org/theme'],
          losThemes: ['https://psi.norge.no/los/tema/finnes-ikke'],
          spatial: ['0399', '99'],
          temporal: { start: '2024-02-30', end: '2020-01-01' },
          frequency: 'SOMETIMES',
          licence: 'not a uri',
          contactPoint: { email: 'nope' },
          landingPage: 'ftp://example.org',
        }),
      )
      .catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field).sort()).toEqual(
      ['/contactPoint/email', '/frequency', '/landingPage', '/licence', '/losThemes/0', '/spatial/0', '/spatial/1', '/temporal/start', '/themes/0', '/title'].sort(),
    );
  });

  it('creates a draft with parsed, camelCase fields and its publisher', async () => {
    const ds = await catalog.createDataset(editor, complete({ themes: ['ECON'], losThemes: ['https://psi.norge.no/los/tema/arbeid'], frequency: 'http://publications.europa.eu/resource/authority/frequency/MONTHLY' }));
    expect(ds).toMatchObject({
      state: 'draft',
      publisher: { orgnr: ORG, name: 'Digitaliseringsdirektoratet' },
      title: { nb: 'Kommunale nøkkeltall', en: 'Municipal key figures' },
      keywords: { nb: ['kommune', 'statistikk'] },
      themes: ['http://publications.europa.eu/resource/authority/data-theme/ECON'],
      spatial: ['0301', '46'],
      temporal: { start: '2020-01-01', end: '2023-12-31' },
      frequency: 'MONTHLY',
      distributions: [],
      publishedAt: null,
    });
    expect(ds.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hides drafts from outsiders (404) and shows them to members', async () => {
    const ds = await catalog.createDataset(editor, complete({ title: { nb: 'Hemmelig utkast' } }));
    await expect(catalog.getDataset(ANONYMOUS, ds.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(catalog.getDataset(outsider, ds.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(catalog.getDataset(member, ds.id)).resolves.toMatchObject({ id: ds.id });
    expect((await catalog.listDatasets(ANONYMOUS, { q: 'hemmelig', limit: 10, offset: 0 })).total).toBe(0);
    expect((await catalog.listDatasets(outsider, { q: 'hemmelig', limit: 10, offset: 0 })).total).toBe(0);
    expect((await catalog.listDatasets(member, { q: 'HEMMELIG', limit: 10, offset: 0 })).items.map((d) => d.id)).toEqual([ds.id]);
    // Members may edit nothing; outsiders are told "not found", not "forbidden".
    await expect(catalog.updateDataset(member, ds.id, { provenance: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(catalog.updateDataset(outsider, ds.id, { provenance: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(catalog.getDataset(editor, crypto.randomUUID())).rejects.toMatchObject({ code: 'dataset_not_found' });
  });

  it('publishes only with title, description, access rights and (for PUBLIC) a licence', async () => {
    const ds = await catalog.createDataset(editor, { orgnr: ORG, title: { en: 'Bare bones' }, accessRights: 'PUBLIC' });
    const err = (await catalog.publishDataset(editor, ds.id).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field).sort()).toEqual(['/description', '/licence']);
    await catalog.updateDataset(editor, ds.id, { description: { en: 'Now described.' }, accessRights: 'RESTRICTED' });
    // Restricted data is shared on request: publishing it needs a contact point (issue 7).
    const noContact = (await catalog.publishDataset(editor, ds.id).catch((e: unknown) => e)) as ValidationError;
    expect(noContact.problems.map((p) => [p.field, p.code])).toEqual([['/contactPoint', 'contact_required_for_publish']]);
    await catalog.updateDataset(editor, ds.id, { contactPoint: { name: 'Bare navn' } });
    await expect(catalog.publishDataset(editor, ds.id)).rejects.toMatchObject({ code: 'validation_failed' });
    await catalog.updateDataset(editor, ds.id, { contactPoint: { email: 'data@example.no' } });
    await expect(catalog.publishDataset(member, ds.id)).rejects.toBeInstanceOf(ForbiddenError);
    const published = await catalog.publishDataset(editor, ds.id);
    expect(published.state).toBe('published');
    expect(published.publishedAt).not.toBeNull();
    await expect(catalog.publishDataset(editor, ds.id)).rejects.toBeInstanceOf(ConflictError);
    // Published metadata is public; a published dataset must stay publishable.
    await expect(catalog.getDataset(ANONYMOUS, ds.id)).resolves.toMatchObject({ state: 'published' });
    await expect(catalog.updateDataset(editor, ds.id, { accessRights: 'PUBLIC' })).rejects.toMatchObject({ code: 'validation_failed' });
    const audit = await tdb.db.selectFrom('audit_log').selectAll().where('resource_id', '=', ds.id).execute();
    // Every change is audited (the refused update is not); the entries name fields, never their values.
    expect(audit.map((a) => a.action).sort()).toEqual(['dataset.create', 'dataset.publish', 'dataset.update', 'dataset.update', 'dataset.update']);
    expect(audit.map((a) => a.details).join(' ')).not.toContain('Now described');
  });

  it('archives: archived datasets disappear for outsiders', async () => {
    const ds = await catalog.createDataset(editor, complete({ title: { nb: 'Skal arkiveres' } }));
    await catalog.publishDataset(editor, ds.id);
    await expect(catalog.getDataset(ANONYMOUS, ds.id)).resolves.toBeTruthy();
    await catalog.archiveDataset(editor, ds.id);
    await expect(catalog.getDataset(ANONYMOUS, ds.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(catalog.archiveDataset(editor, ds.id)).rejects.toMatchObject({ code: 'already_archived' });
  });

  it('filters, searches by word (title, description, keywords; case-insensitive with æøå), pages and counts', async () => {
    const a = await catalog.createDataset(editor, complete({ title: { nb: 'Ørsta fjellturer' }, keywords: { nb: ['friluftsliv'] } }));
    const b = await catalog.createDataset(editor, complete({ title: { nb: 'Skoler' }, description: { nb: 'Elever i ØRSTA kommune' }, accessRights: 'NON_PUBLIC', licence: null }));
    const c = await catalog.createDataset(editor, complete({ title: { nb: 'Stier' }, keywords: { nb: ['Ørsta'] }, description: { nb: 'Rabatt 50% i dag' } }));
    for (const d of [a, b, c]) await catalog.publishDataset(editor, d.id);

    const hits = await catalog.listDatasets(ANONYMOUS, { q: 'ørsta', limit: 10, offset: 0 });
    expect(hits.items.map((d) => d.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect((await catalog.listDatasets(ANONYMOUS, { q: 'ørsta', accessRights: 'NON_PUBLIC', limit: 10, offset: 0 })).items.map((d) => d.id)).toEqual([b.id]);
    expect((await catalog.listDatasets(ANONYMOUS, { q: '50%', limit: 10, offset: 0 })).items.map((d) => d.id)).toEqual([c.id]);
    expect((await catalog.listDatasets(ANONYMOUS, { q: '5_%', limit: 10, offset: 0 })).total).toBe(0);
    // The JSON keys of the language maps are not searchable text.
    const plain = await catalog.createDataset(editor, complete({ title: { nb: 'Zzz' }, description: { nb: 'Yyy' }, keywords: { nb: ['xxx'] } }));
    for (const q of ['nb', '"nb"', 'en', '":"']) {
      expect((await catalog.listDatasets(member, { q, limit: 100, offset: 0 })).items.map((d) => d.id)).not.toContain(plain.id);
    }
    expect((await catalog.listDatasets(member, { q: 'zzz', limit: 100, offset: 0 })).items.map((d) => d.id)).toEqual([plain.id]);
    // Words, not substrings (src/search): "zz" is not a word of "Zzz".
    expect((await catalog.listDatasets(member, { q: 'zz', limit: 100, offset: 0 })).total).toBe(0);
    const page2 = await catalog.listDatasets(ANONYMOUS, { q: 'ørsta', limit: 2, offset: 2 });
    expect(page2).toMatchObject({ total: 3 });
    expect(page2.items).toHaveLength(1);
    expect((await catalog.listDatasets(ANONYMOUS, { orgnr: OTHER_ORG, limit: 10, offset: 0 })).total).toBe(0);
    expect((await catalog.listDatasets(ANONYMOUS, { state: 'draft', limit: 10, offset: 0 })).total).toBe(0);
    expect((await catalog.listDatasets(member, { state: 'draft', limit: 100, offset: 0 })).total).toBeGreaterThan(0);

    const counts = await catalog.counts();
    const published = await tdb.db.selectFrom('datasets').select('id').where('state', '=', 'published').execute();
    expect(counts).toEqual({ datasets: published.length, organizations: 2, tables: 0 });
  });

  it('manages distributions, touching the dataset in the same transaction', async () => {
    const ds = await catalog.createDataset(editor, complete({ title: { nb: 'Med distribusjoner' } }));
    const before = (await catalog.getDataset(editor, ds.id)).updatedAt;
    await expect(catalog.addDistribution(editor, ds.id, { title: { nb: 'CSV' } })).rejects.toBeInstanceOf(ValidationError);
    await expect(catalog.addDistribution(member, ds.id, { downloadUrl: 'https://example.org/a.csv' })).rejects.toBeInstanceOf(ForbiddenError);
    const dist = await catalog.addDistribution(editor, ds.id, { title: { nb: 'CSV' }, downloadUrl: 'https://example.org/a.csv', mediaType: 'text/csv', format: 'CSV', byteSize: 1234 });
    expect(dist).toMatchObject({ datasetId: ds.id, mediaType: 'text/csv', byteSize: 1234 });
    const after = await catalog.getDataset(editor, ds.id);
    expect(after.distributions.map((d) => d.id)).toEqual([dist.id]);
    expect(after.updatedAt >= before).toBe(true);
    await expect(catalog.updateDistribution(editor, ds.id, dist.id, { downloadUrl: null })).rejects.toBeInstanceOf(ValidationError);
    expect((await catalog.updateDistribution(editor, ds.id, dist.id, { format: 'PARQUET' })).format).toBe('PARQUET');
    await expect(catalog.deleteDistribution(editor, ds.id, crypto.randomUUID())).rejects.toMatchObject({ code: 'distribution_not_found' });
    await catalog.deleteDistribution(editor, ds.id, dist.id);
    expect(await catalog.listDistributions(editor, ds.id)).toEqual([]);
  });

  it('checks data access through the door: PUBLIC for all, NON_PUBLIC for members only', async () => {
    const open = await catalog.createDataset(editor, complete({ title: { nb: 'Åpen' } }));
    const closed = await catalog.createDataset(editor, complete({ title: { nb: 'Lukket' }, accessRights: 'NON_PUBLIC' }));
    await catalog.publishDataset(editor, open.id);
    await catalog.publishDataset(editor, closed.id);
    await expect(catalog.assertCanReadData(ANONYMOUS, open.id)).resolves.toBeUndefined();
    await expect(catalog.assertCanReadData(ANONYMOUS, closed.id)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(catalog.assertCanReadData(outsider, closed.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(catalog.assertCanReadData(member, closed.id)).resolves.toBeUndefined();
    expect(await catalog.getDatasetForAccess(ANONYMOUS, closed.id)).toEqual({ id: closed.id, orgnr: ORG, state: 'published', accessRights: 'NON_PUBLIC', hidden: false });
  });
});

describe('catalog transactions', () => {
  it('rolls back the state change when the audit record cannot be written', async () => {
    // A separate database whose audit_log is gone: publishing writes the dataset, then fails on the audit insert.
    const broken = await createTestDb();
    try {
      const svc = createCatalogService({ db: broken.db });
      await makeOrg(broken.db, ORG, 'Digdir');
      const ed = await makeUser(broken.db, { [ORG]: 'editor' });
      const ds = await svc.createDataset(ed, complete());
      await broken.db.schema.dropTable('audit_log').execute();
      await expect(svc.publishDataset(ed, ds.id)).rejects.toThrow();
      expect((await svc.getDataset(ed, ds.id)).state).toBe('draft');
    } finally {
      await broken.destroy();
    }
  });
});
