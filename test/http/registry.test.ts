// Organisations checked against Enhetsregisteret through the real app, with REGISTRY_URL pointing at a loopback server
// that replays recorded API responses (test/helpers/brreg-server.ts): official data wins over the claimant's, deleted
// and unknown numbers are refused with a clear 422 (translated on the form), and a failing registry never blocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRREG, startBrregServer, type BrregServer } from '../helpers/brreg-server';
import { bearerFor, createTestApp, signIn, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

let brreg: BrregServer;
let t: TestApp;
let kari: SignedIn;
let kariToken: string;
let opToken: string;
let operator: SignedIn;
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

function form(who: SignedIn, fields: Record<string, string>) {
  const body = new URLSearchParams({ _csrf: who.csrf, ...fields });
  return { headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() };
}

beforeAll(async () => {
  brreg = await startBrregServer();
  t = await createTestApp({ env: { REGISTRY_URL: `${brreg.url}/` } });
  kari = await signUpAndSignIn(t.app, { email: 'kari@example.no', password: 'correct horse battery', name: 'Kari' });
  kariToken = await bearerFor(t.services, 'kari@example.no');
  await t.services.accounts.createUser({ email: 'op@example.no', password: 'correct horse battery', name: 'Operatør', isOperator: true });
  opToken = await bearerFor(t.services, 'op@example.no');
  operator = await signIn(t.app, { email: 'op@example.no', password: 'correct horse battery' });
});
afterAll(async () => {
  await t?.close();
  await brreg?.close();
});

const post = (token: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: json(token), payload });

describe('registration checked against Enhetsregisteret', () => {
  it('takes the official name, form and municipality from the registry, not from the claimant', async () => {
    const res = await post(kariToken, { orgnr: BRREG.digdir, name: 'Equinor ASA', orgForm: 'ASA', municipality: '4601' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'DIGITALISERINGSDIREKTORATET',
      orgForm: 'ORGL',
      municipality: '0301',
      municipalityName: 'Oslo',
      status: 'pending',
      registry: { source: 'api', status: 'active', checkedAt: expect.any(String) },
    });
    const unit = await t.db.selectFrom('registry_units').selectAll().where('orgnr', '=', BRREG.digdir).executeTakeFirst();
    expect(unit).toMatchObject({ name: 'DIGITALISERINGSDIREKTORATET', source: 'api', kind: 'enhet', parent_orgnr: '972417858' });
    expect(brreg.requests).toContain(`/enheter/${BRREG.digdir}`);
  });

  it('needs no name when the registry answers, and accepts an underenhet number', async () => {
    const ha = await post(kariToken, { orgnr: BRREG.haKommune });
    expect(ha.statusCode).toBe(201);
    expect(ha.json()).toMatchObject({ name: 'HÅ KOMMUNE', orgForm: 'KOMM', municipality: '1119' });
    const sub = await post(kariToken, { orgnr: BRREG.underenhet });
    expect(sub.statusCode).toBe(201);
    expect(sub.json()).toMatchObject({ orgForm: 'BEDR', municipality: '1813', registry: { status: 'active' } });
  });

  it('refuses deleted (410 Gone, slettedato) and unknown (404) numbers with a clear 422', async () => {
    for (const [orgnr, code, message] of [
      [BRREG.gone, 'orgnr_deleted', /deleted \(2023-05-02\)/],
      [BRREG.deletedRecord, 'orgnr_deleted', /deleted \(2024-01-15\)/],
      [BRREG.unknown, 'orgnr_unknown', /no unit/],
    ] as const) {
      const res = await post(kariToken, { orgnr, name: 'Noe AS' });
      expect(res.statusCode, orgnr).toBe(422);
      expect(res.json().error.details.problems).toEqual([expect.objectContaining({ field: '/orgnr', code, message: expect.stringMatching(message) })]);
    }
    expect(await t.db.selectFrom('organizations').select('orgnr').where('orgnr', 'in', [BRREG.gone, BRREG.deletedRecord, BRREG.unknown]).execute()).toEqual([]);
  });

  it('the form shows the refusal in the reader’s language and keeps the input', async () => {
    const nb = await t.app.inject({ method: 'POST', url: '/virksomheter/ny', ...form(kari, { orgnr: BRREG.unknown, name: 'Oppdiktet AS' }) });
    expect(nb.statusCode).toBe(422);
    expect(nb.body).toContain('Enhetsregisteret kjenner ikke dette organisasjonsnummeret.');
    expect(nb.body).toContain(`value="${BRREG.unknown}"`);
    expect(nb.body).toContain('value="Oppdiktet AS"');
    const nn = await t.app.inject({ method: 'POST', url: '/virksomheter/ny?lang=nn', ...form(kari, { orgnr: BRREG.gone, name: 'Borte AS' }) });
    expect(nn.body).toContain('Organisasjonsnummeret er sletta i Einingsregisteret og kan ikkje registrerast.');
    const en = await t.app.inject({ method: 'POST', url: '/virksomheter/ny?lang=en', ...form(kari, { orgnr: BRREG.gone, name: 'Borte AS' }) });
    expect(en.body).toContain('This organisation number has been deleted from Enhetsregisteret');
  });

  it('a failing registry (500, malformed, oversized) never blocks: created "not checked", the name then required', async () => {
    const noName = await post(kariToken, { orgnr: BRREG.serverError });
    expect(noName.statusCode).toBe(422);
    expect(noName.json().error.details.problems).toEqual([expect.objectContaining({ field: '/name', code: 'required' })]);
    for (const orgnr of [BRREG.serverError, BRREG.malformed, BRREG.huge]) {
      const res = await post(kariToken, { orgnr, name: `Navngitt ${orgnr}` });
      expect(res.statusCode, orgnr).toBe(201);
      expect(res.json()).toMatchObject({ name: `Navngitt ${orgnr}`, status: 'pending', registry: { checkedAt: null } });
    }
    const recheck = await t.app.inject({ method: 'POST', url: `/api/v1/organizations/${BRREG.serverError}/recheck`, headers: { authorization: `Bearer ${opToken}` } });
    expect(recheck.json()).toMatchObject({ outcome: 'unchecked', reason: 'http_500' });
  });

  it('an operator’s registration is approved at once, with no claim', async () => {
    const res = await post(opToken, { orgnr: BRREG.rogaland });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'ROGALAND FYLKESKOMMUNE', status: 'approved', claimedAt: null, decidedAt: expect.any(String) });
  });

  it('the operator page shows the registry record beside the claim', async () => {
    const page = await t.app.inject({ url: '/operator/virksomheter', headers: { cookie: operator.cookie } });
    expect(page.statusCode).toBe(200);
    const section = page.body.slice(page.body.indexOf(`id="claim-${BRREG.digdir}"`));
    expect(section).toContain('Equinor ASA'); // the claim as typed
    expect(section).toContain('DIGITALISERINGSDIREKTORATET');
    expect(section).toContain('ORGL');
    expect(section).toContain('Oslo (0301)');
    expect(section).toContain('Aktiv');
    expect(section).toContain('kari@example.no');
  });
});
