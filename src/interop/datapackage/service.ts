// Frictionless export of a dataset: its Data Package descriptor (model.ts) and the CSV download of a table's current
// version that the descriptor's resources point at. Everything goes through the catalog and tables services, so the
// access door decides (404 for a dataset the actor may not see, 401/403 for data without access) and non-open reads
// are written to the audit log by tables.rows, one entry per page of 1000 rows.
import type { Actor } from '../../access/model';
import { ConflictError } from '../../errors';
import type { CatalogService } from '../../catalog/service';
import type { TablesService } from '../../tables/service';
import { MAX_PAGE_SIZE } from '../../tables/service';
import { dataPackageOf, fieldType, FORMULA_PREFIXES, packagedTables, type DataPackage } from './model';

export const CSV_PAGE_SIZE = MAX_PAGE_SIZE; // rows fetched per tables.rows call while streaming a CSV

export interface DataPackageServiceDeps {
  catalog: CatalogService;
  tables: TablesService;
  /** Absolute URLs of the dataset page and a table's CSV (the profile wants URLs or relative paths, not "/…"). */
  urls: { homepage: (datasetId: string) => string; csv: (datasetId: string, table: string) => string };
}

/**
 * One RFC 4180 cell. Hand-written (a dozen lines) rather than a CSV library, since the rows come already typed from
 * the engine and only quoting is needed. Text cells that a spreadsheet would read as a formula get a leading
 * apostrophe (OWASP CSV injection); numbers stay numbers, so "-5" in an integer column is still -5.
 */
export function csvCell(value: unknown, text: boolean): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text && s.length > 0 && FORMULA_PREFIXES.includes(s[0] ?? '')) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: string[]): string {
  return `${cells.join(',')}\r\n`;
}

export function createDataPackageService(deps: DataPackageServiceDeps) {
  const { catalog, tables, urls } = deps;
  return {
    /** The dataset's Data Package: metadata rules (published metadata is public), tables as the viewer may see them. */
    async dataPackage(actor: Actor, datasetId: string): Promise<DataPackage> {
      const ds = await catalog.getDataset(actor, datasetId);
      const list = await tables.listTables(actor, datasetId);
      // The profile wants at least one resource; a package of a dataset without a ready table would be invalid.
      if (packagedTables(list).length === 0) {
        throw new ConflictError('This dataset has no table with a ready version yet, and a Data Package needs at least one resource.', 'datapackage_no_tables');
      }
      return dataPackageOf(ds, list, { homepage: urls.homepage(datasetId), csv: (t) => urls.csv(datasetId, t) });
    },

    /** Whether the dataset has a Data Package (a table with a ready version): the dataset page links it then. */
    async available(actor: Actor, datasetId: string): Promise<boolean> {
      return packagedTables(await tables.listTables(actor, datasetId)).length > 0;
    },

    /**
     * The current version of a table as CSV. The first page is read before this returns, so a missing table, a table
     * without a ready version and a viewer without access get their 4xx before any byte is sent; the rest is read
     * page by page while the client consumes the stream (never the whole table in memory).
     */
    async csv(actor: Actor, datasetId: string, name: string): Promise<{ filename: string; lines: AsyncIterable<string> }> {
      const table = await tables.getTable(actor, datasetId, name);
      const first = await tables.rows(actor, datasetId, name, { offset: '0', size: String(CSV_PAGE_SIZE) });
      const versionId = table.currentVersion?.id;
      // Versions only move forward: if the table's current version is the same after a page was read as before it,
      // the page came from that version. A new version switched in mid-download ends the download with an error
      // (the client gets a broken transfer), never a file that mixes two versions.
      const stillCurrent = async () => {
        const now = await tables.getTable(actor, datasetId, name);
        if (now.currentVersion?.id !== versionId) throw new ConflictError(`Table "${name}" got a new version during the download; download it again.`, 'table_changed');
      };
      await stillCurrent();
      const columns = table.columns;
      const text = columns.map((c) => fieldType(c.type).type === 'string');
      const version = table.currentVersion?.version ?? 0;
      async function* lines(): AsyncIterable<string> {
        yield csvLine(columns.map((c) => csvCell(c.name, false)));
        let page = first;
        for (;;) {
          let out = '';
          for (const row of page.rows) out += csvLine(columns.map((c, i) => csvCell(row[c.name], text[i] === true)));
          if (out) yield out;
          if (page.nextOffset === undefined) return;
          page = await tables.rows(actor, datasetId, name, { offset: String(page.nextOffset), size: String(CSV_PAGE_SIZE) });
          await stillCurrent();
        }
      }
      return { filename: `${name}-v${version}.csv`, lines: lines() };
    },
  };
}

export type DataPackageService = ReturnType<typeof createDataPackageService>;
