// Web pages for access requests (issue 7): the application form, "my requests", the owner's queue, one request with
// the actions each side may take, the printable agreement (with its PDF and ODRL twins), notifications, and a dataset's
// audit log with usage statistics and CSV export. Server-rendered, no script; every form posts `_csrf`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { titleIn } from '../catalog/service';
import { formBody, str, type Form } from '../catalog/forms';
import { ConflictError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import { hasKey, type Locale, type MessageKey, type Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { notificationText } from '../notifications/mails';
import { agreementFacts } from './api';
import { agreementFilename, agreementRows, odrlAgreement, renderAgreementPdf } from './agreement';
import { ART6_BASES, ART9_BASES, type AccessRequest } from './model';

void Fragment;

function fmtDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(new Date(iso));
}

function stateTag(t: Translate, state: string): RawHtml {
  const color = state === 'accepted' || state === 'approved' ? 'success' : state === 'rejected' || state === 'withdrawn' ? 'danger' : 'warning';
  return <span class="ds-tag" data-color={color}>{t(`access.state.${state}` as MessageKey)}</span>;
}

/** Service field → form control id. */
function fieldId(field: string): string {
  const parts = field.split('/').filter(Boolean);
  if (parts[0] === 'legalBasis') return parts[1] === 'art9' ? 'art9' : parts[1] === 'note' ? 'legalNote' : 'art6';
  if (parts[0] === 'period') return parts[1] === 'to' ? 'periodTo' : 'periodFrom';
  if (parts[0] === 'dataScope') return 'scope';
  return parts[0] ?? 'purpose';
}

function problemsOf(t: Translate, err: unknown): FieldProblem[] | undefined {
  const message = (code: string, fallback: string) => {
    const key = `access.problem.${code}`;
    return hasKey(key) ? t(key) : fallback;
  };
  if (err instanceof ValidationError) return err.problems.map((p) => ({ field: fieldId(p.field), code: p.code, message: message(p.code, p.message) }));
  if (err instanceof ConflictError) return [{ field: 'purpose', code: err.code, message: message(err.code, err.message) }];
  return undefined;
}

function errorFor(problems: FieldProblem[], id: string): string | undefined {
  const m = problems.filter((p) => p.field === id).map((p) => p.message);
  return m.length > 0 ? m.join(' ') : undefined;
}

function requireUser(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.actor.user) return true;
  void reply.redirect(urls.signIn(request.url), 303);
  return false;
}

// --- the application form ----------------------------------------------------------------------------------------

