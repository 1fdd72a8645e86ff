import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isOrgnr, normaliseOrgnr, validateOrgnr } from './orgnr';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/identifiers/${name}`, import.meta.url), 'utf8');

describe('validateOrgnr', () => {
  it.each(['123456785', '701730496', '991825827', '961181399'])('accepts the worked example %s', (orgnr) => {
    expect(validateOrgnr(orgnr)).toEqual({ valid: true, value: orgnr });
  });

  it('tolerates and removes spaces', () => {
    expect(validateOrgnr('991 825 827')).toEqual({ valid: true, value: '991825827' });
    expect(validateOrgnr(' 991\u00a0825\u00a0827 ')).toEqual({ valid: true, value: '991825827' });
  });

  it('names the expected check digit when the last digit is wrong', () => {
    expect(validateOrgnr('123456789')).toEqual({
      valid: false,
      reason: 'check_digit',
      expectedCheckDigit: 5,
      message: 'Organisasjonsnummer 123456789 has an invalid check digit: the last digit should be 5, not 9.',
    });
    const r = validateOrgnr('991825828');
    expect(r.valid).toBe(false);
    if (!r.valid) {
      expect(r.expectedCheckDigit).toBe(7);
      expect(r.message).toBe('Organisasjonsnummer 991825828 has an invalid check digit: the last digit should be 7, not 8.');
    }
  });

  it('says so when no check digit can be valid (remainder gives 10)', () => {
    // 10000013·[3,2,7,6,5,4,3,2] = 3+3+6 = 12 → 12 mod 11 = 1 → 11 - 1 = 10: never issued.
    const r = validateOrgnr('100000130');
    expect(r.valid).toBe(false);
    if (!r.valid) {
      expect(r.reason).toBe('check_digit');
      expect(r.expectedCheckDigit).toBeUndefined();
      expect(r.message).toMatch(/no check digit can make 10000013 valid/);
    }
    for (let d = 0; d <= 9; d++) expect(isOrgnr(`10000013${d}`)).toBe(false);
  });

  it('maps remainder 0 to check digit 0', () => {
    // 10000004: 1·3 + 4·2 = 11 → 11 mod 11 = 0 → 11 - 0 = 11 → check digit 0.
    expect(validateOrgnr('100000040')).toEqual({ valid: true, value: '100000040' });
    expect(validateOrgnr('100000041')).toMatchObject({ valid: false, expectedCheckDigit: 0 });
  });

  it.each(['', '12345678', '1234567890', '12345678a', '991-825-827', 'abc'])('rejects the format of %j', (input) => {
    const r = validateOrgnr(input);
    expect(r.valid).toBe(false);
    if (!r.valid) {
      expect(r.reason).toBe('format');
      expect(r.message).toMatch(/exactly 9 digits/);
    }
  });

  it('gives a clear error rather than crashing on non-string input', () => {
    expect(validateOrgnr(undefined as unknown as string)).toMatchObject({ valid: false, reason: 'format' });
    expect(isOrgnr(991825827 as unknown as string)).toBe(false);
  });

  it('accepts every organisasjonsnummer in a sample of 200 real ones (Landbruksdirektoratet 2022)', () => {
    const lines = fixture('ldir_pristilskudd_2022_orgnr_sample.csv').trim().split('\n');
    expect(lines[0]).toBe('komnr;orgnr');
    const orgnrs = lines.slice(1).map((l) => l.split(';')[1] ?? '');
    expect(orgnrs).toHaveLength(200);
    const failing = orgnrs.filter((o) => !isOrgnr(o));
    expect(failing).toEqual([]);
    // and a wrong last digit is caught for every one of them
    const mutated = orgnrs.map((o) => o.slice(0, 8) + String((Number(o[8]) + 1) % 10));
    expect(mutated.filter((o) => isOrgnr(o))).toEqual([]);
  });
});

describe('normaliseOrgnr', () => {
  it.each([
    ['991825827', '991825827'],
    ['991 825 827', '991825827'],
    ['https://data.brreg.no/enhetsregisteret/api/enheter/991825827', '991825827'],
    ['http://data.brreg.no/enhetsregisteret/enhet/991825827', '991825827'],
    ['https://data.brreg.no/enhetsregisteret/oppslag/underenheter/991825827/', '991825827'],
    ['https://organization-catalog.fellesdatakatalog.digdir.no/organizations/991825827', '991825827'],
    ['https://organization-catalogue.fellesdatakatalog.digdir.no/organizations/961181399?x=1#a', '961181399'],
    ['https://data.norge.no/organizations/991825827', '991825827'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseOrgnr(input)).toBe(expected);
  });

  it.each([
    'https://data.brreg.no/enhetsregisteret/api/enheter/991825828', // bad check digit
    'https://example.com/items/991825827', // unknown URI shape
    'https://data.brreg.no/enhetsregisteret/api/enheter/',
    'not a url 991825827',
    'http://[bad',
    '',
  ])('%s → undefined', (input) => {
    expect(normaliseOrgnr(input)).toBeUndefined();
  });
});
