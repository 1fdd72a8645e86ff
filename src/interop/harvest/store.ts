// The switch: a run's staged records become datasets in ONE transaction, so a crash or a failed fetch leaves the
// previous state exactly as it was, and readers never see half a harvest. Within it, per batch of staged records:
// - unchanged (same hash as last applied): nothing is written;
// - changed: each dataset field is set only if it still holds what the source set last time (`applied`); a field
//   changed here since is a local enrichment and kept. Distributions the source created are replaced; ones added
//   here stay;
// - new: a record whose URI/identifier another source (or our own catalogue) already has is merged — linked to that
//   dataset, which keeps its owner — otherwise a dataset is created, published, with `origin` = the source id;
// - gone (known to the source before, not staged now): the link is removed; the dataset too when this source owned
//   it and no other source has it (another source then takes it over).
// The harvest writes `datasets`/`distributions` rows itself rather than through the catalog service: the catalog's
// rules are for local publishing (actors, strict vocabularies that would refuse what harvesting must keep), and a
// 100k catalogue needs batched inserts.
import crypto from 'node:crypto';
import type { DbOrTx, Tx } from '../../database';
import type { NewDatasetRow } from '../../catalog/model';
import { isOpenLicence } from '../../catalog/vocabularies';
import { nowIso, parseJson } from '../../platform/db/index';
import { indexDatasets } from '../../search/indexer';
import { qualityScore, type HarvestRecord, type HarvestPublisher, type RecordExtras } from './model';

export const SWITCH_BATCH = 400;

export interface SwitchCounts {
  added: number;
  updated: number;
  unchanged: number;
  merged: number;
  removed: number;
}

/** The dataset columns a record sets (the three-way merge compares these). */
type Fields = Pick<
  NewDatasetRow,
  'orgnr' | 'title' | 'description' | 'keywords' | 'themes' | 'los_themes' | 'access_rights' | 'licence' | 'contact_point' | 'spatial' | 'temporal_start' | 'temporal_end' | 'frequency' | 'provenance' | 'issued' | 'modified' | 'landing_page'
>;
const FIELD_NAMES: (keyof Fields)[] = ['orgnr', 'title', 'description', 'keywords', 'themes', 'los_themes', 'access_rights', 'licence', 'contact_point', 'spatial', 'temporal_start', 'temporal_end', 'frequency', 'provenance', 'issued', 'modified', 'landing_page'];

interface Applied {
  fields: Fields;
  distributions: string[]; // ids of the distributions this record created
}

export function recordHash(r: HarvestRecord): string {
  return crypto.createHash('sha256').update(JSON.stringify(r)).digest('hex');
}

/** The organisation row a publisher is stored as: its orgnr, or `ext-` + 16 hex digits of its URI/name (external agent). */
export function publisherKey(p: HarvestPublisher, sourceId: string): string {
  if (p.orgnr) return p.orgnr;
  const basis = p.uri ?? (p.name ? `name:${p.name.toLowerCase()}` : `source:${sourceId}`);
  return `ext-${crypto.createHash('sha256').update(basis).digest('hex').slice(0, 16)}`;
}

function fieldsOf(r: HarvestRecord, orgnr: string): Fields {
  // Access rights a record does not state: public when it carries an open licence, else not public (the metadata is
  // listed either way; this only describes the data, which we do not host).
  const accessRights = r.accessRights ?? (isOpenLicence(r.licence) ? 'PUBLIC' : 'NON_PUBLIC');
  return {
    orgnr,
    title: JSON.stringify(r.title),
    description: JSON.stringify(r.description),
    keywords: JSON.stringify(r.keywords),
    themes: JSON.stringify(r.themes),
    los_themes: JSON.stringify(r.losThemes),
    access_rights: accessRights,
    licence: r.licence,
    contact_point: JSON.stringify(r.contactPoint),
    spatial: JSON.stringify(r.spatial),
    temporal_start: r.temporal.start,
    temporal_end: r.temporal.end,
    frequency: r.frequency,
    provenance: r.provenance,
    issued: r.issued,
    modified: r.modified,
    landing_page: r.landingPage,
  };
}

function extrasOf(r: HarvestRecord): RecordExtras {
  return { otherThemes: r.otherThemes, publisherUri: r.publisher.uri, publisherName: r.publisher.name, landingPage: r.landingPage };
}

