// The sharing wizard's rules: the shipped tree is sound, every branch of every area is walked (each area can end in
// each of its stops, and each has a clean path), broken trees are refused, and answer sets are checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError } from '../errors';
import { AREA_IDS, type AreaId, type TreeFile } from './model';
import { createWizard, evaluate, getTree, latestTreeVersion, loadTrees, TREE_DIR, treeVersions, validateTree, visibleQuestions } from './service';

const LANGS = ['nb', 'en'] as const;

function shipped(): TreeFile {
  return JSON.parse(fs.readFileSync(path.join(TREE_DIR, `v${latestTreeVersion()}.json`), 'utf8')) as TreeFile;
}

/**
 * Every complete answer path through one area: a depth-first walk that, at each point, branches over every option of
 * the first unanswered visible question of the area, until none is left.
 */
function walkArea(area: AreaId, version?: string): Record<string, string>[] {
  const tree = getTree('nb', version);
  const inArea = new Set(tree.questions.filter((q) => q.area === area).map((q) => q.id));
  const leaves: Record<string, string>[] = [];
  const step = (answers: Record<string, string>): void => {
    const next = visibleQuestions(answers, version).find((id) => inArea.has(id) && answers[id] === undefined);
    if (!next) {
      leaves.push(answers);
      return;
    }
    for (const o of tree.questions.find((q) => q.id === next)!.options) step({ ...answers, [next]: o.value });
  };
  step({});
  return leaves;
}

describe('the shipped tree', () => {
  it('is valid, and the latest version is loaded', () => {
    expect(validateTree(shipped())).toEqual([]);
    expect(treeVersions()).toContain(latestTreeVersion());
    expect(getTree('nb').version).toBe(latestTreeVersion());
  });

  it('has the seven areas, in both languages, with different nb and en texts', () => {
    const nb = getTree('nb');
    const en = getTree('en');
    expect(nb.areas.map((a) => a.id)).toEqual([...AREA_IDS]);
    expect(nb.questions.map((q) => q.id)).toEqual(en.questions.map((q) => q.id));
    for (let i = 0; i < nb.questions.length; i++) {
      expect(nb.questions[i]!.text).not.toBe(en.questions[i]!.text);
      expect(nb.questions[i]!.options.map((o) => o.value)).toEqual(en.questions[i]!.options.map((o) => o.value));
    }
    for (let i = 0; i < nb.outcomes.length; i++) expect(nb.outcomes[i]!.message).not.toBe(en.outcomes[i]!.message);
  });

  it('cites the law the issue names', () => {
    const all = JSON.stringify(shipped());
    for (const needle of ['artikkel 6', 'artikkel 9 nr. 2', '§ 13 a', '§ 13 b', 'åndsverkloven § 24', 'forretningshemmelighetsloven', 'sikkerhetsloven', 'NSM', 'artikkel 61', 'konkurranseloven § 10', 'artikkel 53', '§ 10 tredje ledd']) {
      expect(all).toContain(needle);
    }
  });
});

