// HTTP tests of the account routes that work through mail (STYLE §14), on the real app and a fresh database (SQLite,
// or PostgreSQL with DATABASE_URL), reading the real outbox: e-mail verification (the page a link opens, its POST,
// "send the mail again"), forgotten password (no user enumeration), the new-password page, GET /api/v1/me's
// emailVerified, hostile input (10 KB, NUL, CR/LF), and sign-up against an SMTP server that accepts or refuses.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieHeader, createTestApp, csrfFor, FORM_HEADERS, form, setCookies, signIn, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';
import { linkIn, mailFiles, mailsTo } from '../helpers/mail';

const PASSWORD = 'korrekt hest batteri stift';
const BASE = 'https://data.example.no';

let t: TestApp;
let ip = 0;
const nextIp = () => `192.0.2.${++ip}`;

beforeAll(async () => {
  t = await createTestApp({ env: { BASE_URL: BASE } });
});
afterAll(() => t?.close());

async function latestLink(email: string, path: '/bekreft-epost' | '/nytt-passord'): Promise<string> {
  await t.services.accounts.mailSettled();
  const mails = mailsTo(t.platform.config.dataDir, email).filter((m) => m.text.includes(`${BASE}${path}?token=`));
  if (!mails.length) throw new Error(`no ${path} mail to ${email}`);
  return linkIn(mails.at(-1)!, `${BASE}${path}?token=`);
}

/** The local path and query of an absolute link (app.inject takes paths). */
const local = (link: string) => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

async function anonymousForm() {
  const { csrf, cookies } = await csrfFor(t.app);
  return { csrf, cookie: cookieHeader(cookies) };
}

