// Builds the DCAT-AP-NO graph of the catalogue from the catalog service, one dataset at a time, so a serialiser can
// write each dataset's quads to the response as they come and the whole catalogue never sits in memory.
//
// Only what an anonymous visitor may see is exported: every dataset comes from `catalog.listDatasets(ANONYMOUS, …)`
// or `catalog.getDataset(ANONYMOUS, …)`, so drafts and archived datasets stay out through the catalogue's own access
// door. A download URL is written only for PUBLIC datasets; for RESTRICTED and NON_PUBLIC ones the access URL is the
// dataset page, where the access door decides who reads the data.
import { Readable } from 'node:stream';
import crypto from 'node:crypto';
import { DataFactory, type Quad, type Quad_Subject } from 'n3';
import { ANONYMOUS } from '../../access/model';
import type { Dataset, Distribution, LangText } from '../../catalog/model';
import type { CatalogService } from '../../catalog/service';
import { findLicence, frequencyCode, isLosUri } from '../../catalog/vocabularies';
import { EU_FILE_TYPES, EU_LICENCE } from './vocabulary';
import { BadRequestError, NotFoundError } from '../../errors';
import type { BlobStore } from '../../platform/blobs/index';
import { validateOrgnr } from '../../identifiers/orgnr';
import { urls } from '../../web/urls';
import { serialise } from './serialise';
import { BRREG_ENHET, CATALOG_PAGE_SIZE, EU, GEONORGE_FYLKE, GEONORGE_KOMMUNE, IANA_MEDIA_TYPES, NS } from './model';

const { namedNode, literal, blankNode, quad } = DataFactory;

const rdf = (l: string) => namedNode(NS.rdf + l);
const dcat = (l: string) => namedNode(NS.dcat + l);
const dct = (l: string) => namedNode(NS.dct + l);
const foaf = (l: string) => namedNode(NS.foaf + l);
const vcard = (l: string) => namedNode(NS.vcard + l);
const hydra = (l: string) => namedNode(NS.hydra + l);
const xsd = (l: string) => namedNode(NS.xsd + l);

const LANG_CODES = { nb: 'NOB', nn: 'NNO', en: 'ENG' } as const;

export interface CatalogSelection {
  /** Only this publisher's datasets (a catalogue per organisation). */
  publisher?: string;
  /** 1-based Hydra page, or undefined for every dataset (the dump). */
  page?: number;
}

export interface CatalogOperator {
  /** The platform operator, publisher of the catalogue itself. */
  name: string;
  orgnr?: string;
  homepage: string;
}

/**
 * A stored http(s) URL as an IRI: the catalogue accepts what the URL parser accepts, which may still hold characters
 * no IRI may (`"`, `<`, `>`, `{`, `}`, `|`, `^`, a backtick). Written through the WHATWG URL serialiser (which
 * percent-encodes most of them, as a browser would) and the rest percent-encoded, so the IRI means the same address.
 */
