// The Frictionless Data Package (v2, https://datapackage.org/standard/data-package/) a dataset is published as: pure
// functions from the catalogue's dataset and the tables service's (already access-trimmed) table summaries to the
// descriptor. The access door decides what a viewer sees of a table (src/access/table-visibility.ts); this file only
// maps what it is given, so a viewer without data access never gets keptAsText reasons, semantic types or missing
// markers here either. No values of a table ever go into a descriptor (no enums, no examples).
import { findLicence } from '../../catalog/vocabularies';
import type { Dataset } from '../../catalog/model';
import type { ColumnSchema, TableSummary } from '../../tables/model';

export const DATAPACKAGE_PROFILE = 'https://datapackage.org/profiles/2.0/datapackage.json';
export const DATARESOURCE_PROFILE = 'https://datapackage.org/profiles/2.0/dataresource.json';
export const TABLESCHEMA_PROFILE = 'https://datapackage.org/profiles/2.0/tableschema.json';

export interface TableSchemaField {
  name: string;
  type: 'string' | 'integer' | 'number' | 'date' | 'datetime' | 'time' | 'boolean' | 'any';
  format?: string;
  description?: string;
  constraints?: { required: true };
  /** The Norwegian identifier the column holds (orgnr, kommunenummer, …): readers of the data and publishers only. */
  'x-semanticType'?: string;
}

export interface TableSchema {
  $schema: string;
  fields: TableSchemaField[];
  missingValues: string[];
}

export interface DataResource {
  $schema: string;
  name: string;
  type: 'table';
  title: string;
  description: string;
  path: string;
  format: 'csv';
  mediatype: 'text/csv';
  encoding: 'utf-8';
  dialect: { header: true; delimiter: ','; quoteChar: '"'; doubleQuote: true };
  schema: TableSchema;
}

export interface DataPackage {
  $schema: string;
  name: string;
  id: string;
  title: string;
  description?: string;
  homepage: string;
  version?: string;
  created?: string;
  keywords?: string[];
  licenses?: { name?: string; path?: string; title?: string }[];
  contributors: { title: string; roles: string[]; path?: string; 'x-orgnr': string }[];
  'x-accessRights': string;
  'x-modified'?: string;
  resources: DataResource[];
}

/** Maps a DuckDB logical type to a Table Schema field type (and format where the default is not enough). */
export function fieldType(duckdbType: string): Pick<TableSchemaField, 'type' | 'format'> {
  const t = duckdbType.toUpperCase().trim();
  if (t === 'VARCHAR' || t === 'TEXT' || t === 'UUID' || t.startsWith('VARCHAR(')) return { type: 'string' };
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|INT[1248]|LONG|SHORT)$/.test(t)) return { type: 'integer' };
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL' || t.startsWith('DECIMAL') || t.startsWith('NUMERIC')) return { type: 'number' };
  if (t === 'DATE') return { type: 'date' };
  if (t.startsWith('TIMESTAMP')) return { type: 'datetime', format: 'default' };
  if (t === 'TIME') return { type: 'time' };
  if (t === 'BOOLEAN' || t === 'BOOL') return { type: 'boolean' };
  return { type: 'any' };
}

const KEPT_AS_TEXT_NOTES: Record<string, string> = {
  leading_zeros: 'Kept as text: the values have leading zeros that are part of them.',
  plus_sign: 'Kept as text: the values start with a plus sign (e.g. phone numbers).',
  identifier_name: 'Kept as text: the column name says it holds identifiers.',
  too_large: 'Kept as text: some values are too large for a number without losing digits.',
  publisher_choice: 'Kept as text: the publisher chose text for this column.',
};

/** Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection"); see csvCell in service.ts. */
export const FORMULA_PREFIXES = ['=', '+', '-', '@', '\t', '\r'];
export const CSV_INJECTION_NOTE =
  "Text cells starting with =, +, -, @, a tab or a carriage return are written with a leading apostrophe (') so spreadsheets do not run them as formulas; numbers, dates and booleans are written as they are.";