function distributionRows(datasetId: string, r: HarvestRecord, now: string) {
  return r.distributions.map((d) => ({
    id: crypto.randomUUID(),
    dataset_id: datasetId,
    title: JSON.stringify(d.title),
    description: JSON.stringify(d.description),
    access_url: d.accessUrl ?? d.downloadUrl,
    download_url: d.downloadUrl,
    media_type: d.mediaType,
    format: d.format,
    licence: d.licence,
    byte_size: d.byteSize,
    blob_key: null,
    table_id: null,
    created_at: now,
    updated_at: now,
  }));
}

async function ensurePublishers(tx: Tx, records: HarvestRecord[], sourceId: string, sourceName: string, now: string): Promise<Map<string, string>> {
  const keys = new Map<string, HarvestRecord['publisher']>();
  for (const r of records) keys.set(publisherKey(r.publisher, sourceId), r.publisher);
  const byRecord = new Map<string, string>();
  for (const r of records) byRecord.set(r.key, publisherKey(r.publisher, sourceId));
  const wanted = [...keys.keys()];
  const existing = new Set<string>();
  for (let i = 0; i < wanted.length; i += 500) {
    const rows = await tx.selectFrom('organizations').select(['orgnr', 'name', 'harvested']).where('orgnr', 'in', wanted.slice(i, i + 500)).execute();
    for (const r of rows) {
      existing.add(r.orgnr);
      // A publisher row the harvest created follows what the sources call it (a real organisation's row is its own).
      const name = keys.get(r.orgnr)?.name;
      if (r.harvested === 1 && name && name !== r.name) await tx.updateTable('organizations').set({ name, updated_at: now }).where('orgnr', '=', r.orgnr).execute();
    }
  }
  const missing = wanted.filter((k) => !existing.has(k));
  for (let i = 0; i < missing.length; i += 200) {
    await tx
      .insertInto('organizations')
      .values(
        missing.slice(i, i + 200).map((orgnr) => {
          const p = keys.get(orgnr)!;
          return {
            orgnr,
            name: (p.name ?? (p.orgnr ? `Organisasjonsnummer ${p.orgnr}` : (p.uri ?? sourceName))).slice(0, 300),
            org_form: null,
            municipality: null,
            homepage: null,
            created_at: now,
            updated_at: now,
            status: 'approved' as const,
            claimed_by: null,
            claimed_at: null,
            claimed_name: null,
            decided_by: null,
            decided_at: null,
            rejection_reason: null,
            registry_checked_at: null,
            registry_source: null,
            registry_status: null,
            harvested: 1,
            agent_uri: p.uri,
          };
        }),
      )
      .execute();
  }
  return byRecord;
}

