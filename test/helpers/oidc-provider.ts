// A real OpenID provider (oidc-provider) on a loopback port, for the identity tests. It plays ID-porten: code flow
// with PKCE required, `acr` from the login (idporten-loa-substantial / -high), e-mail claims in the ID token. Its login
// "interaction" is a plain HTML form (a login name and a level), so HTTP tests post it with fetch and browser tests
// fill it in; every known login is in `users`.
//   const op = await startOidcProvider({ redirectUri: 'http://127.0.0.1:3000/logg-inn/oidc/callback' });
//   op.users.set('sub-1', { email: 'a@example.no', emailVerified: true, name: 'A' });
//   ... op.close()
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
// oidc-provider ships no type declarations; the few members used here are typed by OidcProviderLike below.
import ProviderModule from 'oidc-provider';

export interface TestOidcUser {
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, TestOidcUser>;
  /** The acr the next logins get when the form does not choose one. */
  defaultAcr: string;
  close(): Promise<void>;
}

interface InteractionDetails {
  uid: string;
  prompt: { name: string };
  params: { client_id: string; scope?: string };
}

interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

interface OidcProviderLike {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: http.IncomingMessage, res: http.ServerResponse, result: unknown, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => GrantLike;
}

const Provider = ProviderModule as unknown as new (issuer: string, config: Record<string, unknown>) => OidcProviderLike;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(opts: { redirectUris: string[]; port?: number }): Promise<TestOidcProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'datafabrikken-test';
  const clientSecret = 'test-secret-0123456789abcdef0123456789';
  const users = new Map<string, TestOidcUser>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-op', alg: 'RS256', use: 'sig' };
  const state = { defaultAcr: 'idporten-loa-substantial' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    pkce: { required: () => true },
    acrValues: ['idporten-loa-low', 'idporten-loa-substantial', 'idporten-loa-high'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => {
      const u = users.get(sub);
      if (!u) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, ...(u.email ? { email: u.email, email_verified: u.emailVerified ?? false } : {}), ...(u.name ? { name: u.name } : {}) }),
      };
    },
  });
  const handle = provider.callback();

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!m) return handle(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (!m[2]) {
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end(
            `<!doctype html><html lang="en"><head><title>Test provider</title></head><body><main><h1>Test provider sign-in</h1>` +
              `<form method="post" action="/interaction/${esc(details.uid)}/login">` +
              `<label for="login">Login</label> <input id="login" name="login" autocomplete="off"> ` +
              `<label for="acr">Level</label> <select id="acr" name="acr"><option value="">default</option><option>idporten-loa-low</option><option>idporten-loa-substantial</option><option>idporten-loa-high</option></select> ` +
              `<button type="submit">Sign in</button></form></main></body></html>`,
          );
          return;
        }
        const form = await readForm(req);
        const login = form.get('login') ?? '';
        if (!users.has(login)) {
          res.statusCode = 400;
          res.end('unknown login');
          return;
        }
        const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope ?? 'openid');
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId: login, acr: form.get('acr') || state.defaultAcr }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    })();
  });

  return {
    issuer,
    clientId,
    clientSecret,
    users,
    get defaultAcr() {
      return state.defaultAcr;
    },
    set defaultAcr(v: string) {
      state.defaultAcr = v;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A minimal cookie jar for fetch (name → value; paths ignored: every provider cookie goes with every request). */
class Jar {
  private cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now()));
      if (expired || !value) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Plays the browser at the provider: follows the authorization URL to the login form, posts `login` (and `acr`), and
 * follows the redirects until the provider sends the browser back to the client. Returns that callback URL.
 */
export async function loginAtProvider(authorizationUrl: string, input: { login: string; acr?: string }): Promise<URL> {
  const jar = new Jar();
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  for (let hop = 0; hop < 10; hop++) {
    if (url.origin !== origin) return url; // back at the client
    const isLoginForm = /^\/interaction\/[^/]+$/.test(url.pathname);
    const res = isLoginForm
      ? await fetch(new URL(`${url.pathname}/login`, origin), {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ login: input.login, acr: input.acr ?? '' }).toString(),
        })
      : await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    const location = res.headers.get('location');
    if (!location) throw new Error(`provider answered ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 500)}`);
    await res.arrayBuffer();
    url = new URL(location, url);
  }
  throw new Error('too many redirects at the provider');
}
