// Relevance over a catalogue of 105 datasets with real Norwegian names (test/fixtures/search/README.md): for every
// dataset, a query of one word of its title plus one word of its publisher's name must rank it in the top 3. Runs on
// SQLite (FTS5 bm25) and PostgreSQL (ts_rank_cd) alike; prints the hit rate.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANONYMOUS, type Actor } from '../access/model';
import type { DatasetInput } from '../catalog/model';
import { createCatalogService } from '../catalog/service';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import { createSearchService, type SearchService } from './service';
import { words } from './text';

interface Fixture {
  datasets: (Omit<DatasetInput, 'orgnr'> & { orgnr: string; source: string })[];
  organisations: { orgnr: string; name: string }[];
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/fixtures/search/los-catalogue.json'), 'utf8')) as Fixture;
const CLI: Actor = { kind: 'user', user: { id: 'cli', email: 'cli@localhost', name: 'CLI', isOperator: true, emailVerified: true }, memberships: {}, scopes: null, via: 'cli' };

let tdb: TestDb;
let search: SearchService;
const created: { id: string; title: string; publisher: string }[] = [];

beforeAll(async () => {
  tdb = await createTestDb();
  const catalog = createCatalogService({ db: tdb.db });
  search = createSearchService({ db: tdb.db, catalog });
  const now = new Date().toISOString();
  for (const o of fixture.organisations) await tdb.db.insertInto('organizations').values({ orgnr: o.orgnr, name: o.name, org_form: null, municipality: null, homepage: null, created_at: now, updated_at: now }).execute();
  for (const d of fixture.datasets) {
    const { source, ...input } = d;
    void source;
    const ds = await catalog.createDataset(CLI, { ...input, accessRights: 'PUBLIC', licence: 'https://data.norge.no/nlod/no/2.0/' });
    await catalog.publishDataset(CLI, ds.id);
    created.push({ id: ds.id, title: d.title?.nb ?? '', publisher: fixture.organisations.find((o) => o.orgnr === d.orgnr)?.name ?? '' });
  }
}, 120_000);
afterAll(async () => tdb.destroy());

it('ranks the dataset in the top 3 for one of its title words plus a publisher word', async () => {
  expect(created.length).toBeGreaterThanOrEqual(50);
  const misses: string[] = [];
  for (const d of created) {
    const titleWord = words(d.title).find((w) => w.length >= 4) ?? words(d.title)[0] ?? '';
    const publisherWord = words(d.publisher).find((w) => w !== 'kommune') ?? '';
    const q = `${titleWord} ${publisherWord}`;
    const top = (await search.search(ANONYMOUS, { q, limit: 3, offset: 0 })).items.map((i) => i.id);
    if (!top.includes(d.id)) misses.push(`${q} → ${d.title}`);
  }
  const rate = (created.length - misses.length) / created.length;
  console.log(`search relevance (${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}): ${created.length - misses.length}/${created.length} in the top 3 (${(rate * 100).toFixed(1)} %)${misses.length ? `; missed: ${misses.join('; ')}` : ''}`);
  expect(rate).toBeGreaterThanOrEqual(0.95);
}, 120_000);
