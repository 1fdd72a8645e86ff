// The rows query language (Datasette-style) and the SQL it becomes. Two halves, both pure:
//   parseRowsQuery  query string + the version's columns → RowsSpec, or a 400 naming the parameter, column or value;
//   build*Sql       RowsSpec + RowScope → DuckDB SQL with every identifier quoted (sqlIdent) and every value a
//                   bound parameter ($1, $2, … with their types). The only literal in the SQL is the Parquet path,
//                   which is ours (the cache file of a version), quoted with sqlString.
// Paging is keyset: rows are ordered by the sort columns and then file_row_number (the row's position in the
// Parquet file, unique and stable because versions are immutable), and a cursor holds the last row's sort values and
// file_row_number. Unsorted pages are in file order and the cursor is a file_row_number, which DuckDB prunes by row
// group, so a deep page reads the same few row groups as the first. Sorted pages are one top-N over the filtered
// rows whatever the depth (the cursor is one more filter), so page 1,000 costs what page 1 does.
import { createHash } from 'node:crypto';
import { BadRequestError, type FieldProblem } from '../errors';
import { sqlIdent, sqlString } from '../platform/engine/duckdb';
import {
  AGG_FUNCS,
  DEFAULT_SIZE,
  FILTER_OPS,
  FORMATS,
  MAX_FILTERS,
  MAX_IN_VALUES,
  MAX_OFFSET,
  MAX_SIZE,
  type Aggregate,
  type AggFunc,
  type ColumnKind,
  type CountMode,
  type Cursor,
  type Filter,
  type FilterOp,
  type Format,
  type QueryColumn,
  type RowScope,
  type RowsSpec,
  type SortKey,
} from './model';

/** Reserved parameters of the rows route (everything else names a column filter). */
export const RESERVED_PARAMS = ['_sort', '_fields', '_size', '_cursor', '_offset', '_count', '_group', '_agg', '_version', '_format'] as const;

export function columnKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'text';
  if (['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'HUGEINT'].includes(t)) return 'integer';
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL' || t.startsWith('DECIMAL')) return 'number';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

export function queryColumns(columns: { name: string; type: string }[]): QueryColumn[] {
  return columns.map((c) => ({ name: c.name, type: c.type, kind: columnKind(c.type) }));
}

// --- parsing -------------------------------------------------------------------------------------------------------

function bad(problems: FieldProblem[]): never {
  throw new BadRequestError(problems.map((p) => p.message).join(' '), { problems }, 'invalid_request');
}

function fail(field: string, code: string, message: string): never {
  bad([{ field, code, message }]);
}

const show = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

/**
 * Splits a comma list. A comma inside a value is written `\,` and a backslash `\\`; any other `\x` is an error.
 * (URL-encode as usual: `%5C%2C` is `\,`.)
 */
export function splitList(raw: string, field: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next !== ',' && next !== '\\') fail(field, 'invalid_escape', `${field}: a backslash must be followed by "," or "\\" (write a comma inside a value as "\\," and a backslash as "\\\\").`);
      cur += next;
      i++;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function validDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** The value as the column's type would read it, or a 400 naming the column and the value. */
export function checkValue(column: QueryColumn, value: string, field: string): string {
  const wrong = (what: string): never =>
    fail(field, 'invalid_value', `${field}: ${show(value)} is not ${what}, the type of column "${column.name}".`);
  const v = value.trim();
  switch (column.kind) {
    case 'text':
    case 'other':
      return value;
    case 'integer': {
      if (!/^[-+]?\d{1,20}$/.test(v)) return wrong('a whole number');
      const n = BigInt(v);
      if (n < INT64_MIN || n > INT64_MAX) return wrong('a whole number within 64 bits');
      return n.toString();
    }
    case 'number': {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !Number.isFinite(Number(v))) return wrong('a number (digits, "." as decimal mark)');
      return String(Number(v));
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return wrong('a date (YYYY-MM-DD)');
      return v;
    }
    case 'timestamp': {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?$/.exec(v);
      if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) {
        return wrong('a date and time (YYYY-MM-DDTHH:MM:SS)');
      }
      return v.replace('T', ' ');
    }
    case 'boolean': {
      const l = v.toLowerCase();
      if (l === 'true' || l === '1') return 'true';
      if (l === 'false' || l === '0') return 'false';
      return wrong('true or false');
    }
  }
}