describe('walking every branch', () => {
  const tree = getTree('nb');
  for (const area of AREA_IDS) {
    it(`${area}: every stop of the area is reached by some path, and some path is clean (nb and en)`, () => {
      const leaves = walkArea(area);
      expect(leaves.length).toBeGreaterThan(1);
      const stopIds = tree.outcomes.filter((o) => o.area === area && o.kind === 'stop').map((o) => o.id);
      expect(stopIds.length).toBeGreaterThan(0);
      for (const lang of LANGS) {
        const reached = new Set<string>();
        let clean = 0;
        for (const answers of leaves) {
          const e = evaluate(answers, { lang });
          const summary = e.summary.find((s) => s.area === area)!;
          // A whole area answered: no question of it is left, and its status is decided.
          expect(summary.status).not.toBe('unanswered');
          expect(summary.answers.length).toBe(Object.keys(answers).length);
          for (const a of summary.answers) {
            expect(a.question.length).toBeGreaterThan(0);
            expect(a.label.length).toBeGreaterThan(0);
          }
          const mine = e.stops.filter((s) => s.area === area);
          expect(e.stops.length).toBe(mine.length);
          for (const s of mine) {
            reached.add(s.id!);
            expect(s.message.length).toBeGreaterThan(10);
            expect(s.advice?.length ?? 0).toBeGreaterThan(10);
            expect(Object.keys(answers)).toContain(s.questionId);
          }
          expect(summary.status).toBe(mine.length > 0 ? 'stop' : 'ok');
          if (mine.length === 0) clean++;
        }
        expect([...reached].sort()).toEqual([...stopIds].sort());
        expect(clean).toBeGreaterThan(0);
      }
    });
  }

  it('a clean path through all seven areas is complete with no stops (nb and en)', () => {
    const answers: Record<string, string> = {};
    for (const area of AREA_IDS) {
      const clean = walkArea(area).find((a) => evaluate(a, { lang: 'nb' }).stops.length === 0)!;
      Object.assign(answers, clean);
    }
    for (const lang of LANGS) {
      const e = evaluate(answers, { lang });
      expect(e.complete).toBe(true);
      expect(e.next).toBeUndefined();
      expect(e.stops).toEqual([]);
      expect(e.summary.map((s) => s.status)).toEqual(AREA_IDS.map(() => 'ok'));
    }
  });

  it('the personal-data walk reaches "no legal basis" and the art. 9(2) stop as the issue describes', () => {
    const noBasis = evaluate({ pd_present: 'yes', pd_art6_basis: 'none', pd_special: 'no' }, { lang: 'en' });
    expect(noBasis.stops.map((s) => s.questionId)).toEqual(['pd_art6_basis']);
    const noArt9 = evaluate({ pd_present: 'yes', pd_art6_basis: 'public_task', pd_special: 'yes', pd_art9_basis: 'none' }, { lang: 'nb' });
    expect(noArt9.stops.map((s) => s.questionId)).toEqual(['pd_art9_basis']);
    expect(visibleQuestions({ pd_present: 'no' })).not.toContain('pd_art6_basis');
  });

  it('trade secrets stop only when secret, valuable and protected all hold', () => {
    const base = { ip_licence: 'nlod', ip_own_rights: 'yes' };
    expect(evaluate({ ...base, ip_secret: 'yes', ip_secret_value: 'yes', ip_secret_measures: 'yes' }, { lang: 'nb' }).stops.map((s) => s.id)).toEqual(['ip_trade_secret_stop']);
    expect(evaluate({ ...base, ip_secret: 'yes', ip_secret_value: 'yes', ip_secret_measures: 'no' }, { lang: 'nb' }).stops).toEqual([]);
    expect(evaluate({ ...base, ip_secret: 'yes', ip_secret_value: 'no' }, { lang: 'nb' }).stops).toEqual([]);
  });

  it('every licence answer carries a note on what it means, and the database right is named', () => {
    for (const licence of ['cc0', 'cc_by_4', 'nlod', 'none']) {
      const e = evaluate({ ip_licence: licence }, { lang: 'en' });
      expect(e.notes.map((n) => n.questionId)).toEqual(['ip_licence']);
      expect(e.notes[0]!.message).toContain('§ 24');
    }
    expect(evaluate({ ip_licence: 'other' }, { lang: 'en' }).notes).toHaveLength(1);
  });
});

