// Reading the mail outbox in tests: lists DATA_DIR/mail/{outbox,sent}/*.eml and parses a message just enough to
// check it (headers with RFC 2047 words decoded, the text/plain and text/html parts decoded from quoted-printable or
// base64). Hand-written because no MIME parser is installed (mailparser is not a dependency); it reads only what our
// own composer (nodemailer) writes.
import fs from 'node:fs';
import path from 'node:path';

export interface ParsedMail {
  file: string;
  /** Header names lower-cased; repeated headers joined with "\n". */
  headers: Record<string, string>;
  /** The raw header block, to assert that nothing was injected. */
  rawHeaders: string;
  text: string;
  html: string;
}

export function mailFiles(dataDir: string, box: 'outbox' | 'sent' = 'outbox'): string[] {
  const dir = path.join(dataDir, 'mail', box);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => path.join(dir, f));
}

function decodeWords(v: string): string {
  return v.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _cs: string, enc: string, data: string) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
    const bytes = data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = decodeWords(line.slice(i + 1).trim());
    out[name] = out[name] === undefined ? value : `${out[name]}\n${value}`;
  }
  return out;
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n');
  }
  return body.replace(/\r\n/g, '\n');
}

export function parseMail(file: string): ParsedMail {
  const raw = fs.readFileSync(file, 'latin1');
  const split = raw.indexOf('\r\n\r\n');
  const rawHeaders = raw.slice(0, split);
  const headers = parseHeaders(rawHeaders);
  const body = raw.slice(split + 4);
  let text = '';
  let html = '';
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${rawHeaders}\r\n\r\n${body}`];
  for (const part of parts) {
    const p = part.replace(/^\r\n/, '');
    const i = p.indexOf('\r\n\r\n');
    const h = parseHeaders(p.slice(0, i));
    const content = decodeBody(p.slice(i + 4).replace(/\r\n$/, ''), h['content-transfer-encoding']);
    if ((h['content-type'] ?? '').startsWith('text/plain')) text = content;
    if ((h['content-type'] ?? '').startsWith('text/html')) html = content;
  }
  return { file, headers, rawHeaders, text, html };
}

/** Every mail (outbox and sent) to one address, oldest first. */
export function mailsTo(dataDir: string, address: string): ParsedMail[] {
  return [...mailFiles(dataDir, 'outbox'), ...mailFiles(dataDir, 'sent')]
    .map(parseMail)
    .filter((m) => (m.headers.to ?? '').toLowerCase().includes(address.toLowerCase()))
    .sort((a, b) => path.basename(a.file).localeCompare(path.basename(b.file)));
}

/** The first link in a mail's text that starts with `prefix` (e.g. "http://localhost:3000/bekreft-epost"). */
export function linkIn(mail: ParsedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((w) => w.startsWith(prefix));
  if (!link) throw new Error(`No link starting with ${prefix} in mail ${mail.file}:\n${mail.text}`);
  return link;
}
