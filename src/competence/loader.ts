// Reads and validates the repository's content directory (content/{guides,courses,news}/<id>.<lang>.md). Every
// problem in every file is collected and reported together, so one run of the test suite names them all. The front
// matter is YAML 1.2 (core schema): dates stay strings and `free: "yes"` stays a string, so a wrong type is an error
// here rather than a silently retyped value.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AUDIENCES, CONTENT_LANGS, ID_PATTERN, ISO_DATE, KINDS, LEVELS, MAX_BODY_CHARS, RESERVED_IDS, type ContentFields, type ContentLang, type RepoItem } from './model';

export const SECTIONS = ['guides', 'courses', 'news'] as const;
const FILE_NAME = /^(.+)\.(nb|en)\.md$/;
const KNOWN_KEYS = new Set(['id', 'title', 'summary', 'audience', 'kind', 'level', 'duration', 'provider', 'free', 'link', 'published', 'updated']);
const REQUIRED = ['id', 'title', 'summary', 'audience', 'kind', 'level', 'provider', 'free'] as const;
const MAX_FILE_BYTES = MAX_BODY_CHARS * 4 + 10_000;

export interface ContentProblem {
  file: string;
  message: string;
}

export class ContentLoadError extends Error {
  readonly problems: ContentProblem[];
  constructor(problems: ContentProblem[]) {
    super(`Content has ${problems.length} problem(s):\n${problems.map((p) => `  ${p.file}: ${p.message}`).join('\n')}`);
    this.name = 'ContentLoadError';
    this.problems = problems;
  }
}

/** Splits "---\nYAML\n---\nbody" (a BOM and CRLF line ends are accepted). */
function splitFrontMatter(text: string): { yaml: string; body: string } | null {
  const t = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!t.startsWith('---\n')) return null;
  const end = t.indexOf('\n---', 3);
  if (end < 0) return null;
  const after = t.slice(end + 4);
  if (after !== '' && !after.startsWith('\n')) return null;
  return { yaml: t.slice(4, end + 1), body: after.replace(/^\n/, '') };
}

/**
 * Validates one item's fields (from a file's front matter or an operator's form) and returns the problems as
 * [field, message] pairs. `raw` is whatever the parser produced; nothing is coerced.
 */
