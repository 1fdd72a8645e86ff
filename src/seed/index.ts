// The demo catalogue: real Norwegian publishers and their open data, seeded when the catalogue has no datasets.
//
// seedDemo is a command spanning domains (STYLE §3): it registers five organisations (organisations service), creates
// and publishes one dataset per file with DCAT-AP-NO metadata in bokmål and English (catalog service), and uploads each
// file as a table through the ordinary path (tables service: blob store → `ingestTable` job → Parquet), which also
// lists the table as the dataset's distribution. It acts as CLI_ACTOR (the operator). A second run finds datasets and
// does nothing. The files, their sources and licences are listed in resources/seed/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CLI_ACTOR } from '../access/model';
import type { DatasetInput } from '../catalog/model';
import type { OrganizationInput } from '../organisations/model';
import type { Services } from '../services';

export const SEED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources/seed');

const NLOD = 'http://data.norge.no/nlod/no/2.0';
const CC_BY_4 = 'http://creativecommons.org/licenses/by/4.0/';
const EU = (code: string) => `http://publications.europa.eu/resource/authority/data-theme/${code}`;
const LOS = (p: string) => `https://psi.norge.no/los/${p}`;
/** The counties of the 2020–2023 division and of 2024: a dataset covering all of Norway lists them all. */
const FYLKER_2020 = ['03', '11', '15', '18', '30', '34', '38', '42', '46', '50', '54'];
const FYLKER_2024 = ['03', '11', '15', '18', '31', '32', '33', '34', '39', '40', '42', '46', '50', '55', '56'];

export const DEMO_ORGANISATIONS: readonly OrganizationInput[] = [
  { orgnr: '971526920', name: 'Statistisk sentralbyrå', orgForm: 'ORGL', municipality: '0301', homepage: 'https://www.ssb.no' },
  { orgnr: '984661185', name: 'Posten Norge AS', orgForm: 'AS', municipality: '0301', homepage: 'https://www.posten.no' },
  { orgnr: '981544315', name: 'Landbruksdirektoratet', orgForm: 'ORGL', municipality: '0301', homepage: 'https://www.landbruksdirektoratet.no' },
  { orgnr: '971040238', name: 'Kartverket', orgForm: 'ORGL', municipality: '3305', homepage: 'https://www.kartverket.no' },
  { orgnr: '991825827', name: 'Digitaliseringsdirektoratet', orgForm: 'ORGL', municipality: '0301', homepage: 'https://www.digdir.no' },
];

export interface DemoTable {
  name: string;
  title: string;
  file: string;
  /** A header line sent before the file's bytes, for files that have none. */
  header?: string;
}

export interface DemoDataset {
  metadata: DatasetInput;
  table: DemoTable;
}

/** A classification from Statistics Norway's KLASS, valid from 1 January 2024: the metadata its exports share. */
function ssbKlass(k: {
  number: number;
  title: DatasetInput['title'];
  description: DatasetInput['description'];
  keywords: { nb: string[]; en: string[] };
  losWord: string;
  table: DemoTable;
}): DemoDataset {
  return {
    metadata: {
      orgnr: '971526920',
      title: k.title,
      description: k.description,
      keywords: { nb: [...k.keywords.nb, 'klassifikasjon', 'KLASS'], en: [...k.keywords.en, 'classification', 'KLASS'] },
      themes: [EU('GOVE'), EU('REGI')],
      losThemes: [LOS('tema/demokrati-og-innbyggerrettigheter'), LOS(k.losWord)],
      accessRights: 'PUBLIC',
      licence: NLOD,
      contactPoint: { name: 'Statistisk sentralbyrå', email: 'ssb@ssb.no', phone: '+47 62 88 50 00', url: 'https://www.ssb.no' },
      spatial: FYLKER_2024,
      temporal: { start: '2024-01-01' },
      frequency: 'IRREG',
      provenance: `Eksport fra SSBs klassifikasjonsdatabase KLASS, klassifikasjon ${k.number}, versjon gyldig fra 2024-01-01. / Export from Statistics Norway’s classification database KLASS, classification ${k.number}, version valid from 2024-01-01.`,
      issued: '2024-01-01',
      landingPage: `https://www.ssb.no/klass/klassifikasjoner/${k.number}`,
    },
    table: k.table,
  };
}

