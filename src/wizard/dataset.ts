// The sharing wizard run from a dataset (issue 12 part 2): an editor's answers are saved with the dataset (one row per
// save in `sharing_assessments`, so history is kept, each with the tree version it answered, who and when), audited as
// `dataset.assessment.save`, and pre-filled from what the platform knows:
//   - a table of the dataset whose current version has a column detected as `fodselsnummer` → "personal data: yes";
//   - the dataset's licence (NLOD, CC BY 4.0, CC0, another URI, none) → the licence question.
// Assessments are seen only by people who may update the dataset: they can reveal that a non-open table holds
// personal data. Anonymous callers get 401; everyone else gets what the access door decides for `dataset:update`
// (404 for a draft they may not see, 403 for a published one, 403 for a read-only token).
import { randomUUID } from 'node:crypto';
import type { Actor } from '../access/model';
import { recordAudit } from '../access/audit';
import type { Db } from '../database';
import { BadRequestError, UnauthenticatedError } from '../errors';
import type { CatalogService } from '../catalog/service';
import type { Dataset } from '../catalog/model';
import { findLicence } from '../catalog/vocabularies';
import { nowIso } from '../platform/db/index';
import type { ColumnSchema } from '../tables/model';
import { MAX_ANSWERS, MAX_VALUE_LENGTH, type AreaId, type TreeLang } from './model';
import { evaluate, getTree, latestTreeVersion, treeVersions, visibleQuestions, type Evaluation } from './service';

/** The sharing_assessments table (migration 20261201-005). */
export interface SharingAssessmentsTable {
  id: string;
  dataset_id: string;
  tree_version: string;
  answers: string; // JSON { questionId: value }
  complete: number; // 0/1
  stop_count: number;
  stops: string; // JSON [{ area, questionId }]
  saved_by: string | null;
  saved_at: string;
}

/** The question the platform answers from detected fødselsnummer columns, and the answer it gives. */
export const PERSONAL_DATA_QUESTION = 'pd_present';
export const PERSONAL_DATA_YES = 'yes';
/** The licence question, and the dataset licence code → option value it maps to. */
export const LICENCE_QUESTION = 'ip_licence';
const LICENCE_OPTIONS: Record<string, string> = { NLOD_2_0: 'nlod', CC_BY_4_0: 'cc_by_4', CC0_1_0: 'cc0' };
const LICENCE_OTHER = 'other';
const LICENCE_NONE = 'none';

export type Answers = Record<string, string>;

/** Why an answer was filled in by the platform; pages translate the code. */
export type PrefillSource = 'fodselsnummer_column' | 'dataset_licence';

export interface Prefill {
  answers: Answers;
  sources: Record<string, { source: PrefillSource; tables?: string[] }>;
}

export interface SavedAssessment {
  id: string;
  datasetId: string;
  treeVersion: string;
  answers: Answers;
  complete: boolean;
  stops: { area: AreaId; questionId: string }[];
  savedBy: { id: string; name: string } | null;
  savedAt: string;
}

export interface DatasetAssessment {
  dataset: Dataset;
  /** The newest saved assessment, or null when none has been saved. */
  saved: SavedAssessment | null;
  /** How many assessments have been saved (history). */
  saves: number;
  prefill: Prefill;
  /** The answers to show: the saved ones, with prefilled answers for questions not answered yet. */
  answers: Answers;
  /** The tree version those answers belong to: the saved one, else the newest. */
  treeVersion: string;
  evaluation: Evaluation;
}

/** The reader's locale → the tree's language (nynorsk reads the bokmål texts of the tree). */
export function treeLang(locale: string): TreeLang {
  return locale === 'en' ? 'en' : 'nb';
}

/** Refuses answer sets that are not a flat { id: string } object within the limits (before the core names unknowns). */
export function checkAnswerShape(answers: unknown): Answers {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new BadRequestError('"answers" must be an object of { questionId: value }.', { problems: [{ field: '/answers', code: 'type', message: '"answers" must be an object.' }] }, 'invalid_answers');
  }
  const entries = Object.entries(answers as Record<string, unknown>);
  if (entries.length > MAX_ANSWERS) {
    throw new BadRequestError(`An answer set can hold at most ${MAX_ANSWERS} answers; this one has ${entries.length}.`, { limit: MAX_ANSWERS, count: entries.length }, 'too_many_answers');
  }
  const out: Answers = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || v.length > MAX_VALUE_LENGTH || k.length > 64) {
      throw new BadRequestError(`The answer to "${k.slice(0, 64)}" must be a text of at most ${MAX_VALUE_LENGTH} characters.`, { problems: [{ field: `/answers/${k.slice(0, 64)}`, code: 'invalid_value', message: 'Not a valid answer.' }] }, 'invalid_answers');
    }
    out[k] = v;
  }
  return out;
}

