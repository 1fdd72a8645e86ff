// How the catalogue reads dates and language tags that come from outside — the JSON API and harvested records alike
// (issue 8: real catalogues are messier than the standard). A date-time without a time zone (common in data.norge.no
// and every CKAN timestamp) is Norwegian local time; the language tag `no` (and `nob`, `nor`) is bokmål. One module,
// so the API and the harvester cannot come to read the same text differently.
/** The languages the catalogue speaks. */
export type Lang = 'nb' | 'nn' | 'en';

/** The catalogue language of a language tag, or null for languages it does not speak. Untagged text is bokmål. */
export function langOf(tag: string | null | undefined): Lang | null {
  const t = (tag ?? '').trim().toLowerCase().replace('_', '-');
  if (t === '') return 'nb';
  const primary = t.split('-')[0];
  if (primary === 'nb' || primary === 'no' || primary === 'nob' || primary === 'nor') return 'nb';
  if (primary === 'nn' || primary === 'nno') return 'nn';
  if (primary === 'en' || primary === 'eng') return 'en';
  return null;
}

function validYmd(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Europe/Oslo's offset from UTC in minutes at the given UTC instant (CET +60, CEST +120). */
// One formatter for all calls: constructing an Intl.DateTimeFormat costs far more than using one.
const OSLO = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

// Offsets change only on whole hours (UTC), so one answer per hour is exact.
const offsetByHour = new Map<number, number>();

function osloOffsetMinutes(utcMs: number): number {
  const hour = Math.floor(utcMs / 3_600_000);
  const known = offsetByHour.get(hour);
  if (known !== undefined) return known;
  const offset = computeOsloOffset(utcMs);
  if (offsetByHour.size > 100_000) offsetByHour.clear();
  offsetByHour.set(hour, offset);
  return offset;
}

function computeOsloOffset(utcMs: number): number {
  const parts = OSLO.formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - utcMs) / 60_000);
}

/**
 * A date or date-time as the catalogue stores it: `YYYY-MM-DD`, or an ISO date-time in UTC (`…Z`). A date-time
 * without a zone is read as Norwegian local time. Returns null for what is not a date.
 */
export function normaliseDate(input: string | null | undefined): string | null {
  if (!input) return null;
  const s = input.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return validYmd(+m[1]!, +m[2]!, +m[3]!) ? s : null;
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  if (m) return validYmd(+m[3]!, +m[2]!, +m[1]!) ? `${m[3]}-${pad(+m[2]!)}-${pad(+m[1]!)}` : null;
  m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)];
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || se > 59) return null;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let utc = Date.UTC(y, mo - 1, d, h, mi, se, ms);
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    utc -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  } else if (!zone) {
    // Local Oslo time: subtract the offset in force then (computed twice to settle across a DST change).
    const first = utc - osloOffsetMinutes(utc) * 60_000;
    utc -= osloOffsetMinutes(first) * 60_000;
  }
  return new Date(utc).toISOString();
}

/** The date part only (temporal coverage is stored as dates). */
export function normaliseDay(input: string | null | undefined): string | null {
  const d = normaliseDate(input);
  if (!d) return null;
  if (d.length === 10) return d;
  // A date-time: its day in Norway.
  const utc = Date.parse(d);
  const local = new Date(utc + osloOffsetMinutes(utc) * 60_000);
  return local.toISOString().slice(0, 10);
}

