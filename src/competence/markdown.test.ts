// The markdown renderer: real guide markdown renders with heading ids; hostile markdown cannot carry script, frames,
// styles, event handlers or javascript:/data: links onto a page.
import { describe, expect, it } from 'vitest';
import { plainText, renderMarkdown, slugify } from './markdown';

describe('renderMarkdown', () => {
  it('renders headings with unique ids, lists, code and links', () => {
    const html = renderMarkdown('## Velge lisens – NLOD?\n\n- en\n- to\n\n## Velge lisens – NLOD?\n\n`kode` og [NLOD](https://data.norge.no/nlod/no/2.0) og [intern](/datasett) og [e-post](mailto:a@example.no)\n');
    expect(html).toContain('<h2 id="velge-lisens-nlod">Velge lisens – NLOD?</h2>');
    expect(html).toContain('<h2 id="velge-lisens-nlod-1">');
    expect(html).toContain('<li>en</li>');
    expect(html).toContain('<code>kode</code>');
    expect(html).toContain('<a href="https://data.norge.no/nlod/no/2.0" rel="noopener noreferrer">NLOD</a>');
    expect(html).toContain('<a href="/datasett">intern</a>');
    expect(html).toContain('href="mailto:a@example.no"');
  });

  it('gives Norwegian headings readable ids and never a page id such as "main"', () => {
    expect(slugify('Åpne data – særlig kommunenummer')).toBe('apne-data-saerlig-kommunenummer');
    expect(slugify('!!!')).toBe('seksjon');
    expect(renderMarkdown('# Main')).toBe('<h2 id="main-1">Main</h2>\n');
    expect(renderMarkdown('<h2 id="main">x</h2>')).toBe('<h2>x</h2>');
    // Not the ids of the operator's form fields shown beside the preview either.
    expect(renderMarkdown('## Title\n\n## Body')).toBe('<h2 id="title-1">Title</h2>\n<h2 id="body-1">Body</h2>\n');
  });

  const hostile: [string, string][] = [
    ['script tag', 'Hei <script>alert(1)</script> der'],
    ['script with odd case', '<ScRiPt src="https://evil.example/x.js"></ScRiPt>'],
    ['img onerror', '<img src="x" onerror="alert(1)">'],
    ['javascript link', '[x](javascript:alert(1))'],
    ['javascript link with entities', '[x](jav&#x09;ascript:alert(1))'],
    ['javascript in raw html', '<a href="JaVaScRiPt:alert(1)">x</a>'],
    ['data link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['style', '<style>body{display:none}</style><p style="color:red">x</p>'],
    ['html comment trick', '<!-- --><script>alert(1)</script><!-- -->\n\n<!--<img src=x onerror=alert(1)>-->'],
    ['comment closing inside attribute', '<p title="--><script>alert(1)</script>">x</p>'],
    ['svg onload', '<svg onload="alert(1)"><circle/></svg>'],
    ['object and embed', '<object data="x.swf"></object><embed src="x.swf">'],
    ['form', '<form action="https://evil.example"><input name="password"></form>'],
    ['protocol-relative link', '[x](//evil.example/phish)'],
    ['image with javascript', '![x](javascript:alert(1))'],
    ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example">'],
  ];
  for (const [name, md] of hostile) {
    it(`neutralises ${name}`, () => {
      const html = renderMarkdown(md);
      expect(html).not.toMatch(/<script|<iframe|<style|<svg|<object|<embed|<form|<input|<meta/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/javascript:|data:|style=/i);
      expect(html).not.toMatch(/href="\/\//);
      expect(html).not.toContain('alert(1)</');
    });
  }

  it('renders a 1 MB body without giving up and without leaking anything from it', () => {
    const chunk = 'Avsnitt med **fet** tekst og <script>alert(1)</script> og [lenke](javascript:x).\n\n';
    const md = chunk.repeat(Math.ceil(1_000_000 / chunk.length));
    expect(md.length).toBeGreaterThanOrEqual(1_000_000);
    const html = renderMarkdown(md);
    expect(html.length).toBeGreaterThan(500_000);
    expect(html).not.toMatch(/<script|javascript:/i);
  });

  it('puts tables in a named, focusable scrolling region', () => {
    const html = renderMarkdown('| a | b |\n|---|---|\n| 1 | 2 |\n', { tableLabel: 'Tabell "x"' });
    expect(html).toMatch(/^<div class="df-table-wrap" role="region" tabindex="0" aria-label="Tabell x"><table class="ds-table">[^]*<\/table><\/div>\n$/);
    expect(renderMarkdown('<table onclick="x()" class="evil"><tr><td>1</td></tr></table>')).toMatch(/^<div class="df-table-wrap"[^>]*><table class="ds-table"><tr><td>1<\/td><\/tr><\/table><\/div>$/);
  });

  it('gives plain text for summaries', () => {
    expect(plainText('**Fet** og <script>x</script>[lenke](https://example.org)')).toBe('Fet og lenke');
  });
});
