// The leak matrix (issue 7.6): every surface that exists × every actor, asserting exactly the allowed metadata and
// rows — statuses, row totals, list totals, facet counts and which datasets appear. The expected cells come from the
// policy written out below (not from the code under test); the test prints the matrix it ran and fails on any cell
// that differs. Hidden datasets answer 404 to outsiders on every surface. Actors: anonymous; a signed-in outsider; a
// pending requester; approved (active grant), expired and revoked grant holders; the owner's member, editor and admin;
// the operator — over HTTP with API tokens — and a machine client (Actor.client) at the service level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/access/model';
import { createTestApp, type TestApp } from '../helpers/app';
import { ACTOR_KEYS, DATASET_KEYS, MARK, ORG_APPROVED, OWNER, buildWorld, type ActorKey, type DatasetKey, type World } from '../helpers/access-world';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: 'https://data.example.no' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  w = await buildWorld(t);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

// --- the policy, written out -------------------------------------------------------------------------------------
const OWNER_SIDE: ActorKey[] = ['member', 'editor', 'admin'];
const DECIDERS: ActorKey[] = ['editor', 'admin', 'operator'];
const GRANT_HOLDERS: Record<DatasetKey, ActorKey[]> = { PUB: [], RES: ['approved'], NP: [], HID: ['approved'] };

const privileged = (a: ActorKey) => OWNER_SIDE.includes(a) || a === 'operator';
const metaVisible = (a: ActorKey, d: DatasetKey) => d !== 'HID' || privileged(a) || GRANT_HOLDERS[d].includes(a);
function dataStatus(a: ActorKey, d: DatasetKey): number {
  if (!metaVisible(a, d)) return 404;
  if (d === 'PUB' || privileged(a) || GRANT_HOLDERS[d].includes(a)) return 200;
  return a === 'anonymous' ? 401 : 403;
}
const rowsCell = (a: ActorKey, d: DatasetKey) => (dataStatus(a, d) === 200 ? '200 rows=3' : String(dataStatus(a, d)));

type Surface = { name: string; perDataset: true; expected(a: ActorKey, d: DatasetKey): string; actual(a: ActorKey, d: DatasetKey): Promise<string> } | { name: string; perDataset: false; expected(a: ActorKey): string; actual(a: ActorKey): Promise<string> };

const headers = (a: ActorKey): Record<string, string> => (a === 'anonymous' ? {} : { authorization: `Bearer ${w.tokens[a]}` });
async function get(a: ActorKey, url: string) {
  return t.app.inject({ url, headers: headers(a) });
}
const keysIn = (text: string) => DATASET_KEYS.filter((k) => text.includes(w.datasets[k])).join(',') || '-';

