// Metadata quality (issue 9.7): data.norge.no's quality model (MQA, 435 points) as pure rules. One function,
// scoreDataset(), turns a dataset (the catalogue's metadata, never data values) and the reachability facts of its
// distributions into a score, the points per dimension, a rating and concrete hints ("add a licence: +20 points").
//
// The metrics and their points are data.norge.no's (resources/quality/dcatno-mqa-vocabulary-default-score-values.ttl,
// checked against this table by model.test.ts). As in the MQA, a dataset's score is that of its best distribution
// merged with the dataset-level metrics. The rating thresholds are data.norge.no's own
// (https://data.norge.no/en/docs/metadata-quality): ≥ 75 % excellent, ≥ 50 % good, ≥ 25 % sufficient, else poor.
//
// Where our catalogue cannot express a metric the rule says so (`expressible: false`) and it scores 0: dct:rights on a
// distribution (5 points) has no field here, so a complete dataset reaches 430 of 435. Two rules are approximations,
// said here so nobody mistakes them for data.norge.no's: `dcatApCompliance` checks the properties DCAT-AP-NO makes
// mandatory for a dataset (title, description, publisher) instead of running the SHACL shapes on every view, and
// `syntaxValid` for an external file is only known for JSON and CSV bodies within the check's size cap.
import { ACCESS_RIGHTS, type Dataset, type Distribution } from '../catalog/model';
import { findLicence } from '../catalog/vocabularies';

export const MQA_MAX = 435;

