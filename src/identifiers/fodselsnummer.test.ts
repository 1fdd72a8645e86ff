import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FNR_K1_WEIGHTS,
  FNR_K2_WEIGHTS,
  centuryFromIndividnummer,
  isFodselsnummer,
  validateFodselsnummer,
} from './fodselsnummer';
import { mod11CheckDigit, weightedSum } from './mod11';

const TODAY = new Date('2026-11-26T12:00:00Z');
const validate = (s: string, today = TODAY) => validateFodselsnummer(s, { today });

/**
 * Builds an 11-digit number from DDMMYY and a 3-digit individnummer whose K1 remainder is `remainder`
 * (0 = 1964 rule, 1-3 = 2032 rule), trying successive individnummer from `from` until both check digits exist.
 */
function build(ddmmyy: string, from: number, remainder = 0): string {
  for (let i = from; i < from + 50; i++) {
    const nine = ddmmyy + String(i % 1000).padStart(3, '0');
    const sum1 = weightedSum(nine, FNR_K1_WEIGHTS);
    const k1 = [...Array(10).keys()].find((k) => (sum1 + k) % 11 === remainder);
    if (k1 === undefined) continue;
    const k2 = mod11CheckDigit(nine + k1, FNR_K2_WEIGHTS);
    if (k2 === undefined) continue;
    return `${nine}${k1}${k2}`;
  }
  throw new Error(`no number for ${ddmmyy}/${from}`);
}

describe("Skatteetaten's official test cases", () => {
  const csv = readFileSync(
    new URL('../../test/fixtures/identifiers/skatteetaten_foedselsnummer_testcases.csv', import.meta.url),
    'utf8',
  );
  const rows = csv
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [id = '', erSyntetisk, erGyldig, beskrivelse = ''] = line.split(',');
      return { id, synthetic: erSyntetisk === 'true', valid: erGyldig === 'true', beskrivelse };
    });

  it('has the ten rows', () => {
    expect(rows).toHaveLength(10);
  });

  it.each(rows.map((r) => [r.id, r.beskrivelse, r] as const))('%s (%s) has its stated validity', (_id, _b, row) => {
    const result = validate(row.id);
    expect(result.valid, result.valid ? '' : result.message).toBe(row.valid);
    expect(result.synthetic).toBe(row.synthetic);
    expect(result.dNumber).toBe(/D-nummer/.test(row.beskrivelse));
    if (result.valid) expect(result.rule).toBe(/2032/.test(row.beskrivelse) ? '2032' : '1964');
  });

  it('explains why the invalid ones fail', () => {
    expect(validate('20036914712')).toMatchObject({
      valid: false,
      reason: 'check_digit',
      expectedCheckDigit: 9,
      message: 'This fødselsnummer has an invalid second check digit: the last digit should be 9, not 2.',
    });
    expect(validate('29020105729')).toMatchObject({
      valid: false,
      reason: 'date',
      message: 'This fødselsnummer has no valid birth date: 29.02 does not exist in 1901 or 2001.',
    });
  });

  it('derives birth dates, including the leap day of 2000', () => {
    expect(validate('20036914700')).toMatchObject({ birthDate: '1969-03-20', centuryAmbiguous: false, kind: 'fnr' });
    expect(validate('29020073150')).toMatchObject({ birthDate: '2000-02-29', centuryAmbiguous: false });
    expect(validate('03851598730')).toMatchObject({ birthDate: '2015-05-03', synthetic: true, kind: 'fnr' });
    expect(validate('41819077906')).toMatchObject({
      kind: 'dnr',
      dNumber: true,
      synthetic: true,
      rule: '2032',
      birthDate: '1990-01-01',
      centuryAmbiguous: true,
    });
  });
});

describe('navikt/fnrvalidator published test ids', () => {
  it.each([
    ['13097248022', { kind: 'fnr', dNumber: false, hNumber: false, synthetic: false, birthDate: '1972-09-13' }],
    ['53097248016', { kind: 'dnr', dNumber: true, hNumber: false, synthetic: false, birthDate: '1972-09-13' }],
    ['13527248013', { kind: 'hnr', dNumber: false, hNumber: true, synthetic: false, birthDate: '1972-12-13' }],
    ['10915596784', { kind: 'fnr', dNumber: false, hNumber: false, synthetic: true, birthDate: '1955-11-10' }],
    ['68467038838', { kind: 'dnr', dNumber: true, hNumber: true, synthetic: false, birthDate: '1970-06-28' }],
  ])('%s', (id, expected) => {
    expect(validate(id)).toMatchObject({ valid: true, value: id, rule: '1964', ...expected });
    expect(isFodselsnummer(id)).toBe(true);
  });
});

describe('check digits', () => {
  it('names the valid first check digits under both rules', () => {
    const r = validate('12345678901');
    expect(r).toMatchObject({ valid: false, reason: 'check_digit' });
    expect(r.valid ? '' : r.message).toBe(
      'This fødselsnummer has an invalid first check digit (digit 10): it should be 1 under the 1964 rule, ' +
        'or 2, 3 or 4 under the 2032 rule, not 0.',
    );
  });

  it('accepts K1 remainders 0-3 and nothing else', () => {
    for (const remainder of [0, 1, 2, 3]) {
      const id = build('150385', 100, remainder);
      expect(validate(id)).toMatchObject({ valid: true, rule: remainder === 0 ? '1964' : '2032' });
    }
    for (const remainder of [4, 5, 7, 10]) {
      const id = build('150385', 100, remainder);
      expect(validate(id)).toMatchObject({ valid: false, reason: 'check_digit' });
    }
  });

  it('catches every single-digit change of a valid number in the last digit', () => {
    const id = '13097248022';
    for (let d = 0; d <= 9; d++) {
      if (d === 2) continue;
      expect(isFodselsnummer(id.slice(0, 10) + d)).toBe(false);
    }
  });
});

