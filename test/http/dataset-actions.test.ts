// The dataset page's publish and archive actions as a person meets them without JavaScript: archiving asks on a page of
// its own (GET) that explains what happens and holds the real POST form; both actions say afterwards that they worked
// (a one-time notice with role="status"). Walked unauthenticated → invalid (no CSRF) → forbidden → not found → success.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/access/model';
import { cookieHeader, createTestApp, FORM_HEADERS, form, setCookieLine, setCookies, signUpAndSignIn, type SignedIn, type TestApp } from '../helpers/app';

let t: TestApp;
let editor: SignedIn;
let outsider: SignedIn;
const ORG = '991825827';

async function dataset(title: string, complete = true): Promise<string> {
  const ds = await t.services.catalog.createDataset(CLI_ACTOR, {
    orgnr: ORG,
    title: { nb: title },
    ...(complete ? { description: { nb: 'Folketall i alle kommuner, årlig.' }, licence: 'http://data.norge.no/nlod/no/2.0' } : {}),
    accessRights: 'PUBLIC',
  });
  return ds.id;
}

const post = (who: SignedIn, url: string, fields: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: who.cookie }, payload: form({ _csrf: who.csrf, ...fields }) });

/** The dataset page as the browser would show it right after the redirect, with the notice cookie sent back. */
async function followWithFlash(who: SignedIn, res: { headers: Record<string, unknown> }, url: string) {
  const flash = setCookies(res).df_flash;
  expect(flash).toBeTruthy();
  return t.app.inject({ url, headers: { cookie: `${who.cookie}; ${cookieHeader({ df_flash: flash! })}` } });
}

beforeAll(async () => {
  t = await createTestApp();
  editor = await signUpAndSignIn(t.app, { email: 'editor@example.no', password: 'correct horse battery', name: 'Eva Editor' });
  outsider = await signUpAndSignIn(t.app, { email: 'outsider@example.no', password: 'correct horse battery', name: 'Otto Outsider' });
  await t.services.organisations.create(CLI_ACTOR, { orgnr: ORG, name: 'Digitaliseringsdirektoratet' });
  await t.services.organisations.addMember(CLI_ACTOR, ORG, { email: 'editor@example.no', role: 'editor' });
});
afterAll(async () => t?.close());

