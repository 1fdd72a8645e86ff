// The sharing wizard run from a dataset, in a real browser: an editor's dataset has a table with a column of valid
// test fødselsnummer (Skatteetaten's test cases, test/fixtures/identifiers), ingested by the real job. The wizard's
// personal-data answer is pre-filled "yes"; choosing "no legal basis" shows the stop; the answers are saved (a row in
// sharing_assessments); the dataset page and the publish confirmation warn about the stop with a link back to the step;
// publishing is still allowed; the summary's PDF downloads (%PDF, the dataset title in its text). axe finds no WCAG 2.1
// AA violations, and every page has one h1 and one main, at desktop width and at 390 px.
import fs from 'node:fs/promises';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/access/model';
import { axeViolationsWithoutJs, launchBrowser, pageChecker, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const checker = pageChecker(() => page);
const check = checker.check;

const EMAIL = 'personvern@example.no';
const PASSWORD = 'bostøtte er personopplysninger';
const ORGNR = '974760673';
const TITLE = 'Mottakere av bostøtte 2026';

/** Valid test fødselsnummer (erGyldig = true) from Skatteetaten's test cases, one per row. */
async function fnrCsv(): Promise<string> {
  const text = await fs.readFile(new URL('../fixtures/identifiers/skatteetaten_foedselsnummer_testcases.csv', import.meta.url), 'utf8');
  const valid = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[2] === 'true')
    .map((f) => f[0]);
  return `fnr;belop\n${valid.map((fnr, i) => `${fnr};${1000 + i * 250}`).join('\n')}\n`;
}

