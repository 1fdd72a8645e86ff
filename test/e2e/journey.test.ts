// The first user journey, in a real browser against a real server with the seeded demo catalogue:
// read the front page → sign up → register an organisation (first with a wrong organisasjonsnummer) → create a
// dataset → publishing is refused while the organisation waits for approval → the operator (in a second browser
// context) approves the claim on the operator page → publish it → find it in the list → open a seeded dataset with its
// table preview → switch language → sign out. axe-core must report zero WCAG 2.1 AA violations on every page visited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, launchBrowser, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const violations: string[] = [];

async function check(label: string): Promise<void> {
  const found = await axeViolations(page);
  violations.push(...found.map((v) => `[${label}] ${v}`));
}

const OPERATOR = { email: 'olga.operator@example.no', password: 'operatøren godkjenner virksomheter', name: 'Olga Operatør' };

beforeAll(async () => {
  server = await startServer({ seed: true });
  await server.services.accounts.createUser({ ...OPERATOR, isOperator: true });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('publishing journey', () => {
  it('signs up, registers an organisation, publishes a dataset and sees it listed — accessibly', async () => {
    const base = server.baseUrl;

    // Front page with the seeded real datasets.
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('nb');
    expect(await page.locator('main').textContent()).toContain('Pristilskudd');
    await check('front page');

    // Sign up.
    await page.getByRole('link', { name: 'Opprett konto' }).first().click();
    await page.waitForURL('**/registrer');
    await check('sign-up');
    await page.fill('#name', 'Kari Nordmann');
    await page.fill('#email', 'kari@example.no');
    await page.fill('#password', 'et langt og godt passord');
    await page.fill('#confirm', 'et langt og godt passord');
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/konto');
    expect(await page.locator('main').textContent()).toContain('kari@example.no');
    await check('my account');

    // Register an organisation: a wrong check digit first, then the real one.
    await page.goto(`${base}/virksomheter/ny`);
    await check('new organisation');
    await page.fill('#orgnr', '923609017');
    await page.fill('#name', 'Fjordkraft Data AS');
    await page.locator('main form button[type=submit]').click();
    await page.waitForLoadState();
    expect(await page.inputValue('#orgnr')).toBe('923609017');
    expect(await page.inputValue('#name')).toBe('Fjordkraft Data AS');
    expect(await page.locator('main').textContent()).toMatch(/kontrollsiffer/i);
    await check('new organisation with errors');
    await page.fill('#orgnr', '923609016');
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/virksomheter/923609016');
    expect(await page.locator('h1').textContent()).toContain('Fjordkraft Data AS');
    expect(await page.locator('main').textContent()).toContain('Venter på godkjenning');
    expect(await page.locator('main').textContent()).toContain('Ikke sjekket mot Enhetsregisteret');
    await check('organisation page');

    // Create a dataset as a draft, then publish it.
    await page.goto(`${base}/datasett/ny?org=923609016`);
    await check('new dataset');
    await page.fill('#title_nb', 'Strømpriser per kommune 2025');
    await page.fill('#description_nb', 'Gjennomsnittlig strømpris per kommune og måned i 2025.');
    await page.fill('#keywords_nb', 'strøm, energi, pris');
    await page.check('#accessRights-PUBLIC');
    await page.selectOption('#licence', { index: 1 });
    await page.locator('main form').filter({ has: page.locator('#title_nb') }).locator('button[type=submit]').click();
    await page.waitForURL(/\/datasett\/[0-9a-f-]{36}$/);
    const datasetUrl = page.url();
    expect(await page.locator('h1').textContent()).toContain('Strømpriser per kommune 2025');
    await check('draft dataset page');
    // The organisation is a pending claim: publishing is refused with a clear message.
    await page.getByRole('button', { name: 'Publiser' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('Virksomheten venter på godkjenning fra en operatør.');
    await check('publish refused while pending');

    // The operator signs in (another browser context) and approves the claim beside the registry record.
    const opContext = await browser.browser.newContext({ locale: 'nb-NO' });
    const op = await opContext.newPage();
    await op.goto(`${base}/operator/virksomheter`);
    await op.waitForURL('**/logg-inn?next=*');
    await op.fill('#email', OPERATOR.email);
    await op.fill('#password', OPERATOR.password);
    await op.locator('main form button[type=submit]').last().click();
    await op.waitForURL('**/operator/virksomheter');
    const claim = op.getByRole('region', { name: 'Fjordkraft Data AS (923609016)' });
    expect(await claim.textContent()).toContain('kari@example.no');
    expect(await claim.textContent()).toContain('Ingen opplysninger fra Enhetsregisteret ennå (ikke sjekket).');
    const opViolations = await axeViolations(op);
    violations.push(...opViolations.map((v) => `[operator page] ${v}`));
    await claim.getByRole('button', { name: 'Godkjenn Fjordkraft Data AS' }).click();
    await op.waitForURL('**/operator/virksomheter?done=approved');
    expect(await op.getByRole('status').first().textContent()).toContain('Virksomheten er godkjent.');
    violations.push(...(await axeViolations(op)).map((v) => `[operator page after approval] ${v}`));
    await opContext.close();

    await page.goto(datasetUrl);
    await page.getByRole('button', { name: 'Publiser' }).click();
    await page.waitForURL(datasetUrl);
    expect(await page.getByRole('button', { name: 'Publiser' }).count()).toBe(0);
    await check('published dataset page');

    // Listed and searchable.
    await page.goto(`${base}/datasett`);
    expect(await page.locator('main').textContent()).toContain('Strømpriser per kommune 2025');
    await check('dataset list');
    await page.fill('#q', 'strømpriser');
    await page.locator('main form').filter({ has: page.locator('#q') }).locator('button[type=submit]').first().click();
    await page.waitForURL(/q=str%C3%B8mpriser|q=strømpriser/);
    expect(await page.locator('main').textContent()).toContain('Strømpriser per kommune 2025');
    expect(await page.locator('main').textContent()).not.toContain('Postnummerregister');
    await check('dataset search');

    // A seeded dataset with its table preview: leading zeros survive.
    await page.fill('#q', 'pristilskudd');
    await page.locator('main form').filter({ has: page.locator('#q') }).locator('button[type=submit]').first().click();
    await page.waitForLoadState();
    await page.getByRole('link', { name: /Pristilskudd til jordbruksforetak 2022/ }).first().click();
    await page.waitForURL(/\/datasett\/[0-9a-f-]{36}$/);
    const preview = await page.locator('main').textContent();
    expect(preview).toContain('24');
    expect(preview).toContain('0301');
    expect(preview).toContain('NORDRE LINDEBERG GÅRD');
    await check('seeded dataset with table preview');

    // English.
    await page.getByRole('button', { name: 'English' }).click(); // the language switch is a POST form
    await page.waitForLoadState();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await check('dataset page in English');

    // Sign out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBeGreaterThan(0);
    await check('signed out');

    expect(violations).toEqual([]);
  });
});
