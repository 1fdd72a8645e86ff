// The analysis workbench's pages (issue 11.3), beside the SQL page (/sql, src/sql/pages.tsx, which shows the editor,
// the schema browser and the result grid and includes the blocks below): a chart of the result, saving and sharing a
// query, exports (CSV, Parquet, XLSX and the ML bundle with its data card), and code that loads the result. Plain
// forms throughout, so everything works without JavaScript.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../access/model';
import { DomainError, ValidationError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { sendSqlResult } from '../sql/api';
import type { SqlFormat, SqlResult } from '../sql/model';
import { renderSqlPage, ResultGrid } from '../sql/pages';
import { hasKey } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, sendPage } from '../web/layout';
import { urls } from '../web/urls';
import { ResultChart } from './chart';
import { fileStem, mlExportZip, resultSnippets } from './export';
import { CHART_KINDS, isNumericType, parseChartSpec, suggestChart, type ChartSpec, type SavedQuery } from './model';
import type { SaveInput } from './service';

void Fragment;

type Services = Parameters<DomainPlugin>[1]['services'];

export const EXPORT_FORMATS = ['csv', 'parquet', 'xlsx', 'ml'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Chart fields as the forms send them. */
export function chartInput(body: Record<string, unknown>): { kind?: unknown; x?: unknown; y?: unknown } {
  return { kind: body.chart_kind, x: body.chart_x, y: body.chart_y };
}

/** The chart to draw for a result: the one asked for when it fits the result, else a suggestion. */
export function chartFor(result: SqlResult, asked: { kind?: unknown; x?: unknown; y?: unknown } | ChartSpec | null | undefined): { spec: ChartSpec | null; problems: { field: string; message: string; code: string }[] } {
  if (asked && asked.kind) {
    const r = parseChartSpec(asked, result.columns);
    if (r.spec || r.problems.length) return r;
  }
  return { spec: suggestChart(result.columns), problems: [] };
}

function problemText(request: FastifyRequest, p: { code: string; message: string }): string {
  const key = `workbench.error.${p.code}`;
  return hasKey(key) ? request.t(key) : p.message;
}

/** Chart controls (inside the SQL form, so "Draw" re-runs the statement with them) and the chart itself. */
export function ChartBlock(props: { request: FastifyRequest; result: SqlResult; spec: ChartSpec | null; problems?: { field: string; code: string; message: string }[] }): RawHtml {
  const { t } = props.request;
  const cols = props.result.columns;
  const numeric = cols.filter((c) => isNumericType(c.type));
  const problems = props.problems ?? [];
  return (
    <section class="df-stack" aria-labelledby="chart-heading">
      <h2 class="ds-heading" data-size="sm" id="chart-heading">
        {t('workbench.chart.heading')}
      </h2>
      {problems.length ? (
        <div class="ds-alert" data-color="danger" role="alert">
          <ul class="ds-list">
            {problems.map((p) => (
              <li>{problemText(props.request, p)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {numeric.length === 0 ? <p class="ds-paragraph">{t('workbench.chart.noNumbers')}</p> : null}
      <fieldset class="df-chart-controls">
        <legend class="ds-label">{t('workbench.chart.legend')}</legend>
        <div class="ds-field">
          <label class="ds-label" for="chart_kind">{t('workbench.chart.kind')}</label>
          <select class="ds-input" id="chart_kind" name="chart_kind" form="sql-form">
            <option value="">{t('workbench.chart.kind.auto')}</option>
            {CHART_KINDS.map((k) => (
              <option value={k} selected={props.spec?.kind === k ? true : undefined}>
                {t(`workbench.chart.kind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="ds-field">
          <label class="ds-label" for="chart_x">{t('workbench.chart.x')}</label>
          <select class="ds-input" id="chart_x" name="chart_x" form="sql-form">
            {cols.map((c) => (
              <option value={c.name} selected={props.spec?.x === c.name ? true : undefined}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div class="ds-field">
          <label class="ds-label" for="chart_y">{t('workbench.chart.y')}</label>
          <select class="ds-input" id="chart_y" name="chart_y" form="sql-form">
            {numeric.map((c) => (
              <option value={c.name} selected={props.spec?.y === c.name ? true : undefined}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <p>
          <button type="submit" class="ds-button" data-variant="secondary" form="sql-form">
            {t('workbench.chart.draw')}
          </button>
        </p>
      </fieldset>
      {props.spec ? <ResultChart request={props.request} result={props.result} spec={props.spec} /> : null}
    </section>
  );
}

/** Save (a signed-in user) and export forms for an ad-hoc statement. */
export function SaveAndExport(props: { request: FastifyRequest; sql: string; chart: ChartSpec | null; save?: { title: string; description: string; sharing: string; problems: { field: string; code: string; message: string }[] } }): RawHtml {
  const { t, actor } = props.request;
  const s = props.save ?? { title: '', description: '', sharing: 'private', problems: [] };
  const err = (field: string) => s.problems.find((p) => p.field === field);
  const hidden = (
    <>
      <input type="hidden" name="sql" value={props.sql} />
      {props.chart ? (
        <>
          <input type="hidden" name="chart_kind" value={props.chart.kind} />
          <input type="hidden" name="chart_x" value={props.chart.x} />
          <input type="hidden" name="chart_y" value={props.chart.y} />
        </>
      ) : null}
    </>
  );
  return (
    <div class="df-stack">
      <section class="df-stack" aria-labelledby="export-heading">
        <h2 class="ds-heading" data-size="sm" id="export-heading">
          {t('workbench.export.heading')}
        </h2>
        <p class="ds-paragraph">{t('workbench.export.intro')}</p>
        <form method="post" action={urls.workbench.export()} class="df-inline-form">
          <CsrfField token={props.request.csrfToken} />
          {hidden}
          {EXPORT_FORMATS.map((f) => (
            <button type="submit" class="ds-button" data-variant="secondary" name="format" value={f}>
              {t(`workbench.export.${f}`)}
            </button>
          ))}
        </form>
      </section>
      <section class="df-stack" aria-labelledby="save-heading">
        <h2 class="ds-heading" data-size="sm" id="save-heading">
          {t('workbench.save.heading')}
        </h2>
        {actor.user ? (
          <form method="post" action={urls.workbench.save()} class="df-stack" novalidate>
            <CsrfField token={props.request.csrfToken} />
            {hidden}
            {s.problems.length ? (
              <div class="ds-alert" data-color="danger" role="alert" id="save-errors">
                <h3 class="ds-heading" data-size="xs">{t('workbench.save.errors')}</h3>
                <ul class="ds-list">
                  {s.problems.map((p) => (
                    <li>{problemText(props.request, p)}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            <div class="ds-field">
              <label class="ds-label" for="save-title">{t('workbench.save.title')}</label>
              <input class="ds-input" id="save-title" name="title" value={s.title} maxlength="200" required aria-invalid={err('/title') ? 'true' : undefined} />
            </div>
            <div class="ds-field">
              <label class="ds-label" for="save-description">{t('workbench.save.description')}</label>
              <textarea class="ds-input" id="save-description" name="description" rows="3">
                {s.description}
              </textarea>
            </div>
            <fieldset class="ds-fieldset">
              <legend class="ds-label">{t('workbench.save.sharing')}</legend>
              <div class="ds-field">
                <input class="ds-input" type="radio" id="sharing-private" name="sharing" value="private" checked={s.sharing !== 'shared' ? true : undefined} />
                <label class="ds-label" for="sharing-private">{t('workbench.sharing.private')}</label>
              </div>
              <div class="ds-field">
                <input class="ds-input" type="radio" id="sharing-shared" name="sharing" value="shared" checked={s.sharing === 'shared' ? true : undefined} />
                <label class="ds-label" for="sharing-shared">{t('workbench.sharing.shared')}</label>
              </div>
            </fieldset>
            <p>
              <button type="submit" class="ds-button">{t('workbench.save.submit')}</button>
            </p>
          </form>
        ) : (
          <p class="ds-paragraph">
            <a class="ds-link" href={urls.signIn(urls.sql())}>{t('workbench.save.signIn')}</a>
          </p>
        )}
        {actor.user ? (
          <p class="ds-paragraph">
            <a class="ds-link" href={urls.workbench.saved()}>{t('workbench.saved.link')}</a>
          </p>
        ) : null}
      </section>
    </div>
  );
}

export function Snippets(props: { request: FastifyRequest; snippets: { lang: string; label: string; code: string }[] }): RawHtml {
  const { t } = props.request;
  return (
    <section class="df-stack" aria-labelledby="workbench-code-heading">
      <h2 class="ds-heading" data-size="sm" id="workbench-code-heading">
        {t('workbench.code.heading')}
      </h2>
      <p class="ds-paragraph">{t('workbench.code.intro')}</p>
      {props.snippets.map((s, i) => (
        <details open={i === 0 ? true : undefined}>
          <summary>{s.label}</summary>
          <pre class="df-snippet" tabindex="0" aria-label={s.label} data-lang={s.lang}>
            <code>{s.code}</code>
          </pre>
        </details>
      ))}
    </section>
  );
}

/** Whether any table a result read is not open data (then code needs a token). */
export async function needsToken(services: Services, actor: Actor, result: SqlResult): Promise<boolean> {
  const described = await services.sql.describeTables(actor, result.tables);
  return (described ?? []).some((d) => d.accessRights !== 'PUBLIC' || d.restricted);
}

async function sendExport(request: FastifyRequest, reply: FastifyReply, services: Services, format: ExportFormat, meta: { title: string; description?: string; sql: string }, result: SqlResult & { queryId: string }) {
  const tmpDir = `${services.platform.config.dataDir}/tmp/sql-out`;
  const stem = fileStem(meta.title);
  if (format === 'ml') {
    const card = await services.workbench.dataCard(request.actor, meta, result);
    const zip = await mlExportZip(services.platform.engine, tmpDir, card, result);
    return reply.type('application/zip').header('content-disposition', `attachment; filename="${stem}-ml.zip"`).send(zip);
  }
  return sendSqlResult(reply, format as SqlFormat, result, { engine: services.platform.engine, tmpDir, filename: stem });
}

function exportFormat(v: unknown): ExportFormat | null {
  return typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v) ? (v as ExportFormat) : null;
}

function SavedList(props: { request: FastifyRequest; items: SavedQuery[] }): RawHtml {
  const { t } = props.request;
  return (
    <div class="df-stack">
      <h1 class="ds-heading" data-size="lg">
        {t('workbench.saved.title')}
      </h1>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.sql()}>{t('workbench.saved.new')}</a>
      </p>
      {props.items.length === 0 ? (
        <p class="ds-paragraph">{t('workbench.saved.none')}</p>
      ) : (
        <ul class="ds-list">
          {props.items.map((q) => (
            <li>
              <a class="ds-link" href={urls.workbench.query(q.id)}>{q.title}</a> · {t(`workbench.sharing.short.${q.sharing}`)} · <time datetime={q.updatedAt}>{q.updatedAt.slice(0, 10)}</time>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function sqlErrorText(request: FastifyRequest, err: DomainError): string {
  const key = `sql.error.${err.code}`;
  return hasKey(key) ? request.t(key, err.params) : request.t('sql.error.generic');
}

function SavedView(props: { request: FastifyRequest; query: SavedQuery; result?: SqlResult; error?: DomainError; baseUrl: string; needsToken: boolean }): RawHtml {
  const { t } = props.request;
  const q = props.query;
  const shareUrl = `${props.baseUrl}${urls.workbench.query(q.id)}`;
  return (
    <div class="df-stack">
      <h1 class="ds-heading" data-size="lg">
        {q.title}
      </h1>
      {q.description ? <p class="ds-paragraph">{q.description}</p> : null}
      <p class="ds-paragraph" data-size="sm">
        {t('workbench.saved.by', { name: q.ownerName ?? '–' })} · {t(`workbench.sharing.short.${q.sharing}`)} · <time datetime={q.updatedAt}>{q.updatedAt.slice(0, 10)}</time>
      </p>
      {q.sharing === 'shared' ? (
        <p class="ds-paragraph">
          {t('workbench.saved.shareLink')} <code>{shareUrl}</code>
        </p>
      ) : null}
      <pre class="df-snippet" tabindex="0" aria-label={t('workbench.saved.sql')}>
        <code>{q.sql}</code>
      </pre>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.sql({ sql: q.sql })}>{t('workbench.saved.openInEditor')}</a>
      </p>
      {props.error ? (
        <div class="ds-alert" data-color="danger" role="alert">
          <p class="ds-paragraph">{sqlErrorText(props.request, props.error)}</p>
        </div>
      ) : null}
      {props.result && q.chart ? <ResultChart request={props.request} result={props.result} spec={chartFor(props.result, q.chart).spec ?? q.chart} /> : null}
      {props.result ? <ResultGrid request={props.request} result={props.result} /> : null}
      <section class="df-stack" aria-labelledby="export-heading">
        <h2 class="ds-heading" data-size="sm" id="export-heading">
          {t('workbench.export.heading')}
        </h2>
        <ul class="ds-list">
          {EXPORT_FORMATS.map((f) => (
            <li>
              <a class="ds-link" href={urls.workbench.exportSaved(q.id, f)} download>
                {t(`workbench.export.${f}`)}
              </a>
            </li>
          ))}
        </ul>
      </section>
      <Snippets request={props.request} snippets={resultSnippets({ baseUrl: props.baseUrl, savedId: q.id, sql: q.sql, needsToken: props.needsToken })} />
      {q.mine ? (
        <form method="post" action={urls.workbench.remove(q.id)}>
          <CsrfField token={props.request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="tertiary" data-color="danger">
            {t('workbench.saved.delete')}
          </button>
        </form>
      ) : null}
    </div>
  );
}

export const workbenchPages: DomainPlugin = async (app, { services }) => {
  const signIn = (request: FastifyRequest, reply: FastifyReply) => reply.redirect(urls.signIn(request.url), 303);

  app.post<{ Body: Record<string, unknown> }>('/sql/lagre', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return signIn(request, reply);
    const body = request.body ?? {};
    const input: SaveInput = { title: body.title, description: body.description, sql: body.sql, sharing: body.sharing, chart: chartInput(body) };
    try {
      const saved = await services.workbench.create(request.actor, input);
      return reply.redirect(urls.workbench.query(saved.id), 303);
    } catch (err) {
      if (!(err instanceof DomainError) || err.status >= 500) throw err;
      const problems = err instanceof ValidationError ? err.problems : [{ field: '/sql', code: err.code, message: err.message }];
      return renderSqlPage(request, reply, services, {
        sql: typeof body.sql === 'string' ? body.sql : '',
        status: err.status,
        save: { title: typeof body.title === 'string' ? body.title : '', description: typeof body.description === 'string' ? body.description : '', sharing: typeof body.sharing === 'string' ? body.sharing : 'private', problems },
        chartAsked: chartInput(body),
      });
    }
  });

  app.post<{ Body: Record<string, unknown> }>('/sql/eksport', { schema: { hide: true } }, async (request, reply) => {
    const body = request.body ?? {};
    const format = exportFormat(body.format);
    const sql = typeof body.sql === 'string' ? body.sql.replace(/\r\n/g, '\n') : '';
    if (!format) return renderSqlPage(request, reply, services, { sql, status: 400, error: { code: 'workbench_format_unknown', message: `Unknown export format: use ${EXPORT_FORMATS.join(', ')}.`, params: {} } });
    try {
      const result = await services.sql.query(request.actor, { sql, maxRows: 10_000 });
      return await sendExport(request, reply, services, format, { title: 'resultat', sql }, result);
    } catch (err) {
      if (!(err instanceof DomainError) || (err.status >= 500 && err.status !== 503)) throw err;
      return renderSqlPage(request, reply, services, { sql, status: err.status, error: { code: err.code, message: err.message, params: err.params } });
    }
  });

  app.get('/sql/lagret', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return signIn(request, reply);
    const items = await services.workbench.list(request.actor);
    return sendPage(request, reply, { title: request.t('workbench.saved.title') }, <SavedList request={request} items={items} />);
  });

  app.get<{ Params: { id: string } }>('/sql/lagret/:id', { schema: { hide: true } }, async (request, reply) => {
    const query = await services.workbench.get(request.actor, request.params.id);
    let result: SqlResult | undefined;
    let error: DomainError | undefined;
    try {
      result = (await services.workbench.run(request.actor, query.id)).result;
    } catch (err) {
      if (!(err instanceof DomainError) || (err.status >= 500 && err.status !== 503)) throw err;
      error = err;
    }
    const token = result ? await needsToken(services, request.actor, result) : true;
    return sendPage(request, reply, { title: query.title, status: error && !result ? error.status : 200 }, <SavedView request={request} query={query} result={result} error={error} baseUrl={services.platform.config.baseUrl} needsToken={token} />);
  });

  app.get<{ Params: { id: string }; Querystring: { format?: string } }>('/sql/lagret/:id/eksport', { schema: { hide: true } }, async (request, reply) => {
    const format = exportFormat(request.query.format);
    if (!format) throw new ValidationError([{ field: '/format', code: 'workbench_format_unknown', message: `Unknown export format: use ${EXPORT_FORMATS.join(', ')}.` }]);
    const { query, result } = await services.workbench.run(request.actor, request.params.id, 10_000);
    return sendExport(request, reply, services, format, { title: query.title, description: query.description, sql: query.sql }, result);
  });

  app.post<{ Params: { id: string } }>('/sql/lagret/:id/slett', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return signIn(request, reply);
    await services.workbench.remove(request.actor, request.params.id);
    return reply.redirect(urls.workbench.saved(), 303);
  });
};

