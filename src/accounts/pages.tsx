// Web pages of the accounts domain: sign up, sign in, sign out, my account (with the e-mail verification state and
// "send the mail again"), change password, forgotten password and the pages mailed links open (confirm an address,
// choose a new password: a GET only shows a button or form, the POST uses the link), API tokens and the
// language switch. Forms post back to the same URL, re-render with the input (never a password) and translated
// messages on errors, and redirect with 303 after a successful change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, DomainError, RateLimitedError, ValidationError, type FieldProblem } from '../errors';
import { getCookie, setCookie } from '../platform/http/cookies';
import type { DomainPlugin } from '../platform/http/plugin';
import { LANG_COOKIE, rotateCsrfToken } from '../web/context';
import { hasKey, isLocale, type Locale, type Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { TOKEN_SCOPES, type TokenScope } from './model';
import { InvalidCredentialsError, MIN_PASSWORD_LENGTH, SESSION_COOKIE, SESSION_DAYS, type ApiTokenPublic, type MembershipSummary } from './service';

void Fragment;

const EXPIRY_CHOICES = [30, 90, 365] as const;
const YEAR_SECONDS = 365 * 24 * 60 * 60;

type Form = Record<string, unknown>;

function formBody(request: FastifyRequest): Form {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Form) : {};
}

function str(v: unknown): string {
  if (Array.isArray(v)) return str(v[0]);
  return typeof v === 'string' ? v : '';
}

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A `next` target is honoured only for a local path: starts with one '/', no scheme, no backslash, no control chars. */
export function safeNext(v: unknown): string | undefined {
  const s = str(v);
  if (!s.startsWith('/') || s.startsWith('//') || s.includes('\\') || [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return undefined;
  return s;
}

/** Field problems in the reader's language: "accounts.problem.<code>" when the catalogue has it, else the message. */
function localise(t: Translate, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => {
    const key = `accounts.problem.${p.code}`;
    return hasKey(key) ? { ...p, message: t(key, { min: MIN_PASSWORD_LENGTH }) } : p;
  });
}

function problemsOf(err: unknown): FieldProblem[] | undefined {
  if (err instanceof ValidationError) return err.problems;
  if (err instanceof ConflictError && err.code === 'email_taken') return [{ field: 'email', code: 'email_taken', message: err.message }];
  return undefined;
}

function errorFor(problems: FieldProblem[], field: string): string | undefined {
  return problems.find((p) => p.field === field)?.message;
}

function formatDate(iso: string | null, locale: Locale): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(d);
}

function DateCell(props: { iso: string | null; locale: Locale; empty: string }): RawHtml {
  return props.iso ? <time datetime={props.iso}>{formatDate(props.iso, props.locale)}</time> : <>{props.empty}</>;
}

function roleLabel(t: Translate, role: string): string {
  return role === 'admin' ? t('accounts.role.admin') : role === 'editor' ? t('accounts.role.editor') : t('accounts.role.member');
}

function scopeLabel(t: Translate, scope: TokenScope): string {
  return scope === 'admin' ? t('accounts.tokens.scope.admin') : scope === 'write' ? t('accounts.tokens.scope.write') : t('accounts.tokens.scope.read');
}

function Notice(props: { text: string | undefined }): RawHtml {
  if (!props.text) return <></>;
  return (
    <div class="ds-alert" data-color="success" role="status">
      <p class="ds-paragraph">{props.text}</p>
    </div>
  );
}

function ErrorAlert(props: { text: string | undefined }): RawHtml {
  if (!props.text) return <></>;
  return (
    <div class="ds-alert" data-color="danger" role="alert">
      <p class="ds-paragraph">{props.text}</p>
    </div>
  );
}

// --- page bodies ----------------------------------------------------------------------------------------------------

