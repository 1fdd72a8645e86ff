// The SQL domain: one read-only SELECT over the tables the caller may read (issue 10 part 4).
//
//   query(actor, sql)  → the sandbox parses and checks the statement (./sandbox.ts, ./model.ts) and names the tables it
//                        reads; each name is resolved here to a dataset and table and asked of the access door
//                        (authorize read-metadata, then resolveDataAccess for the table). A name that does not exist,
//                        a dataset the caller may not see and a table the caller may not read all get the same
//                        `sql_table_not_found`, so SQL cannot probe what exists. A RowRestriction (consent) becomes a
//                        table of exactly the permitted rows in the sandbox. The query then runs over those tables
//                        only. Reads of non-open tables are written to the audit log, one entry per table (`sql.read`,
//                        with the query id, every table of the query, the row count and the statement).
//   readableTables()   → the schema list: every table with a ready version the caller may read, with its SQL name,
//                        columns and types (lists via whereVisible, data access via resolveDataAccess per table).
// Runtime errors (a cast that fails, overflow, out of memory) are our own codes and words; DuckDB's text is added as
// `details.duckdb` only when every table the query read is open data, since a cast error quotes the value it failed on.
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../access/audit';
import { datasetResourceFor, resolveDataAccess, type DataAccess } from '../access/data-access';
import type { Actor } from '../access/model';
import { decide } from '../access/service';
import type { AccessRights, LangText } from '../catalog/model';
import { whereVisible } from '../catalog/service';
import type { Db } from '../database';
import { ConflictError } from '../errors';
import { parseJson } from '../platform/db/index';
import type { ColumnSchema, TableVersionRow } from '../tables/model';
import {
  DEFAULT_MAX_ROWS,
  MAX_ROWS,
  MAX_SQL_LENGTH,
  MAX_TABLES_PER_QUERY,
  parseTableName,
  SqlError,
  sqlTableName,
  tableNotFound,
  type SqlResult,
} from './model';
import { SandboxRuntimeError, type SandboxTable, type SqlSandbox } from './sandbox';

export interface SqlServiceDeps {
  db: Db;
  tables: { localParquet(version: TableVersionRow): Promise<string> };
  sandbox: SqlSandbox;
  /** For messages: the limits the sandbox was opened with. */
  limits: { timeoutMs: number; memoryLimit: string };
  /** The access door; tests pass a wrapper that adds a RowRestriction (consent) to see it applied. */
  resolveAccess?: typeof resolveDataAccess;
}

/** The most tables the schema list shows. */
export const MAX_SCHEMA_TABLES = 1000;

export interface ReadableTable {
  /** The SQL name, "<orgnr>/<dataset slug>/<table>". */
  name: string;
  datasetId: string;
  datasetTitle: LangText;
  orgnr: string;
  table: string;
  title: string;
  accessRights: AccessRights;
  /** Consent: the caller sees only some rows. */
  restricted: boolean;
  rowCount: number | null;
  /** semanticType: what the column holds, detected at ingest (organisasjonsnummer, kommunenummer, …). */
  columns: { name: string; type: string; semanticType?: string }[];
}

/** A table a query reads, as the workbench's data card names it. */
export interface DescribedTable {
  name: string;
  datasetId: string;
  table: string;
  accessRights: AccessRights;
  versionId: string;
  version: number;
  /** Consent: the reader sees only some rows (then rowCount is null). */
  restricted: boolean;
  rowCount: number | null;
  columns: ColumnSchema[];
}

interface Resolved {
  name: string;
  datasetId: string;
  accessRights: AccessRights;
  tableId: string;
  table: string;
  version: TableVersionRow;
  access: Extract<DataAccess, { allow: true }>;
}

const RUNTIME_WORDS: Record<string, string> = {
  conversion: 'A value could not be converted to the type asked for (a CAST, or a comparison with a value of another type). TRY_CAST gives NULL instead of failing.',
  out_of_range: 'A number fell outside the range of its type (an overflow). Cast to a wider type, e.g. DOUBLE or HUGEINT.',
  invalid_input: 'A function was given input it cannot use.',
  divide_by_zero: 'The query divided by zero.',
  other: 'The query failed while it ran.',
};

