// The analysis workbench (issue 11.3): saved queries with a chart, run through the SQL service (which asks the access
// door for every table and audits reads of non-open data), and the data card of a result.
//
// Sharing rule: the owner always sees a saved query. A 'shared' query is seen by anyone who may read every table it
// reads — checked at every view through the SQL service (describeTables), never stored. Anyone else, and anyone asking
// for an id that does not exist, gets the same 404: a shared link says nothing to a person who may not read its inputs
// (not even its title or SQL text, which name the tables).
import { randomUUID } from 'node:crypto';
import type { Actor } from '../access/model';
import type { Dataset, LangText } from '../catalog/model';
import type { Db } from '../database';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import { parseJson } from '../platform/db/index';
import type { SqlResult } from '../sql/model';
import type { DescribedTable } from '../sql/service';
import { MAX_SAVED_PER_USER, parseChartSpec, validateSaved, type ChartSpec, type SavedQuery, type SavedQueriesTable, type Sharing } from './model';

export interface WorkbenchDeps {
  db: Db;
  sql: {
    query(actor: Actor, input: { sql: unknown; maxRows?: unknown }): Promise<SqlResult & { queryId: string }>;
    describeTables(actor: Actor, names: string[]): Promise<DescribedTable[] | null>;
  };
  catalog: { datasetsByIds(actor: Actor, ids: string[]): Promise<Dataset[]> };
  baseUrl: string;
  datasetUrl: (id: string) => string;
}

export interface SaveInput {
  title?: unknown;
  description?: unknown;
  sql?: unknown;
  sharing?: unknown;
  chart?: { kind?: unknown; x?: unknown; y?: unknown } | null;
}

/** The data card of a result: what it is made of, under which licences, from which versions. */
export interface DataCard {
  title: string;
  description: string;
  generatedAt: string;
  generator: string;
  query: string;
  rows: number;
  truncated: boolean;
  columns: { name: string; type: string; source: { table: string; column: string; semanticType?: string } | null }[];
  inputs: {
    sqlName: string;
    dataset: { id: string; title: string; url: string; publisher: { orgnr: string; name: string }; licence: string | null; accessRights: string };
    table: string;
    version: { id: string; number: number; rowCount: number | null; restricted: boolean };
  }[];
  licences: string[];
  notes: string[];
}

function titleText(t: LangText): string {
  return t.nb ?? t.nn ?? t.en ?? '';
}

