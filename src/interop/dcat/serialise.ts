// The four RDF serialisations of the export, each a transform from chunks of quads (one dataset at a time) to chunks of
// text, so a response streams and never holds more than one chunk. Turtle and N-Triples come from n3's Writer; JSON-LD
// from jsonld's fromRDF + compact per chunk inside one `@graph` array; RDF/XML from the small writer below.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonld from 'jsonld';
import { Writer, type Quad } from 'n3';
import { NS, type RdfFormat } from './model';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DCAT_RESOURCES = path.resolve(here, '../../../resources/dcat');

export const PREFIXES: Record<string, string> = { ...NS };

// --- JSON-LD: bundled contexts only ---------------------------------------------------------------------------------

/** The JSON-LD contexts we carry (resources/dcat/README.md), by the URL documents name them with. */
export const BUNDLED_CONTEXTS: Record<string, string> = {
  'https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld': '3.0.1_context_dcat-ap.jsonld',
};

export class RemoteContextRefusedError extends Error {
  constructor(url: string) {
    super(`Refusing to load the JSON-LD document ${url}: only bundled contexts are used, nothing is fetched.`);
  }
}

/**
 * jsonld's document loader: serves the bundled contexts from disk and refuses every other URL, so no JSON-LD
 * processing here ever reaches the network (offline that would hang or fail; online it is a request forgery risk).
 */
export async function bundledDocumentLoader(url: string): Promise<{ contextUrl: undefined; documentUrl: string; document: unknown }> {
  const file = Object.hasOwn(BUNDLED_CONTEXTS, url) ? BUNDLED_CONTEXTS[url] : undefined;
  if (!file) throw new RemoteContextRefusedError(url);
  const document = JSON.parse(await fs.promises.readFile(path.join(DCAT_RESOURCES, file), 'utf8')) as unknown;
  return { contextUrl: undefined, documentUrl: url, document };
}

/** The context of our JSON-LD output: the prefixes, inline, so a reader needs to fetch nothing either. */
export const JSONLD_CONTEXT = PREFIXES;

async function jsonldNodes(quads: Quad[]): Promise<unknown[]> {
  // jsonld's types want its own RDF dataset shape; n3 quads carry the same fields (termType, value, language, datatype).
  const expanded = await jsonld.fromRDF(quads as never, { useNativeTypes: false });
  const compacted = (await jsonld.compact(expanded, JSONLD_CONTEXT, { documentLoader: bundledDocumentLoader as never })) as Record<string, unknown>;
  if (Array.isArray(compacted['@graph'])) return compacted['@graph'] as unknown[];
  const { '@context': _ctx, ...node } = compacted;
  return Object.keys(node).length > 0 ? [node] : [];
}

// --- RDF/XML --------------------------------------------------------------------------------------------------------
// No RDF/XML serialiser is installed (n3 writes Turtle, TriG, N-Triples and N-Quads only), so this is a small writer
// for the flat "one rdf:Description per subject" form: rdf:about for IRIs, rdf:nodeID for blank nodes, property
// elements as qnames (a property whose IRI cannot be split into a namespace and an XML NCName cannot be written in
// RDF/XML at all, and is refused rather than mangled), literals with xml:lang or rdf:datatype.

const NCNAME = /^[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD][A-Za-z0-9_.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]*$/;
// Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone surrogates): RDF/XML
// cannot represent them, so they become U+FFFD here only. The other three serialisations carry them unchanged.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlEscape(s: string, attribute = false): string {
  let out = s.replace(XML_FORBIDDEN, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  if (attribute) out = out.replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
  return out;
}

export function splitQName(iri: string): { ns: string; local: string } {
  const m = /^(.*[#/])([^#/]*)$/.exec(iri);
  if (!m || !m[2] || !NCNAME.test(m[2])) throw new Error(`The property ${iri} has no XML qualified name and cannot be written as RDF/XML.`);
  return { ns: m[1]!, local: m[2] };
}

const NS_PREFIX = new Map(Object.entries(PREFIXES).map(([p, ns]) => [ns, p]));

function rdfXmlChunk(quads: Quad[]): string {
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const key = `${q.subject.termType}:${q.subject.value}`;
    const list = bySubject.get(key);
    if (list) list.push(q);
    else bySubject.set(key, [q]);
  }
  let out = '';
  for (const qs of bySubject.values()) {
    const subj = qs[0]!.subject;
    out += subj.termType === 'BlankNode' ? `  <rdf:Description rdf:nodeID="${xmlEscape(subj.value, true)}">\n` : `  <rdf:Description rdf:about="${xmlEscape(subj.value, true)}">\n`;
    for (const q of qs) {
      const { ns, local } = splitQName(q.predicate.value);
      const known = NS_PREFIX.get(ns);
      const name = known ? `${known}:${local}` : `p:${local}`;
      const decl = known ? '' : ` xmlns:p="${xmlEscape(ns, true)}"`;
      const o = q.object;
      if (o.termType === 'NamedNode') out += `    <${name}${decl} rdf:resource="${xmlEscape(o.value, true)}"/>\n`;
      else if (o.termType === 'BlankNode') out += `    <${name}${decl} rdf:nodeID="${xmlEscape(o.value, true)}"/>\n`;
      else if (o.termType === 'Literal') {
        const attr = o.language ? ` xml:lang="${xmlEscape(o.language, true)}"` : o.datatype.value !== `${NS.xsd}string` ? ` rdf:datatype="${xmlEscape(o.datatype.value, true)}"` : '';
        out += `    <${name}${decl}${attr}>${xmlEscape(o.value)}</${name}>\n`;
      }
    }
    out += '  </rdf:Description>\n';
  }
  return out;
}

function rdfXmlHead(): string {
  const decls = Object.entries(PREFIXES)
    .map(([p, ns]) => `\n    xmlns:${p}="${xmlEscape(ns, true)}"`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF${decls}>\n`;
}

// --- the transforms -------------------------------------------------------------------------------------------------

function writeWith(quads: Quad[], options: ConstructorParameters<typeof Writer>[0]): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Writer(options);
    w.addQuads(quads);
    w.end((err, result: string) => (err ? reject(err) : resolve(result)));
  });
}

/** Turns chunks of quads into chunks of text in one serialisation; the first chunk carries the prefixes/opening. */
export async function* serialise(format: RdfFormat, chunks: AsyncIterable<Quad[]>): AsyncGenerator<string> {
  if (format === 'ntriples') {
    for await (const qs of chunks) yield await writeWith(qs, { format: 'N-Triples' });
    return;
  }
  if (format === 'turtle') {
    // Each chunk is written by its own Writer with the prefixes; its prefix block is identical every time, so the
    // first chunk keeps it and the rest drop it.
    const head = await writeWith([], { prefixes: PREFIXES });
    yield head;
    for await (const qs of chunks) {
      const text = await writeWith(qs, { prefixes: PREFIXES });
      yield `${text.startsWith(head) ? text.slice(head.length) : text}\n`;
    }
    return;
  }
  if (format === 'jsonld') {
    yield `{"@context":${JSON.stringify(JSONLD_CONTEXT)},"@graph":[`;
    let first = true;
    for await (const qs of chunks) {
      for (const node of await jsonldNodes(qs)) {
        yield `${first ? '\n' : ',\n'}${JSON.stringify(node)}`;
        first = false;
      }
    }
    yield '\n]}\n';
    return;
  }
  yield rdfXmlHead();
  for await (const qs of chunks) yield rdfXmlChunk(qs);
  yield '</rdf:RDF>\n';
}