function SignUpForm(props: { request: FastifyRequest; values: { name: string; email: string }; problems: FieldProblem[] }): RawHtml {
  const { t, csrfToken } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.signup.title')}</h1>
      <p class="ds-paragraph">{t('accounts.signup.lead')}</p>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.signUp()} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <TextField id="name" label={t('accounts.field.name')} value={props.values.name} required autocomplete="name" error={errorFor(p, 'name')} />
        <TextField id="email" label={t('accounts.field.email')} type="email" value={props.values.email} required autocomplete="email" error={errorFor(p, 'email')} />
        <TextField id="password" label={t('accounts.field.password')} type="password" required autocomplete="new-password" description={t('accounts.field.password.desc', { min: MIN_PASSWORD_LENGTH })} error={errorFor(p, 'password')} />
        <TextField id="confirm" label={t('accounts.field.confirm')} type="password" required autocomplete="new-password" error={errorFor(p, 'confirm')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.signup.submit')}</button>
        </div>
      </form>
      <p class="ds-paragraph">
        {t('accounts.signup.haveAccount')} <a class="ds-link" href={urls.signIn()}>{t('accounts.signin.title')}</a>
      </p>
    </section>
  );
}

function SignInForm(props: { request: FastifyRequest; email: string; next: string | undefined; problems: FieldProblem[]; alert?: string; notice?: string; oidcLabel?: string }): RawHtml {
  const { t, csrfToken } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.signin.title')}</h1>
      <Notice text={props.notice} />
      <ErrorAlert text={props.alert} />
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.signIn(props.next)} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <TextField id="email" label={t('accounts.field.email')} type="email" value={props.email} required autocomplete="username" error={errorFor(p, 'email')} />
        <TextField id="password" label={t('accounts.field.password')} type="password" required autocomplete="current-password" error={errorFor(p, 'password')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.signin.submit')}</button>
        </div>
      </form>
      {props.oidcLabel ? (
        // OpenID Connect sign-in (src/identity): a POST with _csrf, so another site cannot start a flow in this browser.
        <form method="post" action={urls.oidcStart()}>
          <CsrfField token={csrfToken} />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <button type="submit" class="ds-button" data-variant="secondary">{t('identity.signin.with', { label: props.oidcLabel })}</button>
        </form>
      ) : null}
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.forgotPassword()}>{t('accounts.signin.forgot')}</a>
      </p>
      <p class="ds-paragraph">
        {t('accounts.signin.noAccount')} <a class="ds-link" href={urls.signUp()}>{t('accounts.signup.title')}</a>
      </p>
    </section>
  );
}

function AccountPage(props: { request: FastifyRequest; user: { name: string; email: string; isOperator: boolean; emailVerified: boolean }; memberships: MembershipSummary[]; notice?: string; oidcLabel?: string }): RawHtml {
  const { t, csrfToken } = props.request;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('accounts.account.title')}</h1>
      <Notice text={props.notice} />
      <dl class="df-facts">
        <dt>{t('accounts.field.name')}</dt>
        <dd>{props.user.name}</dd>
        <dt>{t('accounts.field.email')}</dt>
        <dd>{props.user.email}</dd>
        <dt>{t('accounts.account.emailStatus')}</dt>
        <dd id="email-status">{props.user.emailVerified ? t('accounts.account.emailVerified') : t('accounts.account.emailUnverified')}</dd>
      </dl>
      {props.user.emailVerified ? null : (
        <form method="post" action={urls.accountVerifyResend()}>
          <CsrfField token={csrfToken} />
          <button type="submit" class="ds-button" data-variant="secondary">{t('accounts.account.resend')}</button>
        </form>
      )}
      {props.user.isOperator ? <p class="ds-paragraph">{t('accounts.account.operator')}</p> : null}
      <h2 class="ds-heading" data-size="md">{t('accounts.account.memberships')}</h2>
      {props.memberships.length === 0 ? (
        <p class="ds-paragraph">{t('accounts.account.noMemberships')}</p>
      ) : (
        <ul class="ds-list">
          {props.memberships.map((m) => (
            <li>
              <a class="ds-link" href={urls.organization(m.orgnr)}>{m.name}</a> {`(${m.orgnr}) – ${roleLabel(t, m.role)}`}
            </li>
          ))}
        </ul>
      )}
      <p>
        <a class="ds-link" href={urls.organizationNew()}>{t('accounts.account.newOrganization')}</a>
      </p>
      {props.memberships.length > 0 ? (
        <p>
          <a class="ds-link" href={urls.consents()}>{t('consent.account.link')}</a>
        </p>
      ) : null}
      <h2 class="ds-heading" data-size="md">{t('accounts.account.security')}</h2>
      <ul class="ds-list">
        <li>
          <a class="ds-link" href={urls.accountTokens()}>{t('accounts.account.tokensLink')}</a>
        </li>
        <li>
          <a class="ds-link" href={urls.accountPassword()}>{t('accounts.account.passwordLink')}</a>
        </li>
        {props.oidcLabel ? (
          <li>
            <a class="ds-link" href={urls.accountOidc()}>{t('identity.links.title', { label: props.oidcLabel })}</a>
          </li>
        ) : null}
      </ul>
    </section>
  );
}

