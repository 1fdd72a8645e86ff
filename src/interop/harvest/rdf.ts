// Reading one RDF document (a catalogue, or one Hydra page of it) into an n3 Store, whatever the serialisation:
// Turtle and N-Triples with n3's StreamParser, RDF/XML with rdfxml-streaming-parser behind a DOCTYPE guard, JSON-LD
// with jsonld and the bundled-contexts-only document loader of src/interop/dcat (a remote @context is refused, never
// fetched). The body arrives capped by fetch.ts, so a document in memory is at most HARVEST_MAX_BYTES.
import { Transform, type Readable } from 'node:stream';
import jsonld from 'jsonld';
import { DataFactory, StreamParser, type Quad, type Term } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { bundledDocumentLoader, RemoteContextRefusedError } from '../dcat/serialise';
import { HarvestFetchError, readText } from './fetch';

export type RdfSyntax = 'turtle' | 'ntriples' | 'rdfxml' | 'jsonld';

export class RdfParseError extends Error {
  override name = 'RdfParseError';
}

const BY_MEDIA_TYPE: Record<string, RdfSyntax> = {
  'text/turtle': 'turtle',
  'application/x-turtle': 'turtle',
  'text/n3': 'turtle',
  'application/n-triples': 'ntriples',
  'application/rdf+xml': 'rdfxml',
  'application/xml': 'rdfxml',
  'text/xml': 'rdfxml',
  'application/ld+json': 'jsonld',
  'application/json': 'jsonld',
};

