// JSON routes for datasets and their distributions. Handlers validate (schema), call the catalog service, present.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { requireSignedInJson } from '../organisations/api';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { ACCESS_RIGHTS, DATASET_STATES, type Dataset, type Distribution } from './model';

const tags = ['datasets'];
const security = [{ bearer: [] }];

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Str = (max: number, description?: string) => Type.String({ maxLength: max, ...(description ? { description } : {}) });

const LangTextSchema = (max: number, description: string) =>
  Type.Object(
    { nb: Type.Optional(Str(max)), nn: Type.Optional(Str(max)), en: Type.Optional(Str(max)), no: Type.Optional(Str(max, 'Norwegian without a written standard, as many catalogues tag it: read as bokmål (nb) when nb is not given.')) },
    { additionalProperties: false, description },
  );
const LangListSchema = Type.Object(
  {
    nb: Type.Optional(Type.Array(Str(100), { maxItems: 50 })),
    nn: Type.Optional(Type.Array(Str(100), { maxItems: 50 })),
    en: Type.Optional(Type.Array(Str(100), { maxItems: 50 })),
    no: Type.Optional(Type.Array(Str(100), { maxItems: 50, description: 'Read as bokmål (nb) when nb is not given.' })),
  },
  { additionalProperties: false, description: 'Keywords per language.' },
);
export const AccessRightsSchema = Type.Union(
  ACCESS_RIGHTS.map((a) => Type.Literal(a)),
  { description: 'PUBLIC (allmenn tilgang), RESTRICTED (betinget tilgang) or NON_PUBLIC (ikke-allmenn tilgang).' },
);
const StateSchema = Type.Union(DATASET_STATES.map((s) => Type.Literal(s)));
const ContactSchema = Type.Object(
  { name: Type.Optional(Str(200)), email: Type.Optional(Str(254)), phone: Type.Optional(Str(40)), url: Type.Optional(Str(500)) },
  { additionalProperties: false },
);

const datasetFields = {
  title: Type.Optional(LangTextSchema(300, 'Title; bokmål or English is required.')),
  description: Type.Optional(LangTextSchema(20_000, 'Description; required to publish.')),
  keywords: Type.Optional(LangListSchema),
  themes: Type.Optional(Type.Array(Str(200), { maxItems: 20, description: 'EU data theme URIs (http://publications.europa.eu/resource/authority/data-theme/…) or codes such as GOVE.' })),
  losThemes: Type.Optional(Type.Array(Str(200), { maxItems: 50, description: 'LOS theme or word URIs (https://psi.norge.no/los/…).' })),
  accessRights: Type.Optional(AccessRightsSchema),
  licence: Type.Optional(Nullable(Str(500, 'Licence URI: NLOD 2.0, CC BY 4.0 or CC0 1.0, or any absolute URI. Required to publish a PUBLIC dataset.'))),
  contactPoint: Type.Optional(ContactSchema),
  spatial: Type.Optional(Type.Array(Str(10), { maxItems: 400, description: 'Kommunenummer (4 digits) or fylkesnummer (2 digits).' })),
  temporal: Type.Optional(Type.Object({ start: Type.Optional(Nullable(Str(10))), end: Type.Optional(Nullable(Str(10))) }, { additionalProperties: false, description: 'Period covered, as YYYY-MM-DD.' })),
  frequency: Type.Optional(Nullable(Str(200, 'EU frequency code, e.g. ANNUAL, MONTHLY, DAILY, or its URI.'))),
  provenance: Type.Optional(Nullable(Str(5000))),
  issued: Type.Optional(Nullable(Str(40, 'YYYY-MM-DD or an ISO date-time; a date-time without a time zone is Norwegian local time (stored in UTC).'))),
  modified: Type.Optional(Nullable(Str(40, 'YYYY-MM-DD or an ISO date-time; a date-time without a time zone is Norwegian local time (stored in UTC).'))),
  landingPage: Type.Optional(Nullable(Str(500))),
  legalBasis: Type.Optional(
    Type.Object(
      { restriction: Type.Optional(Nullable(Str(2000))), processing: Type.Optional(Nullable(Str(2000))), access: Type.Optional(Nullable(Str(2000))) },
      { additionalProperties: false, description: 'Legal basis (skjermingshjemmel, behandlingsgrunnlag, utleveringshjemmel): a reference or URI.' },
    ),
  ),
  hidden: Type.Optional(Type.Boolean({ description: 'NON_PUBLIC only: hide the metadata too — everyone outside the organisation (and its grant holders) gets 404.' })),
};

