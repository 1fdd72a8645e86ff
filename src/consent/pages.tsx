// HTML pages of consent (samtykke), the twins of ./api: the owner's consent setting of a table, the consent request
// form, the actor's consents (as subject and as consumer), one consent with its events and the subject admin's
// decisions, and an organisation's consent log. Plain forms (no JavaScript), each with the CSRF field.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorFor, formBody, queryParams, str, type Form } from '../catalog/forms';
import { DomainError, ValidationError, type FieldProblem } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import type { TableSummary } from '../tables/model';
import { takeFlash, setFlash } from '../web/flash';
import { hasKey, type MessageKey } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import type { ConsentEventView, ConsentView } from './model';

void Fragment;

const FLASHES = ['requested', 'accepted', 'rejected', 'revoked', 'marked', 'unmarked'] as const;

function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function stateLabel(request: FastifyRequest, state: string): string {
  const key = `consent.state.${state}`;
  return hasKey(key) ? request.t(key) : state;
}

function eventLabel(request: FastifyRequest, kind: string): string {
  const key = `consent.event.${kind}`;
  return hasKey(key) ? request.t(key) : kind;
}

/** Field problems in the reader's language (`consent.problem.<code>`), keyed by form control id. */
function localise(request: FastifyRequest, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => {
    const key = `consent.problem.${p.code}`;
    return { field: p.field.replace(/^\//, ''), code: p.code, message: hasKey(key) ? request.t(key) : p.message };
  });
}

function Notice(props: { request: FastifyRequest; kind?: string }): RawHtml {
  if (!props.kind) return <></>;
  return (
    <div class="ds-alert" data-color="success" role="status">
      <p class="ds-paragraph">{props.request.t(`consent.flash.${props.kind}` as MessageKey)}</p>
    </div>
  );
}

function orgLabel(name: string | null, orgnr: string): string {
  return name ? `${name} (${orgnr})` : orgnr;
}

// --- the dataset page's part ----------------------------------------------------------------------------------------

/**
 * What the dataset page shows under a table about consent: that its rows are shared by consent, a link to ask for it
 * (signed-in people who cannot read all rows), the owner's settings link, and — when the viewer reads under consents —
 * that only consented rows are shown. Called by src/tables/pages.tsx.
 */
export async function tableConsentNotice(request: FastifyRequest, services: Services, datasetId: string, table: TableSummary, opts: { canUpload: boolean; canReadAll: boolean }): Promise<RawHtml> {
  const t = request.t;
  const info = await services.consents.tableConsent(request.actor, datasetId, table.name);
  if (!info.consentBased && !opts.canUpload) return <></>;
  return (
    <div class="df-stack">
      {info.consentBased ? (
        <p class="ds-paragraph">
          {t('consent.block.on', { column: info.column ?? '' })}
          {!opts.canReadAll && request.actor.user ? <> {t('consent.block.restricted')}</> : null}
        </p>
      ) : null}
      <p class="ds-paragraph" data-size="sm">
        {info.consentBased && !opts.canReadAll && request.actor.user ? (
          <a class="ds-link" href={urls.consentNew({ dataset: datasetId, table: table.name })}>
            {t('consent.block.request')}
          </a>
        ) : null}
        {info.consentBased && !opts.canReadAll && request.actor.user && opts.canUpload ? ' · ' : null}
        {opts.canUpload && table.currentVersion ? (
          <a class="ds-link" href={urls.tableConsent(datasetId, table.name)}>
            {t('consent.block.settings', { table: table.title })}
          </a>
        ) : null}
      </p>
    </div>
  );
}

// --- the owner's table setting ----------------------------------------------------------------------------------------

async function renderTableSetting(request: FastifyRequest, reply: FastifyReply, services: Services, id: string, table: string, problems: FieldProblem[] = [], status = 200) {
  const t = request.t;
  await services.consents.assertCanMark(request.actor, id, table);
  const info = await services.consents.tableConsent(request.actor, id, table);
  const flash = takeFlash(request, reply, urls.tableConsent(id, table), FLASHES, services.platform.config.secureCookies);
  const error = errorFor(problems, 'column');
  return sendPage(
    request,
    reply,
    { title: t('consent.table.title', { table }), status, alternates: [{ href: urls.api.tableConsent(id, table), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('consent.table.title', { table })}</h1>
      <Notice request={request} kind={flash} />
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <p class="ds-paragraph">{t('consent.table.intro')}</p>
      <p class="ds-paragraph">
        <strong>{info.consentBased ? t('consent.table.on', { column: info.column ?? '' }) : t('consent.table.off')}</strong>
      </p>
      <form method="post" action={urls.tableConsent(id, table)} class="df-stack">
        <CsrfField token={request.csrfToken} />
        <div class="ds-field">
          <label class="ds-label" for="column">{t('consent.table.column')}</label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="column-desc">{t('consent.table.column.desc')}</div>
          <select class="ds-input" id="column" name="column" aria-describedby={error ? 'column-desc column-error' : 'column-desc'} aria-invalid={error ? 'true' : undefined}>
            {(info.candidates ?? []).map((c) => (
              <option value={c.name} selected={c.name === info.column ? true : undefined}>
                {c.semanticType === 'orgnr' ? `${c.name} ${t('consent.table.orgnrHint')}` : c.name}
              </option>
            ))}
          </select>
          {error ? <div class="ds-validation-message" data-field="validation" id="column-error">{error}</div> : null}
        </div>
        <div class="df-actions">
          <button type="submit" class="ds-button" name="action" value="mark">{t('consent.table.mark')}</button>
          {info.consentBased ? (
            <button type="submit" class="ds-button" data-variant="secondary" name="action" value="unmark">{t('consent.table.unmark')}</button>
          ) : null}
        </div>
      </form>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.dataset(id)}>{t('consent.table.back')}</a>
      </p>
    </section>,
  );
}

// --- lists, one consent, the log ----------------------------------------------------------------------------------------

function ConsentTable(props: { request: FastifyRequest; items: ConsentView[]; caption: string; side: 'subject' | 'consumer' }): RawHtml {
  const t = props.request.t;
  if (props.items.length === 0) return <p class="ds-paragraph">{t('consent.list.empty')}</p>;
  return (
    <div class="df-table-wrap" role="region" aria-label={props.caption} tabindex="0">
      <table class="ds-table" data-size="sm">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('consent.field.table')}</th>
            <th scope="col">{props.side === 'subject' ? t('consent.field.consumer') : t('consent.field.subject')}</th>
            <th scope="col">{t('consent.field.validTo')}</th>
            <th scope="col">{t('consent.field.state')}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((c) => (
            <tr>
              <td>
                <a class="ds-link" href={urls.consent(c.id)}>{`${c.tableTitle || c.table} (${c.datasetTitle})`}</a>
              </td>
              <td>{props.side === 'subject' ? orgLabel(c.consumerName, c.consumerOrgnr) : orgLabel(c.subjectName, c.subjectOrgnr)}</td>
              <td>{c.validTo.slice(0, 10)}</td>
              <td>{stateLabel(props.request, c.state)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventsTable(props: { request: FastifyRequest; events: (ConsentEventView & { consent?: ConsentView })[]; caption: string }): RawHtml {
  const t = props.request.t;
  if (props.events.length === 0) return <p class="ds-paragraph">{t('consent.log.empty')}</p>;
  const withConsent = props.events.some((e) => e.consent);
  return (
    <div class="df-table-wrap" role="region" aria-label={props.caption} tabindex="0">
      <table class="ds-table" data-size="sm">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('consent.field.at')}</th>
            <th scope="col">{t('consent.field.event')}</th>
            {withConsent ? <th scope="col">{t('consent.field.consent')}</th> : null}
            <th scope="col">{t('consent.field.details')}</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr>
              <td>{when(e.at)}</td>
              <td>{eventLabel(props.request, e.kind)}</td>
              {withConsent ? (
                <td>
                  {e.consent ? (
                    <a class="ds-link" href={urls.consent(e.consent.id)}>{`${e.consent.tableTitle || e.consent.table} – ${orgLabel(e.consent.consumerName, e.consent.consumerOrgnr)}`}</a>
                  ) : null}
                </td>
              ) : null}
              <td>{e.kind === 'used' ? t('consent.event.usedRows', { rows: e.rows ?? 0 }) : (e.reason ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function renderConsent(request: FastifyRequest, reply: FastifyReply, services: Services, id: string, problems: FieldProblem[] = [], status = 200) {
  const t = request.t;
  const { consent: c, events, canDecide } = await services.consents.get(request.actor, id);
  const flash = takeFlash(request, reply, urls.consent(id), FLASHES, services.platform.config.secureCookies);
  const title = t('consent.detail.title', { table: c.tableTitle || c.table });
  const decision = (action: 'godta' | 'avsla' | 'trekk-tilbake', label: string, variant: string, withReason: boolean) => (
    <form method="post" action={urls.consentDecision(c.id, action)} class="df-stack">
      <CsrfField token={request.csrfToken} />
      {withReason ? <TextField id={`reason-${action}`} name="reason" label={t('consent.field.reason')} error={errorFor(problems, 'reason')} /> : null}
      <div>
        <button type="submit" class="ds-button" data-variant={variant}>{label}</button>
      </div>
    </form>
  );
  return sendPage(
    request,
    reply,
    { title, status, alternates: [{ href: urls.api.consent(c.id), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <Notice request={request} kind={flash} />
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <dl class="df-facts">
        <dt>{t('consent.field.dataset')}</dt>
        <dd>
          <a class="ds-link" href={urls.dataset(c.datasetId)}>{c.datasetTitle}</a>
        </dd>
        <dt>{t('consent.field.table')}</dt>
        <dd>{c.tableTitle || c.table}</dd>
        <dt>{t('consent.field.subject')}</dt>
        <dd>{orgLabel(c.subjectName, c.subjectOrgnr)}</dd>
        <dt>{t('consent.field.consumer')}</dt>
        <dd>{orgLabel(c.consumerName, c.consumerOrgnr)}</dd>
        <dt>{t('consent.field.purpose')}</dt>
        <dd>{c.purpose}</dd>
        <dt>{t('consent.field.validTo')}</dt>
        <dd>{when(c.validTo)}</dd>
        <dt>{t('consent.field.state')}</dt>
        <dd>
          <strong>{stateLabel(request, c.state)}</strong>
        </dd>
      </dl>
      {canDecide && c.state === 'requested' ? (
        <section class="df-stack" aria-labelledby="decide-heading">
          <h2 class="ds-heading" data-size="sm" id="decide-heading">{t('consent.detail.decide')}</h2>
          <p class="ds-paragraph">{t('consent.detail.decideHint', { subject: orgLabel(c.subjectName, c.subjectOrgnr), consumer: orgLabel(c.consumerName, c.consumerOrgnr) })}</p>
          {decision('godta', t('consent.action.accept'), 'primary', false)}
          {decision('avsla', t('consent.action.reject'), 'secondary', true)}
        </section>
      ) : null}
      {canDecide && c.state === 'accepted' ? (
        <section class="df-stack" aria-labelledby="revoke-heading">
          <h2 class="ds-heading" data-size="sm" id="revoke-heading">{t('consent.action.revoke')}</h2>
          <p class="ds-paragraph">{t('consent.detail.revokeHint')}</p>
          {decision('trekk-tilbake', t('consent.action.revoke'), 'secondary', true)}
        </section>
      ) : null}
      <h2 class="ds-heading" data-size="sm">{t('consent.detail.events')}</h2>
      <EventsTable request={request} events={events} caption={t('consent.detail.events')} />
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.consents()}>{t('consent.list.title')}</a>
      </p>
    </section>,
  );
}

async function renderNew(request: FastifyRequest, reply: FastifyReply, services: Services, form: Form, problems: FieldProblem[] = [], status = 200) {
  const t = request.t;
  const datasetId = str(form.dataset);
  const table = str(form.table);
  const info = await services.consents.tableConsent(request.actor, datasetId, table);
  const mine = Object.keys(request.actor.memberships);
  const names = await services.consents.organisationNames(mine);
  const title = t('consent.new.title');
  const err = (f: string) => errorFor(problems, f);
  return sendPage(
    request,
    reply,
    { title, status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <p class="ds-paragraph">{t('consent.new.intro', { table: info.table })}</p>
      {!info.consentBased ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('error.table_not_consent_based')}</p>
        </div>
      ) : mine.length === 0 ? (
        <div class="ds-alert" data-color="info">
          <p class="ds-paragraph">{t('consent.new.noOrgs')}</p>
        </div>
      ) : (
        <form method="post" action={urls.consentNew()} class="df-stack" novalidate>
          <CsrfField token={request.csrfToken} />
          <input type="hidden" name="dataset" value={datasetId} />
          <input type="hidden" name="table" value={table} />
          <div class="ds-field">
            <label class="ds-label" for="consumerOrgnr">{t('consent.field.consumerOrgnr')}</label>
            <select class="ds-input" id="consumerOrgnr" name="consumerOrgnr" aria-invalid={err('consumerOrgnr') ? 'true' : undefined}>
              {mine.map((o) => (
                <option value={o} selected={str(form.consumerOrgnr) === o ? true : undefined}>{orgLabel(names.get(o) ?? null, o)}</option>
              ))}
            </select>
          </div>
          <TextField id="subjectOrgnr" label={t('consent.field.subjectOrgnr')} value={str(form.subjectOrgnr)} inputmode="numeric" required error={err('subjectOrgnr')} />
          <TextField id="purpose" label={t('consent.field.purpose')} description={t('consent.field.purpose.desc')} value={str(form.purpose)} multiline required error={err('purpose')} />
          <TextField id="validTo" label={t('consent.field.validTo')} description={t('consent.field.validTo.desc')} value={str(form.validTo)} type="date" required error={err('validTo')} />
          <div>
            <button type="submit" class="ds-button">{t('consent.new.submit')}</button>
          </div>
        </form>
      )}
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.dataset(datasetId)}>{t('consent.table.back')}</a>
      </p>
    </section>,
  );
}

function signInFirst(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (request.actor.user) return undefined;
  return reply.redirect(urls.signIn(request.url), 303);
}

export const consentPages: DomainPlugin = async (app, { services }) => {
  const consents = services.consents;
  const secure = services.platform.config.secureCookies;

  app.get<{ Params: { id: string; table: string } }>('/datasett/:id/tabeller/:table/samtykke', { schema: { hide: true } }, async (request, reply) => {
    return signInFirst(request, reply) ?? renderTableSetting(request, reply, services, request.params.id, request.params.table);
  });

  app.post<{ Params: { id: string; table: string } }>('/datasett/:id/tabeller/:table/samtykke', { schema: { hide: true } }, async (request, reply) => {
    const { id, table } = request.params;
    const form = formBody(request);
    try {
      if (str(form.action) === 'unmark') await consents.unmarkTable(request.actor, id, table);
      else await consents.markTable(request.actor, id, table, str(form.column));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return renderTableSetting(request, reply, services, id, table, localise(request, err.problems), 422);
    }
    setFlash(reply, urls.tableConsent(id, table), str(form.action) === 'unmark' ? 'unmarked' : 'marked', secure);
    return reply.redirect(urls.tableConsent(id, table), 303);
  });

  app.get('/samtykker', { schema: { hide: true } }, async (request, reply) => {
    const early = signInFirst(request, reply);
    if (early) return early;
    const t = request.t;
    const [asSubject, asConsumer] = await Promise.all([consents.list(request.actor, { as: 'subject' }), consents.list(request.actor, { as: 'consumer' })]);
    const mine = Object.keys(request.actor.memberships);
    const names = await consents.organisationNames(mine);
    return sendPage(
      request,
      reply,
      { title: t('consent.list.title'), alternates: [{ href: urls.api.consents(), type: 'application/json' }] },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('consent.list.title')}</h1>
        <p class="ds-paragraph">{t('consent.list.intro')}</p>
        <h2 class="ds-heading" data-size="sm">{t('consent.list.subject')}</h2>
        <ConsentTable request={request} items={asSubject} caption={t('consent.list.subject')} side="subject" />
        <h2 class="ds-heading" data-size="sm">{t('consent.list.consumer')}</h2>
        <ConsentTable request={request} items={asConsumer} caption={t('consent.list.consumer')} side="consumer" />
        {mine.length > 0 ? (
          <ul class="ds-list">
            {mine.map((o) => (
              <li>
                <a class="ds-link" href={urls.consentLog(o)}>{t('consent.list.log', { name: orgLabel(names.get(o) ?? null, o) })}</a>
              </li>
            ))}
          </ul>
        ) : null}
      </section>,
    );
  });

  app.get('/samtykker/ny', { schema: { hide: true } }, async (request, reply) => {
    return signInFirst(request, reply) ?? renderNew(request, reply, services, queryParams(request));
  });

  app.post('/samtykker/ny', { schema: { hide: true } }, async (request, reply) => {
    const form = formBody(request);
    try {
      const c = await consents.request(request.actor, {
        consumerOrgnr: str(form.consumerOrgnr),
        subjectOrgnr: str(form.subjectOrgnr),
        datasetId: str(form.dataset),
        table: str(form.table),
        purpose: str(form.purpose),
        validTo: str(form.validTo),
      });
      setFlash(reply, urls.consent(c.id), 'requested', secure);
      return reply.redirect(urls.consent(c.id), 303);
    } catch (err) {
      if (err instanceof ValidationError) return renderNew(request, reply, services, form, localise(request, err.problems), 422);
      if (err instanceof DomainError && err.code === 'consent_exists') {
        return renderNew(request, reply, services, form, [{ field: 'subjectOrgnr', code: err.code, message: request.t('error.consent_exists') }], 409);
      }
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/samtykker/:id', { schema: { hide: true } }, async (request, reply) => {
    return signInFirst(request, reply) ?? renderConsent(request, reply, services, request.params.id);
  });

  const actions = { godta: 'accept', avsla: 'reject', 'trekk-tilbake': 'revoke' } as const;
  for (const [path, action] of Object.entries(actions)) {
    app.post<{ Params: { id: string } }>(`/samtykker/:id/${path}`, { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params;
      const reason = str(formBody(request).reason);
      try {
        if (action === 'accept') await consents.accept(request.actor, id);
        else if (action === 'reject') await consents.reject(request.actor, id, reason);
        else await consents.revoke(request.actor, id, reason);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return renderConsent(request, reply, services, id, localise(request, err.problems), 422);
      }
      setFlash(reply, urls.consent(id), action === 'accept' ? 'accepted' : action === 'reject' ? 'rejected' : 'revoked', secure);
      return reply.redirect(urls.consent(id), 303);
    });
  }

  app.get<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/samtykkelogg', { schema: { hide: true } }, async (request, reply) => {
    const early = signInFirst(request, reply);
    if (early) return early;
    const { orgnr } = request.params;
    const t = request.t;
    const page = await consents.subjectEvents(request.actor, orgnr, { limit: 1000 });
    const names = await consents.organisationNames([orgnr]);
    const title = t('consent.log.title', { name: orgLabel(names.get(orgnr) ?? null, orgnr) });
    return sendPage(
      request,
      reply,
      { title, alternates: [{ href: urls.api.consentEvents(orgnr), type: 'application/json' }] },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{title}</h1>
        <p class="ds-paragraph">{t('consent.log.intro', { total: page.total })}</p>
        <EventsTable request={request} events={page.items} caption={title} />
        <p class="ds-paragraph">
          <a class="ds-link" href={urls.consents()}>{t('consent.list.title')}</a>
        </p>
      </section>,
    );
  });
};
