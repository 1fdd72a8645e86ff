// The tables service over the real stores: a fresh SQLite (or PostgreSQL, with DATABASE_URL) database, the local blob
// store, DuckDB and the job queue the database calls for. Data are real Norwegian files from test/fixtures/tables.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, type Actor } from '../access/model';
import type { AccessRights } from '../catalog/model';
import { createLocalBlobStore } from '../platform/blobs/local';
import type { BlobStore } from '../platform/blobs/index';
import { nowIso } from '../platform/db/index';
import { createDuckDbEngine, type DuckDbTableEngine } from '../platform/engine/duckdb';
import { createJobQueue, type JobQueue } from '../platform/jobs/index';
import { createTestDb, type TestDb } from '../../test/helpers/db';
import { createCatalogService } from '../catalog/service';
import { createTablesService, parsePage, safeFilename, type TablesService } from './service';

const fixtures = path.resolve(__dirname, '../../test/fixtures/tables');
const ORGNR = '981544315';
const OTHER_ORGNR = '971526920';

const editor: Actor = {
  kind: 'user',
  user: { id: 'u-editor', email: 'editor@example.no', name: 'Editor', isOperator: false, emailVerified: true },
  memberships: { [ORGNR]: 'editor' },
  scopes: null,
  via: 'session',
};
const outsider: Actor = {
  kind: 'user',
  user: { id: 'u-outsider', email: 'outsider@example.no', name: 'Outsider', isOperator: false, emailVerified: true },
  memberships: { [OTHER_ORGNR]: 'admin' },
  scopes: null,
  via: 'session',
};

let tdb: TestDb;
let blobs: BlobStore;
let engine: DuckDbTableEngine;
let jobs: JobQueue;
let tables: TablesService;

async function insertDataset(id: string, accessRights: AccessRights, state: 'draft' | 'published' = 'published'): Promise<void> {
  const now = nowIso();
  await tdb.db
    .insertInto('datasets')
    .values({
      id,
      orgnr: ORGNR,
      state,
      title: JSON.stringify({ nb: id }),
      description: '{}',
      keywords: '{}',
      themes: '[]',
      los_themes: '[]',
      access_rights: accessRights,
      licence: null,
      contact_point: '{}',
      spatial: '[]',
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
      created_at: now,
      updated_at: now,
      published_at: state === 'published' ? now : null,
    })
    .execute();
}

beforeAll(async () => {
  tdb = await createTestDb();
  const now = nowIso();
  for (const orgnr of [ORGNR, OTHER_ORGNR]) {
    await tdb.db.insertInto('organizations').values({ orgnr, name: orgnr, org_form: null, municipality: null, homepage: null, created_at: now, updated_at: now }).execute();
  }
  await insertDataset('ds-public', 'PUBLIC');
  await insertDataset('ds-restricted', 'RESTRICTED');
  await insertDataset('ds-draft', 'PUBLIC', 'draft');
  blobs = createLocalBlobStore(path.join(tdb.dataDir, 'blobs'));
  engine = await createDuckDbEngine({ memoryLimit: '512MB', threads: 2, tempDir: path.join(tdb.dataDir, 'tmp', 'duckdb') });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  jobs = await createJobQueue(tdb, tdb.databaseUrl, { pollIntervalMs: 50, logger: quiet });
  tables = createTablesService({ db: tdb.db, blobs, jobs, engine, dataDir: tdb.dataDir });
  tables.registerJobs();
  await jobs.start();
});

afterAll(async () => {
  await jobs?.stop();
  await engine?.close();
  await blobs?.close();
  await tdb?.destroy();
});

