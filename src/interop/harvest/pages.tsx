// The operator's harvest pages: /operator/hosting lists the sources with their last run and a form to add one;
// /operator/hosting/{id} shows a source, a "harvest now" button and its runs with their reports (added, updated,
// removed, failed with reasons). Plain forms (no script), CSRF field, 303 after a change, errors re-rendered with the
// input in the reader's language. Also the provenance box the dataset page shows for a harvested dataset.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, ValidationError, type FieldProblem } from '../../errors';
import { errorFor, formBody, queryParams, str } from '../../catalog/forms';
import type { DomainPlugin } from '../../platform/http/plugin';
import type { Services } from '../../services';
import { hasKey, type Locale, type Translate } from '../../web/i18n/index';
import { Fragment, h, type RawHtml } from '../../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../../web/layout';
import { urls } from '../../web/urls';
import { SOURCE_KINDS, type HarvestSource, type RunReport, type SourceKind } from './model';
import type { Provenance } from './service';

void Fragment;

const BASE = urls.harvest.sources();
const harvestUrls = {
  sources: (q?: { done?: string; count?: number }) => urls.harvest.sources(q),
  source: (id: string, done?: string) => urls.harvest.source(id, { done }),
  run: urls.harvest.run,
  remove: urls.harvest.remove,
  api: urls.harvest.api,
};

const FIELD_IDS: Record<string, string> = { '/name': 'name', '/kind': 'kind', '/url': 'url', '/intervalMinutes': 'intervalMinutes' };

function formatDateTime(iso: string, locale: Locale): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(d);
}

const KIND_KEYS = { dcat: 'harvest.kind.dcat', ckan: 'harvest.kind.ckan', norge: 'harvest.kind.norge' } as const;
const STATE_KEYS = { queued: 'harvest.state.queued', running: 'harvest.state.running', succeeded: 'harvest.state.succeeded', failed: 'harvest.state.failed' } as const;
const STATE_COLORS = { queued: 'info', running: 'info', succeeded: 'success', failed: 'danger' } as const;

function StateTag(props: { t: Translate; run: RunReport }): RawHtml {
  return <span class="ds-tag" data-color={STATE_COLORS[props.run.state]}>{props.t(STATE_KEYS[props.run.state])}</span>;
}

function schedule(t: Translate, s: HarvestSource): string {
  return s.intervalMinutes ? t('harvest.schedule.every', { minutes: s.intervalMinutes }) : t('harvest.schedule.manual');
}