function PasswordForm(props: { request: FastifyRequest; problems: FieldProblem[] }): RawHtml {
  const { t, csrfToken } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.password.title')}</h1>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.accountPassword()} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <TextField id="current" label={t('accounts.password.current')} type="password" required autocomplete="current-password" error={errorFor(p, 'current')} />
        <TextField id="next" label={t('accounts.password.next')} type="password" required autocomplete="new-password" description={t('accounts.field.password.desc', { min: MIN_PASSWORD_LENGTH })} error={errorFor(p, 'next')} />
        <TextField id="confirm" label={t('accounts.field.confirm')} type="password" required autocomplete="new-password" error={errorFor(p, 'confirm')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.password.submit')}</button>
        </div>
      </form>
    </section>
  );
}

interface TokenFormValues {
  name: string;
  scopes: string[];
  expiresInDays: string;
}

function TokensPage(props: { request: FastifyRequest; tokens: ApiTokenPublic[]; values: TokenFormValues; problems: FieldProblem[]; created?: { token: string; name: string }; notice?: string }): RawHtml {
  const { t, csrfToken, locale } = props.request;
  const p = props.problems;
  const scopesError = errorFor(p, 'scopes');
  const expiryError = errorFor(p, 'expiresInDays');
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('accounts.tokens.title')}</h1>
      <p class="ds-paragraph">{t('accounts.tokens.lead')}</p>
      <Notice text={props.notice} />
      {props.created ? (
        <div class="ds-alert df-stack" data-color="success" role="status">
          <h2 class="ds-heading" data-size="sm">{`${t('accounts.tokens.created.title')}: ${props.created.name}`}</h2>
          <p class="ds-paragraph">{t('accounts.tokens.created.hint')}</p>
          <div class="ds-field">
            <label class="ds-label" for="new-token">{t('accounts.tokens.created.label')}</label>
            <input id="new-token" class="ds-input" type="text" readonly value={props.created.token} autocomplete="off" spellcheck="false" />
          </div>
        </div>
      ) : null}
      {props.tokens.length === 0 ? (
        <p class="ds-paragraph">{t('accounts.tokens.none')}</p>
      ) : (
        <div class="df-table-scroll">
          <table class="ds-table" data-border>
            <caption>{t('accounts.tokens.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('accounts.tokens.col.name')}</th>
                <th scope="col">{t('accounts.tokens.col.prefix')}</th>
                <th scope="col">{t('accounts.tokens.col.scopes')}</th>
                <th scope="col">{t('accounts.tokens.col.created')}</th>
                <th scope="col">{t('accounts.tokens.col.expires')}</th>
                <th scope="col">{t('accounts.tokens.col.lastUsed')}</th>
                <th scope="col">{t('accounts.tokens.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((tok) => (
                <tr>
                  <td>{tok.name}</td>
                  <td>
                    <code>{`${tok.prefix}…`}</code>
                  </td>
                  <td>{tok.scopes.join(', ')}</td>
                  <td>
                    <DateCell iso={tok.createdAt} locale={locale} empty="" />
                  </td>
                  <td>
                    <DateCell iso={tok.expiresAt} locale={locale} empty={t('accounts.tokens.neverExpires')} />
                  </td>
                  <td>
                    <DateCell iso={tok.lastUsedAt} locale={locale} empty={t('accounts.tokens.notUsed')} />
                  </td>
                  <td>
                    <form method="post" action={urls.accountTokenRevoke(tok.id)} class="df-inline-form">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="ds-button" data-variant="secondary" data-size="sm" aria-label={t('accounts.tokens.revokeLabel', { name: tok.name })}>
                        {t('accounts.tokens.revoke')}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 class="ds-heading" data-size="md">{t('accounts.tokens.create')}</h2>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.accountTokens()} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <TextField id="name" label={t('accounts.tokens.field.name')} description={t('accounts.tokens.field.name.desc')} value={props.values.name} required autocomplete="off" error={errorFor(p, 'name')} />
        <fieldset class="ds-fieldset" id="scopes" aria-describedby={scopesError ? 'scopes-error' : undefined}>
          <legend class="ds-label">{t('accounts.tokens.field.scopes')}</legend>
          {TOKEN_SCOPES.map((s) => (
            <div class="ds-field">
              <input class="ds-input" type="checkbox" id={`scope-${s}`} name="scopes" value={s} checked={props.values.scopes.includes(s)} />
              <label class="ds-label" for={`scope-${s}`} data-weight="regular">
                {scopeLabel(t, s)}
              </label>
            </div>
          ))}
          {scopesError ? (
            <div class="ds-validation-message" data-field="validation" id="scopes-error">
              {scopesError}
            </div>
          ) : null}
        </fieldset>
        <div class="ds-field">
          <label class="ds-label" for="expiresInDays">{t('accounts.tokens.field.expiry')}</label>
          <select class="ds-input" id="expiresInDays" name="expiresInDays" aria-invalid={expiryError ? 'true' : undefined} aria-describedby={expiryError ? 'expiresInDays-error' : undefined}>
            {EXPIRY_CHOICES.map((d) => (
              <option value={String(d)} selected={props.values.expiresInDays === String(d)}>
                {t('accounts.tokens.expiry.days', { days: d })}
              </option>
            ))}
            <option value="" selected={props.values.expiresInDays === ''}>{t('accounts.tokens.expiry.never')}</option>
          </select>
          {expiryError ? (
            <div class="ds-validation-message" data-field="validation" id="expiresInDays-error">
              {expiryError}
            </div>
          ) : null}
        </div>
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.tokens.submit')}</button>
        </div>
      </form>
    </section>
  );
}

function ForgotForm(props: { request: FastifyRequest; email: string; problems: FieldProblem[]; notice?: string; alert?: string }): RawHtml {
  const { t, csrfToken } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.forgot.title')}</h1>
      <Notice text={props.notice} />
      <ErrorAlert text={props.alert} />
      <p class="ds-paragraph">{t('accounts.forgot.lead')}</p>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.forgotPassword()} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <TextField id="email" label={t('accounts.field.email')} type="email" value={props.email} required autocomplete="email" error={errorFor(p, 'email')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.forgot.submit')}</button>
        </div>
      </form>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.signIn()}>{t('accounts.signin.title')}</a>
      </p>
    </section>
  );
}

function ResetForm(props: { request: FastifyRequest; token: string; email: string; problems: FieldProblem[] }): RawHtml {
  const { t, csrfToken } = props.request;
  const p = props.problems;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.reset.title')}</h1>
      <p class="ds-paragraph">{t('accounts.reset.lead', { email: props.email })}</p>
      <ErrorSummary title={t('accounts.errors.title')} problems={p} />
      <form method="post" action={urls.resetPassword()} class="df-stack" novalidate>
        <CsrfField token={csrfToken} />
        <input type="hidden" name="token" value={props.token} />
        <TextField id="password" label={t('accounts.password.next')} type="password" required autocomplete="new-password" description={t('accounts.field.password.desc', { min: MIN_PASSWORD_LENGTH })} error={errorFor(p, 'password')} />
        <TextField id="confirm" label={t('accounts.field.confirm')} type="password" required autocomplete="new-password" error={errorFor(p, 'confirm')} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.reset.submit')}</button>
        </div>
      </form>
    </section>
  );
}

