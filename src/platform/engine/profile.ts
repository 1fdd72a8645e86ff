// The column profile of a table version, computed by DuckDB over the version's Parquet file (an adapter: no access
// policy here — the profile holds VALUES, and who may see it is decided by the tables service through
// resolveDataAccess()).
//
// Per column: DuckDB type, nullability, null count, distinct count (exact up to APPROX_DISTINCT_FROM rows, DuckDB's
// approx_count_distinct (HyperLogLog, a few % error) from there on), min/max (text: by byte order), mean (numbers),
// the TOP_VALUES most frequent values with their counts (left out when every value is distinct), a histogram
// (numbers: HISTOGRAM_BINS equal-width bins from min to max, whole-number columns with a small range one bin per
// value; dates and timestamps: by month when the span is at most MAX_MONTH_BINS months, else by year, empty periods
// included), and the semantic type (./semantic.ts) with the share of valid values over the column's distinct values
// — all of them when there are at most SEMANTIC_SAMPLE, else the SEMANTIC_SAMPLE most frequent ones; for a column of
// HIGH_CARDINALITY_FROM values or more that are > 90 % distinct (names, ids) the distinct values of a fixed-seed
// reservoir sample of ROW_SAMPLE rows (at most SEMANTIC_SAMPLE of them), and no top values.
// Only the first MAX_PROFILED_COLUMNS columns are profiled in full; the rest get counts only. Values longer than
// MAX_VALUE_CHARS are cut (with '…'). Values come out as text for text, dates and timestamps, and as numbers for
// numeric columns (as text beyond 2^53).
import type { DuckDBConnection } from '@duckdb/node-api';
import { EngineError, type SemanticType } from './index';
import { semanticTypeOfName } from './columns';
import { guessSemanticType, NORWAY_BBOX, type SemanticGuess } from './semantic';

export const APPROX_DISTINCT_FROM = 1_000_000;
export const TOP_VALUES = 10;
export const HISTOGRAM_BINS = 20;
export const MAX_MONTH_BINS = 120;
export const SEMANTIC_SAMPLE = 1000;
export const MAX_PROFILED_COLUMNS = 500;
export const MAX_VALUE_CHARS = 200;
/** From this many values, a column whose values are > 90 % distinct gets no top values and a sampled semantic check. */
export const HIGH_CARDINALITY_FROM = 10_000;
/** The rows (reservoir sample, fixed seed) whose distinct values a high-cardinality column's semantic check reads. */
export const ROW_SAMPLE = 10_000;

export type ProfileValue = string | number | boolean;

export interface HistogramBin {
  /** Lower bound (inclusive); numbers for numeric columns, 'YYYY-MM' or 'YYYY' for dates. */
  from: ProfileValue;
  /** Upper bound (exclusive, inclusive for the last numeric bin). */
  to: ProfileValue;
  count: number;
}

export interface ColumnProfile {
  name: string;
  type: string;
  nullable: boolean;
  nullCount: number;
  distinctCount: number;
  distinctApproximate: boolean;
  min: ProfileValue | null;
  max: ProfileValue | null;
  mean: number | null;
  topValues: { value: ProfileValue; count: number }[];
  histogram: { kind: 'numeric' | 'month' | 'year'; bins: HistogramBin[] } | null;
  semantic: (SemanticGuess & { sample: 'all_distinct' | 'most_frequent' | 'row_sample'; inNorway?: number }) | null;
  /** False for columns past MAX_PROFILED_COLUMNS: counts only. */
  profiled: boolean;
}

export interface TableProfile {
  rowCount: number;
  columns: ColumnProfile[];
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const WHOLE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*)$/;
const ORDERED = /^(VARCHAR|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|DATE|TIMESTAMP.*|TIME)$/;

const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;
const str = (s: string) => `'${s.replace(/'/g, "''")}'`;

