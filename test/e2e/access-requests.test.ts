// The access-request journey in a real browser (issue 7): an outsider finds a RESTRICTED dataset, follows "Søk om
// tilgang" and applies; the owner's editor sees the notification, approves with terms; the requester reads the
// agreement, accepts it and downloads the rows; the owner revokes; the next download is refused; the dataset's log page
// shows every step and the chain verifies. axe-core must report zero WCAG 2.1 AA violations on every page.
import { Readable } from 'node:stream';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let requester: Page;
let owner: Page;
let ownerContext: BrowserContext;
let current: Page;
const checker = pageChecker(() => current);
const check = async (label: string, page: Page) => {
  current = page;
  await checker.check(label);
};

const PASSWORD = 'tilgang på vilkår er bra';
const OWNER_ORG = '981544315';
const REQ_ORG = '991825827';
const MARK = 'E2EMARK5521';
let datasetId = '';

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations, catalog, tables } = server.services;
  await organisations.create(CLI_ACTOR, { orgnr: OWNER_ORG, name: 'Landbruksdirektoratet' });
  await organisations.create(CLI_ACTOR, { orgnr: REQ_ORG, name: 'Forskningsinstituttet' });
  await accounts.createUser({ email: 'eier@example.no', password: PASSWORD, name: 'Eva Eier', emailVerified: true });
  await accounts.createUser({ email: 'soker@example.no', password: PASSWORD, name: 'Sondre Søker', emailVerified: true });
  await organisations.addMember(CLI_ACTOR, OWNER_ORG, { email: 'eier@example.no', role: 'editor' });
  await organisations.addMember(CLI_ACTOR, REQ_ORG, { email: 'soker@example.no', role: 'admin' });
  const ds = await catalog.createDataset(CLI_ACTOR, {
    orgnr: OWNER_ORG,
    title: { nb: 'Produksjonstilskudd per foretak' },
    description: { nb: 'Utbetalte tilskudd per foretak.' },
    accessRights: 'RESTRICTED',
    licence: 'http://data.norge.no/nlod/no/2.0',
    contactPoint: { email: 'data@landbruk.example.no' },
  });
  datasetId = ds.id;
  await tables.createTableFromFile(CLI_ACTOR, ds.id, { name: 'tilskudd', filename: 'tilskudd.csv', stream: Readable.from([Buffer.from(`foretak;kommune;belop\n${MARK} AS;0301;1200\nGård to;4601;800\n`)]) });
  for (let i = 0; i < 120; i++) {
    const list = await tables.listTables(CLI_ACTOR, ds.id);
    if (list[0]?.currentVersion) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await catalog.publishDataset(CLI_ACTOR, ds.id);
  browser = await launchBrowser();
  requester = browser.page;
  ownerContext = await browser.browser.newContext({ locale: 'nb-NO' });
  owner = await ownerContext.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${server.baseUrl}/logg-inn`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.locator('main form button[type=submit]').click();
  await page.waitForURL('**/konto');
}

describe('access request journey', () => {
  it('request → approve with terms → accept → download → revoke → refused → audited and verified, accessibly', async () => {
    const base = server.baseUrl;
    const rowsCsv = `${base}/api/v1/datasets/${datasetId}/tables/tilskudd/rows.csv`;
    await signIn(requester, 'soker@example.no');
    await signIn(owner, 'eier@example.no');

    // The outsider meets "no access" with a way to ask.
    await requester.goto(`${base}/datasett/${datasetId}`);
    expect(await requester.locator('main').textContent()).toContain('Du har ikke tilgang til dataene i dette datasettet ennå');
    expect(await requester.locator('main').textContent()).not.toContain(MARK);
    await check('restricted dataset page (outsider)', requester);
    expect((await requester.request.get(rowsCsv)).status()).toBe(403);
    await requester.getByRole('link', { name: 'Søk om tilgang' }).first().click();
    await requester.waitForURL('**/tilgang/soknader/ny?datasett=*');
    await check('request form', requester);
    // Submitting with gaps shows the problems in bokmål.
    await requester.getByRole('button', { name: 'Send søknaden' }).click();
    await requester.waitForLoadState();
    expect(await requester.locator('.ds-error-summary').textContent()).toContain('Fyll ut feltet.');
    await check('request form with problems', requester);
    await requester.fill('#purpose', 'Forskning på tilskuddsordningenes effekt.');
    await requester.fill('#intendedUse', 'Statistiske analyser i et lukket forskningsmiljø.');
    await requester.selectOption('#art6', 'e');
    await requester.check('#table-tilskudd');
    await requester.check('#col-tilskudd-kommune');
    await requester.check('#col-tilskudd-belop');
    await requester.fill('#recipients', 'Prosjektgruppen ved instituttet.');
    await requester.fill('#periodFrom', new Date().toISOString().slice(0, 10));
    await requester.fill('#periodTo', new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10));
    await requester.fill('#deletion', 'Dataene slettes når prosjektet avsluttes.');
    await requester.getByRole('button', { name: 'Send søknaden' }).click();
    await requester.waitForURL(/\/tilgang\/soknader\/[0-9a-f-]{36}$/);
    const requestUrl = requester.url();
    expect(await requester.locator('main').textContent()).toContain('Til vurdering');
    await check('request page (requester)', requester);

    // The owner is notified, opens the request from the notification and approves with terms.
    await owner.goto(`${base}/`);
    await owner.getByRole('link', { name: 'Varsler (1)' }).click();
    await check('notifications', owner);
    await owner.getByRole('link', { name: /søker om tilgang til «Produksjonstilskudd per foretak»/ }).click();
    await owner.waitForURL(requestUrl);
    await check('request page (owner)', owner);
    await owner.fill('#terms', 'Bare aggregerte resultater publiseres. Ingen videreformidling.');
    await owner.getByRole('button', { name: 'Godkjenn med vilkårene' }).click();
    await owner.waitForURL(requestUrl);
    expect(await owner.locator('main').textContent()).toContain('Godkjent – venter på aksept');
    await owner.goto(`${base}/virksomheter/${OWNER_ORG}/tilgangssoknader`);
    await check('owner queue', owner);

    // The requester reads the agreement and accepts it; the rows can be downloaded.
    await requester.goto(requestUrl);
    await requester.getByRole('link', { name: /Les avtalen/ }).click();
    await requester.waitForURL('**/tilgang/avtaler/*');
    const agreement = (await requester.locator('main').textContent()) ?? '';
    for (const s of ['Datadelingsavtale', OWNER_ORG, REQ_ORG, 'Bare aggregerte resultater publiseres', 'tilskudd: kommune, belop']) expect(agreement).toContain(s);
    await check('agreement page', requester);
    const pdfHref = await requester.getByRole('link', { name: 'Last ned som PDF' }).getAttribute('href');
    expect((await requester.request.get(`${base}${pdfHref}`)).headers()['content-type']).toBe('application/pdf');
    const grantUrl = requester.url();
    await requester.goto(requestUrl);
    await requester.getByRole('button', { name: 'Aksepter avtalen' }).click();
    await requester.waitForURL(requestUrl);
    expect(await requester.locator('main').textContent()).toContain('Avtale inngått');
    const download = await requester.request.get(rowsCsv);
    expect(download.status()).toBe(200);
    expect(await download.text()).toContain(MARK);
    await requester.goto(`${base}/datasett/${datasetId}`);
    expect(await requester.locator('main').textContent()).toContain(MARK);
    await check('dataset page with the grant', requester);

    // The owner revokes; the next download is refused.
    await owner.goto(grantUrl);
    await check('agreement page (owner)', owner);
    await owner.fill('#reason', 'Prosjektet er avsluttet.');
    await owner.getByRole('button', { name: 'Tilbakekall tilgangen' }).click();
    await owner.waitForURL(grantUrl);
    expect(await owner.locator('main').textContent()).toContain('Tilbakekalt');
    expect((await requester.request.get(rowsCsv)).status()).toBe(403);

    // The log shows each step, and the chain verifies.
    await owner.goto(`${base}/datasett/${datasetId}`);
    await owner.getByRole('link', { name: 'Logg og bruk' }).click();
    await owner.waitForURL(`**/datasett/${datasetId}/logg`);
    const log = (await owner.locator('main').textContent()) ?? '';
    expect(log).toContain('Loggkjeden er hel');
    for (const step of ['access_request.submit', 'access_request.approve', 'grant.accept', 'table.read', 'grant.revoke', 'table.read.denied']) expect(log, step).toContain(step);
    await check('audit log page', owner);
    const csv = await owner.request.get(`${base}/datasett/${datasetId}/logg.csv`);
    expect(await csv.text()).toContain('grant.revoke');
    expect((await server.services.auditLog.verify()).ok).toBe(true);

    expect(checker.problems).toEqual([]);
  }, 180_000);
});
