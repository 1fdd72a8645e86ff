// The catalogue: datasets (DCAT-AP-NO metadata) and their distributions. Rules:
// - editors and admins of the publishing organisation create and edit datasets (the access door decides);
// - drafts and archived datasets are visible to the organisation's members only, and are "not found" for others;
// - publishing needs a title, a description, a publisher, access rights and, for PUBLIC datasets, a licence;
// - every value from a controlled vocabulary (themes, LOS, frequency, spatial codes) is checked against it.
// Changes that touch more than one table (state + audit log, distribution + dataset) run in one transaction.
import crypto from 'node:crypto';
import { sql, type SelectQueryBuilder } from 'kysely';
import { ANONYMOUS as ANONYMOUS_ACTOR, type Actor } from '../access/model';
import { recordAudit } from '../access/audit';
import { authorizeData, datasetResourceFor, resolveDataAccess } from '../access/data-access';
import { authorize, datasetVisibility } from '../access/service';
import type { Database, Db, DbOrTx } from '../database';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { fylkeOf, validateKommunenummer } from '../identifiers/kommunenummer';
import { validateOrgnr } from '../identifiers/orgnr';
import { isHttpUrl } from '../identifiers/url';
import { nowIso, parseJson } from '../platform/db/index';
import { publishBlocker } from '../organisations/service';
import {
  ACCESS_RIGHTS,
  type AccessRights,
  type ContactPoint,
  type Dataset,
  type DatasetInput,
  type DatasetPatch,
  type DatasetRow,
  type DatasetSort,
  type DatasetState,
  type Distribution,
  type DistributionInput,
  type DistributionRow,
  type LangList,
  type LangText,
} from './model';
import { indexDatasets } from '../search/indexer';
import { datasetMatches } from '../search/query';
import { queryTerms } from '../search/text';
import { EU_THEME_BASE, findEuTheme, findLicence, frequencyCode, isLosUri } from './vocabularies';
import { normaliseDate, type Lang } from './tolerant';

export const LIST_LIMIT_MAX = 100;
export const LANGS = ['nb', 'nn', 'en'] as const;

export function datasetNotFound(id: string): NotFoundError {
  return new NotFoundError('Dataset', id, 'dataset_not_found');
}

// --- validation -------------------------------------------------------------------------------------------------

function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function isIsoDateOrDateTime(s: string): boolean {
  if (isIsoDate(s)) return true;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)) && isIsoDate(s.slice(0, 10));
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trims, drops empty strings; `undefined` stays undefined (= not given), empty becomes null (= cleared). */
function optionalText(v: string | null | undefined): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  const t = v.trim();
  return t === '' ? null : t;
}

