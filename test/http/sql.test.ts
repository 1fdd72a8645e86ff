// POST /api/v1/sql, GET /api/v1/sql/tables and the /sql page (issue 10 parts 4 and 8). Two open datasets (municipalities
// and counties, for joins across datasets), one RESTRICTED dataset whose every row carries a marker value; the
// owner's editor, an outsider of another organisation, anonymous callers. Every rejection of part 8 is a 400/408 with
// its own code; a table the caller may not read answers exactly like one that does not exist; nothing of the
// restricted table reaches an outsider, and not even its owner gets its values back inside an error message.
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataAccess } from '../../src/access/data-access';
import { CLI_ACTOR } from '../../src/access/model';
import { createSqlSandbox } from '../../src/sql/sandbox';
import { createSqlService } from '../../src/sql/service';
import { sqlTableName } from '../../src/sql/model';
import { bearerFor, createTestApp, csrfFor, form, FORM_HEADERS, multipart, signIn, type SignedIn, type TestApp } from '../helpers/app';

const ORG = '974760673';
const OTHER = '971526920';
const MARK = 'HEMMELIG4471';

let t: TestApp;
let editor: string;
let outsider: string;
let editorSession: SignedIn;
const names = { kommuner: '', fylker: '', tilskudd: '' };
const ids = { kommuner: '', fylker: '', tilskudd: '' };

