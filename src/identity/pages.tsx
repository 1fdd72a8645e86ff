// Web pages of identity: starting OpenID Connect sign-in (a POST form on the sign-in page, so no other site can start
// flows in a reader's browser), the callback the provider returns to, linking and unlinking the provider on the account
// page (/konto/innlogging), and an organisation's machine clients (/virksomheter/{orgnr}/klienter: list, register with
// a pasted JWKS, disable). Forms work without JavaScript and carry `_csrf`; errors at the callback are OidcErrors,
// rendered by the one error handler as a translated page (error.oidc_*), and never start a session.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeNext, setSessionCookie } from '../accounts/pages';
import { ValidationError, type FieldProblem } from '../errors';
import { getCookie, setCookie } from '../platform/http/cookies';
import type { DomainPlugin } from '../platform/http/plugin';
import { rotateCsrfToken } from '../web/context';
import { hasKey, type Locale, type Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { CLIENT_TOKEN_RULES, type MachineClientView, type OidcLinkView } from './model';
import { OIDC_CALLBACK_PATH, OIDC_COOKIE, OIDC_FLOW_SECONDS } from './service';

void Fragment;

type Form = Record<string, unknown>;

function formBody(request: FastifyRequest): Form {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Form) : {};
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function formatDate(iso: string | null, locale: Locale): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(d);
}

function localise(t: Translate, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => {
    const key = `identity.problem.${p.code}`;
    return hasKey(key) ? { ...p, message: t(key) } : p;
  });
}

function Notice(props: { text: string | undefined }): RawHtml {
  if (!props.text) return <></>;
  return (
    <div class="ds-alert" data-color="success" role="status">
      <p class="ds-paragraph">{props.text}</p>
    </div>
  );
}

