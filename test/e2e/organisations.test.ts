// Claiming an organisation and the operator's review, in a real browser: a user registers an organisation with
// JavaScript turned off (errors keep the input), sees it "awaiting approval" and "not checked against Enhetsregisteret";
// the operator rejects it on the operator page — first without a reason (the error keeps the form), then with one —
// and the claimant sees the reason. axe-core checks WCAG 2.1 AA on every state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { axeViolations, axeViolationsWithoutJs, launchBrowser, startServer, structureProblems, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let noJsContext: BrowserContext;
let noJs: Page;
const problems: string[] = [];

const USER = { email: 'siri@example.no', password: 'et passord som holder', name: 'Siri Søker' };
const OPERATOR = { email: 'ola.operator@example.no', password: 'operatøren sier nei med grunn', name: 'Ola Operatør' };

async function checkNoJs(label: string): Promise<void> {
  const found = [...(await axeViolationsWithoutJs(noJs, browser.page)), ...(await structureProblems(noJs))];
  problems.push(...found.map((v) => `[${label}] ${v}`));
}

async function check(page: Page, label: string): Promise<void> {
  const found = [...(await axeViolations(page)), ...(await structureProblems(page))];
  problems.push(...found.map((v) => `[${label}] ${v}`));
}

async function signIn(p: Page, who: { email: string; password: string }): Promise<void> {
  await p.fill('#email', who.email);
  await p.fill('#password', who.password);
  await p.locator('main form button[type=submit]').last().click();
  await p.waitForLoadState();
}

beforeAll(async () => {
  server = await startServer();
  await server.services.accounts.createUser(USER);
  await server.services.accounts.createUser({ ...OPERATOR, isOperator: true });
  browser = await launchBrowser();
  noJsContext = await browser.browser.newContext({ locale: 'nb-NO', javaScriptEnabled: false });
  noJs = await noJsContext.newPage();
  // The scratch page that axe checks no-JS pages on must be on the server's origin to read its stylesheets.
  await browser.page.goto(`${server.baseUrl}/`);
});

afterAll(async () => {
  await noJsContext?.close();
  await browser?.close();
  await server?.stop();
});

describe('claim and review', () => {
  it('registers without JavaScript, then the operator rejects with a reason the claimant sees — accessibly', async () => {
    const base = server.baseUrl;
    await noJs.goto(`${base}/virksomheter/ny`);
    await noJs.waitForURL('**/logg-inn?next=*');
    await signIn(noJs, USER);
    await noJs.waitForURL('**/virksomheter/ny');
    await checkNoJs('registration form');

    // Registry off (no network): the name is then needed; the error keeps what was typed.
    await noJs.fill('#orgnr', '961 181 399');
    await noJs.fill('#homepage', 'https://www.arkivverket.no');
    await noJs.locator('main form button[type=submit]').click();
    await noJs.waitForLoadState();
    expect(await noJs.locator('.ds-error-summary').textContent()).toContain('Må fylles ut.');
    expect(await noJs.inputValue('#orgnr')).toBe('961 181 399');
    expect(await noJs.inputValue('#homepage')).toBe('https://www.arkivverket.no');
    await checkNoJs('registration form with errors');
    await noJs.fill('#name', 'Arkivverket');
    await noJs.locator('main form button[type=submit]').click();
    await noJs.waitForURL('**/virksomheter/961181399');
    const main = await noJs.locator('main').textContent();
    expect(main).toContain('Venter på godkjenning');
    expect(main).toContain('Ikke sjekket mot Enhetsregisteret');
    expect(main).toContain('Registreringen venter på at en operatør godkjenner den.');
    await checkNoJs('pending organisation page');

    // The operator, with JavaScript, on the review page.
    const opContext = await browser.browser.newContext({ locale: 'nb-NO' });
    const op = await opContext.newPage();
    await op.goto(`${base}/logg-inn`);
    await signIn(op, OPERATOR);
    await op.goto(`${base}/virksomheter`);
    await op.getByRole('link', { name: 'Registreringer som venter på godkjenning (1)' }).click();
    await op.waitForURL('**/operator/virksomheter');
    await check(op, 'operator page');
    const claim = op.getByRole('region', { name: 'Arkivverket (961181399)' });
    expect(await claim.textContent()).toContain(USER.email);
    await claim.getByRole('button', { name: 'Avvis Arkivverket' }).click();
    await op.waitForLoadState();
    expect(await op.locator('.ds-error-summary').textContent()).toContain('Skriv en begrunnelse.');
    await check(op, 'operator page with a missing reason');
    await op.fill('#reason-961181399', 'Vi fikk ikke bekreftet at du representerer Arkivverket.');
    await op.getByRole('button', { name: 'Avvis Arkivverket' }).click();
    await op.waitForURL('**/operator/virksomheter?done=rejected');
    expect(await op.locator('main').textContent()).toContain('Ingen registreringer venter.');
    await check(op, 'operator page after rejecting');
    await opContext.close();

    await noJs.goto(`${base}/virksomheter/961181399`);
    const after = await noJs.locator('main').textContent();
    expect(after).toContain('Avvist');
    expect(after).toContain('Begrunnelse: Vi fikk ikke bekreftet at du representerer Arkivverket.');
    await checkNoJs('rejected organisation page');

    expect(problems).toEqual([]);
  });
});
