/**
 * Norwegian bank account numbers (kontonummer, 11 digits BBBB.KK.NNNNC) and Norwegian IBANs.
 * - C = 11 - (Σ d1..d10 · [5,4,3,2,7,6,5,4,3,2] mod 11); 11 → 0; 10 → never issued.
 *   (An older description says that when digits 5-6 are 00 the check covers only digits 7-10; that is unconfirmed
 *   and not applied.)
 * - IBAN: "NO" + 2 check digits + the 11-digit kontonummer, checked with ISO 7064 MOD-97-10 (and the kontonummer's
 *   own check digit).
 * Sources in test/fixtures/identifiers/README.md. Messages do not quote the number: a person's account is personal.
 */
import { mod11CheckDigit } from './mod11';

export const KONTONUMMER_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

export type KontonummerResult =
  | { valid: true; value: string }
  | { valid: false; value?: string; reason: 'format' | 'check_digit'; expectedCheckDigit?: number; message: string };

/** Accepts "86011117947", "8601.11.17947" and "8601 11 17947"; `value` is the 11 digits. */
export function validateKontonummer(input: string): KontonummerResult {
  const value = typeof input === 'string' ? input.replace(/[\s.]+/g, '') : '';
  if (!/^\d{11}$/.test(value)) {
    return {
      valid: false,
      reason: 'format',
      message: 'A kontonummer must be 11 digits, optionally written as 1234.56.78903 or with spaces.',
    };
  }
  const expected = mod11CheckDigit(value, KONTONUMMER_WEIGHTS);
  const given = Number(value[10]);
  if (expected === undefined) {
    return {
      valid: false,
      value,
      reason: 'check_digit',
      message: 'This kontonummer has an invalid check digit: no check digit can make its first ten digits valid.',
    };
  }
  if (expected !== given) {
    return {
      valid: false,
      value,
      reason: 'check_digit',
      expectedCheckDigit: expected,
      message: `This kontonummer has an invalid check digit: the last digit should be ${expected}, not ${given}.`,
    };
  }
  return { valid: true, value };
}

export function isKontonummer(input: string): boolean {
  return validateKontonummer(input).valid;
}

export type IbanResult =
  | { valid: true; value: string; kontonummer: string }
  | { valid: false; value?: string; reason: 'format' | 'iban_check' | 'check_digit'; message: string };

/** Validates a Norwegian IBAN ("NO9386011117947", spaces and lower case tolerated); `value` is compact upper case. */
export function validateNorwegianIban(input: string): IbanResult {
  const value = typeof input === 'string' ? input.replace(/\s+/g, '').toUpperCase() : '';
  if (!/^NO\d{13}$/.test(value)) {
    return {
      valid: false,
      reason: 'format',
      message: 'A Norwegian IBAN is "NO" followed by 2 check digits and the 11-digit kontonummer (15 characters).',
    };
  }
  if (ibanMod97(value) !== 1) {
    return {
      valid: false,
      value,
      reason: 'iban_check',
      message: 'This IBAN fails the ISO 7064 MOD-97-10 check: the check digits or the account digits are wrong.',
    };
  }
  const kontonummer = value.slice(4);
  const account = validateKontonummer(kontonummer);
  if (!account.valid) {
    const message = `The account in this IBAN is invalid. ${account.message}`;
    return { valid: false, value, reason: 'check_digit', message };
  }
  return { valid: true, value, kontonummer };
}

export function isNorwegianIban(input: string): boolean {
  return validateNorwegianIban(input).valid;
}

/** The Norwegian IBAN of a valid kontonummer ('86011117947' → 'NO9386011117947'), or undefined when it is invalid. */
export function kontonummerToIban(kontonummer: string): string | undefined {
  const account = validateKontonummer(kontonummer);
  if (!account.valid) return undefined;
  const check = 98 - ibanMod97(`NO00${account.value}`);
  return `NO${String(check).padStart(2, '0')}${account.value}`;
}

/** ISO 7064 MOD-97-10 over an IBAN: first four characters moved to the end, letters as 10-35, remainder mod 97. */
function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const digit of digits) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder;
}