async function formPage(request: FastifyRequest, reply: FastifyReply, services: Services, datasetId: string, form: Form, problems: FieldProblem[], status = 200): Promise<FastifyReply> {
  const { t, locale, actor } = request;
  const ds = await services.catalog.getDataset(actor, datasetId);
  const tables = await services.tables.listTables(actor, datasetId);
  const orgs = (await services.organisations.membershipsOf(actor.user?.id ?? '')).filter((m) => m.orgnr !== ds.publisher.orgnr);
  const title = t('access.new.title');
  const selected = (name: string) => ([] as string[]).concat((form[name] as string[] | string | undefined) ?? []);
  return sendPage(
    request,
    reply,
    { title, status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <p class="ds-paragraph">{t('access.new.lead', { dataset: titleIn(ds.title, locale), owner: ds.publisher.name })}</p>
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      {orgs.length === 0 ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('access.new.noOrganisation')}</p>
          <p>
            <a class="ds-link" href={urls.organizationNew()}>{t('access.new.registerOrganisation')}</a>
          </p>
        </div>
      ) : (
        <form method="post" action={urls.accessRequests()} class="df-stack" novalidate>
          <CsrfField token={request.csrfToken} />
          <input type="hidden" name="datasetId" value={ds.id} />
          <div class="ds-field">
            <label class="ds-label" for="orgnr">{t('access.field.organisation')}</label>
            <select class="ds-input" id="orgnr" name="orgnr" aria-invalid={errorFor(problems, 'orgnr') ? 'true' : undefined}>
              {orgs.map((o) => (
                <option value={o.orgnr} selected={str(form.orgnr) === o.orgnr}>{`${o.name} (${o.orgnr})`}</option>
              ))}
            </select>
            {errorFor(problems, 'orgnr') ? <div class="ds-validation-message" data-field="validation">{errorFor(problems, 'orgnr')}</div> : null}
          </div>
          <TextField id="purpose" label={t('access.field.purpose')} description={t('access.field.purpose.desc')} value={str(form.purpose)} multiline required error={errorFor(problems, 'purpose')} />
          <TextField id="intendedUse" label={t('access.field.intendedUse')} description={t('access.field.intendedUse.desc')} value={str(form.intendedUse)} multiline required error={errorFor(problems, 'intendedUse')} />
          <div class="ds-field">
            <label class="ds-label" for="art6">{t('access.field.art6')}</label>
            <select class="ds-input" id="art6" name="art6" aria-invalid={errorFor(problems, 'art6') ? 'true' : undefined}>
              {ART6_BASES.map((b) => (
                <option value={b} selected={str(form.art6) === b}>{t(`access.art6.${b}` as MessageKey)}</option>
              ))}
            </select>
            {errorFor(problems, 'art6') ? <div class="ds-validation-message" data-field="validation">{errorFor(problems, 'art6')}</div> : null}
          </div>
          <div class="ds-field">
            <input class="ds-input" type="checkbox" id="specialCategories" name="specialCategories" value="yes" checked={str(form.specialCategories) === 'yes'} />
            <label class="ds-label" data-weight="regular" for="specialCategories">{t('access.field.specialCategories')}</label>
          </div>
          <div class="ds-field">
            <label class="ds-label" for="art9">{t('access.field.art9')}</label>
            <select class="ds-input" id="art9" name="art9" aria-invalid={errorFor(problems, 'art9') ? 'true' : undefined}>
              <option value="">{t('access.art9.none')}</option>
              {ART9_BASES.map((b) => (
                <option value={b} selected={str(form.art9) === b}>{t('access.art9.label', { letter: b })}</option>
              ))}
            </select>
            {errorFor(problems, 'art9') ? <div class="ds-validation-message" data-field="validation">{errorFor(problems, 'art9')}</div> : null}
          </div>
          <TextField id="legalNote" label={t('access.field.legalNote')} value={str(form.legalNote)} error={errorFor(problems, 'legalNote')} />
          <fieldset class="ds-fieldset" id="scope">
            <legend class="ds-label">{t('access.field.dataScope')}</legend>
            <p class="ds-paragraph" data-size="sm">{t('access.field.dataScope.desc')}</p>
            {tables.length === 0 ? <p class="ds-paragraph">{t('access.scope.noTables')}</p> : null}
            {tables.map((tb) => (
              <div class="df-stack">
                <div class="ds-field">
                  <input class="ds-input" type="checkbox" id={`table-${tb.name}`} name="tables" value={tb.name} checked={selected('tables').includes(tb.name)} />
                  <label class="ds-label" for={`table-${tb.name}`}>{`${tb.title} (${tb.name})`}</label>
                </div>
                {tb.columns.map((c) => (
                  <div class="ds-field df-indent">
                    <input class="ds-input" type="checkbox" id={`col-${tb.name}-${c.name}`} name={`columns.${tb.name}`} value={c.name} checked={selected(`columns.${tb.name}`).includes(c.name)} />
                    <label class="ds-label" data-weight="regular" for={`col-${tb.name}-${c.name}`}>{c.name}</label>
                  </div>
                ))}
              </div>
            ))}
            {errorFor(problems, 'scope') ? <div class="ds-validation-message" data-field="validation">{errorFor(problems, 'scope')}</div> : null}
          </fieldset>
          <TextField id="recipients" label={t('access.field.recipients')} description={t('access.field.recipients.desc')} value={str(form.recipients)} multiline required error={errorFor(problems, 'recipients')} />
          <TextField id="periodFrom" label={t('access.field.periodFrom')} type="date" value={str(form.periodFrom)} required error={errorFor(problems, 'periodFrom')} />
          <TextField id="periodTo" label={t('access.field.periodTo')} type="date" value={str(form.periodTo)} required error={errorFor(problems, 'periodTo')} />
          <TextField id="deletion" label={t('access.field.deletion')} description={t('access.field.deletion.desc')} value={str(form.deletion)} multiline required error={errorFor(problems, 'deletion')} />
          <div class="df-actions">
            <button type="submit" class="ds-button" data-variant="primary">{t('access.new.submit')}</button>
            <a class="ds-link" href={urls.dataset(ds.id)}>{t('access.cancel')}</a>
          </div>
        </form>
      )}
    </section>,
  );
}

