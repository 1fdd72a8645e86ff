// Search rules on a real, migrated database (SQLite FTS5, or PostgreSQL tsvector + pg_trgm when DATABASE_URL is set).
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, type Actor } from '../access/model';
import type { DatasetInput } from '../catalog/model';
import { createCatalogService, type CatalogService } from '../catalog/service';
import type { Db } from '../database';
import type { MemberRole } from '../organisations/model';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import { indexDatasets, rebuildIndex } from './indexer';
import { createSearchService, type SearchService } from './service';
import { editDistance, normalise, queryTerms, stem, titleSortKey } from './text';

let tdb: TestDb;
let catalog: CatalogService;
let search: SearchService;
const ORG = '991825827';
const OTHER = '974760673';
let editor: Actor;
let otherEditor: Actor;

async function makeUser(db: Db, orgs: Record<string, MemberRole>): Promise<Actor> {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await db.insertInto('users').values({ id, email: `u-${id.slice(0, 8)}@example.no`, name: 'Test', password_hash: null, is_operator: 0, locale: 'nb', created_at: now, updated_at: now }).execute();
  for (const [orgnr, role] of Object.entries(orgs)) await db.insertInto('memberships').values({ orgnr, user_id: id, role, created_at: now }).execute();
  return { kind: 'user', user: { id, email: `u-${id.slice(0, 8)}@example.no`, name: 'Test', isOperator: false, emailVerified: true }, memberships: orgs, scopes: null, via: 'session' };
}

async function makeOrg(db: Db, orgnr: string, name: string): Promise<void> {
  const now = new Date().toISOString();
  await db.insertInto('organizations').values({ orgnr, name, org_form: null, municipality: null, homepage: null, created_at: now, updated_at: now }).execute();
}

async function published(actor: Actor, input: Partial<DatasetInput> & { title: { nb: string } }, orgnr = ORG): Promise<string> {
  const ds = await catalog.createDataset(actor, {
    orgnr,
    description: { nb: 'Data til bruk for alle.' },
    accessRights: 'PUBLIC',
    licence: 'https://data.norge.no/nlod/no/2.0/',
    contactPoint: { email: 'data@example.no' },
    ...input,
  });
  await catalog.publishDataset(actor, ds.id);
  return ds.id;
}

const ids = async (q: string, actor: Actor = ANONYMOUS) => (await search.search(actor, { q, limit: 50, offset: 0 })).items.map((d) => d.id);

let kommune: string;
let barnehage: string;
let vann: string;
let statistikk: string;
let closed: string;
let draft: string;

beforeAll(async () => {
  tdb = await createTestDb();
  catalog = createCatalogService({ db: tdb.db });
  search = createSearchService({ db: tdb.db, catalog });
  await makeOrg(tdb.db, ORG, 'Statistisk sentralbyrå');
  await makeOrg(tdb.db, OTHER, 'Ålesund kommune');
  editor = await makeUser(tdb.db, { [ORG]: 'editor' });
  otherEditor = await makeUser(tdb.db, { [OTHER]: 'editor' });
  kommune = await published(editor, { title: { nb: 'Befolkning per kommune' }, themes: ['SOCI'], spatial: ['0301'] });
  barnehage = await published(editor, { title: { nb: 'Barnehage og barnehageplasser' }, themes: ['EDUC'], spatial: ['1507'] });
  vann = await published(otherEditor, { title: { nb: 'Vannkvalitet i Ålesund' }, themes: ['ENVI'], accessRights: 'RESTRICTED', licence: null, spatial: ['1508'] }, OTHER);
  statistikk = await published(editor, { title: { nb: 'Statistikk om inntekt' }, description: { nb: 'Inntekt etter alder.' }, licence: 'https://example.org/my-licence' });
  closed = await published(otherEditor, { title: { nb: 'Interne vannprøver' }, accessRights: 'NON_PUBLIC', licence: null }, OTHER);
  draft = (await catalog.createDataset(otherEditor, { orgnr: OTHER, title: { nb: 'Hemmelig vannkart utkast' }, accessRights: 'PUBLIC' })).id;
});
afterAll(async () => tdb.destroy());

describe('text analysis', () => {
  it('stems Norwegian forms together, folds case and diacritics but keeps æøå', () => {
    expect(stem('kommunene')).toBe(stem('kommune'));
    expect(stem('barnehagene')).toBe(stem('barnehage'));
    expect(normalise('ÅLESUND Café Øst Ærfugl')).toBe('ålesund cafe øst ærfugl');
    expect(queryTerms('data og kart').map((t) => t.word)).toEqual(['data', 'kart']);
    expect(queryTerms('og').map((t) => t.word)).toEqual(['og']);
    expect(queryTerms('is')[0]?.prefix).toBe(false);
    expect(editDistance('kommun', 'kommnu', 2)).toBe(1);
    expect(editDistance('kommun', 'kart', 1)).toBe(2);
    expect([titleSortKey('Åsen'), titleSortKey('Øya'), titleSortKey('Ærø'), titleSortKey('Zebra')].sort()).toEqual([titleSortKey('Zebra'), titleSortKey('Ærø'), titleSortKey('Øya'), titleSortKey('Åsen')]);
  });
});