export const DEMO_DATASETS: readonly DemoDataset[] = [
  {
    metadata: {
      orgnr: '981544315',
      title: { nb: 'Pristilskudd til jordbruksforetak 2022', en: 'Price subsidies to agricultural enterprises 2022' },
      description: {
        nb: 'Utbetalte pristilskudd per jordbruksforetak for 2022: distriktstilskudd for egg, kjøtt, gris og melk, grunntilskudd for kjøtt og melk, tilskudd til norsk ull og skinn, kvalitetstilskudd for storfe, frakttilskudd for kraftfôr og tilskudd til lam og kje, med sum per foretak. Hvert foretak er oppgitt med kommunenummer (kommuneinndelingen 2020–2023), navn og organisasjonsnummer. Mange foretak er enkeltpersonforetak, så navnet er ofte en persons navn.',
        en: 'Price subsidies paid to each agricultural enterprise in 2022: district subsidies for eggs, meat, pork and milk, basic subsidies for meat and milk, subsidies for Norwegian wool and skins, quality subsidies for cattle, freight subsidies for concentrated feed and subsidies for lambs and kids, with the total per enterprise. Each enterprise is given with its municipality number (2020–2023 division), name and organisation number. Many are sole proprietorships, so the name is often a person’s name.',
      },
      keywords: {
        nb: ['pristilskudd', 'jordbruk', 'landbruk', 'tilskudd', 'jordbruksforetak', 'melk', 'kjøtt'],
        en: ['price subsidies', 'agriculture', 'subsidies', 'farms', 'milk', 'meat'],
      },
      themes: [EU('AGRI'), EU('ECON')],
      losThemes: [LOS('tema/landbruk'), LOS('ord/jordbrukstilskudd'), LOS('tema/tilskuddsordninger-for-naring')],
      accessRights: 'PUBLIC',
      licence: NLOD,
      contactPoint: { name: 'Landbruksdirektoratet', email: 'postmottak@landbruksdirektoratet.no', phone: '+47 78 60 60 00', url: 'https://www.landbruksdirektoratet.no' },
      spatial: FYLKER_2020,
      temporal: { start: '2022-01-01', end: '2022-12-31' },
      frequency: 'ANNUAL',
      provenance: 'Landbruksdirektoratets utbetalinger av pristilskudd i jordbruket for 2022, per mottakende foretak, publisert som åpne data. / Landbruksdirektoratet’s payments of agricultural price subsidies for 2022 per receiving enterprise, published as open data.',
      issued: '2023-03-01',
      landingPage: 'https://www.landbruksdirektoratet.no',
    },
    table: { name: 'pristilskudd-2022', title: 'Pristilskudd per jordbruksforetak 2022', file: 'ldir_pristilskudd_jordbruksforetak_2022.csv' },
  },
  ssbKlass({
    number: 131,
    title: { nb: 'Standard for kommuneinndeling 2024', en: 'Classification of municipalities 2024' },
    description: {
      nb: 'Norges kommuner med kommunenummer og navn, gyldig fra 1. januar 2024 (SSBs klassifikasjon 131 i KLASS). Inndelingen brukes i offentlig statistikk og forvaltning; merknadene forteller om grenseendringer. Koden 9999 betyr «Uoppgitt».',
      en: 'Norway’s municipalities with their numbers and names, valid from 1 January 2024 (Statistics Norway’s classification 131 in KLASS). The division is used in official statistics and public administration; the notes describe boundary changes. Code 9999 means “unknown”.',
    },
    keywords: { nb: ['kommuner', 'kommunenummer', 'kommuneinndeling'], en: ['municipalities', 'municipality numbers'] },
    losWord: 'ord/kommuneplan',
    table: { name: 'kommuner-2024', title: 'Kommuner 2024', file: 'ssb_klass131_kommuner_2024_latin1.csv' },
  }),
  ssbKlass({
    number: 104,
    title: { nb: 'Standard for fylkesinndeling 2024', en: 'Classification of counties 2024' },
    description: {
      nb: 'Norges fylker med fylkesnummer og navn, gyldig fra 1. januar 2024 (SSBs klassifikasjon 104 i KLASS). De to første sifrene i et kommunenummer er fylkesnummeret.',
      en: 'Norway’s counties with their numbers and names, valid from 1 January 2024 (Statistics Norway’s classification 104 in KLASS). The first two digits of a municipality number are the county number.',
    },
    keywords: { nb: ['fylker', 'fylkesnummer', 'fylkesinndeling'], en: ['counties', 'county numbers'] },
    losWord: 'ord/fylkesplan',
    table: { name: 'fylker-2024', title: 'Fylker 2024', file: 'ssb_klass104_fylker_2024_latin1.csv' },
  }),
  {
    metadata: {
      orgnr: '984661185',
      title: { nb: 'Postnummerregister 2025', en: 'Postal code register 2025' },
      description: {
        nb: 'Alle postnumre i Norge med poststed, kommunenummer og kommunenavn, og hva postnummeret brukes til: G for gateadresser, P for postbokser, B for begge og S for servicepostnumre. Registeret knytter adresser til kommuner og gjør det mulig å koble data som bare har postnummer.',
        en: 'Every postal code in Norway with its post town, municipality number and municipality name, and what the code is used for: G street addresses, P post boxes, B both, S service codes. The register ties addresses to municipalities and makes it possible to link data that only has a postal code.',
      },
      keywords: { nb: ['postnummer', 'poststed', 'adresser', 'kommunenummer'], en: ['postal codes', 'post towns', 'addresses', 'municipality numbers'] },
      themes: [EU('REGI'), EU('TRAN')],
      losThemes: [LOS('ord/adressetildeling'), LOS('tema/flytting')],
      accessRights: 'PUBLIC',
      licence: 'https://www.bring.no/tjenester/adressetjenester/postnummer',
      contactPoint: { name: 'Posten Norge AS', url: 'https://www.posten.no' },
      spatial: FYLKER_2024,
      temporal: { start: '2025-01-01' },
      frequency: 'MONTHLY',
      provenance: 'Postnummerregisteret som Posten/Bring publiserer til fri nedlasting (tabulatordelt tekst, Windows-1252, uten overskriftsrad). / The postal code register Posten/Bring publishes for free download (tab-separated text, Windows-1252, no header row).',
      landingPage: 'https://www.bring.no/tjenester/adressetjenester/postnummer',
    },
    table: {
      name: 'postnummer-2025',
      title: 'Postnummer 2025',
      file: 'bring_postnummerregister_2025_ansi.txt',
      header: 'postnummer\tpoststed\tkommunenummer\tkommunenavn\tkategori\r\n',
    },
  },
  {
    metadata: {
      orgnr: '971040238',
      title: { nb: 'Kommuner og fylker med avgrensning 2023', en: 'Municipalities and counties with bounding boxes 2023' },
      description: {
        nb: 'Norges 356 kommuner i kommuneinndelingen 2023 med fylke, norsk og samisk navn, om kommunen er i forvaltningsområdet for samisk språk, et punkt i kommunen og kommunens avgrensningsboks (lengde- og breddegrad, EPSG:4258). Utledet fra Kartverkets kommuneinfo.',
        en: 'Norway’s 356 municipalities of the 2023 division with their county, Norwegian and Sami names, whether the municipality is in the administrative area for Sami language, a point inside it and its bounding box (longitude and latitude, EPSG:4258). Derived from Kartverket’s kommuneinfo.',
      },
      keywords: { nb: ['kommuner', 'fylker', 'avgrensning', 'geografi', 'kart'], en: ['municipalities', 'counties', 'bounding box', 'geography', 'maps'] },
      themes: [EU('REGI'), EU('GOVE')],
      losThemes: [LOS('tema/planer'), LOS('ord/kommuneplan')],
      accessRights: 'PUBLIC',
      licence: CC_BY_4,
      contactPoint: { name: 'Kartverket', email: 'post@kartverket.no', phone: '+47 32 11 80 00', url: 'https://www.kartverket.no' },
      spatial: FYLKER_2020,
      temporal: { start: '2023-01-01', end: '2023-12-31' },
      frequency: 'ANNUAL',
      provenance: 'Utledet av Datafabrikken fra Kartverkets kommuneinfo (fylker og kommuner med avgrensningsboks, 2023): én rad per kommune. © Kartverket, CC BY 4.0. / Derived by Datafabrikken from Kartverket’s kommuneinfo (counties and municipalities with bounding boxes, 2023): one row per municipality. © Kartverket, CC BY 4.0.',
      landingPage: 'https://www.kartverket.no',
    },
    table: { name: 'kommuner-2023', title: 'Kommuner 2023 med avgrensningsboks', file: 'kartverket_kommuner_2023.csv' },
  },
];

