import { describe, expect, it } from 'vitest';
import { KOMMUNER_2024 } from './kommuner-data';
import { POSTNUMMER_DATA } from './postnummer-data';
import { isPostnummer, postnummerCount, validatePostnummer } from './postnummer';

describe('validatePostnummer', () => {
  it('knows 0150 Oslo', () => {
    expect(validatePostnummer('0150')).toEqual({
      valid: true,
      value: '0150',
      poststed: 'OSLO',
      kommunenummer: '0301',
      category: 'G',
    });
  });

  it('knows post offices outside Oslo, with letters beyond ASCII', () => {
    expect(validatePostnummer('4001')).toMatchObject({ valid: true, poststed: 'STAVANGER', kommunenummer: '1103' });
    expect(validatePostnummer('9173')).toMatchObject({ valid: true, poststed: 'NY-ÅLESUND', kommunenummer: '2100' });
    expect(validatePostnummer(' 7010 ')).toMatchObject({ valid: true, value: '7010', poststed: 'TRONDHEIM' });
  });

  it('rejects a well-formed code that is not in the register as unknown', () => {
    expect(validatePostnummer('0000')).toEqual({
      valid: false,
      value: '0000',
      reason: 'unknown',
      message: "Postnummer 0000 is not in Posten/Bring's postal code register.",
    });
    expect(isPostnummer('5001')).toBe(false);
  });

  it.each(['150', '01500', 'abcd', '', 'N-0150'])('rejects the format of %j', (input) => {
    expect(validatePostnummer(input)).toMatchObject({ valid: false, reason: 'format' });
  });

  it('ships the whole register, every entry pointing at a 2024 municipality (or Svalbard/Jan Mayen)', () => {
    const lines = POSTNUMMER_DATA.split('\n');
    expect(postnummerCount()).toBe(5137);
    expect(lines).toHaveLength(5137);
    for (const line of lines) {
      const [postnr = '', , kommunenr = ''] = line.split('|');
      expect(isPostnummer(postnr), line).toBe(true);
      expect(kommunenr in KOMMUNER_2024 || kommunenr === '2100' || kommunenr === '2211', line).toBe(true);
    }
  });
});
