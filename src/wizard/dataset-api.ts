// JSON twin of the dataset's sharing assessment: GET the current one (saved answers, what the platform pre-fills, the
// evaluation) and PUT a new answer set (saved as a new assessment, history kept, audited). Editors only.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors';
import { requireSignedInJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import type { DatasetAssessment, SavedAssessment } from './dataset';
import { MAX_ANSWERS, MAX_VALUE_LENGTH } from './model';
import type { Evaluation } from './service';

const tags = ['datasets'];
const security = [{ bearer: [] }];

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const LangQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 5, description: 'nb (default), nn or en: the language of the texts.' })) }, { additionalProperties: false });

const AnswersSchema = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: MAX_VALUE_LENGTH }), {
  maxProperties: MAX_ANSWERS,
  description: `{ questionId: optionValue } with ids and values from GET /api/v1/sharing-wizard; at most ${MAX_ANSWERS} answers.`,
});

const PutBody = Type.Object(
  {
    answers: AnswersSchema,
    version: Type.Optional(Type.String({ maxLength: 20, description: 'The tree version answered; the newest when left out.' })),
  },
  { additionalProperties: false },
);

const StopSchema = Type.Object({ area: Type.String(), questionId: Type.String(), message: Type.String(), advice: Type.Optional(Type.String()) });
const EvaluationSchema = Type.Object({
  complete: Type.Boolean({ description: 'Every visible question is answered.' }),
  stops: Type.Array(StopSchema, { description: 'Stop outcomes: what must be resolved before sharing, with advice.' }),
  notes: Type.Array(StopSchema, { description: 'Guidance reached that does not stop sharing.' }),
  summary: Type.Array(
    Type.Object({
      area: Type.String(),
      title: Type.String(),
      status: Type.String({ description: 'ok, stop or unanswered' }),
      answers: Type.Array(Type.Object({ questionId: Type.String(), question: Type.String(), value: Type.String(), label: Type.String() })),
    }),
  ),
  next: Type.Optional(Type.String({ description: 'The first unanswered visible question.' })),
  version: Type.String({ description: 'The tree version evaluated.' }),
});
const SavedSchema = Type.Object({
  id: Type.String(),
  treeVersion: Type.String(),
  answers: Type.Record(Type.String(), Type.String()),
  complete: Type.Boolean(),
  savedBy: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  savedAt: Type.String({ format: 'date-time' }),
});
const GetResponse = Type.Object({
  datasetId: Type.String(),
  treeVersion: Type.String(),
  saved: Type.Union([SavedSchema, Type.Null()], { description: 'The newest saved assessment; null before the first save.' }),
  saves: Type.Integer({ description: 'How many assessments have been saved (each save is kept).' }),
  prefill: Type.Object(
    {
      answers: Type.Record(Type.String(), Type.String()),
      sources: Type.Record(Type.String(), Type.Object({ source: Type.String(), tables: Type.Optional(Type.Array(Type.String())) })),
    },
    { description: 'Answers the platform knows: "personal data: yes" when a table has a column detected as fødselsnummer; the licence question from the dataset licence.' },
  ),
  answers: Type.Record(Type.String(), Type.String(), { description: 'The saved answers, with prefilled answers where none was given.' }),
  evaluation: EvaluationSchema,
  pdfUrl: Type.String(),
});
const PutResponse = Type.Intersect([EvaluationSchema, Type.Object({ assessment: SavedSchema })]);

function presentSaved(s: SavedAssessment) {
  return { id: s.id, treeVersion: s.treeVersion, answers: s.answers, complete: s.complete, savedBy: s.savedBy, savedAt: s.savedAt };
}

function presentEvaluation(e: Evaluation) {
  return { complete: e.complete, stops: e.stops, notes: e.notes, summary: e.summary, ...(e.next ? { next: e.next } : {}), version: e.version };
}

function presentAssessment(a: DatasetAssessment) {
  return {
    datasetId: a.dataset.id,
    treeVersion: a.treeVersion,
    saved: a.saved ? presentSaved(a.saved) : null,
    saves: a.saves,
    prefill: a.prefill,
    answers: a.answers,
    evaluation: presentEvaluation(a.evaluation),
    pdfUrl: urls.datasetAssessmentPdf(a.dataset.id),
  };
}

/** Reads need a signed-in actor before anything else is looked at (401 before 400). */
async function requireSignedIn(request: FastifyRequest): Promise<void> {
  if (!request.actor.user) throw new UnauthenticatedError();
}

const ACCESS = 'Editors and admins of the publishing organisation and the operator only (the assessment can reveal that a non-open table holds personal data): anonymous 401; a read-only token 403; others 403, or 404 for a dataset they cannot see.';

export const datasetAssessmentApi: DomainPlugin = async (app, { services }) => {
  const assessments = services.sharingAssessments;

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof LangQuery> }>(
    '/datasets/:id/sharing-assessment',
    {
      preValidation: requireSignedIn,
      schema: {
        tags,
        summary: 'The sharing assessment of a dataset',
        description: `The newest saved answers to the wizard "Kan du dele datasettet?" for this dataset, what the platform pre-fills, and the evaluation (stops with advice) in the language asked for. ${ACCESS} Needs the write scope.`,
        security,
        params: IdParams,
        querystring: LangQuery,
        response: { 200: GetResponse },
      },
    },
    async (request) => presentAssessment(await assessments.get(request.actor, request.params.id, request.locale)),
  );

  app.put<{ Params: Static<typeof IdParams>; Querystring: Static<typeof LangQuery>; Body: Static<typeof PutBody> }>(
    '/datasets/:id/sharing-assessment',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Save a sharing assessment of a dataset',
        description: `Saves an answer set as a new assessment of the dataset (earlier ones are kept) and returns its evaluation. Unknown question ids or option values are 400 \`unknown_answer\` naming them; more than ${MAX_ANSWERS} answers is 400. Answers to questions the other answers hide are dropped. Audited as dataset.assessment.save. ${ACCESS} Needs the write scope.`,
        security,
        params: IdParams,
        querystring: LangQuery,
        body: PutBody,
        response: { 200: PutResponse },
      },
    },
    async (request) => {
      const { saved, evaluation } = await assessments.save(request.actor, request.params.id, request.body, request.locale);
      return { ...presentEvaluation(evaluation), assessment: presentSaved(saved) };
    },
  );
};
