// JSON routes of the sharing wizard "Kan du dele datasettet?": the tree, and the evaluation of an answer set. Open to
// anyone (no account, no token): the wizard is guidance, it reads and stores nothing.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { DomainPlugin } from '../platform/http/plugin';
import { AREA_IDS, MAX_ANSWERS, MAX_VALUE_LENGTH } from './model';
import { evaluate, getTree } from './service';

const tags = ['sharing-wizard'];

const LangQuery = Type.Optional(
  Type.Union([Type.Literal('nb'), Type.Literal('nn'), Type.Literal('en')], {
    description: 'Language of the texts: nb or en (nn gives the bokmål texts). Default: from Accept-Language, else nb.',
  }),
);
const VersionField = Type.String({ pattern: '^[0-9]{1,6}$', description: 'Tree version; default the latest. Every published version stays available.' });

const TreeQuery = Type.Object({ version: Type.Optional(VersionField), lang: LangQuery }, { additionalProperties: false });
const EvaluateQuery = Type.Object({ lang: LangQuery }, { additionalProperties: false });
const EvaluateBody = Type.Object(
  {
    answers: Type.Record(Type.String(), Type.String(), {
      maxProperties: MAX_ANSWERS,
      description: `Question id → option value. At most ${MAX_ANSWERS} answers of at most ${MAX_VALUE_LENGTH} characters each. Unknown ids or values are refused (400 \`unknown_answer\`, naming them); answers to questions that earlier answers hide are ignored.`,
    }),
    version: Type.Optional(VersionField),
  },
  { additionalProperties: false },
);

const AreaIdSchema = Type.Union(AREA_IDS.map((a) => Type.Literal(a)));
const ConditionOut = Type.Unknown({
  description: 'A condition on earlier answers: {"q": id, "equals": value}, {"q": id, "in": [values]}, {"and": [conditions]} or {"or": [conditions]}.',
});
const StopOut = Type.Object({
  id: Type.Optional(Type.String()),
  area: AreaIdSchema,
  questionId: Type.String({ description: 'The question whose answer leads here.' }),
  message: Type.String(),
  advice: Type.Optional(Type.String({ description: 'What to do next.' })),
});
const TreeOut = Type.Object({
  version: Type.String(),
  published: Type.String({ description: 'Date this version was published (YYYY-MM-DD).' }),
  lang: Type.String(),
  areas: Type.Array(Type.Object({ id: AreaIdSchema, title: Type.String(), intro: Type.String() })),
  questions: Type.Array(
    Type.Object({
      id: Type.String(),
      area: AreaIdSchema,
      text: Type.String(),
      help: Type.Optional(Type.String()),
      options: Type.Array(Type.Object({ value: Type.String(), label: Type.String() })),
      showIf: Type.Optional(ConditionOut),
    }),
  ),
  outcomes: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.Union([Type.Literal('stop'), Type.Literal('note')], { description: 'A stop blocks sharing until resolved; a note is guidance.' }),
      area: AreaIdSchema,
      questionId: Type.String(),
      when: ConditionOut,
      message: Type.String(),
      advice: Type.Optional(Type.String()),
    }),
  ),
});
const EvaluationOut = Type.Object({
  version: Type.String(),
  complete: Type.Boolean({ description: 'Every question the answers make visible is answered.' }),
  next: Type.Optional(Type.String({ description: 'The first unanswered visible question.' })),
  stops: Type.Array(StopOut),
  notes: Type.Array(StopOut, { description: 'Guidance reached by the answers that does not stop sharing.' }),
  summary: Type.Array(
    Type.Object({
      area: AreaIdSchema,
      title: Type.String(),
      status: Type.Union([Type.Literal('ok'), Type.Literal('stop'), Type.Literal('unanswered')]),
      answers: Type.Array(Type.Object({ questionId: Type.String(), question: Type.String(), value: Type.String(), label: Type.String() })),
    }),
  ),
});

/** The tree's language for a request: `?lang=` or the resolved locale; nynorsk reads the bokmål texts. */
export function treeLang(request: FastifyRequest, lang?: string): 'nb' | 'en' {
  return (lang ?? request.locale) === 'en' ? 'en' : 'nb';
}

export const wizardApi: DomainPlugin = async (app) => {
  app.get<{ Querystring: Static<typeof TreeQuery> }>(
    '/sharing-wizard',
    {
      schema: {
        tags,
        summary: 'The sharing wizard "Kan du dele datasettet?"',
        description:
          'The question tree of the sharing wizard: seven areas (personal data, duty of confidentiality, contracts, intellectual property, national security, state aid, competition law), the questions of each with their options and branch conditions (`showIf`), and the outcomes (`stop` or `note`) with the condition that reaches each. Guidance, not legal advice. No account needed. 404 `wizard_version_not_found` for an unknown version.',
        querystring: TreeQuery,
        response: { 200: TreeOut },
      },
    },
    async (request) => {
      const lang = treeLang(request, request.query.lang);
      return { ...getTree(lang, request.query.version), lang };
    },
  );

  app.post<{ Querystring: Static<typeof EvaluateQuery>; Body: Static<typeof EvaluateBody> }>(
    '/sharing-wizard/evaluate',
    {
      schema: {
        tags,
        summary: 'Evaluate an answer set',
        description:
          'Which stop outcomes an answer set reaches, whether it is complete, and a summary per area (its answers with their question and option texts). Answers are evaluated against `version` (default the latest), so an old answer set is read with the questions it answered. Nothing is stored. 400 `unknown_answer` names unknown question ids and values; 400 `too_many_answers` / `answer_too_long` for oversized sets.',
        querystring: EvaluateQuery,
        body: EvaluateBody,
        response: { 200: EvaluationOut },
      },
    },
    async (request) => evaluate(request.body.answers, { lang: treeLang(request, request.query.lang), version: request.body.version }),
  );
};
