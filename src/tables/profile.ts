// Column profiles of table versions (issue 9.4): computed by the engine in the ingest job (computeProfile, called
// after the Parquet file is written), stored in the transaction that marks the version ready (storeProfile, table
// column_profiles), read back for a viewer by the tables service's `profile` method.
//
// ACCESS. A profile holds values (min/max, top values, histogram bounds) and counts that describe them (null and
// distinct counts, means, valid shares): it is DATA, shown and returned only to actors resolveDataAccess() lets read
// ALL rows of the table. A RowRestriction (consent) sees "profile not available under consent": the stored profile
// describes the whole table. Non-readers see only what visibleTable() (src/access/table-visibility.ts) allows — column
// names, types, nullability and the row count — and that allow-list is deliberately NOT extended with semantic types:
// a kind confirmed by the values ("this column holds valid fødselsnummer") is a statement about the values, the
// table-visibility policy already withholds ColumnInfo.semanticType for that reason, and Data Package exports rely on
// it. Search and linking read semantic types inside the service, where no outsider sees them.
import type { DbOrTx } from '../database';
import type { ColumnInfo, ColumnProfile, TableEngine, TableProfile } from '../platform/engine/index';
import { nowIso, parseJson } from '../platform/db/index';

export interface ColumnProfilesTable {
  version_id: string;
  position: number;
  column_name: string;
  profile: string; // JSON ColumnProfile
  created_at: string;
}

/** What the service returns: the profile of the current version for a reader of all rows. */
export type ProfileView =
  | { available: true; versionId: string; version: number; rowCount: number; columns: ColumnProfile[] }
  | { available: false; reason: 'consent' | 'not_computed'; versionId: string; version: number };

/**
 * Profiles the version's Parquet file and returns it with the columns' semantic types taken from the profile (one
 * source of truth: a kind confirmed by the profile; dates by type are left to the type).
 */
export async function computeProfile(engine: Pick<TableEngine, 'profileParquet'>, parquetPath: string, columns: ColumnInfo[]): Promise<{ profile: TableProfile; columns: ColumnInfo[] }> {
  const profile = await engine.profileParquet(parquetPath);
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  return {
    profile,
    columns: columns.map((c) => {
      const p = byName.get(c.name);
      if (!p?.profiled) return c; // past the profiled columns: the engine's name-and-values check stands
      const s = p.semantic;
      const { semanticType: _drop, ...rest } = c;
      return s && s.confirmed && s.basis !== 'type' ? { ...rest, semanticType: s.type } : rest;
    }),
  };
}

/** Stores a version's profile (inside the transaction that marks it ready). */
export async function storeProfile(tx: DbOrTx, versionId: string, profile: TableProfile): Promise<void> {
  const now = nowIso();
  await tx.deleteFrom('column_profiles').where('version_id', '=', versionId).execute();
  const rows = profile.columns.map((c, position) => ({ version_id: versionId, position, column_name: c.name, profile: JSON.stringify(c), created_at: now }));
  for (let i = 0; i < rows.length; i += 200) await tx.insertInto('column_profiles').values(rows.slice(i, i + 200)).execute();
}

/** The stored profile of a version, in column order (empty when none was computed: versions ingested before it). */
export async function loadProfile(db: DbOrTx, versionId: string): Promise<ColumnProfile[]> {
  const rows = await db.selectFrom('column_profiles').select(['profile']).where('version_id', '=', versionId).orderBy('position').execute();
  return rows.map((r) => parseJson<ColumnProfile>(r.profile, null as unknown as ColumnProfile)).filter((c) => c !== null);
}