function LinksPage(props: { request: FastifyRequest; label: string; links: OidcLinkView[]; notice?: string }): RawHtml {
  const { t, csrfToken, locale } = props.request;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('identity.links.title', { label: props.label })}</h1>
      <Notice text={props.notice} />
      <p class="ds-paragraph">{t('identity.links.intro', { label: props.label })}</p>
      {props.links.length === 0 ? (
        <p class="ds-paragraph">{t('identity.links.none')}</p>
      ) : (
        <table class="ds-table">
          <thead>
            <tr>
              <th scope="col">{t('identity.links.issuer')}</th>
              <th scope="col">{t('identity.links.lastUsed')}</th>
              <th scope="col">{t('identity.links.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {props.links.map((l) => (
              <tr>
                <td>{l.issuer}</td>
                <td>{formatDate(l.lastUsedAt ?? l.createdAt, locale)}</td>
                <td>
                  <form method="post" action={urls.accountOidcUnlink(l.id)} class="df-inline-form">
                    <CsrfField token={csrfToken} />
                    <button type="submit" class="ds-button" data-variant="tertiary" data-size="sm">{t('identity.links.unlink')}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action={urls.accountOidcLink()}>
        <CsrfField token={csrfToken} />
        <button type="submit" class="ds-button" data-variant="secondary">{t('identity.links.link', { label: props.label })}</button>
      </form>
      <p>
        <a class="ds-link" href={urls.account()}>{t('identity.back.account')}</a>
      </p>
    </section>
  );
}

function ClientsPage(props: { request: FastifyRequest; orgnr: string; orgName: string; clients: MachineClientView[]; form: Form; problems: FieldProblem[]; notice?: string }): RawHtml {
  const { t, csrfToken, locale } = props.request;
  const p = props.problems;
  const err = (field: string) => p.find((x) => x.field === field)?.message;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('identity.clients.title', { org: props.orgName })}</h1>
      <Notice text={props.notice} />
      <p class="ds-paragraph">{t('identity.clients.intro', { seconds: CLIENT_TOKEN_RULES.maxAssertionSeconds, lifetime: CLIENT_TOKEN_RULES.accessTokenSeconds })}</p>
      <p class="ds-paragraph">
        {t('identity.clients.tokenEndpoint')} <code>{urls.api.oauthToken()}</code> · <a class="ds-link" href={urls.apiDocs()}>{t('identity.clients.apiDocs')}</a>
      </p>
      {props.clients.length === 0 ? (
        <p class="ds-paragraph">{t('identity.clients.none')}</p>
      ) : (
        <table class="ds-table">
          <thead>
            <tr>
              <th scope="col">{t('identity.clients.name')}</th>
              <th scope="col">{t('identity.clients.id')}</th>
              <th scope="col">{t('identity.clients.scopes')}</th>
              <th scope="col">{t('identity.clients.state')}</th>
              <th scope="col">{t('identity.clients.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {props.clients.map((c) => (
              <tr>
                <td>{c.name}</td>
                <td>
                  <code>{c.id}</code>
                </td>
                <td>{c.scopes.join(' ')}</td>
                <td>{c.disabledAt ? t('identity.clients.disabledAt', { at: formatDate(c.disabledAt, locale) }) : t('identity.clients.active')}</td>
                <td>
                  {c.disabledAt ? null : (
                    <form method="post" action={urls.organizationClientDisable(props.orgnr, c.id)} class="df-inline-form">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="ds-button" data-variant="tertiary" data-size="sm">{t('identity.clients.disable')}</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 class="ds-heading" data-size="md">{t('identity.clients.register')}</h2>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.organizationClients(props.orgnr)} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <TextField id="name" label={t('identity.clients.name')} value={str(props.form.name)} required error={err('name')} />
        <TextField id="jwks" label={t('identity.clients.jwks')} description={t('identity.clients.jwks.desc')} value={str(props.form.jwks)} required multiline error={err('jwks')} />
        <input type="hidden" name="scopes" value="read" />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('identity.clients.submit')}</button>
        </div>
      </form>
      <p>
        <a class="ds-link" href={urls.organization(props.orgnr)}>{t('identity.back.organization')}</a>
      </p>
    </section>
  );
}

export const identityPages: DomainPlugin = async (app, { services }) => {
  const identity = services.identity;
  const secure = services.platform.config.secureCookies;
  // The flow cookie goes only to the sign-in paths, lives as long as the flow, and is HttpOnly (SameSite=Lax: it comes
  // along on the provider's top-level redirect back to the callback).
  const flowCookie = (reply: FastifyReply, value: string) => setCookie(reply, OIDC_COOKIE, value, { httpOnly: true, secure, sameSite: 'Lax', path: urls.oidcStart(), maxAgeSeconds: value ? OIDC_FLOW_SECONDS : 0 });

  app.addHook('onReady', async () => identity.warmUp());

  app.post('/logg-inn/oidc', { schema: { hide: true } }, async (request, reply) => {
    const next = safeNext(formBody(request).next);
    const { cookie, redirectTo } = await identity.startSignIn(request.actor, { intent: 'signin', next });
    flowCookie(reply, cookie);
    return reply.redirect(redirectTo, 303);
  });

  app.get(OIDC_CALLBACK_PATH, { schema: { hide: true } }, async (request, reply) => {
    const cookie = getCookie(request, OIDC_COOKIE);
    flowCookie(reply, ''); // used or not, this flow is over
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const done = await identity.finishSignIn(request.actor, { cookie, query, userAgent: request.headers['user-agent'] });
    if (done.intent === 'link') return reply.redirect(`${urls.accountOidc()}?koblet=1`, 303);
    // A session this browser had before (someone else's, perhaps) ends: one browser, one signed-in person.
    if (request.actor.via === 'session') await services.accounts.destroySession(services.accounts.sessionTokenFrom(request));
    setSessionCookie(reply, done.session!, secure);
    rotateCsrfToken(request, reply, secure);
    return reply.redirect(safeNext(done.next) ?? urls.account(), 303);
  });

  app.get('/konto/innlogging', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.accountOidc()), 303);
    const label = identity.oidcLabel();
    if (!label) return reply.redirect(urls.account(), 303);
    const q = request.query as Form;
    const notice = str(q.koblet) ? request.t('identity.links.linked', { label }) : str(q.fjernet) ? request.t('identity.links.unlinked', { label }) : undefined;
    const links = await identity.listLinks(request.actor);
    return sendPage(request, reply, { title: request.t('identity.links.title', { label }) }, <LinksPage request={request} label={label} links={links} notice={notice} />);
  });

  app.post('/konto/oidc/koble', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.accountOidc()), 303);
    const { cookie, redirectTo } = await identity.startSignIn(request.actor, { intent: 'link', next: urls.accountOidc() });
    flowCookie(reply, cookie);
    return reply.redirect(redirectTo, 303);
  });

  app.post<{ Params: { id: string } }>('/konto/oidc/:id/fjern', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.accountOidc()), 303);
    await identity.unlink(request.actor, request.params.id);
    return reply.redirect(`${urls.accountOidc()}?fjernet=1`, 303);
  });

  async function clientsPage(request: FastifyRequest, reply: FastifyReply, orgnr: string, opts: { status?: number; form?: Form; problems?: FieldProblem[]; notice?: string } = {}) {
    const clients = await identity.listClients(request.actor, orgnr);
    const org = await services.organisations.get(orgnr, request.actor);
    return sendPage(
      request,
      reply,
      { title: request.t('identity.clients.title', { org: org.name }), status: opts.status, alternates: [{ href: urls.api.machineClients(orgnr), type: 'application/json' }] },
      <ClientsPage request={request} orgnr={orgnr} orgName={org.name} clients={clients} form={opts.form ?? {}} problems={opts.problems ?? []} notice={opts.notice} />,
    );
  }

  app.get<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/klienter', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.organizationClients(request.params.orgnr)), 303);
    const q = request.query as Form;
    const notice = str(q.registrert) ? request.t('identity.clients.registered') : str(q.deaktivert) ? request.t('identity.clients.disabled') : undefined;
    return clientsPage(request, reply, request.params.orgnr, { notice });
  });

  app.post<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/klienter', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.organizationClients(request.params.orgnr)), 303);
    const f = formBody(request);
    try {
      await identity.registerClient(request.actor, request.params.orgnr, { name: f.name, jwks: str(f.jwks), scopes: f.scopes });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return clientsPage(request, reply, request.params.orgnr, { status: 422, form: f, problems: localise(request.t, err.problems) });
    }
    return reply.redirect(`${urls.organizationClients(request.params.orgnr)}?registrert=1`, 303);
  });

  app.post<{ Params: { orgnr: string; id: string } }>('/virksomheter/:orgnr/klienter/:id/deaktiver', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.organizationClients(request.params.orgnr)), 303);
    await identity.disableClient(request.actor, request.params.orgnr, request.params.id);
    return reply.redirect(`${urls.organizationClients(request.params.orgnr)}?deaktivert=1`, 303);
  });
};