function parseWhole(raw: string, field: string, min: number, max: number): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(field, 'out_of_range', `${field} must be a whole number from ${min} to ${max}.`);
  return Number(raw);
}

const OP_SUFFIXES = new Set<string>(FILTER_OPS.filter((o) => o !== 'eq'));

/** Filter ops that need an ordered type; contains/startswith need text. */
function checkOp(column: QueryColumn, op: FilterOp, field: string): void {
  if ((op === 'contains' || op === 'startswith') && column.kind !== 'text') {
    fail(field, 'invalid_operator', `${field}: __${op} works on text columns; "${column.name}" holds ${column.type}.`);
  }
  if (column.kind === 'other' && !['eq', 'ne', 'in', 'isnull'].includes(op)) {
    fail(field, 'invalid_operator', `${field}: column "${column.name}" (${column.type}) can only be filtered with =, __ne, __in and __isnull.`);
  }
}

export function queryFingerprint(spec: Pick<RowsSpec, 'filters' | 'sort'>): string {
  const text = JSON.stringify([spec.sort.map((s) => [s.column.name, s.desc]), spec.filters.map((f) => [f.column.name, f.op, f.values])]);
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.versionId, c.query, c.keys, c.row])).toString('base64url');
}

const badCursor = (): never => fail('_cursor', 'invalid_cursor', '_cursor is not a cursor of this query: follow the `next` link as given (it only continues the query and version it came from).');

export function decodeCursor(raw: string): Cursor {
  if (!/^[A-Za-z0-9_-]{1,4000}$/.test(raw)) return badCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return badCursor();
  }
  if (!Array.isArray(value) || value.length !== 4) return badCursor();
  const [versionId, query, keys, row] = value as unknown[];
  if (typeof versionId !== 'string' || typeof query !== 'string' || !Array.isArray(keys) || !keys.every((k) => k === null || typeof k === 'string')) return badCursor();
  if (typeof row !== 'number' || !Number.isSafeInteger(row) || row < 0) return badCursor();
  return { versionId, query, keys: keys as (string | null)[], row };
}

export interface ParseResult {
  spec: RowsSpec;
  format?: Format;
}

/**
 * Parses the rows route's query string against a version's columns. Unknown parameters and columns, repeated
 * parameters, wrong types and out-of-range values are a 400 naming them. `_version` is read by the caller (it decides
 * the columns) and passed through here unchecked; `versionId` checks the cursor.
 */