class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, code: string, message: string): void {
    this.list.push({ field, code, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

/** The language tag `no` (Norwegian, as many catalogues write it) is bokmål when no `nb` is given (./tolerant). */
function withNoAsNb<T>(v: { [K in Lang]?: T }): { [K in Lang]?: T } {
  const { no, ...rest } = v as { [K in Lang | 'no']?: T };
  return rest.nb === undefined && no !== undefined ? { ...rest, nb: no } : rest;
}

function cleanLangText(raw: LangText | undefined, field: string, max: number, p: Problems): LangText | undefined {
  if (raw === undefined) return undefined;
  const v = withNoAsNb<string>(raw);
  const out: LangText = {};
  for (const lang of LANGS) {
    const t = v[lang]?.trim();
    if (!t) continue;
    if (t.length > max) p.add(`${field}/${lang}`, 'too_long', `${field.slice(1)} (${lang}) may be at most ${max} characters.`);
    else out[lang] = t;
  }
  return out;
}

function cleanLangList(raw: LangList | undefined, field: string, p: Problems): LangList | undefined {
  if (raw === undefined) return undefined;
  const v = withNoAsNb<string[]>(raw);
  const out: LangList = {};
  for (const lang of LANGS) {
    const words = [...new Set((v[lang] ?? []).map((w) => w.trim()).filter((w) => w !== ''))];
    if (words.some((w) => w.length > 100)) p.add(`${field}/${lang}`, 'too_long', 'A keyword may be at most 100 characters.');
    else if (words.length > 50) p.add(`${field}/${lang}`, 'too_many', 'At most 50 keywords per language.');
    else if (words.length > 0) out[lang] = words;
  }
  return out;
}

function cleanThemes(v: string[] | undefined, p: Problems): string[] | undefined {
  if (v === undefined) return undefined;
  const out: string[] = [];
  v.forEach((raw, i) => {
    const s = raw.trim();
    const uri = /^[A-Z_]+$/.test(s) ? `${EU_THEME_BASE}${s}` : s;
    if (findEuTheme(uri)) out.push(uri);
    else p.add(`/themes/${i}`, 'unknown_theme', `"${s}" is not an EU data theme (${EU_THEME_BASE}…).`);
  });
  return [...new Set(out)];
}

function cleanLosThemes(v: string[] | undefined, p: Problems): string[] | undefined {
  if (v === undefined) return undefined;
  const out: string[] = [];
  v.forEach((raw, i) => {
    const s = raw.trim();
    if (isLosUri(s)) out.push(s);
    else p.add(`/losThemes/${i}`, 'unknown_los_theme', `"${s}" is not a LOS theme or word (https://psi.norge.no/los/…).`);
  });
  return [...new Set(out)];
}

function cleanSpatial(v: string[] | undefined, p: Problems): string[] | undefined {
  if (v === undefined) return undefined;
  const out: string[] = [];
  v.forEach((raw, i) => {
    const s = raw.trim();
    if (s === '') return;
    if (/^\d{2}$/.test(s)) {
      if (fylkeOf(s)) out.push(s);
      else p.add(`/spatial/${i}`, 'invalid_fylkesnummer', `${s} is not a fylkesnummer (county code).`);
      return;
    }
    const r = validateKommunenummer(s);
    if (r.valid) out.push(r.value);
    else p.add(`/spatial/${i}`, 'invalid_kommunenummer', r.message);
  });
  return [...new Set(out)];
}

function cleanContact(v: ContactPoint | undefined, p: Problems): ContactPoint | undefined {
  if (v === undefined) return undefined;
  const out: ContactPoint = {};
  const name = optionalText(v.name);
  if (name) out.name = name.slice(0, 200);
  const email = optionalText(v.email);
  if (email) {
    if (EMAIL.test(email) && email.length <= 254) out.email = email;
    else p.add('/contactPoint/email', 'invalid_email', `"${email.slice(0, 60)}" is not an e-mail address.`);
  }
  const phone = optionalText(v.phone);
  if (phone) {
    if (/^\+?[\d\s()-]{5,25}$/.test(phone)) out.phone = phone;
    else p.add('/contactPoint/phone', 'invalid_phone', 'The phone number may contain digits, spaces and a leading +.');
  }
  const url = optionalText(v.url);
  if (url) {
    if (isHttpUrl(url)) out.url = url;
    else p.add('/contactPoint/url', 'invalid_url', 'The contact URL must be an absolute http(s) URL.');
  }
  return out;
}

/** A user-supplied link: http(s) only (isHttpUrl), so no `javascript:` or `data:` link ever reaches a page. */
function cleanUrl(v: string | null | undefined, field: string, p: Problems): string | null | undefined {
  const s = optionalText(v);
  if (!s) return s;
  if (isHttpUrl(s)) return s;
  p.add(field, 'invalid_url', `${field.slice(1)} must be an absolute http(s) URL.`);
  return undefined;
}

/** A licence: an http(s) URL, or a known licence written another way (stored as its canonical URI). */
function cleanLicence(v: string | null | undefined, field: string, p: Problems): string | null | undefined {
  const s = optionalText(v);
  if (!s) return s;
  if (isHttpUrl(s)) return s;
  const known = findLicence(s);
  if (known && isHttpUrl(known.uri)) return known.uri;
  p.add(field, 'invalid_url', `${field.slice(1)} must be an absolute http(s) URL, such as https://data.norge.no/nlod/no/2.0.`);
  return undefined;
}

function cleanDate(v: string | null | undefined, field: string, p: Problems, allowTime: boolean): string | null | undefined {
  const s = optionalText(v);
  if (!s) return s;
  if (allowTime ? isIsoDateOrDateTime(s) : isIsoDate(s)) return s;
  // As tolerant as harvesting (./tolerant): a date-time without a zone is Norwegian local time (stored in UTC), and
  // DD.MM.YYYY is a date.
  const tolerated = normaliseDate(s);
  if (tolerated && (allowTime || tolerated.length === 10)) return tolerated;
  p.add(field, 'invalid_date', `${field.slice(1)} must be a date as YYYY-MM-DD${allowTime ? ' (or an ISO date-time)' : ''}.`);
  return undefined;
}

function cleanFreeText(v: string | null | undefined, field: string, max: number, p: Problems): string | null | undefined {
  const s = optionalText(v);
  if (s && s.length > max) {
    p.add(field, 'too_long', `${field.slice(1)} may be at most ${max} characters.`);
    return undefined;
  }
  return s;
}

/** Column values from a (partial) input; only the fields given are set. Problems are collected in `p`. */
function datasetColumns(input: DatasetPatch, p: Problems): Partial<DatasetRow> {
  const cols: Partial<DatasetRow> = {};
  const title = cleanLangText(input.title, '/title', 300, p);
  if (title) cols.title = JSON.stringify(title);
  const description = cleanLangText(input.description, '/description', 20_000, p);
  if (description) cols.description = JSON.stringify(description);
  const keywords = cleanLangList(input.keywords, '/keywords', p);
  if (keywords) cols.keywords = JSON.stringify(keywords);
  const themes = cleanThemes(input.themes, p);
  if (themes) cols.themes = JSON.stringify(themes);
  const los = cleanLosThemes(input.losThemes, p);
  if (los) cols.los_themes = JSON.stringify(los);
  if (input.accessRights !== undefined) {
    if ((ACCESS_RIGHTS as readonly string[]).includes(input.accessRights)) cols.access_rights = input.accessRights;
    else p.add('/accessRights', 'invalid_access_rights', `Access rights must be one of ${ACCESS_RIGHTS.join(', ')}.`);
  }
  const licence = cleanLicence(input.licence, '/licence', p);
  if (licence !== undefined) cols.licence = licence;
  const contact = cleanContact(input.contactPoint, p);
  if (contact) cols.contact_point = JSON.stringify(contact);
  const spatial = cleanSpatial(input.spatial, p);
  if (spatial) cols.spatial = JSON.stringify(spatial);
  if (input.temporal !== undefined) {
    const start = cleanDate(input.temporal.start, '/temporal/start', p, false);
    const end = cleanDate(input.temporal.end, '/temporal/end', p, false);
    if (start !== undefined) cols.temporal_start = start;
    if (end !== undefined) cols.temporal_end = end;
    if (start && end && end < start) p.add('/temporal/end', 'end_before_start', 'The end of the period is before its start.');
  }
  if (input.frequency !== undefined) {
    const f = optionalText(input.frequency);
    if (!f) cols.frequency = null;
    else {
      const code = frequencyCode(f);
      if (code) cols.frequency = code;
      else p.add('/frequency', 'unknown_frequency', `"${f}" is not an EU frequency code (e.g. ANNUAL, MONTHLY, DAILY).`);
    }
  }
  const provenance = cleanFreeText(input.provenance, '/provenance', 5000, p);
  if (provenance !== undefined) cols.provenance = provenance;
  const issued = cleanDate(input.issued, '/issued', p, true);
  if (issued !== undefined) cols.issued = issued;
  const modified = cleanDate(input.modified, '/modified', p, true);
  if (modified !== undefined) cols.modified = modified;
  const landing = cleanUrl(input.landingPage, '/landingPage', p);
  if (landing !== undefined) cols.landing_page = landing;
  if (input.hidden !== undefined) {
    if (typeof input.hidden === 'boolean') cols.hidden = input.hidden ? 1 : 0;
    else p.add('/hidden', 'invalid_hidden', 'hidden is true or false.');
  }
  if (input.legalBasis !== undefined) {
    const lb = input.legalBasis;
    const r = cleanFreeText(lb.restriction, '/legalBasis/restriction', 2000, p);
    const pr = cleanFreeText(lb.processing, '/legalBasis/processing', 2000, p);
    const a = cleanFreeText(lb.access, '/legalBasis/access', 2000, p);
    if (r !== undefined) cols.legal_basis_restriction = r;
    if (pr !== undefined) cols.legal_basis_processing = pr;
    if (a !== undefined) cols.legal_basis_access = a;
  }
  return cols;
}

/** What stops a dataset from being published (empty when it may be). */
export function missingForPublish(ds: Pick<Dataset, 'title' | 'description' | 'publisher' | 'accessRights' | 'licence'> & { contactPoint?: ContactPoint }): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!ds.title.nb && !ds.title.en && !ds.title.nn) out.push({ field: '/title', code: 'required_for_publish', message: 'A title is required to publish.' });
  if (!ds.description.nb && !ds.description.en && !ds.description.nn) out.push({ field: '/description', code: 'required_for_publish', message: 'A description is required to publish.' });
  if (!ds.publisher.orgnr) out.push({ field: '/orgnr', code: 'required_for_publish', message: 'A publisher is required to publish.' });
  if (!ds.accessRights) out.push({ field: '/accessRights', code: 'required_for_publish', message: 'Access rights are required to publish.' });
  if (ds.accessRights === 'PUBLIC' && !ds.licence) out.push({ field: '/licence', code: 'required_for_publish', message: 'A dataset with public access needs a licence to be published.' });
  // Restricted and non-public data is shared on request: whoever wants it must know whom to ask (issue 7).
  if ((ds.accessRights === 'RESTRICTED' || ds.accessRights === 'NON_PUBLIC') && ds.contactPoint !== undefined && !ds.contactPoint.email && !ds.contactPoint.phone && !ds.contactPoint.url) {
    out.push({ field: '/contactPoint', code: 'contact_required_for_publish', message: 'A dataset with restricted or non-public access needs a contact point (e-mail, phone or URL) to be published.' });
  }
  return out;
}

// --- presentation -----------------------------------------------------------------------------------------------

/** A distribution row with the name of the hosted table it feeds (null when it feeds none). */
type DistributionWithTable = DistributionRow & { table_name: string | null };

function distributionQuery(db: DbOrTx) {
  return db.selectFrom('distributions').leftJoin('tables', 'tables.id', 'distributions.table_id').selectAll('distributions').select('tables.name as table_name');
}

export function presentDistribution(r: DistributionWithTable): Distribution {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    title: parseJson<LangText>(r.title, {}),
    description: parseJson<LangText>(r.description, {}),
    accessUrl: r.access_url,
    downloadUrl: r.download_url,
    mediaType: r.media_type,
    format: r.format,
    licence: r.licence,
    byteSize: r.byte_size === null ? null : Number(r.byte_size),
    tableId: r.table_id,
    tableName: r.table_name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function presentDataset(r: DatasetRow & { publisher_name: string }, distributions: Distribution[]): Dataset {
  return {
    id: r.id,
    state: r.state,
    publisher: { orgnr: r.orgnr, name: r.publisher_name },
    title: parseJson<LangText>(r.title, {}),
    description: parseJson<LangText>(r.description, {}),
    keywords: parseJson<LangList>(r.keywords, {}),
    themes: parseJson<string[]>(r.themes, []),
    losThemes: parseJson<string[]>(r.los_themes, []),
    accessRights: r.access_rights,
    licence: r.licence,
    contactPoint: parseJson<ContactPoint>(r.contact_point, {}),
    spatial: parseJson<string[]>(r.spatial, []),
    temporal: { start: r.temporal_start, end: r.temporal_end },
    frequency: r.frequency,
    provenance: r.provenance,
    issued: r.issued,
    modified: r.modified,
    landingPage: r.landing_page,
    legalBasis: { restriction: r.legal_basis_restriction, processing: r.legal_basis_processing, access: r.legal_basis_access },
    hidden: Boolean(Number(r.hidden)),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    publishedAt: r.published_at,
    distributions,
  };
}

/** The dataset's title in the reader's language, falling back through nb, en, nn. */
export function titleIn(t: LangText, locale: string): string {
  const own = locale === 'nn' ? t.nn : locale === 'en' ? t.en : t.nb;
  return own ?? t.nb ?? t.en ?? t.nn ?? '';
}

// --- queries ----------------------------------------------------------------------------------------------------

function datasetQuery(db: DbOrTx) {
  return db.selectFrom('datasets').innerJoin('organizations', 'organizations.orgnr', 'datasets.orgnr').selectAll('datasets').select('organizations.name as publisher_name');
}

async function findDatasetRow(db: DbOrTx, id: string) {
  return datasetQuery(db).where('datasets.id', '=', id).executeTakeFirst();
}

async function findDistributions(db: DbOrTx, datasetIds: string[]): Promise<Map<string, Distribution[]>> {
  const map = new Map<string, Distribution[]>();
  if (datasetIds.length === 0) return map;
  const rows = await distributionQuery(db).where('distributions.dataset_id', 'in', datasetIds).orderBy('distributions.created_at').orderBy('distributions.id').execute();
  for (const r of rows) {
    const list = map.get(r.dataset_id) ?? [];
    list.push(presentDistribution(r));
    map.set(r.dataset_id, list);
  }
  return map;
}

export interface ListDatasetsOptions {
  q?: string;
  orgnr?: string;
  state?: DatasetState;
  accessRights?: AccessRights;
  limit: number;
  offset: number;
  sort?: DatasetSort;
  /** Only datasets published here ('local'), not those harvested from other catalogues (the DCAT export re-publishes none of those). */
  origin?: 'local';
}

function cleanDistribution(input: DistributionInput, p: Problems, partial: boolean) {
  const cols: Partial<DistributionRow> = {};
  const title = cleanLangText(input.title, '/title', 300, p);
  if (title) cols.title = JSON.stringify(title);
  const description = cleanLangText(input.description, '/description', 5000, p);
  if (description) cols.description = JSON.stringify(description);
  const access = cleanUrl(input.accessUrl, '/accessUrl', p);
  if (access !== undefined) cols.access_url = access;
  const download = cleanUrl(input.downloadUrl, '/downloadUrl', p);
  if (download !== undefined) cols.download_url = download;
  const media = optionalText(input.mediaType);
  if (media !== undefined) {
    if (media && !/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(media)) p.add('/mediaType', 'invalid_media_type', 'The media type must look like text/csv (an IANA media type).');
    else cols.media_type = media ? media.toLowerCase() : null;
  }
  const format = optionalText(input.format);
  if (format !== undefined) {
    if (format && !/^[A-Za-z0-9_.+-]{1,40}$/.test(format) && !isHttpUrl(format)) p.add('/format', 'invalid_format', 'The format is a file-type code such as CSV, JSON or PARQUET, or its URI.');
    else cols.format = format;
  }
  const licence = cleanLicence(input.licence, '/licence', p);
  if (licence !== undefined) cols.licence = licence;
  if (input.byteSize !== undefined) {
    if (input.byteSize !== null && (!Number.isInteger(input.byteSize) || input.byteSize < 0)) p.add('/byteSize', 'invalid_byte_size', 'The size is a whole number of bytes.');
    else cols.byte_size = input.byteSize;
  }
  if (input.tableId !== undefined) cols.table_id = input.tableId;
  if (input.blobKey !== undefined) cols.blob_key = input.blobKey;
  if (!partial && !cols.access_url && !cols.download_url && !cols.table_id && !cols.blob_key) {
    p.add('/accessUrl', 'required', 'A distribution needs an access URL or a download URL.');
  }
  return cols;
}

// --- the service ------------------------------------------------------------------------------------------------

/**
 * The names of the fields a change set, for the audit log. Never their values: a non-open dataset's description,
 * legal basis or contact may itself be confidential, and the audit log is read by operators, not data readers.
 */
function changedFields(input: object): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
    .sort();
}

/**
 * The one query-side filter for dataset lists (search results, facet counts, totals, catalogues, suggestions): the
 * rows of `datasets` the actor may see, from datasetVisibility() in the access door. Every list of datasets goes
 * through this; a surface that counts or lists datasets another way leaks.
 */
export function whereVisible<O>(qb: SelectQueryBuilder<Database, 'datasets', O>, actor: Actor): SelectQueryBuilder<Database, 'datasets', O> {
  const visibility = datasetVisibility(actor);
  if (visibility.allStates === 'all') return qb;
  const orgs = visibility.allStates;
  const grantees = visibility.grantees;
  const now = nowIso();
  return qb.where((eb) => {
    // Published and not hidden (hidden counts only on NON_PUBLIC datasets, as in decide()) …
    const notHidden = eb.or([eb('datasets.hidden', '=', 0), eb('datasets.access_rights', '!=', 'NON_PUBLIC')]);
    const alternatives = [eb.and([eb('datasets.state', '=', 'published'), notHidden])];
    // … or the actor's own organisation's, in any state …
    if (orgs.length > 0) alternatives.push(eb('datasets.orgnr', 'in', orgs));
    // … or hidden but published, with an active grant to an organisation the actor acts for.
    if (grantees.length > 0) {
      alternatives.push(
        eb.and([
          eb('datasets.state', '=', 'published'),
          eb.exists(
            eb
              .selectFrom('access_grants')
              .select('access_grants.id')
              .whereRef('access_grants.dataset_id', '=', 'datasets.id')
              .where('access_grants.grantee_orgnr', 'in', grantees)
              .where('access_grants.state', '=', 'active')
              .where('access_grants.valid_from', '<=', now)
              .where('access_grants.valid_to', '>', now),
          ),
        ]),
      );
    }
    return eb.or(alternatives);
  });
}

export function createCatalogService({ db }: { db: Db }) {
  /** Loads a dataset row the actor may see, or throws 404 (drafts are "not found" for outsiders). */
  async function visibleRow(actor: Actor, id: string) {
    const row = await findDatasetRow(db, id);
    if (!row) throw datasetNotFound(id);
    const resource = await datasetResourceFor(db, actor, row);
    authorize(actor, 'dataset:read-metadata', resource, () => datasetNotFound(id));
    return { ...row, resource };
  }

  async function load(id: string): Promise<Dataset> {
    const row = await findDatasetRow(db, id);
    if (!row) throw datasetNotFound(id);
    const dists = await findDistributions(db, [id]);
    return presentDataset(row, dists.get(id) ?? []);
  }

  async function distributionRow(datasetId: string, distributionId: string) {
    const d = await distributionQuery(db).where('distributions.id', '=', distributionId).where('distributions.dataset_id', '=', datasetId).executeTakeFirst();
    if (!d) throw new NotFoundError('Distribution', distributionId, 'distribution_not_found');
    return d;
  }

  return {
    async createDataset(actor: Actor, input: DatasetInput): Promise<Dataset> {
      const orgnrCheck = validateOrgnr(typeof input.orgnr === 'string' ? input.orgnr : '');
      const orgnr = orgnrCheck.valid ? orgnrCheck.value : String(input.orgnr ?? '');
      authorize(actor, 'dataset:create', { type: 'organization', orgnr });
      const p = new Problems();
      if (!orgnrCheck.valid) p.add('/orgnr', orgnrCheck.reason === 'check_digit' ? 'orgnr_check_digit' : 'orgnr_format', orgnrCheck.message);
      const cols = datasetColumns(input, p);
      const title = withNoAsNb<string>(input.title ?? {});
      if (!title.nb?.trim() && !title.en?.trim()) p.add('/title', 'required', 'A title in bokmål or English is required.');
      if (input.accessRights === undefined) p.add('/accessRights', 'required', `Access rights are required: ${ACCESS_RIGHTS.join(', ')}.`);
      if (cols.hidden === 1 && cols.access_rights !== 'NON_PUBLIC') p.add('/hidden', 'hidden_requires_non_public', 'Only a dataset with non-public access can be hidden.');
      p.throwIfAny();
      const org = await db.selectFrom('organizations').select('orgnr').where('orgnr', '=', orgnr).executeTakeFirst();
      if (!org) throw new ValidationError([{ field: '/orgnr', code: 'unknown_organization', message: `Organisation ${orgnr} is not registered.` }]);
      const now = nowIso();
      const id = crypto.randomUUID();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('datasets')
          .values({
            id,
            orgnr,
            state: 'draft',
            title: '{}',
            description: '{}',
            keywords: '{}',
            themes: '[]',
            los_themes: '[]',
            access_rights: 'NON_PUBLIC',
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
            ...cols,
            created_by: actor.user && actor.via !== 'cli' ? actor.user.id : null,
            created_at: now,
            updated_at: now,
            published_at: null,
          })
          .execute();
        await recordAudit(tx, actor, { action: 'dataset.create', resourceType: 'dataset', resourceId: id, details: { orgnr, fields: changedFields(input) } });
        await indexDatasets(tx, [id]); // the search index changes with the dataset or not at all
      });
      return load(id);
    },