describe('e-mail verification', () => {
  let vera: SignedIn;
  let link: string;

  beforeAll(async () => {
    vera = await signUpAndSignIn(t.app, { email: 'vera@example.no', password: PASSWORD, name: 'Vera Ås', ip: nextIp() });
    link = await latestLink('vera@example.no', '/bekreft-epost');
  });

  it('sign-up mails a link built from BASE_URL, in the reader’s language, and /konto and /api/v1/me show unverified', async () => {
    expect(link).toMatch(/^https:\/\/data\.example\.no\/bekreft-epost\?token=[A-Za-z0-9_-]{43}$/);
    const mail = mailsTo(t.platform.config.dataDir, 'vera@example.no')[0]!;
    expect(mail.headers.subject).toBe('Bekreft e-postadressen din hos Datafabrikken');
    expect(mail.headers.from).toBe('Datafabrikken <no-reply@localhost>');
    expect(mail.text).toContain('Hei Vera Ås,');
    expect(mail.html).toContain(`href="${link}"`);
    const me = await t.app.inject({ url: '/api/v1/me', headers: { cookie: vera.cookie } });
    expect(me.json()).toMatchObject({ email: 'vera@example.no', emailVerified: false });
    const page = await t.app.inject({ url: '/konto', headers: { cookie: vera.cookie } });
    expect(page.body).toContain('Ikke bekreftet ennå. Vi har sendt deg en e-post med en lenke.');
    expect(page.body).toContain('action="/konto/bekreft-epost"');

    const { csrf, cookies } = await csrfFor(t.app, '/registrer');
    const ok = await t.app.inject({ method: 'POST', url: '/registrer', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: cookieHeader({ ...cookies, df_lang: 'en' }) }, payload: form({ name: 'Emma', email: 'emma@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: csrf }) });
    expect(ok.statusCode).toBe(303);
    await t.services.accounts.mailSettled();
    expect(mailsTo(t.platform.config.dataDir, 'emma@example.no')[0]!.headers.subject).toBe('Confirm your e-mail address at Datafabrikken');
  });

  it('GET /bekreft-epost: a malformed, unknown or missing token is a clear 4xx page; a valid one shows a button and is not used', async () => {
    const missing = await t.app.inject({ url: '/bekreft-epost' });
    expect(missing.statusCode).toBe(400);
    expect(missing.headers['content-type']).toContain('text/html');
    expect(missing.body).toContain('Lenken er ufullstendig eller ødelagt.');
    const nul = await t.app.inject({ url: `/bekreft-epost?token=${tokenOf(link)}%00` });
    expect(nul.statusCode).toBe(400);
    // The global input guard refuses an overlong URL before the route sees it.
    const huge = await t.app.inject({ url: `/bekreft-epost?token=${'a'.repeat(10_000)}` });
    expect(huge.statusCode).toBe(414);
    const unknown = await t.app.inject({ url: `/bekreft-epost?token=${'A'.repeat(43)}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Lenken er ikke gyldig.');
    const enUnknown = await t.app.inject({ url: `/bekreft-epost?token=${'A'.repeat(43)}&lang=en` });
    expect(enUnknown.body).toContain('The link is not valid.');

    for (let i = 0; i < 2; i++) {
      const page = await t.app.inject({ url: local(link) });
      expect(page.statusCode).toBe(200);
      expect(page.headers['cache-control']).toBe('private, no-store');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.body).toContain('Trykk på knappen for å bekrefte at vera@example.no er din e-postadresse.');
      expect(page.body).toContain(`name="token" value="${tokenOf(link)}"`);
      expect(page.body).toContain('action="/bekreft-epost"');
    }
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: vera.cookie } })).json()).toMatchObject({ emailVerified: false });
  });

  it('POST /bekreft-epost: 403 without CSRF, 403 for another signed-in account, 400 malformed, then verifies once (410 after)', async () => {
    const anon = await anonymousForm();
    const noCsrf = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ token: tokenOf(link) }) });
    expect(noCsrf.statusCode).toBe(403);
    const other = await signUpAndSignIn(t.app, { email: 'other@example.no', password: PASSWORD, name: 'Other', ip: nextIp() });
    const wrongAccount = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: other.cookie }, payload: form({ token: tokenOf(link), _csrf: other.csrf }) });
    expect(wrongAccount.statusCode).toBe(403);
    expect(wrongAccount.body).toContain('Lenken hører til en annen konto.');
    const malformed = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ token: 'x\r\ny', _csrf: anon.csrf }) });
    expect(malformed.statusCode).toBe(400);

    const ok = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: vera.cookie }, payload: form({ token: tokenOf(link), _csrf: vera.csrf }) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/konto?bekreftet=1');
    const page = await t.app.inject({ url: '/konto?bekreftet=1', headers: { cookie: vera.cookie } });
    expect(page.body).toContain('E-postadressen er bekreftet.');
    expect(page.body).not.toContain('action="/konto/bekreft-epost"');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: vera.cookie } })).json()).toMatchObject({ emailVerified: true });

    const again = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ token: tokenOf(link), _csrf: anon.csrf }) });
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('Lenken er allerede brukt.');
    expect((await t.app.inject({ url: local(link) })).statusCode).toBe(410);
  });

  it('an anonymous reader may confirm (the link is the proof) and is sent to sign in', async () => {
    await signUpAndSignIn(t.app, { email: 'anon.verify@example.no', password: PASSWORD, name: 'Anon', ip: nextIp() });
    const l = await latestLink('anon.verify@example.no', '/bekreft-epost');
    const anon = await anonymousForm();
    const res = await t.app.inject({ method: 'POST', url: '/bekreft-epost', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ token: tokenOf(l), _csrf: anon.csrf }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/logg-inn?bekreftet=1');
    expect((await t.app.inject({ url: '/logg-inn?bekreftet=1' })).body).toContain('E-postadressen er bekreftet.');
  });

  it('POST /konto/bekreft-epost: anonymous → sign in, 403 without CSRF, sends again 3 times an hour, then 429 with Retry-After', async () => {
    const rune = await signUpAndSignIn(t.app, { email: 'rune@example.no', password: PASSWORD, name: 'Rune', ip: nextIp() });
    const anon = await anonymousForm();
    const anonymous = await t.app.inject({ method: 'POST', url: '/konto/bekreft-epost', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ _csrf: anon.csrf }) });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/logg-inn?next=%2Fkonto');
    const noCsrf = await t.app.inject({ method: 'POST', url: '/konto/bekreft-epost', headers: { ...FORM_HEADERS, cookie: rune.cookie }, payload: '' });
    expect(noCsrf.statusCode).toBe(403);
    const first = await latestLink('rune@example.no', '/bekreft-epost');
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/konto/bekreft-epost', headers: { ...FORM_HEADERS, cookie: rune.cookie }, payload: form({ _csrf: rune.csrf }) });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/konto?sendt=1');
    }
    const limited = await t.app.inject({ method: 'POST', url: '/konto/bekreft-epost', headers: { ...FORM_HEADERS, cookie: rune.cookie }, payload: form({ _csrf: rune.csrf }) });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
    expect(limited.body).toContain('For mange forsøk.');
    const latest = await latestLink('rune@example.no', '/bekreft-epost');
    expect(latest).not.toBe(first);
    expect((await t.app.inject({ url: local(first) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: local(latest) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/konto?sendt=1', headers: { cookie: rune.cookie } })).body).toContain('Vi har sendt en ny e-post');
  });
});

describe('forgotten password', () => {
  it('the sign-in page links to it; GET shows the form', async () => {
    const signin = await t.app.inject({ url: '/logg-inn' });
    expect(signin.body).toContain('href="/glemt-passord"');
    expect(signin.body).toContain('Glemt passord?');
    const page = await t.app.inject({ url: '/glemt-passord' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('action="/glemt-passord"');
  });

  it('POST /glemt-passord: 403 without CSRF; 422 for a missing, malformed, NUL or 10 KB address; never a 500', async () => {
    const anon = await anonymousForm();
    const noCsrf = await t.app.inject({ method: 'POST', url: '/glemt-passord', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email: 'a@example.no' }) });
    expect(noCsrf.statusCode).toBe(403);
    for (const email of ['', 'ikke-en-adresse', 'a\u0000b@example.no', `${'a'.repeat(10_240)}@example.no`, 'a@example.no\r\nBcc: b@example.no']) {
      const res = await t.app.inject({ method: 'POST', url: '/glemt-passord', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email, _csrf: anon.csrf }) });
      // A NUL is refused by the global input guard (400) before the form handler; the rest are the form's 422.
      expect(res.statusCode, JSON.stringify(email.slice(0, 30))).toBe(email.includes('\u0000') ? 400 : 422);
      expect(res.headers['content-type']).toContain('text/html');
    }
  });

  it('answers an address with an account exactly like one without, and only the first gets a mail', async () => {
    await signUpAndSignIn(t.app, { email: 'glemsk@example.no', password: PASSWORD, name: 'Glemsk', ip: nextIp() });
    const anon = await anonymousForm();
    const ask = (email: string) => t.app.inject({ method: 'POST', url: '/glemt-passord', remoteAddress: '198.51.100.200', headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email, _csrf: anon.csrf }) });
    const known = await ask('glemsk@example.no');
    const unknown = await ask('finnes.ikke@example.no');
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    expect(known.body.replaceAll('glemsk@example.no', 'X')).toBe(unknown.body.replaceAll('finnes.ikke@example.no', 'X'));
    expect(known.body).toContain('Hvis det finnes en konto for glemsk@example.no, har vi nå sendt en e-post');
    await t.services.accounts.mailSettled();
    expect(mailsTo(t.platform.config.dataDir, 'glemsk@example.no').filter((m) => m.text.includes('/nytt-passord'))).toHaveLength(1);
    expect(mailsTo(t.platform.config.dataDir, 'finnes.ikke@example.no')).toHaveLength(0);
  });

  it('429 with Retry-After after 3 requests for one address, the same for an unknown one', async () => {
    const anon = await anonymousForm();
    for (const email of ['glemsk@example.no', 'heller.ikke@example.no']) {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await t.app.inject({ method: 'POST', url: '/glemt-passord', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email, _csrf: anon.csrf }) });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.body).toContain('For mange forsøk.');
        }
      }
      // glemsk@ already had one request in the test above.
      expect(statuses).toEqual(email === 'glemsk@example.no' ? [200, 200, 429, 429] : [200, 200, 200, 429]);
    }
  });
});

describe('choosing a new password', () => {
  it('GET /nytt-passord: 400 without or with a malformed token, 404 for an unknown one', async () => {
    expect((await t.app.inject({ url: '/nytt-passord' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/nytt-passord?token=%00%0d%0a' })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/nytt-passord?token=${'B'.repeat(43)}` })).statusCode).toBe(404);
  });

  it('sets the password, ends every session, sends a notice in the user’s language, and the link works once', async () => {
    const { csrf, cookies } = await csrfFor(t.app, '/registrer');
    const signup = await t.app.inject({ method: 'POST', url: '/registrer', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: cookieHeader({ ...cookies, df_lang: 'nn' }) }, payload: form({ name: 'Nils', email: 'nils@example.no', password: PASSWORD, confirm: PASSWORD, _csrf: csrf }) });
    expect(signup.statusCode).toBe(303);
    const session = cookieHeader({ ...cookies, df_session: setCookies(signup).df_session! });
    const elsewhere = await signIn(t.app, { email: 'nils@example.no', password: PASSWORD });

    const anon = await anonymousForm();
    await t.app.inject({ method: 'POST', url: '/glemt-passord', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email: 'Nils@Example.no', _csrf: anon.csrf }) });
    const link = await latestLink('nils@example.no', '/nytt-passord');
    const mail = mailsTo(t.platform.config.dataDir, 'nils@example.no').find((m) => m.text.includes('/nytt-passord'))!;
    expect(mail.headers.subject).toBe('Lag nytt passord hos Datafabrikken');
    expect(mail.text).toContain('Nokon (forhåpentleg deg)');

    const page = await t.app.inject({ url: local(link) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('nils@example.no');
    expect(page.body).toContain(`name="token" value="${tokenOf(link)}"`);
    expect((await t.app.inject({ url: local(link) })).statusCode).toBe(200); // looking does not use it

    const post = (fields: Record<string, string>, cookie = anon.cookie) => t.app.inject({ method: 'POST', url: '/nytt-passord', headers: { ...FORM_HEADERS, cookie }, payload: form(fields) });
    expect((await post({ token: tokenOf(link), password: 'et nytt langt passord', confirm: 'et nytt langt passord' })).statusCode).toBe(403);
    const mismatch = await post({ token: tokenOf(link), password: 'et nytt langt passord', confirm: 'noe annet helt', _csrf: anon.csrf });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain('Passordene er ikke like.');
    expect(mismatch.body).not.toContain('et nytt langt passord');
    expect(mismatch.body).toContain(`name="token" value="${tokenOf(link)}"`);
    const other = await signUpAndSignIn(t.app, { email: 'nabo@example.no', password: PASSWORD, name: 'Nabo', ip: nextIp() });
    expect((await post({ token: tokenOf(link), password: 'et nytt langt passord', confirm: 'et nytt langt passord', _csrf: other.csrf }, other.cookie)).statusCode).toBe(403);

    const ok = await post({ token: tokenOf(link), password: 'et nytt langt passord', confirm: 'et nytt langt passord', _csrf: anon.csrf });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/logg-inn?nyttpassord=1');
    expect((await t.app.inject({ url: '/logg-inn?nyttpassord=1' })).body).toContain('Passordet er endret. Logg inn med det nye passordet.');
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: session } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: elsewhere.cookie } })).statusCode).toBe(401);
    const me = await signIn(t.app, { email: 'nils@example.no', password: 'et nytt langt passord' });
    // The link reached the mailbox: the address counts as confirmed.
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie: me.cookie } })).json()).toMatchObject({ emailVerified: true });

    const again = await post({ token: tokenOf(link), password: 'enda et nytt passord', confirm: 'enda et nytt passord', _csrf: anon.csrf });
    expect(again.statusCode).toBe(410);
    await t.services.accounts.mailSettled();
    const notice = mailsTo(t.platform.config.dataDir, 'nils@example.no').filter((m) => m.headers.subject === 'Passordet ditt hos Datafabrikken er endra');
    expect(notice).toHaveLength(1);
  });
});

