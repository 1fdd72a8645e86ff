// The rules of the sharing wizard "Kan du dele datasettet?": loading and validating the tree files, which questions
// an answer set makes visible, and which stop outcomes it reaches. Pure functions over data; no database. The trees
// under resources/sharing-wizard/ are read and validated once, when this module is first imported, so a broken tree
// stops the server at start-up (and fails the test suite) instead of showing a half-working wizard.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { BadRequestError, NotFoundError } from '../errors';
import {
  AREA_IDS,
  MAX_ANSWERS,
  MAX_VALUE_LENGTH,
  TreeFileSchema,
  type AreaId,
  type Condition,
  type Text,
  type TreeFile,
  type TreeLang,
} from './model';

export type { AreaId, Condition } from './model';
export { AREA_IDS, MAX_ANSWERS, MAX_VALUE_LENGTH } from './model';

export interface WizardOption {
  value: string;
  /** In the requested language. */
  label: string;
}
export interface WizardQuestion {
  id: string;
  area: AreaId;
  text: string;
  help?: string;
  options: WizardOption[];
  showIf?: Condition;
}
export interface WizardStop {
  /** The outcome's id in the tree (stable within a version). */
  id?: string;
  area: AreaId;
  questionId: string;
  message: string;
  advice?: string;
}
/** A stop or note of the tree with the condition that reaches it. */
export interface WizardOutcome extends WizardStop {
  id: string;
  kind: 'stop' | 'note';
  when: Condition;
}
export interface WizardTree {
  version: string;
  /** The date this version of the tree was published (YYYY-MM-DD). */
  published: string;
  areas: { id: AreaId; title: string; intro: string }[];
  questions: WizardQuestion[];
  /** Every stop outcome and guidance note, with its condition. */
  outcomes: WizardOutcome[];
}
export interface Evaluation {
  /** Every visible question is answered. */
  complete: boolean;
  stops: WizardStop[];
  /** Guidance reached by the answers that does not stop sharing (e.g. what a licence means). */
  notes: WizardStop[];
  summary: {
    area: AreaId;
    title: string;
    status: 'ok' | 'stop' | 'unanswered';
    answers: { questionId: string; question: string; value: string; label: string }[];
  }[];
  /** The first unanswered visible question. */
  next?: string;
  version: string;
}

type Lang = TreeLang;

const here = path.dirname(fileURLToPath(import.meta.url));
export const TREE_DIR = path.resolve(here, '../../resources/sharing-wizard');

/** A problem found while validating a tree file. */
export class TreeError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Sharing-wizard tree ${file} is broken:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TreeError';
  }
}

function conditionRefs(c: Condition, out: { q: string; values: string[] }[] = []): { q: string; values: string[] }[] {
  if ('and' in c) c.and.forEach((x) => conditionRefs(x, out));
  else if ('or' in c) c.or.forEach((x) => conditionRefs(x, out));
  else out.push({ q: c.q, values: 'equals' in c ? [c.equals] : c.in });
  return out;
}

/**
 * Validates one parsed tree file: the structure (TypeBox), then the cross-references. Returns the list of problems
 * (empty when the tree is sound). Exported for the test suite's deliberately broken trees.
 */
export function validateTree(raw: unknown): string[] {
  if (!Value.Check(TreeFileSchema, raw)) {
    return [...Value.Errors(TreeFileSchema, raw)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
  }
  const tree = raw as TreeFile;
  const problems: string[] = [];
  const areaIds = new Set<string>();
  for (const area of tree.areas) {
    if (areaIds.has(area.id)) problems.push(`area "${area.id}" is listed twice`);
    areaIds.add(area.id);
  }
  for (const id of AREA_IDS) if (!areaIds.has(id)) problems.push(`area "${id}" is missing`);
  const seen = new Map<string, { index: number; values: Set<string> }>();
  tree.questions.forEach((q, index) => {
    if (seen.has(q.id)) problems.push(`question "${q.id}" is defined twice`);
    const values = new Set<string>();
    for (const o of q.options) {
      if (values.has(o.value)) problems.push(`question "${q.id}" has option "${o.value}" twice`);
      values.add(o.value);
    }
    // A condition may only look back at earlier questions: this keeps the tree free of cycles and lets a step be
    // decided from the answers before it.
    if (q.showIf) problems.push(...checkRefs(`question "${q.id}" showIf`, q.showIf, seen));
    seen.set(q.id, { index, values });
  });
  for (const area of tree.areas) {
    if (!tree.questions.some((q) => q.area === area.id)) problems.push(`area "${area.id}" has no question`);
  }
  const outcomeIds = new Set<string>();
  for (const o of tree.outcomes) {
    if (outcomeIds.has(o.id)) problems.push(`outcome "${o.id}" is defined twice`);
    outcomeIds.add(o.id);
    const q = tree.questions.find((x) => x.id === o.questionId);
    if (!q) problems.push(`outcome "${o.id}" names question "${o.questionId}", which does not exist`);
    else if (q.area !== o.area) problems.push(`outcome "${o.id}" is in area "${o.area}" but its question "${q.id}" is in "${q.area}"`);
    problems.push(...checkRefs(`outcome "${o.id}" when`, o.when, seen));
  }
  for (const area of AREA_IDS) {
    if (!tree.outcomes.some((o) => o.kind === 'stop' && o.area === area)) problems.push(`area "${area}" has no stop outcome`);
  }
  return problems;
}

function checkRefs(where: string, c: Condition, known: Map<string, { values: Set<string> }>): string[] {
  const problems: string[] = [];
  for (const ref of conditionRefs(c)) {
    const q = known.get(ref.q);
    if (!q) {
      problems.push(`${where} names question "${ref.q}", which does not exist before it`);
      continue;
    }
    for (const v of ref.values) if (!q.values.has(v)) problems.push(`${where} names value "${v}" of "${ref.q}", which is not one of its options`);
  }
  return problems;
}

/** Reads and validates every `v<N>.json` in a directory; throws TreeError on the first broken file. */
export function loadTrees(dir: string = TREE_DIR): Map<string, TreeFile> {
  const trees = new Map<string, TreeFile>();
  const files = fs.readdirSync(dir).filter((f) => /^v\d+\.json$/.test(f));
  if (files.length === 0) throw new TreeError(dir, ['no tree file (v1.json, v2.json, …) was found']);
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new TreeError(file, [`not valid JSON: ${(err as Error).message}`]);
    }
    const problems = validateTree(raw);
    const tree = raw as TreeFile;
    if (problems.length === 0 && `v${tree.version}.json` !== file) problems.push(`the file name says ${file} but the version is "${tree.version}"`);
    if (problems.length > 0) throw new TreeError(file, problems);
    trees.set(tree.version, tree);
  }
  return trees;
}

