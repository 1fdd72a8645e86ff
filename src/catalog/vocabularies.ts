// The controlled vocabularies the catalogue speaks: EU data themes and LOS themes (loaded from resources/reference, see
// its README for source and licence), the licences data.norge.no counts as open, the EU frequency codes and the
// access-rights labels. Pure lookups; the JSON files are read once, on first use.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessRights } from './model';

export type VocabLocale = 'nb' | 'nn' | 'en';
export interface Labels {
  nb: string;
  nn: string;
  en: string;
}

export interface Concept {
  uri: string;
  code: string;
  label: Labels;
}

export interface LosTheme extends Concept {
  /** URI of the top-level theme, or null for a top-level theme. */
  parent: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const REFERENCE_DIR = path.resolve(here, '../../resources/reference');

export function labelIn(labels: Labels, locale: string): string {
  return locale === 'nn' ? labels.nn : locale === 'en' ? labels.en : labels.nb;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, file), 'utf8'));
}

function labelsFrom(raw: Partial<Record<string, string | null>> | null | undefined, fallback: string): Labels {
  const nb = raw?.nb ?? raw?.no ?? raw?.en ?? fallback;
  return { nb, nn: raw?.nn ?? nb, en: raw?.en ?? nb };
}

// --- EU data themes ---------------------------------------------------------------------------------------------

export const EU_THEME_BASE = 'http://publications.europa.eu/resource/authority/data-theme/';
/** Labels for themes the reference file lists without a Norwegian label. */
const EU_THEME_FALLBACK: Record<string, Labels> = {
  OP_DATPRO: { nb: 'Foreløpige data', nn: 'Førebelse data', en: 'Provisional data' },
};

let euThemes: Concept[] | undefined;
export function euDataThemes(): Concept[] {
  if (!euThemes) {
    const raw = readJson('eu-data-themes.json') as { dataThemes: { uri: string; code: string; label: Record<string, string | null> }[] };
    euThemes = raw.dataThemes.map((t) => ({
      uri: t.uri,
      code: t.code,
      label: t.label.nb ? labelsFrom(t.label, t.code) : (EU_THEME_FALLBACK[t.code] ?? labelsFrom(t.label, t.code)),
    }));
  }
  return euThemes;
}

export function findEuTheme(uri: string): Concept | undefined {
  return euDataThemes().find((t) => t.uri === uri);
}

// --- LOS themes -------------------------------------------------------------------------------------------------

interface RawLosNode {
  uri: string;
  isTheme: boolean;
  parents: string[] | null;
  losPaths: string[];
  name: Record<string, string | null> | null;
}

let losUris: Map<string, Labels> | undefined;
let losThemeList: LosTheme[] | undefined;

function losNodes(): RawLosNode[] {
  return (readJson('los-themes-and-words.json') as { losNodes: RawLosNode[] }).losNodes;
}

/** Every LOS node (themes and words) by URI, with its labels. */
function losIndex(): Map<string, Labels> {
  if (!losUris) losUris = new Map(losNodes().map((n) => [n.uri, labelsFrom(n.name, n.uri)]));
  return losUris;
}

/** True when the URI is a LOS theme or word. */
export function isLosUri(uri: string): boolean {
  return losIndex().has(uri);
}

/** The label of any LOS theme or word. */
export function losLabel(uri: string, locale: string): string | undefined {
  const l = losIndex().get(uri);
  return l ? labelIn(l, locale) : undefined;
}

