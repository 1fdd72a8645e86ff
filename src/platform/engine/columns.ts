// Column rules: which columns hold identifiers (by name, checked against the values where a check digit exists), the
// shape classes values fall in (numbers under each decimal/thousands convention, dates, codes with leading zeros,
// suppression markers), and the decision of a column's type from the counts of those classes.
import type { SemanticType } from './index';
import { MIN_SHARE, validShare } from './semantic';

// ---------------------------------------------------------------------------------------------------------------
// Identifier names

/**
 * Names (normalised: lower case, æøå folded, digits and separators removed) of identifier columns, by kind. Only the
 * identifier kinds (which stay text); names of contact, date and coordinate columns are in ./semantic.ts.
 */
const SEMANTIC_NAMES: Partial<Record<SemanticType, string[]>> = {
  orgnr: ['orgnr', 'orgno', 'orgnum', 'orgnummer', 'orgnumber', 'organisasjonsnr', 'organisasjonsnummer', 'organisationnumber',
    'organizationnumber', 'organisationno', 'organizationno', 'foretaksnr', 'foretaksnummer', 'enhetsnr', 'enhetsnummer'],
  kommunenummer: ['komnr', 'kommnr', 'kommunenr', 'kommunenummer', 'kummunenr', 'knr', 'kommunenum', 'kommuneno', 'kommuneid',
    'kommunekode', 'municipalityid', 'municipalitynumber', 'municipalitynr', 'municipalityno', 'municipalitycode', 'munid', 'muninum',
    'muninr', 'munino', 'municode', 'muniid'],
  fylkesnummer: ['fylkenr', 'fylkesnr', 'fylkesnummer', 'fylkenummer', 'fylkeskode', 'fylkekode', 'fylkeid', 'countyid',
    'countynumber', 'countynr', 'countyno', 'countycode'],
  postnummer: ['postnr', 'postnummer', 'postkode', 'postcode', 'postalcode', 'zip', 'zipcode', 'postnumber'],
  fodselsnummer: ['fnr', 'fodselsnr', 'fodselsnummer', 'personnr', 'personnummer', 'personidentifikator', 'dnr', 'dnummer',
    'nationalid', 'nationalidentitynumber', 'personalidentitynumber', 'ssn'],
  kontonummer: ['kontonr', 'kontonummer', 'kontono', 'bankkonto', 'bankkontonr', 'bankkontonummer', 'accountnumber',
    'bankaccount', 'bankaccountnumber', 'accountno'],
};

/** Identifiers without a kind we check: numbers that must stay text, but carry no semantic type. */
const OTHER_ID_NAMES = ['produsentnr', 'produsentnummer', 'telefon', 'telefonnr', 'telefonnummer', 'tlf', 'tlfnr', 'mobil',
  'mobilnr', 'mobilnummer', 'phone', 'phonenumber', 'telephone'];

function normaliseName(name: string): { compact: string; tokens: string[] } {
  const lower = name
    .replace(/([a-zæøå])([A-ZÆØÅ])/g, '$1_$2')
    .toLowerCase()
    .replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  const tokens = lower.split(/[^a-z0-9]+/).map((t) => t.replace(/\d+$/, '')).filter(Boolean);
  return { compact: tokens.join(''), tokens };
}

function nameMatches(patterns: string[], compact: string, tokens: string[]): boolean {
  return patterns.some((p) => compact === p || tokens.includes(p) || (p.length >= 6 && tokens.some((t) => t.endsWith(p))) || (p.length >= 6 && compact.endsWith(p)));
}

/** The identifier kind a column name names (nb and en, e.g. `ORG.NR`, `kommune_nr`, `muni_num_2020`, `fnr`). */
export function semanticTypeOfName(columnName: string): SemanticType | undefined {
  const { compact, tokens } = normaliseName(columnName);
  for (const kind of Object.keys(SEMANTIC_NAMES) as SemanticType[]) {
    if (nameMatches(SEMANTIC_NAMES[kind] ?? [], compact, tokens)) return kind;
  }
  return undefined;
}

/**
 * Whether a column name names an identifier (any kind, also telephone and producer numbers). A name containing
 * "kode"/"code" is not by itself one: codes with leading zeros stay text by their values. Land-register numbers
 * (gardsnr, bruksnr) are not identifiers here: they have no leading zeros and sort usefully as numbers.
 */
export function isIdentifierName(columnName: string): boolean {
  if (semanticTypeOfName(columnName)) return true;
  const { compact, tokens } = normaliseName(columnName);
  return nameMatches(OTHER_ID_NAMES, compact, tokens);
}

/** Whether most (≥ 90 %) of a sample of a column's distinct values pass the kind's check (check digit, known code). */
export function valuesConfirm(kind: SemanticType, values: string[]): boolean {
  const vs = values.map((v) => v.trim()).filter((v) => v !== '');
  if (vs.length === 0) return false;
  return validShare(kind, vs).share >= MIN_SHARE;
}