const surfaces: Surface[] = [
  {
    name: 'dataset page',
    perDataset: true,
    expected: (a, d) => (metaVisible(a, d) ? `200${dataStatus(a, d) === 200 ? ' +rows' : ''}` : '404'),
    actual: async (a, d) => {
      const r = await get(a, `/datasett/${w.datasets[d]}`);
      return r.statusCode === 200 ? `200${r.body.includes(MARK) ? ' +rows' : ''}` : String(r.statusCode);
    },
  },
  { name: 'API dataset', perDataset: true, expected: (a, d) => (metaVisible(a, d) ? '200' : '404'), actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}`)).statusCode) },
  {
    name: 'table metadata',
    perDataset: true,
    expected: (a, d) => (metaVisible(a, d) ? '200' : '404'),
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data`);
      // Metadata never carries values, whoever asks.
      return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
    },
  },
  {
    name: 'rows API',
    perDataset: true,
    expected: rowsCell,
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/rows`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 rows=${(r.json() as { total: number }).total}`;
    },
  },
  {
    name: 'rows.csv download',
    perDataset: true,
    expected: rowsCell,
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/rows.csv`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 rows=${r.body.trim().split('\r\n').length - 1}`;
    },
  },
  {
    name: 'table report level',
    perDataset: true,
    // The full import report for readers of the data and publishers; the schema allow-list for everyone else.
    expected: (a, d) => (!metaVisible(a, d) ? '404' : dataStatus(a, d) === 200 ? 'full' : 'schema'),
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data`);
      return r.statusCode === 200 ? String((r.json() as { detailLevel: string }).detailLevel) : String(r.statusCode);
    },
  },
  { name: 'DCAT dataset (Turtle)', perDataset: true, expected: (_a, d) => (d === 'HID' ? '404' : '200'), actual: async (a, d) => String((await get(a, `/datasets/${w.datasets[d]}.ttl`)).statusCode) },
  { name: 'Data Package', perDataset: true, expected: (a, d) => (metaVisible(a, d) ? '200' : '404'), actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/datapackage`)).statusCode) },
  { name: 'CKAN package_show', perDataset: true, expected: (a, d) => (metaVisible(a, d) ? '200' : '404'), actual: async (a, d) => String((await get(a, `/api/3/action/package_show?id=${w.datasets[d]}`)).statusCode) },
  {
    name: 'CKAN datastore_search',
    perDataset: true,
    // CKAN has one "Authorization Error" (403) for both anonymous and refused callers.
    expected: (a, d) => (dataStatus(a, d) === 200 ? '200 rows=3' : dataStatus(a, d) === 404 ? '404' : '403'),
    actual: async (a, d) => {
      const r = await get(a, `/api/3/action/datastore_search?resource_id=${w.resources[d]}`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 rows=${(r.json() as { result: { total: number } }).result.total}`;
    },
  },
  {
    name: 'audit log',
    perDataset: true,
    expected: (a, d) => (!metaVisible(a, d) ? '404' : DECIDERS.includes(a) ? '200' : a === 'anonymous' ? '401' : '403'),
    actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/audit`)).statusCode),
  },
  {
    name: 'audit CSV',
    perDataset: true,
    expected: (a, d) => (!metaVisible(a, d) ? '404' : DECIDERS.includes(a) ? '200' : a === 'anonymous' ? '401' : '403'),
    actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/audit.csv`)).statusCode),
  },
  {
    name: 'usage stats',
    perDataset: true,
    expected: (a, d) => (!metaVisible(a, d) ? '404' : DECIDERS.includes(a) ? '200' : a === 'anonymous' ? '401' : '403'),
    actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/usage`)).statusCode),
  },
  { name: 'dataset grants', perDataset: true, expected: (a) => (DECIDERS.includes(a) ? '200' : '404'), actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/grants`)).statusCode) },
  {
    name: 'data API filter + count',
    perDataset: true,
    expected: rowsCell,
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/rows?navn__startswith=ROW&_count=exact`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 rows=${(r.json() as { total: number }).total}`;
    },
  },
  {
    name: 'data API aggregate',
    perDataset: true,
    expected: (a, d) => (dataStatus(a, d) === 200 ? '200 groups=3' : String(dataStatus(a, d))),
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/rows?_group=kode&_agg=count`);
      if (r.statusCode !== 200) return r.body.includes('0301') ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 groups=${(r.json() as { rows: unknown[] }).rows.length}`;
    },
  },
  {
    name: 'download CSV (latest)',
    perDataset: true,
    expected: rowsCell,
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/download/latest/csv`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return `200 rows=${r.body.trim().split(/\r?\n/).length - 1}`;
    },
  },
  {
    name: 'download original',
    perDataset: true,
    expected: (a, d) => (dataStatus(a, d) === 200 ? '200 +rows' : String(dataStatus(a, d))),
    actual: async (a, d) => {
      const r = await get(a, `/api/v1/datasets/${w.datasets[d]}/tables/data/download/latest/original`);
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : String(r.statusCode);
      return r.body.includes(MARK) ? '200 +rows' : '200';
    },
  },
  {
    name: 'SQL count(*)',
    perDataset: true,
    // A table the caller may not read is indistinguishable from one that does not exist.
    expected: (a, d) => (dataStatus(a, d) === 200 ? '200 n=3' : '400 sql_table_not_found'),
    actual: async (a, d) => {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/sql', headers: { ...headers(a), 'content-type': 'application/json' }, payload: { sql: `select count(*) as n from "${w.sqlNames[d]}"` } });
      if (r.statusCode !== 200) return r.body.includes(MARK) ? `${r.statusCode} LEAK` : `${r.statusCode} ${(r.json() as { error: { code: string } }).error.code}`;
      return `200 n=${String((r.json() as { rows: unknown[][] }).rows[0]?.[0])}`;
    },
  },
  { name: 'quality score', perDataset: true, expected: (a, d) => (metaVisible(a, d) ? '200' : '404'), actual: async (a, d) => String((await get(a, `/api/v1/datasets/${w.datasets[d]}/quality`)).statusCode) },
  {
    name: 'SQL schema list',
    perDataset: false,
    expected: (a) => DATASET_KEYS.filter((d) => dataStatus(a, d) === 200).join(',') || '-',
    actual: async (a) => {
      const r = await get(a, '/api/v1/sql/tables');
      if (r.statusCode !== 200) return String(r.statusCode);
      return keysIn((r.json() as { items: { datasetId: string }[] }).items.map((i) => i.datasetId).join(' '));
    },
  },
  {
    name: 'search total + facets',
    perDataset: false,
    expected: (a) => {
      const n = DATASET_KEYS.filter((d) => metaVisible(a, d)).length;
      return `total=${n} access=${n} publisher=${n}`;
    },
    actual: async (a) => {
      const r = await get(a, `/api/v1/datasets?q=tilskudd&publisher=${OWNER}&limit=100`);
      if (r.statusCode !== 200) return `${r.statusCode} ${r.body.slice(0, 80)}`;
      const body = r.json() as { total: number; facets: Record<string, { value: string; count: number }[]> };
      // "Åpne data" (OPEN) is a subset of PUBLIC; every dataset is counted once in the other access values.
      const access = (body.facets.access ?? []).filter((f) => f.value !== 'OPEN').reduce((n, f) => n + f.count, 0);
      const publisher = (body.facets.publisher ?? []).reduce((n, f) => n + f.count, 0);
      return `total=${body.total} access=${access} publisher=${publisher}`;
    },
  },
  {
    name: 'suggestions',
    perDataset: false,
    expected: (a) => DATASET_KEYS.filter((d) => metaVisible(a, d)).join(',') || '-',
    actual: async (a) => {
      const r = await get(a, '/api/v1/search/suggestions?q=tilsk');
      return keysIn((r.json() as { items: { id: string }[] }).items.map((i) => i.id).join(' '));
    },
  },
  {
    name: 'API list + total',
    perDataset: false,
    expected: (a) => {
      const ks = DATASET_KEYS.filter((d) => metaVisible(a, d));
      return `total=${ks.length} ${ks.join(',')}`;
    },
    actual: async (a) => {
      const r = await get(a, `/api/v1/datasets?orgnr=${OWNER}&limit=100`);
      const body = r.json() as { total: number; items: { id: string }[] };
      return `total=${body.total} ${keysIn(body.items.map((i) => i.id).join(' '))}`;
    },
  },
  {
    name: 'web list total',
    perDataset: false,
    expected: (a) => `${DATASET_KEYS.filter((d) => metaVisible(a, d)).length} ${DATASET_KEYS.filter((d) => metaVisible(a, d)).join(',')}`,
    actual: async (a) => {
      const r = await get(a, '/datasett');
      return `${DATASET_KEYS.filter((d) => r.body.includes(`/datasett/${w.datasets[d]}`)).length} ${keysIn(r.body)}`;
    },
  },
  {
    name: 'CKAN package_search + facet',
    perDataset: false,
    expected: (a) => {
      const n = DATASET_KEYS.filter((d) => metaVisible(a, d)).length;
      return `count=${n} facet=${n}`;
    },
    actual: async (a) => {
      const r = await get(a, `/api/3/action/package_search?rows=1000&facet.field=${encodeURIComponent('["organization"]')}`);
      const res = (r.json() as { result: { count: number; facets: { organization: Record<string, number> } } }).result;
      return `count=${res.count} facet=${res.facets.organization[OWNER] ?? 0}`;
    },
  },
  { name: 'DCAT /catalog', perDataset: false, expected: () => 'PUB,RES,NP', actual: async (a) => keysIn((await get(a, '/catalog')).body) },
  {
    name: 'home counts',
    perDataset: false,
    expected: () => 'datasets=3 tables=3',
    actual: async () => {
      const c = await t.services.catalog.counts();
      return `datasets=${c.datasets} tables=${c.tables}`;
    },
  },
  {
    name: 'request (pending)',
    perDataset: false,
    expected: (a) => (a === 'pending' || privileged(a) ? '200' : a === 'anonymous' ? '401' : '404'),
    actual: async (a) => String((await get(a, `/api/v1/access-requests/${w.requests.pending}`)).statusCode),
  },
  {
    name: 'request (approved)',
    perDataset: false,
    expected: (a) => (a === 'approved' || privileged(a) ? '200' : a === 'anonymous' ? '401' : '404'),
    actual: async (a) => String((await get(a, `/api/v1/access-requests/${w.requests.approved}`)).statusCode),
  },
  {
    name: 'request page (approved)',
    perDataset: false,
    expected: (a) => (a === 'approved' || privileged(a) ? '200' : a === 'anonymous' ? '303' : '404'),
    actual: async (a) => String((await get(a, `/tilgang/soknader/${w.requests.approved}`)).statusCode),
  },
  {
    name: 'agreement ODRL',
    perDataset: false,
    expected: (a) => (a === 'approved' || privileged(a) ? '200' : a === 'anonymous' ? '401' : '404'),
    actual: async (a) => String((await get(a, `/api/v1/grants/${w.grants.approved}/agreement`)).statusCode),
  },
  {
    name: 'agreement PDF',
    perDataset: false,
    expected: (a) => (a === 'approved' || privileged(a) ? '200' : a === 'anonymous' ? '401' : '404'),
    actual: async (a) => String((await get(a, `/tilgang/avtaler/${w.grants.approved}.pdf`)).statusCode),
  },
  {
    name: 'owner queue',
    perDataset: false,
    expected: (a) => (DECIDERS.includes(a) ? '200 n=7' : a === 'anonymous' ? '401' : '403'),
    actual: async (a) => {
      const r = await get(a, `/api/v1/organizations/${OWNER}/access-requests`);
      return r.statusCode === 200 ? `200 n=${(r.json() as { items: unknown[] }).items.length}` : String(r.statusCode);
    },
  },
];

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
}