describe('dates and centuries', () => {
  it('reads the century from the individnummer ranges for 1964-rule numbers', () => {
    expect(centuryFromIndividnummer(0, 99)).toBe(1900);
    expect(centuryFromIndividnummer(499, 5)).toBe(1900);
    expect(centuryFromIndividnummer(500, 54)).toBe(1800);
    expect(centuryFromIndividnummer(749, 99)).toBe(1800);
    expect(centuryFromIndividnummer(500, 39)).toBe(2000);
    expect(centuryFromIndividnummer(999, 0)).toBe(2000);
    expect(centuryFromIndividnummer(900, 40)).toBe(1900);
    expect(centuryFromIndividnummer(600, 45)).toBeUndefined();
    expect(centuryFromIndividnummer(800, 60)).toBeUndefined();
  });

  it('gives birth dates in each range', () => {
    expect(validate(build('010160', 600))).toMatchObject({ valid: true, birthDate: '1860-01-01', centuryAmbiguous: false });
    expect(validate(build('010110', 600))).toMatchObject({ valid: true, birthDate: '2010-01-01', centuryAmbiguous: false });
    expect(validate(build('010150', 950))).toMatchObject({ valid: true, birthDate: '1950-01-01', centuryAmbiguous: false });
    expect(validate(build('010150', 100))).toMatchObject({ valid: true, birthDate: '1950-01-01', centuryAmbiguous: false });
  });

  it('falls back to the latest past century when the ranges give none', () => {
    expect(validate(build('010145', 600))).toMatchObject({ valid: true, birthDate: '1945-01-01', centuryAmbiguous: true });
  });

  it('chooses the century of 2032-rule numbers relative to today', () => {
    expect(validate('55102499947')).toMatchObject({ valid: true, birthDate: '2024-10-15', centuryAmbiguous: true });
    expect(validate('55102499947', new Date('2020-01-01'))).toMatchObject({ birthDate: '1924-10-15' });
    expect(validate('30108299939')).toMatchObject({ birthDate: '1982-10-30', rule: '2032' });
  });

  it('knows leap days', () => {
    expect(isFodselsnummer(build('290204', 100))).toBe(true); // individnummer 1xx → 1904, a leap year
    expect(validate(build('290204', 100))).toMatchObject({ birthDate: '1904-02-29' });
    expect(validate(build('290203', 100))).toMatchObject({ valid: false, reason: 'date' });
    expect(validate(build('300288', 100))).toMatchObject({ valid: false, reason: 'date' });
    expect(validate(build('310488', 100))).toMatchObject({ valid: false, reason: 'date' });
    expect(validate(build('310588', 100))).toMatchObject({ valid: true, birthDate: '1988-05-31' });
    // 29.02.00 with a 1900s individnummer: 1900 was no leap year, but a number issued after 2031 may mean 2000.
    expect(validate(build('290200', 100))).toMatchObject({ valid: true, birthDate: '2000-02-29', centuryAmbiguous: true });
  });

  it.each([
    ['day 00', '000188'],
    ['day 32', '320188'],
    ['D-nummer day 72 (32)', '720188'],
    ['month 00', '010088'],
    ['month 13', '011388'],
    ['month 61 (neither H nor Tenor)', '016188'],
    ['month 93', '019388'],
  ])('rejects %s', (_label, ddmmyy) => {
    const r = validate(build(ddmmyy, 100));
    expect(r).toMatchObject({ valid: false, reason: 'date' });
  });

  it('accepts the offsets: D-nummer day 71, H-nummer month 52, Tenor month 92', () => {
    expect(validate(build('715288', 100))).toMatchObject({ valid: true, kind: 'dnr', hNumber: true, birthDate: '1988-12-31' });
    expect(validate(build('319288', 100))).toMatchObject({ valid: true, kind: 'fnr', synthetic: true, birthDate: '1988-12-31' });
  });

  it('treats first digit 8 or 9 as an FH-nummer without date', () => {
    const id = build('999999', 999);
    expect(validate(id)).toMatchObject({ valid: true, kind: 'fhnr', dNumber: false, hNumber: false, synthetic: false });
    expect(validate(id).birthDate).toBeUndefined();
  });

  it('accepts FH-numbers only under the 1964 rule', () => {
    expect(validate(build('812345', 100, 0))).toMatchObject({ valid: true, kind: 'fhnr', rule: '1964' });
    const r = validate(build('812345', 100, 2));
    expect(r).toMatchObject({ valid: false, reason: 'check_digit', kind: 'fhnr' });
    expect(r.valid ? '' : r.message).toMatch(/FH-numbers follow the 1964 rule/);
  });
});

describe('format', () => {
  it('tolerates spaces', () => {
    expect(validate('130972 48022')).toMatchObject({ valid: true, value: '13097248022' });
  });

  it.each(['', '1309724802', '130972480222', '130972-48022', 'abcdefghijk'])('rejects %j', (input) => {
    const r = validate(input);
    expect(r).toMatchObject({ valid: false, reason: 'format' });
    expect(r.valid ? '' : r.message).toMatch(/exactly 11 digits/);
  });

  it('never quotes the number in a message', () => {
    for (const id of ['13097248023', '12345678901', '29020105729', '1309724802']) {
      const r = validate(id);
      expect(r.valid).toBe(false);
      expect(r.valid ? '' : r.message).not.toContain(id);
    }
  });

  it('gives a clear error for non-string input', () => {
    expect(validateFodselsnummer(13097248022 as unknown as string)).toMatchObject({ valid: false, reason: 'format' });
  });
});