const text = (t: Text, lang: Lang): string => t[lang];

function holds(c: Condition, effective: Map<string, string>): boolean {
  if ('and' in c) return c.and.every((x) => holds(x, effective));
  if ('or' in c) return c.or.some((x) => holds(x, effective));
  const v = effective.get(c.q);
  if (v === undefined) return false;
  return 'equals' in c ? v === c.equals : c.in.includes(v);
}

/**
 * The answers that count: those to visible questions, in tree order. A question is visible when it has no condition
 * or its condition holds on the counted answers before it; answers to hidden questions (say, left over after an
 * earlier answer changed) are ignored, not refused.
 */
function effectiveAnswers(tree: TreeFile, answers: Record<string, string>): { visible: string[]; effective: Map<string, string> } {
  const visible: string[] = [];
  const effective = new Map<string, string>();
  for (const q of tree.questions) {
    if (q.showIf && !holds(q.showIf, effective)) continue;
    visible.push(q.id);
    const v = Object.prototype.hasOwnProperty.call(answers, q.id) ? answers[q.id] : undefined;
    if (v !== undefined && v !== '') effective.set(q.id, v);
  }
  return { visible, effective };
}

/**
 * The wizard over a set of loaded trees (version → tree). The module's own functions below use the trees shipped in
 * resources/sharing-wizard/; tests build one over a directory of their own (say, two versions).
 */
