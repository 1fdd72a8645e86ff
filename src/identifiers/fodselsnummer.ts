/**
 * Fødselsnummer and its relatives (11 digits: DDMMYY III K1 K2). Rules, with sources, are in
 * /work/shared/data/identifiers/README.md (copied into test/fixtures/identifiers/README.md):
 *
 * - K1 weights 3,7,6,1,8,9,4,5,2 over digits 1-9; K2 weights 5,4,3,2,7,6,5,4,3,2 over digits 1-10.
 *   1964 rule: (Σ₁ + K1) mod 11 = 0. 2032 rule (numbers issued from 2032-01-01, Skatteetaten "Nytt fødselsnummer fra
 *   2032"): (Σ₁ + K1) mod 11 ∈ {0,1,2,3}. K2 always: (Σ₂ + K2) mod 11 = 0. Both rules are accepted; `rule` says
 *   '1964' when the remainder is 0 (valid under both) and '2032' when only the new rule accepts it.
 * - D-nummer: first digit + 4 (day 41-71). H-nummer: month + 40 (41-52); NAV's Dolly synthetic numbers use the same
 *   month + 40, so the two cannot be told apart (`hNumber` covers both). FH-nummer: first digit 8 or 9, no date;
 *   FH-numbers come from the health sector, not Folkeregisteret, so only the 1964 K1 rule is accepted for them.
 * - K2 uses the same weights as the kontonummer check digit, so every valid fødselsnummer is also a valid
 *   kontonummer (see detectIdentifier in index.ts).
 * - Synthetic Skatteetaten Tenor ("Test-Norge") numbers: month + 80 (third digit 8 or 9) → `synthetic: true`.
 *   The markers combine: 41819077906 is a synthetic 2032-rule D-nummer.
 *
 * Birth date and century. For 1964-rule numbers the century comes from the individnummer (digits 7-9):
 * 000-499 → 1900-1999; 500-749 with YY ≥ 54 → 1854-1899; 500-999 with YY ≤ 39 → 2000-2039; 900-999 with YY ≥ 40 →
 * 1940-1999. 2032-rule numbers encode no century, and a number issued after 2031 may also have remainder 0, so when
 * the ranges give no century (or give one in which the date does not exist, e.g. 29 February 1900) we fall back to
 * the candidates 19YY and 20YY: the number is valid if the day exists in either (this matches Skatteetaten's reference
 * validator, which reads YY=00 as the leap year 2000), and `birthDate` is the latest candidate not after `today`
 * (default: now), marked `centuryAmbiguous: true`. Birth dates in the future are not rejected (synthetic data has
 * them).
 *
 * Messages never quote the number itself: it is personal data and messages end up in logs.
 */
import { mod11CheckDigit, stripSpaces, weightedSum } from './mod11';

export const FNR_K1_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const;
export const FNR_K2_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

export type FodselsnummerKind = 'fnr' | 'dnr' | 'hnr' | 'fhnr';
export type FodselsnummerRule = '1964' | '2032';

export interface FodselsnummerInfo {
  /** The 11 digits, spaces removed. */
  value: string;
  /** fhnr (first digit 8/9) > dnr (first digit 4-7) > hnr (month + 40) > fnr. A D-nummer may also be `hNumber`. */
  kind: FodselsnummerKind;
  dNumber: boolean;
  /** Month + 40: a health-sector H-nummer or a NAV Dolly synthetic number (same format). */
  hNumber: boolean;
  /** Month + 80: a synthetic Skatteetaten Tenor / Test-Norge number. */
  synthetic: boolean;
  /** Which K1 rule the number needs: '1964' (remainder 0, valid under both) or '2032' (remainder 1-3). */
  rule: FodselsnummerRule;
  /** ISO date (YYYY-MM-DD), absent for FH-numbers. */
  birthDate?: string;
  /** True when the century was not given by the individnummer ranges but chosen (see module comment). */
  centuryAmbiguous?: boolean;
}

export type FodselsnummerResult =
  | ({ valid: true } & FodselsnummerInfo)
  | ({
      valid: false;
      reason: 'format' | 'check_digit' | 'date';
      message: string;
      /** For reason 'check_digit' on the last digit: what K2 should be. */
      expectedCheckDigit?: number;
    } & Partial<FodselsnummerInfo>);

export interface FodselsnummerOptions {
  /** Reference date for choosing the century of numbers that do not encode it. Defaults to now. */
  today?: Date;
}

