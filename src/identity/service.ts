// Identity (issue 7.4): OpenID Connect sign-in and machine clients.
//
// OIDC sign-in (ID-porten or any OpenID provider, configured by OIDC_*; openid-client does discovery, the code grant
// and the ID-token checks):
// - Authorization code flow with PKCE (S256 only: a provider that lists methods without S256 is refused), `state` and
//   `nonce`. The three secrets live in `oidc_flows`, keyed by the sha-256 of a random value in a short-lived HttpOnly
//   cookie (df_oidc, 10 minutes), so only the browser that started the sign-in can finish it; the callback deletes the
//   row before anything else (single use: a second callback with the same cookie, a replayed code, finds nothing).
// - The ID token is validated by openid-client (signature through the provider's JWKS — non-repudiation checks on —,
//   iss, aud, exp, iat, nonce). `acr` must meet OIDC_ACR_MIN (ACR_LEVELS orders ID-porten's and eIDAS's names).
// - The account: an existing (issuer, sub) link; else the local account with the same e-mail address if the provider
//   says it is verified (the link is stored); else a new account (no password, address verified by the provider).
//   Without a verified address (ID-porten sends none) nothing is created: the user signs in with a password and links
//   the provider from the account page (intent 'link'), after which the link signs them in.
// - Every outcome is audited; every failure is an OidcError (a code with a translated page, status 400/403/502/503)
//   and never starts a session.
//
// Machine clients (Maskinporten pattern): an organisation admin registers a client with public keys (JWKS: RSA ≥ 2048
// bits or EC P-256, for RS256/PS256/ES256; no private or symmetric keys) and scopes. POST /api/v1/oauth/token takes the
// JWT-bearer grant: an assertion signed by one of the client's keys with exactly the claims iss (client id), aud (our
// issuer, BASE_URL), iat, exp (exp − iat ≤ 120 s), jti (single use: kept until exp) and scope (a subset of the
// client's), optionally nbf; any other claim is refused. The answer is an opaque access token (dfm_…, 5 minutes, only
// its sha-256 stored, so disabling the client ends it at once) that resolves to the client's Actor
// (src/identity/client-tokens.ts). Refusals are RFC 6749 errors (OAuthError) and audited.
import crypto from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import * as oidc from 'openid-client';
import { recordAudit } from '../access/audit';
import { ANONYMOUS, type Actor } from '../access/model';
import { authorize } from '../access/service';
import type { AccountsService } from '../accounts/service';
import type { User } from '../accounts/model';
import type { Config, OidcConfig } from '../config';
import type { Db } from '../database';
import { DomainError, NotFoundError, UnauthenticatedError, ValidationError, type FieldProblem } from '../errors';
import { hashClientToken } from './client-tokens';
import {
  acrMeets,
  CLIENT_KEY_ALGS,
  CLIENT_SCOPES,
  CLIENT_TOKEN_PREFIX,
  CLIENT_TOKEN_RULES,
  JWT_BEARER_GRANT,
  type ClientScope,
  type MachineClient,
  type MachineClientView,
  type OidcIntent,
  type OidcLink,
  type OidcLinkView,
} from './model';

export const OIDC_COOKIE = 'df_oidc';
export const OIDC_FLOW_SECONDS = 10 * 60;
export const OIDC_CALLBACK_PATH = '/logg-inn/oidc/callback';
const MAX_JWKS_BYTES = 20_000;
const MAX_KEYS = 10;

/** A sign-in that cannot finish; `code` has a translated message (error.<code>) on the page. */
export class OidcError extends DomainError {
  constructor(status: 400 | 403 | 409 | 502 | 503, code: string, message: string) {
    super(status, code, message);
  }
}

/** An RFC 6749 §5.2 error of the token endpoint: `code` is the OAuth `error`, `message` its `error_description`. */
export class OAuthError extends DomainError {
  constructor(status: 400 | 401, error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type', description: string) {
    super(status, error, description);
  }
}

export interface IdentityDeps {
  db: Db;
  config: Pick<Config, 'baseUrl' | 'oidc'>;
  accounts: Pick<AccountsService, 'createSession'>;
  logger?: Logger;
  now?: () => Date;
}