describe('tables service', () => {
  it('ingests the farm-subsidy CSV through the queue and serves every row, codes kept as text', async () => {
    const { table, version, jobId } = await tables.createTableFromFile(editor, 'ds-public', {
      name: 'pristilskudd-2022',
      title: 'Pristilskudd 2022',
      filePath: path.join(fixtures, 'ldir_pristilskudd_jordbruksforetak_2022.csv'),
      filename: 'ldir_pristilskudd_jordbruksforetak_2022.csv',
    });
    expect(version.state).toBe('pending');
    expect(version.version).toBe(1);
    expect(table.currentVersion).toBeNull();
    expect((await tdb.db.selectFrom('table_versions').select('job_id').where('id', '=', version.id).executeTakeFirstOrThrow()).job_id).toBe(jobId);

    await jobs.drain(60_000);
    const job = await jobs.get(jobId);
    expect(job?.state).toBe('succeeded');
    expect(job?.progress).toBe(100);

    const ready = await tables.getTable(ANONYMOUS, 'ds-public', 'pristilskudd-2022');
    expect(ready.currentVersion?.state).toBe('ready');
    expect(ready.rowCount).toBe(24_899);
    const cols = Object.fromEntries(ready.columns.map((c) => [c.name, c.type]));
    expect(cols.komnr).toBe('VARCHAR');
    expect(cols.orgnr).toBe('VARCHAR');
    expect(cols.sum_tilskudd).toBe('BIGINT');
    expect(ready.currentVersion?.detail?.sourceOptions).toMatchObject({ encoding: 'utf-8', delimiter: ';', header: true });
    expect(await blobs.head(`tables/${ready.id}/${ready.currentVersion?.id}.parquet`)).toBeDefined();

    let offset = 0;
    let seen = 0;
    for (;;) {
      const page = await tables.rows(ANONYMOUS, 'ds-public', 'pristilskudd-2022', { offset, size: 1000 });
      if (offset === 0) {
        expect(page.rows[0]?.komnr).toBe('0301');
        expect(page.rows[0]?.navn).toBe('NORDRE LINDEBERG GÅRD');
      }
      expect(page.total).toBe(24_899);
      seen += page.rows.length;
      if (page.nextOffset === undefined) break;
      expect(page.nextOffset).toBe(offset + 1000);
      offset = page.nextOffset;
    }
    expect(seen).toBe(24_899);
    // The cache holds the Parquet file: reads do not go back to the blob store.
    expect(fs.existsSync(path.join(tdb.dataDir, 'cache', 'parquet', `${ready.currentVersion?.id}.parquet`))).toBe(true);
    // No leftover work files.
    expect(fs.readdirSync(path.join(tdb.dataDir, 'tmp', 'ingest'))).toEqual([]);
  });

  it('lists a new table as one distribution of its dataset, with the dataset licence; later versions add none', async () => {
    const NLOD = 'http://data.norge.no/nlod/no/2.0';
    await insertDataset('ds-dist', 'PUBLIC');
    await tdb.db.updateTable('datasets').set({ licence: NLOD }).where('id', '=', 'ds-dist').execute();
    const upload = (version: string, title?: string) =>
      tables.createTableFromFile(editor, 'ds-dist', {
        name: 'stonader',
        ...(title ? { title } : {}),
        stream: Readable.from(Buffer.from(`kommunenummer;belop\n0301;${version}\n`)),
        filename: 'stonader.csv',
      });
    const first = await upload('1', 'Stønader per kommune');
    const catalog = createCatalogService({ db: tdb.db });
    const [dist, ...more] = (await catalog.getDataset(editor, 'ds-dist')).distributions;
    expect(more).toEqual([]);
    expect(dist).toMatchObject({
      datasetId: 'ds-dist',
      title: { nb: 'Stønader per kommune' },
      tableId: first.table.id,
      accessUrl: null,
      downloadUrl: null,
      mediaType: 'text/csv',
      format: 'CSV',
      licence: NLOD,
    });

    const second = await upload('2', 'Stønader per kommune, rettet');
    expect(second.version.version).toBe(2);
    expect(second.table.id).toBe(first.table.id);
    const after = (await catalog.getDataset(editor, 'ds-dist')).distributions;
    expect(after.map((d) => d.id)).toEqual([dist?.id]);
    // A second table is a second distribution.
    const other = await tables.createTableFromFile(editor, 'ds-dist', {
      name: 'stonader-fylke',
      stream: Readable.from(Buffer.from('fylkesnummer;belop\n03;1\n')),
      filename: 'stonader-fylke.csv',
    });
    const tableIds = (await catalog.getDataset(editor, 'ds-dist')).distributions.map((d) => d.tableId).sort();
    expect(tableIds).toEqual([first.table.id, other.table.id].sort());
    expect((await catalog.getDataset(editor, 'ds-dist')).distributions.find((d) => d.tableId === other.table.id)?.title).toEqual({ nb: 'stonader-fylke' });
    await jobs.drain(60_000);
  });

  it('reads a Latin-1 file with its Norwegian letters intact', async () => {
    await tables.createTableFromFile(editor, 'ds-public', {
      name: 'kommuner',
      title: 'Kommuner 2024',
      stream: Readable.from(fs.readFileSync(path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv'))),
      filename: 'ssb_klass131_kommuner_2024_latin1.csv',
    });
    await jobs.drain(60_000);
    const t = await tables.getTable(ANONYMOUS, 'ds-public', 'kommuner');
    expect(t.currentVersion?.detail?.sourceOptions.encoding).toBe('windows-1252'); // not UTF-8: read as cp1252, a superset of Latin-1 text
    const page = await tables.rows(ANONYMOUS, 'ds-public', 'kommuner', { offset: 0, size: 1000 });
    const names = page.rows.map((r) => r.name);
    expect(names).toContain('Bø');
    expect(names).toContain('Ås');
    expect(page.rows[0]?.code).toBe('0301');
  });

  it('keeps serving the previous version when a new upload is broken', async () => {
    const broken = await tables.createTableFromFile(editor, 'ds-public', {
      name: 'kommuner',
      stream: Readable.from(Buffer.from([0x01, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0])),
      filename: 'kommuner.csv',
    });
    expect(broken.version.version).toBe(2);
    await jobs.drain(60_000);
    const job = await jobs.get(broken.jobId);
    expect(job?.state).toBe('failed');
    // An unreadable file stays unreadable: the job fails at once (no retries) with the message the publisher sees.
    expect(job?.attempts).toBe(1);
    // The job record holds a sentence built from the code alone, never the engine's text.
    expect(job?.error).toBe('Ingest failed [file_not_text]: The file is not text: it holds binary data.');
    const t = await tables.getTable(ANONYMOUS, 'ds-public', 'kommuner');
    const v2 = t.versions.find((v) => v.version === 2);
    expect(v2?.state).toBe('failed');
    expect(v2?.errorCode).toBe('file_not_text');
    expect(t.currentVersion?.version).toBe(1);
    expect(t.latestVersion?.version).toBe(2);
    const page = await tables.rows(ANONYMOUS, 'ds-public', 'kommuner', { offset: 0, size: 5 });
    expect(page.total).toBe(358);
    expect(page.rows).toHaveLength(5);
  });

  it('checks access through the door', async () => {
    await expect(tables.createTableFromFile(ANONYMOUS, 'ds-public', { name: 'x', filePath: '/dev/null', filename: 'x.csv' })).rejects.toMatchObject({ status: 401 });
    await expect(tables.createTableFromFile(outsider, 'ds-public', { name: 'x', filePath: '/dev/null', filename: 'x.csv' })).rejects.toMatchObject({ status: 403 });
    await expect(tables.listTables(ANONYMOUS, 'ds-draft')).rejects.toMatchObject({ status: 404, code: 'dataset_not_found' });
    await expect(tables.listTables(editor, 'ds-draft')).resolves.toEqual([]);
    await expect(tables.listTables(ANONYMOUS, 'nope')).rejects.toMatchObject({ status: 404 });

    await tables.createTableFromFile(editor, 'ds-restricted', {
      name: 'fylker',
      filePath: path.join(fixtures, 'ssb_klass131_kommuner_2024_latin1.csv'),
      filename: 'fylker.csv',
    });
    await jobs.drain(60_000);
    // Metadata is public; rows are not.
    expect((await tables.getTable(ANONYMOUS, 'ds-restricted', 'fylker')).rowCount).toBe(358);
    await expect(tables.rows(ANONYMOUS, 'ds-restricted', 'fylker', {})).rejects.toMatchObject({ status: 401 });
    await expect(tables.rows(outsider, 'ds-restricted', 'fylker', {})).rejects.toMatchObject({ status: 403 });
    const page = await tables.rows(editor, 'ds-restricted', 'fylker', {});
    expect(page.size).toBe(100);
    expect(page.rows).toHaveLength(100);
    const audit = await tdb.db.selectFrom('audit_log').selectAll().where('action', '=', 'table.read').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor_user_id).toBe('u-editor');
    expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ datasetId: 'ds-restricted', table: 'fylker', offset: 0, size: 100, rows: 100, via: expect.any(String) });
    expect(await tables.canReadData(outsider, 'ds-restricted')).toBe(false);
    expect(await tables.canReadData(ANONYMOUS, 'ds-public')).toBe(true);
  });

  it('rejects bad names, formats and pages', async () => {
    await expect(tables.createTableFromFile(editor, 'ds-public', { name: 'Bad Name', filePath: '/dev/null', filename: 'x.csv' })).rejects.toMatchObject({
      status: 422,
      problems: [expect.objectContaining({ field: '/name', code: 'invalid_table_name' })],
    });
    await expect(tables.createTableFromFile(editor, 'ds-public', { name: 'ok', filePath: '/dev/null', filename: 'x.docx' })).rejects.toMatchObject({
      status: 422,
      problems: [expect.objectContaining({ code: 'unsupported_format' })],
    });
    await expect(tables.createTableFromFile(editor, 'ds-public', { name: 'ok', filePath: '/dev/null', filename: 'Gammel.XLS' })).rejects.toMatchObject({
      status: 422,
      problems: [expect.objectContaining({ field: '/file', code: 'xls_unsupported', message: expect.stringMatching(/save it as \.xlsx/) })],
    });
    await expect(tables.rows(ANONYMOUS, 'ds-public', 'missing', {})).rejects.toMatchObject({ status: 404, code: 'table_not_found' });
    expect(() => parsePage({ size: 1001 })).toThrow(/_size/);
    expect(() => parsePage({ size: 0 })).toThrow(/_size/);
    expect(() => parsePage({ offset: -1 })).toThrow(/_offset/);
    expect(() => parsePage({ offset: 'abc' })).toThrow(/_offset/);
    expect(parsePage({})).toEqual({ offset: 0, size: 100 });
    expect(parsePage({ offset: '20', size: '5' })).toEqual({ offset: 20, size: 5 });
    const past = await tables.rows(ANONYMOUS, 'ds-public', 'kommuner', { offset: 5000, size: 10 });
    expect(past).toMatchObject({ rows: [], total: 358 });
    expect(past.nextOffset).toBeUndefined();
  });

  it('makes safe blob key file names', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('Kommuner i Trøndelag.csv')).toBe('Kommuner_i_Tr_ndelag.csv');
    expect(safeFilename('Åsen.csv')).toBe('Asen.csv');
    expect(safeFilename('...')).toBe('upload');
  });
});