// ---------------------------------------------------------------------------------------------------------------
// Value classes

/** Suppression and missing-value markers (SSB and others): '.' not applicable, '..' not available, ':' suppressed … */
export const MISSING_MARKERS = ['*', ':', '..', '...', '.', '-', '–', 'x', 'X'] as const;

/**
 * Number shapes, each valid under some decimal/thousands conventions:
 *   i  plain integer                 "1234"               every convention
 *   I  plain integer beyond BIGINT   "99999999999999999999", or a number with marks and more than 15 digits, which a
 *      DOUBLE would round ("0,12345678901234567"): both stay text (too_large)
 *   d  dot decimal, unambiguous      "12.5", "0.123", "1e5"   decimal '.'
 *   a  ambiguous "1.234"             (dot decimal, or 1234 with '.' thousands)
 *   c  comma decimal, unambiguous    "12,5", "0,123"      decimal ','
 *   b  ambiguous "1,234"             (comma decimal, or 1234 with ',' thousands)
 *   S  space-grouped integer         "1 234 567"          thousands ' ' (also no-break space)
 *   Sc space-grouped, comma decimal  "1 234,5"            ',' + ' '
 *   Sd space-grouped, dot decimal    "1 234.5"            '.' + ' '
 *   P  dot-grouped integer, 2+ groups "1.234.567"         ',' + '.'
 *   Pc dot-grouped, comma decimal    "1.234,5"            ',' + '.'
 *   C  comma-grouped, 2+ groups      "1,234,567"          '.' + ','
 *   Cd comma-grouped, dot decimal    "1,234.5"            '.' + ','
 * Others: z (leading zero or plus sign: a code), date, dateno, ts, bool, m:<marker>, other.
 */
const SIGN = '[+-]?';
const G3 = '[1-9][0-9]{0,2}';
const RE = {
  i: `${SIGN}[0-9]+`,
  z: String.raw`0[0-9]+|\+[0-9][0-9 ]*`,
  a: `${SIGN}${G3}\\.[0-9]{3}`,
  b: `${SIGN}${G3},[0-9]{3}`,
  d: `${SIGN}([0-9]+\\.[0-9]+|\\.[0-9]+|[0-9]+(\\.[0-9]*)?[eE][+-]?[0-9]+)`,
  c: `${SIGN}([0-9]+,[0-9]+|,[0-9]+)`,
  S: `${SIGN}${G3}([ \\x{00A0}][0-9]{3}){1,5}`,
  Sc: `${SIGN}${G3}([ \\x{00A0}][0-9]{3}){1,5},[0-9]+`,
  Sd: `${SIGN}${G3}([ \\x{00A0}][0-9]{3}){1,5}\\.[0-9]+`,
  P: `${SIGN}${G3}(\\.[0-9]{3}){2,5}`,
  Pc: `${SIGN}${G3}(\\.[0-9]{3}){1,5},[0-9]+`,
  C: `${SIGN}${G3}(,[0-9]{3}){2,5}`,
  Cd: `${SIGN}${G3}(,[0-9]{3}){1,5}\\.[0-9]+`,
  dateIso: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}`,
  dateNo: String.raw`[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}`,
  timestamp: String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?`,
};

/** Anything that may be a number: digits with marks, an optional exponent. */
const NUMBER_GATE = String.raw`[+-]?[0-9., \x{00A0}]+([eE][+-]?[0-9]+)?`;

export type NumberClass = 'i' | 'I' | 'd' | 'a' | 'c' | 'b' | 'S' | 'Sc' | 'Sd' | 'P' | 'Pc' | 'C' | 'Cd';
export const NUMBER_CLASSES: readonly NumberClass[] = ['i', 'I', 'd', 'a', 'c', 'b', 'S', 'Sc', 'Sd', 'P', 'Pc', 'C', 'Cd'];

export type Decimal = '.' | ',';
export type Thousands = '' | ' ' | '.' | ',';

/** The classes a convention reads as numbers, and which of them are whole numbers under it. */
export function numberClassesFor(decimal: Decimal, thousands: Thousands): { valid: Set<string>; whole: Set<string> } {
  const valid = new Set<string>(['i', 'I']);
  const whole = new Set<string>(['i', 'I']);
  if (decimal === '.') {
    ['d', 'a'].forEach((k) => valid.add(k));
    if (thousands === ',') { ['b', 'C', 'Cd'].forEach((k) => valid.add(k)); ['b', 'C'].forEach((k) => whole.add(k)); }
    if (thousands === ' ') { ['S', 'Sd'].forEach((k) => valid.add(k)); whole.add('S'); }
  } else {
    ['c', 'b'].forEach((k) => valid.add(k));
    if (thousands === ' ') { ['S', 'Sc'].forEach((k) => valid.add(k)); whole.add('S'); }
    if (thousands === '.') { ['a', 'P', 'Pc'].forEach((k) => valid.add(k)); ['a', 'P'].forEach((k) => whole.add(k)); }
  }
  return { valid, whole };
}