/** The LOS themes (hovedtema and undertema), top-level first, each followed by its sub-themes, sorted by nb label. */
export function losThemes(): LosTheme[] {
  if (!losThemeList) {
    const themes = losNodes().filter((n) => n.isTheme);
    const top = themes.filter((n) => !n.parents || n.parents.length === 0);
    const toTheme = (n: RawLosNode, parent: string | null): LosTheme => ({
      uri: n.uri,
      code: n.losPaths[0] ?? n.uri,
      label: labelsFrom(n.name, n.uri),
      parent,
    });
    const byLabel = (a: LosTheme, b: LosTheme) => a.label.nb.localeCompare(b.label.nb, 'nb');
    const out: LosTheme[] = [];
    for (const t of top.map((n) => toTheme(n, null)).sort(byLabel)) {
      out.push(t);
      const children = themes
        .filter((n) => n.parents?.includes(t.uri))
        .map((n) => toTheme(n, t.uri))
        .sort(byLabel);
      out.push(...children);
    }
    // Themes below the second level (none in the current file) stay out: the form offers two levels.
    losThemeList = out;
  }
  return losThemeList;
}

export function findLosTheme(uri: string): LosTheme | undefined {
  return losThemes().find((t) => t.uri === uri);
}

// --- licences ---------------------------------------------------------------------------------------------------

export interface Licence {
  code: 'NLOD_2_0' | 'CC_BY_4_0' | 'CC0_1_0';
  /** The URI we write when a user picks this licence. */
  uri: string;
  label: Labels;
  /** Every URI meaning the same licence (data.norge.no, creativecommons.org, publications.europa.eu forms). */
  variants: string[];
}

export const LICENCES: readonly Licence[] = [
  {
    code: 'NLOD_2_0',
    uri: 'http://data.norge.no/nlod/no/2.0',
    label: { nb: 'Norsk lisens for offentlige data (NLOD) 2.0', nn: 'Norsk lisens for offentlege data (NLOD) 2.0', en: 'Norwegian Licence for Open Government Data (NLOD) 2.0' },
    variants: [
      'http://data.norge.no/nlod/no/2.0',
      'http://data.norge.no/nlod/en/2.0',
      'http://data.norge.no/nlod/no',
      'http://data.norge.no/nlod',
      'http://publications.europa.eu/resource/authority/licence/NLOD_2_0',
    ],
  },
  {
    code: 'CC_BY_4_0',
    uri: 'http://creativecommons.org/licenses/by/4.0/',
    label: { nb: 'Creative Commons Navngivelse 4.0 (CC BY 4.0)', nn: 'Creative Commons Namngjeving 4.0 (CC BY 4.0)', en: 'Creative Commons Attribution 4.0 (CC BY 4.0)' },
    variants: [
      'http://creativecommons.org/licenses/by/4.0',
      'http://creativecommons.org/licenses/by/4.0/deed.no',
      'http://creativecommons.org/licenses/by/4.0/deed.en',
      'http://creativecommons.org/licenses/by/4.0/legalcode',
      'http://publications.europa.eu/resource/authority/licence/CC_BY_4_0',
    ],
  },
  {
    code: 'CC0_1_0',
    uri: 'http://creativecommons.org/publicdomain/zero/1.0/',
    label: { nb: 'Creative Commons CC0 1.0 (falt i det fri)', nn: 'Creative Commons CC0 1.0 (falle i det fri)', en: 'Creative Commons CC0 1.0 (public domain)' },
    variants: [
      'http://creativecommons.org/publicdomain/zero/1.0',
      'http://creativecommons.org/publicdomain/zero/1.0/deed.no',
      'http://creativecommons.org/publicdomain/zero/1.0/legalcode',
      'http://publications.europa.eu/resource/authority/licence/CC0',
    ],
  },
];

