// The dataset page's tables section: for each table its columns with types, the first rows, the row count, the state
// of an ingest still running, and links to the JSON twins (table description and rows API). Catalog pages call
// tablesSection(); the data come from the same service calls as the JSON API.
import type { FastifyRequest } from 'fastify';
import type { MessageKey } from '../web/i18n/nb';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { urls } from '../web/urls';
import type { Services } from '../services';
import type { TableSummary } from './service';

void Fragment;

const PREVIEW_ROWS = 10;

const TYPE_KEYS: Record<string, MessageKey> = {
  VARCHAR: 'tables.type.VARCHAR',
  BIGINT: 'tables.type.BIGINT',
  DOUBLE: 'tables.type.DOUBLE',
  DATE: 'tables.type.DATE',
  TIMESTAMP: 'tables.type.TIMESTAMP',
  BOOLEAN: 'tables.type.BOOLEAN',
};

function numberFormat(request: FastifyRequest): Intl.NumberFormat {
  return new Intl.NumberFormat(request.locale === 'en' ? 'en-GB' : 'nb-NO');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A DOM id fragment for a table name (names are already [a-z0-9_-]). */
const anchor = (name: string) => `table-${name}`;

async function jobNotice(request: FastifyRequest, services: Services, table: TableSummary): Promise<RawHtml | null> {
  const t = request.t;
  const latest = table.latestVersion;
  if (!latest || latest.id === table.currentVersion?.id) return null;
  if (latest.state === 'pending') {
    const job = latest.jobId ? await services.jobs.get(latest.jobId) : undefined;
    const state = job?.state ?? 'queued';
    return (
      <div class="ds-alert" data-color="info" role="status">
        <p class="ds-paragraph">
          {t(state === 'running' ? 'tables.ingest.running' : 'tables.ingest.queued', { version: latest.version, progress: Number(job?.progress ?? 0) })}
          {job?.progress_message ? ` (${job.progress_message})` : ''}
        </p>
        {latest.jobId ? (
          <p class="ds-paragraph" data-size="sm">
            <a class="ds-link" href={urls.api.job(latest.jobId)}>{t('tables.ingest.jobLink')}</a>
          </p>
        ) : null}
      </div>
    );
  }
  if (latest.state === 'failed') {
    return (
      <div class="ds-alert" data-color="warning">
        <p class="ds-paragraph">{t('tables.ingest.failed', { version: latest.version })}</p>
        {latest.error ? <p class="ds-paragraph" data-size="sm">{latest.error}</p> : null}
      </div>
    );
  }
  return null;
}

function ColumnsTable(props: { request: FastifyRequest; table: TableSummary }): RawHtml {
  const t = props.request.t;
  return (
    <div class="df-table-wrap">
      <table class="ds-table" data-size="sm">
        <caption>{t('tables.columns.caption', { title: props.table.title })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('tables.columns.name')}</th>
            <th scope="col">{t('tables.columns.type')}</th>
            <th scope="col">{t('tables.columns.note')}</th>
          </tr>
        </thead>
        <tbody>
          {props.table.columns.map((c) => {
            const key = TYPE_KEYS[c.type];
            return (
              <tr>
                <th scope="row">
                  <code>{c.name}</code>
                </th>
                <td>
                  {key ? t(key) : c.type} <span class="ds-paragraph" data-size="sm">({c.type})</span>
                </td>
                <td>{c.keptAsText ? t('tables.columns.keptAsText') : c.nullable ? t('tables.columns.nullable') : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RowsPreview(props: { request: FastifyRequest; table: TableSummary; rows: Record<string, unknown>[] }): RawHtml {
  const t = props.request.t;
  const names = props.table.columns.map((c) => c.name);
  const label = t('tables.rows.caption', { count: props.rows.length, title: props.table.title });
  return (
    <div class="df-table-wrap" role="region" aria-label={label} tabindex="0">
      <table class="ds-table" data-size="sm">
        <caption>{label}</caption>
        <thead>
          <tr>
            {names.map((n) => (
              <th scope="col">{n}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {names.map((n) => (
                <td>{cell(row[n])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function TableBlock(request: FastifyRequest, services: Services, datasetId: string, table: TableSummary, canRead: boolean): Promise<RawHtml> {
  const t = request.t;
  const fmt = numberFormat(request);
  const ready = table.currentVersion !== null;
  const rows = ready && canRead ? (await services.tables.rows(request.actor, datasetId, table.name, { offset: 0, size: PREVIEW_ROWS })).rows : [];
  return (
    <section class="df-stack" aria-labelledby={anchor(table.name)} id={`${anchor(table.name)}-section`}>
      <h3 class="ds-heading" data-size="sm" id={anchor(table.name)}>
        {table.title}
      </h3>
      {ready ? (
        <p class="ds-paragraph">
          {t('tables.summary', {
            rows: fmt.format(table.rowCount ?? 0),
            columns: fmt.format(table.columns.length),
            version: table.currentVersion?.version ?? 0,
          })}
        </p>
      ) : null}
      {await jobNotice(request, services, table)}
      {ready ? <ColumnsTable request={request} table={table} /> : null}
      {ready && canRead ? <RowsPreview request={request} table={table} rows={rows} /> : null}
      {ready && !canRead ? (
        <div class="ds-alert" data-color="info">
          <p class="ds-paragraph">{t(request.actor.user ? 'tables.rows.noAccess' : 'tables.rows.signIn')}</p>
        </div>
      ) : null}
      <p class="ds-paragraph" data-size="sm">
        <a class="ds-link" href={urls.api.table(datasetId, table.name)} type="application/json">
          {t('tables.links.json', { name: table.name })}
        </a>
        {ready ? (
          <>
            {' · '}
            <a class="ds-link" href={urls.api.rows(datasetId, table.name, { _size: 1000 })} type="application/json">
              {t('tables.links.rows', { name: table.name })}
            </a>
          </>
        ) : null}
      </p>
    </section>
  );
}

/** The dataset page's tables section (catalog pages call this). Empty when the dataset has no tables. */
export async function tablesSection(request: FastifyRequest, services: Services, datasetId: string): Promise<RawHtml> {
  const t = request.t;
  const tables = await services.tables.listTables(request.actor, datasetId);
  if (tables.length === 0) return <></>;
  const canRead = await services.tables.canReadData(request.actor, datasetId);
  const blocks: RawHtml[] = [];
  for (const table of tables) blocks.push(await TableBlock(request, services, datasetId, table, canRead));
  return (
    <section class="df-stack" aria-labelledby="tables-heading">
      <h2 class="ds-heading" data-size="md" id="tables-heading">
        {t('tables.heading')}
      </h2>
      <p class="ds-paragraph">
        {t('tables.intro')}{' '}
        <a class="ds-link" href={urls.api.tables(datasetId)} type="application/json">
          {t('tables.links.list')}
        </a>
      </p>
      {blocks}
    </section>
  );
}
