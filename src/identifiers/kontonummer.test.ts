import { describe, expect, it } from 'vitest';
import { isKontonummer, kontonummerToIban, validateKontonummer, validateNorwegianIban } from './kontonummer';

describe('validateKontonummer', () => {
  it.each(['86011117947', '8601.11.17947', '8601 11 17947', ' 8601 11 17947 '])('accepts %j', (input) => {
    expect(validateKontonummer(input)).toEqual({ valid: true, value: '86011117947' });
  });

  it('names the expected check digit', () => {
    expect(validateKontonummer('8601.11.17948')).toEqual({
      valid: false,
      value: '86011117948',
      reason: 'check_digit',
      expectedCheckDigit: 7,
      message: 'This kontonummer has an invalid check digit: the last digit should be 7, not 8.',
    });
  });

  it('rejects numbers whose remainder gives 10 whatever the last digit', () => {
    // 0000000001·[…,2] = 2 → 2 mod 11 = 2 → 11 - 2 = 9; 0000000005 → 10 → 10 mod 11 → 11 - 10 = 1;
    // find a base whose check is 10 by search and confirm no last digit works.
    const base = Array.from({ length: 100 }, (_, i) => String(i).padStart(10, '0')).find((b) =>
      [...Array(10).keys()].every((d) => !isKontonummer(b + d)),
    );
    expect(base).toBeDefined();
    const r = validateKontonummer(`${base}0`);
    expect(r).toMatchObject({ valid: false, reason: 'check_digit' });
    expect(r.valid ? {} : r).not.toHaveProperty('expectedCheckDigit');
  });

  it.each(['8601111794', '860111179470', '8601-11-17947', 'NO9386011117947', ''])('rejects the format of %j', (input) => {
    expect(validateKontonummer(input)).toMatchObject({ valid: false, reason: 'format' });
  });

  it('does not quote the account number in messages', () => {
    const r = validateKontonummer('86011117948');
    expect(r.valid ? '' : r.message).not.toContain('86011117948');
  });
});

describe('validateNorwegianIban', () => {
  it.each(['NO9386011117947', 'NO93 8601 1117 947', 'no93 8601 1117 947'])('accepts %j', (input) => {
    expect(validateNorwegianIban(input)).toEqual({ valid: true, value: 'NO9386011117947', kontonummer: '86011117947' });
  });

  it('rejects wrong IBAN check digits (MOD-97-10)', () => {
    expect(validateNorwegianIban('NO9486011117947')).toMatchObject({ valid: false, reason: 'iban_check' });
    expect(validateNorwegianIban('NO9386011117974')).toMatchObject({ valid: false, reason: 'iban_check' });
  });

  it('rejects an IBAN whose MOD-97 is right but whose account check digit is wrong', () => {
    const iban = kontonummerToIbanUnchecked('86011117948');
    expect(validateNorwegianIban(iban)).toMatchObject({ valid: false, reason: 'check_digit' });
  });

  it.each(['SE4550000000058398257466', 'NO938601111794', 'NO93860111179470', 'XX9386011117947', ''])(
    'rejects the format of %j',
    (input) => {
      expect(validateNorwegianIban(input)).toMatchObject({ valid: false, reason: 'format' });
    },
  );
});

describe('kontonummerToIban', () => {
  it('computes the IBAN check digits', () => {
    expect(kontonummerToIban('8601.11.17947')).toBe('NO9386011117947');
    expect(kontonummerToIban('86011117948')).toBeUndefined();
  });
});

/** An IBAN with correct MOD-97 check digits around any 11 digits (kontonummerToIban refuses invalid accounts). */
function kontonummerToIbanUnchecked(digits: string): string {
  const numeric = BigInt(`${digits}232400`); // N=23, O=24, check digits 00
  const check = 98n - (numeric % 97n);
  return `NO${String(check).padStart(2, '0')}${digits}`;
}
