// The column profiler (./profile.ts) on real fixtures (test/fixtures/tables) and generated files, and the semantic
// type detectors (./semantic.ts): valid shares drop with invalid check digits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbEngine, type DuckDbTableEngine } from './duckdb';
import type { ColumnProfile, TableProfile } from './index';
import { guessSemanticType, SEMANTIC_VALIDATORS, validShare } from './semantic';
import { semanticKindOfName } from './profile';

const FIXTURES = join(__dirname, '../../../test/fixtures/tables');
let work: string;
let engine: DuckDbTableEngine;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'profile-test-'));
  engine = await createDuckDbEngine({ memoryLimit: '256MiB', threads: 2, tempDir: join(work, 'duck') });
});
afterAll(async () => {
  await engine?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function profileOf(file: string, name = 'x'): Promise<TableProfile> {
  const out = join(work, `${name}.parquet`);
  await engine.csvToParquet(file, out);
  return engine.profileParquet(out);
}
async function profileText(text: string, name: string): Promise<TableProfile> {
  const csv = join(work, `${name}.csv`);
  await writeFile(csv, text);
  return profileOf(csv, name);
}
const col = (p: TableProfile, name: string): ColumnProfile => {
  const c = p.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
};

describe('profile of real files', () => {
  it('ldir farm subsidies: komnr stays text and is kommunenummer, orgnr is confirmed, amounts get a histogram', async () => {
    const p = await profileOf(join(FIXTURES, 'ldir_pristilskudd_jordbruksforetak_2022.csv'), 'ldir');
    expect(p.rowCount).toBe(24_899);
    const komnr = col(p, 'komnr');
    expect(komnr.type).toBe('VARCHAR');
    expect(komnr.min).toBe('0301');
    expect(komnr.topValues).toHaveLength(10);
    expect(komnr.topValues[0]!.count).toBeGreaterThanOrEqual(komnr.topValues[9]!.count);
    expect(komnr.semantic).toMatchObject({ type: 'kommunenummer', basis: 'name', confirmed: true, sample: 'all_distinct' });
    expect(komnr.distinctApproximate).toBe(false);
    const orgnr = col(p, 'orgnr');
    expect(orgnr.semantic?.type).toBe('orgnr');
    expect(orgnr.semantic!.validShare).toBeGreaterThan(0.99);
    const total = p.columns[p.columns.length - 1]!;
    expect(total.histogram?.kind).toBe('numeric');
    expect(total.histogram!.bins).toHaveLength(20);
    expect(total.histogram!.bins.reduce((s, b) => s + b.count, 0)).toBe(p.rowCount - total.nullCount);
    expect(typeof total.mean).toBe('number');
    expect(total.min).toBeLessThanOrEqual(total.mean!);
  });

  it('kmd party grants: decimal comma numbers profile as numbers ("1 316 303,34" is the max of a sum column)', async () => {
    const p = await profileOf(join(FIXTURES, 'kmd_partistotte_2014.original.csv'), 'kmd');
    const stemmestonad = col(p, 'stemmestonad');
    expect(stemmestonad.type).toBe('DOUBLE');
    expect(typeof stemmestonad.max).toBe('number');
    expect(stemmestonad.histogram!.bins.length).toBe(20);
    expect(col(p, 'totalt').max).toBeGreaterThanOrEqual(1_363_942.34);
    expect(col(p, 'relativdel').mean).not.toBeNull();
    expect(col(p, 'partitype').topValues.map((t) => t.value)).toContain('Fylkesparti');
    // fylkesnr 1–20 without leading zeros: whole numbers with a small range get one bin per value.
    const fylke = col(p, 'fylkesnr');
    if (fylke.type === 'BIGINT') expect(fylke.histogram!.bins.every((b) => Number(b.to) - Number(b.from) === 1)).toBe(true);
  });

  it('SSB kommuner 2024: a four-digit "code" gets no kind without its name, empty columns have only nulls', async () => {
    const p = await profileOf(join(FIXTURES, 'ssb_klass131_kommuner_2024_latin1.csv'), 'ssb');
    const code = col(p, 'code');
    expect(code.type).toBe('VARCHAR');
    // Four-digit numbers are postnummer and kommunenummer at once: only a column name decides.
    expect(code.semantic).toBeNull();
    expect(code.topValues).toEqual([]); // every value distinct
    expect(code.distinctCount).toBe(p.rowCount);
    const validTo = col(p, 'validTo');
    expect(validTo.nullCount).toBe(p.rowCount);
    expect(validTo.min).toBeNull();
  });
});

describe('generated columns', () => {
  it('dates get a monthly timeline (empty months included), a long span a yearly one', async () => {
    const lines = ['dato;fodt'];
    for (let i = 0; i < 50; i++) lines.push(`2024-0${1 + (i % 3) * 2}-1${i % 10};${1900 + i * 2}-06-01`);
    const p = await profileText(lines.join('\n'), 'dates');
    const dato = col(p, 'dato');
    expect(dato.type).toBe('DATE');
    expect(dato.histogram?.kind).toBe('month');
    expect(dato.histogram!.bins.map((b) => b.from)).toEqual(['2024-01', '2024-02', '2024-03', '2024-04', '2024-05']);
    expect(dato.histogram!.bins[1]!.count).toBe(0);
    expect(dato.semantic).toMatchObject({ type: 'date', basis: 'type' });
    const fodt = col(p, 'fodt');
    expect(fodt.histogram?.kind).toBe('year');
    expect(fodt.histogram!.bins).toHaveLength(99);
  });

  it('e-mail, phone, coordinates and UTM by name and values; a wrong check digit lowers the share', async () => {
    const lines = ['epost;telefon;lat;lon;ost;nord;fnr'];
    const fnr = ['13097248022', '29020073150', '41819077906', '53097248016', '13097248023'];
    for (let i = 0; i < 10; i++) {
      lines.push(`person${i}@example.no;+47 9${i}0 12 345;${(59.9 + i / 100).toFixed(4)};${(10.7 + i / 100).toFixed(4)};${262000 + i};${6650000 + i};${fnr[i % 5]}`);
    }
    const p = await profileText(lines.join('\n'), 'contact');
    expect(col(p, 'epost').semantic).toMatchObject({ type: 'email', validShare: 1 });
    expect(col(p, 'telefon').semantic).toMatchObject({ type: 'phone', validShare: 1 });
    expect(col(p, 'lat').semantic).toMatchObject({ type: 'latitude', validShare: 1, inNorway: 1 });
    expect(col(p, 'lon').semantic).toMatchObject({ type: 'longitude', validShare: 1, inNorway: 1 });
    expect(col(p, 'ost').semantic).toMatchObject({ type: 'utm_easting', validShare: 1 });
    expect(col(p, 'nord').semantic).toMatchObject({ type: 'utm_northing', validShare: 1 });
    const f = col(p, 'fnr').semantic!;
    expect(f.type).toBe('fodselsnummer');
    expect(f.validShare).toBeCloseTo(4 / 5);
    expect(f.confirmed).toBe(false);
  });

  it('a large table counts distinct values approximately from 1,000,000 rows (threshold in profile.ts)', async () => {
    // Not generated here (slow); the rule is a constant the profile reports per column.
    const p = await profileText('a\n1\n2\n2\n', 'small');
    expect(col(p, 'a').distinctApproximate).toBe(false);
    expect(col(p, 'a').distinctCount).toBe(2);
    expect(col(p, 'a').topValues[0]).toEqual({ value: 2, count: 2 });
  });

  it('a column of nearly all distinct values gets no top values and a sampled semantic check', async () => {
    const lines = ['id;epost;gruppe'];
    for (let i = 0; i < 12_000; i++) lines.push(`${i};person${i}@example.no;${i % 7}`);
    const p = await profileText(lines.join('\n'), 'wide');
    expect(col(p, 'epost').topValues).toEqual([]);
    expect(col(p, 'epost').semantic).toMatchObject({ type: 'email', validShare: 1, sample: 'row_sample', checked: 1000 });
    expect(col(p, 'gruppe').topValues).toHaveLength(7);
    expect(col(p, 'gruppe').histogram!.bins).toHaveLength(7);
  });

  it('refuses a file that is not Parquet without quoting it', async () => {
    const bad = join(work, 'bad.parquet');
    await writeFile(bad, 'secret-value-123');
    await expect(engine.profileParquet(bad)).rejects.toMatchObject({ code: 'invalid_parquet' });
    await expect(engine.profileParquet(bad)).rejects.not.toThrow(/secret/);
  });
});

describe('semantic type detectors', () => {
  const cases: [keyof typeof SEMANTIC_VALIDATORS, string[], string[]][] = [
    ['orgnr', ['991825827', '974760673'], ['991825828', '12345678', 'abc']],
    ['fodselsnummer', ['13097248022', '41819077906', '53097248016'], ['13097248023', '12345678901', '1234567890']],
    ['kommunenummer', ['0301', '4601', '1101', '5001'], ['9999', '0000', '301']],
    ['fylkesnummer', ['03', '46', '50'], ['99', '3']],
    ['postnummer', ['0001', '0150', '9990'], ['0000', '12345']],
    ['kontonummer', ['86011117947', '8601 11 17947'], ['86011117948', '1234']],
    ['email', ['a@b.no', 'ola.nordmann@example.com'], ['a@b', 'a b@c.no', '@c.no', 'a@.no']],
    ['phone', ['+47 22 33 44 55', '91234567', '0047 912 34 567'], ['1234567', '12345678', '+46 91234567']],
    ['date', ['2024-02-29', '31.12.2023'], ['2023-02-29', '32.01.2024', '2024-13-01']],
    ['latitude', ['59.91', '-45', '90'], ['91', 'x']],
    ['longitude', ['10,75', '-180'], ['181']],
    ['utm_easting', ['262000', '-50000'], ['2000000']],
    ['utm_northing', ['6650000', '8700000'], ['100000']],
  ];
  for (const [kind, good, bad] of cases) {
    it(`${kind}: valid values pass, invalid ones do not, and the share counts them`, () => {
      for (const v of good) expect(SEMANTIC_VALIDATORS[kind](v), v).toBe(true);
      for (const v of bad) expect(SEMANTIC_VALIDATORS[kind](v), v).toBe(false);
      expect(validShare(kind, [...good, ...bad]).share).toBeCloseTo(good.length / (good.length + bad.length));
    });
  }

  it('value-only detection: fødselsnummer wins over kontonummer, a four-digit code needs its name', () => {
    expect(guessSemanticType(undefined, ['13097248022', '29020073150'])?.type).toBe('fodselsnummer');
    expect(guessSemanticType(undefined, ['0301', '4601'])).toBeUndefined();
    expect(guessSemanticType('kommunenummer', ['0301', '4601'])).toMatchObject({ confirmed: true, validShare: 1 });
    expect(guessSemanticType('orgnr', ['991825828', '991825827'])).toMatchObject({ confirmed: false, validShare: 0.5 });
    expect(guessSemanticType(undefined, [])).toBeUndefined();
  });

  it('names: identifier names from the engine, contact and coordinate names here', () => {
    expect(semanticKindOfName('komnr')).toBe('kommunenummer');
    expect(semanticKindOfName('E-post')).toBe('email');
    expect(semanticKindOfName('Breddegrad')).toBe('latitude');
    expect(semanticKindOfName('UTM_ost')).toBe('utm_easting');
    expect(semanticKindOfName('navn')).toBeUndefined();
  });
});
