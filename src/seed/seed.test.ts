// The demo seed on a fresh app (SQLite, or PostgreSQL with DATABASE_URL): five publishers, published datasets whose
// tables are ingested through the real queue, and a second run that changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../access/model';
import { createTestApp, type TestApp } from '../../test/helpers/app';
import { DEMO_DATASETS, DEMO_ORGANISATIONS, SEED_DIR, seedDemo } from './index';
import { kartverketKommunerCsv } from './kartverket';

const quiet = { info: () => undefined };
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
});

afterAll(async () => {
  await t?.close();
});

describe('seedDemo', () => {
  it('seeds once, through the real ingest path', async () => {
    const first = await seedDemo(t.services, { log: quiet });
    expect(first.seeded).toBe(true);
    expect(first.datasets).toBe(DEMO_DATASETS.length);
    expect(first.jobIds).toHaveLength(DEMO_DATASETS.length);

    const second = await seedDemo(t.services, { log: quiet });
    expect(second).toEqual({ seeded: false, datasets: 0, jobIds: [] });

    for (const org of DEMO_ORGANISATIONS) {
      expect((await t.services.organisations.get(org.orgnr)).name).toBe(org.name);
    }
    expect((await t.db.selectFrom('organizations').select('orgnr').execute()).length).toBe(5);
    // Seeded publishers are approved (the CLI actor creates them) and get an admin only by an operator's act.
    expect((await t.db.selectFrom('organizations').select('status').execute()).map((o) => o.status)).toEqual(Array(5).fill('approved'));
    expect(await t.db.selectFrom('memberships').selectAll().execute()).toEqual([]);

    // Before the worker runs, the dataset page shows the ingest waiting.
    const waiting = (await t.services.catalog.listDatasets(ANONYMOUS, { limit: 50, offset: 0 })).items[0];
    const page = await t.app.inject({ url: `/datasett/${waiting?.id}` });
    expect(page.statusCode).toBe(200);
    // Anonymous readers learn that a version is on its way; its job record (progress) is for the publisher only.
    expect(page.body).toContain('En ny versjon (1) av tabellen leses inn.');
    expect(page.body).not.toMatch(/\/api\/v1\/jobs\//);

    await t.services.jobs.start();
    await t.services.jobs.drain(120_000);
    for (const id of first.jobIds) expect((await t.services.jobs.get(id))?.state).toBe('succeeded');

    const { items, total } = await t.services.catalog.listDatasets(ANONYMOUS, { limit: 50, offset: 0 });
    expect(total).toBe(DEMO_DATASETS.length);
    for (const ds of items) {
      expect(ds.state).toBe('published');
      expect(ds.title.nb && ds.title.en).toBeTruthy();
      expect(ds.description.nb && ds.description.en).toBeTruthy();
      expect(ds.themes.length).toBeGreaterThan(0);
      expect(ds.losThemes.length).toBeGreaterThan(0);
      expect(ds.licence).toBeTruthy();
      expect(ds.distributions).toHaveLength(1);
      // Listed by the upload itself (createTableFromFile), with the dataset's licence.
      expect(ds.distributions[0]).toMatchObject({ tableId: expect.any(String), licence: ds.licence, format: 'CSV' });
    }

    const counts: Record<string, number | null> = {};
    for (const ds of items) {
      for (const table of await t.services.tables.listTables(ANONYMOUS, ds.id)) {
        expect(table.currentVersion?.state).toBe('ready');
        counts[table.name] = table.rowCount;
      }
    }
    expect(counts).toEqual({
      'pristilskudd-2022': 24_899,
      'kommuner-2024': 358,
      'fylker-2024': 16,
      'postnummer-2025': 5137,
      'kommuner-2023': 356,
    });

    const kartverket = items.find((d) => d.publisher.orgnr === '971040238');
    expect(kartverket?.licence).toBe('http://creativecommons.org/licenses/by/4.0/');
    const postnummer = items.find((d) => d.publisher.orgnr === '984661185');
    const postPage = await t.services.tables.rows(ANONYMOUS, postnummer?.id ?? '', 'postnummer-2025', { offset: 0, size: 1 });
    expect(postPage.rows[0]).toMatchObject({ postnummer: '0001', poststed: 'OSLO', kommunenummer: '0301', kommunenavn: 'OSLO', kategori: 'P' });
  });

  it('ships a derived Kartverket CSV that the script reproduces', () => {
    const json = JSON.parse(fs.readFileSync(path.join(SEED_DIR, 'kartverket_kommuneinfo_fylker_kommuner_2023.json'), 'utf8'));
    expect(kartverketKommunerCsv(json)).toBe(fs.readFileSync(path.join(SEED_DIR, 'kartverket_kommuner_2023.csv'), 'utf8'));
  });
});
