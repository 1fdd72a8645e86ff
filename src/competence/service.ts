// The competence service: lists, filters and renders guides, courses, videos and news; imports the repository's
// content/** into content_items on start-up (repository rows follow their files, operator rows are never overwritten);
// lets operators add, override and remove items (audited, operator only).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordAudit } from '../access/audit';
import type { Actor } from '../access/model';
import { authorize } from '../access/service';
import type { Db, DbOrTx } from '../database';
import { BadRequestError, ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors';
import { nowIso } from '../platform/db/index';
import { ContentLoadError, loadContentDir, validateFields } from './loader';
import { renderMarkdown } from './markdown';
import {
  AUDIENCES,
  CONTENT_LANGS,
  ID_PATTERN,
  KINDS,
  LEVELS,
  MAX_BODY_CHARS,
  type Audience,
  type ContentItemsTable,
  type ContentLang,
  type Kind,
  type Level,
  type RepoItem,
  type StoredItem,
} from './model';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's content directory (content/ at the project root). */
export const DEFAULT_CONTENT_DIR = path.resolve(here, '../../content');

/** The kinds listed at /kompetanse (news has its own page). */
export const LISTED_KINDS = ['guide', 'course', 'video'] as const satisfies readonly Kind[];

export interface ContentFilter {
  audience?: Audience;
  kind?: Kind;
  level?: Level;
}

export interface ContentList {
  items: StoredItem[];
  /** For each filter, how many items each value would give with the other filters kept. */
  counts: { audience: Record<Audience, number>; kind: Record<Kind, number>; level: Record<Level, number> };
  total: number;
}

export interface OperatorRow extends StoredItem {
  /** The repository has a file for this (id, lang). */
  inRepo: boolean;
  /** An operator override whose repository file changed since the override was made. */
  repoChanged: boolean;
}

/** The reading language for a page locale: nynorsk readers get the bokmål text. */
export function contentLang(locale: string): ContentLang {
  return locale === 'en' ? 'en' : 'nb';
}

/** Checks filter values from a query string; unknown values are a 400 naming the parameter. */
export function parseFilter(q: { audience?: unknown; kind?: unknown; level?: unknown }): ContentFilter {
  const problems: FieldProblem[] = [];
  const pick = <T extends string>(name: string, v: unknown, values: readonly T[]): T | undefined => {
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    problems.push({ field: name, code: 'bad_filter', message: `Unknown ${name} "${String(v)}"; use one of ${values.join(', ')}.` });
    return undefined;
  };
  const filter = { audience: pick('audience', q.audience, AUDIENCES), kind: pick('kind', q.kind, KINDS), level: pick('level', q.level, LEVELS) };
  if (problems.length > 0) throw new BadRequestError(problems.map((p) => p.message).join(' '), { problems }, 'bad_filter');
  return filter;
}

/** "provider" also lists items for both target groups; "both" only those meant for both. */
function audienceMatches(item: Audience, wanted: Audience | undefined): boolean {
  if (!wanted) return true;
  return item === wanted || (item === 'both' && wanted !== 'both');
}

function toItem(r: ContentItemsTable): StoredItem {
  return {
    id: r.id,
    lang: r.lang as ContentLang,
    source: r.source as StoredItem['source'],
    title: r.title,
    summary: r.summary,
    audience: r.audience as Audience,
    kind: r.kind as Kind,
    level: r.level as Level,
    duration: r.duration,
    provider: r.provider,
    free: Number(r.free) === 1,
    link: r.link,
    published: r.published,
    updated: r.updated,
    body: r.body,
    repoHash: r.repo_hash,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
  };
}

function rowFrom(item: Omit<StoredItem, 'updatedAt'>, now: string): ContentItemsTable {
  return {
    id: item.id,
    lang: item.lang,
    source: item.source,
    title: item.title,
    summary: item.summary,
    audience: item.audience,
    kind: item.kind,
    level: item.level,
    duration: item.duration,
    provider: item.provider,
    free: item.free ? 1 : 0,
    link: item.link,
    published: item.published,
    updated: item.updated,
    body: item.body,
    repo_hash: item.repoHash,
    updated_by: item.updatedBy,
    created_at: now,
    updated_at: now,
  };
}

const repoRow = (r: RepoItem): Omit<StoredItem, 'updatedAt'> => ({ ...r, source: 'repo', repoHash: r.hash, updatedBy: null });

/** Newest first: published (or updated) date, then title. */
function byDateDesc(a: StoredItem, b: StoredItem): number {
  const da = a.published ?? a.updated ?? '';
  const dbb = b.published ?? b.updated ?? '';
  return da === dbb ? a.title.localeCompare(b.title) : dbb.localeCompare(da);
}

export interface OperatorInput {
  id: string;
  lang: string;
  fields: Record<string, unknown>;
  body: string;
}

export function createCompetenceService(deps: { db: Db; contentDir?: string }) {
  const { db } = deps;
  const contentDir = deps.contentDir ?? DEFAULT_CONTENT_DIR;
  let repo: Map<string, RepoItem> | undefined;
  let imported: Promise<{ inserted: number; updated: number; removed: number; kept: number }> | undefined;
  let importError: ContentLoadError | undefined;

  const key = (id: string, lang: string) => `${id}\u0000${lang}`;

  function repoItems(): Map<string, RepoItem> {
    if (!repo) repo = new Map(loadContentDir(contentDir).map((r) => [key(r.id, r.lang), r]));
    return repo;
  }

  /**
   * Brings content_items in line with the repository: new files are inserted, changed files update their repository
   * rows, rows whose file is gone are removed; operator rows are left alone. Idempotent; runs once per process.
   */
  async function importRepository() {
    const files = repoItems();
    const now = nowIso();
    let inserted = 0;
    let updated = 0;
    let removed = 0;
    let kept = 0;
    await db.transaction().execute(async (tx) => {
      const rows = await tx.selectFrom('content_items').select(['id', 'lang', 'source', 'repo_hash']).execute();
      const existing = new Map(rows.map((r) => [key(r.id, r.lang), r]));
      for (const [k, file] of files) {
        const row = existing.get(k);
        if (!row) {
          // Another process starting at the same time may have inserted it first: theirs is the same file.
          await tx.insertInto('content_items').values(rowFrom(repoRow(file), now)).onConflict((oc) => oc.columns(['id', 'lang']).doNothing()).execute();
          inserted++;
        } else if (row.source === 'operator') {
          kept++;
        } else if (row.repo_hash !== file.hash) {
          const { created_at: _created, id: _id, lang: _lang, ...values } = rowFrom(repoRow(file), now);
          await tx.updateTable('content_items').set(values).where('id', '=', file.id).where('lang', '=', file.lang).execute();
          updated++;
        }
      }
      for (const [k, row] of existing) {
        if (row.source === 'repo' && !files.has(k)) {
          await tx.deleteFrom('content_items').where('id', '=', row.id).where('lang', '=', row.lang).execute();
          removed++;
        }
      }
    });
    return { inserted, updated, removed, kept };
  }

  /**
   * Imports once; every read waits for it. Invalid repository content (the test suite fails on it, so only a hand-made
   * deployment gets here) does not take the site down: the import is skipped, what the database holds is served, and
   * the operator page shows the problems.
   */
  function ready() {
    if (!imported) {
      imported = importRepository().catch((err: unknown) => {
        if (!(err instanceof ContentLoadError)) {
          imported = undefined;
          throw err;
        }
        importError = err;
        return { inserted: 0, updated: 0, removed: 0, kept: 0 };
      });
    }
    return imported;
  }

  async function allRows(conn: DbOrTx = db): Promise<StoredItem[]> {
    await ready();
    return (await conn.selectFrom('content_items').selectAll().execute()).map(toItem);
  }

  /** One item per id in the reading language (falling back to the other language when only one exists). */
  function inLanguage(rows: StoredItem[], lang: ContentLang): StoredItem[] {
    const byId = new Map<string, StoredItem>();
    for (const r of rows) {
      const have = byId.get(r.id);
      if (!have || (have.lang !== lang && r.lang === lang)) byId.set(r.id, r);
    }
    return [...byId.values()];
  }

  function isId(id: string): boolean {
    return ID_PATTERN.test(id);
  }

  function requireOperator(actor: Actor) {
    authorize(actor, 'platform:operate', { type: 'platform' });
  }

  function checkLang(lang: string): ContentLang {
    if (!(CONTENT_LANGS as readonly string[]).includes(lang)) throw new NotFoundError('Content', lang, 'content_not_found');
    return lang as ContentLang;
  }

  return {
    contentDir,
    repoItems,
    importRepository: ready,
    /** Problems that stopped the last import (shown to operators), if any. */
    importProblems: () => importError?.problems ?? [],

    /**
     * Guides, courses and videos (or the kind asked for), filtered, with counts: each count keeps the other filters,
     * and the kind counts cover every kind (news too), so a reader sees what each choice would give.
     */
    async list(filter: ContentFilter, lang: ContentLang): Promise<ContentList> {
      const all = inLanguage(await allRows(), lang);
      const matches = (i: StoredItem, f: ContentFilter) =>
        audienceMatches(i.audience, f.audience) && (f.kind ? i.kind === f.kind : (LISTED_KINDS as readonly Kind[]).includes(i.kind)) && (!f.level || i.level === f.level);
      const items = all.filter((i) => matches(i, filter)).sort((a, b) => a.title.localeCompare(b.title, 'nb'));
      const count = <T extends string>(values: readonly T[], field: keyof ContentFilter) =>
        Object.fromEntries(values.map((v) => [v, all.filter((i) => matches(i, { ...filter, [field]: v })).length])) as Record<T, number>;
      return { items, total: items.length, counts: { audience: count(AUDIENCES, 'audience'), kind: count(KINDS, 'kind'), level: count(LEVELS, 'level') } };
    },

    /** News, newest first. */
    async news(lang: ContentLang): Promise<StoredItem[]> {
      return inLanguage(await allRows(), lang)
        .filter((i) => i.kind === 'news')
        .sort(byDateDesc);
    },

    /** One item in the reading language, with its body rendered; odd ids are simply not found. */
    async get(id: string, lang: ContentLang, tableLabel?: string): Promise<StoredItem & { html: string }> {
      if (!isId(id)) throw new NotFoundError('Content', id.slice(0, 100), 'content_not_found');
      await ready();
      const rows = (await db.selectFrom('content_items').selectAll().where('id', '=', id).execute()).map(toItem);
      const item = inLanguage(rows, lang)[0];
      if (!item) throw new NotFoundError('Content', id, 'content_not_found');
      return { ...item, html: renderMarkdown(item.body, { tableLabel }) };
    },

    /** Whether a guide id exists (in the repository or from an operator). */
    async exists(id: string): Promise<boolean> {
      if (!isId(id)) return false;
      await ready();
      return (await db.selectFrom('content_items').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    // --- operator ------------------------------------------------------------------------------------------------

    async operatorList(actor: Actor): Promise<OperatorRow[]> {
      requireOperator(actor);
      const files = repoItems();
      return (await allRows())
        .map((r) => {
          const file = files.get(key(r.id, r.lang));
          return { ...r, inRepo: file !== undefined, repoChanged: r.source === 'operator' && file !== undefined && file.hash !== r.repoHash };
        })
        .sort((a, b) => a.id.localeCompare(b.id) || a.lang.localeCompare(b.lang));
    },

    async operatorGet(actor: Actor, id: string, lang: string): Promise<OperatorRow> {
      requireOperator(actor);
      if (!isId(id)) throw new NotFoundError('Content', id.slice(0, 100), 'content_not_found');
      const l = checkLang(lang);
      await ready();
      const row = await db.selectFrom('content_items').selectAll().where('id', '=', id).where('lang', '=', l).executeTakeFirst();
      if (!row) throw new NotFoundError('Content', id, 'content_not_found');
      const item = toItem(row);
      const file = repoItems().get(key(id, l));
      return { ...item, inRepo: file !== undefined, repoChanged: item.source === 'operator' && file !== undefined && file.hash !== item.repoHash };
    },

    /** Renders an operator's draft body exactly as the public page would, without saving it. */
    preview(actor: Actor, body: string, tableLabel?: string): string {
      requireOperator(actor);
      if (body.length > MAX_BODY_CHARS) throw new ValidationError([{ field: '/body', code: 'too_long', message: `The text is longer than ${MAX_BODY_CHARS} characters.` }]);
      return renderMarkdown(body, { tableLabel });
    },

    /**
     * Saves an operator's item: `mode` 'create' refuses an (id, lang) that exists, 'update' one that does not. The row
     * becomes source 'operator' and remembers the hash of the repository file it overrides, if any.
     */
    async operatorSave(actor: Actor, input: OperatorInput, mode: 'create' | 'update'): Promise<StoredItem> {
      requireOperator(actor);
      const problems: FieldProblem[] = [];
      const lang = input.lang;
      if (!(CONTENT_LANGS as readonly string[]).includes(lang)) problems.push({ field: '/lang', code: 'bad_value', message: `"lang" must be one of ${CONTENT_LANGS.join(', ')}.` });
      const { fields, problems: fieldProblems } = validateFields({ ...input.fields, id: input.id });
      problems.push(...fieldProblems.map((p) => ({ field: `/${p.field}`, code: p.code, message: p.message })));
      if (input.body.length > MAX_BODY_CHARS) problems.push({ field: '/body', code: 'too_long', message: `The text is longer than ${MAX_BODY_CHARS} characters.` });
      if (problems.length > 0 || !fields) throw new ValidationError(problems);
      await ready();
      const l = lang as ContentLang;
      const file = repoItems().get(key(fields.id, l));
      return db.transaction().execute(async (tx) => {
        const existing = await tx.selectFrom('content_items').select(['source', 'kind']).where('id', '=', fields.id).where('lang', '=', l).executeTakeFirst();
        if (mode === 'create' && existing) throw new ConflictError(`"${fields.id}" (${l}) exists already; edit it instead.`, 'content_exists');
        if (mode === 'update' && !existing) throw new NotFoundError('Content', fields.id, 'content_not_found');
        const now = nowIso();
        const item: Omit<StoredItem, 'updatedAt'> = { ...fields, lang: l, body: input.body, source: 'operator', repoHash: file?.hash ?? null, updatedBy: actor.user?.id ?? null };
        const row = rowFrom(item, now);
        if (existing) {
          const { created_at: _c, id: _i, lang: _l, ...values } = row;
          await tx.updateTable('content_items').set(values).where('id', '=', fields.id).where('lang', '=', l).execute();
        } else {
          await tx.insertInto('content_items').values(row).execute();
        }
        await recordAudit(tx, actor, {
          action: existing ? (existing.source === 'repo' ? 'content.override' : 'content.update') : 'content.create',
          resourceType: 'content',
          resourceId: `${fields.id}/${l}`,
          details: { kind: fields.kind, overridesRepo: file !== undefined, repoHash: file?.hash ?? null },
        });
        return { ...item, updatedAt: now };
      });
    },

    /**
     * Removes an operator's version: the repository version (if there is one) takes its place again; an item only an
     * operator made is gone. A repository row has nothing to remove (409).
     */
    async operatorRemove(actor: Actor, id: string, lang: string): Promise<{ restored: boolean }> {
      requireOperator(actor);
      if (!isId(id)) throw new NotFoundError('Content', id.slice(0, 100), 'content_not_found');
      const l = checkLang(lang);
      await ready();
      const file = repoItems().get(key(id, l));
      return db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('content_items').select(['source']).where('id', '=', id).where('lang', '=', l).executeTakeFirst();
        if (!row) throw new NotFoundError('Content', id, 'content_not_found');
        if (row.source !== 'operator') throw new ConflictError('This is the repository version; there is no operator change to remove.', 'content_not_overridden');
        await tx.deleteFrom('content_items').where('id', '=', id).where('lang', '=', l).execute();
        if (file) await tx.insertInto('content_items').values(rowFrom(repoRow(file), nowIso())).execute();
        await recordAudit(tx, actor, { action: file ? 'content.revert' : 'content.delete', resourceType: 'content', resourceId: `${id}/${l}`, details: { restoredRepo: file !== undefined } });
        return { restored: file !== undefined };
      });
    },
  };
}

export type CompetenceService = ReturnType<typeof createCompetenceService>;
