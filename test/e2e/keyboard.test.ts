// Keyboard use, page structure and pages without JavaScript, in a real browser against the seeded demo catalogue:
// - on the front page the first Tab reaches the skip link, Enter moves focus to <main>, the next Tab stays inside it;
// - every page a reader or an editor visits has exactly one h1 and one main landmark (and passes axe WCAG 2.1 AA);
// - with JavaScript turned off, the dataset list's search and filters and the organisation pages (search, open one,
//   add and remove a member as its admin) all work through plain HTML forms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { axeViolationsWithoutJs, launchBrowser, pageChecker, startServer, structureProblems, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let restrictedId = '';
let ssbDatasetId = '';
const checker = pageChecker(() => page);
const check = checker.check;

const ADMIN = { email: 'admin.digdir@example.no', password: 'tastaturet holder hele veien', name: 'Ada Admin' };
const COLLEAGUE = { email: 'kollega@example.no', password: 'en kollega med egen konto', name: 'Kari Kollega' };
const DIGDIR = '991825827'; // seeded publisher without datasets
const SSB = '971526920';

beforeAll(async () => {
  server = await startServer({ seed: true });
  const { accounts, organisations, catalog } = server.services;
  await accounts.createUser(ADMIN);
  await accounts.createUser(COLLEAGUE);
  await organisations.addMember(CLI_ACTOR, DIGDIR, { email: ADMIN.email, role: 'admin' });
  const restricted = await catalog.createDataset(CLI_ACTOR, {
    orgnr: DIGDIR,
    title: { nb: 'Testdatasett med begrenset tilgang' },
    description: { nb: 'Et datasett som bare finnes i denne testen, for å prøve filteret på tilgang.' },
    accessRights: 'RESTRICTED',
    contactPoint: { email: 'data@example.no' },
  });
  await catalog.publishDataset(CLI_ACTOR, restricted.id);
  restrictedId = restricted.id;
  const ssb = await catalog.listDatasets(CLI_ACTOR, { orgnr: SSB, limit: 10, offset: 0 });
  ssbDatasetId = ssb.items.find((d) => d.title.nb === 'Standard for kommuneinndeling 2024')?.id ?? '';
  expect(ssbDatasetId).not.toBe('');
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Evaluated in the browser (a string, as this project's TypeScript has no DOM types).
const activeElement = (p: Page) =>
  p.evaluate<{ tag: string; id: string; text: string; inMain: boolean }>(`(() => {
    const el = document.activeElement;
    return { tag: el ? el.tagName.toLowerCase() : '', id: el ? el.id : '', text: el ? el.textContent.trim() : '', inMain: Boolean(el && el.closest('main')) };
  })()`);

async function signIn(p: Page, who: { email: string; password: string }): Promise<void> {
  await p.goto(`${server.baseUrl}/logg-inn`);
  await p.fill('#email', who.email);
  await p.fill('#password', who.password);
  await p.locator('main form button[type=submit]').click();
  await p.waitForURL('**/konto');
}

/** The list's item titles (the h2 links), in order. */
// Search hits are h3 under the results' h2 (src/search/pages.tsx).
const listedTitles = async (p: Page) => (await p.locator('main ul li h3').allTextContents()).map((s) => s.trim());

describe('keyboard and structure', () => {
  it('skips to the main content from the first Tab on the front page', async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.keyboard.press('Tab');
    const first = await activeElement(page);
    expect(first).toMatchObject({ tag: 'a', text: 'Hopp til hovedinnhold' });
    // The focused skip link is actually visible, not parked off-screen.
    const box = await page.locator('a.ds-skip-link').boundingBox();
    expect(box && box.width > 1 && box.height > 1 && box.y >= 0 && box.x >= 0).toBe(true);
    await check('front page with the skip link focused');

    await page.keyboard.press('Enter');
    // Following the link is a same-document navigation the browser finishes after the key press returns: wait for it.
    await page.waitForURL(/#main$/, { timeout: 5000 });
    await expect.poll(() => activeElement(page), { timeout: 5000 }).toMatchObject({ tag: 'main', id: 'main' });
    await page.keyboard.press('Tab');
    expect((await activeElement(page)).inMain).toBe(true);
  });

  it('gives every page one h1 and one main landmark, for readers and editors', async () => {
    const base = server.baseUrl;
    const anonymous = [
      '/',
      '/datasett',
      '/datasett?q=kommune',
      `/datasett/${ssbDatasetId}`,
      `/datasett/${restrictedId}`,
      '/virksomheter',
      `/virksomheter/${SSB}`,
      '/logg-inn',
      '/registrer',
      '/api',
      '/finnes-ikke',
      '/datasett/00000000-0000-4000-8000-000000000000',
    ];
    for (const path of anonymous) {
      await page.goto(`${base}${path}`);
      await check(`anonymous ${path}`);
    }

    await signIn(page, ADMIN);
    const editor = [
      '/konto',
      '/konto/passord',
      '/konto/tokens',
      '/virksomheter/ny',
      `/virksomheter/${DIGDIR}`,
      `/datasett?org=${DIGDIR}`,
      `/datasett/ny?org=${DIGDIR}`,
      `/datasett/${restrictedId}`,
      `/datasett/${restrictedId}/rediger`,
      `/datasett/${restrictedId}/tabeller/ny`,
      `/datasett/${ssbDatasetId}`,
    ];
    for (const path of editor) {
      await page.goto(`${base}${path}`);
      expect(page.url(), `${path} should not redirect`).toBe(`${base}${path}`);
      await check(`editor ${path}`);
    }
    // The same frame in the other languages.
    for (const lang of ['nn', 'en']) {
      await page.goto(`${base}/sprak?lang=${lang}&next=${encodeURIComponent(`/virksomheter/${DIGDIR}`)}`);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      await check(`editor organisation page in ${lang}`);
    }
    await page.goto(`${base}/sprak?lang=nb&next=%2F`);

    expect(checker.problems).toEqual([]);
  });
});

describe('without JavaScript', () => {
  let context: BrowserContext;
  let noJs: Page;
  const noJsProblems: string[] = [];

  /** axe (on the same HTML in the scripting page) and the structure rules for the no-JS page's current state. */
  async function check(label: string): Promise<void> {
    const found = [...(await axeViolationsWithoutJs(noJs, browser.page)), ...(await structureProblems(noJs))];
    noJsProblems.push(...found.map((v) => `[${label}] ${v}`));
  }

  beforeAll(async () => {
    context = await browser.browser.newContext({ locale: 'nb-NO', javaScriptEnabled: false });
    noJs = await context.newPage();
    noJs.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await context?.close();
  });

  it('searches and filters the dataset list with plain forms', async () => {
    const base = server.baseUrl;
    await noJs.goto(`${base}/datasett`);
    const all = await listedTitles(noJs);
    expect(all).toContain('Pristilskudd til jordbruksforetak 2022');
    await check('no-JS dataset list');

    // Filter by publisher: a facet checkbox and "Bruk filter" (one GET form).
    await noJs.check(`input[name=utgiver][value="${SSB}"]`);
    await noJs.getByRole('button', { name: 'Bruk filter' }).click();
    await noJs.waitForURL(new RegExp(`utgiver=${SSB}`));
    expect((await listedTitles(noJs)).sort()).toEqual(['Standard for fylkesinndeling 2024', 'Standard for kommuneinndeling 2024']);
    expect(await noJs.isChecked(`input[name=utgiver][value="${SSB}"]`)).toBe(true);
    expect(await noJs.getByRole('status').textContent()).toBe('2 datasett');
    await check('no-JS list filtered by publisher');

    // Add a search word with Enter in the search field: the filter stays.
    await noJs.fill('#q', 'fylker');
    await noJs.press('#q', 'Enter');
    await noJs.waitForURL(/q=fylker/);
    expect(noJs.url()).toContain(`utgiver=${SSB}`);
    expect(await listedTitles(noJs)).toEqual(['Standard for fylkesinndeling 2024']);
    await check('no-JS list searched within a publisher');

    // Filter by access rights across all publishers.
    await noJs.fill('#q', '');
    await noJs.uncheck(`input[name=utgiver][value="${SSB}"]`);
    await noJs.getByRole('button', { name: 'Bruk filter' }).click();
    await noJs.waitForURL((u) => !u.search.includes('utgiver='));
    // Facets count within the current hits, so the access values of every publisher show again only now.
    await noJs.check('input[name=tilgang][value="RESTRICTED"]');
    await noJs.getByRole('button', { name: 'Bruk filter' }).click();
    await noJs.waitForURL(/tilgang=RESTRICTED/);
    expect(await listedTitles(noJs)).toEqual(['Testdatasett med begrenset tilgang']);
    await check('no-JS list filtered by access rights');

    // A search with no hits says so.
    await noJs.goto(`${base}/datasett?q=finnesikkeiheletatt`);
    expect(await noJs.locator('main').textContent()).toContain('Ingen datasett passer søket.');
    await check('no-JS list with no hits');
  });

  it('finds an organisation and lets its admin add and remove a member with plain forms', async () => {
    const base = server.baseUrl;
    await noJs.goto(`${base}/virksomheter`);
    await noJs.fill('#q', 'statistisk');
    await noJs.press('#q', 'Enter');
    await noJs.waitForURL(/q=statistisk/);
    expect(await noJs.getByRole('status').textContent()).toBe('1 virksomheter');
    await check('no-JS organisation search');
    await noJs.getByRole('link', { name: 'Statistisk sentralbyrå' }).click();
    await noJs.waitForURL(`**/virksomheter/${SSB}`);
    expect(await noJs.locator('#datasets-heading + ul').textContent()).toContain('Standard for kommuneinndeling 2024');
    await check('no-JS organisation page');

    // The admin adds a colleague, then removes them again.
    await signIn(noJs, ADMIN);
    await noJs.goto(`${base}/virksomheter/${DIGDIR}`);
    await noJs.fill('#email', COLLEAGUE.email);
    await noJs.selectOption('#role', 'member');
    await noJs.getByRole('button', { name: 'Legg til', exact: true }).click();
    await noJs.waitForURL(`**/virksomheter/${DIGDIR}`);
    const members = noJs.locator('#members table');
    expect(await members.textContent()).toContain(COLLEAGUE.email);
    await check('no-JS organisation page with a new member');

    // A user without an account: a clear error, the input kept.
    await noJs.fill('#email', 'finnes.ikke@example.no');
    await noJs.getByRole('button', { name: 'Legg til', exact: true }).click();
    await noJs.waitForLoadState();
    expect(await noJs.getAttribute('#email', 'aria-invalid')).toBe('true');
    expect(await noJs.inputValue('#email')).toBe('finnes.ikke@example.no');
    await check('no-JS add-member error');

    await noJs.getByRole('button', { name: `Fjern ${COLLEAGUE.name}` }).click();
    await noJs.waitForURL(`**/virksomheter/${DIGDIR}`);
    expect(await members.textContent()).not.toContain(COLLEAGUE.email);
    expect(await members.textContent()).toContain(ADMIN.email);
    await check('no-JS organisation page after removing the member');

    expect(noJsProblems).toEqual([]);
  });
});
