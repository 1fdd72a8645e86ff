// The SQL page (/sql): an editor (a textarea in a plain POST form, so it works without JavaScript), the list of tables
// the reader may query with their columns and types, and the result as a grid. Same service calls as the JSON API
// (POST /api/v1/sql, GET /api/v1/sql/tables), which the page links as its twins.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors';
import type { LangText } from '../catalog/model';
import type { DomainPlugin } from '../platform/http/plugin';
import { formatNumberCell } from '../tables/pages';
import { hasKey } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, sendPage } from '../web/layout';
import { urls } from '../web/urls';
import { quotedTableName, type SqlResult } from './model';
import type { ReadableTable } from './service';
import { ChartBlock, chartFor, chartInput, needsToken, SaveAndExport, Snippets } from '../workbench/pages';
import { resultSnippets } from '../workbench/export';

void Fragment;

/** Codes whose English message carries DuckDB's own words (the parser's or binder's), shown beside the translation. */
const DUCKDB_WORDS = new Set(['sql_syntax_error', 'sql_invalid']);

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL(\(.*\))?)$/;

function titleOf(t: LangText, locale: string): string {
  return (locale === 'en' ? t.en ?? t.nb : locale === 'nn' ? t.nn ?? t.nb : t.nb) ?? t.en ?? t.nn ?? '';
}

function semanticLabel(t: FastifyRequest['t'], type: string): string {
  const key = `tables.semantic.${type}`;
  return hasKey(key) ? t(key) : type;
}

function exampleFor(table: ReadableTable | undefined): string {
  return table ? `SELECT *\nFROM ${quotedTableName(table.name)}\nLIMIT 10` : 'SELECT 42 AS svar';
}

