// readRows/countRows with a RowFilter (a consent-restricted read): only rows whose column, as text, is one of the
// values; paging and the count over those rows only; values bound as parameters (hostile text matches nothing and
// runs nothing); the column checked against the file and quoted as an identifier.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbEngine, type DuckDbTableEngine } from './duckdb';
import { EngineError } from './index';

let work: string;
let engine: DuckDbTableEngine;
let parquet: string;
let weird: string;
let withRowNumber: string;

const A = '981544315';
const B = '971526920';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'row-filter-'));
  engine = await createDuckDbEngine({ memoryLimit: '256MiB', threads: 2, tempDir: join(work, 'tmp') });
  const lines = ['orgnr;navn;belop'];
  for (let i = 0; i < 3000; i++) lines.push(`${i % 10 === 0 ? A : i % 10 === 1 ? B : String(900000000 + i)};Gard ${i};${i}`);
  await writeFile(join(work, 'a.csv'), `${lines.join('\n')}\n`);
  parquet = join(work, 'a.parquet');
  const r = await engine.csvToParquet(join(work, 'a.csv'), parquet, { delimiter: ';', header: true });
  expect(r.rowCount).toBe(3000);
  // A column name that needs quoting, and a table with its own file_row_number column.
  await writeFile(join(work, 'b.csv'), `"org ""nr"";file_row_number\n${A};1\n${B};2\n${A};3\n`);
  weird = join(work, 'b.parquet');
  await engine.csvToParquet(join(work, 'b.csv'), weird, { delimiter: ';', header: true });
  withRowNumber = weird;
}, 60_000);

afterAll(async () => {
  await engine?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('RowFilter', () => {
  it('returns only matching rows, in file order, and counts only them', async () => {
    const where = { column: 'orgnr', values: [A] };
    expect(await engine.countRows(parquet, where)).toBe(300);
    expect(await engine.countRows(parquet)).toBe(3000);
    const rows = await engine.readRows(parquet, { offset: 0, limit: 1000, where });
    expect(rows).toHaveLength(300);
    expect(rows.every((r) => String(r.orgnr) === A)).toBe(true);
    expect(rows.map((r) => r.navn)).toEqual(Array.from({ length: 300 }, (_, k) => `Gard ${k * 10}`));
  });

  it('pages over the matching rows: offset counts matching rows, not file positions', async () => {
    const where = { column: 'orgnr', values: [A, B] };
    expect(await engine.countRows(parquet, where)).toBe(600);
    const all = await engine.readRows(parquet, { offset: 0, limit: 600, where });
    const a = await engine.readRows(parquet, { offset: 0, limit: 250, where });
    const b = await engine.readRows(parquet, { offset: 250, limit: 250, where });
    const c = await engine.readRows(parquet, { offset: 500, limit: 250, where });
    expect([...a, ...b, ...c]).toEqual(all);
    expect(c).toHaveLength(100);
    expect(await engine.readRows(parquet, { offset: 600, limit: 10, where })).toEqual([]);
  });

  it('matches nothing with no values, unknown values or hostile text', async () => {
    for (const values of [[], ['000000000'], [`' OR 1=1 --`], [`${A}' OR '1'='1`], ['); DROP TABLE x; --'], [' 981544315']]) {
      expect(await engine.countRows(parquet, { column: 'orgnr', values }), JSON.stringify(values)).toBe(0);
      expect(await engine.readRows(parquet, { offset: 0, limit: 10, where: { column: 'orgnr', values } })).toEqual([]);
    }
  });

  it('refuses a column the file does not have, and NUL in values, without quoting them', async () => {
    for (const column of ['nope', 'orgnr" OR 1=1 --', '']) {
      const err = await engine.countRows(parquet, { column, values: [A] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe('invalid_argument');
      expect((err as EngineError).message).not.toContain(column || '\u0001');
    }
    await expect(engine.readRows(parquet, { offset: 0, limit: 1, where: { column: 'orgnr', values: ['a\u0000b'] } })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('quotes the column as an identifier and works beside a file_row_number column', async () => {
    const column = (await engine.describeParquet(withRowNumber)).columns[0]?.name ?? '';
    expect(column).toContain('"');
    const where = { column, values: [A] };
    expect(await engine.countRows(withRowNumber, where)).toBe(2);
    const rows = await engine.readRows(withRowNumber, { offset: 0, limit: 10, where });
    expect(rows.map((r) => Number(r.file_row_number))).toEqual([1, 3]);
    expect(await engine.readRows(weird, { offset: 1, limit: 10, where })).toHaveLength(1);
  });
});