describe('evaluating answer sets', () => {
  it('an empty answer set is incomplete and points at the first question', () => {
    const e = evaluate({}, { lang: 'nb' });
    expect(e).toMatchObject({ complete: false, stops: [], next: 'pd_present' });
    expect(e.summary.every((s) => s.status === 'unanswered')).toBe(true);
  });

  it('answers to questions an earlier answer hides are ignored, not counted', () => {
    const e = evaluate({ pd_present: 'no', pd_art6_basis: 'none' }, { lang: 'nb' });
    expect(e.stops).toEqual([]);
    expect(e.summary[0]!.answers.map((a) => a.questionId)).toEqual(['pd_present']);
  });

  it('refuses unknown question ids and values, naming them', () => {
    const err = (() => {
      try {
        evaluate({ pd_present: 'maybe', nope: 'yes' }, { lang: 'en' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain('"nope"');
    expect((err as BadRequestError).message).toContain('"maybe" is not an option of "pd_present"');
    expect((err as BadRequestError).details).toMatchObject({ unknownQuestions: ['nope'], unknownValues: [{ questionId: 'pd_present', value: 'maybe' }] });
  });

  it('refuses huge answer sets and huge values', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 201; i++) many[`q${i}`] = 'yes';
    expect(() => evaluate(many, { lang: 'nb' })).toThrow(/at most 200 answers/);
    expect(() => evaluate({ pd_present: 'x'.repeat(201) }, { lang: 'nb' })).toThrow(/at most 200 characters/);
  });

  it('an unknown version is not found', () => {
    expect(() => getTree('nb', '999')).toThrow(NotFoundError);
    expect(() => evaluate({}, { lang: 'nb', version: '999' })).toThrow(NotFoundError);
  });

  it('is not fooled by prototype keys', () => {
    expect(() => evaluate({ __proto__: 'yes' } as unknown as Record<string, string>, { lang: 'nb' })).not.toThrow();
    expect(() => evaluate(JSON.parse('{"__proto__":"yes"}') as Record<string, string>, { lang: 'nb' })).toThrow(BadRequestError);
    expect(() => evaluate({ constructor: 'yes' }, { lang: 'nb' })).toThrow(BadRequestError);
  });
});

describe('broken trees are refused', () => {
  const broken = (mutate: (t: TreeFile) => void): string[] => {
    const t = shipped();
    mutate(t);
    return validateTree(t);
  };

  it('a condition naming a missing question', () => {
    expect(broken((t) => (t.questions[1]!.showIf = { q: 'no_such_question', equals: 'yes' })).join()).toMatch(/no_such_question/);
  });
  it('a condition naming a later question (no cycles, no looking ahead)', () => {
    expect(broken((t) => (t.questions[0]!.showIf = { q: 'pd_special', equals: 'yes' })).join()).toMatch(/does not exist before it/);
  });
  it('a condition naming a value the question does not have', () => {
    expect(broken((t) => (t.questions[1]!.showIf = { q: 'pd_present', equals: 'perhaps' })).join()).toMatch(/value "perhaps"/);
  });
  it('a stop naming a missing question', () => {
    expect(broken((t) => (t.outcomes[0]!.questionId = 'gone')).join()).toMatch(/"gone", which does not exist/);
    expect(broken((t) => (t.outcomes[0]!.when = { and: [{ q: 'gone', equals: 'x' }] })).join()).toMatch(/"gone"/);
  });
  it('duplicate options and duplicate questions', () => {
    expect(broken((t) => t.questions[0]!.options.push({ ...t.questions[0]!.options[0]! })).join()).toMatch(/option "yes" twice/);
    expect(broken((t) => t.questions.push({ ...t.questions[0]! })).join()).toMatch(/defined twice/);
  });
  it('an area without questions, or without a stop, or missing', () => {
    expect(broken((t) => (t.questions = t.questions.filter((q) => q.area !== 'state_aid'))).join()).toMatch(/area "state_aid" has no question/);
    expect(broken((t) => (t.outcomes = t.outcomes.filter((o) => o.area !== 'competition'))).join()).toMatch(/area "competition" has no stop/);
    expect(broken((t) => (t.areas = t.areas.slice(1))).join()).toMatch(/area "personal_data" is missing/);
  });
  it('a text missing in one language', () => {
    expect(broken((t) => delete (t.questions[3]!.text as { en?: string }).en).join()).toMatch(/questions\/3\/text/);
    expect(broken((t) => ((t.outcomes[2]!.message as { nb: string }).nb = '')).length).toBeGreaterThan(0);
  });
  it('a malformed condition', () => {
    expect(broken((t) => (t.questions[1]!.showIf = { q: 'pd_present' } as never)).length).toBeGreaterThan(0);
    expect(broken((t) => (t.questions[1]!.showIf = { not: { q: 'pd_present', equals: 'yes' } } as never)).length).toBeGreaterThan(0);
  });

  it('loading a directory with a broken file throws naming the file and the problem; old versions stay loadable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wizard-trees-'));
    try {
      const v1 = shipped();
      fs.writeFileSync(path.join(dir, 'v1.json'), JSON.stringify(v1));
      const v2 = { ...shipped(), version: '2' };
      v2.questions = v2.questions.filter((q) => q.id !== 'ip_secret_measures');
      v2.outcomes = v2.outcomes.filter((o) => o.id !== 'ip_trade_secret_stop');
      fs.writeFileSync(path.join(dir, 'v2.json'), JSON.stringify(v2));
      const trees = loadTrees(dir);
      expect([...trees.keys()].sort()).toEqual(['1', '2']);
      // An answer set given to v1 is still read with v1's questions once v2 is the latest; v2 refuses it.
      const wizard = createWizard(trees);
      expect(wizard.latestTreeVersion()).toBe('2');
      const old = { ip_licence: 'nlod', ip_own_rights: 'yes', ip_secret: 'yes', ip_secret_value: 'yes', ip_secret_measures: 'yes' };
      const e = wizard.evaluate(old, { lang: 'en', version: '1' });
      expect(e.version).toBe('1');
      expect(e.stops.map((s) => s.id)).toEqual(['ip_trade_secret_stop']);
      expect(e.summary[3]!.answers.map((a) => a.questionId)).toContain('ip_secret_measures');
      expect(wizard.getTree('nb', '1').questions.some((q) => q.id === 'ip_secret_measures')).toBe(true);
      expect(() => wizard.evaluate(old, { lang: 'en' })).toThrow(/unknown question "ip_secret_measures"/);

      const v3 = { ...shipped(), version: '3' };
      v3.outcomes[0]!.questionId = 'missing_question';
      fs.writeFileSync(path.join(dir, 'v3.json'), JSON.stringify(v3));
      expect(() => loadTrees(dir)).toThrow(/v3\.json is broken[\s\S]*missing_question/);
      fs.writeFileSync(path.join(dir, 'v3.json'), '{ not json');
      expect(() => loadTrees(dir)).toThrow(/v3\.json is broken[\s\S]*not valid JSON/);
      fs.writeFileSync(path.join(dir, 'v3.json'), JSON.stringify({ ...shipped(), version: '4' }));
      expect(() => loadTrees(dir)).toThrow(/the file name says v3\.json/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