function normalised(name: string): string[] {
  return name.replace(/([a-zæøå])([A-ZÆØÅ])/g, '$1_$2').toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a')
    .split(/[^a-z0-9]+/).map((t) => t.replace(/\d+$/, '')).filter(Boolean);
}

const EXTRA_NAMES: [SemanticType, string[]][] = [
  ['email', ['epost', 'email', 'mail', 'epostadresse', 'emailaddress', 'mailadresse']],
  ['phone', ['telefon', 'telefonnr', 'telefonnummer', 'tlf', 'tlfnr', 'mobil', 'mobilnr', 'mobilnummer', 'phone', 'phonenumber', 'telephone']],
  ['latitude', ['lat', 'latitude', 'breddegrad', 'bredde']],
  ['longitude', ['lon', 'lng', 'long', 'longitude', 'lengdegrad', 'lengde']],
  ['utm_easting', ['ost', 'east', 'easting', 'utmost', 'utmeast', 'utmx', 'ostkoordinat']],
  ['utm_northing', ['nord', 'north', 'northing', 'utmnord', 'utmnorth', 'utmy', 'nordkoordinat']],
  ['date', ['dato', 'date']],
];

/** The kind a column name names: the identifier names of ./columns, then contact, date and coordinate names. */
export function semanticKindOfName(name: string): SemanticType | undefined {
  const id = semanticTypeOfName(name);
  if (id) return id;
  const tokens = normalised(name);
  const compact = tokens.join('');
  for (const [kind, names] of EXTRA_NAMES) if (names.some((n) => compact === n || tokens.includes(n))) return kind;
  return undefined;
}

