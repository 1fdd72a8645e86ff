// The sharing wizard "Kan du dele datasettet?" as data: the shape of one tree file under resources/sharing-wizard/
// (v1.json, v2.json, …; every version is kept so an old answer set is shown with the questions it answered). One file
// holds both languages: every text is `{ nb, en }` (nynorsk pages use the bokmål texts of the tree). The TypeBox
// schema checks the structure; service.ts checks the cross-references (conditions and stops name existing questions
// and options, conditions only look back, every area has a question) and refuses to start on a broken tree.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const AREA_IDS = [
  'personal_data',
  'confidentiality',
  'contracts',
  'intellectual_property',
  'national_security',
  'state_aid',
  'competition',
] as const;
export type AreaId = (typeof AREA_IDS)[number];

export const TreeLangs = ['nb', 'en'] as const;
export type TreeLang = (typeof TreeLangs)[number];

const Id = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });

export const TextSchema = Type.Object({ nb: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export type Text = Static<typeof TextSchema>;

/**
 * A branch condition on earlier answers: `{ q, equals }`, `{ q, in: [...] }`, `{ and: [...] }`, `{ or: [...] }`.
 * A condition on a question that is hidden or unanswered is false.
 */
export type Condition = { q: string; equals: string } | { q: string; in: string[] } | { and: Condition[] } | { or: Condition[] };

export const ConditionSchema = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object({ q: Id, equals: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      Type.Object({ q: Id, in: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ and: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ or: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
    ]),
  { $id: 'WizardCondition' },
) as unknown as TSchema;

const AreaIdSchema = Type.Union(AREA_IDS.map((id) => Type.Literal(id)));

export const TreeFileSchema = Type.Object(
  {
    version: Type.String({ pattern: '^[0-9]+$' }),
    published: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    areas: Type.Array(Type.Object({ id: AreaIdSchema, title: TextSchema, intro: TextSchema }, { additionalProperties: false }), { minItems: 1 }),
    questions: Type.Array(
      Type.Object(
        {
          id: Id,
          area: AreaIdSchema,
          text: TextSchema,
          help: Type.Optional(TextSchema),
          options: Type.Array(Type.Object({ value: Id, label: TextSchema }, { additionalProperties: false }), { minItems: 2 }),
          showIf: Type.Optional(ConditionSchema),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    /** Outcomes. A `stop` blocks sharing until resolved; a `note` is guidance shown beside the answer. */
    outcomes: Type.Array(
      Type.Object(
        {
          id: Id,
          kind: Type.Union([Type.Literal('stop'), Type.Literal('note')]),
          area: AreaIdSchema,
          /** The question the outcome belongs to (shown with it, and where the owner goes to change the answer). */
          questionId: Id,
          when: ConditionSchema,
          message: TextSchema,
          advice: Type.Optional(TextSchema),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A tree file as stored (both languages). */
export interface TreeFile {
  version: string;
  published: string;
  areas: { id: AreaId; title: Text; intro: Text }[];
  questions: { id: string; area: AreaId; text: Text; help?: Text; options: { value: string; label: Text }[]; showIf?: Condition }[];
  outcomes: { id: string; kind: 'stop' | 'note'; area: AreaId; questionId: string; when: Condition; message: Text; advice?: Text }[];
}

/** Limits on an answer set (issue 12 part 5: very long answer sets are refused). */
export const MAX_ANSWERS = 200;
export const MAX_VALUE_LENGTH = 200;
