// Web pages for organisations: the list with search, the registration form, one organisation with its published
// datasets and (for its members) the member list, with an add-member form for admins. Forms re-render with the input
// and translated messages on errors (422/409) and redirect with 303 after a change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { validateOrgnr } from '../identifiers/orgnr';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import { titleIn } from '../catalog/service';
import { errorFor, formBody, localiseProblems, pageNumber, queryParams, str, type Form } from '../catalog/forms';
import type { Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { MEMBER_ROLES, type MemberView, type OrganizationView } from './model';

void Fragment;

const PAGE_SIZE = 20;

const ORG_FIELD_IDS: Record<string, string> = { '/members': 'members', '/orgnr': 'orgnr', '/name': 'name', '/orgForm': 'orgForm', '/municipality': 'municipality', '/homepage': 'homepage', '/email': 'email', '/role': 'role' };
const orgFieldId = (field: string) => ORG_FIELD_IDS[field] ?? field.replace(/^\//, '');

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

function ListPage(props: { request: FastifyRequest; q: string; page: number; items: OrganizationView[]; total: number }): RawHtml {
  const { t, actor } = props.request;
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
      <p class="ds-paragraph" role="status">{t('org.list.count', { total: props.total })}</p>
      {props.items.length === 0 ? (
        <p class="ds-paragraph">{t('org.list.empty')}</p>
      ) : (
        <ul class="ds-list">
          {props.items.map((o) => (
            <li>
              <a class="ds-link" href={urls.organization(o.orgnr)}>{o.name}</a> {`(${o.orgnr})`}
              {o.municipalityName ? ` – ${o.municipalityName}` : ''}
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
        <TextField id="name" label={t('org.field.name')} value={str(f.name)} required autocomplete="organization" error={errorFor(p, 'name')} />
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
  const { t, actor } = request;
  const org = await services.organisations.get(orgnr);
  const datasets = await services.catalog.listDatasets(actor, { orgnr, state: 'published', limit: 100, offset: 0 });
  const role = actor.memberships[orgnr];
  const canSeeMembers = role !== undefined || actor.user?.isOperator === true;
  const isAdmin = role === 'admin' || actor.user?.isOperator === true;
  const canEdit = isAdmin || role === 'editor';
  const members = canSeeMembers ? await services.organisations.listMembers(actor, orgnr) : [];
  return sendPage(
    request,
    reply,
    { title: org.name, status: memberForm.status, alternates: [{ href: urls.api.organization(orgnr), type: 'application/json', title: t('org.detail.json') }] },
    <article class="df-stack">
      <h1 class="ds-heading" data-size="lg">{org.name}</h1>
      <dl class="df-meta">
        <dt>{t('org.field.orgnr')}</dt>
        <dd>{org.orgnr}</dd>
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
            <a class="ds-button" data-variant="secondary" href={urls.datasetNew(orgnr)}>{t('catalog.new.link')}</a>
          </p>
        ) : null}
      </section>
      {canSeeMembers ? <MembersSection request={request} org={org} members={members} isAdmin={isAdmin} form={memberForm.form} problems={memberForm.problems} /> : null}
    </article>,
  );
}

export const organisationsPages: DomainPlugin = async (app, { services }) => {
  const orgs = services.organisations;

  app.get('/virksomheter', { schema: { hide: true } }, async (request, reply) => {
    const query = queryParams(request);
    const q = str(query.q).trim().slice(0, 200);
    const page = pageNumber(query.side);
    const { items, total } = await orgs.list({ q: q || undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    return sendPage(
      request,
      reply,
      { title: request.t('org.list.title'), alternates: [{ href: urls.api.organizations({ q: q || undefined }), type: 'application/json' }] },
      <ListPage request={request} q={q} page={page} items={items} total={total} />,
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
        name: str(form.name),
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
};
