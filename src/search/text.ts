// Text analysis shared by the index and the query, so both sides see the same words:
// - normalise: lower case (Norwegian capitals too), diacritics removed except æ, ø and å (é → e, ü → u, but "ø" stays
//   "ø": SQLite's unicode61 `remove_diacritics` would fold å to a and leave ø alone, so we fold ourselves);
// - words: runs of letters and digits; column names are split at _ - . and camelCase first ("kommuneNr" → kommune nr);
// - stem: snowball-stemmers' Norwegian stemmer (the same Snowball algorithm as PostgreSQL's `norwegian`), so
//   "kommunene" and "kommune" both become "kommun". English words go through it too: consistent on both sides is
//   what matters, and "statistics"/"statistic" still meet.
import { newStemmer } from 'snowball-stemmers';

const stemmer = newStemmer('norwegian');
const STEM_CACHE_MAX = 50_000;
const stemCache = new Map<string, string>();

const RING_ABOVE = '\u030A';

export function normalise(text: string): string {
  const lower = text.toLocaleLowerCase('nb');
  let out = '';
  for (const ch of lower.normalize('NFD')) {
    const cp = ch.codePointAt(0) ?? 0;
    // Combining marks (U+0300–U+036F) go, except the ring of å.
    if (cp >= 0x300 && cp <= 0x36f && ch !== RING_ABOVE) continue;
    out += ch;
  }
  return out.normalize('NFC');
}

const WORD = /[\p{L}\p{N}]+/gu;
/** Longest word kept; longer runs (hashes, base64) are not words anyone searches for. */
export const MAX_WORD = 40;

export function words(text: string): string[] {
  return (normalise(text).match(WORD) ?? []).filter((w) => w.length <= MAX_WORD);
}

/** Words of an identifier such as a column name: snake_case, kebab-case and camelCase split into their parts. */
export function identifierWords(name: string): string[] {
  const split = name.replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2').replace(/[_.\-/]+/g, ' ');
  const parts = words(split);
  const whole = words(name);
  return [...new Set([...parts, ...whole])];
}

export function stem(word: string): string {
  if (/\d/.test(word) || word.length < 3) return word;
  const hit = stemCache.get(word);
  if (hit !== undefined) return hit;
  const s = stemmer.stem(word) || word;
  if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
  stemCache.set(word, s);
  return s;
}

/** The text as the FTS table stores it: stems separated by spaces. */
export function analyse(text: string): string {
  return words(text).map(stem).join(' ');
}

// Words that carry no meaning in a search (bokmål, nynorsk, English); dropped from a query that has other words.
const STOPWORDS = new Set(
  (
    'og i på for av til med fra om som er en et ei den det de der eller men ved hos over under etter før ' +
    'å at jeg du vi dei eit ein frå med og ikkje ' +
    'the of and in on for to a an by with from at or as is are'
  ).split(' '),
);

export interface QueryTerm {
  /** The word as normalised (what PostgreSQL's norwegian configuration stems itself). */
  word: string;
  /** Its Norwegian stem (what the SQLite index holds). */
  stem: string;
  /** Words of four letters or more also match longer words that begin with them (compounds: "skole" → "skolekrets"). */
  prefix: boolean;
}

export const MAX_QUERY_TERMS = 12;

export function queryTerms(q: string): QueryTerm[] {
  const all = [...new Set(words(q))];
  const meaningful = all.filter((w) => !STOPWORDS.has(w));
  const chosen = (meaningful.length > 0 ? meaningful : all).slice(0, MAX_QUERY_TERMS);
  return chosen.map((w) => ({ word: w, stem: stem(w), prefix: w.length >= 4 }));
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), stopping early past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const m = a.length;
  const n = b.length;
  let prev2: number[] = new Array<number>(n + 1).fill(0);
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[n] ?? max + 1;
}

/** How many edits a word of this length may carry and still count as a typo of another. */
export function typoBudget(word: string): number {
  return word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
}

/** A key that sorts titles in Norwegian alphabetical order with a byte-wise comparison (… z, æ, ø, å). */
export function titleSortKey(title: string): string {
  return normalise(title).replace(/æ/g, 'z{').replace(/ø/g, 'z|').replace(/å/g, 'z}').trim().slice(0, 200);
}

/** Trigrams of a word, as pg_trgm and FTS5's trigram tokenizer see it, for finding typo candidates. */
export function trigrams(word: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i + 3 <= word.length; i++) out.add(word.slice(i, i + 3));
  return [...out];
}