/**
 * Drops answers to questions their branch no longer shows (an editor who changes "personal data" from yes to no must
 * not keep a hidden "no legal basis" stop). Repeats until stable: hiding one question can hide the ones after it.
 */
export function pruneHidden(answers: Answers, version?: string): Answers {
  let current = { ...answers };
  for (let i = 0; i < 10; i++) {
    const visible = new Set(visibleQuestions(current, version));
    const next: Answers = {};
    for (const [k, v] of Object.entries(current)) if (visible.has(k)) next[k] = v;
    if (Object.keys(next).length === Object.keys(current).length) return next;
    current = next;
  }
  return current;
}

/** The licence question's answer for a dataset licence URI. */
export function licenceAnswer(licence: string | null): string {
  if (!licence) return LICENCE_NONE;
  const known = findLicence(licence);
  return (known && LICENCE_OPTIONS[known.code]) ?? LICENCE_OTHER;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function createDatasetAssessmentService({ db, catalog }: { db: Db; catalog: Pick<CatalogService, 'assertCanUpdate' | 'getDataset'> }) {
  /** Only editors of the dataset's organisation (and the operator) get past here. */
  async function editable(actor: Actor, datasetId: string): Promise<Dataset> {
    if (!actor.user) throw new UnauthenticatedError();
    await catalog.assertCanUpdate(actor, datasetId);
    return catalog.getDataset(actor, datasetId);
  }

  /** Names of the dataset's tables whose current version has a column detected as fødselsnummer. */
  async function tablesWithFodselsnummer(datasetId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('tables')
      .innerJoin('table_versions', 'table_versions.id', 'tables.current_version_id')
      .select(['tables.name', 'table_versions.columns'])
      .where('tables.dataset_id', '=', datasetId)
      .orderBy('tables.name')
      .execute();
    return rows.filter((r) => parseJson<ColumnSchema[]>(r.columns, []).some((c) => c?.semanticType === 'fodselsnummer')).map((r) => r.name);
  }

  async function prefillFor(ds: Dataset): Promise<Prefill> {
    const answers: Answers = {};
    const sources: Prefill['sources'] = {};
    const tables = await tablesWithFodselsnummer(ds.id);
    if (tables.length > 0) {
      answers[PERSONAL_DATA_QUESTION] = PERSONAL_DATA_YES;
      sources[PERSONAL_DATA_QUESTION] = { source: 'fodselsnummer_column', tables };
    }
    answers[LICENCE_QUESTION] = licenceAnswer(ds.licence);
    sources[LICENCE_QUESTION] = { source: 'dataset_licence' };
    return { answers, sources };
  }

  async function newest(datasetId: string): Promise<{ saved: SavedAssessment | null; saves: number }> {
    const rows = await db
      .selectFrom('sharing_assessments')
      .leftJoin('users', 'users.id', 'sharing_assessments.saved_by')
      .select(['sharing_assessments.id', 'dataset_id', 'tree_version', 'answers', 'complete', 'stops', 'saved_by', 'saved_at', 'users.name as saved_by_name'])
      .where('dataset_id', '=', datasetId)
      .orderBy('saved_at', 'desc')
      .execute();
    const r = rows[0];
    if (!r) return { saved: null, saves: 0 };
    return {
      saves: rows.length,
      saved: {
        id: r.id,
        datasetId: r.dataset_id,
        treeVersion: r.tree_version,
        answers: parseJson<Answers>(r.answers, {}),
        complete: Number(r.complete) === 1,
        stops: parseJson(r.stops, []),
        savedBy: r.saved_by ? { id: r.saved_by, name: r.saved_by_name ?? '' } : null,
        savedAt: r.saved_at,
      },
    };
  }

  /** Prefilled answers that the tree (of `version`) shows, without overriding what was answered. */
  function merge(saved: Answers, prefill: Answers, version: string): Answers {
    const merged = { ...saved };
    for (const [k, v] of Object.entries(prefill)) {
      if (merged[k] !== undefined) continue;
      const question = getTree('nb', version).questions.find((q) => q.id === k);
      if (question?.options.some((o) => o.value === v)) merged[k] = v;
    }
    return pruneHidden(merged, version);
  }

  return {
    /** The dataset's current assessment with its evaluation in the reader's language (editors only). */
    async get(actor: Actor, datasetId: string, locale: string): Promise<DatasetAssessment> {
      const dataset = await editable(actor, datasetId);
      const [{ saved, saves }, prefill] = await Promise.all([newest(datasetId), prefillFor(dataset)]);
      const treeVersion = saved?.treeVersion ?? latestTreeVersion();
      const answers = merge(saved?.answers ?? {}, prefill.answers, treeVersion);
      const evaluation = evaluate(answers, { lang: treeLang(locale), version: treeVersion });
      return { dataset, saved, saves, prefill, answers, treeVersion, evaluation };
    },

    /**
     * Saves an answer set as a new assessment of the dataset (a new row; older ones stay as history) and audits it.
     * Unknown question ids or values are a 400 naming them (from the core's evaluate), before anything is written.
     */
    async save(actor: Actor, datasetId: string, input: { answers: unknown; version?: string }, locale: string): Promise<{ saved: SavedAssessment; evaluation: Evaluation }> {
      const dataset = await editable(actor, datasetId);
      const answers = checkAnswerShape(input.answers);
      const version = input.version ?? latestTreeVersion();
      if (!treeVersions().includes(version)) {
        throw new BadRequestError(`Version "${version.slice(0, 20)}" of the wizard does not exist; kept versions: ${treeVersions().join(', ')}.`, { version: version.slice(0, 20), versions: treeVersions() }, 'unknown_version');
      }
      // Validates ids and values (400 naming them) against the version answered; hidden answers are then dropped.
      evaluate(answers, { lang: treeLang(locale), version });
      const kept = pruneHidden(answers, version);
      const evaluation = evaluate(kept, { lang: treeLang(locale), version });
      const stops = evaluation.stops.map((s) => ({ area: s.area, questionId: s.questionId }));
      const saved: SavedAssessment = {
        id: randomUUID(),
        datasetId: dataset.id,
        treeVersion: version,
        answers: kept,
        complete: evaluation.complete,
        stops,
        savedBy: actor.user && actor.via !== 'cli' ? { id: actor.user.id, name: actor.user.name } : null,
        savedAt: nowIso(),
      };
      await db.transaction().execute(async (tx) => {
        // The newest row is the current assessment: keep saved_at strictly increasing per dataset, so two saves in
        // the same millisecond still have an order.
        const last = await tx.selectFrom('sharing_assessments').select('saved_at').where('dataset_id', '=', dataset.id).orderBy('saved_at', 'desc').limit(1).executeTakeFirst();
        if (last && last.saved_at >= saved.savedAt) saved.savedAt = new Date(Date.parse(last.saved_at) + 1).toISOString();
        await tx
          .insertInto('sharing_assessments')
          .values({
            id: saved.id,
            dataset_id: dataset.id,
            tree_version: version,
            answers: JSON.stringify(kept),
            complete: evaluation.complete ? 1 : 0,
            stop_count: stops.length,
            stops: JSON.stringify(stops),
            saved_by: actor.user && actor.via !== 'cli' ? actor.user.id : null,
            saved_at: saved.savedAt,
          })
          .execute();
        // Question ids and areas only: the audit log never repeats what the answers reveal beyond the stop areas.
        await recordAudit(tx, actor, {
          action: 'dataset.assessment.save',
          resourceType: 'dataset',
          resourceId: dataset.id,
          details: { assessmentId: saved.id, treeVersion: version, answered: Object.keys(kept).length, complete: evaluation.complete, stopAreas: [...new Set(stops.map((s) => s.area))] },
        });
      });
      return { saved, evaluation };
    },

    /**
     * For the dataset page, the edit form and the publish confirmation: the stops of the current assessment in the
     * reader's language, or null when the actor may not update the dataset (they must not learn it has one). Never
     * throws for access reasons.
     */
    async warningFor(actor: Actor, datasetId: string, locale: string): Promise<{ saved: boolean; stops: Evaluation['stops']; prefilledPersonalData: boolean } | null> {
      try {
        const a = await this.get(actor, datasetId, locale);
        return { saved: a.saved !== null, stops: a.evaluation.stops, prefilledPersonalData: a.prefill.sources[PERSONAL_DATA_QUESTION] !== undefined };
      } catch (err) {
        if (err instanceof Error && 'status' in err && [401, 403, 404].includes((err as { status: number }).status)) return null;
        throw err;
      }
    },
  };
}

export type DatasetAssessmentService = ReturnType<typeof createDatasetAssessmentService>;
