// Minimal cookie parsing and Set-Cookie building (the maintained Fastify cookie plugin pulls `cookie` 2.x, which
// declares Node ≥ 22). Values are URI-encoded; names are fixed by our code.
import type { FastifyReply, FastifyRequest } from 'fastify';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name in out) continue; // the first (most specific) wins
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

export interface CookieOptions {
  maxAgeSeconds?: number; // 0 deletes
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  path?: string;
}

export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  let s = `${name}=${encodeURIComponent(value)}; Path=${o.path ?? '/'}`;
  if (o.maxAgeSeconds !== undefined) s += `; Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`;
  if (o.httpOnly !== false) s += '; HttpOnly';
  if (o.secure) s += '; Secure';
  s += `; SameSite=${o.sameSite ?? 'Lax'}`;
  return s;
}

export function getCookie(request: FastifyRequest, name: string): string | undefined {
  return parseCookies(request.headers.cookie)[name];
}

/** Adds a Set-Cookie header without dropping ones set earlier in the same reply. */
export function setCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions = {}): void {
  // Fastify appends to an existing Set-Cookie header (it never merges into one line), so pass just the new one.
  reply.header('set-cookie', serializeCookie(name, value, o));
}

/** Sets a cookie, dropping any Set-Cookie for the same name added earlier in this reply (the last word wins). */
export function replaceCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions = {}): void {
  const prev = reply.getHeader('set-cookie');
  const others = (prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)]).filter((c) => !c.startsWith(`${name}=`));
  others.push(serializeCookie(name, value, o));
  reply.removeHeader('set-cookie');
  reply.header('set-cookie', others);
}
