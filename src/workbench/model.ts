// The analysis workbench (issue 11.3): saved queries and the charts drawn from their results. Pure rules here; the
// service (./service.ts) stores and runs them through the SQL service, which asks the access door for every table.
import type { FieldProblem } from '../errors';
import type { SqlColumn } from '../sql/model';

export const CHART_KINDS = ['bar', 'line', 'scatter'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** A chart of a result: `x` and `y` are result column names. */
export interface ChartSpec {
  kind: ChartKind;
  x: string;
  y: string;
}

export const SHARING = ['private', 'shared'] as const;
/** private: only the owner. shared: anyone with the link who may read every table the query reads. */
export type Sharing = (typeof SHARING)[number];

export const MAX_TITLE_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 4000;
/** Saved queries per user. */
export const MAX_SAVED_PER_USER = 500;

export interface SavedQueriesTable {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  sql: string;
  chart: string | null;
  sharing: Sharing;
  inputs: string;
  created_at: string;
  updated_at: string;
}

export interface SavedQuery {
  id: string;
  title: string;
  description: string;
  sql: string;
  chart: ChartSpec | null;
  sharing: Sharing;
  /** The SQL names of the tables the query reads. */
  inputs: string[];
  /** Whether the viewer owns it (may change and delete it). */
  mine: boolean;
  ownerName: string | null;
  createdAt: string;
  updatedAt: string;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?)$/i;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIME)$/i;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}
export function isTemporalType(type: string): boolean {
  return TEMPORAL.test(type);
}

/**
 * Reads a chart spec from form or JSON input. Empty kind = no chart. Checked against the result's columns when they
 * are known: x and y must be columns; y (and x for a scatter plot) numeric; a line's x numeric, a date or text in
 * the order the query gives.
 */
export function parseChartSpec(input: { kind?: unknown; x?: unknown; y?: unknown } | null | undefined, columns?: SqlColumn[]): { spec: ChartSpec | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (!input || input.kind === undefined || input.kind === null || input.kind === '') return { spec: null, problems };
  const kind = typeof input.kind === 'string' ? input.kind : '';
  if (!(CHART_KINDS as readonly string[]).includes(kind)) {
    problems.push({ field: '/chart/kind', code: 'chart_kind_unknown', message: `Unknown chart kind "${String(input.kind).slice(0, 40)}": use ${CHART_KINDS.join(', ')}.` });
    return { spec: null, problems };
  }
  const x = typeof input.x === 'string' ? input.x : '';
  const y = typeof input.y === 'string' ? input.y : '';
  if (x === '') problems.push({ field: '/chart/x', code: 'chart_x_missing', message: 'Choose the column for the x axis.' });
  if (y === '') problems.push({ field: '/chart/y', code: 'chart_y_missing', message: 'Choose the column for the y axis.' });
  if (problems.length === 0 && columns) {
    const cx = columns.find((c) => c.name === x);
    const cy = columns.find((c) => c.name === y);
    if (!cx) problems.push({ field: '/chart/x', code: 'chart_column_unknown', message: `The result has no column "${x.slice(0, 100)}".` });
    if (!cy) problems.push({ field: '/chart/y', code: 'chart_column_unknown', message: `The result has no column "${y.slice(0, 100)}".` });
    if (cy && !isNumericType(cy.type)) problems.push({ field: '/chart/y', code: 'chart_y_not_numeric', message: `The y axis needs a numeric column; "${y.slice(0, 100)}" is ${cy.type}.` });
    if (cx && kind === 'scatter' && !isNumericType(cx.type)) problems.push({ field: '/chart/x', code: 'chart_x_not_numeric', message: `A scatter plot needs a numeric x column; "${x.slice(0, 100)}" is ${cx.type}.` });
  }
  return problems.length ? { spec: null, problems } : { spec: { kind: kind as ChartKind, x, y }, problems };
}

/** A chart suggestion for a result: the first text or date column against the first numeric one. */
export function suggestChart(columns: SqlColumn[]): ChartSpec | null {
  const y = columns.find((c) => isNumericType(c.type));
  if (!y) return null;
  const temporal = columns.find((c) => c !== y && isTemporalType(c.type));
  if (temporal) return { kind: 'line', x: temporal.name, y: y.name };
  const label = columns.find((c) => c !== y && !isNumericType(c.type));
  if (label) return { kind: 'bar', x: label.name, y: y.name };
  const other = columns.find((c) => c !== y && isNumericType(c.type));
  return other ? { kind: 'scatter', x: other.name, y: y.name } : null;
}

export function validateSaved(input: { title?: unknown; description?: unknown; sharing?: unknown }): { title: string; description: string; sharing: Sharing; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  const description = typeof input.description === 'string' ? input.description.trim() : '';
  const sharing = input.sharing === undefined || input.sharing === '' ? 'private' : input.sharing;
  if (title === '') problems.push({ field: '/title', code: 'title_missing', message: 'Give the query a title.' });
  if (title.length > MAX_TITLE_LENGTH) problems.push({ field: '/title', code: 'title_too_long', message: `The title is longer than ${MAX_TITLE_LENGTH} characters.` });
  if (description.length > MAX_DESCRIPTION_LENGTH) problems.push({ field: '/description', code: 'description_too_long', message: `The description is longer than ${MAX_DESCRIPTION_LENGTH} characters.` });
  if (!(SHARING as readonly unknown[]).includes(sharing)) problems.push({ field: '/sharing', code: 'sharing_unknown', message: `Sharing must be ${SHARING.join(' or ')}.` });
  return { title, description, sharing: (SHARING as readonly unknown[]).includes(sharing) ? (sharing as Sharing) : 'private', problems };
}