export function parseRowsQuery(query: Record<string, unknown>, columns: QueryColumn[], versionId: string): ParseResult {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const problems: FieldProblem[] = [];
  const params = new Map<string, string>();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      problems.push({ field: key, code: 'repeated_parameter', message: `Parameter "${key}" is given more than once; give it once (a comma list for _sort, _fields, _group, _agg and __in).` });
      continue;
    }
    params.set(key, typeof value === 'string' ? value : String(value ?? ''));
  }
  if (problems.length > 0) bad(problems);

  const column = (name: string, field: string): QueryColumn => {
    const c = byName.get(name);
    if (!c) fail(field, 'unknown_column', `${field}: the table has no column ${show(name)}.`);
    return c;
  };

  const filters: Filter[] = [];
  for (const [key, raw] of params) {
    if (key.startsWith('_') && !byName.has(key.split('__')[0] as string)) {
      if (!(RESERVED_PARAMS as readonly string[]).includes(key)) {
        fail(key, 'unknown_parameter', `Unknown parameter "${key}". Parameters: ${RESERVED_PARAMS.join(', ')}, and column filters (column=value, column__op=value).`);
      }
      continue;
    }
    let name = key;
    let op: FilterOp = 'eq';
    const at = key.lastIndexOf('__');
    if (at > 0 && !byName.has(key) && OP_SUFFIXES.has(key.slice(at + 2))) {
      name = key.slice(0, at);
      op = key.slice(at + 2) as FilterOp;
    } else if (at > 0 && !byName.has(key) && byName.has(key.slice(0, at))) {
      fail(key, 'unknown_operator', `Unknown filter operator "__${key.slice(at + 2)}" in "${key}". Operators: ${FILTER_OPS.filter((o) => o !== 'eq').map((o) => `__${o}`).join(', ')}.`);
    }
    const col = byName.get(name);
    if (!col) fail(key, 'unknown_column', `Unknown parameter or column "${key}": the table has no column ${show(name)}.`);
    checkOp(col, op, key);
    let values: string[];
    if (op === 'in') {
      values = splitList(raw, key);
      if (values.length > MAX_IN_VALUES) fail(key, 'too_many_values', `${key}: at most ${MAX_IN_VALUES} values.`);
      values = values.map((v) => checkValue(col, v, key));
    } else if (op === 'isnull') {
      const l = raw.trim().toLowerCase();
      if (!['true', 'false', '1', '0'].includes(l)) fail(key, 'invalid_value', `${key}: ${show(raw)} is not true or false.`);
      values = [l === 'true' || l === '1' ? 'true' : 'false'];
    } else {
      values = [checkValue(col, raw, key)];
    }
    filters.push({ column: col, op, values });
  }
  if (filters.length > MAX_FILTERS) fail('filters', 'too_many_filters', `At most ${MAX_FILTERS} filters.`);

  const size = params.has('_size') ? parseWhole(params.get('_size') as string, '_size', 1, MAX_SIZE) : DEFAULT_SIZE;
  const offset = params.has('_offset') ? parseWhole(params.get('_offset') as string, '_offset', 0, MAX_OFFSET) : 0;

  const countRaw = params.get('_count');
  if (countRaw !== undefined && !['exact', 'estimate', 'none'].includes(countRaw)) fail('_count', 'invalid_value', '_count must be exact, estimate or none.');
  const count = (countRaw ?? 'exact') as CountMode;

  let format: Format | undefined;
  const formatRaw = params.get('_format');
  if (formatRaw !== undefined) {
    if (!(FORMATS as readonly string[]).includes(formatRaw)) fail('_format', 'invalid_value', `_format must be one of ${FORMATS.join(', ')}.`);
    format = formatRaw as Format;
  }

  let group: QueryColumn[] | undefined;
  let aggregates: Aggregate[] | undefined;
  if (params.has('_group') || params.has('_agg')) {
    group = params.get('_group') ? splitList(params.get('_group') as string, '_group').map((n) => column(n, '_group')) : [];
    const aggRaw = params.get('_agg') || 'count';
    aggregates = splitList(aggRaw, '_agg').map((a): Aggregate => {
      const [func, ...rest] = a.split(':');
      if (!(AGG_FUNCS as readonly string[]).includes(func as string)) fail('_agg', 'invalid_value', `_agg: ${show(a)} is not one of count, sum:column, avg:column, min:column, max:column.`);
      if (func === 'count' && rest.length === 0) return { func: 'count', key: 'count' };
      if (rest.length === 0) fail('_agg', 'invalid_value', `_agg: ${func} needs a column (${func}:column).`);
      const col = column(rest.join(':'), '_agg');
      if ((func === 'sum' || func === 'avg') && col.kind !== 'integer' && col.kind !== 'number') {
        fail('_agg', 'invalid_operator', `_agg: ${func} needs a numeric column; "${col.name}" holds ${col.type}.`);
      }
      return { func: func as AggFunc, column: col, key: `${func}:${col.name}` };
    });
    if (new Set(aggregates.map((a) => a.key)).size !== aggregates.length) fail('_agg', 'invalid_value', '_agg names an aggregate twice.');
    for (const k of ['_fields', '_cursor']) if (params.has(k)) fail(k, 'invalid_combination', `${k} cannot be combined with _group/_agg.`);
  }

  const sortable = (n: string): QueryColumn | undefined => byName.get(n);
  const sort: SortKey[] = [];
  const aggSort: { key: string; desc: boolean }[] = [];
  if (params.get('_sort')) {
    for (const item of splitList(params.get('_sort') as string, '_sort')) {
      const desc = item.startsWith('-');
      const name = desc ? item.slice(1) : item;
      if (group) {
        if (!group.some((g) => g.name === name) && !aggregates?.some((a) => a.key === name)) {
          fail('_sort', 'unknown_column', `_sort: ${show(name)} is neither a _group column nor an _agg result.`);
        }
        aggSort.push({ key: name, desc });
        continue;
      }
      const col = sortable(name) ?? column(name, '_sort');
      if (col.kind === 'other') fail('_sort', 'invalid_value', `_sort: column "${col.name}" (${col.type}) cannot be sorted by.`);
      if (sort.some((s) => s.column.name === col.name)) fail('_sort', 'invalid_value', `_sort names "${col.name}" twice.`);
      sort.push({ column: col, desc });
    }
  }

  let fields = columns;
  if (params.has('_fields')) {
    const names = splitList(params.get('_fields') as string, '_fields');
    fields = names.map((n) => column(n, '_fields'));
    if (new Set(names).size !== names.length) fail('_fields', 'invalid_value', '_fields names a column twice.');
  }

  const spec: RowsSpec = { filters, sort, fields, size, offset, count };
  if (group) {
    spec.group = group;
    spec.aggregates = aggregates as Aggregate[];
    spec.aggSort = aggSort;
  }
  const cursorRaw = params.get('_cursor');
  if (cursorRaw !== undefined) {
    if (params.has('_offset')) fail('_cursor', 'invalid_combination', '_cursor and _offset cannot be combined.');
    const cursor = decodeCursor(cursorRaw);
    if (cursor.versionId !== versionId || cursor.query !== queryFingerprint(spec) || cursor.keys.length !== sort.length) badCursor();
    spec.cursor = cursor;
  }
  return { spec, ...(format ? { format } : {}) };
}