/** Text of a pdfkit PDF: inflate the content streams and decode the hex strings of the TJ operators (WinAnsi). */
function pdfText(pdf: Buffer): string {
  const s = pdf.toString('latin1');
  let text = '';
  for (const m of s.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let out: string;
    try {
      out = zlib.inflateSync(Buffer.from(m[1] ?? '', 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const tj of out.matchAll(/\[(.*?)\] TJ/g)) text += [...(tj[1] ?? '').matchAll(/<([0-9a-f]+)>/g)].map((h) => Buffer.from(h[1] ?? '', 'hex').toString('latin1')).join('') + '\n';
  }
  return text;
}

let datasetId: string;

beforeAll(async () => {
  server = await startServer();
  const { accounts, organisations, catalog, tables } = server.services;
  await accounts.createUser({ email: EMAIL, password: PASSWORD, name: 'Pia Personvern' });
  await organisations.create(CLI_ACTOR, { orgnr: ORGNR, name: 'Registerenheten i Brønnøysund' });
  await organisations.addMember(CLI_ACTOR, ORGNR, { email: EMAIL, role: 'editor' });
  const ds = await catalog.createDataset(CLI_ACTOR, {
    orgnr: ORGNR,
    title: { nb: TITLE },
    description: { nb: 'Hvem som fikk bostøtte, med fødselsnummer.' },
    licence: 'http://data.norge.no/nlod/no/2.0',
    accessRights: 'NON_PUBLIC',
    contactPoint: { email: 'data@brreg.example.no' },
  });
  datasetId = ds.id;
  const { jobId } = await tables.createTableFromFile(CLI_ACTOR, datasetId, { name: 'mottakere', filename: 'mottakere.csv', stream: Readable.from([Buffer.from(await fnrCsv())]) });
  // Wait for the ingest job (the worker runs in the server).
  for (let i = 0; i < 240; i++) {
    const job = await server.platform.dbh.db.selectFrom('jobs').select('state').where('id', '=', jobId).executeTakeFirst();
    if (job?.state === 'succeeded') break;
    if (job?.state === 'failed') throw new Error('The ingest failed');
    await new Promise((r) => setTimeout(r, 250));
  }
  const detail = await tables.listTables(CLI_ACTOR, datasetId);
  expect(detail[0]?.columns.find((c) => c.name === 'fnr')?.semanticType).toBe('fodselsnummer');
  browser = await launchBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the sharing wizard from a dataset', () => {
  it('pre-fills personal data, shows the stop, saves, warns at publishing and downloads the PDF — accessibly', async () => {
    const base = server.baseUrl;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/logg-inn`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.locator('main form button[type=submit]').click();
    await page.waitForURL('**/konto');

    // The dataset page nudges the editor to the wizard and says a table has fødselsnummer.
    await page.goto(`${base}/datasett/${datasetId}`);
    const nudge = page.locator('#assessment-warning');
    expect(await nudge.textContent()).toContain('fødselsnummer');
    await check('dataset page, not assessed');
    await nudge.getByRole('link').click();
    await page.waitForURL(`**/datasett/${datasetId}/vurdering`);
    expect(await page.locator('h1').textContent()).toBe('Kan du dele datasettet?');
    await check('overview');
    await page.getByRole('link', { name: 'Start vurderingen' }).click();
    await page.waitForURL(`**/vurdering/steg/personal_data`);

    // Step 1: "personal data: yes" is pre-filled from the fødselsnummer column.
    expect(await page.locator('#pd_present-yes').isChecked()).toBe(true);
    expect(await page.locator('#q-pd_present').textContent()).toContain('Tabellen mottakere har en kolonne med fødselsnummer');
    await check('step 1, pre-filled');
    // The pre-filled "yes" already shows the follow-up questions; leaving them empty asks again (no half-saved step).
    await page.getByRole('button', { name: 'Lagre og fortsett' }).click();
    await page.waitForSelector('.ds-error-summary');
    expect(await page.locator('.ds-error-summary').textContent()).toContain('Velg et svar');
    await check('step 1, unanswered follow-up questions');

    // "No legal basis" → the stop.
    await page.locator('#pd_art6_basis-none').check();
    await page.locator('#pd_special-no').check();
    await page.getByRole('button', { name: 'Lagre og fortsett' }).click();
    await page.waitForURL(/\/vurdering\/steg\/personal_data#stops$/);
    const stop = page.locator('#stops');
    expect(await stop.isVisible()).toBe(true);
    expect(await stop.textContent()).toMatch(/Råd:/);
    await check('step 1, stop');

    // Saved with the dataset, with the tree version, who and when.
    const rows = await server.platform.dbh.db.selectFrom('sharing_assessments').selectAll().where('dataset_id', '=', datasetId).orderBy('saved_at').execute();
    expect(rows.length).toBe(1);
    expect(JSON.parse(rows.at(-1)!.answers)).toMatchObject({ pd_present: 'yes', pd_art6_basis: 'none', pd_special: 'no', ip_licence: 'nlod' });
    expect(rows.at(-1)).toMatchObject({ tree_version: '1', stop_count: 1 });

    // The next step is reachable from the stop; the licence answer there is pre-filled from the dataset (NLOD).
    await page.getByRole('link', { name: /Neste steg/ }).click();
    await page.waitForURL('**/vurdering/steg/confidentiality');
    await check('step 2');
    await page.goto(`${base}/datasett/${datasetId}/vurdering/steg/intellectual_property`);
    expect(await page.locator('#ip_licence-nlod').isChecked()).toBe(true);
    await check('step 4, licence pre-filled');

    // The summary and the PDF.
    await page.goto(`${base}/datasett/${datasetId}/vurdering/oppsummering`);
    expect(await page.locator('main').textContent()).toContain('Inneholder dataene personopplysninger?');
    await check('summary');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned som PDF' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^delingsvurdering-mottakere-av-bostotte-2026-\d{4}-\d{2}-\d{2}\.pdf$/);
    const pdf = await fs.readFile((await download.path())!);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(2000);
    expect(pdfText(pdf)).toContain(TITLE);

    // The dataset page warns, and "publish" goes through the confirmation, which warns too and links back to the step.
    await page.goto(`${base}/datasett/${datasetId}`);
    const warning = page.locator('#assessment-warning');
    expect(await warning.textContent()).toContain('Delingsvurderingen har 1 stopp');
    await check('dataset page, warning');
    await page.goto(`${base}/datasett/${datasetId}/rediger`);
    expect(await page.locator('#assessment-warning').textContent()).toContain('1 stopp');
    await check('edit form, warning at the access level');
    await page.goto(`${base}/datasett/${datasetId}`);
    await page.locator('main .df-actions').getByRole('link', { name: 'Publiser' }).click();
    await page.waitForURL(`**/datasett/${datasetId}/publiser`);
    expect(await page.locator('#assessment-warning').textContent()).toContain('1 stopp');
    expect(await page.locator('#assessment-warning a[href*="steg/personal_data"]').count()).toBe(1);
    await check('publish confirmation');

    // The same pages at phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [label, url] of [
      ['overview', `/datasett/${datasetId}/vurdering`],
      ['step 1', `/datasett/${datasetId}/vurdering/steg/personal_data`],
      ['step 4', `/datasett/${datasetId}/vurdering/steg/intellectual_property`],
      ['summary', `/datasett/${datasetId}/vurdering/oppsummering`],
      ['dataset page', `/datasett/${datasetId}`],
      ['publish confirmation', `/datasett/${datasetId}/publiser`],
    ] as const) {
      await page.goto(`${base}${url}`);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, `${label} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
      await check(`${label} at 390 px`);
    }

    // Publishing is still allowed: the owner decides.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/datasett/${datasetId}/publiser`);
    await page.getByRole('button', { name: 'Publiser likevel' }).click();
    await page.waitForURL(`**/datasett/${datasetId}`);
    expect(await page.locator('main').textContent()).toContain('publisert');
    expect((await server.services.catalog.getDataset(CLI_ACTOR, datasetId)).state).toBe('published');
    await check('published');

    expect(checker.problems).toEqual([]);
  }, 180_000);

  it('works without JavaScript: a step is answered, saved and its stop shown by plain form posts', async () => {
    const base = server.baseUrl;
    const noJs = await browser.browser.newContext({ locale: 'nb-NO', javaScriptEnabled: false });
    const p = await noJs.newPage();
    // The scratch page that axe checks no-JS pages on must be on the server's origin to read its stylesheets.
    const scratch = await browser.context.newPage();
    await scratch.goto(`${base}/`);
    const problems: string[] = [];
    try {
      await p.goto(`${base}/logg-inn`);
      await p.fill('#email', EMAIL);
      await p.fill('#password', PASSWORD);
      await p.locator('main form button[type=submit]').click();
      await p.waitForURL('**/konto');
      await p.goto(`${base}/datasett/${datasetId}/vurdering/steg/intellectual_property`);
      await p.locator('#ip_own_rights-unsure').check();
      await p.locator('#ip_secret-no').check();
      await p.getByRole('button', { name: 'Lagre og fortsett' }).click();
      await p.waitForURL(/\/vurdering\/steg\/intellectual_property#stops$/);
      expect(await p.locator('#stops').textContent()).toMatch(/Råd:/);
      problems.push(...(await axeViolationsWithoutJs(p, scratch)));
      await p.getByRole('link', { name: /Neste steg/ }).click();
      await p.waitForURL('**/vurdering/steg/national_security');
      await p.locator('#ns_harm-no').check();
      await p.locator('#ns_classified-no').check();
      await p.getByRole('button', { name: 'Lagre og fortsett' }).click();
      await p.waitForURL('**/vurdering/steg/state_aid');
      problems.push(...(await axeViolationsWithoutJs(p, scratch)));
      const saved = (await server.services.sharingAssessments.get(CLI_ACTOR, datasetId, 'nb')).saved;
      expect(saved?.answers).toMatchObject({ ip_own_rights: 'unsure', ip_secret: 'no', ns_harm: 'no', ns_classified: 'no' });
    } finally {
      await noJs.close();
      await scratch.close();
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
