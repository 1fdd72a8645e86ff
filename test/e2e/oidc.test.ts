// OpenID Connect sign-in in a real browser: the app and a loopback OpenID provider (oidc-provider, playing ID-porten)
// on two ports of 127.0.0.1. A person clicks "Logg inn med ID-porten", signs in at the provider and lands signed in;
// as their organisation's admin they register a machine client on the web, which then gets a token with a signed
// assertion. The same sign-in works with JavaScript off; an acr below the minimum ends on a translated error page.
// axe-core must report no WCAG 2.1 AA violations on our pages.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { JWT_BEARER_GRANT } from '../../src/identity/model';
import { OIDC_CALLBACK_PATH } from '../../src/identity/service';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider';
import { axeViolationsWithoutJs, launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

const ORG = '981544315';
let server: RunningServer;
let op: TestOidcProvider;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  op = await startOidcProvider({ redirectUris: [`${base}${OIDC_CALLBACK_PATH}`] });
  op.users.set('sub-kari', { email: 'kari@example.no', emailVerified: true, name: 'Kari Nordmann' });
  server = await startServer({
    env: { PORT: String(port), BASE_URL: base, OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_ACR_MIN: 'idporten-loa-substantial', OIDC_LABEL: 'ID-porten' },
  });
  await server.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Landbruksdirektoratet' });
  await server.services.accounts.createUser({ email: 'kari@example.no', password: 'correct horse battery', name: 'Kari Nordmann', emailVerified: true });
  await server.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'kari@example.no', role: 'admin' });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await op?.close();
});

async function signInAtProvider(p: Page, acr: string): Promise<void> {
  await p.getByRole('button', { name: 'Logg inn med ID-porten' }).click();
  await p.waitForURL(`${op.issuer}/interaction/**`);
  await p.fill('#login', 'sub-kari');
  await p.selectOption('#acr', acr);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForLoadState();
}

describe('OIDC sign-in in the browser', () => {
  it('signs in through the loopback OpenID provider with PKCE, lands signed in, and registers a machine client that gets a token', async () => {
    const base = server.baseUrl;
    await page.goto(`${base}/logg-inn`);
    await checker.check('sign-in page with ID-porten');
    await signInAtProvider(page, 'idporten-loa-high');
    await page.waitForURL(`${base}/konto`);
    expect(await page.locator('main').textContent()).toContain('kari@example.no');
    await checker.check('my account after OIDC sign-in');

    await page.getByRole('link', { name: 'Innlogging med ID-porten' }).click();
    await page.waitForURL(`${base}/konto/innlogging`);
    expect(await page.locator('main').textContent()).toContain(op.issuer);
    await checker.check('linked sign-in page');

    await page.goto(`${base}/virksomheter/${ORG}`);
    await page.getByRole('link', { name: /Maskinklienter/ }).click();
    await page.waitForURL(`${base}/virksomheter/${ORG}/klienter`);
    await checker.check('machine clients page (empty)');
    const keys = await generateKeyPair('ES256', { extractable: true });
    await page.fill('#name', 'Fagsystem');
    await page.fill('#jwks', '{"keys": [ {"kty": "oct", "k": "c2VjcmV0"} ]}');
    await page.getByRole('button', { name: 'Registrer klienten' }).click();
    await page.waitForLoadState();
    expect(await page.locator('main').textContent()).toContain('privat eller symmetrisk nøkkel');
    await checker.check('machine clients page with an error');
    await page.fill('#jwks', JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'e2e' }] }));
    await page.getByRole('button', { name: 'Registrer klienten' }).click();
    await page.waitForURL(`${base}/virksomheter/${ORG}/klienter?registrert=1`);
    await checker.check('machine clients page with a client');
    const clientId = (await page.locator('main table code').first().textContent())!.trim();

    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: clientId, aud: base, iat: now, exp: now + 60, jti: randomUUID(), scope: 'read' }).setProtectedHeader({ alg: 'ES256', kid: 'e2e' }).sign(keys.privateKey);
    const res = await fetch(`${base}/api/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }) });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    const ds = await fetch(`${base}/api/v1/datasets`, { headers: { authorization: `Bearer ${token}` } });
    expect(ds.status).toBe(200);
    expect(checker.problems).toEqual([]);
  });

  it('works without JavaScript, and a level below the minimum ends on a translated error page without a session', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false, locale: 'nb-NO' });
    try {
      const p = await context.newPage();
      await p.goto(`${server.baseUrl}/logg-inn`);
      await signInAtProvider(p, 'idporten-loa-low');
      expect(p.url()).toContain(OIDC_CALLBACK_PATH);
      expect(await p.locator('main').textContent()).toContain('lavere sikkerhetsnivå');
      // axe runs on the same HTML in the scripting page, which is on our origin (the stylesheets must load).
      expect(await axeViolationsWithoutJs(p, page)).toEqual([]);
      await p.goto(`${server.baseUrl}/konto`);
      expect(p.url()).toContain('/logg-inn');
      // A fresh provider session (the provider would otherwise reuse the low-level one without asking).
      await context.clearCookies();
      await p.goto(`${server.baseUrl}/logg-inn`);
      await signInAtProvider(p, 'idporten-loa-substantial');
      await p.waitForURL(`${server.baseUrl}/konto`);
      expect(await p.locator('main').textContent()).toContain('kari@example.no');
    } finally {
      await context.close();
    }
  });
});
