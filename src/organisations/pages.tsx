// Web pages for organisations: the list with search, the registration form, one organisation with its published
// datasets and (for its members) the member list, with an add-member form for admins, and the operator's review page
// (claims beside the Enhetsregisteret record; approve, reject with a reason, check again). Every page shows an
// organisation's status and whether it was checked against Enhetsregisteret. Forms re-render with the input and
// translated messages on errors (422/409) and redirect with 303 after a change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { validateOrgnr } from '../identifiers/orgnr';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import { titleIn } from '../catalog/service';
import { errorFor, formBody, localiseProblems, pageNumber, queryParams, str, type Form } from '../catalog/forms';
import { hasKey, type Locale, type Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { organisationQualitySection } from '../quality/pages';
import { urls } from '../web/urls';
import { MEMBER_ROLES, type ClaimView, type MemberView, type OrganizationStatus, type OrganizationView } from './model';

void Fragment;

const PAGE_SIZE = 20;

const ORG_FIELD_IDS: Record<string, string> = { '/members': 'members', '/orgnr': 'orgnr', '/name': 'name', '/orgForm': 'orgForm', '/municipality': 'municipality', '/homepage': 'homepage', '/email': 'email', '/role': 'role' };
const orgFieldId = (field: string) => ORG_FIELD_IDS[field] ?? field.replace(/^\//, '');

function formatDate(iso: string, locale: Locale): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeZone: 'Europe/Oslo' }).format(d);
}

function statusLabel(t: Translate, status: OrganizationStatus): string {
  return status === 'pending' ? t('org.status.pending') : status === 'rejected' ? t('org.status.rejected') : t('org.status.approved');
}

/** The status as a tag: colour for the eye, the word for everyone (screen readers read the text). */
function StatusTag(props: { t: Translate; status: OrganizationStatus }): RawHtml {
  const color = props.status === 'approved' ? 'success' : props.status === 'pending' ? 'warning' : 'danger';
  return <span class="ds-tag" data-color={color}>{statusLabel(props.t, props.status)}</span>;
}

/** "Checked against Enhetsregisteret on DATE", "not checked", or what the registry said. */
export function registryText(t: Translate, locale: Locale, r: OrganizationView['registry']): string {
  if (!r.checkedAt) return t('org.registry.notChecked');
  const date = formatDate(r.checkedAt, locale);
  switch (r.status) {
    case 'deleted':
      return t('org.registry.deleted', { date });
    case 'not_found':
      return t('org.registry.not_found', { date });
    case 'bankrupt':
      return t('org.registry.bankrupt', { date });
    case 'winding_up':
      return t('org.registry.winding_up', { date });
    default:
      return t('org.registry.checked', { date });
  }
}

function RegistryFact(props: { t: Translate; locale: Locale; registry: OrganizationView['registry'] }): RawHtml {
  const text = registryText(props.t, props.locale, props.registry);
  return props.registry.checkedAt ? <time datetime={props.registry.checkedAt}>{text}</time> : <span>{text}</span>;
}

function roleLabel(t: Translate, role: string): string {
  return role === 'admin' ? t('accounts.role.admin') : role === 'editor' ? t('accounts.role.editor') : t('accounts.role.member');
}

/** Problems from a failed change, in the reader's language; the check-digit message names the expected digit. */
function problemsFrom(t: Translate, err: unknown, form: Form): FieldProblem[] | undefined {
  let problems: FieldProblem[] | undefined;
  if (err instanceof ValidationError) problems = err.problems;
  else if (err instanceof ConflictError && err.code === 'organization_exists') problems = [{ field: '/orgnr', code: err.code, message: err.message }];
  else if (err instanceof ConflictError && err.code === 'already_member') problems = [{ field: '/email', code: err.code, message: err.message }];
  else if (err instanceof ConflictError && err.code === 'last_admin') problems = [{ field: '/members', code: err.code, message: err.message }];
  else if (err instanceof NotFoundError && err.code === 'user_not_found') problems = [{ field: '/email', code: err.code, message: err.message }];
  if (!problems) return undefined;
  const check = validateOrgnr(str(form.orgnr));
  return localiseProblems(
    t,
    'org',
    problems.map((p) => (p.code === 'orgnr_check_digit' && !check.valid && check.expectedCheckDigit === undefined ? { ...p, code: 'orgnr_invalid' } : p)),
    orgFieldId,
    () => ({ digit: !check.valid && check.expectedCheckDigit !== undefined ? check.expectedCheckDigit : '' }),
  );
}

