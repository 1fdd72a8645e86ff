// The competence pages in a real browser: a reader filters the list by target group (a plain GET form) and opens a
// guide rendered from markdown; the operator edits that guide, previews it, saves, and the public page shows the
// change. axe-core checks WCAG 2.1 AA on the list, a guide, the news page and the operator pages, at desktop width
// and at 390 px.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createCompetenceService } from '../../src/competence/service';
import { axeViolations, launchBrowser, startServer, structureProblems, type RunningServer } from './harness';

const FIXTURES = path.resolve(__dirname, '../fixtures/content');
const OPERATOR = { email: 'olga.operator@example.no', password: 'operatøren skriver veiledninger', name: 'Olga Operatør' };

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let phoneContext: BrowserContext;
let phone: Page;
const problems: string[] = [];

async function check(label: string, url: string): Promise<void> {
  for (const [p, width] of [
    [browser.page, 'desktop'],
    [phone, '390 px'],
  ] as const) {
    if (p.url() !== url) await p.goto(url);
    const found = [...(await axeViolations(p)), ...(await structureProblems(p))];
    // No sideways scrolling on a phone.
    if (width === '390 px') {
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      if (overflow > 0) found.push(`${url} scrolls sideways by ${overflow}px at 390 px`);
    }
    problems.push(...found.map((v) => `[${label}, ${width}] ${v}`));
  }
}

beforeAll(async () => {
  server = await startServer();
  // Pages read services.competence per request: serve the fixtures, not the repository's content/.
  Object.assign(server.services, { competence: createCompetenceService({ db: server.platform.dbh.db, contentDir: FIXTURES }) });
  await server.services.accounts.createUser({ ...OPERATOR, isOperator: true });
  browser = await launchBrowser();
  phoneContext = await browser.browser.newContext({ locale: 'nb-NO', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  phone = await phoneContext.newPage();
});

afterAll(async () => {
  await phoneContext?.close();
  await browser?.close();
  await server?.stop();
});

describe('competence pages', () => {
  it('filters by target group, opens a guide, and the operator edits it — accessibly at both widths', async () => {
    const base = server.baseUrl;
    const page = browser.page;

    await page.goto(`${base}/kompetanse`);
    await check('list', `${base}/kompetanse`);
    await expect(page.locator('main h2').count()).resolves.toBe(3);
    await page.getByLabel('Databrukere (2)').check();
    await page.getByRole('button', { name: 'Vis treff' }).click();
    await page.waitForURL('**/kompetanse?audience=consumer*');
    expect(await page.locator('main h2').allTextContents()).toEqual(['Bruk API-et fra Python', 'Datadeling i praksis']);
    await check('filtered list', page.url());

    await page.getByRole('link', { name: 'Bruk API-et fra Python' }).click();
    await page.waitForURL('**/kompetanse/bruk-api');
    expect(await page.locator('main pre code').textContent()).toContain('import requests');
    await check('guide', page.url());

    await page.goto(`${base}/kompetanse/eksternt-kurs`);
    expect(await page.locator('a[data-external="true"]').getAttribute('rel')).toBe('noopener noreferrer');

    await page.goto(`${base}/kompetanse/nyheter`);
    expect(await page.locator('link[rel="alternate"][type="application/atom+xml"]').getAttribute('href')).toBe('/kompetanse/nyheter.atom');
    await check('news', page.url());
    // The feed is well-formed XML in the Atom namespace (the browser's own parser).
    const feed = await page.evaluate<{ ns: string | null; entries: number; error: number }>(`fetch('/kompetanse/nyheter.atom').then((r) => r.text()).then((x) => {
      const d = new DOMParser().parseFromString(x, 'application/xml');
      return { ns: d.documentElement.namespaceURI, entries: d.getElementsByTagName('entry').length, error: d.getElementsByTagName('parsererror').length };
    })`);
    expect(feed).toEqual({ ns: 'http://www.w3.org/2005/Atom', entries: 1, error: 0 });

    // The operator signs in and edits the guide.
    await page.goto(`${base}/logg-inn?next=${encodeURIComponent('/operator/innhold/test-guide/nb')}`);
    await page.fill('#email', OPERATOR.email);
    await page.fill('#password', OPERATOR.password);
    await page.locator('main form button[type=submit]').last().click();
    await page.waitForURL('**/operator/innhold/test-guide/nb');
    await phoneContext.addCookies(await browser.context.cookies());
    await check('operator edit', page.url());
    await page.fill('#title', 'Testveiledning, oppdatert av operatøren');
    await page.fill('#body', '## Nytt avsnitt\n\nDette er **endret** tekst.\n\n<script>document.title = "hacked"</script>');
    await page.getByRole('button', { name: 'Forhåndsvis' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#preview h2#nytt-avsnitt').textContent()).toBe('Nytt avsnitt');
    expect(await page.locator('#preview script').count()).toBe(0);
    expect(await page.inputValue('#title')).toBe('Testveiledning, oppdatert av operatøren');
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.waitForURL('**/operator/innhold/test-guide/nb?done=saved');
    expect(await page.locator('[role=status]').first().textContent()).toContain('Innholdet er lagret.');

    await page.goto(`${base}/operator/innhold`);
    await check('operator list', page.url());

    await page.goto(`${base}/kompetanse/test-guide`);
    expect(await page.locator('h1').textContent()).toBe('Testveiledning, oppdatert av operatøren');
    expect(await page.locator('main strong').first().textContent()).toBe('endret');
    expect(await page.title()).not.toBe('hacked');

    expect(problems).toEqual([]);
  });

  it('every page of the repository content passes axe and fits a phone', async () => {
    const real = createCompetenceService({ db: server.platform.dbh.db });
    Object.assign(server.services, { competence: real });
    const ids = [...new Set([...real.repoItems().values()].map((i) => i.id))];
    expect(ids.length).toBeGreaterThan(5);
    await check('real list', `${server.baseUrl}/kompetanse`);
    await check('real news', `${server.baseUrl}/kompetanse/nyheter`);
    for (const id of ids) {
      await check(`real ${id}`, `${server.baseUrl}/kompetanse/${id}`);
      await check(`real ${id} en`, `${server.baseUrl}/kompetanse/${id}?lang=en`);
    }
    expect(problems).toEqual([]);
  });
});
