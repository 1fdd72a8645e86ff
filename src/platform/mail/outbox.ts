// The outbox: messages composed by nodemailer's MailComposer and written as RFC 822 .eml files, atomically (a temp
// file renamed into place), named so they sort by time. markSent moves a delivered file to sent/.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailMessage } from './index';

export interface WrittenMail {
  messageId: string;
  file: string;
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

/** Control characters (CR, LF, NUL, …) never reach a header: a display name is one line of text. */
function oneLine(v: string): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function crlf(v: string): string {
  return v.replace(/\r?\n/g, '\r\n');
}

export function createOutbox(opts: { outboxDir: string; sentDir: string; from: string }) {
  let seq = 0; // orders files written within the same millisecond
  const domain = /@([^>\s]+)>?\s*$/.exec(opts.from)?.[1] ?? 'localhost';
  return {
    async write(message: MailMessage): Promise<WrittenMail> {
      const address = oneLine(message.to.address);
      const id = `${crypto.randomUUID()}@${domain}`;
      const composer = new MailComposer({
        from: opts.from,
        to: message.to.name ? { name: oneLine(message.to.name), address } : address,
        subject: oneLine(message.subject),
        // RFC 5322 lines end in CRLF: the file is then byte for byte what an SMTP server receives.
        text: crlf(message.text),
        html: crlf(message.html),
        messageId: `<${id}>`,
        date: new Date(),
        headers: message.language ? { 'Content-Language': oneLine(message.language) } : undefined,
        textEncoding: 'quoted-printable',
      });
      const node = composer.compile();
      const raw = await node.build();
      const envelope = node.getEnvelope();
      await fs.mkdir(opts.outboxDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      seq = (seq + 1) % 1_000_000;
      const file = path.join(opts.outboxDir, `${stamp}-${String(seq).padStart(6, '0')}-${id.split('@')[0]}.eml`);
      const tmp = `${file}.tmp`;
      await fs.writeFile(tmp, raw, { mode: 0o600 });
      await fs.rename(tmp, file);
      return { messageId: id, file, raw, envelope: { from: envelope.from || '', to: envelope.to } };
    },

    async markSent(file: string): Promise<string> {
      await fs.mkdir(opts.sentDir, { recursive: true });
      const target = path.join(opts.sentDir, path.basename(file));
      await fs.rename(file, target);
      return target;
    },
  };
}
