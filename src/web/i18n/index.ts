// Language selection and lookup. nb is the default; nn and en fall back to nb key by key.
import { en } from './en';
import { nb, type Catalogue, type MessageKey } from './nb';
import { nn } from './nn';

export const LOCALES = ['nb', 'nn', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'nb';
export const LOCALE_NAMES: Record<Locale, string> = { nb: 'Norsk bokmål', nn: 'Norsk nynorsk', en: 'English' };

const catalogues: Record<Locale, Catalogue> = { nb, nn, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

export function translator(locale: Locale): Translate {
  const cat = catalogues[locale];
  return (key, params) => {
    let s: string = cat[key] ?? nb[key] ?? key;
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };
}

/** Has this catalogue (or the fallback) a message for the key? Used to translate error codes. */
export function hasKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(nb, key);
}

/** Picks the language: explicit ?lang=, then the `lang` cookie, then Accept-Language, then nb. */
export function pickLocale(query: unknown, cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(query)) return query;
  if (isLocale(cookie)) return cookie;
  if (acceptLanguage) {
    for (const part of acceptLanguage.split(',')) {
      const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
      if (tag === 'nn' || tag.startsWith('nn-')) return 'nn';
      if (tag === 'nb' || tag === 'no' || tag.startsWith('nb-') || tag.startsWith('no-')) return 'nb';
      if (tag === 'en' || tag.startsWith('en-')) return 'en';
    }
  }
  return DEFAULT_LOCALE;
}

export type { MessageKey };
