/**
 * The one check for URLs that users supply and that we later render as links (licence, landing page, homepage,
 * contact URL, distribution access/download URLs): an absolute http(s) URL with a host, nothing else. `javascript:`,
 * `data:`, `file:`, `vbscript:`, scheme-relative `//host` and the sloppy `http:host` form are all refused, as are
 * credentials in the URL, whitespace and control characters. WHATWG URL parsing decides the scheme and host, so
 * tricks like ` JaVaScRiPt:` or a tab inside the scheme are judged the way a browser would read them.
 */
const MAX_URL_LENGTH = 2000;

export function isHttpUrl(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_URL_LENGTH) return false;
  // Browsers strip tabs and newlines inside URLs and trim control characters: refuse them rather than guess.
  if ([...s].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f)) return false;
  if (!/^https?:\/\/[^/\\]/i.test(s)) return false;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0 && u.username === '' && u.password === '';
}
