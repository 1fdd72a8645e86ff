// The query layer: runs the SQL of ./query.ts on the engine's DuckDB with bound parameters. Every function takes the
// RowScope as a required argument (no default), so the access door's RowRestriction is ANDed into every page, count,
// aggregate and export; nothing here decides access. DuckDB's own messages never reach a caller (EngineError).
import { LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBResult, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { EngineError, type TableEngine } from '../platform/engine/index';
import { sqlIdent, sqlString, toJsonValue } from '../platform/engine/duckdb';
import type { Format, QueryColumn, RowScope, RowsSpec } from './model';
import { buildAggregateSql, buildCountSql, buildEstimateSql, buildExportSql, buildPageSql, KEY_PREFIX, ROW_COLUMN, source, type BoundSql } from './query';
import type { Batches } from './writers';

type Engine = Pick<TableEngine, 'withConnection'>;

function bindings(bound: BoundSql): { values: DuckDBValue[]; types: DuckDBType[] } {
  return {
    values: bound.values.map((v) => (Array.isArray(v) ? listValue(v) : v)),
    types: bound.values.map((v) => (Array.isArray(v) ? LIST(VARCHAR) : VARCHAR)),
  };
}

function queryFailed(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  return new EngineError('engine_failed', 'The table engine failed while reading the table. Try again later.', { stage: 'read' });
}

async function readAll(conn: DuckDBConnection, bound: BoundSql): Promise<{ names: string[]; rows: DuckDBValue[][] }> {
  const { values, types } = bindings(bound);
  try {
    const reader = await conn.runAndReadAll(bound.sql, values, types);
    return { names: reader.columnNames(), rows: reader.getRows() };
  } catch (err) {
    throw queryFailed(err);
  }
}

export interface PageResult {
  /** Rows of the output fields, JSON-safe values. */
  rows: unknown[][];
  /** Whether rows follow this page. */
  more: boolean;
  /** The last row's sort-key values (as cursor text) and file_row_number, when `more`. */
  last?: { keys: (string | null)[]; row: number };
  /** file_row_number of each row (for Parquet output of the page). */
  rowNumbers: number[];
}

/** A sort-key value as cursor text: what castTo() in ./query reads back as the same value. */
function keyText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : String(v);
}

