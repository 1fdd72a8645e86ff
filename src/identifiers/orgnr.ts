/**
 * Organisasjonsnummer (Enhetsregisteret, Brønnøysundregistrene): 9 digits, the last a modulus-11 check digit over
 * the first eight with weights 3,2,7,6,5,4,3,2 (remainder 0 → 0; a remainder giving 10 is never issued).
 * Source: Brønnøysundregistrene, "Construction of the Norwegian organization number" (worked example 123456785).
 * Organisation numbers are public, so messages may quote them.
 */
import { mod11CheckDigit, stripSpaces } from './mod11';

export const ORGNR_WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;

export type OrgnrResult =
  | { valid: true; value: string }
  | { valid: false; reason: 'format' | 'check_digit'; expectedCheckDigit?: number; message: string };

/** Validates an organisasjonsnummer; spaces inside ("991 825 827") are tolerated and removed in `value`. */
export function validateOrgnr(input: string): OrgnrResult {
  if (typeof input !== 'string') {
    return { valid: false, reason: 'format', message: 'An organisasjonsnummer must be given as text.' };
  }
  const value = stripSpaces(input);
  if (!/^\d{9}$/.test(value)) {
    return {
      valid: false,
      reason: 'format',
      message: `"${truncate(input.trim())}" is not an organisasjonsnummer: it must be exactly 9 digits.`,
    };
  }
  const expected = mod11CheckDigit(value, ORGNR_WEIGHTS);
  const given = Number(value[8]);
  if (expected === undefined) {
    return {
      valid: false,
      reason: 'check_digit',
      message:
        `Organisasjonsnummer ${value} has an invalid check digit: no check digit can make ` +
        `${value.slice(0, 8)} valid (the modulus-11 remainder gives 10), so it is not an organisasjonsnummer.`,
    };
  }
  if (expected !== given) {
    return {
      valid: false,
      reason: 'check_digit',
      expectedCheckDigit: expected,
      message:
        `Organisasjonsnummer ${value} has an invalid check digit: ` +
        `the last digit should be ${expected}, not ${given}.`,
    };
  }
  return { valid: true, value };
}

export function isOrgnr(input: string): boolean {
  return validateOrgnr(input).valid;
}

/**
 * Path segments after which a publisher URI carries an organisasjonsnummer, e.g.
 * https://data.brreg.no/enhetsregisteret/api/enheter/991825827,
 * https://data.brreg.no/enhetsregisteret/oppslag/underenheter/974760673,
 * https://organization-catalog.fellesdatakatalog.digdir.no/organizations/991825827.
 */
const ORGNR_PATH_PARENTS = new Set([
  'enheter',
  'underenheter',
  'organizations',
  'organisations',
  'organization',
  'organisation',
  'organisasjoner',
  'orgnr',
]);

/**
 * Returns the 9-digit organisasjonsnummer in a plain number ("991 825 827") or a publisher URI whose last path
 * segment is the number and follows one of the known segments (`enheter`, `underenheter`, `organizations`, …) or
 * sits on a brreg.no host. Returns undefined unless the result passes the check digit.
 */
export function normaliseOrgnr(input: string): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return undefined;
    }
    const segments = url.pathname.split('/').filter((s) => s !== '');
    const last = segments.at(-1);
    const parent = segments.at(-2)?.toLowerCase();
    if (last === undefined || !/^\d{9}$/.test(last)) return undefined;
    const knownHost = url.hostname === 'brreg.no' || url.hostname.endsWith('.brreg.no');
    if (!knownHost && (parent === undefined || !ORGNR_PATH_PARENTS.has(parent))) return undefined;
    return isOrgnr(last) ? last : undefined;
  }
  const result = validateOrgnr(trimmed);
  return result.valid ? result.value : undefined;
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