function localise(t: Translate, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => {
    const key = `harvest.problem.${p.code}`;
    return { field: FIELD_IDS[p.field] ?? p.field.replace(/^\//, ''), code: p.code, message: hasKey(key) ? t(key) : p.message };
  });
}

function AddForm(props: { request: FastifyRequest; form: Record<string, unknown>; problems: FieldProblem[] }): RawHtml {
  const { t } = props.request;
  const kind = str(props.form.kind) || 'dcat';
  const kindError = errorFor(props.problems, 'kind');
  return (
    <form method="post" action={harvestUrls.sources()} class="df-form" novalidate>
      <h2 class="ds-heading" data-size="sm">{t('harvest.add')}</h2>
      <ErrorSummary title={t('error.validation_failed')} problems={props.problems} />
      <CsrfField token={props.request.csrfToken} />
      <TextField id="name" label={t('harvest.field.name')} value={str(props.form.name)} required error={errorFor(props.problems, 'name')} />
      <div class="ds-field">
        <label class="ds-label" for="kind">{t('harvest.field.kind')}</label>
        <select id="kind" name="kind" class="ds-input" aria-invalid={kindError ? 'true' : undefined} aria-describedby={kindError ? 'kind-error' : undefined}>
          {SOURCE_KINDS.map((k) => (
            <option value={k} selected={k === kind}>{t(KIND_KEYS[k])}</option>
          ))}
        </select>
        {kindError ? <div class="ds-validation-message" data-field="validation" id="kind-error">{kindError}</div> : null}
      </div>
      <TextField id="url" label={t('harvest.field.url')} description={t('harvest.field.url.desc')} type="url" value={str(props.form.url)} required error={errorFor(props.problems, 'url')} />
      <TextField id="intervalMinutes" label={t('harvest.field.interval')} description={t('harvest.field.interval.desc')} inputmode="numeric" value={str(props.form.intervalMinutes)} error={errorFor(props.problems, 'intervalMinutes')} />
      <div>
        <button type="submit" class="ds-button" data-variant="primary">{t('harvest.save')}</button>
      </div>
    </form>
  );
}

function Done(props: { t: Translate; done: string; count: number }): RawHtml {
  const key = { queued: 'harvest.done.queued', active: 'harvest.done.active', created: 'harvest.done.created', deleted: 'harvest.done.deleted' }[props.done] as 'harvest.done.queued' | undefined;
  if (!key) return <></>;
  return (
    <div class="ds-alert" data-color={props.done === 'active' ? 'warning' : 'success'} role="status">
      <p class="ds-paragraph">{props.t(key, { count: props.count })}</p>
    </div>
  );
}

async function renderList(request: FastifyRequest, reply: FastifyReply, services: Services, form: Record<string, unknown> = {}, problems: FieldProblem[] = [], status = 200): Promise<FastifyReply> {
  const { t, locale } = request;
  const sources = await services.harvest.list(request.actor);
  const q = queryParams(request);
  return sendPage(
    request,
    reply,
    { title: t('harvest.title'), status, alternates: [{ href: harvestUrls.api(), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('harvest.title')}</h1>
      <p class="ds-paragraph">{t('harvest.lead')}</p>
      {problems.length === 0 ? <Done t={t} done={str(q.done)} count={Number.parseInt(str(q.count), 10) || 0} /> : null}
      <h2 class="ds-heading" data-size="sm">{t('harvest.sources')}</h2>
      {sources.length === 0 ? (
        <p class="ds-paragraph">{t('harvest.empty')}</p>
      ) : (
        <div class="df-table-scroll">
          <table class="ds-table">
            <thead>
              <tr>
                <th scope="col">{t('harvest.col.name')}</th>
                <th scope="col">{t('harvest.col.kind')}</th>
                <th scope="col">{t('harvest.col.schedule')}</th>
                <th scope="col">{t('harvest.col.lastRun')}</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr>
                  <td>
                    <a class="ds-link" href={harvestUrls.source(s.id)}>{s.name}</a>
                  </td>
                  <td>{t(KIND_KEYS[s.kind])}</td>
                  <td>{schedule(t, s)}</td>
                  <td>{s.lastRun ? <><StateTag t={t} run={s.lastRun} /> {formatDateTime(s.lastRun.createdAt, locale)}</> : t('harvest.never')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddForm request={request} form={form} problems={problems} />
    </section>,
  );
}

function Report(props: { t: Translate; locale: Locale; run: RunReport; open: boolean }): RawHtml {
  const { t, run } = props;
  const counts: [Parameters<Translate>[0], number][] = [
    ['harvest.report.added', run.added],
    ['harvest.report.updated', run.updated],
    ['harvest.report.unchanged', run.unchanged],
    ['harvest.report.merged', run.merged],
    ['harvest.report.removed', run.removed],
    ['harvest.report.failed', run.failed],
    ['harvest.report.pages', run.pages],
  ];
  return (
    <details class="df-report" open={props.open}>
      <summary>
        <StateTag t={t} run={run} /> {t('harvest.report.heading', { date: formatDateTime(run.createdAt, props.locale) })}
      </summary>
      {run.error ? (
        <div class="ds-alert" data-color="danger">
          <p class="ds-paragraph">{t('harvest.report.error', { error: run.error })}</p>
        </div>
      ) : null}
      <dl class="df-facts">
        {counts.map(([k, v]) => (
          <>
            <dt>{t(k)}</dt>
            <dd>{String(v)}</dd>
          </>
        ))}
      </dl>
      {run.failures.length > 0 ? (
        <>
          <h4 class="ds-heading" data-size="2xs">{t('harvest.report.failures')}</h4>
          <ul class="ds-list">
            {run.failures.map((f) => (
              <li>
                <code>{f.record}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </details>
  );
}

async function renderSource(request: FastifyRequest, reply: FastifyReply, services: Services, id: string): Promise<FastifyReply> {
  const { t, locale } = request;
  const source = await services.harvest.get(request.actor, id);
  const runs = await services.harvest.runs(request.actor, id);
  const q = queryParams(request);
  return sendPage(
    request,
    reply,
    { title: source.name, alternates: [{ href: harvestUrls.api(id), type: 'application/json' }] },
    <section class="df-stack">
      <p class="ds-paragraph">
        <a class="ds-link" href={harvestUrls.sources()}>{t('harvest.back')}</a>
      </p>
      <h1 class="ds-heading" data-size="lg">{source.name}</h1>
      <Done t={t} done={str(q.done)} count={0} />
      <dl class="df-facts">
        <dt>{t('harvest.col.kind')}</dt>
        <dd>{t(KIND_KEYS[source.kind])}</dd>
        <dt>{t('harvest.field.url')}</dt>
        <dd>
          <code>{source.url}</code>
        </dd>
        <dt>{t('harvest.col.schedule')}</dt>
        <dd>{schedule(t, source)}</dd>
      </dl>
      <div class="df-actions">
        <form method="post" action={harvestUrls.run(id)} class="df-inline-form">
          <CsrfField token={request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="primary" aria-label={t('harvest.runNamed', { name: source.name })}>{t('harvest.run')}</button>
        </form>
        <form method="post" action={harvestUrls.remove(id)} class="df-inline-form">
          <CsrfField token={request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="secondary" data-color="danger">{t('harvest.delete')}</button>
        </form>
      </div>
      <h2 class="ds-heading" data-size="sm">{t('harvest.runs')}</h2>
      {runs.length === 0 ? <p class="ds-paragraph">{t('harvest.runs.empty')}</p> : runs.map((r, i) => <Report t={t} locale={locale} run={r} open={i === 0} />)}
    </section>,
  );
}

/** The box on a harvested dataset's page: where it came from, how complete it is, themes from other vocabularies. */
export function ProvenanceBox(props: { t: Translate; locale: Locale; provenance: Provenance }): RawHtml {
  const { t, provenance: p } = props;
  const original = p.landingPage ?? (p.recordUri && /^https?:\/\//.test(p.recordUri) ? p.recordUri : null);
  return (
    <aside class="ds-alert" data-color="info" aria-labelledby="harvest-provenance">
      <h2 class="ds-heading" data-size="xs" id="harvest-provenance">{t('harvest.provenance.heading', { source: p.sourceName })}</h2>
      <p class="ds-paragraph">{t('harvest.provenance.text', { date: formatDateTime(p.lastSeenAt, props.locale) })}</p>
      {original ? (
        <p class="ds-paragraph">
          <a class="ds-link" href={original} rel="nofollow noopener">{t('harvest.provenance.original')}</a>
        </p>
      ) : null}
      <p class="ds-paragraph">{t('harvest.provenance.score', { score: p.score })}</p>
      {p.otherThemes.length > 0 ? (
        <>
          <p class="ds-paragraph">{t('harvest.provenance.otherThemes')}</p>
          <ul class="ds-list">
            {p.otherThemes.map((th) => (
              <li>
                <code>{th}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {p.alsoIn.length > 0 ? <p class="ds-paragraph">{t('harvest.provenance.alsoIn', { sources: p.alsoIn.join(', ') })}</p> : null}
    </aside>
  );
}

function parseInterval(v: string): number | null | undefined {
  const s = v.trim();
  if (s === '') return null;
  return /^\d{1,7}$/.test(s) ? Number(s) : Number.NaN;
}

export const harvestPages: DomainPlugin = async (app, { services }) => {
  const needUser = (request: FastifyRequest, reply: FastifyReply, back: string) => (request.actor.user ? null : reply.redirect(urls.signIn(back), 303));

  app.get(BASE, { schema: { hide: true } }, async (request, reply) => needUser(request, reply, BASE) ?? renderList(request, reply, services));

  app.post(BASE, { schema: { hide: true } }, async (request, reply) => {
    const redirect = needUser(request, reply, BASE);
    if (redirect) return redirect;
    const form = formBody(request);
    const interval = parseInterval(str(form.intervalMinutes));
    try {
      const source = await services.harvest.create(request.actor, { name: str(form.name), kind: str(form.kind) as SourceKind, url: str(form.url), intervalMinutes: interval });
      return reply.redirect(harvestUrls.source(source.id, 'created'), 303);
    } catch (err) {
      if (err instanceof ValidationError) return renderList(request, reply, services, form, localise(request.t, err.problems), 422);
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>(`${BASE}/:id`, { schema: { hide: true } }, async (request, reply) => needUser(request, reply, harvestUrls.source(request.params.id)) ?? renderSource(request, reply, services, request.params.id));

  app.post<{ Params: { id: string } }>(`${BASE}/:id/kjor`, { schema: { hide: true } }, async (request, reply) => {
    const redirect = needUser(request, reply, harvestUrls.source(request.params.id));
    if (redirect) return redirect;
    try {
      await services.harvest.requestRun(request.actor, request.params.id);
      return reply.redirect(harvestUrls.source(request.params.id, 'queued'), 303);
    } catch (err) {
      if (err instanceof ConflictError) return reply.redirect(harvestUrls.source(request.params.id, 'active'), 303);
      throw err;
    }
  });

  app.post<{ Params: { id: string } }>(`${BASE}/:id/slett`, { schema: { hide: true } }, async (request, reply) => {
    const redirect = needUser(request, reply, harvestUrls.source(request.params.id));
    if (redirect) return redirect;
    try {
      const { removedDatasets } = await services.harvest.remove(request.actor, request.params.id);
      return reply.redirect(harvestUrls.sources({ done: 'deleted', count: removedDatasets }), 303);
    } catch (err) {
      if (err instanceof ConflictError) return reply.redirect(harvestUrls.source(request.params.id, 'active'), 303);
      throw err;
    }
  });
};