function ListPage(props: { request: FastifyRequest; q: string; page: number; items: OrganizationView[]; total: number; pendingCount: number | null }): RawHtml {
  const { t, actor, locale } = props.request;
  const pages = Math.max(1, Math.ceil(props.total / PAGE_SIZE));
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('org.list.title')}</h1>
      <p class="ds-paragraph">{t('org.list.lead')}</p>
      <form method="get" action={urls.organizations()} class="df-search" role="search">
        <TextField id="q" label={t('org.search.label')} value={props.q} type="search" />
        <button type="submit" class="ds-button" data-variant="primary">{t('org.search.button')}</button>
      </form>
      {actor.user ? (
        <p>
          <a class="ds-link" href={urls.organizationNew()}>{t('org.new.link')}</a>
        </p>
      ) : null}
      {props.pendingCount !== null ? (
        <p>
          <a class="ds-link" href={urls.operatorOrganizations()}>{t('org.list.operatorLink', { count: props.pendingCount })}</a>
        </p>
      ) : null}
      <p class="ds-paragraph" role="status">{t('org.list.count', { total: props.total })}</p>
      {props.items.length === 0 ? (
        <p class="ds-paragraph">{t('org.list.empty')}</p>
      ) : (
        <ul class="ds-list">
          {props.items.map((o) => (
            <li>
              <a class="ds-link" href={urls.organization(o.orgnr)}>{o.name}</a> {`(${o.orgnr})`}
              {o.municipalityName ? ` – ${o.municipalityName}` : ''} <StatusTag t={t} status={o.status} />{' '}
              <span>{registryText(t, locale, o.registry)}</span>
            </li>
          ))}
        </ul>
      )}
      {pages > 1 ? (
        <nav aria-label={t('catalog.list.paging')} class="df-actions">
          {props.page > 1 ? <a class="ds-link" rel="prev" href={urls.organizations({ q: props.q, side: props.page - 1 })}>{t('catalog.list.prev')}</a> : null}
          <span>{t('catalog.list.page', { page: props.page, pages })}</span>
          {props.page < pages ? <a class="ds-link" rel="next" href={urls.organizations({ q: props.q, side: props.page + 1 })}>{t('catalog.list.next')}</a> : null}
        </nav>
      ) : null}
    </section>
  );
}

function NewPage(props: { request: FastifyRequest; form: Form; problems: FieldProblem[] }): RawHtml {
  const { t } = props.request;
  const f = props.form;
  const p = props.problems;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('org.new.title')}</h1>
      <p class="ds-paragraph">{t('org.new.lead')}</p>
      <ErrorSummary title={t('error.validation_failed')} problems={p} />
      <form method="post" action={urls.organizationNew()} class="df-form" novalidate>
        <CsrfField token={props.request.csrfToken} />
        <TextField id="orgnr" label={t('org.field.orgnr')} description={t('org.field.orgnr.desc')} value={str(f.orgnr)} required inputmode="numeric" error={errorFor(p, 'orgnr')} />
        <TextField id="name" label={t('org.field.name')} description={t('org.field.name.desc')} value={str(f.name)} autocomplete="organization" error={errorFor(p, 'name')} />
        <TextField id="orgForm" label={t('org.field.orgForm')} description={t('org.field.orgForm.desc')} value={str(f.orgForm)} error={errorFor(p, 'orgForm')} />
        <TextField id="municipality" label={t('org.field.municipality')} description={t('org.field.municipality.desc')} value={str(f.municipality)} inputmode="numeric" error={errorFor(p, 'municipality')} />
        <TextField id="homepage" label={t('org.field.homepage')} value={str(f.homepage)} type="url" autocomplete="url" error={errorFor(p, 'homepage')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('org.new.submit')}</button>
        </div>
      </form>
    </section>
  );
}