const DatasetCreate = Type.Object(
  { orgnr: Type.String({ maxLength: 20, description: 'Publisher; you must be editor or admin of it.' }), ...datasetFields },
  { additionalProperties: false },
);
const DatasetPatchSchema = Type.Object(datasetFields, { additionalProperties: false, minProperties: 1 });

const OutLangText = Type.Object({ nb: Type.Optional(Type.String()), nn: Type.Optional(Type.String()), en: Type.Optional(Type.String()) });
const OutLangList = Type.Object({ nb: Type.Optional(Type.Array(Type.String())), nn: Type.Optional(Type.Array(Type.String())), en: Type.Optional(Type.Array(Type.String())) });
const NStr = Nullable(Type.String());

const DistributionSchema = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  title: OutLangText,
  description: OutLangText,
  accessUrl: NStr,
  downloadUrl: NStr,
  mediaType: NStr,
  format: NStr,
  licence: NStr,
  byteSize: Nullable(Type.Integer()),
  tableId: NStr,
  tableName: Nullable(Type.String({ description: 'Name of the hosted table this distribution serves, if any.' })),
  rowsUrl: Nullable(Type.String({ description: 'For a hosted table: its rows API (filters, sort, keyset paging; follow `next`).' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  url: Type.String(),
});

export const DatasetSchema = Type.Object({
  id: Type.String(),
  state: StateSchema,
  publisher: Type.Object({ orgnr: Type.String(), name: Type.String(), url: Type.String() }),
  title: OutLangText,
  description: OutLangText,
  keywords: OutLangList,
  themes: Type.Array(Type.String()),
  losThemes: Type.Array(Type.String()),
  accessRights: AccessRightsSchema,
  licence: NStr,
  contactPoint: Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()), url: Type.Optional(Type.String()) }),
  spatial: Type.Array(Type.String()),
  temporal: Type.Object({ start: NStr, end: NStr }),
  frequency: NStr,
  provenance: NStr,
  issued: NStr,
  modified: NStr,
  landingPage: NStr,
  legalBasis: Type.Object({ restriction: NStr, processing: NStr, access: NStr }),
  hidden: Type.Boolean({ description: 'A hidden NON_PUBLIC dataset (404 to outsiders).' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  publishedAt: Nullable(Type.String({ format: 'date-time' })),
  distributions: Type.Array(DistributionSchema),
  url: Type.String({ description: 'This dataset in the API.' }),
  page: Type.String({ description: 'This dataset on the web.' }),
  tables: Type.String({ description: 'Its hosted tables.' }),
});

const DistributionFields = {
  title: Type.Optional(LangTextSchema(300, 'Title per language.')),
  description: Type.Optional(LangTextSchema(5000, 'Description per language.')),
  accessUrl: Type.Optional(Nullable(Str(1000, 'Where the data can be reached (http(s)).'))),
  downloadUrl: Type.Optional(Nullable(Str(1000, 'Direct download (http(s)).'))),
  mediaType: Type.Optional(Nullable(Str(100, 'IANA media type, e.g. text/csv.'))),
  format: Type.Optional(Nullable(Str(200, 'File type code (CSV, JSON, PARQUET) or its URI.'))),
  licence: Type.Optional(Nullable(Str(500))),
  byteSize: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
};
const DistributionCreate = Type.Object(DistributionFields, { additionalProperties: false });
const DistributionPatch = Type.Object(DistributionFields, { additionalProperties: false, minProperties: 1 });

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const DistParams = Type.Object({ id: Type.String({ maxLength: 100 }), distributionId: Type.String({ maxLength: 100 }) });

/**
 * A distribution as JSON. A hosted table's `downloadUrl` is its latest CSV download (src/data-api), given only when
 * the caller says the dataset is PUBLIC (`open`), as in the DCAT export; the download itself asks the access door.
 */
export function presentDistributionJson(d: Distribution, open = false): Static<typeof DistributionSchema> {
  const downloadUrl = d.tableName && open && !d.downloadUrl ? urls.api.download(d.datasetId, d.tableName, 'latest', 'csv') : d.downloadUrl;
  return { ...d, downloadUrl, rowsUrl: d.tableName ? urls.api.rows(d.datasetId, d.tableName) : null, url: urls.api.distribution(d.datasetId, d.id) };
}

export function presentDatasetJson(d: Dataset): Static<typeof DatasetSchema> {
  return {
    ...d,
    publisher: { ...d.publisher, url: urls.api.organization(d.publisher.orgnr) },
    distributions: d.distributions.map((x) => presentDistributionJson(x, d.accessRights === 'PUBLIC')),
    url: urls.api.dataset(d.id),
    page: urls.dataset(d.id),
    tables: urls.api.tables(d.id),
  };
}

