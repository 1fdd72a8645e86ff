import { describe, expect, it } from 'vitest';
import { datastoreType, idPrefixOfName, packageName, slugify } from './model';

describe('CKAN names', () => {
  it('slugs titles to lowercase a–z, 0–9 and "-", with æøå spelt out', () => {
    expect(slugify('Vannkvalitet i Ålesund og Møre')).toBe('vannkvalitet-i-alesund-og-more');
    expect(slugify('Særskilte tiltak – Økonomi (2024)')).toBe('saerskilte-tiltak-okonomi-2024');
    expect(slugify('Café Noël')).toBe('cafe-noel');
    expect(slugify('  ---  ')).toBe('');
    expect(slugify('x'.repeat(200))).toHaveLength(80);
    expect(slugify(`${'a'.repeat(79)} b`)).toBe('a'.repeat(79));
  });

  it('makes a stable, unique, URL-safe name ending in the id prefix, found again by it', () => {
    const id = '9CFD36BA-0196-4cec-898f-0c315f4735be';
    const name = packageName({ id, title: { nb: 'Befolkning per kommune' } });
    expect(name).toBe('befolkning-per-kommune-9cfd36ba');
    expect(packageName({ id, title: { nb: 'Befolkning per kommune' } })).toBe(name);
    expect(packageName({ id: 'aaaaaaaa-0000-0000-0000-000000000000', title: { nb: 'Befolkning per kommune' } })).not.toBe(name);
    expect(packageName({ id, title: { en: '!!!' } })).toBe('datasett-9cfd36ba');
    expect(idPrefixOfName(name)).toBe('9cfd36ba');
    expect(idPrefixOfName('no-id-here')).toBeUndefined();
    expect(name).toMatch(/^[a-z0-9-]{2,100}$/);
  });
});

describe('DataStore types', () => {
  it('maps DuckDB types to CKAN’s type names', () => {
    expect(['VARCHAR', 'BIGINT', 'INTEGER', 'DOUBLE', 'DECIMAL(18,3)', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'BOOLEAN', 'TIME'].map(datastoreType)).toEqual([
      'text',
      'int',
      'int',
      'numeric',
      'numeric',
      'date',
      'timestamp',
      'timestamp',
      'bool',
      'time',
    ]);
  });
});
