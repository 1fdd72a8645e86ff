// The SQL domain's vocabulary: how a table is named in SQL, what a statement may contain (decided on DuckDB's own
// parse tree, from `json_serialize_sql`), the limits, and the errors. No DuckDB here: the sandbox (./sandbox.ts) runs
// queries, the service (./service.ts) decides which tables a caller sees.
import { DomainError } from '../errors';
import { packageName } from '../interop/ckan/model';
import type { Dataset } from '../catalog/model';

/**
 * A table's name in SQL: `"<publisher orgnr>/<dataset slug>/<table>"`, one quoted identifier. The dataset slug is the
 * rule the CKAN API already uses for package names (src/interop/ckan/model.ts `packageName`: the bokmål title as a
 * slug, '-', the first 8 hex digits of the dataset id), so one dataset has one short name everywhere and nothing is
 * stored; it changes only when the title does.
 */
export function sqlTableName(ds: Pick<Dataset, 'id' | 'title'> & { orgnr: string }, table: string): string {
  return `${ds.orgnr}/${packageName(ds)}/${table}`;
}

/** The name as it is written in a query (double quotes, inner quotes doubled). */
export function quotedTableName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The parts of a name with the shape sqlTableName() gives, or undefined. */
export function parseTableName(name: string): { orgnr: string; slug: string; idPrefix: string; table: string } | undefined {
  const m = /^(\d{9})\/((?:[a-z0-9-]*-)?([0-9a-f]{8}))\/([a-z0-9][a-z0-9_-]{0,62})$/.exec(name);
  if (!m) return undefined;
  return { orgnr: m[1] as string, slug: m[2] as string, idPrefix: m[3] as string, table: m[4] as string };
}

// --- limits ------------------------------------------------------------------------------------------------------------

export const DEFAULT_MAX_ROWS = 1000;
/** The most rows one query returns (the data API's largest page); more are cut off and `truncated` says so. */
export const MAX_ROWS = 10_000;
/** The longest statement accepted, in characters. */
export const MAX_SQL_LENGTH = 20_000;
/** The most distinct tables one statement may read. */
export const MAX_TABLES_PER_QUERY = 20;

// --- what a statement may contain ------------------------------------------------------------------------------------

/** Table functions that read nothing but their arguments. Every other (read_csv, read_parquet, glob, query, duckdb_*, pragma_*…) is refused. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

/**
 * Scalar functions refused although the sandbox would run them: they describe the sandbox rather than the data
 * (settings name the server's file paths, variables and the catalogue list our views' definitions).
 */
export const REFUSED_SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'current_setting', 'getvariable', 'current_database', 'current_catalog', 'current_schema', 'current_schemas',
  'current_query', 'json_serialize_sql', 'json_serialize_plan', 'json_deserialize_sql', 'version', 'pg_get_viewdef', 'pg_get_constraintdef',
]);

export interface StatementAnalysis {
  /** Table names the statement reads, as written (CTE names excluded), in order of first appearance. */
  tables: string[];
}

export type SqlErrorCode =
  | 'sql_empty'
  | 'sql_too_long'
  | 'sql_syntax_error'
  | 'sql_several_statements'
  | 'sql_not_read_only'
  | 'sql_function_not_allowed'
  | 'sql_table_not_found'
  | 'sql_invalid'
  | 'sql_runtime_error'
  | 'sql_memory_limit'
  | 'sql_result_too_large'
  | 'sql_timeout'
  | 'sql_busy'
  | 'sql_unsupported_format';

/**
 * A statement that cannot run. `message` is English and never quotes a value from a non-open table: DuckDB's own text
 * is only passed on for parse and bind errors (made from the statement and column names) and, for runtime errors,
 * only when every table the statement reads is open data. `params` carry names for translated pages.
 */
export class SqlError extends DomainError {
  constructor(code: SqlErrorCode, message: string, params: Record<string, string | number> = {}, status?: number) {
    const s = status ?? (code === 'sql_timeout' ? 408 : code === 'sql_busy' ? 503 : 400);
    super(s, code, message, { ...params }, params);
  }
}

type Node = Record<string, unknown>;