export function validateFields(raw: Record<string, unknown>): { fields?: ContentFields; problems: { field: string; code: string; message: string }[] } {
  const problems: { field: string; code: string; message: string }[] = [];
  const bad = (field: string, code: string, message: string) => problems.push({ field, code, message });
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) bad(key, 'unknown_key', `Unknown key "${key}" (allowed: ${[...KNOWN_KEYS].join(', ')}).`);
  for (const key of REQUIRED) if (raw[key] === undefined || raw[key] === null || raw[key] === '') bad(key, 'required', `"${key}" is required.`);
  const text = (key: string, max: number, required: boolean): string | null => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') {
      bad(key, 'not_text', `"${key}" must be text, not ${typeof v}${v instanceof Date ? ' (a date)' : ''}.`);
      return null;
    }
    const s = v.trim();
    if (s === '' && required) bad(key, 'required', `"${key}" is required.`);
    if (s.length > max) bad(key, 'too_long', `"${key}" is longer than ${max} characters.`);
    return s || null;
  };
  const oneOf = <T extends string>(key: string, values: readonly T[]): T | null => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      bad(key, 'bad_value', `"${key}" must be one of ${values.join(', ')}; got ${JSON.stringify(v)}.`);
      return null;
    }
    return v as T;
  };
  const date = (key: string): string | null => {
    const s = text(key, 10, false);
    if (s !== null && (!ISO_DATE.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`)) || new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) !== s)) {
      bad(key, 'bad_date', `"${key}" must be an ISO date YYYY-MM-DD; got ${JSON.stringify(s)}.`);
      return null;
    }
    return s;
  };
  const id = text('id', 80, true);
  if (id !== null && (!ID_PATTERN.test(id) || RESERVED_IDS.has(id))) bad('id', 'bad_id', `"id" must be lower-case letters, digits and hyphens (not "nyheter"); got ${JSON.stringify(id)}.`);
  const title = text('title', 300, true);
  const summary = text('summary', 1000, true);
  const audience = oneOf('audience', AUDIENCES);
  const kind = oneOf('kind', KINDS);
  const level = oneOf('level', LEVELS);
  const duration = text('duration', 100, false);
  const provider = text('provider', 200, true);
  let free: boolean | null = null;
  if (raw.free !== undefined && raw.free !== null && raw.free !== '') {
    if (typeof raw.free === 'boolean') free = raw.free;
    else bad('free', 'bad_value', `"free" must be true or false; got ${JSON.stringify(raw.free)}.`);
  }
  const link = text('link', 1000, false);
  if (link !== null) {
    let ok = false;
    try {
      const u = new URL(link);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) bad('link', 'bad_link', `"link" must be an absolute http(s) URL; got ${JSON.stringify(link)}.`);
  }
  const published = date('published');
  const updated = date('updated');
  if (kind === 'news' && published === null && !problems.some((p) => p.field === 'published')) bad('published', 'required', '"published" is required for news.');
  if (problems.length > 0 || !id || !title || !summary || !audience || !kind || !level || !provider || free === null) return { problems };
  return { fields: { id, title, summary, audience, kind, level, duration, provider, free, link, published, updated }, problems };
}

/** Reads every item under `dir`; throws ContentLoadError listing every problem. A missing directory is no content. */
export function loadContentDir(dir: string): RepoItem[] {
  const problems: ContentProblem[] = [];
  const items: RepoItem[] = [];
  if (!fs.existsSync(dir)) return [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !(SECTIONS as readonly string[]).includes(entry.name)) problems.push({ file: entry.name, message: `Unknown folder; content lives in ${SECTIONS.join(', ')}.` });
  }
  for (const section of SECTIONS) {
    const sectionDir = path.join(dir, section);
    if (!fs.existsSync(sectionDir)) continue;
    for (const name of fs.readdirSync(sectionDir).sort()) {
      const file = `${section}/${name}`;
      const problem = (message: string) => problems.push({ file, message });
      const full = path.join(sectionDir, name);
      if (!fs.statSync(full).isFile()) {
        problem('Not a file; content files are <id>.<lang>.md.');
        continue;
      }
      const m = FILE_NAME.exec(name);
      if (!m) {
        problem('File name must be <id>.nb.md or <id>.en.md.');
        continue;
      }
      const [, fileId, lang] = m as unknown as [string, string, ContentLang];
      const bytes = fs.readFileSync(full);
      if (bytes.length > MAX_FILE_BYTES) {
        problem(`File is larger than ${MAX_FILE_BYTES} bytes.`);
        continue;
      }
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      if (text.includes('\uFFFD')) problem('File is not valid UTF-8.');
      if (text.includes('\0')) problem('File contains a NUL character.');
      const split = splitFrontMatter(text);
      if (!split) {
        problem('File must start with a front matter block between two "---" lines.');
        continue;
      }
      let raw: unknown;
      try {
        raw = parseYaml(split.yaml, { version: '1.2', schema: 'core', uniqueKeys: true });
      } catch (err) {
        problem(`Front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        problem('Front matter must be a mapping of keys to values.');
        continue;
      }
      const { fields, problems: fieldProblems } = validateFields(raw as Record<string, unknown>);
      for (const p of fieldProblems) problem(p.message);
      if (!fields) continue;
      if (fields.id !== fileId) problem(`"id" is "${fields.id}" but the file name says "${fileId}".`);
      if (section === 'news' && fields.kind !== 'news') problem('Files under news/ must have kind: news.');
      if (section !== 'news' && fields.kind === 'news') problem(`kind: news belongs under news/, not ${section}/.`);
      if (split.body.length > MAX_BODY_CHARS) problem(`Body is longer than ${MAX_BODY_CHARS} characters.`);
      items.push({ ...fields, lang, body: split.body, hash: crypto.createHash('sha256').update(bytes).digest('hex'), file });
    }
  }
  // Every item in both languages, agreeing on its kind; ids unique across sections.
  const byId = new Map<string, RepoItem[]>();
  for (const it of items) byId.set(it.id, [...(byId.get(it.id) ?? []), it]);
  for (const [id, group] of byId) {
    const langs = new Set(group.map((g) => g.lang));
    for (const lang of CONTENT_LANGS) {
      if (!langs.has(lang)) problems.push({ file: group[0]!.file, message: `"${id}" has no ${lang} file; every item needs both nb and en.` });
    }
    if (new Set(group.map((g) => g.file.split('/')[0])).size > 1) problems.push({ file: group[0]!.file, message: `"${id}" is used in more than one folder.` });
    if (new Set(group.map((g) => g.kind)).size > 1) problems.push({ file: group[0]!.file, message: `The nb and en files of "${id}" disagree on kind.` });
  }
  if (problems.length > 0) throw new ContentLoadError(problems);
  return items;
}