/** The syntax from the Content-Type, else the URL's suffix, else null (the caller sniffs). */
export function syntaxOf(contentType: string, url: string): RdfSyntax | null {
  const byType = BY_MEDIA_TYPE[contentType];
  if (byType) return byType;
  const suffix = /\.([a-z]+)(?:[?#].*)?$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  if (suffix === 'ttl' || suffix === 'n3') return 'turtle';
  if (suffix === 'nt') return 'ntriples';
  if (suffix === 'rdf' || suffix === 'owl' || suffix === 'xml') return 'rdfxml';
  if (suffix === 'jsonld' || suffix === 'json') return 'jsonld';
  return null;
}

export const RDF_ACCEPT = 'text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, application/n-triples;q=0.8, */*;q=0.1';

// --- RDF/XML DOCTYPE guard ------------------------------------------------------------------------------------------

const PROLOG_LIMIT = 256 * 1024;
const MAX_ENTITIES = 100;
const MAX_ENTITY_VALUE = 500;
const MAX_EXPANSION = 4 * 1024 * 1024;

/**
 * RDF/XML may declare entities in its DOCTYPE, and the parser expands simple ones (`<!ENTITY owl "http://…">`, the
 * form ontology editors write). Everything else is refused before the parser sees it: external entities (SYSTEM,
 * PUBLIC — a file or URL read), parameter entities, entity values that reference other entities (the "billion laughs"
 * expansion bomb), more than 100 entities, and more than 4 MB of expansion in total (many references to one entity).
 */
export function doctypeGuard(): Transform {
  let prolog = '';
  let decided = false;
  let entities = new Map<string, number>();
  let expansion = 0;
  let carry = '';
  const countRefs = (text: string): void => {
    if (entities.size === 0) return;
    const scan = carry + text;
    for (const m of scan.matchAll(/&([A-Za-z_][\w.-]*);/g)) {
      const len = entities.get(m[1]!);
      if (len !== undefined && m.index! + m[0].length > carry.length) expansion += len;
    }
    carry = scan.slice(-64);
    if (expansion > MAX_EXPANSION) throw new RdfParseError('The RDF/XML document expands entities to more than 4 MB; refused as an entity expansion bomb.');
  };
  const decide = (): void => {
    const start = prolog.search(/<!DOCTYPE/i);
    if (start < 0) {
      decided = true;
      return;
    }
    const open = prolog.indexOf('[', start);
    const firstClose = prolog.indexOf('>', start);
    let end: number;
    if (open < 0 || (firstClose >= 0 && firstClose < open)) end = firstClose;
    else {
      const close = prolog.indexOf(']', open);
      end = close < 0 ? -1 : prolog.indexOf('>', close);
    }
    if (end < 0) {
      if (prolog.length > PROLOG_LIMIT) throw new RdfParseError('The RDF/XML DOCTYPE does not end within 256 KB; refused.');
      return;
    }
    const doctype = prolog.slice(start, end + 1);
    if (/\b(SYSTEM|PUBLIC)\b/.test(doctype)) throw new RdfParseError('The RDF/XML document declares an external entity or DTD (SYSTEM/PUBLIC); refused, nothing is read from files or URLs.');
    if (/<!ENTITY\s+%/.test(doctype)) throw new RdfParseError('The RDF/XML document declares parameter entities; refused.');
    const decls = [...doctype.matchAll(/<!ENTITY\s+(\S+)\s+(["'])([\s\S]*?)\2\s*>/g)];
    const all = (doctype.match(/<!ENTITY/g) ?? []).length;
    if (all !== decls.length) throw new RdfParseError('The RDF/XML document has entity declarations that are not simple quoted values; refused.');
    if (decls.length > MAX_ENTITIES) throw new RdfParseError(`The RDF/XML document declares more than ${MAX_ENTITIES} entities; refused.`);
    entities = new Map();
    for (const d of decls) {
      const value = d[3]!;
      if (/[&%<]/.test(value)) throw new RdfParseError(`Entity "${d[1]}" refers to other entities; refused as an entity expansion bomb.`);
      if (value.length > MAX_ENTITY_VALUE) throw new RdfParseError(`Entity "${d[1]}" is longer than ${MAX_ENTITY_VALUE} characters; refused.`);
      entities.set(d[1]!, value.length);
    }
    decided = true;
    countRefs(prolog.slice(end + 1));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        if (!decided) {
          prolog += chunk.toString('utf8');
          decide();
          if (decided) {
            const out = prolog;
            prolog = '';
            return cb(null, out);
          }
          return cb();
        }
        countRefs(chunk.toString('latin1'));
        cb(null, chunk);
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb) {
      try {
        if (!decided) {
          decide();
          if (!decided) throw new RdfParseError('The RDF/XML DOCTYPE never ends; refused.');
          cb(null, prolog);
          return;
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

// --- the graph of one document ------------------------------------------------------------------------------------

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
/** Predicates whose objects are looked up without a subject (paging links). */
const TRACKED = new Set(['http://www.w3.org/ns/hydra/core#next', 'http://www.w3.org/ns/hydra/core#nextPage']);

const keyOf = (t: Term) => (t.termType === 'BlankNode' ? `_:${t.value}` : t.value);
const termKey = (t: Term) => (t.termType === 'Literal' ? `"${t.value}"@${(t as unknown as { language: string }).language}^${(t as unknown as { datatype?: Term }).datatype?.value ?? ''}` : keyOf(t));

/**
 * The quads of one document indexed the way harvesting reads them: by subject and predicate, subjects by rdf:type,
 * and a few predicates by themselves. n3's Store keeps three full indexes with numeric ids, which for a page of 1000
 * datasets costs several times the parse itself (measured: bench/harvest.ts); this keeps one.
 */
export class Graph {
  private readonly bySubject = new Map<string, Map<string, Term[]>>();
  private readonly byType = new Map<string, Term[]>();
  private readonly tracked = new Map<string, Term[]>();
  /** For long object lists (a catalogue's dcat:dataset), the objects already there, for the set check below. */
  private readonly long = new WeakMap<Term[], Set<string>>();
  size = 0;

  private isDuplicate(list: Term[], o: Term): boolean {
    // RDF is a set: a triple stated twice is one triple. Short lists are compared directly, long ones by key.
    if (list.length < 16) return list.some((x) => x.equals(o));
    let keys = this.long.get(list);
    if (!keys) this.long.set(list, (keys = new Set(list.map(termKey))));
    const k = termKey(o);
    if (keys.has(k)) return true;
    keys.add(k);
    return false;
  }

  add(q: Quad): void {
    const sk = keyOf(q.subject);
    let props = this.bySubject.get(sk);
    if (!props) this.bySubject.set(sk, (props = new Map()));
    const p = q.predicate.value;
    const list = props.get(p);
    if (list) {
      if (this.isDuplicate(list, q.object)) return;
      list.push(q.object);
    } else props.set(p, [q.object]);
    this.size++;
    if (p === RDF_TYPE) {
      const subjects = this.byType.get(q.object.value);
      if (subjects) subjects.push(q.subject);
      else this.byType.set(q.object.value, [q.subject]);
    }
    if (TRACKED.has(p)) {
      const objects = this.tracked.get(p) ?? [];
      objects.push(q.object);
      this.tracked.set(p, objects);
    }
  }

  objects(s: Term, p: string): Term[] {
    return this.bySubject.get(keyOf(s))?.get(p) ?? [];
  }

  subjectsOfType(type: string): Term[] {
    return this.byType.get(type) ?? [];
  }

  /** Objects of a tracked predicate (TRACKED), whatever the subject. */
  objectsOf(p: string): Term[] {
    return this.tracked.get(p) ?? [];
  }
}

// --- parsing --------------------------------------------------------------------------------------------------------

function streamInto(store: Graph, source: Readable, parser: NodeJS.ReadWriteStream, syntax: string, complete: () => boolean = () => true): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      source.destroy();
      if (err instanceof HarvestFetchError || err instanceof RdfParseError) reject(err);
      else reject(new RdfParseError(`Malformed ${syntax}: ${err.message.slice(0, 300)}`));
    };
    source.on('error', fail);
    parser.on('error', fail);
    parser.on('data', (q: Quad) => store.add(q));
    parser.on('end', () => {
      if (done) return;
      if (!complete()) return fail(new RdfParseError(`Malformed ${syntax}: the document ends before its root element is closed.`));
      done = true;
      resolve();
    });
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

type JsonLdTerm = { termType: string; value: string; language?: string; datatype?: { value: string } };

function toTerm(t: JsonLdTerm): Term {
  if (t.termType === 'NamedNode') return DataFactory.namedNode(t.value);
  if (t.termType === 'BlankNode') return DataFactory.blankNode(t.value.replace(/^_:/, ''));
  if (t.termType === 'Literal') return DataFactory.literal(t.value, t.language ? t.language : t.datatype ? DataFactory.namedNode(t.datatype.value) : undefined);
  return DataFactory.defaultGraph();
}

function isRemoteContextError(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 6; i++) {
    if (e instanceof RemoteContextRefusedError) return true;
    const o = e as { cause?: unknown; details?: { cause?: unknown } };
    e = o.cause ?? o.details?.cause;
  }
  return /Refusing to load the JSON-LD document/.test(String((err as Error)?.message ?? ''));
}

/** Parses one document into a store; throws RdfParseError (malformed, refused) or HarvestFetchError (size, timeout). */
export async function parseRdf(body: Readable, syntax: RdfSyntax | null, baseIRI: string): Promise<Graph> {
  const store = new Graph();
  let chosen = syntax;
  let source: Readable = body;
  if (!chosen) {
    // Sniff: the first non-blank bytes tell XML, JSON and Turtle apart.
    const first = await new Promise<Buffer>((resolve, reject) => {
      const onReadable = () => {
        const c = body.read() as Buffer | null;
        if (c === null) return;
        cleanup();
        resolve(c);
      };
      const onEnd = () => {
        cleanup();
        resolve(Buffer.alloc(0));
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        body.off('readable', onReadable);
        body.off('end', onEnd);
        body.off('error', onError);
      };
      body.on('readable', onReadable);
      body.on('end', onEnd);
      body.on('error', onError);
    });
    const head = first.toString('utf8', 0, Math.min(first.length, 512)).trimStart();
    if (/^<!doctype html|^<html/i.test(head)) throw new RdfParseError('The source answered an HTML page, not RDF.');
    chosen = head.startsWith('<') ? 'rdfxml' : head.startsWith('{') || head.startsWith('[') ? 'jsonld' : 'turtle';
    body.unshift(first);
    source = body;
  }
  if (chosen === 'jsonld') {
    const text = await readText(source);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new RdfParseError(`Malformed JSON-LD: ${(err as Error).message.slice(0, 200)}`);
    }
    try {
      const quads = (await jsonld.toRDF(doc as never, { base: baseIRI, documentLoader: bundledDocumentLoader as never, safe: false } as never)) as unknown as { subject: JsonLdTerm; predicate: JsonLdTerm; object: JsonLdTerm }[];
      for (const q of quads) store.add(DataFactory.quad(toTerm(q.subject) as never, toTerm(q.predicate) as never, toTerm(q.object) as never));
    } catch (err) {
      if (isRemoteContextError(err)) throw new RdfParseError('The JSON-LD document names a remote @context; only bundled contexts are used and nothing is fetched, so it was refused.');
      throw new RdfParseError(`Malformed JSON-LD: ${String((err as Error).message).slice(0, 300)}`);
    }
    return store;
  }
  if (chosen === 'rdfxml') {
    const guard = doctypeGuard();
    const parser = new RdfXmlParser({ baseIRI });
    source.on('error', (e) => guard.destroy(e));
    // The parser ends quietly on a document cut off mid-element; saxes knows whether the root element was closed.
    const sax = (parser as unknown as { saxParser?: { closedRoot?: boolean } }).saxParser;
    await streamInto(store, source.pipe(guard), parser, 'RDF/XML', () => sax?.closedRoot !== false);
    return store;
  }
  const parser = new StreamParser({ format: chosen === 'ntriples' ? 'N-Triples' : 'Turtle', baseIRI });
  await streamInto(store, source, parser, chosen === 'ntriples' ? 'N-Triples' : 'Turtle');
  return store;
}
