// Unit tests of the Data Package mapping, the CSV cell writer, the profile validator and the import's path rules.
import { describe, expect, it } from 'vitest';
import { fieldType, tableSchemaOf } from './model';
import { readOptionsOf, unsafeEntryName } from './import';
import { csvCell, csvLine } from './service';
import { validateDataPackage, validateProfile } from './validate';

describe('fieldType', () => {
  it('maps the DuckDB types the engine writes to Table Schema types', () => {
    expect(fieldType('VARCHAR')).toEqual({ type: 'string' });
    expect(fieldType('BIGINT')).toEqual({ type: 'integer' });
    expect(fieldType('HUGEINT')).toEqual({ type: 'integer' });
    expect(fieldType('DOUBLE')).toEqual({ type: 'number' });
    expect(fieldType('DECIMAL(18,3)')).toEqual({ type: 'number' });
    expect(fieldType('DATE')).toEqual({ type: 'date' });
    expect(fieldType('TIMESTAMP')).toEqual({ type: 'datetime', format: 'default' });
    expect(fieldType('TIMESTAMP WITH TIME ZONE')).toEqual({ type: 'datetime', format: 'default' });
    expect(fieldType('BOOLEAN')).toEqual({ type: 'boolean' });
    expect(fieldType('STRUCT(a INTEGER)')).toEqual({ type: 'any' });
  });
});

describe('tableSchemaOf', () => {
  it('notes kept-as-text reasons, semantic types, required columns and missing markers — never values', () => {
    const schema = tableSchemaOf([
      { name: 'komnr', type: 'VARCHAR', nullable: false, keptAsText: 'leading_zeros', semanticType: 'kommunenummer' },
      { name: 'antall', type: 'BIGINT', nullable: true, missingMarkers: { '.': 3, ':': 1 } },
    ]);
    expect(schema.fields[0]).toMatchObject({ name: 'komnr', type: 'string', constraints: { required: true }, 'x-semanticType': 'kommunenummer' });
    expect(schema.fields[0]?.description).toMatch(/^Kept as text: the values have leading zeros/);
    expect(schema.fields[1]).toEqual({ name: 'antall', type: 'integer' });
    expect(schema.missingValues).toEqual(['', '.', ':']);
    expect(validateProfile('tableschema', schema)).toEqual([]);
  });
});

describe('csvCell', () => {
  it('quotes per RFC 4180 and defuses formulas in text cells only', () => {
    expect(csvCell('plain', true)).toBe('plain');
    expect(csvCell('a,b', true)).toBe('"a,b"');
    expect(csvCell('si "hei"', true)).toBe('"si ""hei"""');
    expect(csvCell('to\nlinjer', true)).toBe('"to\nlinjer"');
    expect(csvCell('=1+1', true)).toBe("'=1+1");
    expect(csvCell('+47', true)).toBe("'+47");
    expect(csvCell('-', true)).toBe("'-");
    expect(csvCell('@x', true)).toBe("'@x");
    expect(csvCell('\tx', true)).toBe("'\tx");
    expect(csvCell('=a,b', true)).toBe(`"'=a,b"`);
    expect(csvCell(-5, false)).toBe('-5');
    expect(csvCell('-5', false)).toBe('-5');
    expect(csvCell(null, true)).toBe('');
    expect(csvCell(true, false)).toBe('true');
    expect(csvLine(['a', 'b'])).toBe('a,b\r\n');
  });
});

describe('validateDataPackage', () => {
  it('reports problems of the package, its resources and their schemas by JSON pointer', () => {
    expect(validateDataPackage({ resources: [] })).toEqual([expect.objectContaining({ field: '/resources' })]);
    const problems = validateDataPackage({ resources: [{ name: 'x', path: 'x.csv', schema: { fields: [{ name: 'a', type: 'nonsense' }] } }] });
    expect(problems.some((p) => p.field.startsWith('/resources/0/schema/fields/0'))).toBe(true);
    expect(validateDataPackage({ resources: [{ name: 'x', path: 'x.csv', schema: { fields: [{ name: 'a', type: 'integer' }] } }] })).toEqual([]);
  });

  it('accepts a v1 tabular data package (the import takes both)', () => {
    const v1 = {
      profile: 'tabular-data-package',
      name: 'kommuner',
      licenses: [{ name: 'NLOD-2.0', path: 'https://data.norge.no/nlod/no/2.0' }],
      resources: [
        {
          profile: 'tabular-data-resource',
          name: 'kommuner',
          path: 'data/kommuner.csv',
          encoding: 'ISO-8859-1',
          dialect: { csvddfVersion: 1.2, delimiter: ';', header: true },
          schema: { fields: [{ name: 'code', type: 'string', constraints: { required: true } }, { name: 'name', type: 'string' }], primaryKey: ['code'], missingValues: ['', '.'] },
        },
      ],
    };
    expect(validateDataPackage(v1)).toEqual([]);
  });
});

describe('import rules', () => {
  it('refuses entry names that leave the package', () => {
    for (const bad of ['../x.csv', 'a/../../x.csv', '/etc/passwd', 'C:/x.csv', 'a\\..\\x.csv', 'x\0.csv']) expect(unsafeEntryName(bad), bad).toBe(true);
    for (const ok of ['x.csv', 'data/x.csv', 'a..b.csv']) expect(unsafeEntryName(ok), ok).toBe(false);
  });

  it('maps a dialect and encoding to read options', () => {
    expect(readOptionsOf({ encoding: 'UTF8', dialect: { delimiter: ';', quoteChar: "'", header: false, commentChar: '#', doubleQuote: false, escapeChar: '\\' } })).toEqual({
      encoding: 'utf-8',
      delimiter: ';',
      quote: "'",
      header: false,
      commentPrefix: '#',
      escape: '\\',
    });
    expect(readOptionsOf({})).toEqual({});
    expect(readOptionsOf({ schema: { fields: [{ name: 'postnr', type: 'string' }, { name: 'antall', type: 'integer' }, { name: 'dag', type: 'datetime' }, { name: 'år', type: 'year' }] } })).toEqual({
      columnTypes: { postnr: 'text', antall: 'integer', dag: 'timestamp' },
    });
  });
});