function VerifyForm(props: { request: FastifyRequest; token: string; email: string }): RawHtml {
  const { t, csrfToken } = props.request;
  return (
    <section class="df-stack df-narrow">
      <h1 class="ds-heading" data-size="lg">{t('accounts.verify.title')}</h1>
      <p class="ds-paragraph">{t('accounts.verify.lead', { email: props.email })}</p>
      <form method="post" action={urls.verifyEmail()} class="df-stack">
        <CsrfField token={csrfToken} />
        <input type="hidden" name="token" value={props.token} />
        <div>
          <button type="submit" class="ds-button" data-variant="primary">{t('accounts.verify.submit')}</button>
        </div>
      </form>
    </section>
  );
}

// --- the session cookie ---------------------------------------------------------------------------------------------

/**
 * Sets the session cookie (HttpOnly, SameSite=Lax, Secure on https, 14 days), replacing one set earlier in the same
 * reply, so a sign-out or a new sign-in is never shadowed by the refresh below.
 */
export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  const prev = reply.getHeader('set-cookie');
  const others = (prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)]).filter((c) => !c.startsWith(`${SESSION_COOKIE}=`));
  if (others.length) reply.header('set-cookie', others);
  else reply.removeHeader('set-cookie');
  const maxAgeSeconds = token ? SESSION_DAYS * 24 * 60 * 60 : 0;
  setCookie(reply, SESSION_COOKIE, token, { httpOnly: true, secure, sameSite: 'Lax', path: '/', maxAgeSeconds });
}

