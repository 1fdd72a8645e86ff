// The consent journey in a real browser, three people in three browser contexts: the owner's editor marks a table of a
// RESTRICTED dataset consent-based (keyed on its orgnr column); a bank's employee asks farm A for consent; farm A's
// admin accepts; the bank's preview on the dataset page shows exactly farm A's rows; farm A revokes (and sees every
// event, each use with its rows, in its consent log); the bank then sees no rows. axe-core reports no WCAG 2.1 AA
// violation, and every page has one h1 and one main, in every state.
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let launched: Awaited<ReturnType<typeof launchBrowser>>;
let current: Page;
const checker = pageChecker(() => current);

const OWNER = '981544315';
const BANK = '971526920';
const FARM_A = '911000008';
const FARM_B = '912000001';
const PASSWORD = 'samtykke er gull verdt';
let datasetId = '';

function csv(): Buffer {
  const lines = ['orgnr;foretak;tilskudd'];
  for (let i = 0; i < 3; i++) lines.push(`${FARM_A};Gard A ${i};${1000 + i}`);
  for (let i = 0; i < 4; i++) lines.push(`${FARM_B};Gard B ${i};${2000 + i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations, catalog, tables } = server.services;
  for (const [nr, name] of [
    [OWNER, 'Landbruksdirektoratet'],
    [BANK, 'Bygdebanken'],
    [FARM_A, 'Gard A'],
    [FARM_B, 'Gard B'],
  ] as const) {
    await organisations.create(CLI_ACTOR, { orgnr: nr, name });
  }
  for (const [email, org, role] of [
    ['redaktor@ldir.example', OWNER, 'editor'],
    ['radgiver@bank.example', BANK, 'member'],
    ['bonde@garda.example', FARM_A, 'admin'],
  ] as const) {
    await accounts.createUser({ email, password: PASSWORD, name: email.split('@')[0] ?? email, emailVerified: true });
    await organisations.addMember(CLI_ACTOR, org, { email, role });
  }
  const ds = await catalog.createDataset(CLI_ACTOR, {
    orgnr: OWNER,
    title: { nb: 'Produksjonstilskudd per foretak' },
    description: { nb: 'Utbetalt tilskudd per foretak.' },
    accessRights: 'RESTRICTED',
    licence: 'http://data.norge.no/nlod/no/2.0',
    contactPoint: { email: 'data@ldir.example' },
  });
  await catalog.publishDataset(CLI_ACTOR, ds.id);
  datasetId = ds.id;
  await tables.createTableFromFile(CLI_ACTOR, ds.id, { name: 'tilskudd', title: 'Tilskudd 2024', filename: 'tilskudd.csv', stream: Readable.from(csv()) });
  for (let i = 0; i < 120; i++) {
    const t = await tables.getTable(CLI_ACTOR, ds.id, 'tilskudd');
    if (t.currentVersion) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  launched = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await launched?.close();
  await server?.stop();
});

async function personPage(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'nb-NO' });
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/logg-inn`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.locator('main form button[type=submit]').click();
  await page.waitForURL('**/konto');
  return page;
}

async function previewRows(page: Page): Promise<string[]> {
  const section = page.locator('#table-tilskudd-section');
  return section.locator('table:has(caption) tbody tr').filter({ hasText: 'Gard' }).allTextContents();
}

describe('consent journey', () => {
  it('owner marks, consumer requests, subject accepts, consumer sees exactly its rows, subject revokes, consumer sees none', async () => {
    const base = server.baseUrl;
    const owner = await personPage(launched.browser, 'redaktor@ldir.example');
    const bank = await personPage(launched.browser, 'radgiver@bank.example');
    const farm = await personPage(launched.browser, 'bonde@garda.example');

    // The owner's editor makes the table consent-based, keyed on its orgnr column (suggested first).
    current = owner;
    await owner.goto(`${base}/datasett/${datasetId}`);
    await owner.getByRole('link', { name: 'Samtykkeinnstilling for Tilskudd 2024' }).click();
    await owner.waitForURL(/\/tabeller\/tilskudd\/samtykke$/);
    expect(await owner.locator('#column option').first().textContent()).toContain('orgnr');
    await checker.check('table consent setting');
    await owner.getByRole('button', { name: 'Del rader etter samtykke' }).click();
    await owner.waitForURL(/\/tabeller\/tilskudd\/samtykke$/);
    expect(await owner.locator('main').textContent()).toContain('Tabellen deler rader etter samtykke, etter kolonnen orgnr.');
    await checker.check('table consent setting saved');

    // The bank sees no rows and asks farm A for consent.
    current = bank;
    await bank.goto(`${base}/datasett/${datasetId}`);
    expect(await previewRows(bank)).toEqual([]);
    await checker.check('dataset page before consent (consumer)');
    await bank.getByRole('link', { name: 'Be om samtykke' }).click();
    await bank.waitForURL(/\/samtykker\/ny\?/);
    await checker.check('consent request form');
    await bank.fill('#subjectOrgnr', '12345');
    await bank.fill('#purpose', 'Kredittvurdering av gården');
    await bank.fill('#validTo', '2027-06-30');
    await bank.getByRole('button', { name: 'Send forespørselen' }).click();
    expect(await bank.locator('.ds-error-summary').textContent()).toContain('Skriv et organisasjonsnummer med 9 siffer.');
    await checker.check('consent request form with a problem');
    await bank.fill('#subjectOrgnr', FARM_A);
    await bank.getByRole('button', { name: 'Send forespørselen' }).click();
    await bank.waitForURL(/\/samtykker\/[0-9a-f-]{36}$/);
    const consentUrl = bank.url();
    expect(await bank.locator('main').textContent()).toContain('Venter på svar');
    await checker.check('consent requested (consumer)');

    // Farm A's admin finds the request and accepts it.
    current = farm;
    await farm.goto(`${base}/samtykker`);
    await checker.check('consents list (subject)');
    await farm.getByRole('link', { name: /Tilskudd 2024/ }).click();
    await farm.waitForURL(consentUrl);
    await checker.check('consent request (subject admin)');
    await farm.getByRole('button', { name: 'Godta' }).click();
    await farm.waitForURL(consentUrl);
    expect(await farm.locator('main').textContent()).toContain('Samtykket er gitt.');

    // The bank previews exactly farm A's rows.
    current = bank;
    await bank.goto(`${base}/datasett/${datasetId}`);
    const rows = await previewRows(bank);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.includes(FARM_A) && r.includes('Gard A'))).toBe(true);
    const body = (await bank.locator('main').textContent()) ?? '';
    expect(body).not.toContain('Gard B');
    expect(body).not.toContain(FARM_B);
    expect(body).toContain('Du ser bare radene til virksomheter som har gitt din virksomhet samtykke.');
    await checker.check('dataset page under consent (consumer)');

    // Farm A revokes, and its log shows every event, the use with its rows.
    current = farm;
    await farm.goto(consentUrl);
    await farm.getByRole('button', { name: 'Trekk tilbake samtykket' }).click();
    await farm.waitForURL(consentUrl);
    expect(await farm.locator('main').textContent()).toContain('Samtykket er trukket tilbake.');
    await checker.check('consent revoked (subject)');
    await farm.goto(`${base}/virksomheter/${FARM_A}/samtykkelogg`);
    const log = (await farm.locator('main').textContent()) ?? '';
    for (const word of ['Forespurt', 'Godtatt', 'Brukt', '3 rader lest', 'Trukket tilbake']) expect(log).toContain(word);
    await checker.check('consent log (subject)');

    // The bank sees none.
    current = bank;
    await bank.goto(`${base}/datasett/${datasetId}`);
    expect(await previewRows(bank)).toEqual([]);
    expect(await bank.locator('main').textContent()).not.toContain('Gard A 0');

    // At phone width the pages still work.
    await farm.setViewportSize({ width: 390, height: 800 });
    current = farm;
    await farm.goto(consentUrl);
    await checker.check('consent at 390 px');

    expect(checker.problems).toEqual([]);
  });
});