function inputFromForm(f: Form) {
  const tables = ([] as string[]).concat((f.tables as string[] | string | undefined) ?? []);
  const dataScope: Record<string, string[]> = {};
  for (const name of tables) dataScope[name] = ([] as string[]).concat((f[`columns.${name}`] as string[] | string | undefined) ?? []);
  return {
    datasetId: str(f.datasetId),
    orgnr: str(f.orgnr),
    purpose: str(f.purpose),
    intendedUse: str(f.intendedUse),
    legalBasis: { art6: str(f.art6), specialCategories: str(f.specialCategories) === 'yes', art9: str(f.art9) || null, note: str(f.legalNote) || null },
    dataScope,
    recipients: str(f.recipients),
    period: { from: str(f.periodFrom), to: str(f.periodTo) },
    deletion: str(f.deletion),
  };
}

// --- one request ---------------------------------------------------------------------------------------------------

function Facts(props: { rows: [string, string][] }): RawHtml {
  return (
    <dl class="df-meta">
      {props.rows.map(([k, v]) => (
        <div>
          <dt>{k}</dt>
          <dd class="df-pre-line">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function ActionForm(props: { request: FastifyRequest; action: string; field?: { id: string; label: string; type?: string }; button: string; variant?: string; problems: FieldProblem[] }): RawHtml {
  const { request, field } = props;
  return (
    <form method="post" action={props.action} class="df-stack">
      <CsrfField token={request.csrfToken} />
      {field ? <TextField id={field.id} label={field.label} type={field.type} multiline={field.type === undefined} error={errorFor(props.problems, field.id)} /> : null}
      <div>
        <button type="submit" class="ds-button" data-variant={props.variant ?? 'secondary'}>{props.button}</button>
      </div>
    </form>
  );
}

async function requestPage(request: FastifyRequest, reply: FastifyReply, services: Services, id: string, problems: FieldProblem[] = [], status = 200): Promise<FastifyReply> {
  const { t, locale, actor } = request;
  const r = await services.accessRequests.get(actor, id);
  const isOwner = actor.memberships[r.owner.orgnr] === 'admin' || actor.memberships[r.owner.orgnr] === 'editor';
  const isRequester = actor.memberships[r.requester.orgnr] !== undefined;
  const self = r.requester.userId === actor.user?.id || isRequester;
  const open = r.state === 'submitted' || r.state === 'info_requested';
  const title = t('access.request.title', { dataset: titleIn(r.dataset.title, locale) });
  const facts = agreementRows(agreementFacts(r, services.platform.config.baseUrl), t, locale).filter(([k]) => k !== t('access.agreement.status') && k !== t('access.agreement.licence'));
  return sendPage(
    request,
    reply,
    { title, status, alternates: [{ href: urls.api.accessRequest(id), type: 'application/json' }] },
    <article class="df-stack">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <p>{stateTag(t, r.state)} <span class="ds-paragraph" data-size="sm">{t('access.request.submitted', { when: fmtDate(r.createdAt, locale), by: r.requester.userName ?? '—', days: r.ageDays })}</span></p>
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <Facts rows={facts} />
      {r.infoQuestion ? (
        <div class="ds-alert" data-color="info">
          <p class="ds-paragraph"><strong>{t('access.request.question')}</strong> {r.infoQuestion}</p>
          {r.infoAnswer ? <p class="ds-paragraph"><strong>{t('access.request.answer')}</strong> {r.infoAnswer}</p> : null}
        </div>
      ) : null}
      {r.decisionReason ? <p class="ds-paragraph"><strong>{t('access.request.reason')}</strong> {r.decisionReason}</p> : null}
      {r.grant ? (
        <section class="df-stack" aria-labelledby="agreement-heading">
          <h2 class="ds-heading" data-size="md" id="agreement-heading">{t('access.agreement.title')}</h2>
          <p class="ds-paragraph">{t(`access.grant.status.${r.grant.status}` as MessageKey)}</p>
          <p>
            <a class="ds-link" href={urls.agreement(r.grant.id)}>{t('access.agreement.open')}</a>
          </p>
          {isRequester && r.state === 'approved' ? (
            <ActionForm request={request} action={urls.accessRequestAction(id, 'aksepter')} button={t('access.action.accept')} variant="primary" problems={problems} />
          ) : null}
        </section>
      ) : null}
      {isOwner && open && !self ? (
        <section class="df-stack" aria-labelledby="decide-heading">
          <h2 class="ds-heading" data-size="md" id="decide-heading">{t('access.decide.heading')}</h2>
          <ActionForm request={request} action={urls.accessRequestAction(id, 'godkjenn')} field={{ id: 'terms', label: t('access.field.terms') }} button={t('access.action.approve')} variant="primary" problems={problems} />
          <ActionForm request={request} action={urls.accessRequestAction(id, 'avslaa')} field={{ id: 'reason', label: t('access.field.reason') }} button={t('access.action.reject')} problems={problems} />
          {r.state === 'submitted' ? <ActionForm request={request} action={urls.accessRequestAction(id, 'sporsmal')} field={{ id: 'question', label: t('access.field.question') }} button={t('access.action.ask')} problems={problems} /> : null}
        </section>
      ) : null}
      {isOwner && open && self ? <p class="ds-paragraph">{t('access.decide.self')}</p> : null}
      {isRequester && r.state === 'info_requested' ? (
        <ActionForm request={request} action={urls.accessRequestAction(id, 'svar')} field={{ id: 'answer', label: t('access.field.answer') }} button={t('access.action.answer')} variant="primary" problems={problems} />
      ) : null}
      {isRequester && open ? <ActionForm request={request} action={urls.accessRequestAction(id, 'trekk')} button={t('access.action.withdraw')} variant="tertiary" problems={problems} /> : null}
      <p>
        <a class="ds-link" href={urls.dataset(r.dataset.id)}>{t('access.request.toDataset')}</a>
        {' · '}
        <a class="ds-link" href={isOwner ? urls.accessQueue(r.owner.orgnr) : urls.accessRequests()}>{t(isOwner ? 'access.queue.back' : 'access.mine.back')}</a>
      </p>
    </article>,
  );
}

function RequestTable(props: { request: FastifyRequest; items: AccessRequest[]; side: 'owner' | 'requester' }): RawHtml {
  const { t, locale } = props.request;
  if (props.items.length === 0) return <p class="ds-paragraph">{t('access.list.empty')}</p>;
  return (
    <div class="df-table-wrap">
      <table class="ds-table" data-border="true">
        <thead>
          <tr>
            <th scope="col">{t('access.field.dataset')}</th>
            <th scope="col">{t(props.side === 'owner' ? 'access.agreement.recipient' : 'access.agreement.owner')}</th>
            <th scope="col">{t('access.list.state')}</th>
            <th scope="col">{t('access.list.age')}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((r) => (
            <tr>
              <td>
                <a class="ds-link" href={urls.accessRequest(r.id)}>{titleIn(r.dataset.title, locale)}</a>
              </td>
              <td>{props.side === 'owner' ? `${r.requester.name} (${r.requester.orgnr})` : `${r.owner.name} (${r.owner.orgnr})`}</td>
              <td>{stateTag(t, r.state)}</td>
              <td>{t('access.list.days', { days: r.ageDays })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function agreementPage(request: FastifyRequest, reply: FastifyReply, services: Services, grantId: string, problems: FieldProblem[] = [], status = 200): Promise<FastifyReply> {
  const { t, locale, actor } = request;
  const r = await services.accessRequests.agreement(actor, grantId);
  const g = r.grant;
  if (!g) throw new ConflictError('No agreement.', 'request_state');
  const isOwner = actor.memberships[g.owner.orgnr] === 'admin' || actor.memberships[g.owner.orgnr] === 'editor';
  const title = t('access.agreement.title');
  return sendPage(
    request,
    reply,
    { title, status, alternates: [{ href: urls.agreementJson(grantId), type: 'application/ld+json', title: 'ODRL' }] },
    <article class="df-stack df-agreement">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <Facts rows={agreementRows(agreementFacts(r, services.platform.config.baseUrl), t, locale)} />
      <p>
        <a class="ds-link" href={urls.agreementPdf(grantId)} type="application/pdf">{t('access.agreement.pdf')}</a>
        {' · '}
        <a class="ds-link" href={urls.agreementJson(grantId)} type="application/ld+json">{t('access.agreement.odrl')}</a>
        {' · '}
        <a class="ds-link" href={urls.accessRequest(r.id)}>{t('access.agreement.toRequest')}</a>
      </p>
      {isOwner && g.state === 'active' ? (
        <section class="df-stack" aria-labelledby="manage-heading">
          <h2 class="ds-heading" data-size="md" id="manage-heading">{t('access.grant.manage')}</h2>
          <ActionForm request={request} action={urls.grantAction(grantId, 'forny')} field={{ id: 'validTo', label: t('access.field.validTo'), type: 'date' }} button={t('access.action.renew')} problems={problems} />
          <ActionForm request={request} action={urls.grantAction(grantId, 'tilbakekall')} field={{ id: 'reason', label: t('access.field.revokeReason') }} button={t('access.action.revoke')} variant="primary" problems={problems} />
        </section>
      ) : null}
    </article>,
  );
}

// --- audit log page ------------------------------------------------------------------------------------------------

async function auditPage(request: FastifyRequest, reply: FastifyReply, services: Services, datasetId: string): Promise<FastifyReply> {
  const { t, locale, actor } = request;
  const ds = await services.catalog.getDataset(actor, datasetId);
  const [log, usage, grants, verify] = await Promise.all([
    services.auditLog.datasetLog(actor, datasetId, { limit: 500 }),
    services.auditLog.usage(actor, datasetId),
    services.accessRequests.grantsOfDataset(actor, datasetId),
    services.auditLog.verify(),
  ]);
  const title = t('audit.title', { dataset: titleIn(ds.title, locale) });
  return sendPage(
    request,
    reply,
    { title, alternates: [{ href: urls.api.datasetAudit(datasetId), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      <div class="ds-alert" data-color={verify.ok ? 'success' : 'danger'} role="status">
        <p class="ds-paragraph">{verify.ok ? t('audit.chain.ok', { count: verify.entries }) : t('audit.chain.broken', { seq: verify.problem?.seq ?? '?', id: verify.problem?.id ?? '' })}</p>
      </div>
      <p>
        <a class="ds-link" href={urls.datasetAuditCsv(datasetId)} type="text/csv">{t('audit.csv')}</a>
      </p>
      <h2 class="ds-heading" data-size="md">{t('audit.grants')}</h2>
      {grants.length === 0 ? (
        <p class="ds-paragraph">{t('audit.grants.none')}</p>
      ) : (
        <ul class="ds-list">
          {grants.map((g) => (
            <li>
              <a class="ds-link" href={urls.agreement(g.id)}>{`${g.grantee.name} (${g.grantee.orgnr})`}</a>
              {` — ${t(`access.grant.status.${g.status}` as MessageKey)}`}
            </li>
          ))}
        </ul>
      )}
      <h2 class="ds-heading" data-size="md">{t('audit.usage')}</h2>
      {usage.length === 0 ? (
        <p class="ds-paragraph">{t('audit.usage.none')}</p>
      ) : (
        <div class="df-table-wrap">
          <table class="ds-table" data-border="true">
            <thead>
              <tr>
                <th scope="col">{t('audit.usage.consumer')}</th>
                <th scope="col">{t('audit.usage.basis')}</th>
                <th scope="col">{t('audit.usage.reads')}</th>
                <th scope="col">{t('audit.usage.rows')}</th>
                <th scope="col">{t('audit.usage.last')}</th>
              </tr>
            </thead>
            <tbody>
              {usage.map((u) => (
                <tr>
                  <td>{u.orgnr ? `${u.name ?? ''} (${u.orgnr})` : '—'}</td>
                  <td>{u.basis}</td>
                  <td>{String(u.reads)}</td>
                  <td>{String(u.rows)}</td>
                  <td>{fmtDate(u.lastAt, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 class="ds-heading" data-size="md">{t('audit.entries', { total: log.total })}</h2>
      <div class="df-table-wrap">
        <table class="ds-table" data-border="true">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('audit.at')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.actor')}</th>
              <th scope="col">{t('audit.details')}</th>
            </tr>
          </thead>
          <tbody>
            {log.items.map((e) => (
              <tr>
                <td>{String(e.seq)}</td>
                <td>{fmtDate(e.at, locale)}</td>
                <td>{e.action}</td>
                <td>{e.actor.name ?? String(e.details.via ?? '—')}</td>
                <td>
                  <code>{auditSummary(e.details)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <a class="ds-link" href={urls.dataset(datasetId)}>{t('access.request.toDataset')}</a>
      </p>
    </section>,
  );
}

function auditSummary(d: Record<string, unknown>): string {
  const keys = ['orgnr', 'requesterOrgnr', 'granteeOrgnr', 'basis', 'grantId', 'rows', 'table'];
  return keys.filter((k) => d[k] !== undefined && d[k] !== null).map((k) => `${k}=${String(d[k])}`).join(' ');
}

// --- routes --------------------------------------------------------------------------------------------------------

type Action = 'godkjenn' | 'avslaa' | 'sporsmal' | 'svar' | 'trekk' | 'aksepter';
const ACTIONS: readonly Action[] = ['godkjenn', 'avslaa', 'sporsmal', 'svar', 'trekk', 'aksepter'];

export const accessRequestsPages: DomainPlugin = async (app, { services }) => {
  const svc = services.accessRequests;

  app.get('/tilgang/soknader', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const { t, actor } = request;
    const mine = await svc.mine(actor);
    const owned = Object.entries(actor.memberships).filter(([, role]) => role === 'admin' || role === 'editor').map(([orgnr]) => orgnr);
    return sendPage(
      request,
      reply,
      { title: t('access.mine.title'), alternates: [{ href: urls.api.accessRequests(), type: 'application/json' }] },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('access.mine.title')}</h1>
        <RequestTable request={request} items={mine} side="requester" />
        {owned.length > 0 ? (
          <>
            <h2 class="ds-heading" data-size="md">{t('access.queue.heading')}</h2>
            <ul class="ds-list">
              {owned.map((o) => (
                <li>
                  <a class="ds-link" href={urls.accessQueue(o)}>{t('access.queue.link', { orgnr: o })}</a>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>,
    );
  });

  app.get<{ Querystring: { datasett?: string } }>('/tilgang/soknader/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const id = str(request.query.datasett);
    return formPage(request, reply, services, id, {}, []);
  });

  app.post('/tilgang/soknader', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) throw new UnauthenticatedError();
    const form = formBody(request);
    try {
      const r = await svc.submit(request.actor, inputFromForm(form));
      return reply.redirect(urls.accessRequest(r.id), 303);
    } catch (err) {
      const problems = problemsOf(request.t, err);
      if (!problems) throw err;
      return formPage(request, reply, services, str(form.datasetId), form, problems, err instanceof ConflictError ? 409 : 422);
    }
  });

  app.get<{ Params: { id: string } }>('/tilgang/soknader/:id', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    return requestPage(request, reply, services, request.params.id);
  });

  app.post<{ Params: { id: string; action: string } }>('/tilgang/soknader/:id/:action', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) throw new UnauthenticatedError();
    const { id } = request.params;
    const action = request.params.action as Action;
    if (!ACTIONS.includes(action)) return reply.callNotFound();
    const f = formBody(request);
    try {
      if (action === 'godkjenn') await svc.approve(request.actor, id, { terms: str(f.terms) });
      else if (action === 'avslaa') await svc.reject(request.actor, id, { reason: str(f.reason) });
      else if (action === 'sporsmal') await svc.askForInformation(request.actor, id, { question: str(f.question) });
      else if (action === 'svar') await svc.answer(request.actor, id, { answer: str(f.answer) });
      else if (action === 'trekk') await svc.withdraw(request.actor, id);
      else await svc.accept(request.actor, id);
    } catch (err) {
      const problems = err instanceof ValidationError || err instanceof ConflictError ? problemsOf(request.t, err) : undefined;
      if (!problems) throw err;
      return requestPage(request, reply, services, id, problems, err instanceof ConflictError ? 409 : 422);
    }
    return reply.redirect(urls.accessRequest(id), 303);
  });

  app.get<{ Params: { orgnr: string }; Querystring: { tilstand?: string } }>('/virksomheter/:orgnr/tilgangssoknader', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const { t } = request;
    const { orgnr } = request.params;
    const items = await svc.queue(request.actor, orgnr);
    const org = await services.organisations.get(orgnr, request.actor);
    const title = t('access.queue.title', { org: org.name });
    const open = items.filter((r) => r.state === 'submitted' || r.state === 'info_requested');
    const done = items.filter((r) => !(r.state === 'submitted' || r.state === 'info_requested'));
    return sendPage(
      request,
      reply,
      { title, alternates: [{ href: urls.api.accessQueue(orgnr), type: 'application/json' }] },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{title}</h1>
        <h2 class="ds-heading" data-size="md">{t('access.queue.open', { count: open.length })}</h2>
        <RequestTable request={request} items={open} side="owner" />
        <h2 class="ds-heading" data-size="md">{t('access.queue.done')}</h2>
        <RequestTable request={request} items={done} side="owner" />
      </section>,
    );
  });

  app.get<{ Params: { file: string } }>('/tilgang/avtaler/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    const m = /^(.+?)(\.pdf|\.jsonld)?$/.exec(file);
    const grantId = m?.[1] ?? file;
    if (m?.[2] === '.jsonld') {
      const r = await svc.agreement(request.actor, grantId);
      return reply.type('application/ld+json; charset=utf-8').send(JSON.stringify(odrlAgreement(agreementFacts(r, services.platform.config.baseUrl)), null, 2));
    }
    if (m?.[2] === '.pdf') {
      const r = await svc.agreement(request.actor, grantId);
      const facts = agreementFacts(r, services.platform.config.baseUrl);
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${agreementFilename(facts)}"`).send(await renderAgreementPdf(facts, request.t, request.locale));
    }
    if (!requireUser(request, reply)) return reply;
    return agreementPage(request, reply, services, grantId);
  });

  app.post<{ Params: { id: string; action: string } }>('/tilgang/avtaler/:id/:action', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) throw new UnauthenticatedError();
    const { id, action } = request.params;
    if (action !== 'tilbakekall' && action !== 'forny') return reply.callNotFound();
    const f = formBody(request);
    try {
      if (action === 'tilbakekall') await svc.revoke(request.actor, id, { reason: str(f.reason) || undefined });
      else await svc.renew(request.actor, id, { validTo: str(f.validTo) });
    } catch (err) {
      const problems = err instanceof ValidationError || err instanceof ConflictError ? problemsOf(request.t, err) : undefined;
      if (!problems) throw err;
      return agreementPage(request, reply, services, id, problems, err instanceof ConflictError ? 409 : 422);
    }
    return reply.redirect(urls.agreement(id), 303);
  });

  app.get('/varsler', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const { t, locale } = request;
    const { items, unread } = await services.notifications.list(request.actor);
    return sendPage(
      request,
      reply,
      { title: t('notifications.title') },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('notifications.title')}</h1>
        <p class="ds-paragraph">{t('notifications.unread', { count: unread })}</p>
        {unread > 0 ? (
          <form method="post" action={urls.notificationsRead()}>
            <CsrfField token={request.csrfToken} />
            <button type="submit" class="ds-button" data-variant="secondary">{t('notifications.markAll')}</button>
          </form>
        ) : null}
        {items.length === 0 ? (
          <p class="ds-paragraph">{t('notifications.none')}</p>
        ) : (
          <ul class="ds-list">
            {items.map((n) => (
              <li>
                {n.readAt ? null : <span class="ds-tag" data-color="info">{t('notifications.new')}</span>}{' '}
                <a class="ds-link" href={n.link}>{notificationText(t, n.kind, n.params)}</a>
                {` — ${fmtDate(n.createdAt, locale)}`}
              </li>
            ))}
          </ul>
        )}
      </section>,
    );
  });

  app.post('/varsler/lest', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) throw new UnauthenticatedError();
    await services.notifications.markRead(request.actor);
    return reply.redirect(urls.notifications(), 303);
  });

  app.get<{ Params: { id: string } }>('/datasett/:id/logg', { schema: { hide: true } }, async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    return auditPage(request, reply, services, request.params.id);
  });

  app.get<{ Params: { id: string } }>('/datasett/:id/logg.csv', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) throw new UnauthenticatedError();
    const csv = await services.auditLog.datasetCsv(request.actor, request.params.id);
    return reply.type('text/csv; charset=utf-8; header=present').header('content-disposition', `attachment; filename="logg-${request.params.id.slice(0, 8)}.csv"`).send(csv);
  });
};

/** The dataset page's access box (catalog pages call this): how to ask for access, or the grant the viewer holds. */
export async function accessNotice(request: FastifyRequest, services: Services, ds: { id: string; accessRights: string; state: string; publisher: { orgnr: string } }): Promise<RawHtml> {
  const { t, actor } = request;
  if (ds.accessRights === 'PUBLIC' || ds.state !== 'published') return <></>;
  const role = actor.memberships[ds.publisher.orgnr];
  const canEdit = actor.user?.isOperator === true || role === 'admin' || role === 'editor';
  if (canEdit) {
    return (
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.accessQueue(ds.publisher.orgnr)}>{t('access.dataset.queue')}</a>
        {' · '}
        <a class="ds-link" href={urls.datasetAudit(ds.id)}>{t('access.dataset.audit')}</a>
      </p>
    );
  }
  if (role !== undefined) return <></>;
  const canRead = await services.tables.canReadData(actor, ds.id);
  if (canRead) return <div class="ds-alert" data-color="success"><p class="ds-paragraph">{t('access.dataset.granted')}</p></div>;
  return (
    <div class="ds-alert" data-color="info">
      <p class="ds-paragraph">{t('access.dataset.noAccess')}</p>
      <p>
        <a class="ds-link" href={actor.user ? urls.accessRequestNew(ds.id) : urls.signIn(urls.accessRequestNew(ds.id))}>{t(actor.user ? 'access.dataset.ask' : 'access.dataset.signInToAsk')}</a>
      </p>
    </div>
  );
}

