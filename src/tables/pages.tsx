// The dataset page's tables section: for each table its columns with types, the first rows, the row count, the state
// of an ingest still running, and links to the JSON twins (table description and rows API). Catalog pages call
// tablesSection(); the data come from the same service calls as the JSON API.
// tablesPages adds the upload form for editors (works without JavaScript: a multipart form whose CSRF token travels in
// the action URL's `_csrf` parameter, as server.ts expects for uploads).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ValidationError, type FieldProblem } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { CSRF_FIELD } from '../web/context';
import { hasKey, type Translate } from '../web/i18n/index';
import type { MessageKey } from '../web/i18n/nb';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import type { Services } from '../services';
import { readTableUpload } from './api';
import { ACCEPTED_EXTENSIONS, type TableSummary } from './service';

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

/** The id of a table's heading on the dataset page (names are already [a-z0-9_-]); distributions link to it. */
export const tableAnchor = (name: string) => `table-${name}`;

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
    <section class="df-stack" aria-labelledby={tableAnchor(table.name)} id={`${tableAnchor(table.name)}-section`}>
      <h3 class="ds-heading" data-size="sm" id={tableAnchor(table.name)}>
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
  if (tables.length === 0 && !(await services.tables.canUpload(request.actor, datasetId))) return <></>;
  const canRead = await services.tables.canReadData(request.actor, datasetId);
  const canUpload = await services.tables.canUpload(request.actor, datasetId);
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
      {canUpload ? (
        <p>
          <a class="ds-button" data-variant="secondary" href={urls.tableUpload(datasetId)}>
            {t('tables.upload.link')}
          </a>
        </p>
      ) : null}
      {blocks}
    </section>
  );
}

// --- upload page ------------------------------------------------------------------------------------------------------

interface UploadForm {
  name: string;
  title: string;
}

const FIELD_IDS: Record<string, string> = { '/name': 'name', '/title': 'title', '/file': 'file' };

function problemMessage(t: Translate, p: FieldProblem): string {
  const key = `tables.problem.${p.code}`;
  return hasKey(key) ? t(key) : p.message;
}

function uploadPage(request: FastifyRequest, reply: FastifyReply, datasetId: string, form: UploadForm, problems: FieldProblem[], status = 200): FastifyReply {
  const t = request.t;
  const errorOf = (id: string) => {
    const p = problems.find((x) => FIELD_IDS[x.field] === id);
    return p ? problemMessage(t, p) : undefined;
  };
  const summary = problems.map((p) => ({ field: FIELD_IDS[p.field] ?? 'file', message: problemMessage(t, p) }));
  const action = `${urls.tableUpload(datasetId)}?${CSRF_FIELD}=${encodeURIComponent(request.csrfToken)}`;
  const fileError = errorOf('file');
  return sendPage(
    request,
    reply,
    { title: t('tables.upload.title'), status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('tables.upload.title')}</h1>
      <p class="ds-paragraph">{t('tables.upload.lead')}</p>
      <ErrorSummary title={t('error.validation_failed')} problems={summary} />
      <form method="post" action={action} enctype="multipart/form-data" class="df-form" novalidate>
        <TextField id="name" label={t('tables.upload.name')} description={t('tables.upload.name.desc')} value={form.name} required error={errorOf('name')} autocomplete="off" />
        <TextField id="title" label={t('tables.upload.tableTitle')} value={form.title} error={errorOf('title')} />
        <div class="ds-field">
          <label class="ds-label" for="file">
            {t('tables.upload.file')}
          </label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="file-desc">
            {t('tables.upload.file.desc')}
          </div>
          <input
            id="file"
            name="file"
            type="file"
            class="ds-input"
            required
            accept={ACCEPTED_EXTENSIONS.map((e) => `.${e}`).join(',')}
            aria-describedby={fileError ? 'file-desc file-error' : 'file-desc'}
            aria-invalid={fileError ? 'true' : undefined}
          />
          {fileError ? (
            <div class="ds-validation-message" data-field="validation" id="file-error">
              {fileError}
            </div>
          ) : null}
        </div>
        <div class="df-actions">
          <button type="submit" class="ds-button" data-variant="primary">
            {t('tables.upload.submit')}
          </button>
          <a class="ds-link" href={urls.dataset(datasetId)}>
            {t('tables.upload.cancel')}
          </a>
        </div>
      </form>
    </section>,
  );
}

export const tablesPages: DomainPlugin = async (app, { services }) => {
  const uploadLimit = services.platform.config.uploadLimitBytes;

  app.get<{ Params: { id: string } }>('/datasett/:id/tabeller/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(request.url), 303);
    await services.tables.assertCanUpload(request.actor, request.params.id);
    return uploadPage(request, reply, request.params.id, { name: '', title: '' }, []);
  });

  app.post<{ Params: { id: string } }>('/datasett/:id/tabeller/ny', { schema: { hide: true }, config: { csrf: 'handler' } }, async (request, reply) => {
    const id = request.params.id;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.tableUpload(id)), 303);
    const fields: Record<string, string> = {};
    try {
      const { table } = await readTableUpload(request, services.tables, id, uploadLimit, fields);
      return reply.redirect(`${urls.dataset(id)}#table-${table.name}-section`, 303);
    } catch (err) {
      const form = { name: fields.name ?? '', title: fields.title ?? '' };
      if (err instanceof ValidationError) return uploadPage(request, reply, id, form, err.problems, 422);
      if (err instanceof DomainError && err.code === 'payload_too_large') {
        return uploadPage(request, reply, id, form, [{ field: '/file', code: 'too_large', message: err.message }], 413);
      }
      throw err;
    }
  });
};