export const catalogApi: DomainPlugin = async (app, { services }) => {
  const catalog = services.catalog;

  // GET /datasets (search and list) lives in src/search/api.ts.

  app.post<{ Body: Static<typeof DatasetCreate> }>(
    '/datasets',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Create a dataset',
        description:
          'Creates a draft dataset for an organisation you are editor or admin of. Needs a title (nb or en) and access rights; every vocabulary value is checked (422 `validation_failed` lists each problem). Needs the write scope.',
        security,
        body: DatasetCreate,
        response: { 201: DatasetSchema },
      },
    },
    async (request, reply) => {
      const ds = await catalog.createDataset(request.actor, request.body);
      return reply.status(201).header('location', urls.api.dataset(ds.id)).send(presentDatasetJson(ds));
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id',
    {
      schema: {
        tags,
        summary: 'One dataset',
        description: 'Its metadata and distributions. Drafts and archived datasets are 404 except for members of the publisher.',
        params: IdParams,
        response: { 200: DatasetSchema },
      },
    },
    async (request) => presentDatasetJson(await catalog.getDataset(request.actor, request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof DatasetPatchSchema> }>(
    '/datasets/:id',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Change a dataset',
        description: 'Each field given replaces that field; null or "" clears it. A published dataset must stay publishable. Editors and admins of the publisher; needs the write scope.',
        security,
        params: IdParams,
        body: DatasetPatchSchema,
        response: { 200: DatasetSchema },
      },
    },
    async (request) => presentDatasetJson(await catalog.updateDataset(request.actor, request.params.id, request.body)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/publish',
    {
      schema: {
        tags,
        summary: 'Publish a dataset',
        description: 'Makes a draft or archived dataset public. Needs a title, description, access rights and, for PUBLIC, a licence: otherwise 422 listing what is missing. Already published is 409.',
        security,
        params: IdParams,
        response: { 200: DatasetSchema },
      },
    },
    async (request) => presentDatasetJson(await catalog.publishDataset(request.actor, request.params.id)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/archive',
    {
      schema: {
        tags,
        summary: 'Archive a dataset',
        description: 'Withdraws a dataset from the public catalogue; members still see it. Already archived is 409.',
        security,
        params: IdParams,
        response: { 200: DatasetSchema },
      },
    },
    async (request) => presentDatasetJson(await catalog.archiveDataset(request.actor, request.params.id)),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/datasets/:id/distributions',
    {
      schema: { tags, summary: 'Distributions of a dataset', description: 'Visible whenever the dataset is.', params: IdParams, response: { 200: Type.Object({ items: Type.Array(DistributionSchema) }) } },
    },
    async (request) => ({ items: (await catalog.listDistributions(request.actor, request.params.id)).map((x) => presentDistributionJson(x)) }),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof DistributionCreate> }>(
    '/datasets/:id/distributions',
    {
      preValidation: requireSignedInJson,
      schema: {
        tags,
        summary: 'Add a distribution',
        description: 'Adds a way to get the data: an access URL or a download URL is required. Editors and admins; needs the write scope.',
        security,
        params: IdParams,
        body: DistributionCreate,
        response: { 201: DistributionSchema },
      },
    },
    async (request, reply) => {
      const d = await catalog.addDistribution(request.actor, request.params.id, request.body);
      return reply.status(201).header('location', urls.api.distribution(d.datasetId, d.id)).send(presentDistributionJson(d));
    },
  );

  app.patch<{ Params: Static<typeof DistParams>; Body: Static<typeof DistributionPatch> }>(
    '/datasets/:id/distributions/:distributionId',
    {
      preValidation: requireSignedInJson,
      schema: { tags, summary: 'Change a distribution', description: 'Each field given replaces that field.', security, params: DistParams, body: DistributionPatch, response: { 200: DistributionSchema } },
    },
    async (request) => presentDistributionJson(await catalog.updateDistribution(request.actor, request.params.id, request.params.distributionId, request.body)),
  );

  app.delete<{ Params: Static<typeof DistParams> }>(
    '/datasets/:id/distributions/:distributionId',
    {
      schema: { tags, summary: 'Remove a distribution', description: 'Editors and admins; needs the write scope.', security, params: DistParams, response: { 204: Type.Null({ description: 'Removed.' }) } },
    },
    async (request, reply) => {
      await catalog.deleteDistribution(request.actor, request.params.id, request.params.distributionId);
      return reply.status(204).send();
    },
  );
};
