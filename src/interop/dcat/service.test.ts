// The export streams: the catalogue is read from the catalog service one page (100 datasets) at a time, and the next
// page is asked for only after every dataset of the previous one has been handed on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, CLI_ACTOR } from '../../access/model';
import type { ListDatasetsOptions } from '../../catalog/service';
import { createTestApp, type TestApp } from '../../../test/helpers/app';
import { CATALOG_PAGE_SIZE } from './model';
import { createDcatService } from './service';

let t: TestApp;
const ORG = '974760673';

beforeAll(async () => {
  t = await createTestApp();
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Brønnøysundregistrene' });
  for (let i = 0; i < CATALOG_PAGE_SIZE + 5; i++) {
    const ds = await t.services.catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: `Datasett ${i}` }, description: { nb: 'Beskrivelse.' }, licence: 'http://data.norge.no/nlod/no/2.0', accessRights: 'PUBLIC' });
    await t.services.catalog.publishDataset(CLI_ACTOR, ds.id);
  }
}, 120_000);
afterAll(async () => t?.close());

describe('catalogChunks', () => {
  it('pages through the catalog service lazily, as ANONYMOUS, published only', async () => {
    const calls: ListDatasetsOptions[] = [];
    const real = t.services.catalog;
    const observed = {
      ...real,
      listDatasets: (actor: typeof ANONYMOUS, opts: ListDatasetsOptions) => {
        expect(actor).toBe(ANONYMOUS);
        calls.push(opts);
        return real.listDatasets(actor, opts);
      },
    };
    const dcat = createDcatService({ catalog: observed, blobs: t.platform.blobs, baseUrl: 'https://data.example.no' });
    let chunks = 0;
    for await (const qs of dcat.catalogChunks({}, { all: true })) {
      chunks++;
      expect(qs.length).toBeGreaterThan(0);
      // The header and the first page's datasets come from one call; the second page only when they are all out.
      if (chunks <= CATALOG_PAGE_SIZE + 1) expect(calls).toHaveLength(1);
    }
    expect(chunks).toBe(1 + CATALOG_PAGE_SIZE + 5);
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(c.limit).toBe(CATALOG_PAGE_SIZE);
      expect(c.state).toBe('published');
    }
    expect(calls.map((c) => c.offset)).toEqual([0, CATALOG_PAGE_SIZE]);
  });
});