describe('search', () => {
  it('finds inflected forms by their stem: "kommunene" → "kommune", "barnehagene" → "barnehage"', async () => {
    expect(await ids('kommunene')).toContain(kommune);
    expect(await ids('barnehagene')).toContain(barnehage);
    expect(await ids('BARNEHAGEPLASSENE')).toContain(barnehage);
  });

  it('is word order free and needs every word', async () => {
    expect(await ids('ålesund vannkvalitet')).toEqual([vann]);
    expect(await ids('vannkvalitet ålesund')).toEqual([vann]);
    expect(await ids('vannkvalitet barnehage')).toEqual([]);
  });

  it('matches whole words, and prefixes of four letters or more: "is" does not match "statistikk"', async () => {
    expect(await ids('is')).toEqual([]);
    expect(await ids('stat')).toContain(statistikk); // prefix
    expect(await ids('tikk')).toEqual([]); // not a substring search
    expect(await ids('barn')).toContain(barnehage); // compound prefix
    expect(await ids('":"')).toEqual([]);
  });

  it('tolerates a one-letter typo when the exact words find little, and says so', async () => {
    const r = await search.search(ANONYMOUS, { q: 'vannkvalitt', limit: 10, offset: 0 });
    expect(r.items.map((d) => d.id)).toEqual([vann]);
    expect(r.fuzzy).toBe(true);
    expect(await ids('befolkninng')).toContain(kommune);
    expect(await ids('barnehgae')).toContain(barnehage); // transposed letters
    expect((await search.search(ANONYMOUS, { q: 'vannkvalitet', limit: 10, offset: 0 })).fuzzy).toBe(false);
    // A typo of a word only a hidden draft has: nothing found, and nothing says a similar word exists.
    const hidden = await search.search(ANONYMOUS, { q: 'vannkrat', limit: 10, offset: 0 });
    expect(hidden).toMatchObject({ total: 0, fuzzy: false });
    expect((await search.search(otherEditor, { q: 'vannkrat', limit: 10, offset: 0 })).items.map((d) => d.id)).toEqual([draft]);
  });

  it('searches the publisher name, and never lists or counts what the actor may not see', async () => {
    expect((await ids('ålesund')).sort()).toEqual([vann, closed].sort());
    expect(await ids('hemmelig')).toEqual([]);
    expect(await ids('hemmelig', editor)).toEqual([]);
    expect(await ids('hemmelig', otherEditor)).toEqual([draft]);
    const anon = await search.search(ANONYMOUS, { q: 'vann', limit: 10, offset: 0 });
    const own = await search.search(otherEditor, { q: 'vann', limit: 10, offset: 0 });
    expect(anon.total).toBe(2);
    expect(own.total).toBe(3);
    const sum = (r: typeof anon, values: string[]) => r.facets.access.filter((f) => values.includes(f.value)).reduce((n, f) => n + f.count, 0);
    const exclusive = ['PUBLIC', 'RESTRICTED', 'NON_PUBLIC', 'UNKNOWN'];
    expect(sum(anon, exclusive)).toBe(anon.total);
    expect(sum(own, exclusive)).toBe(own.total);
    expect(anon.facets.publisher).toEqual([{ value: OTHER, count: 2, label: 'Ålesund kommune' }]);
  });

  it('facets every dataset consistently with the filtered total, and filters by them (OR within, AND across)', async () => {
    const all = await search.search(ANONYMOUS, { limit: 100, offset: 0 });
    expect(all.total).toBe(5);
    const sumOf = (facet: keyof typeof all.facets, values?: string[]) => all.facets[facet].filter((f) => !values || values.includes(f.value)).reduce((n, f) => n + f.count, 0);
    expect(sumOf('access', ['PUBLIC', 'RESTRICTED', 'NON_PUBLIC', 'UNKNOWN'])).toBe(all.total);
    expect(sumOf('provenance')).toBe(all.total);
    expect(sumOf('publisher')).toBe(all.total);
    expect(all.facets.access.find((f) => f.value === 'OPEN')?.count).toBe(2); // PUBLIC + NLOD; the own licence is not open
    expect(all.facets.new).toEqual([{ value: 'true', count: 5 }]);
    expect(all.facets.spatial).toContainEqual({ value: '15', count: 2 }); // the county of 1507 and 1508
    const open = await search.search(ANONYMOUS, { filters: { access: ['OPEN'] }, limit: 100, offset: 0 });
    expect(open.items.map((d) => d.id).sort()).toEqual([kommune, barnehage].sort());
    const two = await search.search(ANONYMOUS, { filters: { theme: ['EDUC', 'ENVI'], spatial: ['15'] }, limit: 100, offset: 0 });
    expect(two.items.map((d) => d.id).sort()).toEqual([barnehage, vann].sort());
    expect(two.facets.theme.reduce((n, f) => n + f.count, 0)).toBe(two.total);
    const none = await search.search(ANONYMOUS, { filters: { theme: ['EDUC'], publisher: [OTHER] }, limit: 100, offset: 0 });
    expect(none.total).toBe(0);
    expect(none.facets.access).toEqual([]);
  });

  it('sorts by relevance (title above description), title and last modified; pages', async () => {
    const inTitle = await published(editor, { title: { nb: 'Inntekt per fylke' } });
    const r = await search.search(ANONYMOUS, { q: 'inntekt', limit: 10, offset: 0 });
    expect(r.items.map((d) => d.id).sort()).toEqual([inTitle, statistikk].sort());
    // A word in the title ranks above the same word in the description only.
    const descOnly = await published(editor, { title: { nb: 'Lønn' }, description: { nb: 'Inntekt og lønn.' } });
    const ranked = (await search.search(ANONYMOUS, { q: 'inntekt', limit: 10, offset: 0 })).items.map((d) => d.id);
    expect(ranked.indexOf(descOnly)).toBe(2);
    const byTitle = (await search.search(ANONYMOUS, { sort: 'title', limit: 100, offset: 0 })).items.map((d) => d.title.nb);
    expect(byTitle).toEqual([...byTitle].sort((a, b) => (a ?? '').localeCompare(b ?? '', 'nb')));
    await catalog.updateDataset(editor, kommune, { keywords: { nb: ['folketall'] } });
    expect((await search.search(ANONYMOUS, { sort: 'modified', limit: 1, offset: 0 })).items[0]?.id).toBe(kommune);
    const page = await search.search(ANONYMOUS, { sort: 'title', limit: 2, offset: 2 });
    expect(page.items.map((d) => d.title.nb)).toEqual(byTitle.slice(2, 4));
    expect(page.total).toBe(byTitle.length);
  });

  it('keeps the index in step with changes: update, archive, distributions, table columns, rebuild', async () => {
    expect(await ids('folketall')).toEqual([kommune]); // keyword added above
    await catalog.updateDataset(editor, kommune, { title: { nb: 'Innbyggere per bydel' } });
    expect(await ids('kommune')).not.toContain(kommune);
    expect(await ids('bydelene')).toEqual([kommune]);
    await catalog.addDistribution(editor, kommune, { accessUrl: 'https://example.org/a', format: 'http://publications.europa.eu/resource/authority/file-type/CSV' });
    const csv = await search.search(ANONYMOUS, { filters: { format: ['CSV'] }, limit: 10, offset: 0 });
    expect(csv.items.map((d) => d.id)).toEqual([kommune]);
    // Column names of the current table version are searchable (split at _ and camelCase); nothing else of the table.
    const now = new Date().toISOString();
    await tdb.db.insertInto('tables').values({ id: 't1', dataset_id: barnehage, name: 'plasser', title: 'Plasser', current_version_id: null, created_at: now, updated_at: now }).execute();
    await tdb.db
      .insertInto('table_versions')
      .values({
        id: 'v1', table_id: 't1', version: 1, state: 'ready', source_blob_key: 'k', source_format: 'csv', source_options: '{}', given_options: '{}', parquet_blob_key: 'p', row_count: 1, record_count: 1, skipped: '[]', byte_size: 1,
        columns: JSON.stringify([{ name: 'antallBarn_under3', type: 'BIGINT', nullable: false, keptAsText: 'leading_zero' }]), error: null, error_code: null, error_params: '{}', from_version: null, job_id: null, created_at: now, ready_at: now,
      })
      .execute();
    await tdb.db.updateTable('tables').set({ current_version_id: 'v1' }).where('id', '=', 't1').execute();
    await indexDatasets(tdb.db, [barnehage]);
    expect(await ids('antall barn')).toContain(barnehage);
    expect(await ids('leading_zero')).toEqual([]);
    await catalog.archiveDataset(editor, barnehage);
    expect(await ids('barnehage')).toEqual([]);
    expect(await ids('barnehage', editor)).toEqual([barnehage]);
    await tdb.db.deleteFrom('search_docs').execute();
    expect(await rebuildIndex(tdb.db)).toBeGreaterThan(5);
    expect(await ids('vannkvalitet')).toEqual([vann]);
  });

  it('suggests visible titles for a prefix', async () => {
    const s = await search.suggest(ANONYMOUS, 'vannkv', 'nb');
    expect(s).toEqual([{ id: vann, title: 'Vannkvalitet i Ålesund' }]);
    expect(await search.suggest(ANONYMOUS, 'hemmel', 'nb')).toEqual([]);
    expect(await search.suggest(ANONYMOUS, '   ', 'nb')).toEqual([]);
  });
});
