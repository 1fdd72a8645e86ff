// The mail adapter against the real outbox directory and a real SMTP server (smtp-server) on loopback: what is
// written is an RFC 822 message with our From, the recipient's name safely encoded (CR/LF cannot add headers), text
// and HTML; a server that accepts gets exactly the outbox bytes and the file moves to sent/; a server that refuses,
// or none listening, leaves the file in the outbox and logs the reason without the body.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mailFiles, parseMail } from '../../../test/helpers/mail';
import { tempDir } from '../../../test/helpers/db';
import { CONFIG_KEYS, ConfigError, loadConfig } from '../../config';
import { createMailer } from './index';

const FROM = 'Datafabrikken <no-reply@data.example.no>';
const dirs: string[] = [];
const servers: SMTPServer[] = [];

function freshDir(): string {
  const d = tempDir('df-mail-');
  dirs.push(d);
  return d;
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function startSmtp(options: SMTPServerOptions): Promise<{ url: string; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        cb();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, received };
}

const message = {
  to: { name: 'Åse Ødegård\r\nBcc: victim@example.no', address: 'ase@example.no' },
  subject: 'Bekreft e-postadressen din\r\nX-Injected: yes',
  text: 'Hei Åse,\n\nhttps://data.example.no/bekreft-epost?token=abc\n',
  html: '<p>Hei Åse,</p>',
  language: 'nb',
};

afterEach(async () => {
  while (servers.length) await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('outbox', () => {
  it('writes an RFC 822 .eml with From, encoded name, subject, language, text and HTML; CR/LF add no headers', async () => {
    const dataDir = freshDir();
    const { logger } = capturingLogger();
    const mailer = createMailer({ dataDir, from: FROM, logger });
    const receipt = await mailer.send(message);
    expect(receipt.delivered).toBe(false);
    expect(mailFiles(dataDir)).toEqual([receipt.file]);
    const m = parseMail(receipt.file);
    expect(m.headers.from).toBe(FROM);
    expect(m.headers.to).toContain('<ase@example.no>');
    expect(m.headers.to).toContain('Åse Ødegård');
    expect(m.headers.subject).toBe('Bekreft e-postadressen din X-Injected: yes');
    expect(m.headers['content-language']).toBe('nb');
    expect(m.headers['message-id']).toBe(`<${receipt.messageId}>`);
    expect(m.headers.bcc).toBeUndefined();
    expect(m.headers['x-injected']).toBeUndefined();
    expect(m.rawHeaders).not.toMatch(/^Bcc:/im);
    expect(m.text).toBe(message.text);
    expect(m.html).toBe(message.html);
    await mailer.close();
  });
});

describe('SMTP', () => {
  it('delivers the outbox bytes unchanged (with credentials from the URL) and moves the file to sent/', async () => {
    const users: string[] = [];
    const smtp = await startSmtp({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _s, cb) {
        users.push(`${auth.username}:${auth.password}`);
        if (auth.username === 'mailer' && auth.password === 'hemmelig') cb(null, { user: 'mailer' });
        else cb(new Error('bad credentials'));
      },
    });
    const dataDir = freshDir();
    const { logger, lines } = capturingLogger();
    const mailer = createMailer({ dataDir, from: FROM, smtpUrl: smtp.url.replace('smtp://', 'smtp://mailer:hemmelig@'), logger });
    const receipt = await mailer.send(message);
    expect(receipt).toMatchObject({ delivered: true });
    expect(mailFiles(dataDir, 'outbox')).toEqual([]);
    expect(mailFiles(dataDir, 'sent')).toEqual([receipt.file]);
    expect(users).toEqual(['mailer:hemmelig']);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.toString('latin1').replace(/\r\n$/, '')).toBe(fs.readFileSync(receipt.file, 'latin1').replace(/\r\n$/, ''));
    expect(lines.join('')).not.toContain('Hei');
    await mailer.close();
  });

  it('a server that refuses the recipient: the mail stays in the outbox, the failure is logged without the body', async () => {
    const smtp = await startSmtp({
      onRcptTo(_address, _session, cb) {
        const err = new Error('5.1.1 Mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
      },
    });
    const dataDir = freshDir();
    const { logger, lines } = capturingLogger();
    const mailer = createMailer({ dataDir, from: FROM, smtpUrl: smtp.url, logger });
    const receipt = await mailer.send(message);
    expect(receipt.delivered).toBe(false);
    expect(receipt.error).toMatch(/550/);
    expect(mailFiles(dataDir, 'outbox')).toEqual([receipt.file]);
    expect(mailFiles(dataDir, 'sent')).toEqual([]);
    const log = lines.join('');
    expect(log).toContain('mail delivery failed');
    expect(log).toContain(receipt.messageId);
    expect(log).not.toContain('Hei');
    expect(log).not.toContain('token=abc');
    await mailer.close();
  });

  it('no server listening: the mail stays in the outbox with the connection error', async () => {
    const smtp = await startSmtp({});
    const url = smtp.url;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const dataDir = freshDir();
    const { logger } = capturingLogger();
    const mailer = createMailer({ dataDir, from: FROM, smtpUrl: url, logger });
    const receipt = await mailer.send(message);
    expect(receipt.delivered).toBe(false);
    expect(receipt.error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(mailFiles(dataDir, 'outbox')).toEqual([receipt.file]);
    await mailer.close();
  });
});

describe('mail configuration', () => {
  it('reads SMTP_URL (smtp:// or smtps://) and MAIL_FROM, and refuses anything else', () => {
    expect(loadConfig({}).mailFrom).toBe('Datafabrikken <no-reply@localhost>');
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.no:465', MAIL_FROM: 'Data <data@example.no>' })).toMatchObject({ smtpUrl: 'smtps://u:p@mail.example.no:465', mailFrom: 'Data <data@example.no>' });
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.no' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: 'smtp://' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ MAIL_FROM: 'a@b.no\r\nBcc: c@d.no' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ MAIL_FROM: 'nobody' })).toThrow(/MAIL_FROM/);
    const names = CONFIG_KEYS.map((k) => k.name);
    expect(names).toEqual(expect.arrayContaining(['SMTP_URL', 'MAIL_FROM']));
    expect(names).toEqual(expect.arrayContaining(['OIDC_ISSUER', 'OIDC_CLIENT_ID']));
  });
});
