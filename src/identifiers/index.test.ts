import { describe, expect, it } from 'vitest';
import * as identifiers from './index';
import { detectIdentifier } from './index';

describe('index', () => {
  it('re-exports every validator', () => {
    for (const name of [
      'validateOrgnr',
      'isOrgnr',
      'normaliseOrgnr',
      'validateFodselsnummer',
      'isFodselsnummer',
      'validateKommunenummer',
      'isKommunenummer',
      'fylkeOf',
      'padKommunenummer',
      'validatePostnummer',
      'validateKontonummer',
      'validateNorwegianIban',
      'detectIdentifier',
    ]) {
      expect(typeof (identifiers as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

describe('detectIdentifier', () => {
  it.each([
    ['991825827', ['orgnr']],
    ['991 825 827', ['orgnr']],
    ['13097248022', ['fodselsnummer', 'kontonummer']],
    ['13097248023', []],
    ['86011117947', ['kontonummer']],
    ['8601.11.17947', ['kontonummer']],
    ['NO93 8601 1117 947', ['iban']],
    ['0150', ['postnummer']],
    ['0301', ['kommunenummer', 'postnummer']],
    ['3001', ['kommunenummer', 'postnummer']],
    ['3101', ['kommunenummer', 'postnummer']],
    ['9173', ['postnummer']],
    ['5001', ['kommunenummer']],
    ['0000', []],
    ['123456789', []],
    ['hello', []],
    ['', []],
  ])('%j → %j', (value, kinds) => {
    expect(detectIdentifier(value)).toEqual(kinds);
  });

  it('reports every valid fødselsnummer as a kontonummer too (same K2 weights), but not the other way round', () => {
    let fodselsnummer = 0;
    let kontonummerOnly = 0;
    for (let i = 0; i < 1000; i++) {
      const base = `130972${String(i).padStart(3, '0')}`;
      for (let k1 = 0; k1 <= 9; k1++) {
        for (let k2 = 0; k2 <= 9; k2++) {
          const kinds = detectIdentifier(`${base}${k1}${k2}`);
          if (kinds.includes('fodselsnummer')) {
            fodselsnummer++;
            expect(kinds).toEqual(['fodselsnummer', 'kontonummer']);
          } else if (kinds.includes('kontonummer')) kontonummerOnly++;
        }
      }
    }
    // about 4/11 of the 1000·10 K2-valid numbers pass K1 under the 1964 or 2032 rules
    expect(fodselsnummer).toBeGreaterThan(3000);
    expect(fodselsnummer).toBeLessThan(4000);
    expect(kontonummerOnly).toBeGreaterThan(5000);
  });

  it('does not take an account number starting with 8 for an FH-nummer under the 2032 rule', () => {
    expect(detectIdentifier('86011117947')).toEqual(['kontonummer']);
  });

  it('returns nothing for non-strings and long text', () => {
    expect(detectIdentifier(undefined as unknown as string)).toEqual([]);
    expect(detectIdentifier('991825827 '.repeat(10))).toEqual([]);
  });
});
