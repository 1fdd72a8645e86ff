import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FYLKER_2020, FYLKER_2024, KOMMUNER_2020, KOMMUNER_2024 } from './kommuner-data';
import { fylkeOf, isKommunenummer, kommuner, padKommunenummer, validateKommunenummer } from './kommunenummer';

describe('validateKommunenummer', () => {
  it('accepts 0301 Oslo in both divisions', () => {
    expect(validateKommunenummer('0301')).toEqual({
      valid: true,
      value: '0301',
      name: 'Oslo',
      validIn: ['2020', '2024'],
      fylke: '03',
    });
  });

  it('accepts 1103 Stavanger and 5001 Trondheim in 2020 and 2024', () => {
    expect(validateKommunenummer('1103')).toMatchObject({ valid: true, name: 'Stavanger', validIn: ['2020', '2024'] });
    expect(validateKommunenummer('5001')).toMatchObject({ valid: true, validIn: ['2020', '2024'], fylke: '50' });
    expect(validateKommunenummer('5001').name).toMatch(/^Trondheim/);
  });

  it('tells codes of one division only apart (the 2024 reform)', () => {
    expect(validateKommunenummer('3001')).toMatchObject({ valid: true, name: 'Halden', validIn: ['2020'] });
    expect(validateKommunenummer('3101')).toMatchObject({ valid: true, name: 'Halden', validIn: ['2024'] });
    expect(validateKommunenummer('1580')).toMatchObject({ valid: true, name: 'Haram', validIn: ['2024'] });
  });

  it('rejects 0000 because 00 is no fylke', () => {
    expect(validateKommunenummer('0000')).toEqual({
      valid: false,
      value: '0000',
      validIn: [],
      reason: 'fylke',
      message: 'Kommunenummer 0000 is not valid: 00 is not a fylke (county) code of the 2020 or 2024 division.',
    });
    // pre-2020 county 02 Akershus no longer exists
    expect(validateKommunenummer('0219')).toMatchObject({ valid: false, reason: 'fylke' });
  });

  it('rejects unknown codes in a valid fylke', () => {
    expect(validateKommunenummer('0302')).toMatchObject({ valid: false, reason: 'unknown', validIn: [] });
  });

  it('rejects 9999 Uoppgitt, Svalbard and Jan Mayen as non-municipalities', () => {
    for (const code of ['9999', '2100', '2211']) {
      expect(validateKommunenummer(code)).toMatchObject({ valid: false, reason: 'not_municipality' });
    }
  });

  it.each(['301', '03011', 'abcd', '', ' ', '03 01'])('rejects the format of %j', (input) => {
    expect(validateKommunenummer(input)).toMatchObject({ valid: false, reason: 'format', validIn: [] });
  });

  it('points to padKommunenummer for three-digit codes instead of padding silently', () => {
    const r = validateKommunenummer('301');
    expect(r.valid ? '' : r.message).toMatch(/padKommunenummer/);
    expect(isKommunenummer('301')).toBe(false);
  });

  it('accepts every 2020-2023 kommunenummer in the Landbruksdirektoratet 2022 sample', () => {
    const csv = readFileSync(
      new URL('../../test/fixtures/identifiers/ldir_pristilskudd_2022_orgnr_sample.csv', import.meta.url),
      'utf8',
    );
    const codes = csv.trim().split('\n').slice(1).map((l) => l.split(';')[0] ?? '');
    expect(codes).toHaveLength(200);
    const notIn2020 = codes.filter((c) => !validateKommunenummer(c).validIn.includes('2020'));
    expect(notIn2020).toEqual([]);
  });
});

describe('the shipped lists', () => {
  it('has 357 municipalities in 2024 and 356 in 2020-2023, 242 shared', () => {
    const k2024 = Object.keys(KOMMUNER_2024);
    const k2020 = Object.keys(KOMMUNER_2020);
    expect(k2024).toHaveLength(357);
    expect(k2020).toHaveLength(356);
    expect(k2024.filter((c) => c in KOMMUNER_2020)).toHaveLength(242);
    expect(kommuner('2024')).toHaveLength(357);
    expect(kommuner('2020')[0]).toEqual({ code: '0301', name: 'Oslo' });
  });

  it('has 15 counties in 2024 and 11 in 2020-2023, and every municipality lies in a county of its division', () => {
    expect(Object.keys(FYLKER_2024)).toHaveLength(15);
    expect(Object.keys(FYLKER_2020)).toHaveLength(11);
    for (const code of Object.keys(KOMMUNER_2024)) expect(FYLKER_2024[code.slice(0, 2)], code).toBeDefined();
    for (const code of Object.keys(KOMMUNER_2020)) expect(FYLKER_2020[code.slice(0, 2)], code).toBeDefined();
  });
});

describe('fylkeOf', () => {
  it('returns the county of a kommunenummer or county code', () => {
    expect(fylkeOf('0301')).toEqual({ code: '03', name: 'Oslo', validIn: ['2020', '2024'] });
    expect(fylkeOf('3001')).toEqual({ code: '30', name: 'Viken', validIn: ['2020'] });
    expect(fylkeOf('32')).toEqual({ code: '32', name: 'Akershus', validIn: ['2024'] });
    expect(fylkeOf('1103')?.name).toBe('Rogaland');
  });

  it.each(['0000', '02', '9999', '301', 'ab', ''])('returns undefined for %j', (input) => {
    expect(fylkeOf(input)).toBeUndefined();
  });
});

describe('padKommunenummer', () => {
  it.each([
    ['301', '0301'],
    [301, '0301'],
    [' 301 ', '0301'],
    ['0301', '0301'],
    ['5001', '5001'],
    [5001, '5001'],
  ] as const)('%j → %s', (input, expected) => {
    expect(padKommunenummer(input)).toBe(expected);
  });

  it.each(['1', '30', '30101', 'abc', '', -301, 3.01])('%j → undefined', (input) => {
    expect(padKommunenummer(input)).toBeUndefined();
  });
});
