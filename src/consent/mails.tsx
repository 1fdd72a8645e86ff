// The mails of the consent lifecycle, in the recipient's language: a consent request to the subject's admins, and the
// decision to the person who asked. Plain text plus a simple HTML alternative from the escaping JSX runtime. A mail
// names the organisations, the table and the purpose — never a value from the table.
import type { MailMessage } from '../platform/mail/index';
import { translator, type Locale, type MessageKey } from '../web/i18n/index';
import { Fragment, h, renderDocument } from '../web/jsx';
import { urls } from '../web/urls';
import type { ConsentView } from './model';

void Fragment;

export type ConsentMailKind = 'requested' | 'accepted' | 'rejected' | 'revoked';

const KEYS: Record<ConsentMailKind, { subject: MessageKey; lead: MessageKey }> = {
  requested: { subject: 'consent.mail.requested.subject', lead: 'consent.mail.requested.lead' },
  accepted: { subject: 'consent.mail.accepted.subject', lead: 'consent.mail.accepted.lead' },
  rejected: { subject: 'consent.mail.rejected.subject', lead: 'consent.mail.rejected.lead' },
  revoked: { subject: 'consent.mail.revoked.subject', lead: 'consent.mail.revoked.lead' },
};

export function composeConsentMail(kind: ConsentMailKind, ctx: { locale: Locale; name: string; email: string; consent: ConsentView; baseUrl: string }): MailMessage {
  const t = translator(ctx.locale);
  const c = ctx.consent;
  const params = {
    consumer: `${c.consumerName ?? c.consumerOrgnr} (${c.consumerOrgnr})`,
    subject: `${c.subjectName ?? c.subjectOrgnr} (${c.subjectOrgnr})`,
    table: c.tableTitle || c.table,
    dataset: c.datasetTitle,
    validTo: c.validTo.slice(0, 10),
  };
  const k = KEYS[kind];
  const link = `${ctx.baseUrl}${urls.consent(c.id)}`;
  const greeting = t('accounts.mail.greeting', { name: ctx.name });
  const lead = t(k.lead, params);
  const purpose = t('consent.mail.purpose', { purpose: c.purpose });
  const signature = t('accounts.mail.signature');
  const text = [greeting, '', lead, '', purpose, '', t('consent.mail.action'), link, '', signature, ctx.baseUrl, ''].join('\n');
  const html = renderDocument(
    <html lang={ctx.locale}>
      <head>
        <meta charset="utf-8" />
        <title>{t(k.subject, params)}</title>
      </head>
      <body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
        <p>{greeting}</p>
        <p>{lead}</p>
        <p>{purpose}</p>
        <p>
          <a href={link}>{t('consent.mail.action')}</a>
        </p>
        <p>
          {signature}
          <br />
          <a href={ctx.baseUrl}>{ctx.baseUrl}</a>
        </p>
      </body>
    </html>,
  );
  return { to: { name: ctx.name, address: ctx.email }, subject: t(k.subject, params), text, html, language: ctx.locale };
}