function present(row: SavedQueriesTable, viewer: Actor, ownerName: string | null): SavedQuery {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    sql: row.sql,
    chart: parseJson<ChartSpec | null>(row.chart, null),
    sharing: row.sharing,
    inputs: parseJson<string[]>(row.inputs, []),
    mine: viewer.user?.id === row.owner_id,
    ownerName,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createWorkbenchService(deps: WorkbenchDeps) {
  const { db, sql } = deps;

  function requireUser(actor: Actor): string {
    if (!actor.user) throw new UnauthenticatedError('Sign in to save queries.');
    return actor.user.id;
  }

  async function row(id: string): Promise<(SavedQueriesTable & { owner_name: string | null }) | undefined> {
    if (id.length > 100) return undefined;
    return db
      .selectFrom('saved_queries')
      .leftJoin('users', 'users.id', 'saved_queries.owner_id')
      .selectAll('saved_queries')
      .select('users.name as owner_name')
      .where('saved_queries.id', '=', id)
      .executeTakeFirst();
  }

  /** The saved query if the actor may see it; 404 otherwise, whatever the reason. */
  async function visible(actor: Actor, id: string): Promise<SavedQueriesTable & { owner_name: string | null }> {
    const r = await row(id);
    if (!r) throw new NotFoundError('Query', id, 'query_not_found');
    if (actor.user?.id === r.owner_id) return r;
    if (r.sharing === 'shared' && (await sql.describeTables(actor, parseJson<string[]>(r.inputs, []))) !== null) return r;
    throw new NotFoundError('Query', id, 'query_not_found');
  }

  /** Runs the statement as the actor (so it is checked, and its tables named) and checks the chart against the result. */
  async function checked(actor: Actor, input: SaveInput): Promise<{ title: string; description: string; sharing: Sharing; sql: string; chart: ChartSpec | null; inputs: string[] }> {
    const meta = validateSaved(input);
    const sqlText = typeof input.sql === 'string' ? input.sql.replace(/\r\n/g, '\n') : '';
    const problems = [...meta.problems];
    if (sqlText.trim() === '') problems.push({ field: '/sql', code: 'sql_empty', message: 'The statement is empty: write one SELECT.' });
    if (problems.length) throw new ValidationError(problems);
    const result = await sql.query(actor, { sql: sqlText, maxRows: 1 });
    const chart = parseChartSpec(input.chart, result.columns);
    if (chart.problems.length) throw new ValidationError(chart.problems);
    return { title: meta.title, description: meta.description, sharing: meta.sharing, sql: sqlText, chart: chart.spec, inputs: result.tables };
  }

  return {
    /** The actor's own saved queries, newest first. */
    async list(actor: Actor): Promise<SavedQuery[]> {
      const owner = requireUser(actor);
      const rows = await db.selectFrom('saved_queries').selectAll().where('owner_id', '=', owner).orderBy('updated_at', 'desc').orderBy('id').limit(MAX_SAVED_PER_USER).execute();
      return rows.map((r) => present(r, actor, actor.user?.name ?? null));
    },

    async get(actor: Actor, id: string): Promise<SavedQuery> {
      const r = await visible(actor, id);
      return present(r, actor, r.owner_name);
    },

    async create(actor: Actor, input: SaveInput): Promise<SavedQuery> {
      const owner = requireUser(actor);
      const count = await db.selectFrom('saved_queries').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', owner).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_SAVED_PER_USER) throw new ValidationError([{ field: '/', code: 'too_many_saved', message: `You have ${MAX_SAVED_PER_USER} saved queries, the most one person may keep: delete some first.` }]);
      const v = await checked(actor, input);
      const now = new Date().toISOString();
      const record: SavedQueriesTable = { id: randomUUID(), owner_id: owner, title: v.title, description: v.description, sql: v.sql, chart: v.chart ? JSON.stringify(v.chart) : null, sharing: v.sharing, inputs: JSON.stringify(v.inputs), created_at: now, updated_at: now };
      await db.insertInto('saved_queries').values(record).execute();
      return present(record, actor, actor.user?.name ?? null);
    },

    async update(actor: Actor, id: string, input: SaveInput): Promise<SavedQuery> {
      requireUser(actor);
      const r = await visible(actor, id);
      if (actor.user?.id !== r.owner_id) throw new ForbiddenError('Only the person who saved this query may change it.', 'not_owner');
      const v = await checked(actor, { title: r.title, description: r.description, sql: r.sql, sharing: r.sharing, chart: parseJson<ChartSpec | null>(r.chart, null), ...input });
      const updated = { ...r, title: v.title, description: v.description, sql: v.sql, chart: v.chart ? JSON.stringify(v.chart) : null, sharing: v.sharing, inputs: JSON.stringify(v.inputs), updated_at: new Date().toISOString() };
      await db.updateTable('saved_queries').set({ title: updated.title, description: updated.description, sql: updated.sql, chart: updated.chart, sharing: updated.sharing, inputs: updated.inputs, updated_at: updated.updated_at }).where('id', '=', id).execute();
      return present(updated, actor, r.owner_name);
    },

    async remove(actor: Actor, id: string): Promise<void> {
      requireUser(actor);
      const r = await visible(actor, id);
      if (actor.user?.id !== r.owner_id) throw new ForbiddenError('Only the person who saved this query may delete it.', 'not_owner');
      await db.deleteFrom('saved_queries').where('id', '=', id).execute();
    },

    /** Runs a saved query as the viewer: the result is what the viewer may read (consent rows included). */
    async run(actor: Actor, id: string, maxRows?: unknown): Promise<{ query: SavedQuery; result: SqlResult & { queryId: string } }> {
      const r = await visible(actor, id);
      const result = await sql.query(actor, { sql: r.sql, maxRows });
      return { query: present(r, actor, r.owner_name), result };
    },

    /** The data card of a result the actor just got (the tables it read are described as the actor may see them). */
    async dataCard(actor: Actor, meta: { title: string; description?: string; sql: string }, result: SqlResult): Promise<DataCard> {
      const described = (await sql.describeTables(actor, result.tables)) ?? [];
      const datasets = new Map((await deps.catalog.datasetsByIds(actor, [...new Set(described.map((d) => d.datasetId))])).map((d) => [d.id, d]));
      const inputs: DataCard['inputs'] = [];
      for (const d of described) {
        const ds = datasets.get(d.datasetId);
        if (!ds) continue;
        inputs.push({
          sqlName: d.name,
          dataset: { id: ds.id, title: titleText(ds.title), url: `${deps.baseUrl}${deps.datasetUrl(ds.id)}`, publisher: ds.publisher, licence: ds.licence, accessRights: ds.accessRights },
          table: d.table,
          version: { id: d.versionId, number: d.version, rowCount: d.rowCount, restricted: d.restricted },
        });
      }
      const columns = result.columns.map((c) => {
        const sources = described.flatMap((d) => d.columns.filter((x) => x.name === c.name).map((x) => ({ table: d.name, column: x.name, ...(x.semanticType ? { semanticType: x.semanticType } : {}) })));
        return { name: c.name, type: c.type, source: sources.length === 1 ? (sources[0] ?? null) : null };
      });
      const licences = [...new Set(inputs.map((i) => i.dataset.licence ?? 'unknown'))];
      const notes: string[] = [];
      if (licences.includes('unknown')) notes.push('At least one input has no licence: ask its publisher before you share or reuse the result.');
      if (licences.length > 1) notes.push('The inputs have different licences: the result must respect every one of them.');
      if (inputs.some((i) => i.dataset.accessRights !== 'PUBLIC')) notes.push('At least one input is not open data: the result may only be used within the terms of your access (agreement or consent).');
      if (inputs.some((i) => i.version.restricted)) notes.push('At least one input was read under consent: only the rows shared with you are included.');
      if (result.truncated) notes.push(`The result was cut off at ${result.rows.length} rows.`);
      return {
        title: meta.title,
        description: meta.description ?? '',
        generatedAt: new Date().toISOString(),
        generator: `Datafabrikken (${deps.baseUrl})`,
        query: meta.sql,
        rows: result.rows.length,
        truncated: result.truncated,
        columns,
        inputs,
        licences,
        notes,
      };
    },
  };
}

export type WorkbenchService = ReturnType<typeof createWorkbenchService>;

/** The data card as Markdown (README.md of the ML export). */
export function dataCardMarkdown(card: DataCard): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `# ${card.title}`,
    '',
    card.description,
    '',
    `Generated ${card.generatedAt} by ${card.generator}. ${card.rows} rows${card.truncated ? ' (cut off)' : ''}. File: \`data.parquet\` (zstd); \`datacard.json\` holds this card as JSON.`,
    '',
    '## Inputs',
    '',
    '| table | dataset | publisher | licence | access | version | rows |',
    '|---|---|---|---|---|---|---|',
    ...card.inputs.map((i) => `| \`${esc(i.sqlName)}\` | [${esc(i.dataset.title)}](${i.dataset.url}) | ${esc(i.dataset.publisher.name)} (${i.dataset.publisher.orgnr}) | ${esc(i.dataset.licence ?? 'unknown')} | ${i.dataset.accessRights} | v${i.version.number} (${i.version.id}) | ${i.version.rowCount ?? '–'} |`),
    '',
    '## Columns',
    '',
    '| column | type | from |',
    '|---|---|---|',
    ...card.columns.map((c) => `| ${esc(c.name)} | ${c.type} | ${c.source ? `\`${esc(c.source.table)}\`.${esc(c.source.column)}${c.source.semanticType ? ` (${c.source.semanticType})` : ''}` : 'computed'} |`),
    '',
    '## Query',
    '',
    '```sql',
    card.query,
    '```',
    '',
  ];
  if (card.notes.length) lines.push('## Notes', '', ...card.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
