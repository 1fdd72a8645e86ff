// The column profile in a real browser (issue 9.4, 10.2): an editor uploads a Norwegian CSV (';', decimal comma with
// space thousands, kommunenummer with leading zeros, dates, a category) through the upload page, waits for the ingest
// and sees on the dataset page the profile table (numbers as a bokmål reader writes them), a histogram, a timeline and
// a bar chart of the most frequent values as SVG with a title, and the chart's numbers behind a <details> — with zero
// axe WCAG 2.1 AA violations, at desktop width and at 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { launchBrowser, pageChecker, startServer, type RunningServer, createDatasetWithForm, signInWithForm } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'profil@example.no';
const PASSWORD = 'kolonneprofil er nyttig';
const ORGNR = '974760673';

function csv(): string {
  const lines = ['komnr;dato;kategori;belop'];
  for (let i = 0; i < 40; i++) {
    lines.push(`${i % 2 ? '0301' : '4601'};2024-0${1 + (i % 4)}-01;${['Melk', 'Kjøtt', 'Egg'][i % 3]};${i === 0 ? '1 316 303,34' : `${i},25`}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations } = server.services;
  await accounts.createUser({ email: EMAIL, password: PASSWORD, name: 'Pia Profil' });
  await organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Registerenheten i Brønnøysund' });
  await organisations.addMember(CLI_ACTOR, ORGNR, { email: EMAIL, role: 'editor' });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('column profile', () => {
  it('uploads a CSV and sees the profile and its charts, accessibly', async () => {
    const base = server.baseUrl;
    await signInWithForm(page, base, EMAIL, PASSWORD);

    const datasetUrl = await createDatasetWithForm(page, base, ORGNR, { title: 'Tilskudd med profil', description: 'Tilskudd per kommune og måned.' });

    await page.getByRole('link', { name: 'Last opp en tabell' }).click();
    await page.waitForURL(/\/tabeller\/ny$/);
    await page.fill('#name', 'tilskudd');
    await page.setInputFiles('#file', { name: 'tilskudd.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(), 'utf8') });
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL(`${datasetUrl}/tabeller/tilskudd/innlesing`);
    for (let i = 0; i < 120; i++) {
      const text = (await page.locator('#ingest-status').textContent().catch(() => '')) ?? '';
      if (/lest inn:|feilet/.test(text) && !(await page.locator('#ingest-status[data-job-url]').count())) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await page.locator('#ingest-status').textContent()).toContain('Versjon 1 er lest inn: 40 rader.');

    await page.goto(datasetUrl);
    const profile = page.locator('section.df-profile');
    await expect(profile.getByRole('heading', { name: 'Kolonneprofil' }).count()).resolves.toBe(1);
    const stats = profile.getByRole('region', { name: 'Profil av kolonnene i tilskudd' });
    const belop = (await stats.locator('tr', { has: page.locator('th code:text-is("belop")') }).locator('td').allTextContents()).map((s) => s.trim());
    expect(belop[3]).toBe('1\u00a0316\u00a0303,34'); // max, as bokmål writes it
    const komnr = (await stats.locator('tr', { has: page.locator('th code:text-is("komnr")') }).textContent()) ?? '';
    expect(komnr).toContain('0301');
    expect(komnr).toContain('Kommunenummer');

    const charts = profile.locator('figure.df-chart svg[role=img]');
    expect(await charts.count()).toBe(4); // komnr and kategori: top values
    expect(await profile.getByRole('img', { name: /Fordeling av belop/ }).count()).toBe(1);
    expect(await profile.getByRole('img', { name: /Tidslinje for dato/ }).count()).toBe(1);
    expect(await profile.getByRole('img', { name: /De 3 vanligste verdiene i kategori/ }).count()).toBe(1);
    expect(await profile.getByRole('img', { name: /De 2 vanligste verdiene i komnr/ }).count()).toBe(1);
    expect(await profile.locator('figure.df-chart-histogram rect.df-chart-bar').count()).toBe(20);
    // The text alternative: the chart's numbers, opened without JavaScript.
    const timeline = profile.locator('figure.df-chart-timeline');
    await timeline.locator('summary').click();
    const months = await timeline.locator('tbody th').allTextContents();
    expect(months).toEqual(['2024-01', '2024-02', '2024-03', '2024-04']);
    await check('dataset page with the column profile and charts');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const box = await profile.locator('figure.df-chart svg').first().boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await check('dataset page with the column profile at 390 px');
    expect(checker.problems).toEqual([]);
  });
});