export function createWizard(trees: Map<string, TreeFile>) {
  function latestTreeVersion(): string {
    return [...trees.keys()].sort((a, b) => Number(b) - Number(a))[0]!;
  }

  /** Every kept version, newest first. */
  function treeVersions(): string[] {
    return [...trees.keys()].sort((a, b) => Number(b) - Number(a));
  }

  function treeFile(version?: string): TreeFile {
    const v = version ?? latestTreeVersion();
    const tree = trees.get(v);
    if (!tree) throw new NotFoundError('Wizard version', v, 'wizard_version_not_found');
    return tree;
  }


  /** The tree in one language. `nn` callers pass 'nb'. */
  function getTree(lang: Lang, version?: string): WizardTree {
    const tree = treeFile(version);
    return {
      version: tree.version,
      published: tree.published,
      areas: tree.areas.map((a) => ({ id: a.id, title: text(a.title, lang), intro: text(a.intro, lang) })),
      questions: tree.questions.map((q) => ({
        id: q.id,
        area: q.area,
        text: text(q.text, lang),
        ...(q.help ? { help: text(q.help, lang) } : {}),
        options: q.options.map((o) => ({ value: o.value, label: text(o.label, lang) })),
        ...(q.showIf ? { showIf: q.showIf } : {}),
      })),
      outcomes: tree.outcomes.map((o) => ({
        id: o.id,
        kind: o.kind,
        area: o.area,
        questionId: o.questionId,
        when: o.when,
        message: text(o.message, lang),
        ...(o.advice ? { advice: text(o.advice, lang) } : {}),
      })),
    };
  }



  /** Checks an answer set against a tree: known ids, known values, limits. Throws BadRequestError naming the problems. */
  function checkAnswers(answers: Record<string, string>, version?: string): void {
    const tree = treeFile(version);
    const entries = Object.entries(answers);
    if (entries.length > MAX_ANSWERS) {
      throw new BadRequestError(`An answer set may hold at most ${MAX_ANSWERS} answers; this one has ${entries.length}.`, { maxAnswers: MAX_ANSWERS }, 'too_many_answers');
    }
    const unknownQuestions: string[] = [];
    const unknownValues: { questionId: string; value: string }[] = [];
    const tooLong: string[] = [];
    for (const [id, value] of entries) {
      if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) {
        tooLong.push(id.slice(0, MAX_VALUE_LENGTH));
        continue;
      }
      const q = tree.questions.find((x) => x.id === id);
      if (!q) unknownQuestions.push(id.slice(0, MAX_VALUE_LENGTH));
      else if (value !== '' && !q.options.some((o) => o.value === value)) unknownValues.push({ questionId: id, value });
    }
    if (tooLong.length > 0) {
      throw new BadRequestError(`Answers may be at most ${MAX_VALUE_LENGTH} characters: ${tooLong.join(', ')}.`, { tooLong, maxLength: MAX_VALUE_LENGTH }, 'answer_too_long');
    }
    if (unknownQuestions.length > 0 || unknownValues.length > 0) {
      const parts = [
        ...(unknownQuestions.length > 0 ? [`unknown question ${unknownQuestions.map((q) => `"${q}"`).join(', ')}`] : []),
        ...unknownValues.map((u) => `"${u.value}" is not an option of "${u.questionId}"`),
      ];
      throw new BadRequestError(`The answers do not fit version ${tree.version} of the wizard: ${parts.join('; ')}.`, { unknownQuestions, unknownValues, version: tree.version }, 'unknown_answer');
    }
  }

  /** The ids of the questions an answer set makes visible, in tree order. Does not validate the answers. */
  function visibleQuestions(answers: Record<string, string>, version?: string): string[] {
    return effectiveAnswers(treeFile(version), answers).visible;
  }

  /** Evaluates an answer set: the stops and notes it reaches, whether it is complete, and a summary per area. */
  function evaluate(answers: Record<string, string>, opts: { lang: Lang; version?: string }): Evaluation {
    checkAnswers(answers, opts.version);
    const tree = treeFile(opts.version);
    const { lang } = opts;
    const { visible, effective } = effectiveAnswers(tree, answers);
    const reached = tree.outcomes.filter((o) => effective.has(o.questionId) && holds(o.when, effective));
    const present = (o: TreeFile['outcomes'][number]): WizardStop => ({
      id: o.id,
      area: o.area,
      questionId: o.questionId,
      message: text(o.message, lang),
      ...(o.advice ? { advice: text(o.advice, lang) } : {}),
    });
    const stops = reached.filter((o) => o.kind === 'stop').map(present);
    const notes = reached.filter((o) => o.kind === 'note').map(present);
    const next = visible.find((id) => !effective.has(id));
    const summary = tree.areas.map((area) => {
      const qs = tree.questions.filter((q) => q.area === area.id && visible.includes(q.id));
      const answered = qs.flatMap((q) => {
        const value = effective.get(q.id);
        if (value === undefined) return [];
        const option = q.options.find((o) => o.value === value)!;
        return [{ questionId: q.id, question: text(q.text, lang), value, label: text(option.label, lang) }];
      });
      const status: 'ok' | 'stop' | 'unanswered' = stops.some((s) => s.area === area.id)
        ? 'stop'
        : answered.length < qs.length
          ? 'unanswered'
          : 'ok';
      return { area: area.id, title: text(area.title, lang), status, answers: answered };
    });
    return { complete: next === undefined, stops, notes, summary, ...(next ? { next } : {}), version: tree.version };
  }

  return { latestTreeVersion, treeVersions, getTree, checkAnswers, visibleQuestions, evaluate };
}

export type Wizard = ReturnType<typeof createWizard>;

const shipped = createWizard(loadTrees());

export function latestTreeVersion(): string {
  return shipped.latestTreeVersion();
}
/** Every kept version, newest first. */
export function treeVersions(): string[] {
  return shipped.treeVersions();
}
/** The tree in one language (latest when version is omitted; NotFoundError for an unknown version). `nn` callers pass 'nb'. */
export function getTree(lang: Lang, version?: string): WizardTree {
  return shipped.getTree(lang, version);
}
/** Checks an answer set against a tree: known ids, known values, limits. Throws BadRequestError naming the problems. */
export function checkAnswers(answers: Record<string, string>, version?: string): void {
  shipped.checkAnswers(answers, version);
}
/** The ids of the questions an answer set makes visible, in tree order. Does not validate the answers. */
export function visibleQuestions(answers: Record<string, string>, version?: string): string[] {
  return shipped.visibleQuestions(answers, version);
}
/** Evaluates an answer set (BadRequestError for unknown ids/values or an oversized set, NotFoundError for an unknown version). */
export function evaluate(answers: Record<string, string>, opts: { lang: Lang; version?: string }): Evaluation {
  return shipped.evaluate(answers, opts);
}