/** Strips absolute paths from a DuckDB message before it is shown (the sandbox's file names are nobody's business). */
function withoutPaths(text: string): string {
  return text.replace(/(?:\/[^\s'"/]+){2,}\/?/g, '…').slice(0, 500);
}

export function createSqlService(deps: SqlServiceDeps) {
  const { db, tables, sandbox, limits } = deps;
  const resolveAccess = deps.resolveAccess ?? resolveDataAccess;

  async function datasetsWithPrefix(orgnr: string, idPrefix: string) {
    return db
      .selectFrom('datasets')
      .select(['id', 'orgnr', 'state', 'access_rights', 'title', 'hidden'])
      .where('orgnr', '=', orgnr)
      .where('id', 'like', `${idPrefix}%`)
      .execute();
  }

  /** The table behind an SQL name if the actor may read it; the same error whatever the reason it is not there. */
  async function resolve(actor: Actor, name: string): Promise<Resolved> {
    const parts = parseTableName(name);
    if (!parts) throw tableNotFound(name);
    const candidates = await datasetsWithPrefix(parts.orgnr, parts.idPrefix);
    const ds = candidates.find((d) => sqlTableName({ id: d.id, orgnr: d.orgnr, title: parseJson<LangText>(d.title, {}) }, parts.table) === name);
    if (!ds) throw tableNotFound(name);
    if (!decide(actor, 'dataset:read-metadata', await datasetResourceFor(db, actor, ds)).allow) throw tableNotFound(name);
    const table = await db.selectFrom('tables').select(['id', 'name', 'current_version_id']).where('dataset_id', '=', ds.id).where('name', '=', parts.table).executeTakeFirst();
    if (!table?.current_version_id) throw tableNotFound(name);
    const access = await resolveAccess(db, actor, { id: ds.id, orgnr: ds.orgnr, state: ds.state, accessRights: ds.access_rights, hidden: Boolean(ds.hidden) }, { id: table.id });
    if (!access.allow) throw tableNotFound(name);
    const version = await db.selectFrom('table_versions').selectAll().where('id', '=', table.current_version_id).executeTakeFirst();
    if (!version || version.state !== 'ready') throw tableNotFound(name);
    if (access.rows !== 'all') {
      const column = access.rows.column;
      if (!parseJson<ColumnSchema[]>(version.columns, []).some((c) => c.name === column)) {
        throw new ConflictError(`The current version of "${name}" has no column "${column}" to share rows by consent.`, 'consent_column_missing');
      }
    }
    return { name, datasetId: ds.id, accessRights: ds.access_rights, tableId: table.id, table: table.name, version, access };
  }

  function checkInput(sql: unknown, maxRows: unknown): { sql: string; maxRows: number } {
    if (typeof sql !== 'string' || sql.trim() === '') throw new SqlError('sql_empty', 'The statement is empty: write one SELECT.');
    if (sql.length > MAX_SQL_LENGTH) throw new SqlError('sql_too_long', `The statement is longer than ${MAX_SQL_LENGTH} characters.`, { limit: MAX_SQL_LENGTH });
    const n = maxRows === undefined || maxRows === null || maxRows === '' ? DEFAULT_MAX_ROWS : Number(maxRows);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ROWS) {
      throw new SqlError('sql_invalid', `maxRows must be a whole number from 1 to ${MAX_ROWS}.`, { field: 'maxRows', limit: MAX_ROWS });
    }
    return { sql, maxRows: n };
  }

  function runtimeError(err: SandboxRuntimeError, allOpen: boolean): SqlError {
    const details: Record<string, string | number> = { kind: err.kind };
    if (allOpen) details.duckdb = withoutPaths((err.detail.split('\n')[0] ?? ''));
    if (err.kind === 'memory') {
      return new SqlError('sql_memory_limit', `The query needs more memory than the limit of ${limits.memoryLimit}. Filter or aggregate more, or select fewer columns.`, { ...details, limit: limits.memoryLimit });
    }
    return new SqlError('sql_runtime_error', RUNTIME_WORDS[err.kind] ?? (RUNTIME_WORDS.other as string), details);
  }

  return {
    /**
     * Runs one read-only statement. `maxRows` (default 1,000, at most 10,000) cuts the result; `truncated` says so.
     * Throws SqlError (400 with a code naming the problem, 408 on the time limit, 503 when every slot is busy).
     */
    async query(actor: Actor, input: { sql: unknown; maxRows?: unknown }): Promise<SqlResult & { queryId: string }> {
      const started = performance.now();
      const { sql, maxRows } = checkInput(input.sql, input.maxRows);
      const analysis = await sandbox.analyse(sql);
      if (analysis.tables.length > MAX_TABLES_PER_QUERY) {
        throw new SqlError('sql_invalid', `A statement may read at most ${MAX_TABLES_PER_QUERY} tables.`, { limit: MAX_TABLES_PER_QUERY });
      }
      const resolved: Resolved[] = [];
      for (const name of analysis.tables) resolved.push(await resolve(actor, name));
      const allOpen = resolved.every((r) => r.accessRights === 'PUBLIC' && r.access.rows === 'all');
      const sandboxTables: SandboxTable[] = [];
      for (const r of resolved) {
        const file = await tables.localParquet(r.version);
        sandboxTables.push(r.access.rows === 'all' ? { name: r.name, file } : { name: r.name, file, restriction: { column: r.access.rows.column, values: r.access.rows.values } });
      }
      let result;
      try {
        result = await sandbox.run(sql, sandboxTables, { maxRows });
      } catch (err) {
        if (err instanceof SandboxRuntimeError) throw runtimeError(err, allOpen);
        throw err;
      }
      const queryId = randomUUID();
      const audited = resolved.filter((r) => r.accessRights !== 'PUBLIC' || r.access.rows !== 'all');
      if (audited.length > 0) {
        await db.transaction().execute(async (tx) => {
          for (const r of audited) {
            await recordAudit(tx, actor, {
              action: 'sql.read',
              resourceType: 'table',
              resourceId: r.tableId,
              details: {
                queryId,
                datasetId: r.datasetId,
                table: r.table,
                versionId: r.version.id,
                tables: resolved.map((x) => x.name),
                rows: result.rows.length,
                truncated: result.truncated,
                basis: r.access.basis,
                ...(r.access.grantId ? { grantId: r.access.grantId } : {}),
                ...(r.access.rows !== 'all' ? { consentIds: r.access.rows.consentIds, rowsAvailable: result.restrictedRows[r.name] ?? {} } : {}),
                sql: sql.slice(0, 4000),
              },
            });
          }
        });
      }
      const { restrictedRows: _counts, ...answer } = result;
      return { ...answer, tables: resolved.map((r) => r.name), elapsedMs: Math.round(performance.now() - started), queryId };
    },

    /** Every table with a ready version the actor may read (at most MAX_SCHEMA_TABLES), optionally of one dataset. */
    async readableTables(actor: Actor, opts: { datasetId?: string } = {}): Promise<{ items: ReadableTable[]; truncated: boolean }> {
      let q = whereVisible(db.selectFrom('datasets'), actor)
        .innerJoin('tables', 'tables.dataset_id', 'datasets.id')
        .innerJoin('table_versions', 'table_versions.id', 'tables.current_version_id')
        .where('table_versions.state', '=', 'ready')
        .select([
          'datasets.id as dataset_id',
          'datasets.orgnr as orgnr',
          'datasets.state as state',
          'datasets.access_rights as access_rights',
          'datasets.hidden as hidden',
          'datasets.title as dataset_title',
          'tables.id as table_id',
          'tables.name as table_name',
          'tables.title as table_title',
          'table_versions.columns as columns',
          'table_versions.row_count as row_count',
        ])
        .orderBy('datasets.orgnr')
        .orderBy('datasets.id')
        .orderBy('tables.name')
        .limit(MAX_SCHEMA_TABLES + 1);
      if (opts.datasetId) q = q.where('datasets.id', '=', opts.datasetId);
      const rows = await q.execute();
      const items: ReadableTable[] = [];
      for (const r of rows.slice(0, MAX_SCHEMA_TABLES)) {
        const access = await resolveAccess(db, actor, { id: r.dataset_id, orgnr: r.orgnr, state: r.state, accessRights: r.access_rights, hidden: Boolean(r.hidden) }, { id: r.table_id });
        if (!access.allow) continue;
        const title = parseJson<LangText>(r.dataset_title, {});
        items.push({
          name: sqlTableName({ id: r.dataset_id, orgnr: r.orgnr, title }, r.table_name),
          datasetId: r.dataset_id,
          datasetTitle: title,
          orgnr: r.orgnr,
          table: r.table_name,
          title: r.table_title,
          accessRights: r.access_rights,
          restricted: access.rows !== 'all',
          rowCount: access.rows === 'all' && r.row_count !== null ? Number(r.row_count) : null,
          columns: parseJson<ColumnSchema[]>(r.columns, []).map((c) => ({ name: c.name, type: c.type, ...(c.semanticType ? { semanticType: c.semanticType } : {}) })),
        });
      }
      return { items, truncated: rows.length > MAX_SCHEMA_TABLES };
    },

    /**
     * What the named tables are (dataset, table, the version read, its row count and columns), for the workbench's
     * data card and its sharing rule; null when the actor may not read any one of them — the same answer for a name
     * that does not exist, so a caller cannot probe with it.
     */
    async describeTables(actor: Actor, names: string[]): Promise<DescribedTable[] | null> {
      const out: DescribedTable[] = [];
      for (const name of names) {
        let r: Resolved;
        try {
          r = await resolve(actor, name);
        } catch (err) {
          if (err instanceof SqlError || err instanceof ConflictError) return null;
          throw err;
        }
        out.push({
          name,
          datasetId: r.datasetId,
          table: r.table,
          accessRights: r.accessRights,
          versionId: r.version.id,
          version: r.version.version,
          restricted: r.access.rows !== 'all',
          rowCount: r.access.rows === 'all' && r.version.row_count !== null ? Number(r.version.row_count) : null,
          columns: parseJson<ColumnSchema[]>(r.version.columns, []),
        });
      }
      return out;
    },

    /** Interrupts running queries and closes the parser instance (the API plugin calls it on close). */
    close: () => sandbox.close(),

    limits: { timeoutMs: limits.timeoutMs, memoryLimit: limits.memoryLimit, maxRows: MAX_ROWS, defaultMaxRows: DEFAULT_MAX_ROWS, maxSqlLength: MAX_SQL_LENGTH },
  };
}

export type SqlService = ReturnType<typeof createSqlService>;