export function presentClient(c: MachineClient): MachineClientView {
  const keys = parseJson<{ keys?: { kid?: string }[] }>(c.jwks, {}).keys ?? [];
  return {
    id: c.id,
    orgnr: c.orgnr,
    name: c.name,
    scopes: parseJson<string[]>(c.scopes, []).filter((s): s is ClientScope => (CLIENT_SCOPES as readonly string[]).includes(s)),
    keyIds: keys.map((k) => k.kid ?? ''),
    createdAt: c.created_at,
    disabledAt: c.disabled_at,
  };
}

function presentLink(l: OidcLink): OidcLinkView {
  return { id: l.id, issuer: l.issuer, subject: l.subject, createdAt: l.created_at, lastUsedAt: l.last_used_at };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const sha256 = (v: string) => crypto.createHash('sha256').update(v).digest('hex');
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const EMAIL_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]{2,}$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const ALLOWED_KEY_MEMBERS = new Set(['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y', 'x5c', 'x5t', 'x5t#S256', 'x5u']);
const ASSERTION_CLAIMS = new Set(['iss', 'aud', 'iat', 'exp', 'jti', 'scope', 'nbf']);

/**
 * Validates a client's JWKS (inline JSON): at most 10 public signing keys, RSA (≥ 2048 bits) or EC P-256, each usable
 * with one of RS256/PS256/ES256 (importJWK proves it is a well-formed key), with unique `kid`s when there are several.
 * Returns the normalised JSON to store, or the problems.
 */