function csv(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function upload(datasetId: string, name: string, content: Buffer): Promise<void> {
  const body = multipart({ name }, { name: `${name}.csv`, content });
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${datasetId}/tables`, headers: { ...body.headers, authorization: `Bearer ${editor}` }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(202);
}

beforeAll(async () => {
  t = await createTestApp({ env: { SQL_TIMEOUT_MS: '1500', SQL_MEMORY_LIMIT: '256MB' } });
  t.services.tables.registerJobs();
  await t.services.jobs.start();
  const { organisations, catalog, accounts } = t.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Statistisk sentralbyrå' });
  await organisations.create(CLI_ACTOR, { orgnr: OTHER, name: 'Landbruksdirektoratet' });
  await accounts.createUser({ email: 'editor@example.no', password: 'correct horse battery', name: 'Editor' });
  await accounts.createUser({ email: 'outsider@example.no', password: 'correct horse battery', name: 'Outsider' });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, OTHER, { email: 'outsider@example.no', role: 'admin' });
  editor = await bearerFor(t.services, 'editor@example.no', ['read', 'write']);
  outsider = await bearerFor(t.services, 'outsider@example.no', ['read']);
  editorSession = await signIn(t.app, { email: 'editor@example.no', password: 'correct horse battery' });
  const make = async (title: string, accessRights: 'PUBLIC' | 'RESTRICTED') => {
    const ds = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: title }, description: { nb: `${title}.` }, accessRights, licence: 'http://data.norge.no/nlod/no/2.0', contactPoint: { email: 'data@example.no' } });
    await catalog.publishDataset(CLI_ACTOR, ds.id);
    return ds;
  };
  const k = await make('Kommuner i Norge', 'PUBLIC');
  const f = await make('Fylker', 'PUBLIC');
  const r = await make('Tilskudd til foretak', 'RESTRICTED');
  ids.kommuner = k.id;
  ids.fylker = f.id;
  ids.tilskudd = r.id;
  await upload(k.id, 'kommuner', csv(['kommunenummer;navn;fylke;innbyggere', '0301;Oslo;03;717710', '1103;Stavanger;11;149048', '4601;Bergen;46;291940', '1108;Sandnes;11;83726', '4640;Sogndal;46;12278', '5001;Trondheim;50;214565']));
  await upload(f.id, 'fylker', csv(['fylke;fylkesnavn', '03;Oslo', '11;Rogaland', '46;Vestland', '50;Trøndelag']));
  await upload(r.id, 'tilskudd', csv(['kommunenummer;mottaker;belop', `0301;${MARK} AS;1000`, `1103;${MARK} Stavanger;2500`, `4601;${MARK} Bergen;400`, '5001;=HYPERLINK("x");10']));
  await t.services.jobs.drain(60_000);
  names.kommuner = sqlTableName({ id: k.id, orgnr: ORG, title: k.title }, 'kommuner');
  names.fylker = sqlTableName({ id: f.id, orgnr: ORG, title: f.title }, 'fylker');
  names.tilskudd = sqlTableName({ id: r.id, orgnr: ORG, title: r.title }, 'tilskudd');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const q = (name: string) => `"${name}"`;

async function run(sql: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}, url = '/api/v1/sql') {
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ sql, ...extra }) });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('names and the schema list', () => {
  it('names a table "<orgnr>/<CKAN package name>/<table>"', () => {
    expect(names.kommuner).toMatch(new RegExp(`^${ORG}/kommuner-i-norge-[0-9a-f]{8}/kommuner$`));
    expect(names.kommuner.split('/')[1]).toBe(`kommuner-i-norge-${ids.kommuner.replace(/-/g, '').slice(0, 8)}`);
  });

  it('lists open tables with columns and types for everyone, the RESTRICTED one only for its owner', async () => {
    const anon = (await t.app.inject({ url: '/api/v1/sql/tables' })).json();
    const anonNames = anon.items.map((x: { name: string }) => x.name);
    expect(anonNames).toEqual(expect.arrayContaining([names.kommuner, names.fylker]));
    expect(anonNames).not.toContain(names.tilskudd);
    const k = anon.items.find((x: { name: string }) => x.name === names.kommuner);
    expect(k.columns).toEqual([
      { name: 'kommunenummer', type: 'VARCHAR', semanticType: 'kommunenummer' },
      { name: 'navn', type: 'VARCHAR' },
      { name: 'fylke', type: 'VARCHAR' },
      { name: 'innbyggere', type: 'BIGINT' },
    ]);
    const out = (await t.app.inject({ url: '/api/v1/sql/tables', headers: bearer(outsider) })).json();
    expect(out.items.map((x: { name: string }) => x.name)).not.toContain(names.tilskudd);
    const own = (await t.app.inject({ url: '/api/v1/sql/tables', headers: bearer(editor) })).json();
    expect(own.items.map((x: { name: string }) => x.name)).toContain(names.tilskudd);
    const one = (await t.app.inject({ url: `/api/v1/sql/tables?dataset=${ids.fylker}` })).json();
    expect(one.items.map((x: { name: string }) => x.name)).toEqual([names.fylker]);
    expect((await t.app.inject({ url: '/api/v1/sql/tables?nope=1' })).statusCode).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('describes the JSON answers the server sends (validated against the published schemas)', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', nullable: true });
    const post = doc.paths['/api/v1/sql'].post;
    expect(post.description).toContain('sql_table_not_found');
    expect(Object.keys(post.responses['200'].content).sort()).toEqual(['application/json', 'application/vnd.apache.parquet', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/x-ndjson', 'text/csv']);
    const validateQuery = ajv.compile(post.responses['200'].content['application/json'].schema);
    const res = (await run(`SELECT * FROM ${q(names.kommuner)} k JOIN ${q(names.fylker)} f USING (fylke)`)).json();
    expect(validateQuery(res) ? [] : validateQuery.errors).toEqual([]);
    const validateTables = ajv.compile(doc.paths['/api/v1/sql/tables'].get.responses['200'].content['application/json'].schema);
    const tables = (await t.app.inject({ url: '/api/v1/sql/tables', headers: bearer(editor) })).json();
    expect(validateTables(tables) ? [] : validateTables.errors).toEqual([]);
  });
});

describe('allowed query shapes', () => {
  it('reads a table: columns with types, rows as arrays', async () => {
    const res = await run(`SELECT navn, innbyggere FROM ${q(names.kommuner)} ORDER BY innbyggere DESC LIMIT 2`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.columns).toEqual([{ name: 'navn', type: 'VARCHAR' }, { name: 'innbyggere', type: 'BIGINT' }]);
    expect(body.rows).toEqual([['Oslo', 717710], ['Bergen', 291940]]);
    expect(body).toMatchObject({ rowCount: 2, truncated: false, tables: [names.kommuner] });
  });

  it('joins across two datasets and aggregates', async () => {
    const res = await run(`SELECT f.fylkesnavn, count(*) AS kommuner, sum(k.innbyggere) AS folk
      FROM ${q(names.kommuner)} k JOIN ${q(names.fylker)} f USING (fylke) GROUP BY f.fylkesnavn ORDER BY folk DESC`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows).toEqual([['Oslo', 1, 717710], ['Vestland', 2, 304218], ['Rogaland', 2, 232774], ['Trøndelag', 1, 214565]]);
    expect(res.json().tables.sort()).toEqual([names.fylker, names.kommuner].sort());
  });

  it('runs CTEs, window functions, subqueries, FROM-first, VALUES, DESCRIBE and range()', async () => {
    const cte = await run(`WITH store AS (SELECT * FROM ${q(names.kommuner)} WHERE innbyggere > 100000)
      SELECT navn, rank() OVER (ORDER BY innbyggere DESC) AS plass FROM store ORDER BY plass`);
    expect(cte.statusCode, cte.body).toBe(200);
    expect(cte.json().rows.map((r: unknown[]) => r[0])).toEqual(['Oslo', 'Bergen', 'Trondheim', 'Stavanger']);
    const sub = await run(`SELECT count(*) AS n FROM ${q(names.kommuner)} WHERE fylke IN (SELECT fylke FROM ${q(names.fylker)} WHERE fylkesnavn LIKE 'V%')`);
    expect(sub.json().rows).toEqual([[2]]);
    expect((await run(`FROM ${q(names.fylker)} SELECT count(*)`)).json().rows).toEqual([[4]]);
    expect((await run('VALUES (1, \'a\'), (2, \'b\')')).json().rows).toEqual([[1, 'a'], [2, 'b']]);
    const desc = await run(`DESCRIBE SELECT * FROM ${q(names.fylker)}`);
    expect(desc.statusCode, desc.body).toBe(200);
    expect(desc.json().rows.map((r: unknown[]) => r[0])).toEqual(['fylke', 'fylkesnavn']);
    expect((await run('SELECT sum(range) AS s FROM range(10)')).json().rows).toEqual([[45]]);
  });

  it('cuts the result at maxRows and says so', async () => {
    const res = await run(`SELECT * FROM ${q(names.kommuner)}`, {}, { maxRows: 2 });
    expect(res.json()).toMatchObject({ rowCount: 2, truncated: true });
    expect(res.headers['x-sql-truncated']).toBe('true');
    expect((await run('SELECT 1', {}, { maxRows: 10_001 })).json().error.code).toBe('sql_invalid');
    expect((await run('SELECT 1', {}, { maxRows: 0 })).statusCode).toBe(400);
  });

  it('answers CSV (formula cells defused) and NDJSON by _format or Accept', async () => {
    const sql = `SELECT navn, innbyggere, '=1+2' AS formel, -5 AS minus FROM ${q(names.kommuner)} ORDER BY navn LIMIT 2`;
    const csvRes = await run(sql, {}, {}, '/api/v1/sql?_format=csv');
    expect(csvRes.statusCode, csvRes.body).toBe(200);
    expect(csvRes.headers['content-type']).toMatch(/^text\/csv/);
    expect(csvRes.headers['x-sql-truncated']).toBe('false');
    expect(csvRes.body).toBe("navn,innbyggere,formel,minus\r\nBergen,291940,'=1+2,-5\r\nOslo,717710,'=1+2,-5\r\n");
    const nd = await run(sql, { accept: 'application/x-ndjson' });
    expect(nd.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(nd.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { navn: 'Bergen', innbyggere: 291940, formel: '=1+2', minus: -5 },
      { navn: 'Oslo', innbyggere: 717710, formel: '=1+2', minus: -5 },
    ]);
    const dup = await run('SELECT 1 AS a, 2 AS a', { accept: 'application/x-ndjson' });
    expect(JSON.parse(dup.body)).toEqual({ a: 1, a_1: 2 });
    const bad = await run('SELECT 1', {}, {}, '/api/v1/sql?_format=xml');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('sql_unsupported_format');
  });
});

describe('rejections (part 8): a clear 400 naming the problem', () => {
  const cases: [string, string, string, Record<string, unknown>?][] = [
    ['INSERT INTO x VALUES (1)', 'sql_not_read_only', 'INSERT', { statement: 'INSERT' }],
    ['UPDATE x SET a = 1', 'sql_not_read_only', 'UPDATE'],
    ['DELETE FROM x', 'sql_not_read_only', 'DELETE'],
    ['CREATE TABLE x AS SELECT 1', 'sql_not_read_only', 'CREATE'],
    ['DROP TABLE x', 'sql_not_read_only', 'DROP'],
    ["COPY (SELECT 1) TO '/tmp/x.csv'", 'sql_not_read_only', 'COPY'],
    ["ATTACH '/tmp/x.duckdb' AS x", 'sql_not_read_only', 'ATTACH'],
    ["SET enable_external_access = true", 'sql_not_read_only', 'SET'],
    ["RESET memory_limit", 'sql_not_read_only', 'RESET'],
    ['PRAGMA version', 'sql_not_read_only', 'PRAGMA'],
    ['INSTALL httpfs', 'sql_not_read_only', 'INSTALL'],
    ['LOAD httpfs', 'sql_not_read_only', 'LOAD'],
    ["EXPORT DATABASE '/tmp/x'", 'sql_not_read_only', 'EXPORT'],
    ['CALL pragma_version()', 'sql_not_read_only', 'CALL'],
    ['EXPLAIN SELECT 1', 'sql_not_read_only', 'EXPLAIN'],
    ['SHOW TABLES', 'sql_not_read_only', 'SHOW'],
    ["SELECT * FROM read_csv('/etc/passwd')", 'sql_function_not_allowed', 'read_csv', { function: 'read_csv' }],
    ["SELECT * FROM read_text('/etc/passwd')", 'sql_function_not_allowed', 'read_text'],
    ["SELECT (SELECT count(*) FROM read_parquet('/tmp/*.parquet')) AS n", 'sql_function_not_allowed', 'read_parquet'],
    ["SELECT * FROM glob('/etc/*')", 'sql_function_not_allowed', 'glob'],
    ["SELECT * FROM query('SELECT 1')", 'sql_function_not_allowed', 'query'],
    ['SELECT * FROM duckdb_settings()', 'sql_function_not_allowed', 'duckdb_settings'],
    ["SELECT current_setting('allowed_paths')", 'sql_function_not_allowed', 'current_setting'],
    ["SELECT * FROM '/etc/passwd'", 'sql_table_not_found', '/etc/passwd'],
    ["SELECT * FROM 'https://example.org/x.csv'", 'sql_table_not_found', 'https://example.org/x.csv'],
    ['SELECT * FROM information_schema.tables', 'sql_table_not_found', 'information_schema.tables'],
    ['SELECT * FROM duckdb_views', 'sql_table_not_found', 'duckdb_views'],
    ['SELECT 1; SELECT 2', 'sql_several_statements', 'exactly one'],
    ['SELECT 1; DROP TABLE x', 'sql_several_statements', 'exactly one'],
    ['SELEC 1', 'sql_syntax_error', 'syntax error'],
    ['SELECT * FROM', 'sql_syntax_error', 'syntax error'],
    [`SELECT ${'1 + '.repeat(3000)}1`, 'sql_syntax_error', 'depth'],
    ['', 'sql_empty', 'empty'],
    ['  -- nothing but a comment', 'sql_empty', 'empty'],
  ];
  for (const [sql, code, named, details] of cases) {
    it(`${sql.length > 80 ? `${sql.slice(0, 60)}… (${sql.length} characters)` : sql || '(empty)'} → ${code}`, async () => {
      const res = await run(sql, bearer(editor));
      expect(res.statusCode, res.body).toBe(400);
      const err = res.json().error;
      expect(err.code).toBe(code);
      expect(err.message).toContain(named);
      if (details) expect(err.details).toMatchObject(details);
    });
  }

  it('survives deep nesting (3,000 parentheses) without a crash', async () => {
    const res = await run(`SELECT ${'('.repeat(3000)}1${')'.repeat(3000)} AS deep`);
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.json().rows).toEqual([[1]]);
  });

  it('refuses a statement over the length limit, unknown fields and a body that is not JSON', async () => {
    const long = await run(`SELECT ${'1 + '.repeat(6000)}1`);
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('sql_too_long');
    const extra = await run('SELECT 1', {}, { database: 'x' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.message).toContain('database');
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/sql', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(missing.statusCode).toBe(400);
  });

  it('names an unknown column (a bind error) and explains a failed cast of open data with DuckDB\'s words', async () => {
    const col = await run(`SELECT nope FROM ${q(names.kommuner)}`);
    expect(col.statusCode).toBe(400);
    expect(col.json().error.code).toBe('sql_invalid');
    expect(col.json().error.message).toContain('nope');
    const cast = await run(`SELECT CAST(navn AS INTEGER) FROM ${q(names.kommuner)}`);
    expect(cast.statusCode).toBe(400);
    expect(cast.json().error).toMatchObject({ code: 'sql_runtime_error', details: { kind: 'conversion' } });
    expect(cast.json().error.details.duckdb).toContain('Oslo');
  });

  it('never puts a value of a non-open table in an error message, not even for its owner', async () => {
    for (const sql of [`SELECT CAST(mottaker AS INTEGER) FROM ${q(names.tilskudd)}`, `SELECT error(mottaker) FROM ${q(names.tilskudd)}`, `SELECT mottaker::DATE FROM ${q(names.tilskudd)}`]) {
      const res = await run(sql, bearer(editor));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('sql_runtime_error');
      expect(res.body).not.toContain(MARK);
      expect(res.json().error.details.duckdb).toBeUndefined();
    }
  });

  it('runs out of memory with a 400, not a crash', async () => {
    const res = await run("SELECT length(string_agg(repeat('x', 1000000), '')) FROM range(1000)");
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('sql_memory_limit');
    expect((await run('SELECT 1 AS ok')).statusCode).toBe(200);
  });

  it('stops a function that ignores both memory_limit and interrupts without the web process holding its memory', async () => {
    // repeat() builds its value outside DuckDB's buffer manager and never checks for an interrupt: in-process it held
    // ~0.8 GB until it finished. The worker is killed by the memory watchdog (or at the deadline) instead.
    const before = process.memoryUsage().rss;
    const res = await run("SELECT length(repeat('x', 900000000)) AS n");
    expect([400, 408], res.body).toContain(res.statusCode);
    expect(['sql_memory_limit', 'sql_timeout']).toContain(res.json().error.code);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
    const next = await run('SELECT 2 AS ok');
    expect(next.statusCode, next.body).toBe(200);
  });

  it('stops a query that runs too long with 408, and the next query works', async () => {
    const started = Date.now();
    const res = await run('SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b');
    expect(res.statusCode, res.body).toBe(408);
    expect(res.json().error.code).toBe('sql_timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    const rec = await run('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r');
    expect(rec.statusCode).toBe(408);
    const next = await run(`SELECT count(*) AS n FROM ${q(names.kommuner)}`);
    expect(next.statusCode, next.body).toBe(200);
    expect(next.json().rows).toEqual([[6]]);
  });
});

describe('access', () => {
  it('a RESTRICTED table answers an outsider exactly as a table that does not exist', async () => {
    const fake = names.tilskudd.replace(/[0-9a-f]{8}\/tilskudd$/, '00000000/tilskudd');
    const noTable = names.tilskudd.replace(/tilskudd$/, 'finnes-ikke');
    for (const headers of [{}, bearer(outsider)]) {
      const real = await run(`SELECT * FROM ${q(names.tilskudd)}`, headers);
      const none = await run(`SELECT * FROM ${q(fake)}`, headers);
      const none2 = await run(`SELECT * FROM ${q(noTable)}`, headers);
      for (const [res, name] of [[real, names.tilskudd], [none, fake], [none2, noTable]] as const) {
        expect(res.statusCode).toBe(400);
        const body = res.json();
        expect(body.error.code).toBe('sql_table_not_found');
        expect(JSON.stringify(body).replaceAll(name, 'NAME')).toBe(JSON.stringify(real.json()).replaceAll(names.tilskudd, 'NAME'));
      }
      expect(real.body).not.toContain(MARK);
      // A join with an open table, an aggregate, a subquery: the same refusal.
      const join = await run(`SELECT count(*) FROM ${q(names.kommuner)} WHERE kommunenummer IN (SELECT kommunenummer FROM ${q(names.tilskudd)})`, headers);
      expect(join.json().error.code).toBe('sql_table_not_found');
    }
  });

  it('the owner reads it, and the read is in the audit log with the tables and the row count', async () => {
    const res = await run(`SELECT t.mottaker, k.navn FROM ${q(names.tilskudd)} t JOIN ${q(names.kommuner)} k USING (kommunenummer) ORDER BY k.navn`, bearer(editor));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows).toEqual([[`${MARK} Bergen`, 'Bergen'], [`${MARK} AS`, 'Oslo'], [`${MARK} Stavanger`, 'Stavanger'], ['=HYPERLINK("x")', 'Trondheim']]);
    const entries = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'sql.read').execute();
    const entry = entries.map((e) => ({ ...e, d: JSON.parse(e.details) })).find((e) => e.d.queryId === res.json().queryId);
    expect(entry).toBeDefined();
    expect(entry?.d).toMatchObject({ datasetId: ids.tilskudd, table: 'tilskudd', rows: 4, basis: 'member', via: 'token' });
    expect(entry?.d.tables.sort()).toEqual([names.kommuner, names.tilskudd].sort());
    // Open tables alone are not audited.
    const before = entries.length;
    await run(`SELECT * FROM ${q(names.kommuner)}`, bearer(editor));
    expect((await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'sql.read').execute()).length).toBe(before);
  });

  it('a consent RowRestriction becomes a table of exactly those rows (counts and aggregates included)', async () => {
    // A service over the same database and tables whose access door adds a restriction to the RESTRICTED table, as
    // the consent domain does; the owner then sees only the consented rows.
    const sandbox = createSqlSandbox({ memoryLimit: '128MB', threads: 1, timeoutMs: 5000, maxConcurrent: 1, tempDir: `${t.platform.config.dataDir}/tmp/sql-test` });
    const service = createSqlService({
      db: t.db,
      tables: t.services.tables,
      sandbox,
      limits: { timeoutMs: 5000, memoryLimit: '128MB' },
      resolveAccess: async (db, actor, dataset, table) => {
        const access = await resolveDataAccess(db, actor, dataset, table);
        if (!access.allow || dataset.id !== ids.tilskudd) return access;
        return { ...access, basis: 'consent', rows: { column: 'kommunenummer', values: ['0301', '4601', '9999'], consentIds: ['c1', 'c2'] } };
      },
    });
    try {
      const actor = await t.services.accounts.resolveActor({ authorization: `Bearer ${editor}` });
      const rows = await service.query(actor, { sql: `SELECT kommunenummer, belop FROM ${q(names.tilskudd)} ORDER BY 1` });
      expect(rows.rows).toEqual([['0301', 1000], ['4601', 400]]);
      const agg = await service.query(actor, { sql: `SELECT count(*), sum(belop) FROM ${q(names.tilskudd)}` });
      expect(agg.rows).toEqual([[2, 1400]]);
      const listed = await service.readableTables(actor);
      expect(listed.items.find((x) => x.name === names.tilskudd)).toMatchObject({ restricted: true, rowCount: null });
      const entry = (await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'sql.read').execute()).map((e) => JSON.parse(e.details)).find((d) => d.queryId === agg.queryId);
      expect(entry).toMatchObject({ basis: 'consent', consentIds: ['c1', 'c2'], rows: 1, rowsAvailable: { '0301': 1, '4601': 1 } });
    } finally {
      await sandbox.close();
    }
  });
});

describe('the /sql page', () => {
  it('shows the editor and the schema list (nb, nn, en) without the restricted table for anonymous readers', async () => {
    for (const [lang, heading] of [['nb', 'Spør med SQL'], ['nn', 'Spør med SQL'], ['en', 'Query with SQL']] as const) {
      const res = await t.app.inject({ url: `/sql?lang=${lang}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`<h1 class="ds-heading" data-size="lg">${heading}</h1>`);
      expect(res.body).toContain('<textarea');
      expect(res.body).toContain(names.kommuner);
      expect(res.body).not.toContain(names.tilskudd);
    }
    const fromDataset = await t.app.inject({ url: `/sql?dataset=${ids.fylker}` });
    expect(fromDataset.body).toContain(`FROM &quot;${names.fylker}&quot;`);
  });

  it('runs a query from a plain form POST and shows the grid; errors keep the query and say what is wrong', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/sql');
    const cookie = `df_csrf=${cookies.df_csrf}`;
    const ok = await t.app.inject({ method: 'POST', url: '/sql', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: `SELECT fylkesnavn FROM "${names.fylker}" ORDER BY 1` }) });
    expect(ok.statusCode, ok.body.slice(0, 500)).toBe(200);
    expect(ok.body).toContain('id="sql-result"');
    expect(ok.body).toContain('<td>Trøndelag</td>');
    const bad = await t.app.inject({ method: 'POST', url: '/sql?lang=en', headers: { ...FORM_HEADERS, cookie }, payload: form({ _csrf: csrf, sql: 'DROP TABLE x' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Only SELECT is allowed (DROP is not)');
    expect(bad.body).toContain('You can only read data here');
    expect(bad.body).toContain('DROP TABLE x</textarea>');
    const noCsrf = await t.app.inject({ method: 'POST', url: '/sql', headers: { ...FORM_HEADERS, cookie }, payload: form({ sql: 'SELECT 1' }) });
    expect(noCsrf.statusCode).toBe(403);
  });

  it('the dataset page links to it, and the owner sees the restricted table in the list', async () => {
    const page = await t.app.inject({ url: `/datasett/${ids.kommuner}` });
    expect(page.body).toContain(`href="/sql?dataset=${ids.kommuner}"`);
    expect(page.body).toContain('Spør med SQL');
    const own = await t.app.inject({ url: '/sql', headers: { cookie: editorSession.cookie } });
    expect(own.body).toContain(names.tilskudd);
  });
});