export const DIMENSIONS = ['findability', 'accessibility', 'interoperability', 'reusability', 'contextuality'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const RATINGS = ['excellent', 'good', 'sufficient', 'poor'] as const;
export type Rating = (typeof RATINGS)[number];

/** Where an editor fixes a metric: a field of the dataset form, or the dataset page's distributions/tables. */
export type HintTarget = { kind: 'field'; field: string } | { kind: 'distributions' };

export interface Metric {
  id: string;
  dimension: Dimension;
  points: number;
  /** Measured on the dataset, or on each distribution (the best one counts). */
  level: 'dataset' | 'distribution';
  /** False where the catalogue has no field for it: it scores 0 and gives no hint. */
  expressible: boolean;
  target: HintTarget;
}

const field = (f: string): HintTarget => ({ kind: 'field', field: f });
const dists: HintTarget = { kind: 'distributions' };

/** data.norge.no's metrics, in its order, with its points (dcatno-mqa default score values). */
export const METRICS: readonly Metric[] = [
  { id: 'keywordAvailability', dimension: 'findability', points: 30, level: 'dataset', expressible: true, target: field('keywords_nb') },
  { id: 'categoryAvailability', dimension: 'findability', points: 30, level: 'dataset', expressible: true, target: field('themes') },
  { id: 'spatialAvailability', dimension: 'findability', points: 20, level: 'dataset', expressible: true, target: field('spatial') },
  { id: 'temporalAvailability', dimension: 'findability', points: 20, level: 'dataset', expressible: true, target: field('temporal_start') },
  { id: 'accessUrlStatusCode', dimension: 'accessibility', points: 50, level: 'distribution', expressible: true, target: dists },
  { id: 'downloadUrlAvailability', dimension: 'accessibility', points: 20, level: 'distribution', expressible: true, target: dists },
  { id: 'downloadUrlStatusCode', dimension: 'accessibility', points: 30, level: 'distribution', expressible: true, target: dists },
  { id: 'formatAvailability', dimension: 'interoperability', points: 20, level: 'distribution', expressible: true, target: dists },
  { id: 'mediaTypeAvailability', dimension: 'interoperability', points: 10, level: 'distribution', expressible: true, target: dists },
  { id: 'formatMediaTypeVocabularyAlignment', dimension: 'interoperability', points: 10, level: 'distribution', expressible: true, target: dists },
  { id: 'formatMediaTypeNonProprietary', dimension: 'interoperability', points: 20, level: 'distribution', expressible: true, target: dists },
  { id: 'formatMediaTypeMachineInterpretable', dimension: 'interoperability', points: 20, level: 'distribution', expressible: true, target: dists },
  { id: 'dcatApCompliance', dimension: 'interoperability', points: 30, level: 'dataset', expressible: true, target: field('description_nb') },
  { id: 'formatMatch', dimension: 'interoperability', points: 15, level: 'distribution', expressible: true, target: dists },
  { id: 'syntaxValid', dimension: 'interoperability', points: 15, level: 'distribution', expressible: true, target: dists },
  { id: 'licenceAvailability', dimension: 'reusability', points: 20, level: 'dataset', expressible: true, target: field('licence') },
  { id: 'knownLicence', dimension: 'reusability', points: 10, level: 'dataset', expressible: true, target: field('licence') },
  { id: 'accessRightsAvailability', dimension: 'reusability', points: 10, level: 'dataset', expressible: true, target: field('accessRights') },
  { id: 'accessRightsVocabularyAlignment', dimension: 'reusability', points: 5, level: 'dataset', expressible: true, target: field('accessRights') },
  { id: 'contactPointAvailability', dimension: 'reusability', points: 20, level: 'dataset', expressible: true, target: field('contact_email') },
  { id: 'publisherAvailability', dimension: 'reusability', points: 10, level: 'dataset', expressible: true, target: field('orgnr') },
  { id: 'rightsAvailability', dimension: 'contextuality', points: 5, level: 'distribution', expressible: false, target: dists },
  { id: 'byteSizeAvailability', dimension: 'contextuality', points: 5, level: 'distribution', expressible: true, target: dists },
  { id: 'dateIssuedAvailability', dimension: 'contextuality', points: 5, level: 'dataset', expressible: true, target: field('issued') },
  { id: 'dateModifiedAvailability', dimension: 'contextuality', points: 5, level: 'dataset', expressible: true, target: field('modified') },
];

export type MetricId = (typeof METRICS)[number]['id'];

/** The most a dataset in this catalogue can reach (435 less what it cannot express). */
export const EXPRESSIBLE_MAX = METRICS.filter((m) => m.expressible).reduce((s, m) => s + m.points, 0);

// --- formats ---------------------------------------------------------------------------------------------------------

interface FileType {
  mediaTypes: string[];
  nonProprietary: boolean;
  machineReadable: boolean;
}

/**
 * The EU file types the catalogue writes (src/interop/dcat/vocabulary.ts EU_FILE_TYPES), with their IANA media types
 * and the two flags of data.europa.eu's MQA lists (non-proprietary, machine-readable), which data.norge.no reuses.
 * Hand-written: no package carries these lists; a format outside the table scores as unknown.
 */
export const FILE_TYPES: Readonly<Record<string, FileType>> = {
  CSV: { mediaTypes: ['text/csv'], nonProprietary: true, machineReadable: true },
  TSV: { mediaTypes: ['text/tab-separated-values'], nonProprietary: true, machineReadable: true },
  JSON: { mediaTypes: ['application/json'], nonProprietary: true, machineReadable: true },
  JSON_LD: { mediaTypes: ['application/ld+json'], nonProprietary: true, machineReadable: true },
  GEOJSON: { mediaTypes: ['application/geo+json', 'application/vnd.geo+json'], nonProprietary: true, machineReadable: true },
  XML: { mediaTypes: ['application/xml', 'text/xml'], nonProprietary: true, machineReadable: true },
  RDF_XML: { mediaTypes: ['application/rdf+xml'], nonProprietary: true, machineReadable: true },
  RDF_TURTLE: { mediaTypes: ['text/turtle'], nonProprietary: true, machineReadable: true },
  RDF_N_TRIPLES: { mediaTypes: ['application/n-triples'], nonProprietary: true, machineReadable: true },
  PARQUET: { mediaTypes: ['application/vnd.apache.parquet', 'application/x-parquet'], nonProprietary: true, machineReadable: true },
  XLSX: { mediaTypes: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], nonProprietary: false, machineReadable: true },
  XLS: { mediaTypes: ['application/vnd.ms-excel'], nonProprietary: false, machineReadable: true },
  ODS: { mediaTypes: ['application/vnd.oasis.opendocument.spreadsheet'], nonProprietary: true, machineReadable: true },
  PDF: { mediaTypes: ['application/pdf'], nonProprietary: true, machineReadable: false },
  ZIP: { mediaTypes: ['application/zip'], nonProprietary: true, machineReadable: false },
  TXT: { mediaTypes: ['text/plain'], nonProprietary: true, machineReadable: false },
  HTML: { mediaTypes: ['text/html'], nonProprietary: true, machineReadable: false },
  SHP: { mediaTypes: ['application/x-shapefile', 'application/vnd.shp'], nonProprietary: false, machineReadable: true },
  GML: { mediaTypes: ['application/gml+xml'], nonProprietary: true, machineReadable: true },
  KML: { mediaTypes: ['application/vnd.google-earth.kml+xml'], nonProprietary: true, machineReadable: true },
  GPKG: { mediaTypes: ['application/geopackage+sqlite3'], nonProprietary: true, machineReadable: true },
  SQL: { mediaTypes: ['application/sql'], nonProprietary: true, machineReadable: false },
  DOCX: { mediaTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'], nonProprietary: false, machineReadable: false },
  ODT: { mediaTypes: ['application/vnd.oasis.opendocument.text'], nonProprietary: true, machineReadable: false },
};

const FILE_TYPE_URI = /^https?:\/\/publications\.europa\.eu\/resource\/authority\/file-type\/([A-Za-z0-9_]+)$/;

/** "csv", "CSV" or the EU file-type URI → "CSV"; anything else as given, upper-cased. */
export function fileTypeCode(format: string): string {
  const m = FILE_TYPE_URI.exec(format.trim());
  return (m ? m[1]! : format.trim()).toUpperCase();
}

/** "text/csv; charset=utf-8" → "text/csv"; IANA URIs (https://www.iana.org/assignments/media-types/text/csv) too. */
export function bareMediaType(mediaType: string): string {
  const s = mediaType.trim().replace(/^https?:\/\/www\.iana\.org\/assignments\/media-types\//i, '');
  return (s.split(';')[0] ?? '').trim().toLowerCase();
}

function fileTypeOf(format: string | null, mediaType: string | null): FileType | undefined {
  if (format && FILE_TYPES[fileTypeCode(format)]) return FILE_TYPES[fileTypeCode(format)];
  if (mediaType) {
    const mt = bareMediaType(mediaType);
    return Object.values(FILE_TYPES).find((f) => f.mediaTypes.includes(mt));
  }
  return undefined;
}

// --- facts -----------------------------------------------------------------------------------------------------------

/** What the URL check job found for one URL (stored in quality_url_checks). */
export interface UrlCheck {
  ok: boolean;
  status: number | null;
  contentType: string | null;
  /** JSON/CSV bodies within the size cap: did they parse; null when not known. */
  syntaxValid: boolean | null;
  error: string | null;
  checkedAt: string;
}

/** Reachability facts of one distribution. Hosted tables and files are served by this platform and count as reachable. */
export interface DistributionFacts {
  hosted: boolean;
  /** A hosted table with a ready version (the ingest read it), or a hosted file that exists. */
  hostedReady: boolean;
  hostedByteSize: number | null;
  accessCheck: UrlCheck | null;
  downloadCheck: UrlCheck | null;
}

export const NO_FACTS: DistributionFacts = { hosted: false, hostedReady: false, hostedByteSize: null, accessCheck: null, downloadCheck: null };

/** A distribution is hosted when this platform serves its bytes (a table or a stored file). */
export function isHosted(d: Pick<Distribution, 'tableId'> & { blobKey?: string | null }): boolean {
  return d.tableId !== null || (d.blobKey ?? null) !== null;
}

/** The external URLs of a distribution the check job must look at (none for hosted ones). */
export function urlsToCheck(d: Distribution, hosted: boolean): string[] {
  if (hosted) return [];
  return [...new Set([d.accessUrl, d.downloadUrl].filter((u): u is string => typeof u === 'string' && u.length > 0))];
}

// --- the rules -------------------------------------------------------------------------------------------------------

const nonEmpty = (s: string | null | undefined): boolean => typeof s === 'string' && s.trim().length > 0;
const anyText = (t: object): boolean => Object.values(t).some((v) => nonEmpty(v as string | undefined));

/** Dataset-level rules: metric id → met. */
export function datasetRules(ds: Dataset): Record<string, boolean> {
  const keywords = Object.values(ds.keywords ?? {}).some((l) => Array.isArray(l) && l.some((k) => nonEmpty(k)));
  const cp = ds.contactPoint ?? {};
  const accessRights = ds.accessRights as string | null | undefined;
  return {
    keywordAvailability: keywords,
    // In DCAT-AP-NO both EU data themes and LOS themes are dcat:theme.
    categoryAvailability: (ds.themes ?? []).length > 0 || (ds.losThemes ?? []).length > 0,
    spatialAvailability: (ds.spatial ?? []).length > 0,
    temporalAvailability: nonEmpty(ds.temporal?.start) || nonEmpty(ds.temporal?.end),
    dcatApCompliance: anyText(ds.title ?? {}) && anyText(ds.description ?? {}) && nonEmpty(ds.publisher?.orgnr),
    accessRightsAvailability: nonEmpty(accessRights),
    accessRightsVocabularyAlignment: (ACCESS_RIGHTS as readonly string[]).includes(accessRights ?? ''),
    // A vCard needs a way to reach someone: e-mail, phone or a contact page (a name alone is not a contact point).
    contactPointAvailability: nonEmpty(cp.email) || nonEmpty(cp.phone) || nonEmpty(cp.url),
    publisherAvailability: nonEmpty(ds.publisher?.orgnr),
    // The MQA reads dct:license on distributions; ours inherit the dataset's (src/tables: a new table's distribution
    // takes the dataset licence), so the dataset's licence or any distribution's counts — also before the first
    // distribution, so that the hint "add a licence" pays what it promises.
    licenceAvailability: nonEmpty(ds.licence) || (ds.distributions ?? []).some((d) => nonEmpty(d.licence)),
    knownLicence: findLicence(ds.licence) !== undefined || (ds.distributions ?? []).some((d) => findLicence(d.licence) !== undefined),
    dateIssuedAvailability: nonEmpty(ds.issued),
    dateModifiedAvailability: nonEmpty(ds.modified),
  };
}

/** Distribution-level rules for one distribution: metric id → met. */
export function distributionRules(d: Distribution, facts: DistributionFacts): Record<string, boolean> {
  const type = fileTypeOf(d.format, d.mediaType);
  const accessCheck = facts.accessCheck ?? (d.accessUrl ? null : facts.downloadCheck);
  const bodyCheck = facts.downloadCheck ?? facts.accessCheck;
  let formatMatch = false;
  let syntaxValid = false;
  if (facts.hosted) {
    // What we serve is what the ingest read: a table's rows come out as CSV.
    const declared = d.tableId !== null ? type === FILE_TYPES.CSV || (!d.format && !d.mediaType) : true;
    formatMatch = facts.hostedReady && declared && (d.format !== null || d.mediaType !== null);
    syntaxValid = facts.hostedReady;
  } else if (bodyCheck?.ok) {
    const served = bodyCheck.contentType ? bareMediaType(bodyCheck.contentType) : '';
    const expected = new Set<string>([...(type?.mediaTypes ?? []), ...(d.mediaType ? [bareMediaType(d.mediaType)] : [])]);
    formatMatch = served !== '' && expected.has(served);
    syntaxValid = bodyCheck.syntaxValid === true;
  }
  return {
    accessUrlStatusCode: facts.hosted || accessCheck?.ok === true,
    downloadUrlAvailability: facts.hosted || nonEmpty(d.downloadUrl),
    downloadUrlStatusCode: facts.hosted || (nonEmpty(d.downloadUrl) && facts.downloadCheck?.ok === true),
    formatAvailability: nonEmpty(d.format),
    mediaTypeAvailability: nonEmpty(d.mediaType),
    formatMediaTypeVocabularyAlignment: type !== undefined,
    formatMediaTypeNonProprietary: type?.nonProprietary === true,
    formatMediaTypeMachineInterpretable: type?.machineReadable === true,
    formatMatch,
    syntaxValid,
    rightsAvailability: false,
    byteSizeAvailability: d.byteSize !== null || (facts.hosted && facts.hostedByteSize !== null),
  };
}

export interface MetricResult {
  id: string;
  dimension: Dimension;
  points: number;
  earned: number;
  expressible: boolean;
}

export interface Hint {
  metric: string;
  dimension: Dimension;
  /** What meeting the metric adds to the score. */
  points: number;
  target: HintTarget;
}

export interface QualityResult {
  score: number;
  max: number;
  /** The most this catalogue can express (435 less dct:rights). */
  expressibleMax: number;
  percent: number;
  rating: Rating;
  dimensions: { id: Dimension; score: number; max: number }[];
  metrics: MetricResult[];
  hints: Hint[];
  /** The distribution whose metrics count (the best one), null without distributions. */
  bestDistributionId: string | null;
}

/** data.norge.no's levels on the share of 435 points. */
export function ratingOf(score: number, max = MQA_MAX): Rating {
  if (score * 100 >= 75 * max) return 'excellent';
  if (score * 100 >= 50 * max) return 'good';
  if (score * 100 >= 25 * max) return 'sufficient';
  return 'poor';
}

const DIST_METRICS = METRICS.filter((m) => m.level === 'distribution');

function distributionPoints(met: Record<string, boolean>): number {
  return DIST_METRICS.reduce((s, m) => s + (m.expressible && met[m.id] ? m.points : 0), 0);
}

/**
 * Scores a dataset: dataset-level metrics plus those of its best distribution. `facts` gives the reachability of each
 * distribution by id (absent = external and not checked yet, i.e. not reachable).
 */
export function scoreDataset(ds: Dataset, facts: Readonly<Record<string, DistributionFacts>> = {}): QualityResult {
  const dsMet = datasetRules(ds);
  let best: { id: string; met: Record<string, boolean>; points: number } | null = null;
  for (const d of ds.distributions ?? []) {
    const met = distributionRules(d, facts[d.id] ?? NO_FACTS);
    const points = distributionPoints(met);
    if (!best || points > best.points) best = { id: d.id, met, points };
  }
  const metrics: MetricResult[] = METRICS.map((m) => {
    const met = m.level === 'dataset' ? dsMet[m.id] === true : best?.met[m.id] === true;
    return { id: m.id, dimension: m.dimension, points: m.points, earned: m.expressible && met ? m.points : 0, expressible: m.expressible };
  });
  const score = metrics.reduce((s, m) => s + m.earned, 0);
  const dimensions = DIMENSIONS.map((id) => {
    const of = metrics.filter((m) => m.dimension === id);
    return { id, score: of.reduce((s, m) => s + m.earned, 0), max: of.reduce((s, m) => s + m.points, 0) };
  });
  const hints: Hint[] = METRICS.filter((m, i) => m.expressible && metrics[i]!.earned === 0)
    .map((m) => ({ metric: m.id, dimension: m.dimension, points: m.points, target: m.target }))
    .sort((a, b) => b.points - a.points);
  return {
    score,
    max: MQA_MAX,
    expressibleMax: EXPRESSIBLE_MAX,
    percent: Math.round((score * 1000) / MQA_MAX) / 10,
    rating: ratingOf(score),
    dimensions,
    metrics,
    hints,
    bestDistributionId: best?.id ?? null,
  };
}

export interface OrganisationQuality {
  orgnr: string;
  datasets: number;
  averageScore: number | null;
  averagePercent: number | null;
  rating: Rating | null;
  ratings: Record<Rating, number>;
}

/** The average and the distribution of ratings over an organisation's scored datasets. */
export function summarise(orgnr: string, results: Pick<QualityResult, 'score' | 'rating'>[]): OrganisationQuality {
  const ratings: Record<Rating, number> = { excellent: 0, good: 0, sufficient: 0, poor: 0 };
  for (const r of results) ratings[r.rating]++;
  if (results.length === 0) return { orgnr, datasets: 0, averageScore: null, averagePercent: null, rating: null, ratings };
  const avg = results.reduce((s, r) => s + r.score, 0) / results.length;
  return { orgnr, datasets: results.length, averageScore: Math.round(avg * 10) / 10, averagePercent: Math.round((avg * 1000) / MQA_MAX) / 10, rating: ratingOf(avg), ratings };
}

/** The stored result of the URL check job (migration 20261202-009-quality). */
export interface QualityUrlChecksTable {
  url_hash: string;
  url: string;
  ok: number;
  status: number | null;
  content_type: string | null;
  syntax_valid: number | null;
  error: string | null;
  requested_at: string;
  checked_at: string | null;
}
