// The CKAN Action API's vocabulary (CKAN 2.10): its error types and HTTP statuses, its dicts, and the slug rule that
// gives every dataset a CKAN `name`. No policy here: the service decides what an actor sees.
import type { Dataset } from '../../catalog/model';

export const CKAN_VERSION = '2.10.5';

/** CKAN's error `__type`s and the HTTP status CKAN 2.x answers each with (ckan/views/api.py). */
export const CKAN_ERRORS = {
  'Bad request': 400,
  'Validation Error': 409,
  'Authorization Error': 403,
  'Not Found Error': 404,
  'Internal Server Error': 500,
} as const;
export type CkanErrorType = keyof typeof CKAN_ERRORS;

export class CkanError extends Error {
  readonly type: CkanErrorType;
  readonly fields: Record<string, string[]> | undefined;
  constructor(type: CkanErrorType, message: string, fields?: Record<string, string[]>) {
    super(message);
    this.type = type;
    this.fields = fields;
  }
  get status(): number {
    return CKAN_ERRORS[this.type];
  }
}

export const validationError = (field: string, message: string) => new CkanError('Validation Error', message, { [field]: [message] });

export interface CkanTag {
  name: string;
  display_name: string;
}

export interface CkanResource {
  id: string;
  package_id: string;
  name: string;
  description: string;
  format: string;
  mimetype: string | null;
  url: string;
  size: number | null;
  created: string;
  last_modified: string;
  datastore_active: boolean;
  url_type: string | null;
  state: 'active';
  position: number;
}

export interface CkanOrganization {
  id: string;
  name: string;
  title: string;
  description: string;
  image_url: string;
  created: string;
  package_count?: number;
  type: 'organization';
  is_organization: true;
  state: 'active';
  approval_status: 'approved';
  packages?: CkanPackage[];
}

export interface CkanGroup {
  id: string;
  name: string;
  title: string;
  display_name: string;
  description: string;
  image_url: string;
  created: string;
  package_count: number;
  type: 'group';
  is_organization: false;
  state: 'active';
  approval_status: 'approved';
}

export interface CkanPackage {
  id: string;
  name: string;
  title: string;
  notes: string;
  url: string;
  type: 'dataset';
  license_id: string;
  license_title: string;
  license_url: string;
  organization: CkanOrganization;
  owner_org: string;
  author: string | null;
  maintainer: string | null;
  maintainer_email: string | null;
  tags: CkanTag[];
  groups: Omit<CkanGroup, 'package_count' | 'created' | 'type' | 'is_organization' | 'state' | 'approval_status'>[];
  resources: CkanResource[];
  metadata_created: string;
  metadata_modified: string;
  private: boolean;
  state: 'active' | 'draft' | 'deleted';
  num_resources: number;
  num_tags: number;
  extras: { key: string; value: string }[];
}

/**
 * A CKAN `name` for a dataset: the bokmål (else English) title as a URL slug (lowercase a–z, 0–9 and '-'; æ → ae,
 * ø → o, å → a, other accents dropped), cut at 80 characters, then '-' and the first 8 hex digits of the id. The id
 * part makes it unique among our datasets (UUIDs differ in their first 32 bits but for a 1-in-4-billion chance per
 * pair) and lets package_show find the dataset again without a stored slug; it stays the same unless the title changes.
 */
export function packageName(ds: Pick<Dataset, 'id' | 'title'>): string {
  return `${slugify(ds.title.nb ?? ds.title.en ?? ds.title.nn ?? '') || 'datasett'}-${ds.id.replace(/-/g, '').slice(0, 8).toLowerCase()}`;
}

export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/å/g, 'a')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
}

/** The id prefix a package name ends with, if it has the shape packageName() gives. */
export function idPrefixOfName(name: string): string | undefined {
  return /^(?:[a-z0-9-]*-)?([0-9a-f]{8})$/.exec(name)?.[1];
}

/** DuckDB logical types → CKAN DataStore type names. */
export function datastoreType(duckType: string): 'text' | 'int' | 'numeric' | 'date' | 'timestamp' | 'bool' | 'time' {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|INT\d*)$/.test(t)) return 'int';
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC)/.test(t)) return 'numeric';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t.startsWith('TIME')) return 'time';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'bool';
  return 'text';
}
