// Search benchmark (issue 10.7): generates a catalogue of N datasets (default 100,000, and 10,000 to show how cost
// grows), indexes it, and times searches with every facet counted — p50/p95 per back end — beside a baseline run in the
// same process on the same data: the LIKE substring search the catalogue used before (case-folded LIKE over title,
// description and keywords, with its count). Then /health p95 on a real HTTP server, alone and under concurrent
// searches (autocannon), as a ratio. SQLite always; PostgreSQL when DATABASE_URL (default postgres://postgres@
// 127.0.0.1:5432/postgres) answers — a fresh database is created and dropped.
//
//   npm run bench:search [-- N]        (N = largest catalogue; 10 % of it is also measured)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { ANONYMOUS, type Actor } from '../src/access/model';
import { loadConfig } from '../src/config';
import type { Db } from '../src/database';
import type { NewDatasetRow } from '../src/catalog/model';
import type { Insertable } from 'kysely';
import type { DistributionsTable } from '../src/catalog/model';
import { openPlatform, type Platform } from '../src/platform/index';
import { indexMissing } from '../src/search/indexer';
import { buildApp } from '../src/server';
import { createServices, type Services } from '../src/services';
import { createPgDatabase } from '../test/helpers/db';

const N = Number(process.argv[2] ?? 100_000);
const SIZES = [Math.round(N / 10), N];
const RUNS = 3; // passes over the query list per size