/** Datasets another source or our own catalogue already holds under this record's URI or identifier. */
async function findMergeTargets(tx: Tx, records: HarvestRecord[], sourceId: string, ownDatasetPrefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const refs = [...new Set(records.flatMap((r) => [r.uri, r.identifier].filter((x): x is string => !!x)))];
  if (refs.length === 0) return out;
  const byRef = new Map<string, string>();
  for (let i = 0; i < refs.length; i += 400) {
    const chunk = refs.slice(i, i + 400);
    const rows = await tx
      .selectFrom('harvest_records')
      .select(['uri', 'identifier', 'dataset_id'])
      .where('source_id', '!=', sourceId)
      .where((eb) => eb.or([eb('uri', 'in', chunk), eb('identifier', 'in', chunk)]))
      .execute();
    for (const r of rows) {
      if (r.uri) byRef.set(r.uri, r.dataset_id);
      if (r.identifier) byRef.set(r.identifier, r.dataset_id);
    }
  }
  const ownIds = records.flatMap((r) => [r.uri, r.identifier]).filter((x): x is string => !!x && x.startsWith(ownDatasetPrefix)).map((x) => x.slice(ownDatasetPrefix.length).split(/[/?#.]/)[0]!);
  const own = new Set<string>();
  for (let i = 0; i < ownIds.length; i += 400) {
    const rows = await tx.selectFrom('datasets').select('id').where('id', 'in', ownIds.slice(i, i + 400)).where('origin', '=', 'local').execute();
    for (const r of rows) own.add(r.id);
  }
  for (const r of records) {
    for (const ref of [r.uri, r.identifier]) {
      if (!ref) continue;
      if (ref.startsWith(ownDatasetPrefix)) {
        const id = ref.slice(ownDatasetPrefix.length).split(/[/?#.]/)[0]!;
        if (own.has(id)) {
          out.set(r.key, id);
          break;
        }
      }
      const hit = byRef.get(ref);
      if (hit) {
        out.set(r.key, hit);
        break;
      }
    }
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null);
}

/** Applies the staged records of a run; the caller runs it inside one transaction. */
export async function switchIn(tx: Tx, opts: { runId: string; sourceId: string; sourceName: string; ownDatasetPrefix: string }): Promise<SwitchCounts> {
  const { runId, sourceId } = opts;
  const counts: SwitchCounts = { added: 0, updated: 0, unchanged: 0, merged: 0, removed: 0 };
  const now = nowIso();
  // Every dataset this run adds, changes or removes is re-indexed in the same transaction, so search shows the switch
  // exactly when it happens (the catalog service's writes do the same).
  const touched: string[] = [];
  let after = '';
  for (;;) {
    const staged = await tx.selectFrom('harvest_staged').select(['record_key', 'hash', 'payload']).where('run_id', '=', runId).where('record_key', '>', after).orderBy('record_key').limit(SWITCH_BATCH).execute();
    if (staged.length === 0) break;
    after = staged[staged.length - 1]!.record_key;
    const keys = staged.map((s) => s.record_key);
    const known = new Map((await tx.selectFrom('harvest_records').selectAll().where('source_id', '=', sourceId).where('record_key', 'in', keys).execute()).map((r) => [r.record_key, r]));
    // A payload-less staged row was unchanged when it was staged (only one run per source runs at a time).
    const changed = staged.filter((s) => s.payload !== '' && known.get(s.record_key)?.hash !== s.hash);
    counts.unchanged += staged.length - changed.length;
    if (changed.length === 0) continue;
    const records = changed.map((s) => ({ hash: s.hash, record: JSON.parse(s.payload) as HarvestRecord }));
    const publisherOf = await ensurePublishers(tx, records.map((r) => r.record), sourceId, opts.sourceName, now);
    const fresh = records.filter((r) => !known.has(r.record.key));
    const mergeTargets = await findMergeTargets(tx, fresh.map((r) => r.record), sourceId, opts.ownDatasetPrefix);

    const newDatasets: NewDatasetRow[] = [];
    const newDistributions: ReturnType<typeof distributionRows> = [];
    const newLinks: { source_id: string; record_key: string; dataset_id: string; uri: string | null; identifier: string | null; hash: string; applied: string; extras: string; score: number; first_seen_at: string; last_seen_at: string }[] = [];
    for (const { hash, record } of fresh) {
      const fields = fieldsOf(record, publisherOf.get(record.key)!);
      const target = mergeTargets.get(record.key);
      const link = { source_id: sourceId, record_key: record.key, uri: record.uri, identifier: record.identifier, hash, extras: JSON.stringify(extrasOf(record)), score: qualityScore(record), first_seen_at: now, last_seen_at: now };
      if (target) {
        // Merged: the dataset keeps its owner; this source's record is remembered so removal and provenance know it.
        newLinks.push({ ...link, dataset_id: target, applied: JSON.stringify({ fields: {}, distributions: [] }) });
        counts.merged++;
        continue;
      }
      const id = crypto.randomUUID();
      const dists = distributionRows(id, record, now);
      newDatasets.push({ id, state: 'published', ...fields, legal_basis_restriction: null, legal_basis_processing: null, legal_basis_access: null, created_by: null, created_at: now, updated_at: now, published_at: now, origin: sourceId });
      newDistributions.push(...dists);
      newLinks.push({ ...link, dataset_id: id, applied: JSON.stringify({ fields, distributions: dists.map((d) => d.id) } satisfies Applied) });
      counts.added++;
    }
    for (let i = 0; i < newDatasets.length; i += 200) await tx.insertInto('datasets').values(newDatasets.slice(i, i + 200)).execute();
    touched.push(...newDatasets.map((d) => d.id), ...newLinks.map((l) => l.dataset_id));
    for (let i = 0; i < newDistributions.length; i += 400) await tx.insertInto('distributions').values(newDistributions.slice(i, i + 400)).execute();
    for (let i = 0; i < newLinks.length; i += 400) await tx.insertInto('harvest_records').values(newLinks.slice(i, i + 400)).execute();

    // Changed records of datasets we know: three-way merge per field.
    const changedKnown = records.filter((r) => known.has(r.record.key));
    if (changedKnown.length > 0) {
      const ids = changedKnown.map((r) => known.get(r.record.key)!.dataset_id);
      const rows = new Map((await tx.selectFrom('datasets').selectAll().where('id', 'in', ids).execute()).map((r) => [r.id, r]));
      for (const { hash, record } of changedKnown) {
        const link = known.get(record.key)!;
        const row = rows.get(link.dataset_id);
        const linkUpdate = { hash, extras: JSON.stringify(extrasOf(record)), score: qualityScore(record), last_seen_at: now, uri: record.uri, identifier: record.identifier };
        if (!row || row.origin !== sourceId) {
          // A merged record (another owner) or a dataset deleted here: only the link changes.
          await tx.updateTable('harvest_records').set(linkUpdate).where('source_id', '=', sourceId).where('record_key', '=', record.key).execute();
          counts.unchanged++;
          continue;
        }
        const previous = parseJson<Applied>(link.applied, { fields: {} as Fields, distributions: [] });
        const next = fieldsOf(record, publisherOf.get(record.key)!);
        const set: Partial<Fields> = {};
        for (const f of FIELD_NAMES) {
          const local = row[f];
          if (sameValue(local, previous.fields[f]) && !sameValue(local, next[f])) (set as Record<string, unknown>)[f] = next[f];
        }
        if (previous.distributions.length > 0) await tx.deleteFrom('distributions').where('dataset_id', '=', row.id).where('id', 'in', previous.distributions).execute();
        const dists = distributionRows(row.id, record, now);
        if (dists.length > 0) await tx.insertInto('distributions').values(dists).execute();
        await tx.updateTable('datasets').set({ ...set, updated_at: now }).where('id', '=', row.id).execute();
        touched.push(row.id);
        await tx
          .updateTable('harvest_records')
          .set({ ...linkUpdate, applied: JSON.stringify({ fields: { ...previous.fields, ...next }, distributions: dists.map((d) => d.id) } satisfies Applied) })
          .where('source_id', '=', sourceId)
          .where('record_key', '=', record.key)
          .execute();
        counts.updated++;
      }
    }
  }
  counts.removed = await removeGone(tx, runId, sourceId, touched);
  await tx.deleteFrom('harvest_staged').where('run_id', '=', runId).execute();
  for (let i = 0; i < touched.length; i += 500) await indexDatasets(tx, touched.slice(i, i + 500));
  return counts;
}

/** Records this source had before and not now; returns how many datasets left the catalogue. */
async function removeGone(tx: Tx, runId: string, sourceId: string, touched: string[]): Promise<number> {
  let removed = 0;
  for (;;) {
    const gone = await tx
      .selectFrom('harvest_records as r')
      .select(['r.record_key', 'r.dataset_id'])
      .where('r.source_id', '=', sourceId)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('harvest_staged as s').select('s.record_key').where('s.run_id', '=', runId).whereRef('s.record_key', '=', 'r.record_key'))))
      .limit(SWITCH_BATCH)
      .execute();
    if (gone.length === 0) break;
    await tx.deleteFrom('harvest_records').where('source_id', '=', sourceId).where('record_key', 'in', gone.map((g) => g.record_key)).execute();
    const ids = [...new Set(gone.map((g) => g.dataset_id))];
    touched.push(...ids);
    const owned = await tx.selectFrom('datasets').select('id').where('id', 'in', ids).where('origin', '=', sourceId).execute();
    for (const { id } of owned) {
      const other = await tx.selectFrom('harvest_records').select('source_id').where('dataset_id', '=', id).limit(1).executeTakeFirst();
      if (other) await tx.updateTable('datasets').set({ origin: other.source_id, updated_at: nowIso() }).where('id', '=', id).execute();
      else {
        await tx.deleteFrom('distributions').where('dataset_id', '=', id).execute();
        await tx.deleteFrom('datasets').where('id', '=', id).execute();
        removed++;
      }
    }
  }
  return removed;
}

/** Everything a source brought, removed in one transaction (when the source itself is deleted). */
export async function removeSourceDatasets(tx: Tx, sourceId: string): Promise<number> {
  const runId = `none-${crypto.randomUUID()}`;
  const touched: string[] = [];
  const removed = await removeGone(tx, runId, sourceId, touched);
  for (let i = 0; i < touched.length; i += 500) await indexDatasets(tx, touched.slice(i, i + 500));
  return removed;
}

export async function stageRecords(db: DbOrTx, runId: string, records: { key: string; hash: string; payload: string }[]): Promise<void> {
  for (let i = 0; i < records.length; i += 300) {
    await db
      .insertInto('harvest_staged')
      .values(records.slice(i, i + 300).map((r) => ({ run_id: runId, record_key: r.key, hash: r.hash, payload: r.payload })))
      .onConflict((oc) => oc.columns(['run_id', 'record_key']).doNothing())
      .execute();
  }
}