export function createQueryLayer(engine: Engine) {
  return {
    async page(parquet: string, columns: QueryColumn[], spec: RowsSpec, scope: RowScope): Promise<PageResult> {
      const { names, rows } = await engine.withConnection((conn) => readAll(conn, buildPageSql(parquet, columns, spec, scope)));
      const nFields = spec.fields.length;
      const keyAt = spec.sort.map((_, i) => names.indexOf(`${KEY_PREFIX}${i}`));
      const rowAt = names.indexOf(ROW_COLUMN);
      const more = rows.length > spec.size;
      const pageRows = more ? rows.slice(0, spec.size) : rows;
      const out: PageResult = {
        rows: pageRows.map((r) => r.slice(0, nFields).map(toJsonValue)),
        more,
        rowNumbers: pageRows.map((r) => Number(r[rowAt])),
      };
      const lastRow = pageRows[pageRows.length - 1];
      if (more && lastRow) out.last = { keys: keyAt.map((i) => keyText(toJsonValue(lastRow[i] as DuckDBValue))), row: Number(lastRow[rowAt]) };
      return out;
    },

    async count(parquet: string, columns: QueryColumn[], spec: Pick<RowsSpec, 'filters'>, scope: RowScope): Promise<number> {
      const { rows } = await engine.withConnection((conn) => readAll(conn, buildCountSql(parquet, columns, spec, scope)));
      return Number(rows[0]?.[0] ?? 0);
    },

    /** Estimated count over evenly spaced windows of the file, scaled to `total` rows. */
    async estimate(parquet: string, columns: QueryColumn[], spec: Pick<RowsSpec, 'filters'>, scope: RowScope, total: number): Promise<number> {
      const bound = buildEstimateSql(parquet, columns, spec, scope, total, 16, 16_384);
      const { rows } = await engine.withConnection((conn) => readAll(conn, bound));
      return Math.round((Number(rows[0]?.[0] ?? 0) * total) / bound.sampled);
    },

    async aggregate(parquet: string, columns: QueryColumn[], spec: RowsSpec, scope: RowScope): Promise<{ rows: unknown[][]; more: boolean }> {
      const { rows } = await engine.withConnection((conn) => readAll(conn, buildAggregateSql(parquet, columns, spec, scope)));
      const more = rows.length > spec.size;
      return { rows: (more ? rows.slice(0, spec.size) : rows).map((r) => r.map(toJsonValue)), more };
    },

    /**
     * Every row in scope, in file order, as batches of JSON-safe values streamed from DuckDB chunk by chunk (2,048
     * rows): the connection stays open while the consumer reads and is released when it stops.
     */
    exportBatches(parquet: string, columns: QueryColumn[], scope: RowScope, opts: { csvSafe?: boolean; fields?: QueryColumn[] } = {}): Batches {
      const bound = buildExportSql(parquet, columns, scope, opts);
      return {
        async *[Symbol.asyncIterator]() {
          let release!: () => void;
          const released = new Promise<void>((r) => (release = r));
          let resolveResult!: (r: DuckDBResult) => void;
          let rejectResult!: (e: unknown) => void;
          const result = new Promise<DuckDBResult>((res, rej) => ((resolveResult = res), (rejectResult = rej)));
          const work = engine
            .withConnection(async (conn) => {
              const { values, types } = bindings(bound);
              resolveResult(await conn.stream(bound.sql, values, types));
              await released;
            })
            .catch((err: unknown) => rejectResult(queryFailed(err)));
          try {
            const res = await result;
            for (;;) {
              let chunk;
              try {
                chunk = await res.fetchChunk();
              } catch (err) {
                throw queryFailed(err);
              }
              if (!chunk || chunk.rowCount === 0) break;
              yield chunk.getRows().map((r) => r.map(toJsonValue));
            }
          } finally {
            release();
            await work;
          }
        },
      };
    },

    /** Writes every row in scope to `target` with DuckDB's own writer (CSV with header and safe cells, Parquet, JSON array). */
    async copy(parquet: string, columns: QueryColumn[], scope: RowScope, format: 'csv' | 'parquet' | 'json', target: string): Promise<void> {
      const bound = buildExportSql(parquet, columns, scope, { csvSafe: format === 'csv' });
      const options = format === 'csv' ? 'FORMAT csv, HEADER true' : format === 'json' ? 'FORMAT json, ARRAY true' : 'FORMAT parquet, COMPRESSION zstd';
      await engine.withConnection(async (conn) => {
        const { values, types } = bindings(bound);
        try {
          await conn.run(`COPY (${bound.sql}) TO ${sqlString(target)} (${options})`, values, types);
        } catch (err) {
          throw queryFailed(err);
        }
      });
    },

    /** A page as Parquet: the given rows (by file_row_number) of the output fields, in the page's order. */
    async pageParquet(parquet: string, spec: RowsSpec, rowNumbers: number[], target: string): Promise<void> {
      const order = [...spec.sort.map((s) => `${sqlIdent(s.column.name)} ${s.desc ? 'DESC' : 'ASC'} NULLS LAST`), 'file_row_number'].join(', ');
      const sql = `SELECT ${spec.fields.map((c) => sqlIdent(c.name)).join(', ')} FROM ${source(parquet)} WHERE list_contains(CAST($1 AS BIGINT[]), file_row_number) ORDER BY ${order}`;
      await engine.withConnection(async (conn) => {
        try {
          await conn.run(`COPY (${sql}) TO ${sqlString(target)} (FORMAT parquet)`, [listValue(rowNumbers.map(String))], [LIST(VARCHAR)]);
        } catch (err) {
          throw queryFailed(err);
        }
      });
    },

    /** Aggregate results as Parquet. */
    async aggregateParquet(parquet: string, columns: QueryColumn[], spec: RowsSpec, scope: RowScope, target: string): Promise<void> {
      const bound = buildAggregateSql(parquet, columns, { ...spec, size: spec.size - 1 }, scope);
      await engine.withConnection(async (conn) => {
        const { values, types } = bindings(bound);
        try {
          await conn.run(`COPY (${bound.sql}) TO ${sqlString(target)} (FORMAT parquet)`, values, types);
        } catch (err) {
          throw queryFailed(err);
        }
      });
    },
  };
}

export type QueryLayer = ReturnType<typeof createQueryLayer>;
export type { Format };