function fileStream(file: string, header?: string): Readable {
  const body = fs.createReadStream(path.join(SEED_DIR, file));
  if (!header) return body;
  const out = new PassThrough();
  out.write(Buffer.from(header, 'latin1'));
  body.on('error', (err) => out.destroy(err));
  body.pipe(out);
  return out;
}

export interface SeedLog {
  info(obj: object | string, msg?: string): void;
}

/** Seeds the demo catalogue when it has no datasets; otherwise does nothing. Idempotent. */
export async function seedDemo(services: Services, { log }: { log: SeedLog }): Promise<{ seeded: boolean; datasets: number; jobIds: string[] }> {
  const existing = await services.catalog.listDatasets(CLI_ACTOR, { limit: 1, offset: 0 });
  if (existing.total > 0) return { seeded: false, datasets: 0, jobIds: [] };

  for (const org of DEMO_ORGANISATIONS) {
    const known = await services.platform.dbh.db.selectFrom('organizations').select('orgnr').where('orgnr', '=', org.orgnr).executeTakeFirst();
    if (!known) await services.organisations.create(CLI_ACTOR, org);
  }

  const jobIds: string[] = [];
  for (const demo of DEMO_DATASETS) {
    const dataset = await services.catalog.createDataset(CLI_ACTOR, demo.metadata);
    const { jobId } = await services.tables.createTableFromFile(CLI_ACTOR, dataset.id, {
      name: demo.table.name,
      title: demo.table.title,
      stream: fileStream(demo.table.file, demo.table.header),
      filename: demo.table.file,
      contentType: 'text/csv',
    });
    await services.catalog.publishDataset(CLI_ACTOR, dataset.id);
    jobIds.push(jobId);
    log.info({ datasetId: dataset.id, table: demo.table.name, jobId }, `seeded ${demo.metadata.title?.nb ?? demo.table.name}`);
  }
  return { seeded: true, datasets: DEMO_DATASETS.length, jobIds };
}