/**
 * The file's convention from the classes counted over all its columns: comma decimals against dot decimals (only
 * unambiguous shapes count), then the grouping seen with that decimal mark. No evidence: '.' and no grouping, so that
 * an ambiguous "1.234" or "1,234" never silently becomes a thousand.
 */
export function decideConvention(counts: Record<string, number>, given: { decimal?: Decimal; thousands?: Thousands }): { decimal: Decimal; thousands: Thousands } {
  const n = (k: string) => counts[k] ?? 0;
  const comma = n('c') + n('Sc') + n('Pc');
  const dot = n('d') + n('Sd') + n('Cd');
  const decimal: Decimal = given.decimal ?? (comma > dot ? ',' : '.');
  if (given.thousands !== undefined) return { decimal, thousands: given.thousands === decimal ? '' : given.thousands };
  let thousands: Thousands = '';
  if (decimal === ',') {
    const space = n('S') + n('Sc');
    const dots = n('P') + n('Pc');
    if (space > 0 || dots > 0) thousands = space >= dots ? ' ' : '.';
  } else {
    const space = n('S') + n('Sd');
    const commas = n('C') + n('Cd');
    if (space > 0 || commas > 0) thousands = space >= commas ? ' ' : ',';
  }
  return { decimal, thousands };
}

/** A SQL string literal. */
function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * One CASE expression that puts a trimmed value `v` in its class. CASE evaluates each branch only for the values
 * that reach it, so a value costs the first regex that matches, and text is sent off by its first character.
 */
export function classSql(v: string): string {
  const m = (re: string) => `regexp_full_match(${v}, ${lit(re)})`;
  const markers = MISSING_MARKERS.map(lit).join(', ');
  const pick = (...ks: (keyof typeof RE & NumberClass)[]) => ks.map((k) => `WHEN ${m(RE[k])} THEN '${k}'`).join(' ');
  const dates = `CASE
      WHEN ${m(RE.dateIso)} THEN CASE WHEN TRY_CAST(${v} AS DATE) IS NOT NULL THEN 'date' ELSE 'other' END
      WHEN ${m(RE.dateNo)} THEN CASE WHEN try_strptime(${v}, '%d.%m.%Y') IS NOT NULL THEN 'dateno' ELSE 'other' END
      WHEN ${m(RE.timestamp)} THEN CASE WHEN TRY_CAST(${v} AS TIMESTAMP) IS NOT NULL THEN 'ts' ELSE 'other' END
      ELSE 'other' END`;
  // Number shapes are told apart by the marks they contain (a substring test), so a value costs two or three
  // regexes, not a dozen; what is no number falls through to the date shapes.
  const space = `(strpos(${v}, ' ') > 0 OR strpos(${v}, '\u00a0') > 0)`;
  return `CASE
    WHEN ${v} IS NULL THEN NULL
    WHEN ${v} IN (${markers}) THEN 'm:' || ${v}
    WHEN NOT (ascii(${v}) BETWEEN 48 AND 57 OR ascii(${v}) IN (43, 45, 46, 44))
      THEN CASE WHEN lower(${v}) IN ('true', 'false') THEN 'bool' ELSE 'other' END
    WHEN ${m(RE.z)} THEN CASE WHEN ascii(${v}) = 43 THEN 'z+' ELSE 'z' END
    WHEN ${m(RE.i)} THEN CASE WHEN TRY_CAST(${v} AS BIGINT) IS NOT NULL THEN 'i' ELSE 'I' END
    WHEN NOT ${m(NUMBER_GATE)} THEN ${dates}
    WHEN length(regexp_replace(${v}, '[^0-9]', '', 'g')) > 15 THEN 'I'
    WHEN ${space} THEN CASE ${pick('S', 'Sc', 'Sd')} ELSE 'other' END
    WHEN strpos(${v}, ',') > 0 AND strpos(${v}, '.') > 0 THEN CASE ${pick('Pc', 'Cd')} ELSE 'other' END
    WHEN strpos(${v}, ',') > 0 THEN CASE ${pick('b', 'c', 'C')} ELSE 'other' END
    ELSE CASE ${pick('a', 'd', 'P')} ELSE ${dates} END END`;
}

/** SQL that turns the trimmed value `v` into a number under a convention (grouping removed, ',' → '.'). */
export function numberSql(v: string, decimal: Decimal, thousands: Thousands, type: 'BIGINT' | 'DOUBLE'): string {
  let e = v;
  if (thousands === ' ') e = `replace(replace(${e}, ' ', ''), '\u00a0', '')`;
  else if (thousands !== '') e = `replace(${e}, ${lit(thousands)}, '')`;
  if (decimal === ',') e = `replace(${e}, ',', '.')`;
  return `CAST(${e} AS ${type})`;
}
