// The mails the accounts domain sends, in the recipient's language (nb, nn, en): plain text plus a simple HTML
// alternative built with the escaping JSX runtime, so a name or link can never inject markup.
import type { MailMessage } from '../platform/mail/index';
import { translator, type Locale, type MessageKey } from '../web/i18n/index';
import { Fragment, h, renderDocument } from '../web/jsx';
import { urls } from '../web/urls';

void Fragment;

export type MailKind = 'verify' | 'reset' | 'password_changed';

export interface MailContext {
  locale: Locale;
  name: string;
  email: string;
  /** The absolute link to follow, for verify and reset. */
  link?: string;
  baseUrl: string;
}

const KEYS: Record<MailKind, { subject: MessageKey; lead: MessageKey; action?: MessageKey; after: MessageKey }> = {
  verify: { subject: 'accounts.mail.verify.subject', lead: 'accounts.mail.verify.lead', action: 'accounts.mail.verify.action', after: 'accounts.mail.verify.after' },
  reset: { subject: 'accounts.mail.reset.subject', lead: 'accounts.mail.reset.lead', action: 'accounts.mail.reset.action', after: 'accounts.mail.reset.after' },
  password_changed: { subject: 'accounts.mail.changed.subject', lead: 'accounts.mail.changed.lead', after: 'accounts.mail.changed.after' },
};

export function composeMail(kind: MailKind, ctx: MailContext): MailMessage {
  const t = translator(ctx.locale);
  const k = KEYS[kind];
  const greeting = t('accounts.mail.greeting', { name: ctx.name });
  const lead = t(k.lead);
  const after = t(k.after, { forgot: `${ctx.baseUrl}${urls.forgotPassword()}` });
  const signature = t('accounts.mail.signature');
  const text = [greeting, '', lead, ...(ctx.link ? ['', ctx.link] : []), '', after, '', signature, ctx.baseUrl, ''].join('\n');
  const html = renderDocument(
    <html lang={ctx.locale}>
      <head>
        <meta charset="utf-8" />
        <title>{t(k.subject)}</title>
      </head>
      <body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
        <p>{greeting}</p>
        <p>{lead}</p>
        {ctx.link && k.action ? (
          <p>
            <a href={ctx.link}>{t(k.action)}</a>
          </p>
        ) : null}
        {ctx.link ? <p style="word-break: break-all; color: #555">{ctx.link}</p> : null}
        <p>{after}</p>
        <p>
          {signature}
          <br />
          <a href={ctx.baseUrl}>{ctx.baseUrl}</a>
        </p>
      </body>
    </html>,
  );
  return { to: { name: ctx.name, address: ctx.email }, subject: t(k.subject), text, html, language: ctx.locale };
}
