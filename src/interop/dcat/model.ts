// DCAT-AP-NO export: the namespaces, the serialisations we speak and the page size. No I/O here.

export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  dcatno: 'https://data.norge.no/vocabulary/dcatno#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
} as const;

export const EU = {
  accessRight: 'http://publications.europa.eu/resource/authority/access-right/',
  fileType: 'http://publications.europa.eu/resource/authority/file-type/',
  frequency: 'http://publications.europa.eu/resource/authority/frequency/',
  language: 'http://publications.europa.eu/resource/authority/language/',
} as const;

export const IANA_MEDIA_TYPES = 'https://www.iana.org/assignments/media-types/';
export const BRREG_ENHET = 'https://data.brreg.no/enhetsregisteret/api/enheter/';
/** Kartverket's administrative units, the URIs data.norge.no uses for municipalities and counties. */
export const GEONORGE_KOMMUNE = 'https://data.geonorge.no/administrativeEnheter/kommune/id/';
export const GEONORGE_FYLKE = 'https://data.geonorge.no/administrativeEnheter/fylke/id/';

export const RDF_FORMATS = {
  turtle: { suffix: 'ttl', mediaType: 'text/turtle' },
  jsonld: { suffix: 'jsonld', mediaType: 'application/ld+json' },
  rdfxml: { suffix: 'rdf', mediaType: 'application/rdf+xml' },
  ntriples: { suffix: 'nt', mediaType: 'application/n-triples' },
} as const;
export type RdfFormat = keyof typeof RDF_FORMATS;

export function formatFromSuffix(suffix: string): RdfFormat | undefined {
  return (Object.keys(RDF_FORMATS) as RdfFormat[]).find((f) => RDF_FORMATS[f].suffix === suffix);
}

/** Datasets per catalogue page (Hydra). The catalog service lists at most 100 at a time, so a page is one call. */
export const CATALOG_PAGE_SIZE = 100;
