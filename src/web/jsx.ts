// A tiny server-side JSX runtime: components return HTML strings, every text child and attribute value is escaped
// unless it is wrapped with raw(). Classic JSX transform (tsconfig "jsxFactory": "h").

const RAW = Symbol('raw-html');

export interface RawHtml {
  readonly [RAW]: true;
  readonly html: string;
}

export type Child = RawHtml | string | number | boolean | null | undefined | Child[];
export type Props = Record<string, unknown> & { children?: Child };
export type Component<P = Record<string, unknown>> = (props: P & { children?: Child }) => RawHtml;

export function raw(html: string): RawHtml {
  return { [RAW]: true, html };
}

export function isRaw(v: unknown): v is RawHtml {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[RAW] === true;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function renderChild(child: Child): string {
  if (child === null || child === undefined || child === false || child === true) return '';
  if (Array.isArray(child)) return child.map(renderChild).join('');
  if (isRaw(child)) return child.html;
  return escapeHtml(String(child));
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

function renderAttrs(props: Record<string, unknown>): string {
  let out = '';
  for (const [key, value] of Object.entries(props)) {
    if (key === 'children' || key.startsWith('__') || value === undefined || value === null || value === false) continue;
    const name = key === 'className' ? 'class' : key === 'htmlFor' ? 'for' : key;
    if (!/^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/.test(name)) throw new Error(`Invalid attribute name: ${name}`);
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return out;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    type Element = RawHtml;
    interface IntrinsicElements {
      [name: string]: Record<string, unknown>;
    }
    interface ElementChildrenAttribute {
      children: unknown;
    }
  }
}

export function h(tag: string | Component<Record<string, unknown>>, props: Record<string, unknown> | null, ...children: Child[]): RawHtml {
  const allProps: Record<string, unknown> = { ...(props ?? {}) };
  if (children.length > 0) allProps.children = children.length === 1 ? children[0] : children;
  if (typeof tag === 'function') return tag(allProps);
  const attrs = renderAttrs(allProps);
  if (VOID.has(tag)) return raw(`<${tag}${attrs}>`);
  return raw(`<${tag}${attrs}>${renderChild(allProps.children as Child)}</${tag}>`);
}

export function Fragment(props: { children?: Child }): RawHtml {
  return raw(renderChild(props.children));
}

/** Renders a whole document. */
export function renderDocument(root: RawHtml): string {
  return `<!doctype html>\n${root.html}`;
}
