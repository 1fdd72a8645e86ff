// The DCAT-AP-NO routes (outside /api/v1: these are the catalogue's linked-data URLs, documented in README.md):
//   GET /catalog[.ttl|.jsonld|.rdf|.nt]?publisher=ORGNR&page=N   the catalogue, or one publisher's, Hydra-paged
//   GET /catalog/dump.ttl                                          every dataset in one Turtle file (ETag, Last-Modified)
//   GET /datasets/{id}[.ttl|.jsonld|.rdf|.nt]                      one dataset with its distributions
// Without a suffix the Accept header chooses (Turtle by default, 406 for anything we do not write).
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Quad } from 'n3';
import { DomainError, NotFoundError } from '../../errors';
import type { Services } from '../../services';
import { urls } from '../../web/urls';
import { formatFromSuffix, RDF_FORMATS, type RdfFormat } from './model';
import { serialise } from './serialise';
import { parsePage, parsePublisher } from './service';

const ORDER: RdfFormat[] = ['turtle', 'jsonld', 'rdfxml', 'ntriples'];

export class NotAcceptableError extends DomainError {
  constructor(accept: string) {
    super(406, 'not_acceptable', `Cannot answer with any of "${accept.slice(0, 200)}". This resource is available as ${ORDER.map((f) => RDF_FORMATS[f].mediaType).join(', ')}; or add a suffix: ${ORDER.map((f) => `.${RDF_FORMATS[f].suffix}`).join(', ')}.`);
  }
}

/** Picks the serialisation from an Accept header: the highest q among ours, Turtle for none or a wildcard. */
export function negotiate(accept: string | undefined): RdfFormat {
  if (!accept || !accept.trim()) return 'turtle';
  let best: { format: RdfFormat; q: number; rank: number } | undefined;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';').map((x) => x.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    ORDER.forEach((format, rank) => {
      const mt = RDF_FORMATS[format].mediaType;
      const matches = range === mt || range === '*/*' || (range.endsWith('/*') && mt.startsWith(range.slice(0, -1)));
      const specific = range === mt ? 0 : 10;
      if (matches && (!best || q > best.q || (q === best.q && rank + specific < best.rank))) best = { format, q, rank: rank + specific };
    });
  }
  if (!best) throw new NotAcceptableError(accept);
  return best.format;
}

/** True when the Accept header names text/html and none of our RDF types (a browser following a link). */
function prefersHtml(accept: string | undefined): boolean {
  const a = (accept ?? '').toLowerCase();
  return a.includes('text/html') && !ORDER.some((f) => a.includes(RDF_FORMATS[f].mediaType));
}

/** Reads the first chunk before anything is sent, so a 400/404 from the catalogue is a proper error response. */
async function primed(chunks: AsyncGenerator<Quad[]>): Promise<AsyncGenerator<Quad[]>> {
  const first = await chunks.next();
  async function* all() {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  return all();
}

function sendRdf(reply: FastifyReply, format: RdfFormat, chunks: AsyncGenerator<Quad[]>) {
  return reply
    .type(`${RDF_FORMATS[format].mediaType}; charset=utf-8`)
    .header('vary', 'Accept')
    .send(Readable.from(serialise(format, chunks)));
}

function formatOf(request: FastifyRequest, suffix: string | undefined): RdfFormat {
  if (suffix === undefined) return negotiate(request.headers.accept);
  const f = formatFromSuffix(suffix);
  if (!f) throw new NotFoundError('Serialisation', suffix, 'not_found');
  return f;
}

export const dcatRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const dcat = services.dcat;
  const query = { type: 'object', properties: { publisher: { type: 'string' }, page: { type: 'string' }, lang: { type: 'string' } }, additionalProperties: false } as const;

  const catalog = (suffix: string | undefined) => async (request: FastifyRequest, reply: FastifyReply) => {
    const format = formatOf(request, suffix);
    const q = request.query as { publisher?: string; page?: string };
    const chunks = await primed(dcat.catalogChunks({ publisher: parsePublisher(q.publisher), page: parsePage(q.page) }));
    return sendRdf(reply, format, chunks);
  };
  app.get('/catalog', { schema: { hide: true, querystring: query } }, catalog(undefined));
  for (const f of ORDER) app.get(`/catalog.${RDF_FORMATS[f].suffix}`, { schema: { hide: true, querystring: query } }, catalog(RDF_FORMATS[f].suffix));

  app.get('/catalog/dump.ttl', { schema: { hide: true } }, async (request, reply) => {
    const dump = await dcat.dump();
    const etag = `"${dump.etag}"`;
    reply.header('etag', etag).header('last-modified', dump.lastModified.toUTCString()).type('text/turtle; charset=utf-8');
    const inm = request.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.status(304).send();
    return reply.send(await dump.open());
  });

  app.get('/datasets/:file', { schema: { hide: true, params: { type: 'object', properties: { file: { type: 'string', maxLength: 200 } }, required: ['file'] } } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const m = /^(.+?)(?:\.([a-z]+))?$/.exec(file);
    const id = m?.[1] ?? file;
    const suffix = m?.[2];
    // A browser dereferencing the dataset's URI (HTML asked for, no RDF type named) is sent to the dataset page;
    // the visibility check comes first, so a draft is 404 here as everywhere.
    const chunks = await dcat.datasetChunks(id);
    if (suffix === undefined && prefersHtml(request.headers.accept)) return reply.redirect(urls.dataset(id), 303);
    return sendRdf(reply, formatOf(request, suffix), chunks);
  });
};