function cut(v: string): string {
  return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS - 1)}…` : v;
}

/** A value that came out of SQL as text, as the column's JSON value. */
function valueOf(raw: unknown, type: string): ProfileValue | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw);
  if (type === 'BOOLEAN') return s === 'true';
  if (NUMERIC.test(type)) {
    const n = Number(s);
    return Number.isFinite(n) && (!WHOLE.test(type) || Number.isSafeInteger(n)) ? n : s;
  }
  return cut(s);
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects() as Record<string, unknown>[];
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** Profile every column of a local Parquet file (see the top of this file). */
export async function profileParquetWith(conn: DuckDBConnection, parquetPath: string): Promise<TableProfile> {
  const src = `read_parquet(${str(parquetPath)})`;
  try {
    const described = await rows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${src})`);
    const [countRow] = await rows(conn, `SELECT count(*) AS n FROM ${src}`);
    const rowCount = num(countRow?.n);
    const approximate = rowCount >= APPROX_DISTINCT_FROM;
    const columns: ColumnProfile[] = [];
    // Counts for all columns, 50 per query.
    const names = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const counts: { nonNull: number; distinct: number; min: unknown; max: unknown; mean: unknown }[] = [];
    for (let i = 0; i < names.length; i += 50) {
      const batch = names.slice(i, i + 50);
      const exprs = batch.flatMap(({ name, type }, j) => {
        const c = ident(name);
        const k = i + j;
        const ordered = ORDERED.test(type) && k < MAX_PROFILED_COLUMNS;
        return [
          `count(${c}) AS n${k}`,
          `${approximate ? `approx_count_distinct(${c})` : `count(DISTINCT ${c})`} AS d${k}`,
          ordered ? `CAST(min(${c}) AS VARCHAR) AS lo${k}` : `NULL AS lo${k}`,
          ordered ? `CAST(max(${c}) AS VARCHAR) AS hi${k}` : `NULL AS hi${k}`,
          NUMERIC.test(type) && k < MAX_PROFILED_COLUMNS ? `avg(${c})::DOUBLE AS m${k}` : `NULL AS m${k}`,
        ];
      });
      const [r] = await rows(conn, `SELECT ${exprs.join(', ')} FROM ${src}`);
      batch.forEach((_, j) => {
        const k = i + j;
        counts[k] = { nonNull: num(r?.[`n${k}`]), distinct: num(r?.[`d${k}`]), min: r?.[`lo${k}`], max: r?.[`hi${k}`], mean: r?.[`m${k}`] };
      });
    }
    for (const [k, { name, type }] of names.entries()) {
      const c = counts[k]!;
      const profile: ColumnProfile = {
        name, type, nullable: c.nonNull < rowCount, nullCount: rowCount - c.nonNull,
        distinctCount: Math.min(c.distinct, c.nonNull), distinctApproximate: approximate,
        min: null, max: null, mean: null, topValues: [], histogram: null, semantic: null, profiled: k < MAX_PROFILED_COLUMNS,
      };
      columns.push(profile);
      if (!profile.profiled || c.nonNull === 0) continue;
      profile.min = valueOf(c.min, type);
      profile.max = valueOf(c.max, type);
      profile.mean = c.mean === null || c.mean === undefined ? null : Number(c.mean);
      const col = ident(name);
      // Nearly every value distinct (a name, an id): no top values (their counts say nothing) and the semantic check
      // reads a row sample instead of grouping the whole column — the one GROUP BY that costs most.
      const highCardinality = c.nonNull >= HIGH_CARDINALITY_FROM && profile.distinctCount > 0.9 * c.nonNull;
      const frequent = highCardinality ? [] : await rows(conn, `SELECT CAST(${col} AS VARCHAR) AS v, count(*) AS n FROM ${src} WHERE ${col} IS NOT NULL
        GROUP BY ${col} ORDER BY n DESC, v LIMIT ${SEMANTIC_SAMPLE + 1}`);
      const top = frequent.slice(0, TOP_VALUES);
      if (top.length > 0 && num(top[0]?.n) > 1) profile.topValues = top.map((r) => ({ value: valueOf(r.v, type)!, count: num(r.n) }));
      profile.histogram = await histogram(conn, src, col, type, profile);
      profile.semantic = await semantic(conn, src, col, name, type, profile, highCardinality ? undefined : frequent.map((r) => String(r.v).trim()));
    }
    return { rowCount, columns };
  } catch (err) {
    if (err instanceof EngineError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    if (/out of memory|could not allocate|memory limit/i.test(text)) {
      throw new EngineError('file_too_complex', 'The table is too large to profile within the memory the service has.', { columns: 0, memoryLimit: 'configured' });
    }
    if (/parquet|no such file|IO Error/i.test(text)) throw new EngineError('invalid_parquet', 'The file is not a valid Parquet file.');
    throw new EngineError('engine_failed', 'The table engine failed while profiling the table. Try again later.', { stage: 'profile' });
  }
}

