// JSON twins of the competence pages: the filtered list and one item (its markdown and rendered, sanitised HTML).
import { Type, type Static } from '@sinclair/typebox';
import type { DomainPlugin } from '../platform/http/plugin';
import { urls } from '../web/urls';
import { AUDIENCES, KINDS, LEVELS, type StoredItem } from './model';
import { contentLang, parseFilter } from './service';

const tags = ['content'];
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const ListQuery = Type.Object(
  {
    audience: Type.Optional(Type.String({ maxLength: 40, description: `Target group: ${AUDIENCES.join(', ')}. provider and consumer include items for both.` })),
    kind: Type.Optional(Type.String({ maxLength: 40, description: `${KINDS.join(', ')}. Without it: guides, courses and videos (not news).` })),
    level: Type.Optional(Type.String({ maxLength: 40, description: LEVELS.join(', ') })),
    lang: Type.Optional(Type.Union([Type.Literal('nb'), Type.Literal('nn'), Type.Literal('en')], { description: 'Reading language; nn gives the bokmål text. Default nb.' })),
  },
  { additionalProperties: false },
);
const ItemQuery = Type.Object({ lang: ListQuery.properties.lang }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

const ItemSummary = Type.Object({
  id: Type.String(),
  lang: Type.String({ description: 'The language of the text (nb or en).' }),
  title: Type.String(),
  summary: Type.String(),
  audience: Type.String(),
  kind: Type.String(),
  level: Type.String(),
  duration: Nullable(Type.String()),
  provider: Type.String(),
  free: Type.Boolean(),
  link: Nullable(Type.String({ description: 'Where an external course lives.' })),
  published: Nullable(Type.String()),
  updated: Nullable(Type.String()),
  source: Type.String({ description: 'repo (the repository\'s content) or operator (changed by an operator).' }),
  page: Type.String(),
  self: Type.String(),
});
const Counts = Type.Record(Type.String(), Type.Integer());
const ListSchema = Type.Object({ items: Type.Array(ItemSummary), total: Type.Integer(), counts: Type.Object({ audience: Counts, kind: Counts, level: Counts }) });
const ItemSchema = Type.Intersect([ItemSummary, Type.Object({ body: Type.String({ description: 'Markdown.' }), html: Type.String({ description: 'The body rendered and sanitised.' }) })]);

export function presentItem(i: StoredItem) {
  return {
    id: i.id,
    lang: i.lang,
    title: i.title,
    summary: i.summary,
    audience: i.audience,
    kind: i.kind,
    level: i.level,
    duration: i.duration,
    provider: i.provider,
    free: i.free,
    link: i.link,
    published: i.published,
    updated: i.updated,
    source: i.source,
    page: i.kind === 'news' ? `${urls.competenceNews()}#${i.id}` : urls.competenceItem(i.id),
    self: urls.api.contentItem(i.id),
  };
}

export const competenceApi: DomainPlugin = async (app, { services }) => {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/content',
    {
      schema: {
        tags,
        summary: 'Guides, courses, videos and news',
        description: 'The competence list, filtered by target group, kind and level, with counts per filter value (each count keeps the other filters; the kind counts include news). Unknown filter values or parameters are 400.',
        querystring: ListQuery,
        response: { 200: ListSchema },
      },
    },
    async (request) => {
      const { lang, ...q } = request.query;
      const filter = parseFilter(q);
      const result = await services.competence.list(filter, contentLang(lang ?? 'nb'));
      return { items: result.items.map(presentItem), total: result.total, counts: result.counts };
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ItemQuery> }>(
    '/content/:id',
    {
      schema: { tags, summary: 'One guide, course, video or news item', description: 'With its markdown body and the rendered, sanitised HTML. 404 for an unknown id.', params: IdParams, querystring: ItemQuery, response: { 200: ItemSchema } },
    },
    async (request) => {
      const item = await services.competence.get(request.params.id, contentLang(request.query.lang ?? 'nb'));
      return { ...presentItem(item), body: item.body, html: item.html };
    },
  );
};
