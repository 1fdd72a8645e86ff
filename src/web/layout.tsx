// The page frame every HTML page shares: lang, skip link, landmarks, navigation, language switcher, footer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOCALES, LOCALE_NAMES } from './i18n/index';
import { CSRF_FIELD } from './context';
import { Fragment, h, renderDocument, type Child, type RawHtml } from './jsx';
import { urls } from './urls';

void Fragment;

export interface PageOptions {
  title: string;
  /** Machine-readable twins of this page (STYLE §9): rendered as <link rel="alternate">. */
  alternates?: { href: string; type: string; title?: string }[];
  status?: number;
}

export function CsrfField(props: { token: string }): RawHtml {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

function Header(props: { request: FastifyRequest }): RawHtml {
  const { t, actor } = props.request;
  const path = props.request.url;
  return (
    <header class="df-header">
      <div class="df-header__inner">
        <a class="df-brand" href={urls.home()}>
          {t('site.name')}
        </a>
        <nav aria-label={t('layout.nav.label')}>
          <ul class="df-nav">
            <li>
              <a class="ds-link" href={urls.datasets()}>{t('layout.nav.datasets')}</a>
            </li>
            <li>
              <a class="ds-link" href={urls.organizations()}>{t('layout.nav.organizations')}</a>
            </li>
            <li>
              <a class="ds-link" href={urls.competence()}>{t('layout.nav.competence')}</a>
            </li>
            <li>
              <a class="ds-link" href={urls.apiDocs()}>{t('layout.nav.api')}</a>
            </li>
            {actor.user ? (
              <>
                <li>
                  <a class="ds-link" href={urls.accessRequests()}>{t('layout.nav.accessRequests')}</a>
                </li>
                <li>
                  <a class="ds-link" href={urls.notifications()} aria-current={path === urls.notifications() ? 'page' : undefined}>
                    {props.request.unreadNotifications ? t('layout.nav.notifications', { count: props.request.unreadNotifications }) : t('layout.nav.notificationsNone')}
                  </a>
                </li>
                <li>
                  <a class="ds-link" href={urls.account()}>{t('layout.nav.account')}</a>
                </li>
                <li>
                  <form method="post" action={urls.signOut()} class="df-inline-form">
                    <CsrfField token={props.request.csrfToken} />
                    <button type="submit" class="ds-button" data-variant="tertiary" data-size="sm">
                      {t('layout.nav.signout')}
                    </button>
                  </form>
                </li>
              </>
            ) : (
              <>
                <li>
                  <a class="ds-link" href={urls.signIn()}>{t('layout.nav.signin')}</a>
                </li>
                <li>
                  <a class="ds-link" href={urls.signUp()}>{t('layout.nav.signup')}</a>
                </li>
              </>
            )}
          </ul>
        </nav>
        <nav aria-label={t('layout.language')} class="df-lang">
          {/* A POST form (changing the remembered language is a change): buttons styled as links. */}
          <form method="post" action={urls.language()} class="df-inline-form">
            <CsrfField token={props.request.csrfToken} />
            <input type="hidden" name="next" value={urls.inLanguage(path)} />
            <ul class="df-nav">
              {LOCALES.map((l) => (
                <li>
                  <button type="submit" class="ds-link" name="lang" value={l} lang={l} aria-current={props.request.locale === l ? 'true' : undefined}>
                    {props.request.locale === l ? <strong>{LOCALE_NAMES[l]}</strong> : LOCALE_NAMES[l]}
                  </button>
                </li>
              ))}
            </ul>
          </form>
        </nav>
      </div>
    </header>
  );
}

export function Layout(props: { request: FastifyRequest; options: PageOptions; children?: Child }): RawHtml {
  const { request, options } = props;
  const t = request.t;
  return (
    <html lang={request.locale === 'en' ? 'en' : request.locale} data-color-scheme="light">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${options.title} – ${t('site.name')}`}</title>
        <link rel="stylesheet" href={urls.static('designsystemet.css')} />
        <link rel="stylesheet" href={urls.static('theme.css')} />
        <link rel="stylesheet" href={urls.static('app.css')} />
        {(options.alternates ?? []).map((a) => (
          <link rel="alternate" type={a.type} href={a.href} title={a.title} />
        ))}
      </head>
      <body>
        <a class="ds-skip-link" href="#main">
          {t('layout.skip')}
        </a>
        <Header request={request} />
        <main id="main" tabindex="-1" class="df-main">
          {props.children}
        </main>
        <footer class="df-footer">
          <p class="ds-paragraph" data-size="sm">{t('layout.footer')}</p>
        </footer>
      </body>
    </html>
  );
}

/** Renders a whole page and sends it as HTML. */
export function sendPage(request: FastifyRequest, reply: FastifyReply, options: PageOptions, body: Child): FastifyReply {
  const html = renderDocument(
    <Layout request={request} options={options}>
      {body}
    </Layout>,
  );
  return reply.status(options.status ?? 200).type('text/html; charset=utf-8').send(html);
}

/** A list of form problems at the top of a form, linking to each field (Designsystemet error summary). */
export function ErrorSummary(props: { title: string; problems: { field: string; message: string }[] }): RawHtml {
  if (props.problems.length === 0) return <></>;
  return (
    <div class="ds-error-summary" role="alert" tabindex="-1">
      <h2 class="ds-heading" data-size="xs">{props.title}</h2>
      <ul class="ds-list">
        {props.problems.map((p) => (
          <li>
            <a class="ds-link" href={`#${p.field}`}>{p.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A labelled text input with optional description and validation message, wired with aria attributes. */
export function TextField(props: {
  id: string;
  name?: string;
  label: string;
  value?: string | null;
  type?: string;
  required?: boolean;
  description?: string;
  error?: string;
  autocomplete?: string;
  multiline?: boolean;
  inputmode?: string;
}): RawHtml {
  const describedBy = [props.description ? `${props.id}-desc` : '', props.error ? `${props.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id: props.id,
    name: props.name ?? props.id,
    class: 'ds-input',
    required: props.required,
    'aria-describedby': describedBy,
    'aria-invalid': props.error ? 'true' : undefined,
    autocomplete: props.autocomplete,
    inputmode: props.inputmode,
  };
  return (
    <div class="ds-field">
      <label class="ds-label" for={props.id}>
        {props.label}
      </label>
      {props.description ? (
        <div class="ds-paragraph" data-field="description" data-size="sm" id={`${props.id}-desc`}>
          {props.description}
        </div>
      ) : null}
      {props.multiline ? <textarea {...common} rows="4">{props.value ?? ''}</textarea> : <input {...common} type={props.type ?? 'text'} value={props.value ?? ''} />}
      {props.error ? (
        <div class="ds-validation-message" data-field="validation" id={`${props.id}-error`}>
          {props.error}
        </div>
      ) : null}
    </div>
  );
}