    async getDataset(actor: Actor, id: string): Promise<Dataset> {
      await visibleRow(actor, id);
      return load(id);
    },

    /** The facts the access door needs, after checking the actor may see the dataset at all (tables domain). */
    async getDatasetForAccess(actor: Actor, id: string): Promise<{ id: string; orgnr: string; state: DatasetState; accessRights: AccessRights; hidden: boolean }> {
      const row = await visibleRow(actor, id);
      return { id: row.id, orgnr: row.orgnr, state: row.state, accessRights: row.access_rights, hidden: row.resource.hidden === true };
    },

    /** Throws unless the actor may read the dataset's data (404 hidden, 401 anonymous, 403 not allowed). */
    async assertCanReadData(actor: Actor, id: string): Promise<void> {
      const row = await visibleRow(actor, id);
      authorizeData(await resolveDataAccess(db, actor, { id, orgnr: row.orgnr, state: row.state, accessRights: row.access_rights, hidden: row.resource.hidden === true }), () => datasetNotFound(id));
    },

    /** Throws unless the actor may change the dataset (used by the tables domain for uploads). */
    async assertCanUpdate(actor: Actor, id: string): Promise<void> {
      const row = await visibleRow(actor, id);
      authorize(actor, 'dataset:update', row.resource, () => datasetNotFound(id));
    },

