// The table-visibility policy: who sees a table's import report, and what everyone else sees of it.
import { describe, expect, it } from 'vitest';
import type { TableDetail, TableVersion } from '../tables/model';
import { ANONYMOUS, type Actor, type Resource } from './model';
import { tableDetailLevel, visibleTable } from './table-visibility';

const ORG = '981544315';
const user = (memberships: Actor['memberships'] = {}, scopes: Actor['scopes'] = null): Actor => ({
  kind: 'user',
  user: { id: 'u', email: 'u@example.no', name: 'U', isOperator: false, emailVerified: true },
  memberships,
  scopes,
  via: scopes ? 'token' : 'session',
});
const dataset = (accessRights: 'PUBLIC' | 'RESTRICTED' | 'NON_PUBLIC'): Resource => ({ type: 'dataset', orgnr: ORG, state: 'published', accessRights });

const version: TableVersion = {
  id: 'v1',
  version: 1,
  state: 'failed',
  rowCount: 3,
  columns: [{ name: 'kode', type: 'VARCHAR', nullable: false, keptAsText: 'leading_zeros', semanticType: 'kommunenummer', missingMarkers: { ':': 2 } }],
  errorCode: 'ragged_rows',
  createdAt: '2026-12-01T00:00:00.000Z',
  readyAt: null,
  detail: {
    byteSize: 10,
    sourceFormat: 'csv',
    sourceOptions: { delimiter: ';', columnTypes: { kode: 'text' } },
    givenOptions: { columnTypes: { kode: 'text' } },
    recordCount: 4,
    skipped: [{ reason: 'comment', count: 1, lines: [2] }],
    errorParams: { line: 4 },
    fromVersion: null,
    jobId: 'job-1',
  },
};
const table: TableDetail = {
  id: 't',
  datasetId: 'd',
  name: 'kommuner',
  title: 'Kommuner',
  columns: version.columns,
  rowCount: 3,
  currentVersion: version,
  latestVersion: version,
  detailLevel: 'full',
  createdAt: version.createdAt,
  updatedAt: version.createdAt,
  versions: [version],
};

describe('tableDetailLevel', () => {
  it('is full for readers of the data and publishers, schema for everyone else', () => {
    expect(tableDetailLevel(ANONYMOUS, dataset('PUBLIC'))).toBe('full');
    for (const access of ['RESTRICTED', 'NON_PUBLIC'] as const) {
      expect(tableDetailLevel(ANONYMOUS, dataset(access))).toBe('schema');
      expect(tableDetailLevel(user({ '971526920': 'admin' }), dataset(access))).toBe('schema');
      expect(tableDetailLevel(user({ [ORG]: 'member' }), dataset(access))).toBe('full');
      expect(tableDetailLevel(user({ [ORG]: 'editor' }, ['read']), dataset(access))).toBe('full');
      expect(tableDetailLevel(user({}, ['read']), dataset(access))).toBe('schema');
    }
  });
});

describe('visibleTable', () => {
  it('keeps everything for full viewers', () => {
    const seen = visibleTable(user({ [ORG]: 'member' }), dataset('NON_PUBLIC'), table);
    expect(seen).toEqual({ ...table, detailLevel: 'full' });
  });

  it('gives schema viewers the allow-list only: names, types, row count, states and failure codes', () => {
    const seen = visibleTable(ANONYMOUS, dataset('NON_PUBLIC'), table);
    expect(seen.detailLevel).toBe('schema');
    expect(seen.columns).toEqual([{ name: 'kode', type: 'VARCHAR', nullable: false }]);
    for (const v of [seen.currentVersion, seen.latestVersion, ...seen.versions]) {
      expect(v).toEqual({
        id: 'v1',
        version: 1,
        state: 'failed',
        rowCount: 3,
        columns: [{ name: 'kode', type: 'VARCHAR', nullable: false }],
        errorCode: 'ragged_rows',
        createdAt: version.createdAt,
        readyAt: null,
      });
    }
    // The input is not changed.
    expect(table.latestVersion?.detail?.jobId).toBe('job-1');
  });
});
