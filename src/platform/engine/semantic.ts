// Semantic types: one validator per kind (the list is SEMANTIC_TYPES in ./index.ts), and the rule that picks a
// column's kind from the share of its values that pass. Identifiers use the project's validators (src/identifiers):
// organisasjonsnummer (mod 11), fødselsnummer with D-, H-, FH- and synthetic (Tenor) numbers (both check digits,
// 1964 and 2032 rules, a real date), kommunenummer (the 2020–2023 and the 2024 lists), fylkesnummer (both lists),
// postnummer (Bring's register), kontonummer (mod 11). The others are shapes and ranges checked here:
//   email      local@domain.tld, at most 254 characters, no spaces or brackets (a shape, not deliverability);
//   phone      a Norwegian number: 8 digits starting 2–9, optionally +47 or 0047 first, spaces/dashes/dots allowed;
//   date       YYYY-MM-DD or DD.MM.YYYY that exists in the calendar (DATE/TIMESTAMP columns are dates by type);
//   latitude   a number in [-90, 90]; longitude in [-180, 180] (WGS84 degrees, '.' or ',' decimal mark);
//   utm_*      EUREF89/WGS84 UTM metres as Norway uses them (zones 32, 33, 35): easting −100 000 … 1 200 000 (zone 33
//              is stretched over the whole country), northing 6 300 000 … 9 000 000 (Lindesnes to Svalbard).
// Coordinates and the 2–4 digit codes are only taken from a column's NAME (any small number is a valid latitude, and
// many four-digit numbers are postnummer and kommunenummer at once): their values then confirm or refute the name.
// Kinds with a check digit or a distinctive shape (orgnr, fødselsnummer, kontonummer, e-mail, phone, dates) are also
// recognised from the values alone, when at least MIN_SHARE of them pass.
import { fylkeOf, isFodselsnummer, isKommunenummer, isKontonummer, isOrgnr, isPostnummer } from '../../identifiers';
import type { SemanticType } from './index';

/** The share of checked values that must pass for a column to get a kind (also for name-matched kinds). */
export const MIN_SHARE = 0.9;

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:".]+(\.[^\s@<>()[\]\\,;:".]+)*\.[a-z]{2,63}$/i;
const PHONE = /^(?:\+47|0047)?[2-9]\d{7}$/;

function number(v: string): number | undefined {
  const t = v.trim().replace(',', '.');
  if (!/^[+-]?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function isDate(v: string): boolean {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else {
    m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v);
    if (!m) return false;
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function inRange(v: string, lo: number, hi: number): boolean {
  const n = number(v);
  return n !== undefined && n >= lo && n <= hi;
}

/** Whether one trimmed value is valid as the kind. */
export const SEMANTIC_VALIDATORS: Record<SemanticType, (v: string) => boolean> = {
  orgnr: (v) => /^\d{9}$/.test(v) && isOrgnr(v),
  kommunenummer: (v) => /^\d{4}$/.test(v) && isKommunenummer(v),
  fylkesnummer: (v) => /^\d{2}$/.test(v) && fylkeOf(v) !== undefined,
  postnummer: (v) => /^\d{4}$/.test(v) && isPostnummer(v),
  fodselsnummer: (v) => /^\d{11}$/.test(v) && isFodselsnummer(v),
  kontonummer: (v) => /^\d{11}$/.test(v.replace(/[ .]/g, '')) && isKontonummer(v),
  email: (v) => v.length <= 254 && EMAIL.test(v),
  phone: (v) => PHONE.test(v.replace(/[ .-]/g, '')),
  date: isDate,
  latitude: (v) => inRange(v, -90, 90),
  longitude: (v) => inRange(v, -180, 180),
  utm_easting: (v) => inRange(v, -100_000, 1_200_000),
  utm_northing: (v) => inRange(v, 6_300_000, 9_000_000),
};

/** Kinds recognised from the values alone, in order of precedence (every fødselsnummer is also a kontonummer). */
export const VALUE_KINDS: readonly SemanticType[] = ['fodselsnummer', 'orgnr', 'kontonummer', 'email', 'phone', 'date'];

/** The WGS84 box that holds mainland Norway, Svalbard and Jan Mayen: a hint that coordinates are Norwegian. */
export const NORWAY_BBOX = { minLat: 57.5, maxLat: 81.5, minLon: -9.5, maxLon: 35 } as const;

/** The share of values valid as the kind (0 for no values). */
export function validShare(kind: SemanticType, values: readonly string[]): { valid: number; share: number } {
  const vs = values.map((v) => v.trim()).filter((v) => v !== '');
  if (vs.length === 0) return { valid: 0, share: 0 };
  const valid = vs.filter((v) => SEMANTIC_VALIDATORS[kind](v)).length;
  return { valid, share: valid / vs.length };
}

export interface SemanticGuess {
  type: SemanticType;
  /** Share of the checked (distinct, non-empty) values that pass the kind's check, 0–1. */
  validShare: number;
  /** How many distinct values were checked. */
  checked: number;
  /** 'name': the column name names the kind (the share may then be low: the values refute the name); 'values'. */
  basis: 'name' | 'values' | 'type';
  /** Set when the kind holds: the share is at least MIN_SHARE. */
  confirmed: boolean;
}

/**
 * The kind of a column from its name's kind (if any) and distinct values: the named kind with its share (confirmed
 * at MIN_SHARE), else the first value kind with the highest share ≥ MIN_SHARE, else none.
 */
export function guessSemanticType(named: SemanticType | undefined, values: readonly string[]): SemanticGuess | undefined {
  const checked = values.filter((v) => v.trim() !== '').length;
  if (checked === 0) return undefined;
  if (named) {
    const { share } = validShare(named, values);
    return { type: named, validShare: share, checked, basis: 'name', confirmed: share >= MIN_SHARE };
  }
  let best: SemanticGuess | undefined;
  for (const kind of VALUE_KINDS) {
    const { share } = validShare(kind, values);
    if (share >= MIN_SHARE && (!best || share > best.validShare)) best = { type: kind, validShare: share, checked, basis: 'values', confirmed: true };
  }
  return best;
}
