// Markdown → safe HTML for guides and operator content: marked (GitHub flavoured) renders, sanitize-html keeps only an
// allow-list of tags and attributes. Raw HTML in markdown is allowed through marked and then cleaned, so a hostile
// body (script, iframe, style, on* handlers, javascript:/data: links, comment tricks) cannot reach the page.
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

/**
 * Ids the pages themselves use (the layout, the list's filters, the operator's form beside its preview); a heading
 * with one of these texts gets a suffix, and a raw-HTML heading may not claim one.
 */
const RESERVED_HTML_IDS = new Set(['main', 'content', 'filters', 'preview', 'preview-heading', 'content-caption', 'id', 'lang', 'title', 'summary', 'audience', 'kind', 'level', 'duration', 'provider', 'free', 'link', 'published', 'updated', 'body', 'body-desc', 'body-error']);
const SAFE_ID = /^[a-z0-9][a-z0-9-]{0,99}$/;

/** "Velge lisens – NLOD?" → "velge-lisens-nlod" (æøå kept as ae/o/a so Norwegian headings give readable ids). */
export function slugify(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/[øö]/g, 'o')
    .replace(/[åä]/g, 'a')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return s || 'seksjon';
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code', 'em', 'strong', 'del', 'hr', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'img', 'abbr', 'dl', 'dt', 'dd', 'sup', 'sub', 'kbd'],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    h1: ['id'],
    h2: ['id'],
    h3: ['id'],
    h4: ['id'],
    h5: ['id'],
    h6: ['id'],
    th: ['align', 'scope'],
    td: ['align'],
    abbr: ['title'],
    ol: ['start'],
  },
  // Links only http(s), mailto or relative; images only http(s) or relative. No protocol-relative "//host" links.
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  // script/style/textarea contents are dropped entirely (sanitize-html's nonTextTags), other disallowed tags unwrapped.
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => {
      const href = attribs.href ?? '';
      const external = /^https?:\/\//i.test(href);
      const out: Record<string, string> = { ...attribs };
      if (external) out.rel = 'noopener noreferrer';
      else delete out.rel;
      return { tagName, attribs: out };
    },
    ...Object.fromEntries(
      ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((tag) => [
        tag,
        (tagName: string, attribs: sanitizeHtml.Attributes) => {
          const id = attribs.id;
          return { tagName, attribs: id && SAFE_ID.test(id) && !RESERVED_HTML_IDS.has(id) ? { id } : {} };
        },
      ]),
    ),
  },
};

/**
 * Renders markdown to sanitised HTML; every heading gets a unique id from its text; h1 becomes h2. Tables are put in
 * a scrolling region (focusable, named `tableLabel`) so a wide one scrolls by itself instead of the whole phone page.
 */
export function renderMarkdown(markdown: string, opts: { tableLabel?: string } = {}): string {
  const seen = new Map<string, number>();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      heading({ tokens, depth, text }) {
        let id = slugify(text);
        if (RESERVED_HTML_IDS.has(id)) id = `${id}-1`;
        const n = seen.get(id) ?? 0;
        seen.set(id, n + 1);
        if (n > 0) id = `${id}-${n}`;
        // The page's title is its only h1, so a "# Heading" in the body becomes an h2.
        const level = Math.max(depth, 2);
        return `<h${level} id="${id}">${this.parser.parseInline(tokens)}</h${level}>\n`;
      },
    },
  });
  const html = marked.parse(markdown, { async: false });
  // Wrapped after sanitising: the allow-list gives <table> no attributes, so the bare tag is all there is to find, and
  // no markdown author can add a region of their own.
  const label = (opts.tableLabel ?? 'Tabell').replace(/[&<>"']/g, '');
  return sanitizeHtml(html, SANITIZE)
    .replace(/<table>/g, `<div class="df-table-wrap" role="region" tabindex="0" aria-label="${label}"><table class="ds-table">`)
    .replace(/<\/table>/g, '</table></div>');
}

/** Plain text of a markdown snippet (for summaries in feeds): rendered, then every tag removed. */
export function plainText(markdown: string): string {
  return sanitizeHtml(new Marked({ gfm: true, async: false }).parse(markdown, { async: false }), { allowedTags: [], allowedAttributes: {} }).trim();
}