describe('leak matrix', () => {
  it('every surface × every actor sees exactly what the policy allows', async () => {
    const head = ['surface', 'dataset', ...ACTOR_KEYS];
    const out: string[][] = [head];
    const diffs: string[] = [];
    for (const s of surfaces) {
      for (const d of s.perDataset ? DATASET_KEYS : (['*'] as const)) {
        const row = [s.name, d];
        for (const a of ACTOR_KEYS) {
          const expected = s.perDataset ? s.expected(a, d as DatasetKey) : s.expected(a);
          const actual = s.perDataset ? await s.actual(a, d as DatasetKey) : await s.actual(a);
          if (expected !== actual) diffs.push(`${s.name} / ${d} / ${a}: expected "${expected}", got "${actual}"`);
          row.push(expected === actual ? actual : `✗ ${actual} (want ${expected})`);
        }
        out.push(row);
      }
    }
    console.log(`\nLeak matrix (${t.platform.dbh.dialect}):\n${table(out)}\n`);
    expect(diffs).toEqual([]);
  }, 300_000);

  it('a machine client acting for a grant holder sees what its organisation may, at the service level', async () => {
    const client: Actor = w.machineClient(ORG_APPROVED);
    const { catalog, tables, accessRequests, auditLog } = t.services;
    const cell = async (p: Promise<unknown>) => p.then((v) => (typeof v === 'object' && v !== null && 'total' in v ? `ok rows=${(v as { total: number }).total}` : 'ok')).catch((e: { status?: number }) => String(e.status ?? 'error'));
    const got = {
      hiddenMeta: await cell(catalog.getDataset(client, w.datasets.HID)),
      hiddenRows: await cell(tables.rows(client, w.datasets.HID, 'data', {})),
      restrictedRows: await cell(tables.rows(client, w.datasets.RES, 'data', {})),
      nonPublicRows: await cell(tables.rows(client, w.datasets.NP, 'data', {})),
      list: (await catalog.listDatasets(client, { orgnr: OWNER, limit: 100, offset: 0 })).total,
      ownRequest: await cell(accessRequests.get(client, w.requests.approved)),
      otherRequest: await cell(accessRequests.get(client, w.requests.pending)),
      audit: await cell(auditLog.datasetLog(client, w.datasets.RES)),
    };
    const outsiderClient = w.machineClient('912660680');
    const other = {
      hiddenMeta: await cell(catalog.getDataset(outsiderClient, w.datasets.HID)),
      restrictedRows: await cell(tables.rows(outsiderClient, w.datasets.RES, 'data', {})),
      list: (await catalog.listDatasets(outsiderClient, { orgnr: OWNER, limit: 100, offset: 0 })).total,
    };
    console.log('machine client (grant holder):', got, '\nmachine client (outsider):', other);
    expect(got).toEqual({ hiddenMeta: 'ok', hiddenRows: 'ok rows=3', restrictedRows: 'ok rows=3', nonPublicRows: '401', list: 4, ownRequest: 'ok', otherRequest: '404', audit: '403' });
    expect(other).toEqual({ hiddenMeta: '404', restrictedRows: '401', list: 3 });
    // The read is audited for the client's organisation, under its grant.
    const reads = await t.db.selectFrom('audit_log').select('details').where('action', '=', 'table.read').execute();
    expect(reads.some((r) => r.details.includes(`"orgnr":"${ORG_APPROVED}"`) && r.details.includes('"basis":"grant"') && r.details.includes('"via":"client"'))).toBe(true);
  });
});
