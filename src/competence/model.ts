// Competence content: guides, courses, videos and news. Repository files (content/**) are the default; operators add
// or override items, stored in content_items keyed by (id, lang). See content/README.md for the file format.

export const AUDIENCES = ['provider', 'consumer', 'both'] as const;
export const KINDS = ['guide', 'course', 'video', 'news'] as const;
export const LEVELS = ['intro', 'advanced', 'further-education'] as const;
/** Languages content is written in; nynorsk readers get the bokmål text. */
export const CONTENT_LANGS = ['nb', 'en'] as const;
export const SOURCES = ['repo', 'operator'] as const;

export type Audience = (typeof AUDIENCES)[number];
export type Kind = (typeof KINDS)[number];
export type Level = (typeof LEVELS)[number];
export type ContentLang = (typeof CONTENT_LANGS)[number];
export type Source = (typeof SOURCES)[number];

/** Slugs: lower-case letters, digits and hyphens, starting with a letter or digit. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,79}$/;
/** Ids that would clash with fixed routes under /kompetanse. */
export const RESERVED_IDS = new Set(['nyheter', 'nyheter.atom']);
/** Largest markdown body accepted from a file or an operator (characters). */
export const MAX_BODY_CHARS = 200_000;
export const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** The front matter fields, as validated. */
export interface ContentFields {
  id: string;
  title: string;
  summary: string;
  audience: Audience;
  kind: Kind;
  level: Level;
  duration: string | null;
  provider: string;
  free: boolean;
  link: string | null;
  published: string | null;
  updated: string | null;
}

export interface ContentItem extends ContentFields {
  lang: ContentLang;
  body: string;
}

/** One item read from the repository. */
export interface RepoItem extends ContentItem {
  /** sha256 of the file's bytes. */
  hash: string;
  /** Path relative to the content directory. */
  file: string;
}

/** An item as stored and served. */
export interface StoredItem extends ContentItem {
  source: Source;
  repoHash: string | null;
  updatedBy: string | null;
  updatedAt: string;
}

/** The content_items table. */
export interface ContentItemsTable {
  id: string;
  lang: string;
  source: string;
  title: string;
  summary: string;
  audience: string;
  kind: string;
  level: string;
  duration: string | null;
  provider: string;
  free: number; // 0/1
  link: string | null;
  published: string | null;
  updated: string | null;
  body: string;
  repo_hash: string | null;
  updated_by: string | null;
  created_at: string;
  updated_at: string;
}