/** Compares licence URIs the way data.norge.no does: http and https alike, with or without a trailing slash. */
function normaliseLicenceUri(uri: string): string {
  return uri
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/^www\./i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

const LICENCE_INDEX = new Map<string, Licence>();
for (const l of LICENCES) for (const v of [l.uri, ...l.variants]) LICENCE_INDEX.set(normaliseLicenceUri(v), l);

export function findLicence(uri: string | null | undefined): Licence | undefined {
  if (!uri) return undefined;
  return LICENCE_INDEX.get(normaliseLicenceUri(uri));
}

/** True for NLOD 2.0, CC BY 4.0 and CC0 1.0 in any of their URI forms: with access rights PUBLIC, "åpne data". */
export function isOpenLicence(uri: string | null | undefined): boolean {
  return findLicence(uri) !== undefined;
}

// --- frequency --------------------------------------------------------------------------------------------------

export const FREQUENCY_BASE = 'http://publications.europa.eu/resource/authority/frequency/';

export const FREQUENCIES: readonly { code: string; label: Labels }[] = [
  { code: 'CONT', label: { nb: 'Kontinuerlig', nn: 'Kontinuerleg', en: 'Continuous' } },
  { code: 'UPDATE_CONT', label: { nb: 'Oppdateres kontinuerlig', nn: 'Oppdaterast kontinuerleg', en: 'Continuously updated' } },
  { code: 'HOURLY', label: { nb: 'Hver time', nn: 'Kvar time', en: 'Hourly' } },
  { code: 'DAILY', label: { nb: 'Daglig', nn: 'Dagleg', en: 'Daily' } },
  { code: 'WEEKLY', label: { nb: 'Ukentlig', nn: 'Vekevis', en: 'Weekly' } },
  { code: 'BIWEEKLY', label: { nb: 'Annenhver uke', nn: 'Annakvar veke', en: 'Biweekly' } },
  { code: 'MONTHLY', label: { nb: 'Månedlig', nn: 'Månadleg', en: 'Monthly' } },
  { code: 'BIMONTHLY', label: { nb: 'Annenhver måned', nn: 'Annakvar månad', en: 'Bimonthly' } },
  { code: 'QUARTERLY', label: { nb: 'Kvartalsvis', nn: 'Kvartalsvis', en: 'Quarterly' } },
  { code: 'ANNUAL_2', label: { nb: 'Halvårlig', nn: 'Halvårleg', en: 'Semiannual' } },
  { code: 'ANNUAL', label: { nb: 'Årlig', nn: 'Årleg', en: 'Annual' } },
  { code: 'BIENNIAL', label: { nb: 'Hvert annet år', nn: 'Annakvart år', en: 'Biennial' } },
  { code: 'TRIENNIAL', label: { nb: 'Hvert tredje år', nn: 'Kvart tredje år', en: 'Triennial' } },
  { code: 'IRREG', label: { nb: 'Uregelmessig', nn: 'Uregelmessig', en: 'Irregular' } },
  { code: 'NEVER', label: { nb: 'Aldri', nn: 'Aldri', en: 'Never' } },
  { code: 'UNKNOWN', label: { nb: 'Ukjent', nn: 'Ukjend', en: 'Unknown' } },
  { code: 'OTHER', label: { nb: 'Annet', nn: 'Anna', en: 'Other' } },
];

/** Accepts a bare code (ANNUAL) or the full EU authority URI and returns the code, or undefined when unknown. */
export function frequencyCode(input: string): string | undefined {
  const code = input.startsWith(FREQUENCY_BASE) ? input.slice(FREQUENCY_BASE.length) : input;
  return FREQUENCIES.some((f) => f.code === code) ? code : undefined;
}

export function frequencyLabel(code: string | null | undefined, locale: string): string | undefined {
  const f = FREQUENCIES.find((x) => x.code === code);
  return f ? labelIn(f.label, locale) : undefined;
}

// --- access rights ----------------------------------------------------------------------------------------------

export const ACCESS_RIGHTS_LABELS: Record<AccessRights, Labels> = {
  PUBLIC: { nb: 'Allmenn tilgang', nn: 'Allmenn tilgang', en: 'Public access' },
  RESTRICTED: { nb: 'Betinget tilgang', nn: 'Vilkårsbunden tilgang', en: 'Restricted access' },
  NON_PUBLIC: { nb: 'Ikke-allmenn tilgang', nn: 'Ikkje-allmenn tilgang', en: 'Non-public access' },
};

export function accessRightsLabel(value: AccessRights, locale: string): string {
  return labelIn(ACCESS_RIGHTS_LABELS[value], locale);
}