export function tableSchemaOf(columns: ColumnSchema[]): TableSchema {
  const markers = new Set<string>();
  const fields = columns.map((c): TableSchemaField => {
    const f: TableSchemaField = { name: c.name, ...fieldType(c.type) };
    const notes: string[] = [];
    if (c.keptAsText) notes.push(KEPT_AS_TEXT_NOTES[c.keptAsText] ?? 'Kept as text.');
    if (f.type === 'string') notes.push(CSV_INJECTION_NOTE);
    if (c.missingMarkers) for (const m of Object.keys(c.missingMarkers)) markers.add(m);
    if (notes.length > 0) f.description = notes.join(' ');
    if (!c.nullable) f.constraints = { required: true };
    if (c.semanticType) f['x-semanticType'] = c.semanticType;
    return f;
  });
  // An empty cell is a missing value (how nulls are written); the suppression markers the source file used are listed
  // too, for tools that read the original file (in our CSV they are already empty).
  return { $schema: TABLESCHEMA_PROFILE, fields, missingValues: ['', ...[...markers].filter((m) => m !== '').sort()] };
}

/** The tables a package describes: those with a ready version (a table whose first ingest runs or failed has none). */
export function packagedTables(tables: TableSummary[]): TableSummary[] {
  return tables.filter((t) => t.currentVersion !== null && t.columns.length > 0);
}

/** A text in the first language that has it: bokmål, nynorsk, English. */
function pick(text: { nb?: string | null; nn?: string | null; en?: string | null }): string | undefined {
  return text.nb || text.nn || text.en || undefined;
}

export interface PackageUrls {
  /** Absolute URL of the dataset page. */
  homepage: string;
  /** Absolute URL of a table's CSV download. */
  csv: (table: string) => string;
}

export function dataPackageOf(ds: Dataset, tables: TableSummary[], u: PackageUrls): DataPackage {
  const licence = findLicence(ds.licence);
  const keywords = [...new Set(Object.values(ds.keywords).flatMap((k) => k ?? []))];
  const description = pick(ds.description);
  const pkg: DataPackage = {
    $schema: DATAPACKAGE_PROFILE,
    // Stable across title changes: the dataset's id, which never changes (the pattern allows a–z, 0–9, "-", "." and "_").
    name: `datafabrikken-${ds.id.toLowerCase()}`,
    id: u.homepage,
    title: pick(ds.title) ?? ds.id,
    ...(description ? { description } : {}),
    homepage: u.homepage,
    ...(ds.publishedAt || ds.issued ? { created: toDateTime(ds.issued ?? ds.publishedAt ?? '') } : {}),
    ...(keywords.length > 0 ? { keywords } : {}),
    ...(ds.licence ? { licenses: [licence ? { name: licence.code, path: licence.uri, title: licence.label.en } : { path: ds.licence }] } : {}),
    contributors: [{ title: ds.publisher.name, roles: ['publisher'], path: `https://data.brreg.no/enhetsregisteret/api/enheter/${ds.publisher.orgnr}`, 'x-orgnr': ds.publisher.orgnr }],
    'x-accessRights': ds.accessRights,
    ...(ds.modified || ds.updatedAt ? { 'x-modified': toDateTime(ds.modified ?? ds.updatedAt) } : {}),
    resources: packagedTables(tables).map((t) => ({
        $schema: DATARESOURCE_PROFILE,
        name: t.name,
        type: 'table',
        title: t.title || t.name,
        description: `Table "${t.name}" of the dataset, version ${t.currentVersion?.version ?? ''}, ${t.rowCount ?? 0} rows, as CSV (RFC 4180, UTF-8, comma, header). ${CSV_INJECTION_NOTE}${ds.accessRights === 'PUBLIC' ? '' : ' The data needs access: the path answers 401 without sign-in and 403 without access.'}`,
        path: u.csv(t.name),
        format: 'csv',
        mediatype: 'text/csv',
        encoding: 'utf-8',
        dialect: { header: true, delimiter: ',', quoteChar: '"', doubleQuote: true },
        schema: tableSchemaOf(t.columns),
      })),
  };
  return pkg;
}

/** Dates (YYYY-MM-DD) become midnight UTC: the profile's `created` is an RFC 3339 date-time. */
function toDateTime(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
}
