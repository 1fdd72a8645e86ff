// The dataset page's tables section: for each table its columns with types, the first rows, the row count, the state
// of an ingest still running or failed (a translated, value-free message), and links to the JSON twins. Catalog pages
// call tablesSection(); the data come from the same service calls as the JSON API, already trimmed by the access
// door's table policy (src/access/table-visibility.ts) — this file never decides what a viewer may see.
// tablesPages adds, for editors:
//   - the upload form (works without JavaScript: a multipart form whose FIRST field is `_csrf`, checked by
//     readTableUpload before the file is read — never a token in the URL);
//   - the import page of a table: how the newest version was read (encoding, delimiter, quote, header, skipped lines,
//     separators, per-column type, record count vs rows), its progress while it runs (a role="status" region that
//     /static/upload.js keeps current; without JavaScript an "Oppdater" link), and a form to read the stored file
//     again with other options (a urlencoded form with `_csrf`; 422 with the input kept on errors).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tableConsentNotice } from '../consent/pages';
import { DomainError, ValidationError, type FieldProblem } from '../errors';
import { COLUMN_TYPE_OVERRIDES, TEXT_ENCODINGS, type CsvReadOptions } from '../platform/engine/index';
import type { DomainPlugin } from '../platform/http/plugin';
import { hasKey, type Translate } from '../web/i18n/index';
import type { MessageKey } from '../web/i18n/nb';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import type { Services } from '../services';
import { readTableUpload } from './api';
import { ProfileSection } from './profile-view';
import type { ColumnSchema, TableDetail, TableSummary, TableVersion } from './model';
import { MAX_SKIP_LINES } from './service';

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

