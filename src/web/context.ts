// Per-request web state: language, translator, actor, CSRF token. Resolved by hooks in server.ts / accounts.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, type Actor } from '../access/model';
import { getCookie, setCookie } from '../platform/http/cookies';
import { pickLocale, translator, type Locale, type Translate } from './i18n/index';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    locale: Locale;
    t: Translate;
    csrfToken: string;
  }
}

export const CSRF_COOKIE = 'df_csrf';
export const CSRF_FIELD = '_csrf';
export const LANG_COOKIE = 'df_lang';

export function resolveLocale(request: FastifyRequest): void {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  request.locale = pickLocale(q, getCookie(request, LANG_COOKIE), request.headers['accept-language']);
  request.t = translator(request.locale);
  request.actor = ANONYMOUS;
}

/**
 * CSRF protection by double submit: every HTML response carries a random token in an HttpOnly, SameSite=Lax cookie;
 * every state-changing form posts it back in the hidden `_csrf` field and verifyCsrf() compares the two in constant
 * time. Works for anonymous forms (sign-up, sign-in) as well as signed-in ones.
 */
export function ensureCsrfToken(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  let token = getCookie(request, CSRF_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{32,}$/.test(token)) {
    token = crypto.randomBytes(32).toString('base64url');
    setCookie(reply, CSRF_COOKIE, token, { httpOnly: true, secure, sameSite: 'Lax' });
  }
  request.csrfToken = token;
  return token;
}

export function csrfMatches(request: FastifyRequest, submitted: unknown): boolean {
  const cookie = getCookie(request, CSRF_COOKIE);
  if (!cookie || typeof submitted !== 'string' || submitted.length !== cookie.length) return false;
  return crypto.timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}