// --- SQL -------------------------------------------------------------------------------------------------------------

/** A statement with its bound values: `$n` is values[n-1], of DuckDB type types[n-1] (VARCHAR or VARCHAR[]). */
export interface BoundSql {
  sql: string;
  values: (string | string[])[];
}

class Binder {
  values: (string | string[])[] = [];
  bind(v: string | string[]): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

const CAST_TYPES: Record<ColumnKind, string | undefined> = {
  text: undefined, other: undefined, integer: 'HUGEINT', number: 'DOUBLE', date: 'DATE', timestamp: 'TIMESTAMP', boolean: 'BOOLEAN',
};

/** A bound text value cast to the type it is compared as with this column. */
function castTo(c: QueryColumn, p: string): string {
  const t = CAST_TYPES[c.kind];
  return t ? `CAST(${p} AS ${t})` : p;
}

/** The column as compared: `other` types compare as text. */
function colExpr(c: QueryColumn): string {
  return c.kind === 'other' ? `CAST(${sqlIdent(c.name)} AS VARCHAR)` : sqlIdent(c.name);
}

function filterSql(f: Filter, b: Binder): string {
  const c = colExpr(f.column);
  const v = () => castTo(f.column, b.bind(f.values[0] as string));
  switch (f.op) {
    case 'eq':
      return `${c} = ${v()}`;
    case 'ne':
      return `${c} IS DISTINCT FROM ${v()}`;
    case 'gt':
      return `${c} > ${v()}`;
    case 'gte':
      return `${c} >= ${v()}`;
    case 'lt':
      return `${c} < ${v()}`;
    case 'lte':
      return `${c} <= ${v()}`;
    case 'in': {
      const list = b.bind(f.values);
      const t = CAST_TYPES[f.column.kind];
      const typed = t ? `CAST(${list} AS ${t}[])` : list;
      return `list_contains(${typed}, ${c})`;
    }
    case 'contains':
      return `contains(lower(${c}), lower(${b.bind(f.values[0] as string)}))`;
    case 'startswith':
      return `starts_with(lower(${c}), lower(${b.bind(f.values[0] as string)}))`;
    case 'isnull':
      return f.values[0] === 'true' ? `${c} IS NULL` : `${c} IS NOT NULL`;
  }
}

/**
 * The restriction of a scope, ANDed into every statement: the rows whose column, as text, is one of the values.
 * A restriction on a column the version does not have matches no row (fail closed).
 */
function scopeSql(scope: RowScope, columns: QueryColumn[], b: Binder): string | undefined {
  if (scope === 'all') return undefined;
  if (!columns.some((c) => c.name === scope.column)) return 'FALSE';
  return `list_contains(${b.bind(scope.values)}, CAST(${sqlIdent(scope.column)} AS VARCHAR))`;
}

function whereSql(spec: Pick<RowsSpec, 'filters'>, scope: RowScope, columns: QueryColumn[], b: Binder, extra: string[] = []): string {
  const parts = [scopeSql(scope, columns, b), ...spec.filters.map((f) => filterSql(f, b)), ...extra].filter((p): p is string => !!p);
  return parts.length > 0 ? `WHERE ${parts.map((p) => `(${p})`).join(' AND ')}` : '';
}

const FRN = 'file_row_number';

export function source(parquetPath: string): string {
  return `read_parquet(${sqlString(parquetPath)}, file_row_number = true)`;
}

function orderSql(sort: SortKey[]): string {
  return [...sort.map((s) => `${sqlIdent(s.column.name)} ${s.desc ? 'DESC' : 'ASC'} NULLS LAST`), `${FRN} ASC`].join(', ');
}

/** Rows after the cursor in (sort…, file_row_number) order, NULLs last in either direction. */
function afterCursorSql(sort: SortKey[], cursor: Cursor, b: Binder): string {
  const ors: string[] = [];
  const equal: string[] = [];
  sort.forEach((s, i) => {
    const c = sqlIdent(s.column.name);
    const key = cursor.keys[i] ?? null;
    if (key === null) {
      // Nothing sorts after NULL but other NULLs.
      equal.push(`${c} IS NULL`);
      return;
    }
    const p = castTo(s.column, b.bind(key));
    ors.push([...equal, `(${c} ${s.desc ? '<' : '>'} ${p} OR ${c} IS NULL)`].join(' AND '));
    equal.push(`${c} = ${p}`);
  });
  ors.push([...equal, `${FRN} > ${b.bind(String(cursor.row))}::BIGINT`].join(' AND '));
  return ors.map((o) => `(${o})`).join(' OR ');
}

/** Hidden output columns of a page: the sort keys (for the next cursor) and the row number. */
export const KEY_PREFIX = '__df_k';
export const ROW_COLUMN = '__df_row';

/**
 * One page: `size + 1` rows (the extra one says whether there is a next page) of the output fields, then the sort
 * keys as `__df_k<i>` and file_row_number as `__df_row`.
 */
export function buildPageSql(parquetPath: string, columns: QueryColumn[], spec: RowsSpec, scope: RowScope): BoundSql {
  const b = new Binder();
  const src = source(parquetPath);
  // Unfiltered file order: an offset is a file_row_number range, which prunes row groups like a cursor does.
  const rangeOffset = spec.sort.length === 0 && spec.filters.length === 0 && scope === 'all' && !spec.cursor && spec.offset > 0;
  const extra = spec.cursor ? [afterCursorSql(spec.sort, spec.cursor, b)] : rangeOffset ? [`${FRN} >= ${b.bind(String(spec.offset))}::BIGINT`] : [];
  const where = whereSql(spec, scope, columns, b, extra);
  const select = [
    ...spec.fields.map((c) => sqlIdent(c.name)),
    ...spec.sort.map((s, i) => `${sqlIdent(s.column.name)} AS ${sqlIdent(`${KEY_PREFIX}${i}`)}`),
    `${FRN} AS ${sqlIdent(ROW_COLUMN)}`,
  ].join(', ');
  const order = orderSql(spec.sort);
  const limit = `LIMIT ${spec.size + 1}${spec.offset > 0 && !rangeOffset ? ` OFFSET ${spec.offset}` : ''}`;
  // File order: the file_row_number range of a cursor prunes row groups, so any page costs what the first does; and
  // no ORDER BY, so the scan stops at the page's last row: the engine runs with preserve_insertion_order = true, under
  // which DuckDB documents that results without ORDER BY keep insertion (file) order.
  if (spec.sort.length === 0) return { sql: `SELECT ${select} FROM ${src} ${where} ${limit}`, values: b.values };
  // Sorted: DuckDB's top-N over the filtered rows; fetching the page's rows by file_row_number in a second pass (a
  // semi-join, or an IN list) was measured slower: DuckDB then scans every column of the file.
  return { sql: `SELECT ${select} FROM ${src} ${where} ORDER BY ${order} ${limit}`, values: b.values };
}

/** count(*) of the rows the filters and scope select. */
export function buildCountSql(parquetPath: string, columns: QueryColumn[], spec: Pick<RowsSpec, 'filters'>, scope: RowScope): BoundSql {
  const b = new Binder();
  return { sql: `SELECT count(*) AS n FROM ${source(parquetPath)} ${whereSql(spec, scope, columns, b)}`, values: b.values };
}

/**
 * An estimated count: the filters counted over `windows` evenly spaced runs of `window` rows (whole row groups are
 * pruned by file_row_number), scaled to the table. Returns the SQL; the caller scales `n` by total / sampled.
 */
export function buildEstimateSql(parquetPath: string, columns: QueryColumn[], spec: Pick<RowsSpec, 'filters'>, scope: RowScope, total: number, windows: number, window: number): BoundSql & { sampled: number } {
  const b = new Binder();
  const stride = Math.floor(total / windows);
  const parts: string[] = [];
  // The filter parameters are bound once and reused by every window.
  const where = whereSql(spec, scope, columns, b);
  const clause = where ? `${where} AND` : 'WHERE';
  for (let i = 0; i < windows; i++) {
    const start = i * stride;
    parts.push(`SELECT count(*) AS n FROM ${source(parquetPath)} ${clause} ${FRN} >= ${start} AND ${FRN} < ${start + window}`);
  }
  return { sql: `SELECT sum(n) AS n FROM (${parts.join(' UNION ALL ')})`, values: b.values, sampled: windows * window };
}

function aggSql(a: Aggregate): string {
  if (!a.column) return 'count(*)';
  const c = colExpr(a.column);
  return `${a.func}(${c})`;
}

/** Groups and aggregates: `size + 1` rows (group columns, then each aggregate under its key), from `offset`. */
export function buildAggregateSql(parquetPath: string, columns: QueryColumn[], spec: RowsSpec, scope: RowScope): BoundSql {
  const b = new Binder();
  const group = spec.group ?? [];
  const aggs = spec.aggregates ?? [];
  const select = [...group.map((g) => sqlIdent(g.name)), ...aggs.map((a) => `${aggSql(a)} AS ${sqlIdent(a.key)}`)].join(', ');
  const where = whereSql(spec, scope, columns, b);
  const groupBy = group.length > 0 ? `GROUP BY ${group.map((g) => sqlIdent(g.name)).join(', ')}` : '';
  const sorts = spec.aggSort ?? [];
  const orderKeys = [...sorts.map((s) => `${sqlIdent(s.key)} ${s.desc ? 'DESC' : 'ASC'} NULLS LAST`), ...group.filter((g) => !sorts.some((s) => s.key === g.name)).map((g) => `${sqlIdent(g.name)} ASC NULLS LAST`)];
  const order = orderKeys.length > 0 ? `ORDER BY ${orderKeys.join(', ')}` : '';
  const limit = `LIMIT ${spec.size + 1}${spec.offset > 0 ? ` OFFSET ${spec.offset}` : ''}`;
  return { sql: `SELECT ${select} FROM ${source(parquetPath)} ${where} ${groupBy} ${order} ${limit}`, values: b.values };
}

/**
 * Every row in scope in file order, for exports: the `fields` (default every column; text cells made
 * spreadsheet-safe for CSV). `columns` are all of the version's columns (the scope's column is looked up there).
 */
export function buildExportSql(parquetPath: string, columns: QueryColumn[], scope: RowScope, opts: { csvSafe?: boolean; fields?: QueryColumn[] } = {}): BoundSql {
  const b = new Binder();
  const select = (opts.fields ?? columns)
    .map((c) => {
      const id = sqlIdent(c.name);
      // Spreadsheet formula injection: text starting with = + - @ TAB or CR gets a leading apostrophe.
      return opts.csvSafe && c.kind === 'text' ? `CASE WHEN left(${id}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || ${id} ELSE ${id} END AS ${id}` : id;
    })
    .join(', ');
  // No ORDER BY: insertion (file) order is preserved (preserve_insertion_order), and a sort would hold the table.
  return { sql: `SELECT ${select} FROM ${source(parquetPath)} ${whereSql({ filters: [] }, scope, columns, b)}`, values: b.values };
}