const NUMERIC_TYPES = new Set(['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'HUGEINT', 'UBIGINT', 'UINTEGER', 'DOUBLE', 'FLOAT', 'REAL']);

function numberFormat(request: FastifyRequest): Intl.NumberFormat {
  return new Intl.NumberFormat(request.locale === 'en' ? 'en-GB' : 'nb-NO');
}

/**
 * A number of a typed numeric column for the page's language: digit groups and decimal mark as the reader writes them
 * (1 316 303,34 in nb/nn; 1,316,303.34 in en), with every digit the value has (the shortest round-trip form, not
 * Intl's rounding). Values that are not plain numbers are shown as they are.
 */
export function formatNumberCell(value: unknown, locale: string): string {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'bigint' ? value.toString() : String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return text;
  const [group, decimal] = locale === 'en' ? [',', '.'] : ['\u00a0', ','];
  const int = (m[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${m[1]}${int}${m[3] ? `${decimal}${m[3]}` : ''}`;
}

function cell(value: unknown, column: ColumnSchema | undefined, locale: string): string {
  if (value === null || value === undefined) return '';
  if (column && NUMERIC_TYPES.has(column.type) && (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string')) return formatNumberCell(value, locale);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The id of a table's heading on the dataset page (names are already [a-z0-9_-]); distributions link to it. */
export const tableAnchor = (name: string) => `table-${name}`;

/** A failure in the reader's language: `tables.error.<code>`, a generic message for unknown codes, the line if known. */
function failureText(t: Translate, version: TableVersion): string {
  const code = version.errorCode ?? 'unknown';
  const key = `tables.error.${code}`;
  const base = hasKey(key) ? t(key) : t('tables.error.unknown');
  const line = version.detail?.errorParams.line;
  return line !== undefined ? `${base} ${t('tables.error.atLine', { line: String(line) })}` : base;
}

async function jobNotice(request: FastifyRequest, services: Services, datasetId: string, table: TableSummary, canUpload: boolean): Promise<RawHtml | null> {
  const t = request.t;
  const latest = table.latestVersion;
  if (!latest || latest.id === table.currentVersion?.id) return null;
  const importLink = canUpload ? (
    <p class="ds-paragraph" data-size="sm">
      <a class="ds-link" href={urls.tableImport(datasetId, table.name)}>{t('tables.import.link')}</a>
    </p>
  ) : null;
  if (latest.state === 'pending') {
    // Progress (the job record) is for publishers only; others learn that a new version is on its way.
    const jobId = canUpload ? latest.detail?.jobId : undefined;
    const job = jobId ? await services.jobs.get(jobId) : undefined;
    const state = job?.state ?? 'queued';
    return (
      <div class="ds-alert" data-color="info" role="status">
        <p class="ds-paragraph">
          {canUpload
            ? t(state === 'running' ? 'tables.ingest.running' : 'tables.ingest.queued', { version: latest.version, progress: Number(job?.progress ?? 0) })
            : t('tables.ingest.pending', { version: latest.version })}
        </p>
        {importLink}
      </div>
    );
  }
  if (latest.state === 'failed') {
    return (
      <div class="ds-alert" data-color="warning">
        <p class="ds-paragraph">{t(table.currentVersion ? 'tables.ingest.failed' : 'tables.ingest.failedFirst', { version: latest.version })}</p>
        <p class="ds-paragraph" data-size="sm">
          {failureText(t, latest)}
        </p>
        {importLink}
      </div>
    );
  }
  return null;
}

/** Says plainly that lines of the file were left out (to those who see the import report: readers and publishers). */
function skippedNotice(request: FastifyRequest, datasetId: string, table: TableSummary, canUpload: boolean): RawHtml | null {
  const skipped = table.currentVersion?.detail?.skipped ?? [];
  const count = skipped.reduce((n, s) => n + s.count, 0);
  if (count === 0) return null;
  const t = request.t;
  return (
    <div class="ds-alert" data-color="warning">
      <p class="ds-paragraph">
        {t('tables.import.skipped', { count: numberFormat(request).format(count) })}{' '}
        {skipped
          .map((s) =>
            t('tables.import.skippedReason', {
              reason: hasKey(`tables.skip.${s.reason}`) ? t(`tables.skip.${s.reason}` as MessageKey) : s.reason,
              count: numberFormat(request).format(s.count),
              lines: s.lines.slice(0, 10).join(', ') + (s.count > Math.min(10, s.lines.length) ? ' …' : ''),
            }),
          )
          .join('; ')}
      </p>
      {canUpload ? (
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.tableImport(datasetId, table.name)}>{t('tables.import.link')}</a>
        </p>
      ) : null}
    </div>
  );
}

function columnNote(t: Translate, c: ColumnSchema): string {
  const notes: string[] = [];
  if (c.keptAsText) {
    const key = `tables.keptAsText.${c.keptAsText}`;
    notes.push(hasKey(key) ? t(key) : t('tables.columns.keptAsText'));
  }
  if (c.semanticType) {
    const key = `tables.semantic.${c.semanticType}`;
    if (hasKey(key)) notes.push(t(key));
  }
  if (c.missingMarkers) {
    const markers = Object.entries(c.missingMarkers).map(([m, n]) => `«${m}» × ${n}`);
    if (markers.length > 0) notes.push(t('tables.columns.missingMarkers', { markers: markers.join(', ') }));
  }
  if (notes.length === 0 && c.nullable) notes.push(t('tables.columns.nullable'));
  return notes.join(' · ');
}

function ColumnsTable(props: { request: FastifyRequest; title: string; columns: ColumnSchema[] }): RawHtml {
  const t = props.request.t;
  return (
    <div class="df-table-wrap" role="region" aria-label={t('tables.columns.caption', { title: props.title })} tabindex="0">
      <table class="ds-table" data-size="sm">
        <caption>{t('tables.columns.caption', { title: props.title })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('tables.columns.name')}</th>
            <th scope="col">{t('tables.columns.type')}</th>
            <th scope="col">{t('tables.columns.note')}</th>
          </tr>
        </thead>
        <tbody>
          {props.columns.map((c) => {
            const key = TYPE_KEYS[c.type];
            return (
              <tr>
                <th scope="row">
                  <code>{c.name}</code>
                </th>
                <td>
                  {key ? t(key) : c.type} <span class="ds-paragraph" data-size="sm">({c.type})</span>
                </td>
                <td>{columnNote(t, c)}</td>
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
  const columns = props.table.columns;
  const label = t('tables.rows.caption', { count: props.rows.length, title: props.table.title });
  const locale = props.request.locale;
  return (
    <div class="df-table-wrap" role="region" aria-label={label} tabindex="0">
      <table class="ds-table" data-size="sm">
        <caption>{label}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col">{c.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {columns.map((c) => (
                <td class={NUMERIC_TYPES.has(c.type) ? 'df-num' : undefined}>{cell(row[c.name], c, locale)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function TableBlock(request: FastifyRequest, services: Services, datasetId: string, table: TableSummary, canRead: boolean, canUpload: boolean, canReadAll = canRead): Promise<RawHtml> {
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
      {await jobNotice(request, services, datasetId, table, canUpload)}
      {skippedNotice(request, datasetId, table, canUpload)}
      {ready ? <ColumnsTable request={request} title={table.title} columns={table.columns} /> : null}
      {await tableConsentNotice(request, services, datasetId, table, { canUpload, canReadAll })}
      {ready && canRead ? <RowsPreview request={request} table={table} rows={rows} /> : null}
      {ready && canRead ? await ProfileSection(request, services, datasetId, table) : null}
      {ready && !canRead ? (
        <div class="ds-alert" data-color="info">
          <p class="ds-paragraph">{t(request.actor.user ? 'tables.rows.noAccess' : 'tables.rows.signIn')}</p>
          <p>
            <a class="ds-link" href={request.actor.user ? urls.accessRequestNew(datasetId) : urls.signIn(urls.accessRequestNew(datasetId))}>{t(request.actor.user ? 'access.dataset.ask' : 'access.dataset.signInToAsk')}</a>
          </p>
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
        {canUpload && ready && table.latestVersion?.id === table.currentVersion?.id ? (
          <>
            {' · '}
            <a class="ds-link" href={urls.tableImport(datasetId, table.name)}>
              {t('tables.import.link')}
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
  const canUpload = await services.tables.canUpload(request.actor, datasetId);
  if (tables.length === 0 && !canUpload) return <></>;
  const canRead = await services.tables.canReadData(request.actor, datasetId);
  const blocks: RawHtml[] = [];
  for (const table of tables) {
    // Consent gives access per table, to some rows: ask per table when the dataset as a whole is not readable.
    const canReadTable = canRead || (table.currentVersion !== null && (await services.tables.canReadData(request.actor, datasetId, table.name)));
    blocks.push(await TableBlock(request, services, datasetId, table, canReadTable, canUpload, canRead));
  }
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
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.guide('bruke-api-et')}>{t('competence.link.api')}</a>
      </p>
      {canRead && tables.some((x) => x.currentVersion !== null) ? (
        <p class="ds-paragraph">
          <a class="ds-link" href={urls.sql({ dataset: datasetId })}>{t('sql.link.dataset')}</a>
        </p>
      ) : null}
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
  const fileError = errorOf('file');
  return sendPage(
    request,
    reply,
    { title: t('tables.upload.title'), status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('tables.upload.title')}</h1>
      <p class="ds-paragraph">{t('tables.upload.lead')}</p>
      <ErrorSummary title={t('error.validation_failed')} problems={summary} />
      <form method="post" action={urls.tableUpload(datasetId)} enctype="multipart/form-data" class="df-form" novalidate>
        {/* First field on purpose: readTableUpload checks it before it reads the file. */}
        <CsrfField token={request.csrfToken} />
        <TextField id="name" label={t('tables.upload.name')} description={t('tables.upload.name.desc')} value={form.name} error={errorOf('name')} autocomplete="off" />
        <TextField id="title" label={t('tables.upload.tableTitle')} value={form.title} error={errorOf('title')} />
        <div class="ds-field">
          <label class="ds-label" for="file">
            {t('tables.upload.file')}
          </label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="file-desc">
            {t('tables.upload.file.desc')}
          </div>
          {/* No `accept` filter: files without an extension are welcome (the content decides, see the service). */}
          <input
            id="file"
            name="file"
            type="file"
            class="ds-input"
            required
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

// --- import page: how the file was read, progress, and the options form -------------------------------------------

/** The form's values as strings (what the user typed or chose), so a 422 can show them again unchanged. */
type OptionsForm = Record<string, string>;

const DELIMITERS: [string, MessageKey][] = [
  [';', 'tables.char.semicolon'],
  [',', 'tables.char.comma'],
  ['\t', 'tables.char.tab'],
  ['|', 'tables.char.pipe'],
  [' ', 'tables.char.space'],
];

function charName(t: Translate, c: string | undefined): string {
  if (c === undefined) return '–';
  if (c === '') return t('tables.char.none');
  const known: Record<string, MessageKey> = {
    ';': 'tables.char.semicolon',
    ',': 'tables.char.comma',
    '\t': 'tables.char.tab',
    '|': 'tables.char.pipe',
    ' ': 'tables.char.space',
    '.': 'tables.char.period',
    '"': 'tables.char.doubleQuote',
    "'": 'tables.char.singleQuote',
  };
  const key = known[c];
  if (!key) return `«${c}»`;
  // Name the character, and show it too where it is visible and the name does not already (a space or TAB is not).
  const label = t(key);
  return c === ' ' || c === '\t' || label.includes(c) ? label : `${label} (${c})`;
}

function formFromOptions(o: CsvReadOptions, columns: ColumnSchema[]): OptionsForm {
  const form: OptionsForm = {
    encoding: o.encoding ?? '',
    delimiter: o.delimiter === '\t' ? 'tab' : (o.delimiter ?? ''),
    quote: o.quote === undefined ? '"' : o.quote === '' ? 'none' : o.quote,
    header: o.header === false ? 'no' : 'yes',
    skipLines: String(o.skipLines ?? 0),
    commentPrefix: o.commentPrefix ?? '',
    decimalSeparator: o.decimalSeparator ?? '.',
    thousandsSeparator: o.thousandsSeparator === ' ' ? 'space' : o.thousandsSeparator ? o.thousandsSeparator : 'none',
    sheet: o.sheet ?? '',
    headerRows: String(o.headerRows ?? 1),
  };
  columns.forEach((c, i) => (form[`col${i}`] = o.columnTypes?.[c.name] ?? ''));
  return form;
}

/** The options form → CsvReadOptions, with 422 problems (field `/sourceOptions/<key>`) for what cannot be read. */
function optionsFromForm(form: OptionsForm, columns: ColumnSchema[]): { options: CsvReadOptions; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const options: CsvReadOptions = {};
  if (form.encoding) options.encoding = form.encoding as CsvReadOptions['encoding'];
  if (form.delimiter) options.delimiter = form.delimiter === 'tab' ? '\t' : form.delimiter;
  if (form.quote !== undefined) options.quote = form.quote === 'none' ? '' : form.quote;
  options.header = form.header !== 'no';
  const skip = (form.skipLines ?? '').trim();
  if (skip !== '') {
    if (/^\d{1,6}$/.test(skip)) options.skipLines = Number(skip);
    else problems.push({ field: '/sourceOptions/skipLines', code: 'invalid_option', message: 'skipLines must be a whole number.' });
  }
  if (form.commentPrefix !== undefined) options.commentPrefix = form.commentPrefix;
  if (form.decimalSeparator) options.decimalSeparator = form.decimalSeparator as CsvReadOptions['decimalSeparator'];
  const th = form.thousandsSeparator;
  if (th) options.thousandsSeparator = (th === 'none' ? '' : th === 'space' ? ' ' : th) as CsvReadOptions['thousandsSeparator'];
  const types: Record<string, string> = {};
  columns.forEach((c, i) => {
    const v = form[`col${i}`];
    if (v) types[c.name] = v;
  });
  if (Object.keys(types).length > 0) options.columnTypes = types as CsvReadOptions['columnTypes'];
  if (form.sheet) options.sheet = form.sheet;
  if (form.headerRows) {
    if (form.headerRows === '1' || form.headerRows === '2') options.headerRows = Number(form.headerRows);
    else problems.push({ field: '/sourceOptions/headerRows', code: 'invalid_option', message: 'headerRows must be 1 or 2.' });
  }
  return { options, problems };
}

const OPTION_FIELD_IDS: Record<string, string> = {
  encoding: 'opt-encoding',
  delimiter: 'opt-delimiter',
  quote: 'opt-quote',
  escape: 'opt-quote',
  header: 'opt-header-yes',
  skipLines: 'opt-skipLines',
  commentPrefix: 'opt-commentPrefix',
  decimalSeparator: 'opt-decimalSeparator',
  thousandsSeparator: 'opt-thousandsSeparator',
  sheet: 'opt-sheet',
  headerRows: 'opt-headerRows',
};

function optionFieldId(field: string, columns: ColumnSchema[]): string {
  const rest = field.replace(/^\/sourceOptions\/?/, '');
  if (rest.startsWith('columnTypes/')) {
    const i = columns.findIndex((c) => c.name === rest.slice('columnTypes/'.length));
    return i >= 0 ? `opt-col${i}` : 'opt-encoding';
  }
  return OPTION_FIELD_IDS[rest] ?? 'opt-encoding';
}

function optionProblemMessage(t: Translate, p: FieldProblem): string {
  const key = p.field.replace(/^\/sourceOptions\//, '').split('/')[0] ?? '';
  const specific = `tables.option.problem.${key}`;
  if (p.code === 'unknown_column') return t('tables.option.problem.unknown_column');
  return hasKey(specific) ? t(specific) : problemMessage(t, p);
}

function Select(props: { id: string; name: string; label: string; value: string; options: [string, string][]; error?: string }): RawHtml {
  return (
    <div class="ds-field">
      <label class="ds-label" for={props.id}>
        {props.label}
      </label>
      <select
        id={props.id}
        name={props.name}
        class="ds-input"
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
      >
        {props.options.map(([value, label]) => (
          <option value={value} selected={value === props.value}>
            {label}
          </option>
        ))}
      </select>
      {props.error ? (
        <div class="ds-validation-message" data-field="validation" id={`${props.id}-error`}>
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

function ReadReport(props: { request: FastifyRequest; version: TableVersion }): RawHtml {
  const t = props.request.t;
  const v = props.version;
  const d = v.detail;
  const o = d?.sourceOptions ?? {};
  const fmt = numberFormat(props.request);
  const given = d?.givenOptions ?? {};
  const mark = (key: keyof CsvReadOptions) => (given[key] !== undefined ? ` (${t('tables.import.given')})` : '');
  const yesNo = (b: boolean | undefined) => (b === undefined ? '–' : t(b ? 'tables.import.yes' : 'tables.import.no'));
  const skippedTotal = (d?.skipped ?? []).reduce((n, s) => n + s.count, 0);
  const format = d?.sourceFormat ?? 'csv';
  const textual = format === 'csv' || format === 'tsv';
  const formatKey = `tables.format.${format}`;
  return (
    <div class="df-stack">
      <dl class="df-meta">
        <dt>{t('tables.import.format')}</dt>
        <dd>{hasKey(formatKey) ? t(formatKey as MessageKey) : format}</dd>
        {format === 'xlsx' ? (
          <>
            <dt>{t('tables.option.sheet')}</dt>
            <dd>{(o.sheet ?? '–') + mark('sheet')}</dd>
            <dt>{t('tables.option.header')}</dt>
            <dd>{yesNo(o.header) + mark('header')}</dd>
            <dt>{t('tables.option.headerRows')}</dt>
            <dd>{String(o.headerRows ?? 1) + mark('headerRows')}</dd>
            <dt>{t('tables.option.skipRows')}</dt>
            <dd>{String(o.skipLines ?? 0) + mark('skipLines')}</dd>
          </>
        ) : null}
        {!textual && format !== 'parquet' ? (
          <>
            <dt>{t('tables.option.decimalSeparator')}</dt>
            <dd>{charName(t, o.decimalSeparator) + mark('decimalSeparator')}</dd>
          </>
        ) : null}
        {textual ? (
        <>
        <dt>{t('tables.option.encoding')}</dt>
        <dd>{(o.encoding ?? '–') + mark('encoding')}</dd>
        <dt>{t('tables.option.delimiter')}</dt>
        <dd>{charName(t, o.delimiter) + mark('delimiter')}</dd>
        <dt>{t('tables.option.quote')}</dt>
        <dd>{charName(t, o.quote) + mark('quote')}</dd>
        <dt>{t('tables.option.header')}</dt>
        <dd>{yesNo(o.header) + mark('header')}</dd>
        <dt>{t('tables.option.skipLines')}</dt>
        <dd>{String(o.skipLines ?? 0) + mark('skipLines')}</dd>
        <dt>{t('tables.option.commentPrefix')}</dt>
        <dd>{(o.commentPrefix ? `«${o.commentPrefix}»` : t('tables.char.none')) + mark('commentPrefix')}</dd>
        <dt>{t('tables.option.decimalSeparator')}</dt>
        <dd>{charName(t, o.decimalSeparator) + mark('decimalSeparator')}</dd>
        <dt>{t('tables.option.thousandsSeparator')}</dt>
        <dd>{charName(t, o.thousandsSeparator ?? '') + mark('thousandsSeparator')}</dd>
        </>
        ) : null}
        {v.state === 'ready' ? (
          <>
            <dt>{t('tables.import.rows')}</dt>
            <dd>{fmt.format(v.rowCount ?? 0)}</dd>
            <dt>{t('tables.import.records')}</dt>
            <dd>{d?.recordCount === null || d?.recordCount === undefined ? '–' : fmt.format(d.recordCount)}</dd>
          </>
        ) : null}
      </dl>
      {skippedTotal > 0 ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('tables.import.skipped', { count: fmt.format(skippedTotal) })}</p>
          <ul class="ds-list">
            {(d?.skipped ?? []).map((s) => (
              <li>
                {t('tables.import.skippedReason', {
                  reason: hasKey(`tables.skip.${s.reason}`) ? t(`tables.skip.${s.reason}` as MessageKey) : s.reason,
                  count: fmt.format(s.count),
                  lines: s.lines.join(', ') + (s.count > s.lines.length ? ' …' : ''),
                })}
              </li>
            ))}
          </ul>
        </div>
      ) : v.state === 'ready' ? (
        <p class="ds-paragraph">{t('tables.import.noneSkipped')}</p>
      ) : null}
      {(d?.notes ?? []).length > 0 ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('tables.import.notes')}</p>
          <ul class="ds-list">
            {(d?.notes ?? []).map((n) => {
              const key = `tables.note.${n.reason}`;
              const params = {
                count: fmt.format(n.count),
                lines: (n.lines ?? []).slice(0, 10).join(', ') + ((n.lines?.length ?? 0) > 10 || n.count > (n.lines?.length ?? 0) ? ' …' : ''),
                columns: (n.columns ?? []).slice(0, 10).join(', ') + ((n.columns?.length ?? 0) > 10 ? ' …' : ''),
              };
              return <li>{hasKey(key) ? t(key as MessageKey, params) : n.reason}</li>;
            })}
          </ul>
        </div>
      ) : null}
      {d?.sheets && d.sheets.length > 0 ? (
        <>
          <p class="ds-paragraph">{t('tables.import.sheets')}</p>
          <ul class="ds-list">
            {d.sheets.map((sh) => (
              <li>{t('tables.option.sheet.item', { name: sh.name, rows: fmt.format(sh.rows), columns: fmt.format(sh.columns) })}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function importPage(
  request: FastifyRequest,
  reply: FastifyReply,
  datasetId: string,
  table: TableDetail,
  form: OptionsForm | null,
  problems: FieldProblem[],
  preview: Record<string, unknown>[],
  status = 200,
): FastifyReply {
  const t = request.t;
  const latest = table.latestVersion;
  // The columns to choose types for: the newest version's, else the current one's (a failed read has none).
  const columns = latest?.columns.length ? latest.columns : table.columns;
  // What the file was read with, the publisher's own choices first (they are what a re-read must keep).
  const values = form ?? formFromOptions({ ...latest?.detail?.sourceOptions, ...latest?.detail?.givenOptions }, columns);
  const errorOf = (id: string) => {
    const p = problems.find((x) => optionFieldId(x.field, columns) === id);
    return p ? optionProblemMessage(t, p) : undefined;
  };
  const summary = problems.map((p) => ({ field: optionFieldId(p.field, columns), message: optionProblemMessage(t, p) }));
  const pending = latest?.state === 'pending';
  const jobId = latest?.detail?.jobId;
  const here = urls.tableImport(datasetId, table.name);
  // Which read options apply: the format the content turned out to be (the upload's extension until it is read).
  const format = latest?.detail?.sourceFormat ?? 'csv';
  const textual = format === 'csv' || format === 'tsv';
  // The workbook's sheets: from the newest version that read it (a failed read, e.g. of a wrong sheet, has none).
  const sheets = table.versions.find((v) => v.detail?.sheets?.length)?.detail?.sheets ?? [];
  if (!form && format === 'xlsx') {
    // Title rows and header rows belong to the sheet that was read: prefilled only when the publisher gave them, so
    // reading another sheet finds its own.
    const given = latest?.detail?.givenOptions ?? {};
    values.skipLines = given.skipLines === undefined ? '' : String(given.skipLines);
    values.headerRows = given.headerRows === undefined ? '' : String(given.headerRows);
  }
  const typeOptions: [string, string][] = [['', t('tables.option.type.auto')], ...COLUMN_TYPE_OVERRIDES.map((c): [string, string] => [c, t(`tables.option.type.${c}` as MessageKey)])];
  return sendPage(
    request,
    reply,
    { title: t('tables.import.title', { title: table.title }), status, alternates: [{ href: urls.api.table(datasetId, table.name), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('tables.import.title', { title: table.title })}</h1>
      <p class="ds-paragraph">{t('tables.import.lead')}</p>
      {latest ? (
        <div
          class="ds-alert"
          data-color={latest.state === 'failed' ? 'danger' : latest.state === 'ready' ? 'success' : 'info'}
          role="status"
          id="ingest-status"
          data-job-url={pending && jobId ? urls.api.job(jobId) : undefined}
          data-running={t('tables.ingest.running', { version: latest.version, progress: '{progress}' })}
          data-queued={t('tables.ingest.queued', { version: latest.version, progress: '{progress}' })}
          data-done={t('tables.ingest.done')}
        >
          <p class="ds-paragraph" data-status-text="">
            {latest.state === 'pending'
              ? t('tables.ingest.queued', { version: latest.version, progress: 0 })
              : latest.state === 'ready'
                ? t('tables.import.ready', { version: latest.version, rows: numberFormat(request).format(latest.rowCount ?? 0) })
                : `${t(table.currentVersion ? 'tables.ingest.failed' : 'tables.ingest.failedFirst', { version: latest.version })} ${failureText(t, latest)}`}
          </p>
          {pending ? (
            <p class="ds-paragraph" data-size="sm">
              <a class="ds-link" href={here} data-refresh="">
                {t('tables.ingest.refresh')}
              </a>
            </p>
          ) : null}
        </div>
      ) : null}
      {pending ? <script src={urls.static('upload.js')} defer></script> : null}
      {latest ? (
        <>
          <h2 class="ds-heading" data-size="md">
            {t('tables.import.howRead', { version: latest.version })}
          </h2>
          <ReadReport request={request} version={latest} />
          {columns.length > 0 ? <ColumnsTable request={request} title={table.title} columns={columns} /> : null}
          {latest.state === 'ready' && latest.id === table.currentVersion?.id && preview.length > 0 ? (
            <RowsPreview request={request} table={table} rows={preview} />
          ) : null}
        </>
      ) : null}
      {latest && !pending ? (
        <>
          <h2 class="ds-heading" data-size="md" id="options-heading">
            {t('tables.import.formHeading')}
          </h2>
          <p class="ds-paragraph">{t('tables.import.formLead')}</p>
          <ErrorSummary title={t('error.validation_failed')} problems={summary} />
          <form method="post" action={here} class="df-form" novalidate aria-labelledby="options-heading">
            <CsrfField token={request.csrfToken} />
            <input type="hidden" name="fromVersion" value={String(latest.version)} />
            {format === 'xlsx' ? (
              <>
                <Select
                  id="opt-sheet"
                  name="sheet"
                  label={t('tables.option.sheet')}
                  value={values.sheet ?? ''}
                  options={[
                    ['', t('tables.option.auto')],
                    ...sheets.map((sh): [string, string] => [
                      sh.name,
                      t('tables.option.sheet.item', { name: sh.name, rows: numberFormat(request).format(sh.rows), columns: numberFormat(request).format(sh.columns) }),
                    ]),
                  ]}
                  error={errorOf('opt-sheet')}
                />
                <Select
                  id="opt-headerRows"
                  name="headerRows"
                  label={t('tables.option.headerRows')}
                  value={values.headerRows ?? ''}
                  options={[
                    ['', t('tables.option.auto')],
                    ['1', t('tables.option.headerRows.one')],
                    ['2', t('tables.option.headerRows.two')],
                  ]}
                  error={errorOf('opt-headerRows')}
                />
              </>
            ) : null}
            {textual ? (
            <>
            <Select
              id="opt-encoding"
              name="encoding"
              label={t('tables.option.encoding')}
              value={values.encoding ?? ''}
              options={[['', t('tables.option.auto')], ...TEXT_ENCODINGS.map((e): [string, string] => [e, e])]}
              error={errorOf('opt-encoding')}
            />
            <Select
              id="opt-delimiter"
              name="delimiter"
              label={t('tables.option.delimiter')}
              value={values.delimiter ?? ''}
              options={[['', t('tables.option.auto')], ...DELIMITERS.map(([c, key]): [string, string] => [c === '\t' ? 'tab' : c, t(key)])]}
              error={errorOf('opt-delimiter')}
            />
            <Select
              id="opt-quote"
              name="quote"
              label={t('tables.option.quote')}
              value={values.quote ?? '"'}
              options={[
                ['"', t('tables.char.doubleQuote')],
                ["'", t('tables.char.singleQuote')],
                ['none', t('tables.char.none')],
              ]}
              error={errorOf('opt-quote')}
            />
            </>
            ) : null}
            {textual || format === 'xlsx' ? (
            <>
            <fieldset class="ds-fieldset">
              <legend class="ds-label">{t('tables.option.header')}</legend>
              <div class="ds-field">
                <input class="ds-input" type="radio" id="opt-header-yes" name="header" value="yes" checked={values.header !== 'no'} />
                <label class="ds-label" data-weight="regular" for="opt-header-yes">
                  {t('tables.option.header.yes')}
                </label>
              </div>
              <div class="ds-field">
                <input class="ds-input" type="radio" id="opt-header-no" name="header" value="no" checked={values.header === 'no'} />
                <label class="ds-label" data-weight="regular" for="opt-header-no">
                  {t('tables.option.header.no')}
                </label>
              </div>
            </fieldset>
            <TextField
              id="opt-skipLines"
              name="skipLines"
              label={t(format === 'xlsx' ? 'tables.option.skipRows' : 'tables.option.skipLines')}
              description={t('tables.option.skipLines.desc', { max: MAX_SKIP_LINES })}
              value={values.skipLines ?? '0'}
              inputmode="numeric"
              error={errorOf('opt-skipLines')}
            />
            </>
            ) : null}
            {textual ? (
            <TextField
              id="opt-commentPrefix"
              name="commentPrefix"
              label={t('tables.option.commentPrefix')}
              description={t('tables.option.commentPrefix.desc')}
              value={values.commentPrefix ?? ''}
              error={errorOf('opt-commentPrefix')}
            />
            ) : null}
            {format !== 'parquet' ? (
            <>
            <Select
              id="opt-decimalSeparator"
              name="decimalSeparator"
              label={t('tables.option.decimalSeparator')}
              value={values.decimalSeparator ?? '.'}
              options={[
                ['.', t('tables.char.period')],
                [',', t('tables.char.comma')],
              ]}
              error={errorOf('opt-decimalSeparator')}
            />
            <Select
              id="opt-thousandsSeparator"
              name="thousandsSeparator"
              label={t('tables.option.thousandsSeparator')}
              value={values.thousandsSeparator ?? 'none'}
              options={[
                ['none', t('tables.char.none')],
                ['space', t('tables.char.space')],
                ['.', t('tables.char.period')],
                [',', t('tables.char.comma')],
              ]}
              error={errorOf('opt-thousandsSeparator')}
            />
            </>
            ) : null}
            {columns.length > 0 && format !== 'parquet' ? (
              <fieldset class="ds-fieldset">
                <legend class="ds-label">{t('tables.option.columnTypes')}</legend>
                {columns.map((c, i) => (
                  <Select id={`opt-col${i}`} name={`col${i}`} label={c.name} value={values[`col${i}`] ?? ''} options={typeOptions} error={errorOf(`opt-col${i}`)} />
                ))}
              </fieldset>
            ) : null}
            <div class="df-actions">
              <button type="submit" class="ds-button" data-variant="primary">
                {t('tables.import.submit')}
              </button>
              <a class="ds-link" href={`${urls.dataset(datasetId)}#${tableAnchor(table.name)}-section`}>
                {t('tables.upload.cancel')}
              </a>
            </div>
          </form>
        </>
      ) : null}
    </section>,
  );
}

/** The first rows of the current version for the import page (the viewer is a publisher, who may read them). */
async function previewRows(request: FastifyRequest, services: Services, datasetId: string, table: TableDetail): Promise<Record<string, unknown>[]> {
  if (!table.currentVersion || !(await services.tables.canReadData(request.actor, datasetId))) return [];
  return (await services.tables.rows(request.actor, datasetId, table.name, { offset: 0, size: PREVIEW_ROWS })).rows;
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
      const { table } = await readTableUpload(request, services.tables, id, uploadLimit, { csrf: true, fields });
      return reply.redirect(urls.tableImport(id, table.name), 303);
    } catch (err) {
      const form = { name: fields.name ?? '', title: fields.title ?? '' };
      if (err instanceof ValidationError) return uploadPage(request, reply, id, form, err.problems, 422);
      if (err instanceof DomainError && err.code === 'payload_too_large') {
        return uploadPage(request, reply, id, form, [{ field: '/file', code: 'too_large', message: err.message }], 413);
      }
      throw err;
    }
  });

  app.get<{ Params: { id: string; table: string } }>('/datasett/:id/tabeller/:table/innlesing', { schema: { hide: true } }, async (request, reply) => {
    const { id, table } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(request.url), 303);
    await services.tables.assertCanUpload(request.actor, id);
    const detail = await services.tables.getTable(request.actor, id, table);
    return importPage(request, reply, id, detail, null, [], await previewRows(request, services, id, detail));
  });

  app.post<{ Params: { id: string; table: string }; Body: Record<string, unknown> }>(
    '/datasett/:id/tabeller/:table/innlesing',
    { schema: { hide: true } },
    async (request, reply) => {
      const { id, table: name } = request.params;
      if (!request.actor.user) return reply.redirect(urls.signIn(urls.tableImport(id, name)), 303);
      await services.tables.assertCanUpload(request.actor, id);
      const table = await services.tables.getTable(request.actor, id, name);
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      const form: OptionsForm = {};
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
      const latest = table.latestVersion;
      const columns = latest?.columns.length ? latest.columns : table.columns;
      const { options, problems } = optionsFromForm(form, columns);
      const fromVersion = /^\d{1,9}$/.test(form.fromVersion ?? '') ? Number(form.fromVersion) : undefined;
      if (problems.length > 0) return importPage(request, reply, id, table, form, problems, await previewRows(request, services, id, table), 422);
      try {
        await services.tables.reingest(request.actor, id, name, { sourceOptions: options, fromVersion });
      } catch (err) {
        if (err instanceof ValidationError) return importPage(request, reply, id, table, form, err.problems, await previewRows(request, services, id, table), 422);
        throw err;
      }
      return reply.redirect(urls.tableImport(id, name), 303);
    },
  );
};
