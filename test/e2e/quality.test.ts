// Metadata quality in a real browser: an editor opens a draft dataset, sees its MQA score, rating and a hint with
// the points it adds, follows the hint into the editor (it lands on the licence field), chooses NLOD, saves, and the
// dataset page shows the score risen by exactly those points. axe-core reports no WCAG 2.1 AA violation on either
// page; the organisation page shows the average; a phone-width viewport works.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let launched: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);

const ORG = '991825827';
const PASSWORD = 'kvalitet koster lite';
let datasetId = '';

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations, catalog } = server.services;
  await organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await accounts.createUser({ email: 'redaktor@digdir.example', password: PASSWORD, name: 'Redaktør', emailVerified: true });
  await organisations.addMember(CLI_ACTOR, ORG, { email: 'redaktor@digdir.example', role: 'editor' });
  const ds = await catalog.createDataset(CLI_ACTOR, {
    orgnr: ORG,
    title: { nb: 'Ladepunkter for elbil' },
    description: { nb: 'Offentlige ladepunkter per kommune.' },
    keywords: { nb: ['elbil', 'lading'] },
    accessRights: 'PUBLIC',
    contactPoint: { email: 'data@digdir.example' },
  });
  datasetId = ds.id;
  const published = await catalog.createDataset(CLI_ACTOR, { orgnr: ORG, title: { nb: 'Publisert' }, description: { nb: 'Noe.' }, accessRights: 'PUBLIC', licence: 'http://data.norge.no/nlod/no/2.0' });
  await catalog.publishDataset(CLI_ACTOR, published.id);
  launched = await launchBrowser();
  page = launched.page;
  await page.goto(`${server.baseUrl}/logg-inn`);
  await page.fill('#email', 'redaktor@digdir.example');
  await page.fill('#password', PASSWORD);
  await page.locator('main form button[type=submit]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/logg-inn'));
}, 120_000);

afterAll(async () => {
  await launched?.close();
  await server?.stop();
});

async function score(): Promise<number> {
  const text = await page.locator('#quality strong').first().innerText();
  const m = /(\d+) av 435 poeng/.exec(text);
  if (!m) throw new Error(`no score in "${text}"`);
  return Number(m[1]);
}

describe('metadata quality', () => {
  it('shows score, rating and hints on the dataset page, and the hint leads to the field in the editor', async () => {
    await page.goto(`${server.baseUrl}/datasett/${datasetId}`);
    const section = page.locator('#quality');
    await expect(section.getByRole('heading', { name: 'Metadatakvalitet' }).count()).resolves.toBe(1);
    const before = await score();
    expect(before).toBeGreaterThan(0);
    expect(await section.locator('.ds-tag').innerText()).toMatch(/^Vurdering: (Utmerket|God|Tilstrekkelig|Mangelfull)$/);
    const hint = section.getByRole('link', { name: 'Legg til en lisens: +20 poeng' });
    await expect(hint.count()).resolves.toBe(1);
    await checker.check('dataset page with quality');

    await hint.click();
    await page.waitForURL((u) => u.pathname === `/datasett/${datasetId}/rediger` && u.hash === '#licence');
    await expect(page.locator('#licence').count()).resolves.toBe(1);
    // The editor repeats the hints, linking to its own fields: a licence (+20) and a known one (+10).
    expect(await page.locator('#quality a[href="#licence"]').allInnerTexts()).toEqual(['Legg til en lisens: +20 poeng', 'Velg en kjent lisens (NLOD, CC BY 4.0 eller CC0): +10 poeng']);
    await checker.check('editor with quality hints');

    await page.selectOption('#licence', 'http://data.norge.no/nlod/no/2.0');
    await page.locator('form.df-form button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === `/datasett/${datasetId}`);
    expect(await score()).toBe(before + 30);
    await expect(page.locator('#quality').getByRole('link', { name: /lisens/ }).count()).resolves.toBe(0);
  });

  it('shows the organisation’s average and ratings, and fits a phone', async () => {
    await page.goto(`${server.baseUrl}/virksomheter/${ORG}`);
    expect(await page.locator('#quality').innerText()).toMatch(/Gjennomsnitt for 1 publiserte datasett: \d+(,\d)? av 435 poeng/);
    await checker.check('organisation page with quality');
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${server.baseUrl}/datasett/${datasetId}`);
    const overflow = await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth');
    expect(overflow).toBe(false);
    await checker.check('dataset page at phone width');
    expect(checker.problems).toEqual([]);
  });
});