async function histogram(conn: DuckDBConnection, src: string, col: string, type: string, p: ColumnProfile): Promise<ColumnProfile['histogram']> {
  if (NUMERIC.test(type) && typeof p.min === 'number' && typeof p.max === 'number') {
    const lo = p.min;
    const hi = p.max;
    const small = WHOLE.test(type) && hi - lo < HISTOGRAM_BINS;
    const n = small ? hi - lo + 1 : lo === hi ? 1 : HISTOGRAM_BINS;
    const width = small ? 1 : lo === hi ? 1 : (hi - lo) / n;
    const r = await rows(conn, `SELECT least(greatest(floor((${col}::DOUBLE - ${lo}) / ${width})::BIGINT, 0), ${n - 1}) AS b, count(*) AS c
      FROM ${src} WHERE ${col} IS NOT NULL AND isfinite(${col}::DOUBLE) GROUP BY 1`);
    const by = new Map(r.map((x) => [num(x.b), num(x.c)]));
    const round = (x: number) => Number(x.toPrecision(12));
    return { kind: 'numeric', bins: Array.from({ length: n }, (_, i) => ({ from: round(lo + i * width), to: round(small ? lo + i + 1 : i === n - 1 ? hi : lo + (i + 1) * width), count: by.get(i) ?? 0 })) };
  }
  if (TEMPORAL.test(type) && typeof p.min === 'string' && typeof p.max === 'string') {
    const [y0, m0] = [Number(p.min.slice(0, 4)), Number(p.min.slice(5, 7))];
    const [y1, m1] = [Number(p.max.slice(0, 4)), Number(p.max.slice(5, 7))];
    if (![y0, m0, y1, m1].every(Number.isFinite) || p.min.length < 7 || p.max.length < 7) return null;
    const months = (y1 - y0) * 12 + (m1 - m0) + 1;
    const byMonth = months <= MAX_MONTH_BINS;
    const r = await rows(conn, `SELECT strftime(${col}, ${byMonth ? "'%Y-%m'" : "'%Y'"}) AS k, count(*) AS c FROM ${src} WHERE ${col} IS NOT NULL AND isfinite(${col}) GROUP BY 1`);
    const by = new Map(r.map((x) => [String(x.k), num(x.c)]));
    const bins: HistogramBin[] = [];
    if (byMonth) {
      for (let i = 0; i < months; i++) {
        const y = y0 + Math.floor((m0 - 1 + i) / 12);
        const m = ((m0 - 1 + i) % 12) + 1;
        const yn = y + Math.floor(m / 12);
        const key = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
        bins.push({ from: key, to: `${String(yn).padStart(4, '0')}-${String((m % 12) + 1).padStart(2, '0')}`, count: by.get(key) ?? 0 });
      }
    } else if (y1 - y0 <= 500) {
      for (let y = y0; y <= y1; y++) {
        const key = String(y).padStart(4, '0');
        bins.push({ from: key, to: String(y + 1).padStart(4, '0'), count: by.get(key) ?? 0 });
      }
    } else {
      for (const [key, count] of [...by.entries()].sort()) bins.push({ from: key, to: String(Number(key) + 1).padStart(4, '0'), count });
    }
    return { kind: byMonth ? 'month' : 'year', bins };
  }
  return null;
}

async function semantic(conn: DuckDBConnection, src: string, col: string, name: string, type: string, p: ColumnProfile, frequent: string[] | undefined): Promise<ColumnProfile['semantic']> {
  if (TEMPORAL.test(type)) {
    return { type: 'date', validShare: 1, checked: p.distinctCount, basis: 'type', confirmed: true, sample: 'all_distinct' };
  }
  const named = semanticKindOfName(name);
  if (!named && type !== 'VARCHAR' && !WHOLE.test(type)) return null;
  if (named && type === 'BOOLEAN') return null;
  const values = frequent ?? (await rows(conn, `SELECT DISTINCT trim(CAST(${col} AS VARCHAR)) AS v
    FROM (SELECT ${col} FROM ${src} WHERE ${col} IS NOT NULL USING SAMPLE reservoir(${ROW_SAMPLE} ROWS) REPEATABLE (42)) ORDER BY v LIMIT ${SEMANTIC_SAMPLE}`)).map((x) => String(x.v));
  const sample = frequent === undefined ? 'row_sample' : values.length > SEMANTIC_SAMPLE ? 'most_frequent' : 'all_distinct';
  const guess = guessSemanticType(named, values.slice(0, SEMANTIC_SAMPLE));
  if (!guess) return null;
  const out: NonNullable<ColumnProfile['semantic']> = { ...guess, sample };
  if (guess.type === 'latitude' || guess.type === 'longitude') {
    const [lo, hi] = guess.type === 'latitude' ? [NORWAY_BBOX.minLat, NORWAY_BBOX.maxLat] : [NORWAY_BBOX.minLon, NORWAY_BBOX.maxLon];
    const nums = values.slice(0, SEMANTIC_SAMPLE).map((v) => Number(v.replace(',', '.'))).filter(Number.isFinite);
    out.inNorway = nums.length ? nums.filter((x) => x >= lo && x <= hi).length / nums.length : 0;
  }
  return out;
}