export function httpIri(url: string) {
  let href: string;
  try {
    href = new URL(url).href;
  } catch {
    href = url;
  }
  return namedNode(href.replace(/["<>{}|^`\\\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
}

/** A date as xsd:date, a timestamp as xsd:dateTime. */
function dateLiteral(value: string) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? literal(value, xsd('date')) : literal(new Date(value).toISOString(), xsd('dateTime'));
}

/** The page numbers a `?page=` query may carry: digits only, ≥ 1 (input guard aside, we check it here too). */
export function parsePage(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(raw)) throw new BadRequestError('page must be a whole number from 1.', { field: 'page' }, 'invalid_page');
  return Number(raw);
}

export function parsePublisher(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const check = validateOrgnr(raw);
  if (!check.valid) throw new BadRequestError(`publisher must be a valid organisation number: ${check.message}`, { field: 'publisher' }, 'invalid_publisher');
  return check.value;
}

/** The class of a referenced resource, written beside the reference (SHACL's sh:class sees only the data graph). */
function typed(out: Quad[], s: Quad_Subject, p: ReturnType<typeof namedNode>, o: ReturnType<typeof namedNode>, cls: ReturnType<typeof namedNode>) {
  out.push(quad(s, p, o));
  out.push(quad(o, rdf('type'), cls));
}

const FILE_TYPES: ReadonlySet<string> = new Set(EU_FILE_TYPES);

export function createDcatService({ catalog, blobs, baseUrl, operator }: { catalog: CatalogService; blobs: Pick<BlobStore, 'put' | 'get' | 'head' | 'delete'>; baseUrl: string; operator?: Partial<CatalogOperator> }) {
  const abs = (path: string) => `${baseUrl}${path}`;
  const op: CatalogOperator = { name: operator?.name ?? 'Datafabrikken', orgnr: operator?.orgnr, homepage: operator?.homepage ?? abs(urls.home()) };

  const datasetUri = (id: string) => abs(urls.rdf.datasetResource(id));
  const distributionUri = (datasetId: string, distId: string) => `${datasetUri(datasetId)}#distribution-${encodeURIComponent(distId)}`;
  const catalogUri = (publisher?: string) => abs(urls.rdf.catalog({ publisher }));
  const dataServiceUri = () => `${abs(urls.rdf.catalog())}#data-api`;
  const publisherUri = (orgnr: string) => namedNode(BRREG_ENHET + encodeURIComponent(orgnr));

  function texts(out: Quad[], s: Quad_Subject, p: string, t: LangText) {
    for (const lang of ['nb', 'nn', 'en'] as const) {
      const v = t[lang]?.trim();
      if (v) out.push(quad(s, dct(p), literal(v, lang)));
    }
  }

  function agent(out: Quad[], orgnr: string | undefined, name: string): Quad_Subject {
    const s = orgnr ? publisherUri(orgnr) : namedNode(`${baseUrl}/#operator`);
    out.push(quad(s, rdf('type'), foaf('Agent')));
    out.push(quad(s, foaf('name'), literal(name, 'nb')));
    if (orgnr) out.push(quad(s, dct('identifier'), literal(orgnr)));
    return s;
  }

  /**
   * A licence data.norge.no knows (NLOD 2.0, CC BY 4.0, CC0) is written as its EU licence authority URI, which
   * DCAT-AP-NO requires; any other stored licence URI is kept as the distribution's dct:rights statement, since no
   * vocabulary lists it.
   */
  function licenceQuads(out: Quad[], s: Quad_Subject, uri: string | null) {
    if (!uri) return;
    const known = findLicence(uri);
    if (known) typed(out, s, dct('license'), namedNode(EU_LICENCE[known.code]), dct('LicenseDocument'));
    else {
      const r = blankNode();
      out.push(quad(s, dct('rights'), r));
      out.push(quad(r, rdf('type'), dct('RightsStatement')));
      out.push(quad(r, namedNode(`${NS.rdfs}seeAlso`), httpIri(uri)));
    }
  }

  function distributionQuads(out: Quad[], ds: Dataset, d: Distribution) {
    const s = namedNode(distributionUri(ds.id, d.id));
    const open = ds.accessRights === 'PUBLIC';
    out.push(quad(namedNode(datasetUri(ds.id)), dcat('distribution'), s));
    out.push(quad(s, rdf('type'), dcat('Distribution')));
    texts(out, s, 'title', d.title);
    texts(out, s, 'description', d.description);
    const page = abs(urls.dataset(ds.id));
    if (d.tableName) {
      // A hosted table: its latest version as CSV (src/data-api downloads; the rows API is the data service). Its
      // access URL is the dataset page (preview, API links, and for non-open data the way to ask for access); the
      // CSV is a download URL only when anyone may read it.
      out.push(quad(s, dcat('accessURL'), namedNode(page)));
      if (open) out.push(quad(s, dcat('downloadURL'), namedNode(abs(urls.api.download(ds.id, d.tableName, 'latest', 'csv')))));
      typed(out, s, dct('format'), namedNode(`${EU.fileType}CSV`), dct('MediaTypeOrExtent'));
      typed(out, s, dcat('mediaType'), namedNode(`${IANA_MEDIA_TYPES}text/csv`), dct('MediaType'));
      out.push(quad(s, dcat('accessService'), namedNode(dataServiceUri())));
    } else {
      // A non-open dataset's own access and download links are replaced by the dataset page: they may lead past the
      // access door (a file link handed out by the publisher), and the page is where access is asked for.
      out.push(quad(s, dcat('accessURL'), open && d.accessUrl ? httpIri(d.accessUrl) : namedNode(page)));
      if (open && d.downloadUrl) out.push(quad(s, dcat('downloadURL'), httpIri(d.downloadUrl)));
      const code = d.format?.toUpperCase();
      if (code && FILE_TYPES.has(code)) typed(out, s, dct('format'), namedNode(EU.fileType + code), dct('MediaTypeOrExtent'));
      if (d.mediaType) typed(out, s, dcat('mediaType'), namedNode(IANA_MEDIA_TYPES + d.mediaType), dct('MediaType'));
    }
    licenceQuads(out, s, d.licence ?? ds.licence);
    // dcat:byteSize is left out on purpose: DCAT-AP-NO 2.0 requires it typed xsd:decimal and SEMIC DCAT-AP 3.0.1
    // xsd:nonNegativeInteger (sh:datatype is an exact match, at most one value in both), so any byte size we write
    // violates one of the two profiles we promise. The size stays in the JSON API (`byteSize`).
    out.push(quad(s, dct('modified'), dateLiteral(d.updatedAt)));
  }

  /** Every quad describing one dataset: the dataset, its publisher, contact point, period and distributions. */
  function datasetQuads(ds: Dataset): Quad[] {
    const out: Quad[] = [];
    const s = namedNode(datasetUri(ds.id));
    out.push(quad(s, rdf('type'), dcat('Dataset')));
    texts(out, s, 'title', ds.title);
    texts(out, s, 'description', ds.description);
    out.push(quad(s, dct('identifier'), literal(datasetUri(ds.id))));
    for (const lang of ['nb', 'nn', 'en'] as const) for (const k of ds.keywords[lang] ?? []) if (k.trim()) out.push(quad(s, dcat('keyword'), literal(k.trim(), lang)));
    for (const t of ds.themes) typed(out, s, dcat('theme'), namedNode(t), namedNode(`${NS.skos}Concept`));
    for (const t of ds.losThemes) if (isLosUri(t)) typed(out, s, dcat('theme'), namedNode(t), namedNode(`${NS.skos}Concept`));
    out.push(quad(s, dct('publisher'), agent(out, ds.publisher.orgnr, ds.publisher.name)));
    typed(out, s, dct('accessRights'), namedNode(EU.accessRight + ds.accessRights), dct('RightsStatement'));
    for (const lang of ['nb', 'nn', 'en'] as const) if (ds.title[lang] || ds.description[lang]) typed(out, s, dct('language'), namedNode(EU.language + LANG_CODES[lang]), dct('LinguisticSystem'));

    const c = ds.contactPoint;
    if (c.name || c.email || c.phone || c.url) {
      const cp = blankNode();
      out.push(quad(s, dcat('contactPoint'), cp));
      out.push(quad(cp, rdf('type'), vcard('Organization')));
      out.push(quad(cp, rdf('type'), vcard('Kind')));
      if (c.name) out.push(quad(cp, vcard('fn'), literal(c.name)));
      if (c.email) out.push(quad(cp, vcard('hasEmail'), namedNode(`mailto:${encodeURI(c.email)}`)));
      if (c.phone) out.push(quad(cp, vcard('hasTelephone'), namedNode(`tel:${c.phone.replace(/[^\d+]/g, '')}`)));
      if (c.url) out.push(quad(cp, vcard('hasURL'), httpIri(c.url)));
      // vcard:hasEmail, hasTelephone and hasURL as IRIs (mailto:, tel:, http(s)), as DCAT-AP-NO recommends.
    }
    for (const code of ds.spatial) {
      if (!/^\d{2}(\d{2})?$/.test(code)) continue;
      const loc = namedNode((code.length === 2 ? GEONORGE_FYLKE : GEONORGE_KOMMUNE) + code);
      out.push(quad(s, dct('spatial'), loc));
      out.push(quad(loc, rdf('type'), dct('Location')));
    }
    if (ds.temporal.start || ds.temporal.end) {
      const t = blankNode();
      out.push(quad(s, dct('temporal'), t));
      out.push(quad(t, rdf('type'), dct('PeriodOfTime')));
      if (ds.temporal.start) out.push(quad(t, dcat('startDate'), dateLiteral(ds.temporal.start)));
      if (ds.temporal.end) out.push(quad(t, dcat('endDate'), dateLiteral(ds.temporal.end)));
    }
    const freq = ds.frequency ? frequencyCode(ds.frequency) : undefined;
    if (freq) typed(out, s, dct('accrualPeriodicity'), namedNode(EU.frequency + freq), dct('Frequency'));
    if (ds.provenance) {
      const p = blankNode();
      out.push(quad(s, dct('provenance'), p));
      out.push(quad(p, rdf('type'), dct('ProvenanceStatement')));
      out.push(quad(p, namedNode(`${NS.rdfs}label`), literal(ds.provenance, 'nb')));
    }
    const issued = ds.issued ?? ds.publishedAt;
    if (issued) out.push(quad(s, dct('issued'), dateLiteral(issued)));
    out.push(quad(s, dct('modified'), dateLiteral(ds.modified ?? ds.updatedAt)));
    typed(out, s, dcat('landingPage'), ds.landingPage ? httpIri(ds.landingPage) : namedNode(abs(urls.dataset(ds.id))), foaf('Document'));
    // Legal bases as data.norge.no reads them (dcatno:legalBasisFor…, each a dct:RightsStatement): the text as its
    // label, and the reference itself as dct:source when the publisher gave a link (e.g. to Lovdata).
    const legal = [
      ['legalBasisForRestriction', ds.legalBasis.restriction],
      ['legalBasisForProcessing', ds.legalBasis.processing],
      ['legalBasisForAccess', ds.legalBasis.access],
    ] as const;
    for (const [prop, text] of legal) {
      if (!text) continue;
      const b = blankNode();
      out.push(quad(s, namedNode(NS.dcatno + prop), b));
      out.push(quad(b, rdf('type'), dct('RightsStatement')));
      out.push(quad(b, namedNode(`${NS.skos}prefLabel`), literal(text, 'nb')));
      if (/^https?:\/\/\S+$/.test(text.trim())) out.push(quad(b, dct('source'), literal(text.trim())));
    }
    for (const d of ds.distributions) distributionQuads(out, ds, d);
    return out;
  }

  /** The catalogue itself, the operator as publisher and the data API as a dcat:DataService. */
  function catalogHeader(sel: CatalogSelection, total: number): Quad[] {
    const out: Quad[] = [];
    const s = namedNode(catalogUri(sel.publisher));
    out.push(quad(s, rdf('type'), dcat('Catalog')));
    out.push(quad(s, dct('title'), literal('Datafabrikken', 'nb')));
    out.push(quad(s, dct('title'), literal('Datafabrikken', 'en')));
    out.push(quad(s, dct('description'), literal('Datasett delt av norske virksomheter på Datafabrikken.', 'nb')));
    out.push(quad(s, dct('description'), literal('Datasett delte av norske verksemder på Datafabrikken.', 'nn')));
    out.push(quad(s, dct('description'), literal('Datasets shared by Norwegian organisations on Datafabrikken.', 'en')));
    out.push(quad(s, dct('publisher'), agent(out, op.orgnr, op.name)));
    out.push(quad(s, dct('identifier'), literal(catalogUri(sel.publisher))));
    typed(out, s, foaf('homepage'), namedNode(op.homepage), foaf('Document'));
    typed(out, s, dct('language'), namedNode(`${EU.language}NOB`), dct('LinguisticSystem'));
    out.push(quad(s, dcat('service'), namedNode(dataServiceUri())));
    const api = namedNode(dataServiceUri());
    out.push(quad(api, rdf('type'), dcat('DataService')));
    out.push(quad(api, dct('title'), literal('Datafabrikkens data-API', 'nb')));
    out.push(quad(api, dct('title'), literal('The Datafabrikken data API', 'en')));
    out.push(quad(api, dcat('endpointURL'), namedNode(abs('/api/v1'))));
    out.push(quad(api, dcat('endpointDescription'), namedNode(abs(urls.api.openapi()))));
    out.push(quad(api, dct('publisher'), agent(out, op.orgnr, op.name)));
    out.push(quad(api, dct('identifier'), literal(dataServiceUri())));
    typed(out, api, dct('accessRights'), namedNode(`${EU.accessRight}PUBLIC`), dct('RightsStatement'));
    if (sel.page !== undefined) {
      const last = Math.max(1, Math.ceil(total / CATALOG_PAGE_SIZE));
      const pageUri = (n: number) => namedNode(abs(urls.rdf.catalog({ publisher: sel.publisher, page: n })));
      const view = pageUri(sel.page);
      out.push(quad(s, rdf('type'), hydra('Collection')));
      out.push(quad(s, hydra('totalItems'), literal(String(total), xsd('integer'))));
      out.push(quad(s, hydra('view'), view));
      out.push(quad(view, rdf('type'), hydra('PartialCollectionView')));
      out.push(quad(view, hydra('first'), pageUri(1)));
      out.push(quad(view, hydra('last'), pageUri(last)));
      if (sel.page > 1) out.push(quad(view, hydra('previous'), pageUri(Math.min(sel.page - 1, last))));
      if (sel.page < last) out.push(quad(view, hydra('next'), pageUri(sel.page + 1)));
    }
    return out;
  }

  /**
   * The catalogue as chunks of quads: the header first, then each dataset with a `dcat:dataset` link. Pages through
   * the catalog service 100 datasets at a time; with `page` set, only that page. The header names the data service's
   * served datasets per page (a `dcat:servesDataset` quad follows each dataset with tables).
   */
  async function* catalogChunks(sel: CatalogSelection, opts: { all?: boolean } = {}): AsyncGenerator<Quad[]> {
    const list = (offset: number) => catalog.listDatasets(ANONYMOUS, { state: 'published', origin: 'local', orgnr: sel.publisher, limit: CATALOG_PAGE_SIZE, offset });
    let offset = sel.page !== undefined ? (sel.page - 1) * CATALOG_PAGE_SIZE : 0;
    let batch = await list(offset);
    // A catalogue larger than one page is paged even when no page was asked for (Hydra's first page), except the dump.
    if (sel.page === undefined && !opts.all && batch.total > CATALOG_PAGE_SIZE) sel = { ...sel, page: 1 };
    if (sel.page !== undefined && sel.page > 1 && offset >= batch.total) {
      throw new NotFoundError('Catalogue page', String(sel.page), 'page_not_found');
    }
    yield catalogHeader(sel, batch.total);
    const cat = namedNode(catalogUri(sel.publisher));
    const api = namedNode(dataServiceUri());
    for (;;) {
      for (const ds of batch.items) {
        const qs = datasetQuads(ds);
        qs.unshift(quad(cat, dcat('dataset'), namedNode(datasetUri(ds.id))));
        if (ds.distributions.some((d) => d.tableName)) qs.push(quad(api, dcat('servesDataset'), namedNode(datasetUri(ds.id))));
        yield qs;
      }
      offset += batch.items.length;
      if (sel.page !== undefined || batch.items.length < CATALOG_PAGE_SIZE || offset >= batch.total) return;
      batch = await list(offset);
    }
  }

  /** What identifies the catalogue's current state: count and the latest change of a published dataset. */
  async function fingerprint(): Promise<{ tag: string; lastModified: Date }> {
    const { items, total } = await catalog.listDatasets(ANONYMOUS, { state: 'published', origin: 'local', sort: 'updated', limit: 1, offset: 0 });
    const latest = items[0];
    const fp = `${baseUrl} ${total} ${latest ? `${latest.updatedAt} ${latest.id}` : 'empty'}`;
    const tag = crypto.createHash('sha256').update(fp).digest('base64url').slice(0, 27);
    const when = latest ? new Date(latest.updatedAt) : new Date(0);
    return { tag, lastModified: new Date(Math.floor(when.getTime() / 1000) * 1000) };
  }
  let lastDumpKey: string | undefined;

  return {
    catalogChunks,
    /**
     * The full dump (`/catalog/dump.ttl`): generated on demand when the catalogue changed since the last one and
     * kept in the blob store under its fingerprint, so harvesters fetching it repeatedly cost one blob read each and
     * get an ETag/Last-Modified to ask conditionally. Written as a stream (one dataset at a time) into the blob store,
     * which makes the object appear whole or not at all.
     */
    async dump(): Promise<{ etag: string; lastModified: Date; open: () => Promise<Readable> }> {
      const { tag, lastModified } = await fingerprint();
      const key = `dcat/dump/${tag}.ttl`;
      return {
        etag: tag,
        lastModified,
        open: async () => {
          if (!(await blobs.head(key))) {
            // Bytes, not strings: the S3 adapter's multipart upload wants Buffers.
            const bytes = async function* () {
              for await (const text of serialise('turtle', catalogChunks({}, { all: true }))) yield Buffer.from(text, 'utf8');
            };
            await blobs.put(key, Readable.from(bytes()), { contentType: 'text/turtle' });
            const previous = lastDumpKey;
            lastDumpKey = key;
            if (previous && previous !== key) await blobs.delete(previous).catch(() => undefined);
          }
          return blobs.get(key);
        },
      };
    },
    /** One dataset (published, seen as anonymous; 404 otherwise) with its distributions. */
    async datasetChunks(id: string): Promise<AsyncGenerator<Quad[]>> {
      const ds = await catalog.getDataset(ANONYMOUS, id);
      async function* one() {
        yield datasetQuads(ds);
      }
      return one();
    },
    datasetUri,
    catalogUri,
  };
}

export type DcatService = ReturnType<typeof createDcatService>;
