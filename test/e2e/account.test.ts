// The account journey in a real browser against a real server: sign up → sign out → a wrong password (the error is
// shown, the e-mail kept) → the right one → change the password (and sign in with the new one) → create an API token
// (shown once only) → use it against the JSON API → revoke it (the API then says 401) → switch to nynorsk.
// axe-core must report zero WCAG 2.1 AA violations, and every page one h1 and one main landmark, in every state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'ola.nordmann@example.no';
const FIRST_PASSWORD = 'fjorden er blank i dag';
const SECOND_PASSWORD = 'fjellet er hvitt i morgen';

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function submitMainForm(p: Page): Promise<void> {
  await p.locator('main form button[type=submit]').last().click();
  await p.waitForLoadState();
}

async function signIn(p: Page, email: string, password: string): Promise<void> {
  await p.fill('#email', email);
  await p.fill('#password', password);
  await submitMainForm(p);
}

function me(token: string): Promise<Response> {
  return fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
}

describe('account journey', () => {
  it('signs up, signs in again, changes the password, uses and revokes an API token, and reads nynorsk — accessibly', async () => {
    const base = server.baseUrl;

    // Sign up.
    await page.goto(`${base}/registrer`);
    await check('sign-up');
    await page.fill('#name', 'Ola Nordmann');
    await page.fill('#email', EMAIL);
    await page.fill('#password', FIRST_PASSWORD);
    await page.fill('#confirm', FIRST_PASSWORD);
    await submitMainForm(page);
    await page.waitForURL('**/konto');
    expect(await page.locator('main').textContent()).toContain(EMAIL);
    await check('my account after sign-up');

    // Sign out: the sign-in page says so.
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL('**/logg-inn?utlogget=1');
    expect(await page.getByRole('status').textContent()).toContain('Du er logget ut.');
    await check('signed out');

    // A wrong password: an error, the e-mail kept, the password not.
    await signIn(page, EMAIL, 'ikke mitt passord i det hele tatt');
    expect(page.url()).toMatch(/\/logg-inn/);
    expect(await page.getByRole('alert').first().textContent()).toContain('Feil e-postadresse eller passord.');
    expect(await page.inputValue('#email')).toBe(EMAIL);
    expect(await page.inputValue('#password')).toBe('');
    await check('sign-in with a wrong password');

    // The right one.
    await signIn(page, EMAIL, FIRST_PASSWORD);
    await page.waitForURL('**/konto');
    await check('my account after sign-in');

    // Change the password: a wrong current one first, then properly.
    await page.getByRole('link', { name: 'Endre passord' }).click();
    await page.waitForURL('**/konto/passord');
    await check('change password');
    await page.fill('#current', 'feil nåværende passord');
    await page.fill('#next', SECOND_PASSWORD);
    await page.fill('#confirm', SECOND_PASSWORD);
    await submitMainForm(page);
    expect(await page.locator('main').textContent()).toContain('Det nåværende passordet er feil.');
    expect(await page.getAttribute('#current', 'aria-invalid')).toBe('true');
    await check('change password with errors');
    await page.fill('#current', FIRST_PASSWORD);
    await page.fill('#next', SECOND_PASSWORD);
    await page.fill('#confirm', SECOND_PASSWORD);
    await submitMainForm(page);
    await page.waitForURL('**/konto?endret=passord');
    expect(await page.getByRole('status').textContent()).toContain('Passordet er endret.');
    await check('password changed');

    // The old password no longer works; the new one does.
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL('**/logg-inn?utlogget=1');
    await signIn(page, EMAIL, FIRST_PASSWORD);
    expect(await page.getByRole('alert').first().textContent()).toContain('Feil e-postadresse eller passord.');
    await signIn(page, EMAIL, SECOND_PASSWORD);
    await page.waitForURL('**/konto');

    // Create an API token: shown once.
    await page.getByRole('link', { name: 'API-nøkler' }).click();
    await page.waitForURL('**/konto/tokens');
    expect(await page.locator('main').textContent()).toContain('Du har ingen API-nøkler.');
    await check('API tokens, none yet');
    await page.fill('#name', 'nattlig opplasting');
    await submitMainForm(page);
    const token = await page.inputValue('#new-token');
    expect(token).toMatch(/^df_[A-Za-z0-9_-]{20,}$/);
    expect(await page.locator('main table').textContent()).toContain('nattlig opplasting');
    await check('API token created');

    // Reload (a GET of the list): the secret is not shown again, only its prefix.
    await page.goto(`${base}/konto/tokens`);
    expect(await page.locator('#new-token').count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(token);
    expect(await page.locator('main table').textContent()).toContain('nattlig opplasting');
    await check('API tokens after reload');

    // The token works against the API.
    const ok = await me(token);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { email: string; via: string };
    expect(body.email).toBe(EMAIL);
    expect(body.via).toBe('token');

    // Revoke it: the same call is now refused.
    await page.getByRole('button', { name: 'Tilbakekall «nattlig opplasting»' }).click();
    await page.waitForURL('**/konto/tokens?tilbakekalt=1');
    expect(await page.getByRole('status').first().textContent()).toContain('API-nøkkelen er tilbakekalt');
    expect(await page.locator('main').textContent()).toContain('Du har ingen API-nøkler.');
    await check('API token revoked');
    const refused = await me(token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBeTruthy();

    // Nynorsk: the page language and the labels change, and the choice sticks.
    await page.getByRole('button', { name: 'Nynorsk' }).click(); // the language switch is a POST form
    await page.waitForURL(/\/konto\/tokens\?tilbakekalt=1$/);
    expect(await page.getAttribute('html', 'lang')).toBe('nn');
    expect(await page.locator('h1').textContent()).toBe('API-nøklar');
    await check('API tokens in nynorsk');
    await page.goto(`${base}/konto`);
    expect(await page.getAttribute('html', 'lang')).toBe('nn');
    expect(await page.locator('h1').textContent()).toBe('Kontoen min');
    expect(await page.locator('main').textContent()).toContain('Verksemdene dine');
    await check('my account in nynorsk');

    expect(checker.problems).toEqual([]);
  });
});
