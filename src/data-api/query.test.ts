// Unit tests of the rows query language: lists with escapes, values typed by column, cursors, and the rule that every
// value reaches SQL as a bound parameter and every restriction is in the WHERE clause.
import { describe, expect, it } from 'vitest';
import { buildAggregateSql, buildCountSql, buildExportSql, buildPageSql, checkValue, decodeCursor, encodeCursor, parseRowsQuery, queryColumns, splitList } from './query';

const cols = queryColumns([
  { name: 'n', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }, { name: 'd', type: 'DATE' }, { name: 't', type: 'TIMESTAMP' },
  { name: 'b', type: 'BOOLEAN' }, { name: 's', type: 'VARCHAR' }, { name: 'we"ird', type: 'VARCHAR' }, { name: 'a__b', type: 'VARCHAR' },
]);
const col = (name: string) => cols.find((c) => c.name === name) as (typeof cols)[number];

describe('splitList', () => {
  it('splits on commas; "\\," is a comma and "\\\\" a backslash inside a value', () => {
    expect(splitList('a,b', 'f')).toEqual(['a', 'b']);
    expect(splitList('a\\,b,c', 'f')).toEqual(['a,b', 'c']);
    expect(splitList('a\\\\,b', 'f')).toEqual(['a\\', 'b']);
    expect(splitList('', 'f')).toEqual(['']);
    expect(() => splitList('a\\b', 'f')).toThrow(/backslash/);
    expect(() => splitList('a\\', 'f')).toThrow(/backslash/);
  });
});

describe('checkValue', () => {
  it('reads values as the column type, or names column and value', () => {
    expect(checkValue(col('n'), ' 42 ', 'n')).toBe('42');
    expect(checkValue(col('n'), '-9223372036854775808', 'n')).toBe('-9223372036854775808');
    expect(() => checkValue(col('n'), '9223372036854775808', 'n')).toThrow(/"9223372036854775808".*"n"/);
    expect(() => checkValue(col('n'), '1.5', 'n')).toThrow(/whole number/);
    expect(checkValue(col('x'), '1e3', 'x')).toBe('1000');
    expect(() => checkValue(col('x'), '1,5', 'x')).toThrow(/"1,5"/);
    expect(() => checkValue(col('x'), 'Infinity', 'x')).toThrow();
    expect(checkValue(col('d'), '2024-02-29', 'd')).toBe('2024-02-29');
    expect(() => checkValue(col('d'), '2023-02-29', 'd')).toThrow(/date/);
    expect(checkValue(col('t'), '2024-01-02T03:04:05.123', 't')).toBe('2024-01-02 03:04:05.123');
    expect(() => checkValue(col('t'), '2024-01-02T25:00', 't')).toThrow();
    expect(checkValue(col('b'), 'TRUE', 'b')).toBe('true');
    expect(checkValue(col('b'), '0', 'b')).toBe('false');
    expect(() => checkValue(col('b'), 'ja', 'b')).toThrow(/true or false/);
    expect(checkValue(col('s'), ' as is ', 's')).toBe(' as is ');
  });
});

describe('parseRowsQuery', () => {
  it('tells a column named with "__" from an operator', () => {
    expect(parseRowsQuery({ a__b: 'x' }, cols, 'v').spec.filters[0]).toMatchObject({ op: 'eq', column: { name: 'a__b' } });
    expect(parseRowsQuery({ a__b__ne: 'x' }, cols, 'v').spec.filters[0]).toMatchObject({ op: 'ne', column: { name: 'a__b' } });
    expect(() => parseRowsQuery({ s__regex: 'x' }, cols, 'v')).toThrow(/__regex/);
  });

  it('cursors round-trip and only continue their own query and version', () => {
    const spec = parseRowsQuery({ _sort: '-n' }, cols, 'v1').spec;
    const c = encodeCursor({ versionId: 'v1', query: 'q', keys: ['5', null], row: 9 });
    expect(decodeCursor(c)).toEqual({ versionId: 'v1', query: 'q', keys: ['5', null], row: 9 });
    expect(() => parseRowsQuery({ _sort: '-n', _cursor: c }, cols, 'v1')).toThrow(/_cursor/);
    for (const bad of ['', 'x'.repeat(5000), Buffer.from('[1,2,3,4]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["v1","q",[],-1]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(/_cursor/);
    }
    void spec;
  });
});

describe('SQL', () => {
  const hostile = "x' OR 1=1; --";
  it('binds every value and quotes every identifier', () => {
    const { spec } = parseRowsQuery({ s: hostile, 'we"ird__contains': hostile, n__in: '1,2', _sort: 'we"ird' }, cols, 'v');
    const page = buildPageSql('/tmp/f.parquet', cols, spec, 'all');
    expect(page.sql).not.toContain(hostile);
    expect(page.sql).toContain('"we""ird"');
    expect(page.values).toEqual([hostile, hostile, ['1', '2']]);
  });

  it('ANDs the restriction into pages, counts, aggregates and exports; a missing column matches nothing', () => {
    const { spec } = parseRowsQuery({ _group: 's' }, cols, 'v');
    const scope = { column: 's', values: [hostile], consentIds: ['c'] };
    for (const b of [buildPageSql('/f', cols, spec, scope), buildCountSql('/f', cols, spec, scope), buildAggregateSql('/f', cols, spec, scope), buildExportSql('/f', cols, scope)]) {
      expect(b.sql).toContain('list_contains($1, CAST("s" AS VARCHAR))');
      expect(b.values[0]).toEqual([hostile]);
      expect(b.sql).not.toContain(hostile);
    }
    expect(buildCountSql('/f', cols, { filters: [] }, { column: 'nope', values: ['1'], consentIds: [] }).sql).toContain('WHERE (FALSE)');
  });
});