    async listDatasets(actor: Actor, opts: ListDatasetsOptions): Promise<{ items: Dataset[]; total: number }> {
      const limit = Math.max(1, Math.min(LIST_LIMIT_MAX, Math.trunc(opts.limit) || 20));
      const offset = Math.max(0, Math.trunc(opts.offset) || 0);
      let base = whereVisible(datasetQuery(db), actor);
      if (opts.state) base = base.where('datasets.state', '=', opts.state);
      if (opts.orgnr) base = base.where('datasets.orgnr', '=', opts.orgnr);
      if (opts.accessRights) base = base.where('datasets.access_rights', '=', opts.accessRights);
      if (opts.origin) base = base.where('datasets.origin', '=', opts.origin);
      // Words as search matches them (stems, any order, prefixes: src/search); ranking stays this list's own order.
      const terms = queryTerms(opts.q ?? '');
      if (terms.length > 0) base = base.where(datasetMatches(db, terms.map((term) => ({ term, alternatives: [] }))));
      else if (opts.q?.trim()) base = base.where(sql<boolean>`1 = 0`); // only punctuation: no word to find
      let ordered = base;
      if (opts.sort === 'updated') ordered = ordered.orderBy('datasets.updated_at', 'desc');
      else ordered = ordered.orderBy('datasets.published_at', (ob) => ob.desc().nullsLast()).orderBy('datasets.created_at', 'desc');
      const [rows, count] = await Promise.all([
        ordered.orderBy('datasets.id').limit(limit).offset(offset).execute(),
        base.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      const dists = await findDistributions(
        db,
        rows.map((r) => r.id),
      );
      return { items: rows.map((r) => presentDataset(r, dists.get(r.id) ?? [])), total: Number(count.n) };
    },

    /** These datasets, in this order, leaving out any the actor may not see (search loads its page of hits so). */
    async datasetsByIds(actor: Actor, ids: string[]): Promise<Dataset[]> {
      if (ids.length === 0) return [];
      const rows = await whereVisible(datasetQuery(db), actor).where('datasets.id', 'in', ids).execute();
      const dists = await findDistributions(
        db,
        rows.map((r) => r.id),
      );
      const byId = new Map(rows.map((r) => [r.id, presentDataset(r, dists.get(r.id) ?? [])]));
      return ids.map((id) => byId.get(id)).filter((d): d is Dataset => d !== undefined);
    },

    async updateDataset(actor: Actor, id: string, patch: DatasetPatch): Promise<Dataset> {
      const row = await visibleRow(actor, id);
      authorize(actor, 'dataset:update', row.resource, () => datasetNotFound(id));
      const p = new Problems();
      const cols = datasetColumns(patch, p);
      if (Number(cols.hidden ?? row.hidden) === 1 && (cols.access_rights ?? row.access_rights) !== 'NON_PUBLIC') p.add('/hidden', 'hidden_requires_non_public', 'Only a dataset with non-public access can be hidden.');
      if (patch.title !== undefined) {
        const merged = JSON.parse(cols.title ?? '{}') as LangText;
        if (!merged.nb && !merged.en) p.add('/title', 'required', 'A title in bokmål or English is required.');
      }
      p.throwIfAny();
      if (row.state === 'published') {
        // A published dataset must stay publishable: no removing its title, description or licence.
        const current = await load(id);
        const next = presentDataset({ ...row, ...cols }, current.distributions);
        const missing = missingForPublish(next);
        if (missing.length > 0) throw new ValidationError(missing, `A published dataset must keep ${missing.map((m) => m.field.slice(1)).join(', ')}.`);
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('datasets')
          .set({ ...cols, updated_at: nowIso() })
          .where('id', '=', id)
          .execute();
        await recordAudit(tx, actor, { action: 'dataset.update', resourceType: 'dataset', resourceId: id, details: { fields: changedFields(patch) } });
        await indexDatasets(tx, [id]); // the search index changes with the dataset or not at all
      });
      return load(id);
    },

    async publishDataset(actor: Actor, id: string): Promise<Dataset> {
      const row = await visibleRow(actor, id);
      authorize(actor, 'dataset:publish', row.resource, () => datasetNotFound(id));
      if (row.state === 'published') throw new ConflictError('The dataset is already published.', 'already_published');
      const current = await load(id);
      const missing = missingForPublish(current);
      // Only an approved organisation publishes (a pending claim prepares drafts; a rejected one does nothing).
      const blocked = await publishBlocker(db, row.orgnr);
      if (blocked) missing.unshift(blocked);
      if (missing.length > 0) throw new ValidationError(missing, `The dataset cannot be published yet: ${missing.map((m) => m.message).join(' ')}`);
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('datasets')
          .set({ state: 'published', published_at: row.published_at ?? now, updated_at: now })
          .where('id', '=', id)
          .where('state', '=', row.state)
          .execute();
        await recordAudit(tx, actor, { action: 'dataset.publish', resourceType: 'dataset', resourceId: id, details: { from: row.state } });
        await indexDatasets(tx, [id]); // the search index changes with the dataset or not at all
      });
      return load(id);
    },

    async archiveDataset(actor: Actor, id: string): Promise<Dataset> {
      const row = await visibleRow(actor, id);
      authorize(actor, 'dataset:archive', row.resource, () => datasetNotFound(id));
      if (row.state === 'archived') throw new ConflictError('The dataset is already archived.', 'already_archived');
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('datasets').set({ state: 'archived', updated_at: now }).where('id', '=', id).execute();
        await recordAudit(tx, actor, { action: 'dataset.archive', resourceType: 'dataset', resourceId: id, details: { from: row.state } });
        await indexDatasets(tx, [id]); // the search index changes with the dataset or not at all
      });
      return load(id);
    },

    async listDistributions(actor: Actor, datasetId: string): Promise<Distribution[]> {
      await visibleRow(actor, datasetId);
      return (await findDistributions(db, [datasetId])).get(datasetId) ?? [];
    },

    async addDistribution(actor: Actor, datasetId: string, input: DistributionInput): Promise<Distribution> {
      const row = await visibleRow(actor, datasetId);
      authorize(actor, 'dataset:update', row.resource, () => datasetNotFound(datasetId));
      const p = new Problems();
      const cols = cleanDistribution(input, p, false);
      p.throwIfAny();
      if (cols.table_id) {
        const t = await db.selectFrom('tables').select('id').where('id', '=', cols.table_id).where('dataset_id', '=', datasetId).executeTakeFirst();
        if (!t) throw new ValidationError([{ field: '/tableId', code: 'unknown_table', message: 'No such table in this dataset.' }]);
      }
      const now = nowIso();
      const id = crypto.randomUUID();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('distributions')
          .values({
            id,
            dataset_id: datasetId,
            title: '{}',
            description: '{}',
            access_url: null,
            download_url: null,
            media_type: null,
            format: null,
            licence: null,
            byte_size: null,
            blob_key: null,
            table_id: null,
            ...cols,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await tx.updateTable('datasets').set({ updated_at: now }).where('id', '=', datasetId).execute();
        await recordAudit(tx, actor, { action: 'distribution.add', resourceType: 'dataset', resourceId: datasetId, details: { distributionId: id, fields: changedFields(input) } });
        await indexDatasets(tx, [datasetId]); // the search index changes with the dataset or not at all
      });
      return presentDistribution(await distributionRow(datasetId, id));
    },

    async updateDistribution(actor: Actor, datasetId: string, distributionId: string, patch: DistributionInput): Promise<Distribution> {
      const row = await visibleRow(actor, datasetId);
      authorize(actor, 'dataset:update', row.resource, () => datasetNotFound(datasetId));
      const existing = await distributionRow(datasetId, distributionId);
      const p = new Problems();
      const cols = cleanDistribution(patch, p, true);
      const after = { ...existing, ...cols };
      if (!after.access_url && !after.download_url && !after.table_id && !after.blob_key) p.add('/accessUrl', 'required', 'A distribution needs an access URL or a download URL.');
      p.throwIfAny();
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('distributions')
          .set({ ...cols, updated_at: now })
          .where('id', '=', distributionId)
          .execute();
        await tx.updateTable('datasets').set({ updated_at: now }).where('id', '=', datasetId).execute();
        await recordAudit(tx, actor, { action: 'distribution.update', resourceType: 'dataset', resourceId: datasetId, details: { distributionId, fields: changedFields(patch) } });
        await indexDatasets(tx, [datasetId]); // the search index changes with the dataset or not at all
      });
      return presentDistribution(await distributionRow(datasetId, distributionId));
    },

    async deleteDistribution(actor: Actor, datasetId: string, distributionId: string): Promise<void> {
      const row = await visibleRow(actor, datasetId);
      authorize(actor, 'dataset:update', row.resource, () => datasetNotFound(datasetId));
      await distributionRow(datasetId, distributionId);
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('distributions').where('id', '=', distributionId).execute();
        await tx.updateTable('datasets').set({ updated_at: now }).where('id', '=', datasetId).execute();
        await recordAudit(tx, actor, { action: 'distribution.remove', resourceType: 'dataset', resourceId: datasetId, details: { distributionId } });
        await indexDatasets(tx, [datasetId]); // the search index changes with the dataset or not at all
      });
    },

    /** Published datasets, registered organisations, and ready tables of published datasets. */
    async counts(): Promise<{ datasets: number; organizations: number; tables: number }> {
      const [d, o, t] = await Promise.all([
        whereVisible(db.selectFrom('datasets'), ANONYMOUS_ACTOR).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        db
          .selectFrom('tables')
          .innerJoin('datasets', 'datasets.id', 'tables.dataset_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('datasets.state', '=', 'published')
          .where((eb) => eb.or([eb('datasets.hidden', '=', 0), eb('datasets.access_rights', '!=', 'NON_PUBLIC')]))
          .where('tables.current_version_id', 'is not', null)
          .executeTakeFirstOrThrow(),
      ]);
      return { datasets: Number(d.n), organizations: Number(o.n), tables: Number(t.n) };
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