function MembersSection(props: { request: FastifyRequest; org: OrganizationView; members: MemberView[]; isAdmin: boolean; form: Form; problems: FieldProblem[] }): RawHtml {
  const { t } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack" aria-labelledby="members-heading">
      <h2 class="ds-heading" data-size="md" id="members-heading">{t('org.members.title')}</h2>
      <ErrorSummary title={t('error.validation_failed')} problems={p.filter((x) => x.field === 'members')} />
      <div class="df-table-wrap" id="members">
        <table class="ds-table">
          <thead>
            <tr>
              <th scope="col">{t('org.members.name')}</th>
              <th scope="col">{t('org.members.email')}</th>
              <th scope="col">{t('org.members.role')}</th>
              {props.isAdmin ? <th scope="col">{t('org.members.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {props.members.map((m) => (
              <tr>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>{roleLabel(t, m.role)}</td>
                {props.isAdmin ? (
                  <td>
                    <form method="post" action={urls.organizationMemberRemove(props.org.orgnr, m.userId)} class="df-inline-form">
                      <CsrfField token={props.request.csrfToken} />
                      <button type="submit" class="ds-button" data-variant="tertiary" data-size="sm" aria-label={t('org.members.removeNamed', { name: m.name })}>
                        {t('org.members.remove')}
                      </button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.isAdmin ? (
        <>
          <h3 class="ds-heading" data-size="sm">{t('org.members.add')}</h3>
          <ErrorSummary title={t('error.validation_failed')} problems={p.filter((x) => x.field !== 'members')} />
          <form method="post" action={urls.organizationMembers(props.org.orgnr)} class="df-form" novalidate>
            <CsrfField token={props.request.csrfToken} />
            <TextField id="email" label={t('org.members.email')} description={t('org.members.email.desc')} value={str(props.form.email)} type="email" required error={errorFor(p, 'email')} />
            <div class="ds-field">
              <label class="ds-label" for="role">{t('org.members.role')}</label>
              <select id="role" name="role" class="ds-input">
                {MEMBER_ROLES.map((r) => (
                  <option value={r} selected={(str(props.form.role) || 'editor') === r}>{roleLabel(t, r)}</option>
                ))}
              </select>
            </div>
            <div>
              <button type="submit" class="ds-button" data-variant="primary">{t('org.members.submit')}</button>
            </div>
          </form>
        </>
      ) : null}
    </section>
  );
}

async function renderOrganization(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  orgnr: string,
  memberForm: { form: Form; problems: FieldProblem[]; status: number } = { form: {}, problems: [], status: 200 },
): Promise<FastifyReply> {
  const { t, actor, locale } = request;
  const org = await services.organisations.get(orgnr, actor);
  const datasets = await services.catalog.listDatasets(actor, { orgnr, state: 'published', limit: 100, offset: 0 });
  const role = actor.memberships[orgnr];
  const canSeeMembers = role !== undefined || actor.user?.isOperator === true;
  const isAdmin = role === 'admin' || actor.user?.isOperator === true;
  const canEdit = isAdmin || role === 'editor';
  const members = canSeeMembers ? await services.organisations.listMembers(actor, orgnr) : [];
  const quality = await organisationQualitySection(request, services, orgnr); // metadata quality (src/quality)
  return sendPage(
    request,
    reply,
    { title: org.name, status: memberForm.status, alternates: [{ href: urls.api.organization(orgnr), type: 'application/json', title: t('org.detail.json') }] },
    <article class="df-stack">
      <h1 class="ds-heading" data-size="lg">{org.name}</h1>
      {org.status === 'pending' && (canSeeMembers || actor.user?.isOperator) ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('org.pending.notice')}</p>
          {actor.user?.isOperator ? (
            <p class="ds-paragraph">
              <a class="ds-link" href={urls.operatorOrganizations()}>{t('operator.link')}</a>
            </p>
          ) : null}
        </div>
      ) : null}
      {org.status === 'rejected' ? (
        <div class="ds-alert" data-color="danger">
          <p class="ds-paragraph">{t('org.rejected.notice')}</p>
          {org.rejectionReason ? <p class="ds-paragraph">{t('org.rejected.reason', { reason: org.rejectionReason })}</p> : null}
        </div>
      ) : null}
      <dl class="df-meta">
        <dt>{t('org.field.orgnr')}</dt>
        <dd>{org.orgnr}</dd>
        <dt>{t('org.detail.status')}</dt>
        <dd>
          <StatusTag t={t} status={org.status} />
        </dd>
        <dt>{t('org.detail.registry')}</dt>
        <dd>
          <RegistryFact t={t} locale={locale} registry={org.registry} />
        </dd>
        {org.orgForm ? (
          <>
            <dt>{t('org.field.orgForm')}</dt>
            <dd>{org.orgForm}</dd>
          </>
        ) : null}
        {org.municipality ? (
          <>
            <dt>{t('org.detail.municipality')}</dt>
            <dd>{org.municipalityName ? `${org.municipalityName} (${org.municipality})` : org.municipality}</dd>
          </>
        ) : null}
        {org.homepage ? (
          <>
            <dt>{t('org.field.homepage')}</dt>
            <dd>
              <a class="ds-link" href={org.homepage} rel="noopener">{org.homepage}</a>
            </dd>
          </>
        ) : null}
      </dl>
      <p>
        <a class="ds-link" href={urls.api.organization(orgnr)} type="application/json">{t('org.detail.json')}</a>
      </p>
      <section class="df-stack" aria-labelledby="datasets-heading">
        <h2 class="ds-heading" data-size="md" id="datasets-heading">{t('org.detail.datasets')}</h2>
        {datasets.items.length === 0 ? (
          <p class="ds-paragraph">{t('org.detail.noDatasets')}</p>
        ) : (
          <ul class="ds-list">
            {datasets.items.map((d) => (
              <li>
                <a class="ds-link" href={urls.dataset(d.id)}>{titleIn(d.title, request.locale)}</a>
              </li>
            ))}
          </ul>
        )}
        {canSeeMembers ? (
          <p>
            <a class="ds-link" href={urls.datasets({ org: orgnr })}>{t('org.detail.allDatasets')}</a>
          </p>
        ) : null}
        {canEdit ? (
          <p>
            <a class="ds-button" data-variant="secondary" href={urls.datasetNew(orgnr)}>{t('catalog.new.link')}</a>{' '}
            <a class="ds-button" data-variant="tertiary" href={urls.dataPackageImport(orgnr)}>{t('datapackage.import.link')}</a>
          </p>
        ) : null}
      </section>
      {quality}
      {canSeeMembers ? <MembersSection request={request} org={org} members={members} isAdmin={isAdmin} form={memberForm.form} problems={memberForm.problems} /> : null}
      {isAdmin ? (
        <p>
          <a class="ds-link" href={urls.organizationClients(orgnr)}>{t('identity.clients.link')}</a>
        </p>
      ) : null}
    </article>,
  );
}

// --- operator review ------------------------------------------------------------------------------------------------

const REGISTRY_STATUS_KEYS = {
  active: 'operator.registry.status.active',
  bankrupt: 'operator.registry.status.bankrupt',
  winding_up: 'operator.registry.status.winding_up',
  deleted: 'operator.registry.status.deleted',
} as const;

type ReviewProblems = { orgnr: string; form: Form; problems: FieldProblem[] };

function ClaimSection(props: { request: FastifyRequest; claim: ClaimView; review: ReviewProblems | undefined }): RawHtml {
  const { t, locale } = props.request;
  const { organization: org, claimant, registryUnit: unit } = props.claim;
  const headingId = `claim-${org.orgnr}`;
  const reasonId = `reason-${org.orgnr}`;
  const problems = props.review?.orgnr === org.orgnr ? props.review.problems : [];
  const name = org.name;
  return (
    <section class="df-stack ds-card" aria-labelledby={headingId}>
      <h2 class="ds-heading" data-size="md" id={headingId}>{`${name} (${org.orgnr})`}</h2>
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <h3 class="ds-heading" data-size="xs">{t('operator.claim.heading')}</h3>
      <dl class="df-meta">
        <dt>{t('operator.claim.name')}</dt>
        <dd>{props.claim.claimedName ?? '–'}</dd>
        <dt>{t('operator.claim.by')}</dt>
        <dd>{claimant ? `${claimant.name} <${claimant.email}>` : '–'}</dd>
        {org.claimedAt ? (
          <>
            <dt>{t('operator.claim.at')}</dt>
            <dd>
              <time datetime={org.claimedAt}>{formatDate(org.claimedAt, locale)}</time>
            </dd>
          </>
        ) : null}
        <dt>{t('org.detail.status')}</dt>
        <dd>
          <StatusTag t={t} status={org.status} />
        </dd>
      </dl>
      <h3 class="ds-heading" data-size="xs">{t('operator.registry.heading')}</h3>
      <p class="ds-paragraph">
        <RegistryFact t={t} locale={locale} registry={org.registry} />
      </p>
      {unit ? (
        <dl class="df-meta">
          <dt>{t('operator.registry.name')}</dt>
          <dd>{unit.name}</dd>
          <dt>{t('operator.registry.form')}</dt>
          <dd>{unit.orgForm ?? '–'}</dd>
          <dt>{t('operator.registry.municipality')}</dt>
          <dd>{unit.municipality ? (unit.municipalityName ? `${unit.municipalityName} (${unit.municipality})` : unit.municipality) : '–'}</dd>
          <dt>{t('operator.registry.status')}</dt>
          <dd>{`${t(REGISTRY_STATUS_KEYS[unit.status])}${unit.deletedAt ? ` (${unit.deletedAt})` : ''}`}</dd>
        </dl>
      ) : (
        <p class="ds-paragraph">{t('operator.registry.none')}</p>
      )}
      <div class="df-actions">
        <form method="post" action={urls.operatorApprove(org.orgnr)} class="df-inline-form">
          <CsrfField token={props.request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="primary" aria-label={t('operator.approveNamed', { name })}>{t('operator.approve')}</button>
        </form>
        <form method="post" action={urls.operatorRecheck(org.orgnr)} class="df-inline-form">
          <CsrfField token={props.request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="secondary" aria-label={t('operator.recheckNamed', { name })}>{t('operator.recheck')}</button>
        </form>
      </div>
      <form method="post" action={urls.operatorReject(org.orgnr)} class="df-form" novalidate>
        <CsrfField token={props.request.csrfToken} />
        <TextField id={reasonId} name="reason" label={t('operator.reason', { name })} description={t('operator.reason.desc')} value={problems.length > 0 ? str(props.review?.form.reason) : ''} multiline required error={errorFor(problems, reasonId)} />
        <div>
          <button type="submit" class="ds-button" data-variant="secondary" data-color="danger" aria-label={t('operator.rejectNamed', { name })}>{t('operator.reject')}</button>
        </div>
      </form>
    </section>
  );
}

const DONE_KEYS = { approved: 'operator.done.approved', rejected: 'operator.done.rejected', rechecked: 'operator.done.rechecked', recheckedAll: 'operator.done.recheckedAll' } as const;

async function renderOperatorPage(request: FastifyRequest, reply: FastifyReply, services: Services, review?: ReviewProblems, status = 200): Promise<FastifyReply> {
  const { t } = request;
  const claims = await services.organisations.listClaims(request.actor, { status: 'pending' });
  const query = queryParams(request);
  const done = str(query.done) as keyof typeof DONE_KEYS;
  const counts = Object.fromEntries(['checked', 'verified', 'deleted', 'notFound', 'unavailable'].map((k) => [k, Number.parseInt(str(query[k]), 10) || 0]));
  return sendPage(
    request,
    reply,
    { title: t('operator.orgs.title'), status, alternates: [{ href: urls.api.claims(), type: 'application/json' }] },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('operator.orgs.title')}</h1>
      <p class="ds-paragraph">{t('operator.orgs.lead')}</p>
      {review && !claims.some((c) => c.organization.orgnr === review.orgnr) ? <ErrorSummary title={t('error.validation_failed')} problems={review.problems} /> : null}
      {review === undefined && DONE_KEYS[done] ? (
        <div class="ds-alert" data-color="success" role="status">
          <p class="ds-paragraph">{t(DONE_KEYS[done], counts)}</p>
        </div>
      ) : null}
      <p class="ds-paragraph" role={done ? undefined : 'status'}>{t('operator.orgs.count', { total: claims.length })}</p>
      <form method="post" action={urls.operatorRecheckAll()} class="df-inline-form">
        <CsrfField token={request.csrfToken} />
        <button type="submit" class="ds-button" data-variant="secondary">{t('operator.recheckAll')}</button>
      </form>
      {claims.length === 0 ? <p class="ds-paragraph">{t('operator.orgs.empty')}</p> : claims.map((c) => <ClaimSection request={request} claim={c} review={review} />)}
    </section>,
  );
}

/** Operator problems in the reader's language ("operator.problem.<code>", else the service's text). */
function operatorProblems(t: Translate, orgnr: string, err: unknown): FieldProblem[] | undefined {
  let problems: FieldProblem[] | undefined;
  if (err instanceof ValidationError) problems = err.problems;
  else if (err instanceof ConflictError && err.code === 'organization_not_pending') problems = [{ field: '/reason', code: err.code, message: err.message }];
  if (!problems) return undefined;
  return problems.map((p) => {
    const key = `operator.problem.${p.code}`;
    return { field: `reason-${orgnr}`, code: p.code, message: hasKey(key) ? t(key) : p.message };
  });
}

export const organisationsPages: DomainPlugin = async (app, { services }) => {
  const orgs = services.organisations;

  app.get('/virksomheter', { schema: { hide: true } }, async (request, reply) => {
    const query = queryParams(request);
    const q = str(query.q).trim().slice(0, 200);
    const page = pageNumber(query.side);
    const { items, total } = await orgs.list({ q: q || undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const pendingCount = request.actor.user?.isOperator ? (await orgs.list({ status: 'pending', limit: 1, offset: 0 })).total : null;
    return sendPage(
      request,
      reply,
      { title: request.t('org.list.title'), alternates: [{ href: urls.api.organizations({ q: q || undefined }), type: 'application/json' }] },
      <ListPage request={request} q={q} page={page} items={items} total={total} pendingCount={pendingCount} />,
    );
  });

  app.get('/virksomheter/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.organizationNew()), 303);
    return sendPage(request, reply, { title: request.t('org.new.title') }, <NewPage request={request} form={{}} problems={[]} />);
  });

  app.post('/virksomheter/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.organizationNew()), 303);
    const form = formBody(request);
    try {
      const org = await orgs.create(request.actor, {
        orgnr: str(form.orgnr),
        // An empty name means "take it from Enhetsregisteret"; the service asks for it only when the registry is silent.
        name: str(form.name).trim() === '' ? undefined : str(form.name),
        orgForm: str(form.orgForm),
        municipality: str(form.municipality),
        homepage: str(form.homepage),
      });
      return reply.redirect(urls.organization(org.orgnr), 303);
    } catch (err) {
      const problems = problemsFrom(request.t, err, form);
      if (!problems) throw err;
      const status = err instanceof ConflictError ? 409 : 422;
      return sendPage(request, reply, { title: request.t('org.new.title'), status }, <NewPage request={request} form={form} problems={problems} />);
    }
  });

  app.get<{ Params: { orgnr: string } }>('/virksomheter/:orgnr', { schema: { hide: true } }, async (request, reply) => renderOrganization(request, reply, services, request.params.orgnr));

  app.post<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/medlemmer', { schema: { hide: true } }, async (request, reply) => {
    const { orgnr } = request.params;
    const form = formBody(request);
    try {
      await orgs.addMember(request.actor, orgnr, { email: str(form.email), role: str(form.role) });
      return reply.redirect(urls.organization(orgnr), 303);
    } catch (err) {
      const problems = problemsFrom(request.t, err, form);
      if (!problems) throw err;
      const status = err instanceof ConflictError ? 409 : 422;
      return renderOrganization(request, reply, services, orgnr, { form, problems, status });
    }
  });

  app.post<{ Params: { orgnr: string; userId: string } }>('/virksomheter/:orgnr/medlemmer/:userId/fjern', { schema: { hide: true } }, async (request, reply) => {
    const { orgnr, userId } = request.params;
    try {
      await orgs.removeMember(request.actor, orgnr, userId);
    } catch (err) {
      const problems = problemsFrom(request.t, err, {});
      if (!problems) throw err;
      return renderOrganization(request, reply, services, orgnr, { form: {}, problems, status: 409 });
    }
    // Someone who removed themselves may no longer see the member list; the page still shows the organisation.
    return reply.redirect(urls.organization(orgnr), 303);
  });

  // The operator's review of claims. Anonymous visitors are sent to sign in; everyone else but operators gets 403
  // from the service (the access door).
  app.get('/operator/virksomheter', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.operatorOrganizations()), 303);
    return renderOperatorPage(request, reply, services);
  });

  app.post<{ Params: { orgnr: string } }>('/operator/virksomheter/:orgnr/godkjenn', { schema: { hide: true } }, async (request, reply) => {
    const { orgnr } = request.params;
    try {
      await orgs.approve(request.actor, orgnr);
    } catch (err) {
      const problems = operatorProblems(request.t, orgnr, err);
      if (!problems) throw err;
      return renderOperatorPage(request, reply, services, { orgnr, form: {}, problems }, 409);
    }
    return reply.redirect(urls.operatorOrganizations({ done: 'approved' }), 303);
  });

  app.post<{ Params: { orgnr: string } }>('/operator/virksomheter/:orgnr/avvis', { schema: { hide: true } }, async (request, reply) => {
    const { orgnr } = request.params;
    const form = formBody(request);
    try {
      await orgs.reject(request.actor, orgnr, { reason: str(form.reason) });
    } catch (err) {
      const problems = operatorProblems(request.t, orgnr, err);
      if (!problems) throw err;
      return renderOperatorPage(request, reply, services, { orgnr, form, problems }, err instanceof ConflictError ? 409 : 422);
    }
    return reply.redirect(urls.operatorOrganizations({ done: 'rejected' }), 303);
  });

  app.post<{ Params: { orgnr: string } }>('/operator/virksomheter/:orgnr/sjekk', { schema: { hide: true } }, async (request, reply) => {
    await orgs.recheck(request.actor, request.params.orgnr);
    return reply.redirect(urls.operatorOrganizations({ done: 'rechecked' }), 303);
  });

  app.post('/operator/virksomheter/sjekk', { schema: { hide: true } }, async (request, reply) => {
    const r = await orgs.recheckAll(request.actor);
    return reply.redirect(urls.operatorOrganizations({ done: 'recheckedAll', ...r }), 303);
  });
};
