// JSON routes of search: GET /api/v1/datasets (search, filter, facet and page the catalogue; the dataset list of the
// API) and GET /api/v1/search/suggestions (titles as you type). Every parameter is declared: an unknown one is a 400
// naming it (Ajv with removeAdditional off), and so is a bad filter value (naming the parameter and the value).
import { Type, type Static } from '@sinclair/typebox';
import { AccessRightsSchema, DatasetSchema, presentDatasetJson } from '../catalog/api';
import { DATASET_STATES } from '../catalog/model';
import { BadRequestError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { cleanFilters, STORED_FACETS, type SearchSort } from './model';
import { SEARCH_LIMIT_MAX, SEARCH_OFFSET_MAX } from './service';

const tags = ['datasets'];

const Values = (description: string) =>
  Type.Optional(Type.Array(Type.String({ maxLength: 400 }), { maxItems: 20, description: `${description} Repeat the parameter or separate values with commas; several values of one filter match any of them.` }));

const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Words, in any order, matched by their Norwegian stem in title, description, keywords, publisher and column names; words of four letters or more also match as prefixes. Typos are tolerated when the exact words find little.' })),
    access: Values('Access: OPEN (Åpne data: PUBLIC with an open licence), PUBLIC, RESTRICTED, NON_PUBLIC, UNKNOWN.'),
    theme: Values('EU data theme code, e.g. ENVI.'),
    los: Values('LOS theme URI.'),
    format: Values('File-type code of a distribution, e.g. CSV.'),
    publisher: Values('Organisasjonsnummer of the publisher.'),
    spatial: Values('Kommunenummer or fylkesnummer (a county also finds its municipalities).'),
    provenance: Values('local (published here) or harvested.'),
    new: Type.Optional(Type.Boolean({ description: 'Only datasets first published in the last 7 days.' })),
    orgnr: Type.Optional(Type.String({ maxLength: 20, description: 'Only datasets of this publisher (same as publisher).' })),
    accessRights: Type.Optional(AccessRightsSchema),
    state: Type.Optional(Type.Union(DATASET_STATES.map((s) => Type.Literal(s)), { description: 'draft and archived are visible to members of the publisher only.' })),
    sort: Type.Optional(
      Type.Union([Type.Literal('relevance'), Type.Literal('modified'), Type.Literal('title'), Type.Literal('newest'), Type.Literal('updated')], { description: 'relevance (default with q), newest (default without), modified (recently changed first; `updated` is the same), title.' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: SEARCH_LIMIT_MAX, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: SEARCH_OFFSET_MAX, default: 0 }),
  },
  { additionalProperties: false },
);

const FacetList = Type.Array(Type.Object({ value: Type.String(), count: Type.Integer(), label: Type.Optional(Type.String({ description: 'publisher: the organisation name' })) }));
const SearchAnswer = Type.Object({
  items: Type.Array(DatasetSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  next: Type.Union([Type.String(), Type.Null()], { description: 'URL of the next page, or null on the last page.' }),
  facets: Type.Object(Object.fromEntries([...STORED_FACETS, 'new'].map((f) => [f, FacetList])), {
    description: 'Counts within the filtered hits (the same set as total), most frequent first, at most 30 values per facet.',
  }),
  fuzzy: Type.Boolean({ description: 'True when the words as written found too little and similar words were searched too.' }),
});

const SuggestQuery = Type.Object({ q: Type.String({ minLength: 1, maxLength: 100 }), lang: Type.Optional(Type.Union([Type.Literal('nb'), Type.Literal('nn'), Type.Literal('en')])) }, { additionalProperties: false });
const SuggestAnswer = Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), url: Type.String() })) });

const joined = (v: string[] | undefined) => (v && v.length > 0 ? v.join(',') : undefined);

export const searchApi: DomainPlugin = async (app, { services }) => {
  const search = services.search;
  // The SQLite reader threads close with the server (they are unref'd too, but a clean shutdown stops them).
  app.addHook('onClose', async () => search.close());

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/datasets',
    {
      schema: {
        tags,
        summary: 'Search and list datasets',
        description:
          'Published datasets for everyone; members of a publisher also see its drafts and archived datasets. Ranked by relevance when `q` is given. Facet counts and `total` are computed over the same visible, filtered set. Paged with limit (≤ 100) and offset (≤ 10,000); `next` links the following page. Unknown parameters are a 400.',
        querystring: SearchQuery,
        response: { 200: SearchAnswer },
      },
    },
    async (request) => {
      const query = request.query;
      const { filters, problems } = cleanFilters(
        {
          access: [...(query.access ?? []), ...(query.accessRights ? [query.accessRights] : [])],
          theme: query.theme,
          los: query.los,
          format: query.format,
          publisher: [...(query.publisher ?? []), ...(query.orgnr ? [query.orgnr] : [])],
          spatial: query.spatial,
          provenance: query.provenance,
          isNew: query.new,
        },
        true,
      );
      if (problems.length > 0) throw new BadRequestError(problems.map((p) => p.message).join(' '), { problems: problems.map((p) => ({ ...p, field: `querystring${p.field}` })) }, 'invalid_request');
      const sort: SearchSort | undefined = query.sort === 'updated' ? 'modified' : query.sort;
      const { limit, offset } = query;
      const result = await search.search(request.actor, { q: query.q, filters, state: query.state, sort, limit, offset });
      const nextQuery = {
        q: query.q,
        access: joined(query.access),
        theme: joined(query.theme),
        los: joined(query.los),
        format: joined(query.format),
        publisher: joined(query.publisher),
        spatial: joined(query.spatial),
        provenance: joined(query.provenance),
        new: query.new ? 'true' : undefined,
        orgnr: query.orgnr,
        accessRights: query.accessRights,
        state: query.state,
        sort: query.sort,
        limit,
        offset: offset + limit,
      };
      const next = offset + limit < result.total && offset + limit <= SEARCH_OFFSET_MAX ? urls.api.datasets(nextQuery) : null;
      return { items: result.items.map(presentDatasetJson), total: result.total, limit, offset, next, facets: result.facets, fuzzy: result.fuzzy };
    },
  );

  app.get<{ Querystring: Static<typeof SuggestQuery> }>(
    '/search/suggestions',
    {
      schema: {
        tags,
        summary: 'Dataset titles as you type',
        description: 'Up to 8 visible datasets whose words begin with what was typed (the last word as a prefix), best first.',
        querystring: SuggestQuery,
        response: { 200: SuggestAnswer },
      },
    },
    async (request) => {
      const items = await search.suggest(request.actor, request.query.q, request.query.lang ?? request.locale ?? 'nb');
      return { items: items.map((s) => ({ ...s, url: urls.dataset(s.id) })) };
    },
  );
};