export function validateFodselsnummer(input: string, options: FodselsnummerOptions = {}): FodselsnummerResult {
  if (typeof input !== 'string') {
    return { valid: false, reason: 'format', message: 'A fødselsnummer must be given as text.' };
  }
  const value = stripSpaces(input);
  if (!/^\d{11}$/.test(value)) {
    return {
      valid: false,
      reason: 'format',
      message: `A fødselsnummer must be exactly 11 digits; this value has ${describeLength(value)}.`,
    };
  }

  const d = (i: number) => value.charCodeAt(i) - 48;
  const fhNumber = d(0) >= 8;
  const dNumber = d(0) >= 4 && d(0) <= 7;
  const month = d(2) * 10 + d(3);
  const hNumber = !fhNumber && month >= 41 && month <= 52;
  const synthetic = !fhNumber && month >= 81 && month <= 92;
  const kind: FodselsnummerKind = fhNumber ? 'fhnr' : dNumber ? 'dnr' : hNumber ? 'hnr' : 'fnr';
  const markers = { value, kind, dNumber, hNumber, synthetic };

  // K1: the 1964 rule wants remainder 0, the 2032 rule accepts 0-3.
  const sum1 = weightedSum(value, FNR_K1_WEIGHTS);
  const remainder1 = (sum1 + d(9)) % 11;
  if (remainder1 > 3) {
    const old = [...Array(10).keys()].filter((k) => (sum1 + k) % 11 === 0);
    const newer = [...Array(10).keys()].filter((k) => {
      const r = (sum1 + k) % 11;
      return r >= 1 && r <= 3;
    });
    const options1964 = old.length > 0 ? `${old.join(' or ')} under the 1964 rule` : 'no digit under the 1964 rule';
    const options2032 = newer.length > 0 ? `${listOr(newer)} under the 2032 rule` : 'no digit under the 2032 rule';
    return {
      valid: false,
      reason: 'check_digit',
      message:
        `This fødselsnummer has an invalid first check digit (digit 10): it should be ${options1964}, ` +
        `or ${options2032}, not ${d(9)}.`,
      ...markers,
    };
  }
  const rule: FodselsnummerRule = remainder1 === 0 ? '1964' : '2032';
  if (fhNumber && rule === '2032') {
    // FH-numbers are issued by the health sector, not Folkeregisteret; the 2032 change does not cover them.
    const old = [...Array(10).keys()].find((k) => (sum1 + k) % 11 === 0);
    return {
      valid: false,
      reason: 'check_digit',
      message:
        'This FH-nummer has an invalid first check digit (digit 10): FH-numbers follow the 1964 rule, ' +
        (old === undefined ? 'and no digit is valid under it.' : `so it should be ${old}, not ${d(9)}.`),
      ...markers,
    };
  }

  const expected2 = mod11CheckDigit(value, FNR_K2_WEIGHTS);
  if (expected2 !== d(10)) {
    return {
      valid: false,
      reason: 'check_digit',
      ...(expected2 === undefined ? {} : { expectedCheckDigit: expected2 }),
      message:
        expected2 === undefined
          ? 'This fødselsnummer has an invalid second check digit: no last digit can make the first ten digits valid.'
          : 'This fødselsnummer has an invalid second check digit: ' +
            `the last digit should be ${expected2}, not ${d(10)}.`,
      ...markers,
      rule,
    };
  }

  if (fhNumber) return { valid: true, ...markers, rule };

  const day = d(0) * 10 + d(1) - (dNumber ? 40 : 0);
  const realMonth = month - (hNumber ? 40 : synthetic ? 80 : 0);
  if (realMonth < 1 || realMonth > 12) {
    return {
      valid: false,
      reason: 'date',
      message:
        `This fødselsnummer has no valid month: digits 3-4 are ${pad2(month)}, but must be 01-12, ` +
        '41-52 (H-nummer or Dolly synthetic) or 81-92 (Tenor synthetic).',
      ...markers,
      rule,
    };
  }
  const yy = d(4) * 10 + d(5);
  const individnummer = d(6) * 100 + d(7) * 10 + d(8);
  const century = rule === '1964' ? centuryFromIndividnummer(individnummer, yy) : undefined;
  const birth = birthDateOf(day, realMonth, yy, century, options.today ?? new Date());
  if (!birth) {
    const years = [...new Set([century, 1900, 2000].filter((c) => c !== undefined).map((c) => c + yy))].sort();
    return {
      valid: false,
      reason: 'date',
      message:
        `This fødselsnummer has no valid birth date: ${pad2(day)}.${pad2(realMonth)} does not exist ` +
        `in ${listOr(years)}.`,
      ...markers,
      rule,
    };
  }
  return { valid: true, ...markers, rule, ...birth };
}

export function isFodselsnummer(input: string, options?: FodselsnummerOptions): boolean {
  return validateFodselsnummer(input, options).valid;
}

/** The first year of the century given by the 1964-scheme individnummer ranges, or undefined when none applies. */
export function centuryFromIndividnummer(individnummer: number, yy: number): number | undefined {
  if (individnummer <= 499) return 1900;
  if (individnummer <= 749 && yy >= 54) return 1800;
  if (yy <= 39) return 2000;
  if (individnummer >= 900) return 1900;
  return undefined;
}

function birthDateOf(
  day: number,
  month: number,
  yy: number,
  century: number | undefined,
  today: Date,
): { birthDate: string; centuryAmbiguous: boolean } | undefined {
  if (century !== undefined && dateExists(century + yy, month, day)) {
    return { birthDate: isoDate(century + yy, month, day), centuryAmbiguous: false };
  }
  const candidates = [2000 + yy, 1900 + yy].filter((year) => dateExists(year, month, day));
  if (candidates.length === 0) return undefined;
  const todayIso = today.toISOString().slice(0, 10);
  const year = candidates.find((y) => isoDate(y, month, day) <= todayIso) ?? candidates[candidates.length - 1]!;
  return { birthDate: isoDate(year, month, day), centuryAmbiguous: true };
}

function dateExists(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const isoDate = (y: number, m: number, d: number) => `${y}-${pad2(m)}-${pad2(d)}`;
const listOr = (xs: number[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`);
const describeLength = (v: string) =>
  /^\d*$/.test(v) ? `${v.length} digit${v.length === 1 ? '' : 's'}` : 'characters other than digits and spaces';
