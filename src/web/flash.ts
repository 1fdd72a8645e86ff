// A one-time notice after a redirect ("the dataset is published"): a short-lived cookie scoped to the page that shows
// it, read and cleared on the next view. Nothing is stored on the server, so any node can show it; without the cookie
// (another browser, a reload) the page simply has no notice.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getCookie, setCookie } from '../platform/http/cookies';

const FLASH_COOKIE = 'df_flash';
const FLASH_SECONDS = 120;

/** Leaves `kind` for the next view of `path` (a page URL without query string). */
export function setFlash(reply: FastifyReply, path: string, kind: string, secure: boolean): void {
  setCookie(reply, FLASH_COOKIE, kind, { path, maxAgeSeconds: FLASH_SECONDS, httpOnly: true, secure, sameSite: 'Lax' });
}

/** The notice left for this page, if it is one of `kinds`; clears it so it shows once. */
export function takeFlash<K extends string>(request: FastifyRequest, reply: FastifyReply, path: string, kinds: readonly K[], secure: boolean): K | undefined {
  const value = getCookie(request, FLASH_COOKIE);
  if (value === undefined) return undefined;
  setCookie(reply, FLASH_COOKIE, '', { path, maxAgeSeconds: 0, httpOnly: true, secure, sameSite: 'Lax' });
  return (kinds as readonly string[]).includes(value) ? (value as K) : undefined;
}
