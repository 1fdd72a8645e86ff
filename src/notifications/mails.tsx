// The notification mails, in the recipient's language (nb, nn, en), composed like the accounts mails: plain text plus
// a simple HTML alternative through the escaping JSX runtime, so a dataset title or organisation name cannot inject.
import type { MailMessage } from '../platform/mail/index';
import { translator, type Locale, type MessageKey } from '../web/i18n/index';
import { Fragment, h, renderDocument } from '../web/jsx';
import type { NotificationKind } from './model';

void Fragment;

export function notificationText(t: (key: MessageKey, params?: Record<string, string | number>) => string, kind: NotificationKind, params: Record<string, string>): string {
  return t(`notifications.kind.${kind}` as MessageKey, params);
}

export function composeNotificationMail(kind: NotificationKind, ctx: { locale: Locale; name: string; email: string; params: Record<string, string>; link: string; baseUrl: string }): MailMessage {
  const t = translator(ctx.locale);
  const subject = t('notifications.mail.subject', { what: notificationText(t, kind, ctx.params) }).slice(0, 200);
  const greeting = t('accounts.mail.greeting', { name: ctx.name });
  const lead = notificationText(t, kind, ctx.params);
  const action = t('notifications.mail.action');
  const signature = t('accounts.mail.signature');
  const text = [greeting, '', lead, '', `${action}: ${ctx.link}`, '', signature, ctx.baseUrl, ''].join('\n');
  const html = renderDocument(
    <html lang={ctx.locale}>
      <head>
        <meta charset="utf-8" />
        <title>{subject}</title>
      </head>
      <body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
        <p>{greeting}</p>
        <p>{lead}</p>
        <p>
          <a href={ctx.link}>{action}</a>
        </p>
        <p>
          {signature}
          <br />
          <a href={ctx.baseUrl}>{ctx.baseUrl}</a>
        </p>
      </body>
    </html>,
  );
  return { to: { name: ctx.name, address: ctx.email }, subject, text, html, language: ctx.locale };
}