function SchemaList(props: { request: FastifyRequest; tables: ReadableTable[]; truncated: boolean }): RawHtml {
  const { t, locale } = props.request;
  return (
    <section class="df-stack" aria-labelledby="sql-schema-heading">
      <h2 class="ds-heading" data-size="sm" id="sql-schema-heading">
        {t('sql.schema.heading')}
      </h2>
      {props.tables.length === 0 ? <p class="ds-paragraph">{t('sql.schema.none')}</p> : <p class="ds-paragraph">{t('sql.schema.intro', { count: props.tables.length })}</p>}
      {props.truncated ? <p class="ds-paragraph">{t('sql.schema.truncated', { count: props.tables.length })}</p> : null}
      <ul class="ds-list df-sql-schema">
        {props.tables.map((x) => (
          <li>
            <details>
              <summary>
                <code>{quotedTableName(x.name)}</code> – {titleOf(x.datasetTitle, locale)}: {x.title}
                {x.restricted ? ` (${t('sql.schema.restricted')})` : ''}
              </summary>
              <ul class="ds-list">
                {x.columns.map((c) => (
                  <li>
                    <code>{c.name}</code> <span class="ds-paragraph" data-size="sm">{c.type}</span>
                    {c.semanticType ? <span class="ds-paragraph" data-size="sm"> · {semanticLabel(t, c.semanticType)}</span> : null}
                  </li>
                ))}
              </ul>
              <p class="ds-paragraph" data-size="sm">
                <a class="ds-link" href={urls.dataset(x.datasetId)}>{t('sql.schema.dataset')}</a>
              </p>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}

function cellText(value: unknown, type: string, locale: string): string {
  if (value === null || value === undefined) return '';
  if (NUMERIC.test(type) && (typeof value === 'number' || typeof value === 'string')) return formatNumberCell(value, locale);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function ResultGrid(props: { request: FastifyRequest; result: SqlResult }): RawHtml {
  const { t, locale } = props.request;
  const r = props.result;
  const label = t('sql.result.caption', { count: r.rows.length });
  return (
    <section class="df-stack" aria-labelledby="sql-result-heading">
      <h2 class="ds-heading" data-size="sm" id="sql-result-heading">
        {t('sql.result.heading')}
      </h2>
      <p class="ds-paragraph" role="status">
        {t('sql.result.summary', { count: r.rows.length, ms: r.elapsedMs })}
        {r.truncated ? ` ${t('sql.result.truncated', { count: r.rows.length })}` : ''}
      </p>
      <div class="df-table-wrap" role="region" aria-label={label} tabindex="0">
        <table class="ds-table" data-size="sm" id="sql-result">
          <caption>{label}</caption>
          <thead>
            <tr>
              {r.columns.map((c) => (
                <th scope="col">
                  {c.name} <span class="ds-paragraph" data-size="sm">({c.type})</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.rows.map((row) => (
              <tr>
                {r.columns.map((c, i) => (
                  <td class={NUMERIC.test(c.type) ? 'df-num' : undefined}>{cellText(row[i], c.type, locale)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface PageState {
  sql: string;
  datasetId?: string;
  result?: SqlResult;
  error?: { code: string; message: string; params: Record<string, string | number> };
  status?: number;
  /** The save form's input and problems, when saving failed. */
  save?: { title: string; description: string; sharing: string; problems: { field: string; code: string; message: string }[] };
  /** The chart asked for (form fields chart_kind/x/y). */
  chartAsked?: { kind?: unknown; x?: unknown; y?: unknown };
}

/** The same query as a curl command (the statement as a JSON string inside single quotes, for a POSIX shell). */
export function curlSnippet(baseUrl: string, sql: string): string {
  const body = JSON.stringify({ sql }).replace(/'/g, "'\\''");
  return `curl -X POST '${baseUrl}${urls.api.sql()}?_format=csv' \\\n  -H 'content-type: application/json' \\\n  -d '${body}'`;
}

/** The SQL page (the workbench's editor) with a state; the workbench's routes render it too. */
export async function renderSqlPage(request: FastifyRequest, reply: FastifyReply, services: Parameters<DomainPlugin>[1]['services'], state: PageState): Promise<FastifyReply> {
  const t = request.t;
  const baseUrl = services.platform.config.baseUrl;
  const all = await services.sql.readableTables(request.actor);
  // The dataset's own tables first, when the page was opened from a dataset.
  const mine = state.datasetId ? all.items.filter((x) => x.datasetId === state.datasetId) : [];
  const tables = [...mine, ...all.items.filter((x) => x.datasetId !== state.datasetId)];
  const sql = state.sql || exampleFor(mine[0] ?? all.items[0]);
  const errorKey = state.error ? `sql.error.${state.error.code}` : '';
  const hintKey = state.error ? `sql.hint.${state.error.code}` : '';
  const limits = services.sql.limits;
  const chart = state.result ? chartFor(state.result, state.chartAsked) : null;
  const token = state.result ? await needsToken(services, request.actor, state.result) : false;
  return sendPage(
    request,
    reply,
    {
      title: t('sql.title'),
      status: state.status ?? 200,
      alternates: [{ href: urls.api.sqlTables(), type: 'application/json', title: t('sql.schema.json') }],
    },
    <div class="df-stack">
      <h1 class="ds-heading" data-size="lg">
        {t('sql.title')}
      </h1>
      <p class="ds-paragraph">{t('sql.intro', { seconds: limits.timeoutMs / 1000, rows: limits.defaultMaxRows })}</p>
      {state.error ? (
        <div class="ds-alert" data-color="danger" role="alert" id="sql-error">
          <h2 class="ds-heading" data-size="xs">{hasKey(errorKey) ? t(errorKey, state.error.params) : t('sql.error.generic')}</h2>
          {hasKey(hintKey) ? <p class="ds-paragraph">{t(hintKey, state.error.params)}</p> : null}
          {DUCKDB_WORDS.has(state.error.code) || !hasKey(hintKey) ? (
            <p class="ds-paragraph" lang="en">
              {state.error.message}
            </p>
          ) : null}
        </div>
      ) : null}
      <form method="post" action={urls.sql()} class="df-stack" id="sql-form">
        <CsrfField token={request.csrfToken} />
        {state.datasetId ? <input type="hidden" name="dataset" value={state.datasetId} /> : null}
        <div class="ds-field">
          <label class="ds-label" for="sql">{t('sql.editor.label')}</label>
          <div class="ds-paragraph" data-size="sm" id="sql-desc">{t('sql.editor.desc')}</div>
          <textarea class="ds-input df-sql-editor" id="sql" name="sql" rows="8" spellcheck="false" aria-describedby="sql-desc" aria-invalid={state.error ? 'true' : undefined}>
            {sql}
          </textarea>
        </div>
        <p>
          <button type="submit" class="ds-button">{t('sql.editor.run')}</button>
        </p>
      </form>
      {chart && state.result ? <ChartBlock request={request} result={state.result} spec={chart.spec} problems={chart.problems} /> : null}
      {state.result ? <ResultGrid request={request} result={state.result} /> : null}
      {state.result || state.save ? <SaveAndExport request={request} sql={sql} chart={chart?.spec ?? null} save={state.save} /> : null}
      {state.result ? <Snippets request={request} snippets={resultSnippets({ baseUrl, sql, needsToken: token })} /> : null}
      <SchemaList request={request} tables={tables} truncated={all.truncated} />
      <p class="ds-paragraph">
        {t('sql.api')} ·{' '}
        <a class="ds-link" href={urls.api.sqlTables()} type="application/json">{t('sql.schema.json')}</a>
      </p>
      {state.result ? null : (
        <pre class="df-snippet" tabindex="0" aria-label={t('sql.api')}>
          <code>{curlSnippet(baseUrl, sql)}</code>
        </pre>
      )}
    </div>,
  );
}

export const sqlPages: DomainPlugin = async (app, { services }) => {
  app.get<{ Querystring: { dataset?: string; sql?: string } }>('/sql', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query;
    return renderSqlPage(request, reply, services, { sql: typeof q.sql === 'string' ? q.sql : '', datasetId: typeof q.dataset === 'string' ? q.dataset : undefined });
  });

  app.post<{ Body: Record<string, unknown> }>('/sql', { schema: { hide: true } }, async (request, reply) => {
    const body = request.body ?? {};
    const sql = typeof body.sql === 'string' ? body.sql.replace(/\r\n/g, '\n') : '';
    const datasetId = typeof body.dataset === 'string' && body.dataset !== '' ? body.dataset : undefined;
    try {
      const result = await services.sql.query(request.actor, { sql });
      return await renderSqlPage(request, reply, services, { sql, datasetId, result, chartAsked: chartInput(body) });
    } catch (err) {
      if (!(err instanceof DomainError) || err.status >= 500 && err.status !== 503) throw err;
      return renderSqlPage(request, reply, services, { sql, datasetId, error: { code: err.code, message: err.message, params: err.params }, status: err.status });
    }
  });
};