/**
 * Sliding expiry for the browser too: the server pushes a session's end out on every use (service), and each HTML
 * response to a signed-in reader renews the cookie's Max-Age to match. Called from the onRequest hook in server.ts.
 */
export function refreshSessionCookie(request: FastifyRequest, reply: FastifyReply, secure: boolean): void {
  // Never on static files: a shared cache must not see a session cookie on a cacheable response.
  if (request.actor.via !== 'session' || request.url.startsWith('/static/')) return;
  const token = getCookie(request, SESSION_COOKIE);
  if (token) setSessionCookie(reply, token, secure);
}

// --- routes ---------------------------------------------------------------------------------------------------------

export const accountsPages: DomainPlugin = async (app, { services }) => {
  const accounts = services.accounts;
  const secure = services.platform.config.secureCookies;

  const startSession = (reply: FastifyReply, token: string) => setSessionCookie(reply, token, secure);

  /** The signed-in user, or a 303 to the sign-in page that comes back here afterwards. */
  function signedIn(request: FastifyRequest, reply: FastifyReply, back: string): NonNullable<FastifyRequest['actor']['user']> | null {
    const user = request.actor.user;
    if (user) return user;
    void reply.redirect(urls.signIn(back), 303);
    return null;
  }

  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  /** Pages opened from a mailed link carry its token in the URL: never cached, never sent on as a Referer. */
  const linkPage = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  const origin = (request: FastifyRequest) => ({ ip: request.ip });

  // Mail is sent after the answer: let it finish before the app (and the platform under it) closes.
  app.addHook('onClose', async () => accounts.mailSettled());

  // Sign up
  app.get('/registrer', { schema: { hide: true } }, async (request, reply) => {
    if (request.actor.user) return reply.redirect(urls.account(), 303);
    return sendPage(request, reply, { title: request.t('accounts.signup.title') }, <SignUpForm request={request} values={{ name: '', email: '' }} problems={[]} />);
  });

  app.post('/registrer', { schema: { hide: true } }, async (request, reply) => {
    const f = formBody(request);
    const values = { name: str(f.name), email: str(f.email) };
    try {
      const user = await accounts.signUp({ name: values.name, email: values.email, password: str(f.password), confirm: str(f.confirm), locale: request.locale }, origin(request));
      startSession(reply, await accounts.createSession(user.id, request.headers['user-agent']));
      rotateCsrfToken(request, reply, secure);
      // The account page says the address is not confirmed yet and that a mail is on its way.
      return reply.redirect(urls.account(), 303);
    } catch (err) {
      if (err instanceof RateLimitedError) {
        reply.header('retry-after', String(err.retryAfterSeconds));
        return sendPage(request, reply, { title: request.t('accounts.signup.title'), status: 429 }, <><ErrorAlert text={request.t('error.rate_limited', { seconds: err.retryAfterSeconds })} /><SignUpForm request={request} values={values} problems={[]} /></>);
      }
      const problems = problemsOf(err);
      if (!problems) throw err;
      const status = err instanceof DomainError ? err.status : 422;
      return sendPage(request, reply, { title: request.t('accounts.signup.title'), status }, <SignUpForm request={request} values={values} problems={localise(request.t, problems)} />);
    }
  });

  // Sign in
  app.get('/logg-inn', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Form;
    const next = safeNext(q.next);
    if (request.actor.user) return reply.redirect(next ?? urls.account(), 303);
    const notice = str(q.utlogget)
      ? request.t('accounts.signin.signedOut')
      : str(q.nyttpassord)
        ? request.t('accounts.signin.passwordReset')
        : str(q.bekreftet)
          ? request.t('accounts.account.verified')
          : undefined;
    return sendPage(request, reply, { title: request.t('accounts.signin.title') }, <SignInForm request={request} email="" next={next} problems={[]} notice={notice} oidcLabel={services.identity.oidcLabel()} />);
  });

  app.post('/logg-inn', { schema: { hide: true } }, async (request, reply) => {
    const f = formBody(request);
    const email = str(f.email).trim();
    const next = safeNext(f.next) ?? safeNext((request.query as Form).next);
    const t = request.t;
    const render = (status: number, alert: string, problems: FieldProblem[] = []) =>
      sendPage(request, reply, { title: t('accounts.signin.title'), status }, <SignInForm request={request} email={email} next={next} problems={problems} alert={alert} oidcLabel={services.identity.oidcLabel()} />);
    const problems: FieldProblem[] = [];
    if (!email) problems.push({ field: 'email', code: 'email_required', message: '' });
    if (!str(f.password)) problems.push({ field: 'password', code: 'password_required', message: '' });
    if (problems.length) return render(422, '', localise(t, problems));
    try {
      const user = await accounts.signIn({ email, password: str(f.password), ip: request.ip });
      startSession(reply, await accounts.createSession(user.id, request.headers['user-agent']));
      rotateCsrfToken(request, reply, secure);
      return reply.redirect(next ?? urls.account(), 303);
    } catch (err) {
      if (err instanceof RateLimitedError) {
        reply.header('retry-after', String(err.retryAfterSeconds));
        return render(429, t('error.rate_limited', { seconds: err.retryAfterSeconds }));
      }
      if (err instanceof InvalidCredentialsError) return render(401, t('error.invalid_credentials'));
      throw err;
    }
  });

  // Sign out
  app.post('/logg-ut', { schema: { hide: true } }, async (request, reply) => {
    await accounts.signOut(request.actor, accounts.sessionTokenFrom(request));
    setSessionCookie(reply, '', secure);
    rotateCsrfToken(request, reply, secure);
    return reply.redirect(`${urls.signIn()}?utlogget=1`, 303);
  });

  // My account
  app.get('/konto', { schema: { hide: true } }, async (request, reply) => {
    const actorUser = signedIn(request, reply, urls.account());
    if (!actorUser) return reply;
    const user = await accounts.getUser(actorUser.id);
    const memberships = await accounts.listMemberships(user.id);
    const q = request.query as Form;
    const notice =
      str(q.endret) === 'passord'
        ? request.t('accounts.account.passwordChanged')
        : str(q.sendt)
          ? request.t('accounts.account.resent')
          : str(q.bekreftet)
            ? request.t('accounts.account.verified')
            : undefined;
    noStore(reply);
    return sendPage(
      request,
      reply,
      { title: request.t('accounts.account.title'), alternates: [{ href: urls.api.me(), type: 'application/json' }] },
      <AccountPage request={request} user={{ name: user.name, email: user.email, isOperator: Boolean(user.is_operator), emailVerified: Boolean(user.email_verified_at) }} memberships={memberships} notice={notice} oidcLabel={services.identity.oidcLabel()} />,
    );
  });

  // Change password
  app.get('/konto/passord', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.accountPassword())) return reply;
    return sendPage(request, reply, { title: request.t('accounts.password.title') }, <PasswordForm request={request} problems={[]} />);
  });

  app.post('/konto/passord', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.accountPassword())) return reply;
    const f = formBody(request);
    try {
      await accounts.changePassword(request.actor, { current: str(f.current), next: str(f.next), confirm: str(f.confirm), keepSession: accounts.sessionTokenFrom(request) });
      return reply.redirect(`${urls.account()}?endret=passord`, 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return sendPage(request, reply, { title: request.t('accounts.password.title'), status: 422 }, <PasswordForm request={request} problems={localise(request.t, err.problems)} />);
    }
  });

  // E-mail verification: "send the mail again", and the page the mailed link opens.
  app.post('/konto/bekreft-epost', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.account())) return reply;
    const { sent } = await accounts.resendVerification(request.actor);
    return reply.redirect(`${urls.account()}?${sent ? 'sendt' : 'bekreftet'}=1`, 303);
  });

  app.get('/bekreft-epost', { schema: { hide: true } }, async (request, reply) => {
    const token = str((request.query as Form).token);
    linkPage(reply);
    const { email } = await accounts.checkVerificationLink(request.actor, token);
    return sendPage(request, reply, { title: request.t('accounts.verify.title') }, <VerifyForm request={request} token={token} email={email} />);
  });

  app.post('/bekreft-epost', { schema: { hide: true } }, async (request, reply) => {
    linkPage(reply);
    await accounts.verifyEmail(request.actor, str(formBody(request).token), origin(request));
    return reply.redirect(request.actor.user ? `${urls.account()}?bekreftet=1` : `${urls.signIn()}?bekreftet=1`, 303);
  });

  // Forgotten password: the same answer whether or not the address has an account.
  app.get('/glemt-passord', { schema: { hide: true } }, async (request, reply) => {
    return sendPage(request, reply, { title: request.t('accounts.forgot.title') }, <ForgotForm request={request} email="" problems={[]} />);
  });

  app.post('/glemt-passord', { schema: { hide: true } }, async (request, reply) => {
    const email = str(formBody(request).email).trim();
    const t = request.t;
    const render = (status: number, opts: { problems?: FieldProblem[]; notice?: string; alert?: string }) =>
      sendPage(request, reply, { title: t('accounts.forgot.title'), status }, <ForgotForm request={request} email={opts.notice ? '' : email} problems={opts.problems ?? []} notice={opts.notice} alert={opts.alert} />);
    try {
      await accounts.requestPasswordReset({ email }, origin(request));
      return render(200, { notice: t('accounts.forgot.sent', { email: email.toLowerCase() }) });
    } catch (err) {
      if (err instanceof ValidationError) return render(422, { problems: localise(t, err.problems) });
      if (err instanceof RateLimitedError) {
        reply.header('retry-after', String(err.retryAfterSeconds));
        return render(429, { alert: t('error.rate_limited', { seconds: err.retryAfterSeconds }) });
      }
      throw err;
    }
  });

  app.get('/nytt-passord', { schema: { hide: true } }, async (request, reply) => {
    const token = str((request.query as Form).token);
    linkPage(reply);
    const { email } = await accounts.checkResetLink(request.actor, token);
    return sendPage(request, reply, { title: request.t('accounts.reset.title') }, <ResetForm request={request} token={token} email={email} problems={[]} />);
  });

  app.post('/nytt-passord', { schema: { hide: true } }, async (request, reply) => {
    const f = formBody(request);
    const token = str(f.token);
    linkPage(reply);
    try {
      await accounts.resetPassword(request.actor, { token, password: str(f.password), confirm: str(f.confirm) }, origin(request));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const { email } = await accounts.checkResetLink(request.actor, token);
      return sendPage(request, reply, { title: request.t('accounts.reset.title'), status: 422 }, <ResetForm request={request} token={token} email={email} problems={localise(request.t, err.problems)} />);
    }
    // Every session of the account has ended, this one included.
    if (request.actor.user) setSessionCookie(reply, '', secure);
    return reply.redirect(`${urls.signIn()}?nyttpassord=1`, 303);
  });

  // API tokens
  const defaultTokenValues: TokenFormValues = { name: '', scopes: ['read'], expiresInDays: '90' };

  async function tokensPage(request: FastifyRequest, reply: FastifyReply, opts: { status?: number; values?: TokenFormValues; problems?: FieldProblem[]; created?: { token: string; name: string }; notice?: string }) {
    const tokens = await accounts.listTokens(request.actor);
    noStore(reply);
    return sendPage(
      request,
      reply,
      { title: request.t('accounts.tokens.title'), status: opts.status, alternates: [{ href: urls.api.tokens(), type: 'application/json' }] },
      <TokensPage request={request} tokens={tokens} values={opts.values ?? defaultTokenValues} problems={opts.problems ?? []} created={opts.created} notice={opts.notice} />,
    );
  }

  app.get('/konto/tokens', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.accountTokens())) return reply;
    const notice = str((request.query as Form).tilbakekalt) ? request.t('accounts.tokens.revoked') : undefined;
    return tokensPage(request, reply, { notice });
  });

  app.post('/konto/tokens', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.accountTokens())) return reply;
    const f = formBody(request);
    const values: TokenFormValues = { name: str(f.name), scopes: list(f.scopes), expiresInDays: str(f.expiresInDays) };
    try {
      // The form has no "no scopes" state: an empty choice is a problem to fix, not a silent default.
      const { token, record } = await accounts.createToken(request.actor, {
        name: values.name,
        scopes: values.scopes,
        expiresInDays: values.expiresInDays === '' ? null : Number(values.expiresInDays),
      });
      // Shown once, on this response; the list and every later page show only the prefix.
      return tokensPage(request, reply, { status: 201, created: { token, name: record.name } });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return tokensPage(request, reply, { status: 422, values, problems: localise(request.t, err.problems) });
    }
  });

  app.post<{ Params: { id: string } }>('/konto/tokens/:id/tilbakekall', { schema: { hide: true } }, async (request, reply) => {
    if (!signedIn(request, reply, urls.accountTokens())) return reply;
    await accounts.revokeToken(request.actor, request.params.id);
    return reply.redirect(`${urls.accountTokens()}?tilbakekalt=1`, 303);
  });

  // Language switch: a POST (with CSRF, like every change) remembers the choice for a year and goes back to where
  // the reader was — only to a path on this site. A GET changes nothing: it shows `next` in that language (?lang=).
  app.get('/sprak', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Form;
    const lang = str(q.lang);
    const next = safeNext(q.next) ?? urls.home();
    return reply.redirect(isLocale(lang) ? urls.inLanguage(next, lang) : next, 303);
  });

  app.post('/sprak', { schema: { hide: true } }, async (request, reply) => {
    const f = formBody(request);
    const lang = str(f.lang);
    const next = safeNext(f.next) ?? urls.home();
    if (isLocale(lang)) {
      setCookie(reply, LANG_COOKIE, lang, { httpOnly: true, secure, sameSite: 'Lax', path: '/', maxAgeSeconds: YEAR_SECONDS });
      if (request.actor.user && request.actor.via === 'session' && getCookie(request, LANG_COOKIE) !== lang) {
        await accounts.updateMe(request.actor, { locale: lang });
      }
    }
    return reply.redirect(next, 303);
  });
};
