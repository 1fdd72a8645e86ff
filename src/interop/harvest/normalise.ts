// The tolerant readers every source type shares. Real catalogues are messier than the standard, so these accept what
// they meet and turn it into what the catalogue stores — never refusing a record for a form they can make sense of:
// - publishers: any known form of an Enhetsregisteret reference (brreg API/old/oppslag URIs, the organisation
//   catalogue's URIs, data.norge.no's, a bare or spaced orgnr, `orgnr` keys in CKAN extras) becomes the orgnr;
// - language tags: `no`, `nb-NO`, `nob`, `nor` are bokmål, `nn-NO`/`nno` nynorsk, `en-*`/`eng` English; untagged is bokmål;
// - dates: a date, a date-time with or without a zone (a zone-less one is Norwegian local time, as in data.norge.no
//   and every CKAN timestamp), microseconds, `dd.mm.yyyy`;
// - themes: EU data themes and LOS are recognised, anything else is kept as an "other theme".
import { validateOrgnr } from '../../identifiers/orgnr';
import { EU_THEME_BASE, findEuTheme, findLicence, frequencyCode, isLosUri } from '../../catalog/vocabularies';
import { ACCESS_RIGHTS, type AccessRights, type LangText } from '../../catalog/model';
import { validateKommunenummer } from '../../identifiers/kommunenummer';
import { langOf, normaliseDate, normaliseDay } from '../../catalog/tolerant';

// Dates and language tags are read as the JSON API reads them (src/catalog/tolerant.ts): one tolerance everywhere.
export { langOf, normaliseDate, normaliseDay };

export type { Lang } from '../../catalog/tolerant';

// --- publishers -----------------------------------------------------------------------------------------------------