describe('hostile sign-up input', () => {
  it('CR/LF or NUL in the name, NUL or 10 KB in the e-mail: 422 with a translated message, never a 500', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ name: 'Eve\r\nBcc: victim@example.no', email: 'eve1@example.no' }, 'Navnet kan ikke inneholde linjeskift eller kontrolltegn.'],
      [{ name: 'Eve\u0000', email: 'eve2@example.no' }, 'Navnet kan ikke inneholde linjeskift eller kontrolltegn.'],
      [{ name: 'Eve', email: 'eve\u0000@example.no' }, 'Skriv inn en gyldig e-postadresse'],
      [{ name: 'Eve', email: `${'e'.repeat(10_240)}@example.no` }, 'Skriv inn en gyldig e-postadresse'],
    ];
    for (const [fields, message] of cases) {
      const { csrf, cookies } = await csrfFor(t.app, '/registrer');
      const res = await t.app.inject({ method: 'POST', url: '/registrer', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ ...fields, password: PASSWORD, confirm: PASSWORD, _csrf: csrf }) });
      const nul = Object.values(fields).some((v) => v.includes('\u0000'));
      expect(res.statusCode).toBe(nul ? 400 : 422);
      if (!nul) expect(res.body).toContain(message);
    }
    await t.services.accounts.mailSettled();
    for (const f of mailFiles(t.platform.config.dataDir)) expect(f).not.toContain('eve');
  });

  it('sign-up is throttled per IP: the 11th attempt in an hour is 429 with Retry-After', async () => {
    const address = '203.0.113.250';
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const { csrf, cookies } = await csrfFor(t.app, '/registrer');
      const res = await t.app.inject({ method: 'POST', url: '/registrer', remoteAddress: address, headers: { ...FORM_HEADERS, cookie: cookieHeader(cookies) }, payload: form({ name: '', email: 'x', password: 'x', confirm: 'x', _csrf: csrf }) });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
        expect(res.body).toContain('For mange forsøk.');
      }
    }
    expect(statuses).toEqual([...Array(10).fill(422), 429]);
  });
});

