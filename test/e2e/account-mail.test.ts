// The mail journeys in a real browser against a real server, reading the real outbox: sign up → the verification
// mail (parsed from its .eml) → open the link → confirm → "confirmed" on the account page; sign out → "Forgot your
// password?" → the reset mail → choose a new password (a mismatch first) → sign in with it; the used link then
// explains itself. axe-core must report zero WCAG 2.1 AA violations on every page, and one page is checked at 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { linkIn, mailsTo } from '../helpers/mail';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'siri.fjell@example.no';
const PASSWORD = 'breen kalver i sommer';
const NEW_PASSWORD = 'elva flommer over i vår';

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The newest mailed link to `path`, pointed at the test server (BASE_URL there is a placeholder). */
async function mailedLink(path: string): Promise<string> {
  await server.services.accounts.mailSettled();
  const mails = mailsTo(server.platform.config.dataDir, EMAIL).filter((m) => m.text.includes(`${path}?token=`));
  expect(mails.length).toBeGreaterThan(0);
  const link = new URL(linkIn(mails.at(-1)!, server.platform.config.baseUrl));
  expect(link.pathname).toBe(path);
  return `${server.baseUrl}${link.pathname}${link.search}`;
}

async function submitMainForm(p: Page): Promise<void> {
  await p.locator('main form button[type=submit]').last().click();
  await p.waitForLoadState();
}

describe('account mail journeys', () => {
  it('verifies the address from the mailed link and resets a forgotten password — accessibly', async () => {
    const base = server.baseUrl;

    // Sign up: the account page says the address is not confirmed yet.
    await page.goto(`${base}/registrer`);
    await page.fill('#name', 'Siri Fjell');
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.fill('#confirm', PASSWORD);
    await submitMainForm(page);
    await page.waitForURL('**/konto');
    expect(await page.locator('#email-status').textContent()).toContain('Ikke bekreftet ennå');
    expect(await page.getByRole('button', { name: 'Send e-posten på nytt' }).count()).toBe(1);
    await check('my account, unverified');

    // The verification mail: open its link (a GET shows a button and uses nothing), then confirm.
    const verify = await mailedLink('/bekreft-epost');
    await page.goto(verify);
    expect(await page.locator('h1').textContent()).toBe('Bekreft e-postadressen');
    expect(await page.locator('main').textContent()).toContain(EMAIL);
    await check('confirm e-mail');
    await page.getByRole('button', { name: 'Bekreft e-postadressen' }).click();
    await page.waitForURL('**/konto?bekreftet=1');
    expect(await page.getByRole('status').textContent()).toContain('E-postadressen er bekreftet.');
    expect(await page.locator('#email-status').textContent()).toBe('Bekreftet');
    expect(await page.getByRole('button', { name: 'Send e-posten på nytt' }).count()).toBe(0);
    await check('my account, verified');

    // Sign out, then "Forgot your password?".
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL('**/logg-inn?utlogget=1');
    await page.getByRole('link', { name: 'Glemt passord?' }).click();
    await page.waitForURL('**/glemt-passord');
    await check('forgot password');
    await page.fill('#email', EMAIL);
    await submitMainForm(page);
    expect(await page.getByRole('status').textContent()).toContain(`Hvis det finnes en konto for ${EMAIL}, har vi nå sendt en e-post`);
    await check('forgot password, sent');

    // The reset mail: its page, once on a phone-sized screen.
    const reset = await mailedLink('/nytt-passord');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(reset);
    expect(await page.locator('h1').textContent()).toBe('Lag nytt passord');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await check('new password at 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#confirm', 'noe helt annet enn det');
    await submitMainForm(page);
    expect(await page.locator('main').textContent()).toContain('Passordene er ikke like.');
    expect(await page.inputValue('#password')).toBe('');
    await check('new password with errors');
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#confirm', NEW_PASSWORD);
    await submitMainForm(page);
    await page.waitForURL('**/logg-inn?nyttpassord=1');
    expect(await page.getByRole('status').textContent()).toContain('Passordet er endret. Logg inn med det nye passordet.');
    await check('signed in page after reset');

    // The old password is gone, the new one works.
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await submitMainForm(page);
    expect(await page.getByRole('alert').first().textContent()).toContain('Feil e-postadresse eller passord.');
    await page.fill('#password', NEW_PASSWORD);
    await submitMainForm(page);
    await page.waitForURL('**/konto');
    await check('my account after reset');

    // The link was single-use: opening it again explains that.
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL('**/logg-inn?utlogget=1');
    const used = await page.goto(reset);
    expect(used?.status()).toBe(410);
    expect(await page.locator('main').textContent()).toContain('Lenken er allerede brukt.');
    await check('used link');

    // And the "your password was changed" notice went out.
    await server.services.accounts.mailSettled();
    expect(mailsTo(server.platform.config.dataDir, EMAIL).map((m) => m.headers.subject)).toContain('Passordet ditt hos Datafabrikken er endret');

    expect(checker.problems).toEqual([]);
  });
});
