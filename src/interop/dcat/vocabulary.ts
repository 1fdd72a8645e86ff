// The controlled vocabularies the export points into, as the few SKOS facts a validator needs to see a value is "from
// the vocabulary" (`skos:inScheme`): EU access rights, data themes, file types, frequencies, languages and licences
// (Publications Office authority tables, http://publications.europa.eu/resource/authority/…), and LOS. Built from the
// code lists the catalogue already carries (src/catalog/vocabularies.ts), so validation needs no network. Validators
// load this graph beside the catalogue, as data.norge.no's validator loads its copies of the same tables.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFactory, type Quad } from 'n3';
import { ACCESS_RIGHTS } from '../../catalog/model';
import { ACCESS_RIGHTS_LABELS, euDataThemes, FREQUENCIES, LICENCES, losLabel, type Labels } from '../../catalog/vocabularies';
import { EU, NS } from './model';

const { namedNode, literal, quad } = DataFactory;

/**
 * EU file-type codes we write (a subset of http://publications.europa.eu/resource/authority/file-type). A stored
 * format outside this list is left out of dct:format rather than written as a value no vocabulary knows.
 */
export const EU_FILE_TYPES = ['CSV', 'TSV', 'JSON', 'JSON_LD', 'GEOJSON', 'XML', 'RDF_XML', 'RDF_TURTLE', 'RDF_N_TRIPLES', 'PARQUET', 'XLSX', 'XLS', 'ODS', 'PDF', 'ZIP', 'TXT', 'HTML', 'SHP', 'GML', 'KML', 'GPKG', 'SQL', 'DOCX', 'ODT'] as const;

/** The EU licence authority's codes for the licences data.norge.no counts as open. */
export const EU_LICENCE: Record<(typeof LICENCES)[number]['code'], string> = {
  NLOD_2_0: 'http://publications.europa.eu/resource/authority/licence/NLOD_2_0',
  CC_BY_4_0: 'http://publications.europa.eu/resource/authority/licence/CC_BY_4_0',
  CC0_1_0: 'http://publications.europa.eu/resource/authority/licence/CC0',
};

export const LANGUAGES = { NOB: { nb: 'Norsk bokmål', nn: 'Norsk bokmål', en: 'Norwegian Bokmål' }, NNO: { nb: 'Norsk nynorsk', nn: 'Norsk nynorsk', en: 'Norwegian Nynorsk' }, ENG: { nb: 'Engelsk', nn: 'Engelsk', en: 'English' } } as const;

export const LOS_SCHEME = 'https://psi.norge.no/los/all';

const REFERENCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/reference/los-themes-and-words.json');

/** Every LOS node (themes and words): a dataset's LOS values may be either. */
function losUris(): string[] {
  return (JSON.parse(fs.readFileSync(REFERENCE, 'utf8')) as { losNodes: { uri: string }[] }).losNodes.map((n) => n.uri);
}

export function vocabularyQuads(): Quad[] {
  const out: Quad[] = [];
  const concept = (uri: string, scheme: string, label?: Labels) => {
    const s = namedNode(uri);
    out.push(quad(s, namedNode(`${NS.rdf}type`), namedNode(`${NS.skos}Concept`)));
    out.push(quad(s, namedNode(`${NS.skos}inScheme`), namedNode(scheme)));
    if (label) for (const l of ['nb', 'nn', 'en'] as const) out.push(quad(s, namedNode(`${NS.skos}prefLabel`), literal(label[l], l)));
  };
  const scheme = (base: string) => base.replace(/\/$/, '');
  for (const a of ACCESS_RIGHTS) concept(EU.accessRight + a, scheme(EU.accessRight), ACCESS_RIGHTS_LABELS[a]);
  for (const t of euDataThemes()) concept(t.uri, 'http://publications.europa.eu/resource/authority/data-theme', t.label);
  for (const f of FREQUENCIES) concept(EU.frequency + f.code, scheme(EU.frequency), f.label);
  // The EU file-type table labels each type by its code.
  for (const f of EU_FILE_TYPES) concept(EU.fileType + f, scheme(EU.fileType), { nb: f, nn: f, en: f });
  for (const [code, label] of Object.entries(LANGUAGES)) concept(EU.language + code, scheme(EU.language), label);
  for (const l of LICENCES) concept(EU_LICENCE[l.code], 'http://publications.europa.eu/resource/authority/licence', l.label);
  for (const uri of losUris()) concept(uri, LOS_SCHEME, { nb: losLabel(uri, 'nb') ?? uri, nn: losLabel(uri, 'nn') ?? uri, en: losLabel(uri, 'en') ?? uri });
  return out;
}