export async function validateJwks(input: unknown): Promise<{ jwks: { keys: JWK[] }; problems: FieldProblem[] }> {
  const field = 'jwks';
  const fail = (code: string, message: string) => ({ jwks: { keys: [] }, problems: [{ field, code, message }] });
  let value: unknown = input;
  if (typeof input === 'string') {
    if (!input.trim()) return fail('jwks_required', 'Paste the client’s public keys as a JWKS (JSON with "keys").');
    if (Buffer.byteLength(input) > MAX_JWKS_BYTES) return fail('jwks_too_large', `The JWKS may be at most ${MAX_JWKS_BYTES} bytes.`);
    try {
      value = JSON.parse(input);
    } catch {
      return fail('jwks_invalid_json', 'The JWKS is not valid JSON.');
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return fail('jwks_invalid', 'A JWKS is a JSON object with a "keys" array.');
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return fail('jwks_invalid', 'A JWKS is a JSON object with a non-empty "keys" array.');
  if (keys.length > MAX_KEYS) return fail('jwks_too_many_keys', `At most ${MAX_KEYS} keys.`);
  const out: JWK[] = [];
  const kids = new Set<string>();
  for (const [i, raw] of keys.entries()) {
    const at = `Key ${i + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('jwk_invalid', `${at} is not a JSON object.`);
    const k = raw as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((m) => m in k)) return fail('jwk_private', `${at} contains private or symmetric key material: register public keys only.`);
    const unknown = Object.keys(k).filter((m) => !ALLOWED_KEY_MEMBERS.has(m));
    if (unknown.length) return fail('jwk_invalid', `${at} has unknown members: ${unknown.slice(0, 5).join(', ')}.`);
    if (k.use !== undefined && k.use !== 'sig') return fail('jwk_use', `${at} must be a signing key ("use": "sig").`);
    if (k.kid !== undefined && (typeof k.kid !== 'string' || !k.kid || k.kid.length > 200 || CONTROL_RE.test(k.kid))) return fail('jwk_invalid', `${at} has an invalid "kid".`);
    let alg: string;
    if (k.kty === 'RSA') {
      alg = typeof k.alg === 'string' ? k.alg : 'RS256';
      if (alg !== 'RS256' && alg !== 'PS256') return fail('jwk_alg', `${at}: an RSA key is for RS256 or PS256, not ${String(k.alg)}.`);
      if (typeof k.n !== 'string' || Buffer.from(k.n, 'base64url').length * 8 < 2048) return fail('jwk_weak', `${at}: RSA keys need at least 2048 bits.`);
    } else if (k.kty === 'EC') {
      alg = typeof k.alg === 'string' ? k.alg : 'ES256';
      if (alg !== 'ES256' || k.crv !== 'P-256') return fail('jwk_alg', `${at}: an EC key must be P-256 for ES256.`);
    } else {
      return fail('jwk_kty', `${at}: only RSA and EC (P-256) public keys are accepted.`);
    }
    try {
      await importJWK(k as JWK, alg);
    } catch {
      return fail('jwk_invalid', `${at} is not a valid ${String(k.kty)} public key.`);
    }
    if (typeof k.kid === 'string') {
      if (kids.has(k.kid)) return fail('jwk_kid_duplicate', `${at}: the kid "${k.kid}" is used twice.`);
      kids.add(k.kid);
    } else if (keys.length > 1) return fail('jwk_kid_required', `${at}: give every key a "kid" when there are several.`);
    out.push({ ...(k as JWK), alg });
  }
  return { jwks: { keys: out }, problems: [] };
}

function clientInput(input: { name?: unknown; scopes?: unknown }): { name: string; scopes: ClientScope[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) problems.push({ field: 'name', code: 'client_name_required', message: 'Give the client a name.' });
  else if (name.length > 100 || CONTROL_RE.test(name)) problems.push({ field: 'name', code: 'client_name_invalid', message: 'The name may be at most 100 characters, without control characters.' });
  const list = input.scopes === undefined || input.scopes === null || input.scopes === '' ? ['read'] : Array.isArray(input.scopes) ? input.scopes : [input.scopes];
  const unknown = list.filter((s) => !(CLIENT_SCOPES as readonly unknown[]).includes(s));
  if (unknown.length) problems.push({ field: 'scopes', code: 'client_scope_unknown', message: `Unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}; use ${CLIENT_SCOPES.join(', ')}.` });
  if (list.length === 0) problems.push({ field: 'scopes', code: 'scopes_required', message: 'Choose at least one scope.' });
  return { name, scopes: CLIENT_SCOPES.filter((s) => list.includes(s)), problems };
}

const isLoopbackHttp = (issuer: string) => {
  const u = new URL(issuer);
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
};

export function createIdentityService({ db, config, accounts, logger, now = () => new Date() }: IdentityDeps) {
  const iso = (d: Date = now()) => d.toISOString();
  const redirectUri = `${config.baseUrl}${OIDC_CALLBACK_PATH}`;

  // --- OIDC ----------------------------------------------------------------------------------------------------------

  let discovered: Promise<oidc.Configuration> | undefined;
  // Where sign-in forms may lead (CSP form-action: a form submission's redirect chain is checked too): the issuer and,
  // once discovered, the authorization endpoint (ID-porten's is on another host than its issuer).
  const formTargets = new Set<string>(config.oidc ? [new URL(config.oidc.issuer).origin] : []);

  /** Discovery once per process (retried after a failure); openid-client then validates everything against it. */
  function provider(o: OidcConfig): Promise<oidc.Configuration> {
    if (!discovered) {
      const execute = [oidc.enableNonRepudiationChecks, ...(isLoopbackHttp(o.issuer) ? [oidc.allowInsecureRequests] : [])];
      discovered = oidc
        .discovery(new URL(o.issuer), o.clientId, { client_secret: o.clientSecret, redirect_uris: [redirectUri] }, oidc.ClientSecretPost(o.clientSecret), { execute, timeout: 10 })
        .then((cfg) => {
          const endpoint = cfg.serverMetadata().authorization_endpoint;
          if (endpoint) formTargets.add(new URL(endpoint).origin);
          return cfg;
        })
        .catch((err: unknown) => {
        discovered = undefined;
        logger?.warn({ err, issuer: o.issuer }, 'OpenID provider discovery failed');
        throw new OidcError(503, 'oidc_provider_unavailable', 'The sign-in service cannot be reached right now. Try again later or sign in with your password.');
      });
    }
    return discovered;
  }

  function requireOidc(): OidcConfig {
    if (!config.oidc) throw new NotFoundError('Sign-in provider', 'oidc', 'oidc_not_configured');
    return config.oidc;
  }

  /**
   * Starts a sign-in (or, for a signed-in user, linking the provider to their account). Returns the cookie value that
   * binds the flow to this browser and the provider URL to redirect to.
   */
  async function startSignIn(actor: Actor, input: { intent: OidcIntent; next?: string }): Promise<{ cookie: string; redirectTo: string }> {
    const o = requireOidc();
    if (input.intent === 'link' && (!actor.user || actor.via !== 'session')) throw new UnauthenticatedError();
    const cfg = await provider(o);
    const methods = cfg.serverMetadata().code_challenge_methods_supported;
    if (methods && !methods.includes('S256')) throw new OidcError(502, 'oidc_invalid_response', 'The sign-in provider does not support PKCE with S256.');
    const cookie = crypto.randomBytes(32).toString('base64url');
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const t = now();
    await db.deleteFrom('oidc_flows').where('expires_at', '<=', iso(t)).execute();
    await db
      .insertInto('oidc_flows')
      .values({
        id: sha256(cookie),
        state,
        nonce,
        code_verifier: verifier,
        intent: input.intent,
        user_id: input.intent === 'link' ? (actor.user?.id ?? null) : null,
        next: input.next ?? null,
        created_at: iso(t),
        expires_at: new Date(t.getTime() + OIDC_FLOW_SECONDS * 1000).toISOString(),
      })
      .execute();
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: o.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (o.acrMin) params.acr_values = o.acrMin;
    return { cookie, redirectTo: oidc.buildAuthorizationUrl(cfg, params).href };
  }

  async function refuse(actor: Actor, err: OidcError, details: Record<string, unknown> = {}): Promise<never> {
    logger?.warn({ code: err.code, ...details }, 'OIDC sign-in refused');
    await recordAudit(db, actor, { action: 'account.signin.oidc.refused', resourceType: 'oidc', resourceId: config.oidc?.issuer ?? '', details: { code: err.code, ...details } });
    throw err;
  }

  /**
   * Finishes a sign-in at the callback: `cookie` is the df_oidc value, `query` the callback's query string. Returns
   * the user and a new session token (sign-in), or the user after linking (intent link, no new session).
   */
  async function finishSignIn(actor: Actor, input: { cookie: string | undefined; query: string; userAgent?: string }): Promise<{ user: User; session: string | null; intent: OidcIntent; next: string | null }> {
    const o = requireOidc();
    if (!input.cookie) return refuse(actor, new OidcError(400, 'oidc_flow_missing', 'This sign-in was not started in this browser, or has already been used. Start again.'));
    // Single use: the row is gone before the provider is asked anything.
    const flow = await db.deleteFrom('oidc_flows').where('id', '=', sha256(input.cookie)).returningAll().executeTakeFirst();
    if (!flow) return refuse(actor, new OidcError(400, 'oidc_flow_missing', 'This sign-in was not started in this browser, or has already been used. Start again.'));
    if (Date.parse(flow.expires_at) <= now().getTime()) return refuse(actor, new OidcError(400, 'oidc_flow_expired', 'The sign-in took too long. Start again.'));
    const params = new URLSearchParams(input.query);
    if (params.get('error')) return refuse(actor, new OidcError(403, 'oidc_provider_refused', 'The sign-in provider did not sign you in.'), { providerError: params.get('error')?.slice(0, 100) });
    const got = params.get('state') ?? '';
    if (got.length !== flow.state.length || !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(flow.state))) {
      return refuse(actor, new OidcError(400, 'oidc_state_mismatch', 'The answer from the sign-in provider does not belong to this sign-in. Start again.'));
    }
    const cfg = await provider(o);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(cfg, new URL(`${redirectUri}?${params.toString()}`), { pkceCodeVerifier: flow.code_verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) return refuse(actor, new OidcError(400, 'oidc_code_rejected', 'The sign-in provider refused the sign-in code (used or expired). Start again.'), { providerError: err.error });
      if (err instanceof oidc.AuthorizationResponseError) return refuse(actor, new OidcError(403, 'oidc_provider_refused', 'The sign-in provider did not sign you in.'), { providerError: err.error });
      if (err instanceof TypeError || (err instanceof Error && err.name === 'AbortError') || (err instanceof Error && err.name === 'TimeoutError')) {
        return refuse(actor, new OidcError(503, 'oidc_provider_unavailable', 'The sign-in service cannot be reached right now.'), { err: String(err) });
      }
      return refuse(actor, new OidcError(502, 'oidc_invalid_response', 'The answer from the sign-in provider could not be verified.'), { err: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown' });
    }
    const claims = tokens.claims();
    if (!claims) return refuse(actor, new OidcError(502, 'oidc_invalid_response', 'The sign-in provider sent no ID token.'));
    const sub = claims.sub;
    if (o.acrMin && !acrMeets(claims.acr, o.acrMin)) {
      return refuse(actor, new OidcError(403, 'oidc_acr_too_low', 'The sign-in was at a lower level of assurance than this service requires.'), { acr: typeof claims.acr === 'string' ? claims.acr.slice(0, 100) : null, required: o.acrMin });
    }
    const usable = (v: unknown): string | undefined => (typeof v === 'string' && EMAIL_RE.test(v.trim()) && v.trim().length <= 254 ? v.trim().toLowerCase() : undefined);
    let email = claims.email_verified === true ? usable(claims.email) : undefined;
    let name = typeof claims.name === 'string' ? claims.name.trim() : undefined;
    if (!email && cfg.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        const info = await oidc.fetchUserInfo(cfg, tokens.access_token, sub);
        if (info.email_verified === true) email = usable(info.email);
        if (!name && typeof info.name === 'string') name = info.name.trim();
      } catch (err) {
        logger?.info({ err }, 'OIDC userinfo failed; continuing without an e-mail address');
      }
    }
    const t = iso();
    const existing = await db.selectFrom('oidc_links').selectAll().where('issuer', '=', o.issuer).where('subject', '=', sub).executeTakeFirst();

    if (flow.intent === 'link') {
      if (!flow.user_id || actor.user?.id !== flow.user_id) return refuse(actor, new OidcError(400, 'oidc_flow_missing', 'Sign in again, then link the provider from your account page.'));
      if (existing && existing.user_id !== flow.user_id) return refuse(actor, new OidcError(409, 'oidc_already_linked', 'This provider identity is already linked to another account.'));
      const user = await db.selectFrom('users').selectAll().where('id', '=', flow.user_id).executeTakeFirstOrThrow();
      if (!existing) {
        await db.transaction().execute(async (tx) => {
          const id = crypto.randomUUID();
          await tx.insertInto('oidc_links').values({ id, user_id: user.id, issuer: o.issuer, subject: sub, created_at: t, last_used_at: t }).execute();
          await recordAudit(tx, actor, { action: 'account.oidc.link', resourceType: 'oidc_link', resourceId: id, details: { userId: user.id, issuer: o.issuer } });
        });
      }
      return { user, session: null, intent: 'link', next: flow.next };
    }

    let user: User | undefined;
    let how: 'link' | 'email' | 'created';
    if (existing) {
      user = await db.selectFrom('users').selectAll().where('id', '=', existing.user_id).executeTakeFirst();
      how = 'link';
    } else if (email) {
      user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      how = user ? 'email' : 'created';
      // Pre-account hijacking: someone may have signed up with this address without being able to confirm it. An
      // unconfirmed account is never taken over by a provider's word; its owner confirms it or links from the account page.
      if (user && !user.email_verified_at) {
        return refuse(actor, new OidcError(409, 'oidc_account_unverified', 'An account with this e-mail address exists, but its address has not been confirmed. Sign in with the password and link the provider from your account page.'));
      }
    } else {
      return refuse(actor, new OidcError(403, 'oidc_no_account', 'No account is linked to this sign-in, and the provider gave no verified e-mail address. Sign in with your password and link it from your account page.'));
    }
    const signedIn = await db.transaction().execute(async (tx) => {
      let u = user;
      if (!u) {
        u = {
          id: crypto.randomUUID(),
          email: email!,
          name: (name && !CONTROL_RE.test(name) ? name : email!.split('@')[0]!).slice(0, 200),
          password_hash: null,
          is_operator: 0,
          locale: 'nb',
          email_verified_at: t,
          created_at: t,
          updated_at: t,
        };
        // Two first sign-ins racing for one address: the unique index decides, and the loser starts again.
        await tx.insertInto('users').values(u).execute().catch(() => {
          throw new OidcError(409, 'oidc_flow_missing', 'Another sign-in created this account at the same moment. Start again.');
        });
        await recordAudit(tx, ANONYMOUS, { action: 'account.create.oidc', resourceType: 'user', resourceId: u.id, details: { issuer: o.issuer } });
      }
      if (existing) await tx.updateTable('oidc_links').set({ last_used_at: t }).where('id', '=', existing.id).execute();
      else await tx.insertInto('oidc_links').values({ id: crypto.randomUUID(), user_id: u.id, issuer: o.issuer, subject: sub, created_at: t, last_used_at: t }).execute();
      return u;
    });
    const session = await accounts.createSession(signedIn.id, input.userAgent);
    const asUser: Actor = { kind: 'user', user: { id: signedIn.id, email: signedIn.email, name: signedIn.name, isOperator: Boolean(signedIn.is_operator), emailVerified: Boolean(signedIn.email_verified_at) }, memberships: {}, scopes: null, via: 'session' };
    await recordAudit(db, asUser, { action: 'account.signin.oidc', resourceType: 'user', resourceId: signedIn.id, details: { issuer: o.issuer, how, acr: typeof claims.acr === 'string' ? claims.acr.slice(0, 100) : null } });
    return { user: signedIn, session, intent: 'signin', next: flow.next };
  }

  async function listLinks(actor: Actor): Promise<OidcLinkView[]> {
    if (!actor.user || actor.via === 'cli' || actor.via === 'client') throw new UnauthenticatedError();
    const rows = await db.selectFrom('oidc_links').selectAll().where('user_id', '=', actor.user.id).orderBy('created_at').execute();
    return rows.map(presentLink);
  }

  /** Removes one of the actor's links (someone else's is "not found"). Only by session: a token cannot change sign-in. */
  async function unlink(actor: Actor, id: string): Promise<void> {
    if (!actor.user || actor.via !== 'session') throw new UnauthenticatedError();
    const row = await db.selectFrom('oidc_links').select(['id']).where('id', '=', id).where('user_id', '=', actor.user.id).executeTakeFirst();
    if (!row) throw new NotFoundError('Link', id, 'oidc_link_not_found');
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('oidc_links').where('id', '=', id).execute();
      await recordAudit(tx, actor, { action: 'account.oidc.unlink', resourceType: 'oidc_link', resourceId: id, details: { userId: actor.user!.id } });
    });
  }

  // --- machine clients -----------------------------------------------------------------------------------------------

  async function requireOrgAdmin(actor: Actor, orgnr: string): Promise<void> {
    const org = await db.selectFrom('organizations').select(['orgnr']).where('orgnr', '=', orgnr).executeTakeFirst();
    if (!org) throw new NotFoundError('Organization', orgnr, 'organization_not_found');
    // Registering and disabling clients is administering the organisation.
    authorize(actor, 'organization:update', { type: 'organization', orgnr });
  }

  async function registerClient(actor: Actor, orgnr: string, input: { name?: unknown; jwks?: unknown; scopes?: unknown }): Promise<MachineClientView> {
    await requireOrgAdmin(actor, orgnr);
    const { name, scopes, problems } = clientInput(input);
    const keys = await validateJwks(input.jwks);
    problems.push(...keys.problems);
    if (problems.length) throw new ValidationError(problems);
    const row: MachineClient = {
      id: crypto.randomUUID(),
      orgnr,
      name,
      jwks: JSON.stringify(keys.jwks),
      scopes: JSON.stringify(scopes),
      created_by: actor.user?.id ?? null,
      created_at: iso(),
      disabled_at: null,
      disabled_by: null,
    };
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('machine_clients').values(row).execute();
      await recordAudit(tx, actor, { action: 'machine_client.register', resourceType: 'machine_client', resourceId: row.id, details: { orgnr, name, scopes } });
    });
    return presentClient(row);
  }

  async function listClients(actor: Actor, orgnr: string): Promise<MachineClientView[]> {
    await requireOrgAdmin(actor, orgnr);
    const rows = await db.selectFrom('machine_clients').selectAll().where('orgnr', '=', orgnr).orderBy('created_at').orderBy('id').execute();
    return rows.map(presentClient);
  }

  async function getClient(actor: Actor, orgnr: string, id: string): Promise<MachineClientView> {
    await requireOrgAdmin(actor, orgnr);
    const row = await db.selectFrom('machine_clients').selectAll().where('id', '=', id).where('orgnr', '=', orgnr).executeTakeFirst();
    if (!row) throw new NotFoundError('Client', id, 'client_not_found');
    return presentClient(row);
  }

  /** Disables a client of the organisation (another organisation's is "not found"); its access tokens stop at once. */
  async function disableClient(actor: Actor, orgnr: string, id: string): Promise<MachineClientView> {
    await requireOrgAdmin(actor, orgnr);
    const row = await db.selectFrom('machine_clients').selectAll().where('id', '=', id).where('orgnr', '=', orgnr).executeTakeFirst();
    if (!row) throw new NotFoundError('Client', id, 'client_not_found');
    if (row.disabled_at) return presentClient(row);
    const t = iso();
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('machine_clients').set({ disabled_at: t, disabled_by: actor.user?.id ?? null }).where('id', '=', id).execute();
      await tx.deleteFrom('client_access_tokens').where('client_id', '=', id).execute();
      await recordAudit(tx, actor, { action: 'machine_client.disable', resourceType: 'machine_client', resourceId: id, details: { orgnr } });
    });
    return presentClient({ ...row, disabled_at: t, disabled_by: actor.user?.id ?? null });
  }

  // --- the token endpoint --------------------------------------------------------------------------------------------

  async function refuseToken(err: OAuthError, clientId: string | undefined, ip: string): Promise<never> {
    logger?.warn({ error: err.code, clientId, ip }, `token request refused: ${err.message}`);
    await recordAudit(db, ANONYMOUS, { action: 'oauth.token.refused', resourceType: 'machine_client', resourceId: clientId ?? 'unknown', details: { error: err.code, description: err.message, ip } }).catch((e: unknown) => logger?.error({ err: e }, 'audit write failed'));
    throw err;
  }

  /** The JWT-bearer grant (see the top of this file). */
  async function issueToken(input: { grant_type?: unknown; assertion?: unknown }, origin: { ip: string }): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }> {
    const R = CLIENT_TOKEN_RULES;
    const bad = (error: ConstructorParameters<typeof OAuthError>[1], description: string, status: 400 | 401 = 400) => new OAuthError(status, error, description);
    if (typeof input.grant_type !== 'string' || !input.grant_type) return refuseToken(bad('invalid_request', 'grant_type is required.'), undefined, origin.ip);
    if (input.grant_type !== JWT_BEARER_GRANT) return refuseToken(bad('unsupported_grant_type', `Only ${JWT_BEARER_GRANT} is supported.`), undefined, origin.ip);
    const assertion = input.assertion;
    if (typeof assertion !== 'string' || !assertion) return refuseToken(bad('invalid_request', 'assertion is required: a JWT signed with the client’s key.'), undefined, origin.ip);
    if (assertion.length > R.maxAssertionBytes) return refuseToken(bad('invalid_request', `The assertion may be at most ${R.maxAssertionBytes} bytes.`), undefined, origin.ip);

    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      unverified = decodeJwt(assertion);
    } catch {
      return refuseToken(bad('invalid_grant', 'The assertion is not a signed JWT (JWS compact serialisation).'), undefined, origin.ip);
    }
    const claimedIss = typeof unverified.iss === 'string' && unverified.iss.length <= 100 ? unverified.iss : undefined;
    if (typeof header.alg !== 'string' || !(CLIENT_KEY_ALGS as readonly string[]).includes(header.alg)) {
      return refuseToken(bad('invalid_grant', `The assertion must be signed with ${CLIENT_KEY_ALGS.join(', ')} (got ${String(header.alg).slice(0, 20)}).`), claimedIss, origin.ip);
    }
    if (!claimedIss) return refuseToken(bad('invalid_grant', 'The assertion has no "iss" (the client id).'), undefined, origin.ip);
    const client = await db.selectFrom('machine_clients').selectAll().where('id', '=', claimedIss).executeTakeFirst();
    if (!client) return refuseToken(bad('invalid_client', 'Unknown client.', 401), claimedIss, origin.ip);
    if (client.disabled_at) return refuseToken(bad('invalid_client', 'The client is disabled.', 401), client.id, origin.ip);

    const t = now();
    let payload: JWTPayload;
    try {
      const keys = createLocalJWKSet(parseJson<{ keys: JWK[] }>(client.jwks, { keys: [] }));
      ({ payload } = await jwtVerify(assertion, keys, {
        algorithms: [...CLIENT_KEY_ALGS],
        issuer: client.id,
        audience: config.baseUrl,
        requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
        clockTolerance: R.clockSkewSeconds,
        currentDate: t,
      }));
    } catch (err) {
      const why =
        err instanceof joseErrors.JWTExpired
          ? 'The assertion has expired.'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? `The assertion's "${err.claim}" claim is not valid: ${err.reason === 'check_failed' && err.claim === 'aud' ? `aud must be ${config.baseUrl}` : err.message}.`
            : err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys
              ? 'No registered key of the client matches the assertion (kid, alg).'
              : err instanceof joseErrors.JWSSignatureVerificationFailed
                ? 'The assertion signature does not verify with the client’s keys.'
                : 'The assertion is not valid.';
      return refuseToken(bad('invalid_grant', why), client.id, origin.ip);
    }
    const unknownClaims = Object.keys(payload).filter((c) => !ASSERTION_CLAIMS.has(c));
    if (unknownClaims.length) return refuseToken(bad('invalid_grant', `Unknown claims in the assertion: ${unknownClaims.slice(0, 5).map((c) => c.slice(0, 40)).join(', ')}.`), client.id, origin.ip);
    const aud = payload.aud;
    if (!(aud === config.baseUrl || (Array.isArray(aud) && aud.length === 1 && aud[0] === config.baseUrl))) {
      return refuseToken(bad('invalid_grant', `The assertion's aud must be exactly ${config.baseUrl}.`), client.id, origin.ip);
    }
    const iat = payload.iat!;
    const exp = payload.exp!;
    const nowS = Math.floor(t.getTime() / 1000);
    if (iat > nowS + R.clockSkewSeconds) return refuseToken(bad('invalid_grant', 'The assertion was issued in the future (iat).'), client.id, origin.ip);
    if (exp <= iat || exp - iat > R.maxAssertionSeconds) return refuseToken(bad('invalid_grant', `The assertion's lifetime (exp − iat) must be at most ${R.maxAssertionSeconds} seconds.`), client.id, origin.ip);
    const jti = payload.jti!;
    if (typeof jti !== 'string' || !jti || jti.length > 256 || CONTROL_RE.test(jti)) return refuseToken(bad('invalid_grant', 'The assertion needs a "jti" of 1–256 characters.'), client.id, origin.ip);
    const scopeClaim = payload.scope;
    if (typeof scopeClaim !== 'string' || !scopeClaim.trim()) return refuseToken(bad('invalid_scope', 'The assertion needs a "scope" claim (space-separated).'), client.id, origin.ip);
    const wanted = [...new Set(scopeClaim.trim().split(/ +/))];
    const allowed = parseJson<string[]>(client.scopes, []);
    const notAllowed = wanted.filter((s) => !allowed.includes(s));
    if (notAllowed.length) return refuseToken(bad('invalid_scope', `The client may not ask for ${notAllowed.slice(0, 5).map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}; it has ${allowed.join(' ')}.`), client.id, origin.ip);

    const token = `${CLIENT_TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(t.getTime() + R.accessTokenSeconds * 1000).toISOString();
    const actor: Actor = { kind: 'anonymous', user: null, memberships: {}, scopes: null, via: 'client', client: { id: client.id, orgnr: client.orgnr } };
    const fresh = await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('client_assertion_jtis').where('expires_at', '<', iso(t)).execute();
      await tx.deleteFrom('client_access_tokens').where('expires_at', '<', iso(t)).execute();
      const ins = await tx
        .insertInto('client_assertion_jtis')
        .values({ client_id: client.id, jti, expires_at: new Date((exp + R.clockSkewSeconds) * 1000).toISOString() })
        .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
        .executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      await tx.insertInto('client_access_tokens').values({ token_hash: hashClientToken(token), client_id: client.id, scopes: JSON.stringify(wanted), created_at: iso(t), expires_at: expiresAt }).execute();
      await recordAudit(tx, actor, { action: 'oauth.token.issue', resourceType: 'machine_client', resourceId: client.id, details: { orgnr: client.orgnr, scopes: wanted, jti: jti.slice(0, 100), expiresAt, ip: origin.ip } });
      return true;
    });
    if (!fresh) return refuseToken(bad('invalid_grant', 'This assertion (jti) has been used already.'), client.id, origin.ip);
    return { access_token: token, token_type: 'Bearer', expires_in: R.accessTokenSeconds, scope: wanted.join(' ') };
  }

  /** Discovery in the background at start-up, so the sign-in page's CSP already names the authorization endpoint. */
  function warmUp(): void {
    if (config.oidc) provider(config.oidc).catch(() => undefined);
  }

  return {
    oidcLabel: () => config.oidc?.label,
    formActionOrigins: () => [...formTargets],
    warmUp,
    startSignIn,
    finishSignIn,
    listLinks,
    unlink,
    registerClient,
    listClients,
    getClient,
    disableClient,
    issueToken,
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
