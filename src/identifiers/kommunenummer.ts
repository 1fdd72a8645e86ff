/**
 * Kommunenummer: 4 digits, the first two the fylke (county). A code is valid when it is a municipality in the 2024
 * division (SSB Klass 131, in force from 2024-01-01) or in the 2020-2023 division (Kartverket); `validIn` says which.
 * Only 242 codes are the same in both, so data from before 2024 often carries codes that no longer exist.
 * Codes that lost their leading zero ("301") are NOT accepted silently: pad them explicitly with padKommunenummer.
 * The lists are in kommuner-data.ts (generated; sources and licences NLOD 2.0 / CC BY 4.0 in its header).
 */
import { FYLKER_2020, FYLKER_2024, KOMMUNER_2020, KOMMUNER_2024 } from './kommuner-data';

export type KommuneDivision = '2020' | '2024';

export type KommunenummerResult =
  | { valid: true; value: string; name: string; validIn: KommuneDivision[]; fylke: string }
  | {
      valid: false;
      value?: string;
      name?: string;
      validIn: KommuneDivision[];
      reason: 'format' | 'fylke' | 'unknown' | 'not_municipality';
      message: string;
    };

/** Codes that look like kommunenummer but are not municipalities. */
const NOT_MUNICIPALITIES: Readonly<Record<string, string>> = {
  '2100': 'Svalbard (an area outside any municipality; used in the postal register)',
  '2211': 'Jan Mayen (an area outside any municipality; used in the postal register)',
  '9999': 'SSB’s code for an unspecified municipality ("Uoppgitt")',
};

export function validateKommunenummer(input: string): KommunenummerResult {
  if (typeof input !== 'string' || !/^\d{4}$/.test(input.trim())) {
    const shown = typeof input === 'string' ? input.trim().slice(0, 40) : String(input);
    const hint =
      typeof input === 'string' && /^\d{3}$/.test(input.trim())
        ? ' (use padKommunenummer for codes that lost their leading zero)'
        : '';
    return {
      valid: false,
      validIn: [],
      reason: 'format',
      message: `"${shown}" is not a kommunenummer: it must be exactly 4 digits${hint}.`,
    };
  }
  const value = input.trim();
  const special = NOT_MUNICIPALITIES[value];
  if (special !== undefined) {
    return {
      valid: false,
      value,
      validIn: [],
      reason: 'not_municipality',
      message: `${value} is not a kommunenummer: it is ${special}.`,
    };
  }
  const fylke = value.slice(0, 2);
  if (FYLKER_2024[fylke] === undefined && FYLKER_2020[fylke] === undefined) {
    return {
      valid: false,
      value,
      validIn: [],
      reason: 'fylke',
      message:
        `Kommunenummer ${value} is not valid: ${fylke} is not a fylke (county) code of the 2020 or 2024 division.`,
    };
  }
  const validIn: KommuneDivision[] = [];
  if (KOMMUNER_2020[value] !== undefined) validIn.push('2020');
  if (KOMMUNER_2024[value] !== undefined) validIn.push('2024');
  const name = KOMMUNER_2024[value] ?? KOMMUNER_2020[value];
  if (name === undefined) {
    return {
      valid: false,
      value,
      validIn,
      reason: 'unknown',
      message: `Kommunenummer ${value} is not a municipality in the 2020–2023 or 2024 division.`,
    };
  }
  return { valid: true, value, name, validIn, fylke };
}

export function isKommunenummer(input: string): boolean {
  return validateKommunenummer(input).valid;
}

export interface Fylke {
  code: string;
  /** The 2024 name when the code exists in 2024, else the 2020-2023 name. */
  name: string;
  validIn: KommuneDivision[];
}

/** The fylke of a kommunenummer (or of a 2-digit fylke code), or undefined when its first two digits are no fylke. */
export function fylkeOf(code: string): Fylke | undefined {
  if (typeof code !== 'string' || !/^\d{2}(\d{2})?$/.test(code.trim())) return undefined;
  const fylke = code.trim().slice(0, 2);
  const validIn: KommuneDivision[] = [];
  if (FYLKER_2020[fylke] !== undefined) validIn.push('2020');
  if (FYLKER_2024[fylke] !== undefined) validIn.push('2024');
  const name = FYLKER_2024[fylke] ?? FYLKER_2020[fylke];
  return name === undefined ? undefined : { code: fylke, name, validIn };
}

/**
 * Restores the leading zero that spreadsheets strip from kommunenummer: '301' or 301 → '0301'. Four-digit codes are
 * returned unchanged; anything else (not 3-4 digits) gives undefined. It does not check that the code exists.
 */
export function padKommunenummer(input: string | number): string | undefined {
  const s =
    typeof input === 'number' ? (Number.isInteger(input) && input >= 0 ? String(input) : '') : String(input).trim();
  if (!/^\d{3,4}$/.test(s)) return undefined;
  return s.padStart(4, '0');
}

/** All valid kommunenummer of a division, sorted, with names. */
export function kommuner(division: KommuneDivision): { code: string; name: string }[] {
  const table = division === '2024' ? KOMMUNER_2024 : KOMMUNER_2020;
  return Object.entries(table)
    .map(([code, name]) => ({ code, name }))
    .sort((a, b) => a.code.localeCompare(b.code));
}
