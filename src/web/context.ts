// Per-request web state: language, translator, actor, CSRF token. Resolved by hooks in server.ts / accounts.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, type Actor } from '../access/model';
import { getCookie, replaceCookie } from '../platform/http/cookies';
import { pickLocale, translator, type Locale, type Translate } from './i18n/index';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    locale: Locale;
    t: Translate;
    csrfToken: string;
  }
  interface FastifyContextConfig {
    /**
     * `'handler'`: this state-changing route reads a streamed (multipart) body, so the preHandler cannot see the
     * `_csrf` field; the handler promises to check it itself with csrfMatches() before acting. Every other multipart
     * route without this flag must send the token in the `x-csrf-token` header or is refused.
     */
    csrf?: 'handler';
  }
}

export const CSRF_COOKIE = 'df_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const LANG_COOKIE = 'df_lang';

const SECRET_SHAPE = /^[A-Za-z0-9_-]{32,}$/;

export function resolveLocale(request: FastifyRequest): void {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  request.locale = pickLocale(q, getCookie(request, LANG_COOKIE), request.headers['accept-language']);
  request.t = translator(request.locale);
  request.actor = ANONYMOUS;
}

/**
 * CSRF protection for web forms. The browser holds a random secret in the HttpOnly, SameSite=Lax cookie `df_csrf`;
 * every state-changing form posts a token in the hidden `_csrf` field, compared in constant time.
 *  - Anonymous visitors (sign-up, sign-in): the token is the cookie's secret itself (double submit, cookie-bound).
 *  - Signed-in readers: the token is HMAC-SHA256(secret, session token). It is bound to the session, so a cookie
 *    planted from a sibling domain (which can set df_csrf but never learns the HttpOnly session cookie) cannot be
 *    paired with a token the attacker knows, and a token stops working when its session ends.
 * The secret is replaced at sign-in and sign-out (rotateCsrfToken), so no token outlives the session change.
 */
function deriveToken(secret: string, sessionToken: string | undefined): string {
  if (!sessionToken) return secret;
  return crypto.createHmac('sha256', secret).update(`df-csrf/session/${sessionToken}`).digest('base64url');
}

/**
 * Sets request.csrfToken for this request. `issue`: create (and set) the secret cookie when the browser has none —
 * true for HTML pages, false for static files (no Set-Cookie on a cacheable response) and API calls.
 * `sessionToken`: the session cookie's token, only when it resolved to a valid session.
 */
export function ensureCsrfToken(request: FastifyRequest, reply: FastifyReply, secure: boolean, sessionToken?: string, issue = true): string {
  let secret = getCookie(request, CSRF_COOKIE);
  if (!secret || !SECRET_SHAPE.test(secret)) {
    if (!issue) {
      request.csrfToken = '';
      return '';
    }
    secret = crypto.randomBytes(32).toString('base64url');
    replaceCookie(reply, CSRF_COOKIE, secret, { httpOnly: true, secure, sameSite: 'Lax' });
  }
  request.csrfToken = deriveToken(secret, sessionToken);
  return request.csrfToken;
}

/** A new secret (sign-in, sign-up, sign-out): tokens issued before the change stop working. */
export function rotateCsrfToken(request: FastifyRequest, reply: FastifyReply, secure: boolean, sessionToken?: string): void {
  const secret = crypto.randomBytes(32).toString('base64url');
  replaceCookie(reply, CSRF_COOKIE, secret, { httpOnly: true, secure, sameSite: 'Lax' });
  request.csrfToken = deriveToken(secret, sessionToken);
}

/** True when `submitted` is this request's CSRF token (constant-time). Handlers of `csrf: 'handler'` routes call it. */
export function csrfMatches(request: FastifyRequest, submitted: unknown): boolean {
  const expected = request.csrfToken;
  if (!expected || typeof submitted !== 'string' || submitted.length !== expected.length) return false;
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
}

/**
 * Proof that a request comes from one of our own pages, for cookie-authenticated API changes: the browser's
 * `Sec-Fetch-Site: same-origin`, or — from browsers that do not send Fetch Metadata — an `Origin` (else `Referer`)
 * whose origin is BASE_URL's. Any other Sec-Fetch-Site value (cross-site, same-site, none) is no proof.
 */
export function sameOriginProof(request: FastifyRequest, baseUrl: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin') return true;
  if (site !== undefined && site !== 'none') return false;
  const expected = new URL(baseUrl).origin;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') return origin === expected;
  const referer = request.headers.referer;
  if (typeof referer !== 'string' || referer === '') return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}