describe('sign-up with SMTP', () => {
  async function smtpServer(refuse: boolean) {
    const received: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(_a, _s, cb) {
        if (refuse) {
          const err = new Error('Relay denied') as Error & { responseCode: number };
          err.responseCode = 554;
          cb(err);
        } else cb();
      },
      onData(stream, _s, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString('latin1')));
        stream.on('end', () => {
          received.push(data);
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('delivers the verification mail and keeps the copy in sent/', async () => {
    const smtp = await smtpServer(false);
    const app = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Datafabrikken <no-reply@data.example.no>' } });
    try {
      await signUpAndSignIn(app.app, { email: 'smtp@example.no', password: PASSWORD, name: 'Smtp' });
      await app.services.accounts.mailSettled();
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]).toContain('From: Datafabrikken <no-reply@data.example.no>');
      expect(mailFiles(app.platform.config.dataDir, 'sent')).toHaveLength(1);
      expect(mailFiles(app.platform.config.dataDir, 'outbox')).toHaveLength(0);
    } finally {
      await app.close();
      await smtp.close();
    }
  });

  it('a refusing server: the sign-up still succeeds and the mail waits in the outbox (not in sent/)', async () => {
    const smtp = await smtpServer(true);
    const app = await createTestApp({ env: { SMTP_URL: smtp.url } });
    try {
      const user = await signUpAndSignIn(app.app, { email: 'refused@example.no', password: PASSWORD, name: 'Refused' });
      await app.services.accounts.mailSettled();
      expect(smtp.received).toHaveLength(0);
      expect(mailFiles(app.platform.config.dataDir, 'outbox')).toHaveLength(1);
      expect(mailFiles(app.platform.config.dataDir, 'sent')).toHaveLength(0);
      expect((await app.app.inject({ url: '/api/v1/me', headers: { cookie: user.cookie } })).json()).toMatchObject({ emailVerified: false });
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});

describe('hostile input elsewhere in accounts', () => {
  it('sign-in with a NUL or 10 KB e-mail is a plain 401, token and profile names with NUL or CR/LF are 422', async () => {
    const anon = await anonymousForm();
    for (const email of ['vera\u0000@example.no', `${'v'.repeat(10_240)}@example.no`, 'vera@example.no\r\nX: y']) {
      const res = await t.app.inject({ method: 'POST', url: '/logg-inn', remoteAddress: nextIp(), headers: { ...FORM_HEADERS, cookie: anon.cookie }, payload: form({ email, password: PASSWORD, _csrf: anon.csrf }) });
      if (email.includes('\u0000')) {
        expect(res.statusCode).toBe(400); // the global input guard
        continue;
      }
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Feil e-postadresse eller passord.');
    }
    const u = await signUpAndSignIn(t.app, { email: 'hostile@example.no', password: PASSWORD, name: 'Hostile', ip: nextIp() });
    // Cookie-authenticated API changes must prove they come from our own pages (same origin).
    const json = { 'content-type': 'application/json', cookie: u.cookie, origin: new URL(BASE).origin };
    const token = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: json, payload: { name: 'cron\u0007job' } });
    expect(token.statusCode).toBe(422);
    expect((token.json() as { error: { details: { problems: { code: string }[] } } }).error.details.problems[0]!.code).toBe('token_name_invalid');
    const page = await t.app.inject({ method: 'POST', url: '/konto/tokens', headers: { ...FORM_HEADERS, cookie: u.cookie }, payload: form({ name: 'a\r\nb', scopes: 'read', expiresInDays: '30', _csrf: u.csrf }) });
    expect(page.statusCode).toBe(422);
    expect(page.body).toContain('Navnet kan ikke inneholde linjeskift eller kontrolltegn.');
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: json, payload: { name: 'Eve\r\nBcc: x@example.no' } });
    expect(patch.statusCode).toBe(422);
  });
});
