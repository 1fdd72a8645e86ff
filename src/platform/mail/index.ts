// Outgoing mail: every message is composed once as RFC 822 and written to the outbox (DATA_DIR/mail/outbox/*.eml),
// so nothing is lost without a mail server; with SMTP_URL set the same bytes are then delivered by SMTP and the file
// moves to DATA_DIR/mail/sent/. A refused or failed delivery leaves the file in the outbox (= not delivered) and is
// logged with the message id and the server's answer, never the body. The adapter holds no policy: who gets which
// mail, in which language, is the accounts service's business.
import path from 'node:path';
import type { Logger } from 'pino';
import { createOutbox } from './outbox';
import { createSmtpSender } from './smtp';

export interface MailAddress {
  /** Display name; control characters are removed before it reaches a header. */
  name?: string;
  address: string;
}

export interface MailMessage {
  to: MailAddress;
  subject: string;
  /** The plain-text body (always sent). */
  text: string;
  /** A simple HTML alternative. */
  html: string;
  /** Content-Language of the mail, e.g. "nb". */
  language?: string;
}

export interface MailReceipt {
  /** The Message-ID without angle brackets. */
  messageId: string;
  /** Where the .eml file is now: in the outbox (not delivered) or in sent/ (accepted by the SMTP server). */
  file: string;
  delivered: boolean;
  /** Why delivery failed (the server's reply or the connection error), when it did. */
  error?: string;
}

export interface Mailer {
  /** Writes the message to the outbox, then delivers it when SMTP is configured. Rejects only if the outbox write fails. */
  send(message: MailMessage): Promise<MailReceipt>;
  /** Where undelivered mail waits. */
  readonly outboxDir: string;
  readonly sentDir: string;
  close(): Promise<void>;
}

export interface MailerOptions {
  dataDir: string;
  from: string;
  smtpUrl?: string;
  logger: Logger;
}

export function createMailer(opts: MailerOptions): Mailer {
  const outboxDir = path.join(opts.dataDir, 'mail', 'outbox');
  const sentDir = path.join(opts.dataDir, 'mail', 'sent');
  const outbox = createOutbox({ outboxDir, sentDir, from: opts.from });
  const smtp = opts.smtpUrl ? createSmtpSender(opts.smtpUrl) : undefined;
  const log = opts.logger.child({ component: 'mail' });
  return {
    outboxDir,
    sentDir,
    async send(message) {
      const written = await outbox.write(message);
      if (!smtp) {
        log.info({ messageId: written.messageId, file: written.file }, 'mail written to the outbox (no SMTP_URL)');
        return { messageId: written.messageId, file: written.file, delivered: false };
      }
      try {
        await smtp.deliver(written.raw, written.envelope);
      } catch (err) {
        const error = describeSmtpError(err);
        log.error({ messageId: written.messageId, file: written.file, error }, 'mail delivery failed; the mail stays in the outbox');
        return { messageId: written.messageId, file: written.file, delivered: false, error };
      }
      const file = await outbox.markSent(written.file);
      log.info({ messageId: written.messageId }, 'mail delivered');
      return { messageId: written.messageId, file, delivered: true };
    },
    async close() {
      smtp?.close();
    },
  };
}

/** The server's reply or the connection error, without the message (nodemailer errors carry no body). */
function describeSmtpError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const parts = [e.code, e.responseCode ? String(e.responseCode) : undefined, e.response ?? e.message].filter(Boolean);
  return parts.join(' ').replace(/[\r\n]+/g, ' ').slice(0, 500);
}