describe('import rules', () => {
  it('checkReadOptions names the field of every invalid value', async () => {
    const { checkReadOptions } = await import('./service');
    expect(checkReadOptions({ delimiter: ';', quote: '"', header: true, skipLines: 2, decimalSeparator: ',', thousandsSeparator: ' ', columnTypes: { a: 'text' } })).toEqual([]);
    const fields = (o: Parameters<typeof checkReadOptions>[0], cols?: string[]) => checkReadOptions(o, cols).map((p) => p.field);
    expect(fields({ delimiter: ';;' })).toEqual(['/sourceOptions/delimiter']);
    expect(fields({ delimiter: '\n' })).toEqual(['/sourceOptions/delimiter']);
    expect(fields({ encoding: 'ebcdic' as never })).toEqual(['/sourceOptions/encoding']);
    expect(fields({ skipLines: 1001 })).toEqual(['/sourceOptions/skipLines']);
    expect(fields({ skipLines: 1.5 })).toEqual(['/sourceOptions/skipLines']);
    expect(fields({ commentPrefix: '####' })).toEqual(['/sourceOptions/commentPrefix']);
    expect(fields({ decimalSeparator: ',', thousandsSeparator: ',' })).toEqual(['/sourceOptions/thousandsSeparator']);
    expect(fields({ columnTypes: { a: 'money' as never } })).toEqual(['/sourceOptions/columnTypes/a']);
    expect(checkReadOptions({ columnTypes: { b: 'text' } }, ['a'])[0]?.code).toBe('unknown_column');
  });

  it('refusedFormat refuses only PDF by its first bytes: every table format is read by content in the ingest', async () => {
    const { refusedFormat } = await import('./service');
    expect(refusedFormat(Buffer.from('%PDF-1.4'))).toBe('pdf');
    expect(refusedFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04]))).toBeNull();
    expect(refusedFormat(Buffer.from('PAR1xxxx'))).toBeNull();
    expect(refusedFormat(Buffer.from('\uFEFF  {"a":1}'))).toBeNull();
    expect(refusedFormat(Buffer.from('kode;navn\n0301;Oslo\n'))).toBeNull();
  });

  it('derives a table name from the file name', async () => {
    const { tableNameFromFilename, TABLE_NAME_PATTERN } = await import('./service');
    expect(tableNameFromFilename('Tilskudd 2022.xlsx')).toBe('tilskudd-2022');
    expect(tableNameFromFilename('C:\\Users\\x\\Kommuner i Trøndelag (2024).CSV')).toBe('kommuner-i-trondelag-2024');
    expect(tableNameFromFilename('Ærlige Åsmund.json')).toBe('aerlige-asmund');
    expect(tableNameFromFilename('___.csv')).toBe('tabell');
    expect(tableNameFromFilename('data')).toBe('data');
    const long = tableNameFromFilename(`${'a b '.repeat(40)}.csv`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(TABLE_NAME_PATTERN.test(long)).toBe(true);
  });

  it('checks the XLSX read options', async () => {
    const { checkReadOptions } = await import('./service');
    expect(checkReadOptions({ sheet: 'Data 2022', headerRows: 2 })).toEqual([]);
    expect(checkReadOptions({ sheet: ' ' }).map((p) => p.field)).toEqual(['/sourceOptions/sheet']);
    expect(checkReadOptions({ headerRows: 3 }).map((p) => p.field)).toEqual(['/sourceOptions/headerRows']);
  });

  it('formats numbers for the page language without rounding them', async () => {
    const { formatNumberCell } = await import('./pages');
    expect(formatNumberCell(1316303.34, 'nb')).toBe('1\u00a0316\u00a0303,34');
    expect(formatNumberCell(1316303.34, 'en')).toBe('1,316,303.34');
    expect(formatNumberCell(-1234, 'nn')).toBe('-1\u00a0234');
    expect(formatNumberCell(10.775729206388, 'nb')).toBe('10,775729206388');
    expect(formatNumberCell('9007199254740993', 'en')).toBe('9,007,199,254,740,993');
    expect(formatNumberCell(1e21, 'nb')).toBe('1e+21');
  });

  it('ingestErrorMessage is built from the code and numbers only', async () => {
    const { ingestErrorMessage } = await import('./service');
    expect(ingestErrorMessage('ragged_rows', { line: 5001 })).toBe('Ingest failed [ragged_rows]: A record has a different number of fields than the header (line 5001).');
    expect(ingestErrorMessage('something_new', {})).toBe('Ingest failed [something_new]: The file could not be processed because of an internal error.');
  });
});
