// JSON routes of metadata quality (issue 9.7): a dataset's MQA score (same visibility as its metadata: 404 for what the
// actor may not see; drafts scored for their editors) and an organisation's average over its published datasets.
import { Type, type Static } from '@sinclair/typebox';
import type { DomainPlugin } from '../platform/http/plugin';
import { DIMENSIONS, MQA_MAX, RATINGS } from './model';

const tags = ['quality'];
const Rating = Type.Union(RATINGS.map((r) => Type.Literal(r)));
const Dimension = Type.Union(DIMENSIONS.map((d) => Type.Literal(d)));
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const OrgParams = Type.Object({ orgnr: Type.String({ maxLength: 20 }) });

const Target = Type.Union([
  Type.Object({ kind: Type.Literal('field'), field: Type.String({ description: 'Id of the field in the dataset form (/datasett/{id}/rediger#field).' }) }),
  Type.Object({ kind: Type.Literal('distributions') }),
]);

const DatasetQualitySchema = Type.Object({
  datasetId: Type.String(),
  state: Type.String(),
  score: Type.Integer(),
  max: Type.Integer({ description: `Always ${MQA_MAX} (data.norge.no's model).` }),
  expressibleMax: Type.Integer({ description: 'The most this catalogue can express (dct:rights has no field here).' }),
  percent: Type.Number(),
  rating: Rating,
  dimensions: Type.Array(Type.Object({ id: Dimension, score: Type.Integer(), max: Type.Integer() })),
  metrics: Type.Array(Type.Object({ id: Type.String(), dimension: Dimension, points: Type.Integer(), earned: Type.Integer(), expressible: Type.Boolean() })),
  hints: Type.Array(Type.Object({ metric: Type.String(), dimension: Dimension, points: Type.Integer({ description: 'What meeting the metric adds.' }), target: Target })),
  bestDistributionId: Type.Union([Type.String(), Type.Null()]),
  checks: Type.Array(
    Type.Object({
      url: Type.String(),
      state: Type.Union([Type.Literal('pending'), Type.Literal('checked')]),
      ok: Type.Union([Type.Boolean(), Type.Null()]),
      status: Type.Union([Type.Integer(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
      checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
    { description: 'External access/download URLs and what the check job found (hosted tables and files count as reachable and are not listed).' },
  ),
});

const OrgQualitySchema = Type.Object({
  orgnr: Type.String(),
  datasets: Type.Integer({ description: 'Published datasets the caller can see.' }),
  averageScore: Type.Union([Type.Number(), Type.Null()]),
  averagePercent: Type.Union([Type.Number(), Type.Null()]),
  rating: Type.Union([Rating, Type.Null()]),
  ratings: Type.Object({ excellent: Type.Integer(), good: Type.Integer(), sufficient: Type.Integer(), poor: Type.Integer() }),
  scores: Type.Array(Type.Object({ datasetId: Type.String(), score: Type.Integer(), rating: Rating })),
});

export const qualityApi: DomainPlugin = async (app, { services }) => {
  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/quality',
    {
      schema: {
        tags,
        summary: 'Metadata quality of a dataset',
        description:
          "data.norge.no's metadata quality model (MQA, 435 points in five dimensions): the score of the dataset-level metrics plus its best distribution, the rating (≥ 75 % excellent, ≥ 50 % good, ≥ 25 % sufficient, else poor) and hints with the points each would add. Metadata only. Visible whenever the dataset's metadata is (404 otherwise); drafts are scored too. External URLs are checked by a background job: until it has run they count as not reachable.",
        params: IdParams,
        response: { 200: DatasetQualitySchema },
      },
    },
    async (request) => services.quality.datasetQuality(request.actor, request.params.id),
  );

  app.get<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/quality',
    {
      schema: {
        tags,
        summary: 'Metadata quality of an organisation',
        description: "Average MQA score and the number of datasets per rating, over the organisation's published datasets the caller can see. 404 for an unknown organisation.",
        params: OrgParams,
        response: { 200: OrgQualitySchema },
      },
    },
    async (request) => services.quality.organisationQuality(request.actor, request.params.orgnr),
  );
};