/** Deterministic pseudo-random numbers, so every run builds the same catalogue. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

// Words of Norwegian dataset titles (LOS-style subjects), used with a Zipf-like skew: a few words are everywhere.
const SUBJECTS =
  'befolkning kommune barnehage skole grunnskole elever lærere sykehus helse legevakt fastlege vannkvalitet avløp drikkevann luftkvalitet støy trafikk kollektivtransport buss ferje vei bru jernbane sykkel parkering eiendom bygning boliger tomter reguleringsplan kart adresser stedsnavn grenser fylke valg stemmer skatt inntekt lønn arbeidsledighet næring foretak landbruk jordbruk skog fiske akvakultur havbruk klima nedbør temperatur vind snø flom skred energi strøm vannkraft kultur bibliotek museum idrett friluftsliv turstier badeplasser naturvern arter fugler reindrift turisme overnatting innvandring eldreomsorg sykehjem hjemmetjeneste barnevern sosialhjelp bostøtte pensjon uføre tannhelse vaksinasjon smitte avfall gjenvinning forurensning utslipp kraftlinjer ladestasjoner drosjer ulykker kriminalitet politi brann beredskap domstoler arkiv budsjett regnskap innkjøp tilskudd'.split(' ');
const QUALIFIERS = 'per kommune fylke år måned statistikk oversikt register nøkkeltall tidsserie 2020 2021 2022 2023 2024 kartlag punkter åpne data historikk prognose'.split(' ');
const FORMATS = ['CSV', 'JSON', 'XLSX', 'PARQUET', 'GEOJSON', 'XML', 'PDF'];
const THEMES = ['AGRI', 'ECON', 'EDUC', 'ENER', 'ENVI', 'GOVE', 'HEAL', 'INTR', 'JUST', 'REGI', 'SOCI', 'TECH', 'TRAN'];
const COUNTIES = ['03', '11', '15', '18', '31', '32', '33', '34', '39', '40', '42', '46', '50', '55', '56'];

function zipf(r: () => number, list: readonly string[]): string {
  return list[Math.floor(list.length * r() ** 2.2)] ?? list[0] ?? '';
}

async function generate(db: Db, count: number, from: number): Promise<void> {
  const r = rng(42 + from);
  const now = Date.now();
  const orgs = await db.selectFrom('organizations').select('orgnr').execute();
  for (let i = from; i < from + count; i += 1000) {
    const rows: NewDatasetRow[] = [];
    const dists: Insertable<DistributionsTable>[] = [];
    for (let j = i; j < Math.min(from + count, i + 1000); j++) {
      const words = [zipf(r, SUBJECTS), zipf(r, SUBJECTS), zipf(r, QUALIFIERS)];
      const title = `${words[0]?.[0]?.toUpperCase()}${words[0]?.slice(1)} og ${words[1]} ${words[2]} ${j}`;
      const description = Array.from({ length: 18 }, () => zipf(r, r() < 0.7 ? SUBJECTS : QUALIFIERS)).join(' ');
      const county = COUNTIES[Math.floor(r() * COUNTIES.length)] ?? '03';
      const access = r() < 0.75 ? 'PUBLIC' : r() < 0.5 ? 'RESTRICTED' : 'NON_PUBLIC';
      const created = new Date(now - Math.floor(r() * 400) * 86_400_000).toISOString();
      const id = crypto.randomUUID();
      rows.push({
        id,
        orgnr: orgs[Math.floor(orgs.length * r() ** 1.5)]?.orgnr ?? '',
        state: (r() < 0.9 ? 'published' : 'draft') as 'published' | 'draft',
        title: JSON.stringify({ nb: title }),
        description: JSON.stringify({ nb: description }),
        keywords: JSON.stringify({ nb: [zipf(r, SUBJECTS), zipf(r, SUBJECTS)] }),
        themes: JSON.stringify([`http://publications.europa.eu/resource/authority/data-theme/${THEMES[Math.floor(r() * THEMES.length)]}`]),
        los_themes: '[]',
        access_rights: access as 'PUBLIC',
        licence: access === 'PUBLIC' && r() < 0.8 ? 'https://data.norge.no/nlod/no/2.0/' : null,
        contact_point: '{}',
        spatial: JSON.stringify(r() < 0.5 ? [county] : [`${county}${String(1 + Math.floor(r() * 30)).padStart(2, '0')}`]),
        temporal_start: null,
        temporal_end: null,
        frequency: null,
        provenance: null,
        issued: null,
        modified: null,
        landing_page: null,
        legal_basis_restriction: null,
        legal_basis_processing: null,
        legal_basis_access: null,
        created_by: null,
        created_at: created,
        updated_at: created,
        published_at: created,
        origin: r() < 0.2 ? 'harvest-source-1' : 'local',
      });
      dists.push({ id: crypto.randomUUID(), dataset_id: id, title: '{}', description: '{}', access_url: 'https://example.org/x', download_url: null, media_type: null, format: FORMATS[Math.floor(r() * FORMATS.length)] ?? 'CSV', licence: null, byte_size: null, blob_key: null, table_id: null, created_at: created, updated_at: created });
    }
    await db.transaction().execute(async (tx) => {
      for (let k = 0; k < rows.length; k += 100) await tx.insertInto('datasets').values(rows.slice(k, k + 100)).execute();
      for (let k = 0; k < dists.length; k += 200) await tx.insertInto('distributions').values(dists.slice(k, k + 200)).execute();
    });
  }
}

const QUERIES: { q?: string; filters?: Record<string, string[]>; label: string }[] = [
  { q: 'barnehage', label: 'common word' },
  { q: 'barnehagene kommune', label: 'inflected + common' },
  { q: 'vannkvalitet', label: 'word' },
  { q: 'ladestasjoner drosjer', label: 'two rare words' },
  { q: 'kommune skole', label: 'reversed pair' },
  { q: 'sykehjm', label: 'typo' },
  { q: 'trafik ulykker', label: 'typo + word' },
  { q: 'statistikk', label: 'frequent qualifier' },
  { q: 'skog', filters: { access: ['OPEN'], theme: ['AGRI'] }, label: 'word + 2 facets' },
  { q: 'helse', filters: { spatial: ['46'], format: ['CSV'] }, label: 'word + place + format' },
  { filters: { publisher: [] }, label: 'browse (no words), newest' },
  { filters: { theme: ['EDUC'], provenance: ['harvested'] }, label: 'browse 2 facets' },
];

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** The search the catalogue did before this branch: folded LIKE over JSON text, a page and a count. */
async function likeBaseline(db: Db, q: string): Promise<void> {
  const pattern = `%${q.toLowerCase()}%`;
  const base = db
    .selectFrom('datasets')
    .where('state', '=', 'published')
    .where((eb) => eb.or([eb(sql`lower(title)`, 'like', pattern), eb(sql`lower(description)`, 'like', pattern), eb(sql`lower(keywords)`, 'like', pattern)]));
  await Promise.all([base.selectAll().orderBy('published_at', 'desc').limit(20).execute(), base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()]);
}

async function timeSearches(services: Services, actor: Actor): Promise<{ all: number[]; perQuery: Map<string, number[]>; totals: Map<string, number> }> {
  const all: number[] = [];
  const perQuery = new Map<string, number[]>();
  const totals = new Map<string, number>();
  for (let run = 0; run < RUNS; run++) {
    for (const query of QUERIES) {
      const filters = Object.fromEntries(Object.entries(query.filters ?? {}).filter(([, v]) => v.length > 0));
      const t0 = performance.now();
      const r = await services.search.search(actor, { q: query.q, filters, limit: 20, offset: 0 });
      const ms = performance.now() - t0;
      if (run > 0) {
        all.push(ms);
        perQuery.set(query.label, [...(perQuery.get(query.label) ?? []), ms]);
      }
      totals.set(query.label, r.total);
    }
  }
  return { all, perQuery, totals };
}