const ORGNR_IN_URI: RegExp[] = [
  // https://data.brreg.no/enhetsregisteret/api/enheter/NNN, …/enhet/NNN, …/oppslag/enheter/NNN, underenheter
  /^https?:\/\/(?:www\.)?data\.brreg\.no\/enhetsregisteret\/(?:api\/)?(?:oppslag\/)?(?:enheter|enhet|underenheter|underenhet)\/(\d{9})(?:[/?#.].*)?$/i,
  // the organisation catalogue (digdir and the older brreg host; "catalog" and "catalogue")
  /^https?:\/\/organi[sz]ation-catalog(?:ue)?\.[a-z0-9.-]+\/organi[sz]ations\/(\d{9})(?:[/?#].*)?$/i,
  // data.norge.no's organisation pages
  /^https?:\/\/(?:www\.)?data\.norge\.no\/(?:nb\/|nn\/|en\/)?organi[sz]ations\/(\d{9})(?:[/?#].*)?$/i,
  // URN forms seen in the wild
  /^urn:(?:no:)?(?:orgnr|organisasjonsnummer|brreg):(\d{9})$/i,
];

/** The organisation number in a publisher URI or identifier of any known form, if it is a valid one. */
export function orgnrFromReference(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  let candidate: string | undefined;
  for (const re of ORGNR_IN_URI) {
    const m = re.exec(v);
    if (m) {
      candidate = m[1];
      break;
    }
  }
  if (!candidate && /^(?:NO\s?)?\d{3}\s?\d{3}\s?\d{3}(?:\s?MVA)?$/i.test(v)) candidate = v.replace(/^NO|MVA$|\s/gi, '');
  if (!candidate) return null;
  const r = validateOrgnr(candidate);
  return r.valid ? r.value : null;
}

/** The first orgnr any of the references gives (URIs, identifiers, CKAN extras values). */
export function orgnrFromAny(values: (string | null | undefined)[]): string | null {
  for (const v of values) {
    const o = orgnrFromReference(v);
    if (o) return o;
  }
  return null;
}

/** CKAN extras keys that carry an organisation number. */
export const ORGNR_EXTRA_KEYS = ['orgnr', 'organisasjonsnummer', 'organization_number', 'organisation_number', 'org_nr', 'publisher_orgnr', 'publisher_uri', 'publisher_identifier'];

// --- languages ------------------------------------------------------------------------------------------------------


/**
 * Collects tagged texts into a LangText: the first text per language wins; texts in languages the catalogue does not
 * speak fill bokmål only when nothing else does (a record with only a German title keeps a title).
 */
export function langText(entries: { value: string; lang?: string | null }[], max = 10_000): LangText {
  const out: LangText = {};
  let fallback: string | undefined;
  for (const e of entries) {
    const v = e.value.replace(/\r\n?/g, '\n').trim();
    if (!v) continue;
    const lang = langOf(e.lang);
    if (lang === null) {
      fallback ??= v;
      continue;
    }
    out[lang] ??= v.slice(0, max);
  }
  if (!out.nb && !out.nn && !out.en && fallback) out.nb = fallback.slice(0, max);
  return out;
}

/** A JSON language map ({nb, no, nn, en, …}) or a plain string, as CKAN and data.norge.no send them. */
export function langTextFromJson(v: unknown, max = 10_000): LangText {
  if (typeof v === 'string') return langText([{ value: v }], max);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return langText(
    Object.entries(v as Record<string, unknown>)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([lang, value]) => ({ value, lang })),
    max,
  );
}

// --- dates ----------------------------------------------------------------------------------------------------------

// --- vocabularies ---------------------------------------------------------------------------------------------------

/** Splits theme references into EU data themes, LOS themes and the rest (kept, never rejected). */
export function sortThemes(values: string[]): { themes: string[]; losThemes: string[]; otherThemes: string[] } {
  const themes = new Set<string>();
  const los = new Set<string>();
  const other = new Set<string>();
  for (const raw of values) {
    const v = raw.trim();
    if (!v) continue;
    const eu = /^[A-Z_]{4}$/.test(v) ? `${EU_THEME_BASE}${v}` : v.replace(/^https:\/\/publications/, 'http://publications');
    if (findEuTheme(eu)) themes.add(eu);
    else if (isLosUri(v)) los.add(v);
    else other.add(v.slice(0, 500));
  }
  return { themes: [...themes], losThemes: [...los], otherThemes: [...other] };
}

const ACCESS_RIGHTS_BASE = 'http://publications.europa.eu/resource/authority/access-right/';

export function normaliseAccessRights(v: string | null | undefined): AccessRights | null {
  if (!v) return null;
  const s = v.trim().replace(/^https?:\/\/publications\.europa\.eu\/resource\/authority\/access-right\//, '').toUpperCase();
  if ((ACCESS_RIGHTS as readonly string[]).includes(s)) return s as AccessRights;
  if (s === 'OPEN' || s === 'OFFENTLIG') return 'PUBLIC';
  if (s === 'BEGRENSET') return 'RESTRICTED';
  if (s === 'IKKE_OFFENTLIG' || s === 'CONFIDENTIAL') return 'NON_PUBLIC';
  void ACCESS_RIGHTS_BASE;
  return null;
}

/** A licence URI: known licences in their canonical form, any other http(s) URI as it is. */
export function normaliseLicence(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.trim();
  const known = findLicence(s);
  if (known) return known.uri;
  return isHttp(s) ? s.slice(0, 2000) : null;
}

/** CKAN licence ids of the licences we know. */
const CKAN_LICENCES: Record<string, string> = {
  'nlod': 'http://data.norge.no/nlod/no/2.0',
  'nlod-2.0': 'http://data.norge.no/nlod/no/2.0',
  'nlod20': 'http://data.norge.no/nlod/no/2.0',
  'cc-by': 'http://creativecommons.org/licenses/by/4.0/',
  'cc-by-4.0': 'http://creativecommons.org/licenses/by/4.0/',
  'cc-zero': 'http://creativecommons.org/publicdomain/zero/1.0/',
  'cc0-1.0': 'http://creativecommons.org/publicdomain/zero/1.0/',
  'odc-pddl': 'http://opendatacommons.org/licenses/pddl/1.0/',
  'odc-by': 'http://opendatacommons.org/licenses/by/1.0/',
  'odc-odbl': 'http://opendatacommons.org/licenses/odbl/1.0/',
};

export function licenceFromCkan(id: unknown, url: unknown): string | null {
  if (typeof url === 'string' && isHttp(url)) return normaliseLicence(url);
  if (typeof id === 'string' && id.trim()) return CKAN_LICENCES[id.trim().toLowerCase()] ?? normaliseLicence(id);
  return null;
}

export function normaliseFrequency(v: string | null | undefined): string | null {
  if (!v) return null;
  return frequencyCode(v.trim().replace(/^https:/, 'http:')) ?? frequencyCode(v.trim().toUpperCase()) ?? null;
}

const FILE_TYPE_BASE = 'http://publications.europa.eu/resource/authority/file-type/';
const IANA = /^https?:\/\/www\.iana\.org\/assignments\/media-types\//;

export function normaliseFormat(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.trim().replace(/^https?:\/\/publications\.europa\.eu\/resource\/authority\/file-type\//, '');
  if (!s || s.includes('/')) return null;
  return s.toUpperCase().replace(/^\./, '').slice(0, 40);
}

export function normaliseMediaType(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.trim().replace(IANA, '').toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(s) ? s : null;
}
void FILE_TYPE_BASE;

/** Kommunenummer/fylkesnummer from a spatial reference (a bare code or a Geonorge administrative-unit URI). */
export function spatialCode(v: string): string | null {
  const m = /(?:kommune|fylke)\/id\/(\d+)$/.exec(v) ?? /^(\d{2}|\d{4})$/.exec(v.trim());
  const code = m?.[1];
  if (!code) return null;
  if (code.length === 2) return code;
  if (code.length === 4 && validateKommunenummer(code).valid) return code;
  return null;
}

export function isHttp(v: string | null | undefined): v is string {
  if (!v) return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function httpOrNull(v: string | null | undefined): string | null {
  return isHttp(v) ? v.trim().slice(0, 2000) : null;
}