describe('archiving a dataset asks for confirmation', () => {
  it('the dataset page links to the confirmation step instead of posting', async () => {
    const id = await dataset('Lenke til arkivering');
    const page = await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: editor.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/datasett/${id}/arkiver"`);
    expect(page.body).not.toContain(`action="/datasett/${id}/arkiver"`);
  });

  it('walks unauthenticated → no CSRF → forbidden → not found → confirm → archived with a notice', async () => {
    const id = await dataset('Befolkning per kommune');
    await t.services.catalog.publishDataset(CLI_ACTOR, id);
    const url = `/datasett/${id}/arkiver`;

    const anon = await t.app.inject({ url });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe(`/logg-inn?next=${encodeURIComponent(url)}`);

    const noCsrf = await t.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({}) });
    expect(noCsrf.statusCode).toBe(403);
    const wrongCsrf = await post(editor, url, { _csrf: 'x'.repeat(43) });
    expect(wrongCsrf.statusCode).toBe(403);
    expect((await t.services.catalog.getDataset(CLI_ACTOR, id)).state).toBe('published');

    // Outsiders may read the published dataset but not archive it: the confirmation page is not theirs to see.
    expect((await t.app.inject({ url, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    expect((await post(outsider, url)).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/datasett/00000000-0000-4000-8000-000000000000/arkiver', headers: { cookie: editor.cookie } })).statusCode).toBe(404);

    const confirm = await t.app.inject({ url, headers: { cookie: editor.cookie } });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<h1 class="ds-heading" data-size="lg">Arkivere «Befolkning per kommune»?</h1>');
    expect(confirm.body).toContain('vises ikke lenger i søk, lister eller API-et for andre enn medlemmene i Digitaliseringsdirektoratet');
    expect(confirm.body).toContain('Ingenting slettes');
    expect(confirm.body).toMatch(new RegExp(`<form method="post" action="${url}"[^>]*>\\s*<input type="hidden" name="_csrf" value="${editor.csrf}"`));
    expect(confirm.body).toContain(`<a class="ds-link" href="/datasett/${id}">Avbryt</a>`);
    expect((await t.services.catalog.getDataset(CLI_ACTOR, id)).state).toBe('published'); // asking changed nothing

    const done = await post(editor, url);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/datasett/${id}`);
    expect(setCookieLine(done, 'df_flash')).toMatch(new RegExp(`^df_flash=archived; Path=/datasett/${id}; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    expect((await t.services.catalog.getDataset(CLI_ACTOR, id)).state).toBe('archived');

    const shown = await followWithFlash(editor, done, `/datasett/${id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('<div class="ds-alert" data-color="success" role="status"><p class="ds-paragraph">Datasettet er arkivert.');
    expect(setCookieLine(shown, 'df_flash')).toContain('Max-Age=0'); // shown once, then cleared
    const again = await t.app.inject({ url: `/datasett/${id}`, headers: { cookie: editor.cookie } });
    expect(again.body).not.toContain('role="status"><p class="ds-paragraph">Datasettet er arkivert.');

    // Already archived: the confirmation step sends the person back to the dataset, and a repeated POST says nothing.
    const twice = await t.app.inject({ url, headers: { cookie: editor.cookie } });
    expect(twice.statusCode).toBe(303);
    expect(twice.headers.location).toBe(`/datasett/${id}`);
    const repost = await post(editor, url);
    expect(repost.statusCode).toBe(303);
    expect(setCookies(repost).df_flash).toBeUndefined();
  });

  it('shows the confirmation in the chosen language', async () => {
    const id = await dataset('Språkprøve');
    const res = await t.app.inject({ url: `/datasett/${id}/arkiver?lang=en`, headers: { cookie: editor.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Archive “Språkprøve”?');
    expect(res.body).toContain('Nothing is deleted');
  });
});

describe('publishing says it worked', () => {
  it('shows a one-time success notice after the redirect; a failed publish keeps the page with its problems', async () => {
    const incomplete = await dataset('Uten beskrivelse', false);
    const failed = await post(editor, `/datasett/${incomplete}/publiser`);
    expect(failed.statusCode).toBe(422);
    expect(failed.body).toContain('Datasettet kan ikke publiseres ennå');
    expect(setCookies(failed).df_flash).toBeUndefined();

    const id = await dataset('Klar til publisering');
    expect((await t.app.inject({ method: 'POST', url: `/datasett/${id}/publiser`, headers: { ...FORM_HEADERS, cookie: editor.cookie }, payload: form({}) })).statusCode).toBe(403);
    const published = await post(editor, `/datasett/${id}/publiser`);
    expect(published.statusCode).toBe(303);
    expect(published.headers.location).toBe(`/datasett/${id}`);
    const shown = await followWithFlash(editor, published, `/datasett/${id}`);
    expect(shown.body).toContain('role="status"><p class="ds-paragraph">Datasettet er publisert. Nå kan alle finne det i katalogen.</p>');
    expect(shown.body.indexOf('role="status"><p class="ds-paragraph">Datasettet er publisert')).toBeLessThan(shown.body.indexOf('<h1'));

    // A notice cookie for another dataset's path, or with an unknown value, shows nothing.
    const other = await dataset('Et annet datasett');
    const forged = await t.app.inject({ url: `/datasett/${other}`, headers: { cookie: `${editor.cookie}; df_flash=%3Cscript%3E` } });
    expect(forged.statusCode).toBe(200);
    expect(forged.body).not.toContain('data-color="success" role="status"');
    expect(forged.body).not.toContain('<script>');
  });
});