async function healthUnderLoad(services: Services): Promise<{ alone: number; loaded: number; searchRps: number }> {
  const app = await buildApp({ services, logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  try {
    const alone = await autocannon({ url: `${base}/health`, connections: 10, duration: 4 });
    const searchUrls = ['barnehage', 'kommune skole', 'vannkvalitet', 'helse'].map((q) => `/api/v1/datasets?q=${encodeURIComponent(q)}`);
    const load = autocannon({ url: base, connections: 10, duration: 6, requests: searchUrls.map((p) => ({ method: 'GET' as const, path: p })) });
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = await autocannon({ url: `${base}/health`, connections: 10, duration: 4 });
    const l = await load;
    return { alone: alone.latency.p97_5, loaded: loaded.latency.p97_5, searchRps: l.requests.average };
  } finally {
    await app.close();
  }
}

async function benchBackend(name: string, databaseUrl: string | undefined): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'df-bench-search-'));
  const created = databaseUrl ? await createPgDatabase(databaseUrl) : undefined;
  let platform: Platform | undefined;
  let services: Services | undefined;
  try {
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: created?.url, LOG_LEVEL: 'silent', SEED_DEMO: 'false', WORKER: 'false', REGISTRY_URL: '' });
    platform = await openPlatform(config, pino({ level: 'silent' }));
    services = createServices(platform);
    const db = platform.dbh.db;
    const now = new Date().toISOString();
    for (let o = 0; o < 300; o++) {
      const orgnr = String(900_000_000 + o * 7);
      await db.insertInto('organizations').values({ orgnr, name: `${zipf(rng(o), SUBJECTS)} etat ${o}`, org_form: null, municipality: null, homepage: null, created_at: now, updated_at: now }).execute();
    }
    let have = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await generate(db, size - have, have);
      const t1 = performance.now();
      const indexed = await indexMissing(db, 1000);
      const t2 = performance.now();
      have = size;
      console.log(`\n[${name}] ${size.toLocaleString('en')} datasets: generated in ${((t1 - t0) / 1000).toFixed(1)} s, indexed ${indexed.toLocaleString('en')} in ${((t2 - t1) / 1000).toFixed(1)} s (${Math.round(indexed / ((t2 - t1) / 1000))}/s)`);
      if (name === 'postgres') await sql`analyze`.execute(db);
      const anon = await timeSearches(services, ANONYMOUS);
      const memberOf = Object.fromEntries((await db.selectFrom('organizations').select('orgnr').limit(5).execute()).map((o) => [o.orgnr, 'member' as const]));
      const member: Actor = { kind: 'user', user: { id: 'bench', email: 'bench@example.no', name: 'Bench', isOperator: false, emailVerified: true }, memberships: memberOf, scopes: null, via: 'token' };
      const mem = await timeSearches(services, member);
      const like: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        for (const q of QUERIES.filter((x) => x.q)) {
          const s = performance.now();
          await likeBaseline(db, q.q ?? '');
          if (run > 0) like.push(performance.now() - s);
        }
      }
      console.log(`  search, all facets (anonymous): p50 ${fmt(percentile(anon.all, 50))}  p95 ${fmt(percentile(anon.all, 95))}  max ${fmt(Math.max(...anon.all))}`);
      console.log(`  search, all facets (member of 5 publishers): p50 ${fmt(percentile(mem.all, 50))}  p95 ${fmt(percentile(mem.all, 95))}`);
      console.log(`  baseline LIKE search (before; no ranking, no facets): p50 ${fmt(percentile(like, 50))}  p95 ${fmt(percentile(like, 95))}  → search p95 / LIKE p95 = ${(percentile(anon.all, 95) / percentile(like, 95)).toFixed(2)}`);
      for (const [label, xs] of anon.perQuery) console.log(`    ${label.padEnd(28)} median ${fmt(percentile(xs, 50)).padStart(9)}  hits ${anon.totals.get(label)}`);
    }
    const h = await healthUnderLoad(services);
    console.log(`  /health p97.5 alone ${h.alone} ms; with 10 connections searching (${Math.round(h.searchRps)} searches/s) ${h.loaded} ms (ratio ${(h.loaded / Math.max(1, h.alone)).toFixed(1)})`);
  } finally {
    await services?.search.close();
    await platform?.close();
    await created?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

console.log(`bench:search — catalogues of ${SIZES.map((s) => s.toLocaleString('en')).join(' and ')} generated datasets, ${QUERIES.length} queries × ${RUNS - 1} timed passes, ${os.cpus().length} CPUs`);
await benchBackend('sqlite', undefined);
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (await pgAnswers(pgUrl)) await benchBackend('postgres', pgUrl);
else console.log(`\n[postgres] ${pgUrl} does not answer: skipped`);
