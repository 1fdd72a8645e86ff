import { describe, expect, it } from 'vitest';
import { isHttpUrl } from './url';

describe('isHttpUrl', () => {
  it('accepts absolute http and https URLs', () => {
    for (const u of ['https://data.norge.no/', 'http://www.ssb.no/statbank?x=1#y', 'https://example.no:8443/a%20b', 'HTTPS://EXAMPLE.NO']) expect(isHttpUrl(u), u).toBe(true);
  });

  it('refuses every other scheme and the sloppy or disguised forms', () => {
    for (const u of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'vbscript:msgbox(1)',
      'ftp://example.no/',
      '//evil.example/',
      'http:evil.example',
      'http:/evil.example',
      'https://user:pw@example.no/',
      'https://exa mple.no/',
      'https://example.no/\u0000',
      'https:\\\\evil.example',
      '/relative/path',
      '',
      `https://example.no/${'a'.repeat(2001)}`,
    ]) {
      expect(isHttpUrl(u), JSON.stringify(u)).toBe(false);
    }
  });
});