/**
 * Checks the parse tree `json_serialize_sql` gave for one statement and returns the tables it reads. Refuses (SqlError)
 * table functions outside ALLOWED_TABLE_FUNCTIONS, REFUSED_SCALAR_FUNCTIONS, qualified names (`main.x`,
 * `information_schema.tables`) and SHOW/DESCRIBE of the catalogue. Walks every object of the tree, so a table or
 * function in a subquery, CTE, join, set operation or expression is found wherever it sits.
 */
export function analyseStatement(tree: unknown): StatementAnalysis {
  const cteNames = new Set<string>();
  const tables: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    const cteMap = node.cte_map as { map?: { key?: unknown }[] } | undefined;
    for (const entry of cteMap?.map ?? []) if (typeof entry.key === 'string') cteNames.add(entry.key.toLowerCase());
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') {
      const name = node.table_name;
      if ((node.schema_name && node.schema_name !== '') || (node.catalog_name && node.catalog_name !== '')) {
        const qualified = [node.catalog_name, node.schema_name, name].filter((x) => typeof x === 'string' && x !== '').join('.');
        throw tableNotFound(qualified);
      }
      if (node.at_clause) throw new SqlError('sql_invalid', 'Time travel (AT …) is not supported: every table is its latest version.');
      tables.push(name);
    } else if (node.type === 'TABLE_FUNCTION') {
      const fn = node.function as Node | undefined;
      const name = String(fn?.function_name ?? '').toLowerCase();
      if (!ALLOWED_TABLE_FUNCTIONS.has(name) || (fn?.schema && fn.schema !== '') || (fn?.catalog && fn.catalog !== '')) {
        throw functionNotAllowed(name, true);
      }
    } else if (node.type === 'SHOW_REF') {
      if (!node.query) throw new SqlError('sql_not_read_only', 'SHOW of the catalogue is not supported here: the schema list (GET /api/v1/sql/tables) lists every table you may read.', { statement: 'SHOW' });
    } else if ((node.class === 'FUNCTION' || node.class === 'WINDOW') && typeof node.function_name === 'string') {
      const name = node.function_name.toLowerCase();
      if (REFUSED_SCALAR_FUNCTIONS.has(name) || name.startsWith('duckdb_') || name.startsWith('pragma_')) throw functionNotAllowed(name, false);
    }
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v);
  };
  walk(tree);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of tables) {
    if (cteNames.has(name.toLowerCase()) || seen.has(name)) continue;
    seen.add(name);
    out.push(name);
  }
  return { tables: out };
}

export function tableNotFound(name: string): SqlError {
  return new SqlError(
    'sql_table_not_found',
    `There is no table "${name}" you may read. Tables are named "<orgnr>/<dataset>/<table>" in double quotes; GET /api/v1/sql/tables lists them.`,
    { table: name },
  );
}

function functionNotAllowed(name: string, table: boolean): SqlError {
  const files = /^(read_|glob$|parquet_|sniff_csv|iceberg|delta_scan|query|json_execute)/.test(name);
  const why = files ? 'it reads files, other databases or runs other SQL' : table ? 'only range, generate_series and unnest are allowed as table functions' : 'it describes the sandbox, not the data';
  return new SqlError('sql_function_not_allowed', `The function ${name}() is not allowed: ${why}. SQL here reads only the tables you may read.`, { function: name });
}

/** The first keyword of a statement (after comments and parentheses), upper-case: only to name a refused statement. */
export function leadingKeyword(sql: string): string {
  const text = sql.replace(/^(\s|\(|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/, '');
  return (/^[A-Za-z_]+/.exec(text)?.[0] ?? '').toUpperCase();
}

/** Column type as DuckDB names it (VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN, DECIMAL(18,3), INTEGER[] …). */
export interface SqlColumn {
  name: string;
  type: string;
}

export interface SqlResult {
  columns: SqlColumn[];
  rows: unknown[][];
  /** More rows existed than `maxRows`: only the first `maxRows` are here. */
  truncated: boolean;
  /** The tables read, by their SQL names. */
  tables: string[];
  elapsedMs: number;
}

export const SQL_FORMATS = ['json', 'ndjson', 'csv', 'parquet', 'xlsx'] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];
