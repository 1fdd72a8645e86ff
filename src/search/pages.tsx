// The search page /datasett: one GET form (words, sort, facet checkboxes), so every result page is a bookmarkable URL
// and works without JavaScript; /static/search.js only fills the search box's <datalist> with suggestions.
// Parameters (Norwegian, as the other pages): q, tilgang, tema, los, format, utgiver (old links: org), sted, kilde,
// ny, sortering, side. Values may repeat or be comma-separated; bad values are dropped, not an error.
import type { FastifyRequest } from 'fastify';
import { EU_THEME_BASE, accessRightsLabel, findEuTheme, labelIn, losLabel } from '../catalog/vocabularies';
import { queryParams, pageNumber, str, list } from '../catalog/forms';
import type { AccessRights, Dataset } from '../catalog/model';
import { titleIn } from '../catalog/service';
import { fylkeOf, validateKommunenummer } from '../identifiers/kommunenummer';
import type { DomainPlugin } from '../platform/http/plugin';
import type { MessageKey, Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { sendPage } from '../web/layout';
import { urls } from '../web/urls';
import { cleanFilters, SEARCH_SORTS, type FacetCount, type FacetName, type SearchFilters, type SearchResult, type SearchSort } from './model';
import { SEARCH_OFFSET_MAX } from './service';

void Fragment;

const PAGE_SIZE = 20;

/** URL parameter of each facet on the web page. */
const PARAM: Record<FacetName | 'new', string> = { access: 'tilgang', theme: 'tema', los: 'los', format: 'format', publisher: 'utgiver', spatial: 'sted', provenance: 'kilde', new: 'ny' };
const FACET_ORDER: (FacetName | 'new')[] = ['access', 'new', 'theme', 'los', 'publisher', 'spatial', 'format', 'provenance'];
const SORT_PARAM: Record<SearchSort, string> = { relevance: 'relevans', modified: 'endret', title: 'tittel', newest: 'nyeste' };

interface PageState {
  q: string;
  filters: SearchFilters;
  sort: SearchSort | undefined;
  page: number;
}

function readState(request: FastifyRequest): PageState {
  const query = queryParams(request);
  const values = (key: string) => list(query[key]);
  const raw = {
    access: values(PARAM.access),
    theme: values(PARAM.theme),
    los: values(PARAM.los),
    format: values(PARAM.format),
    publisher: [...values(PARAM.publisher), ...values('org')],
    spatial: values(PARAM.spatial),
    provenance: values(PARAM.provenance),
    isNew: ['1', 'true', 'ja'].includes(str(query[PARAM.new])),
  };
  const { filters } = cleanFilters(raw, false);
  const sortRaw = str(query.sortering);
  const sort = SEARCH_SORTS.find((s) => SORT_PARAM[s] === sortRaw);
  return { q: str(query.q).trim().slice(0, 200), filters, sort, page: pageNumber(query.side) };
}

/** The URL of this search with some parts changed (filters comma-joined, so links stay short). */
function searchUrl(state: PageState, change: Partial<PageState> = {}): string {
  const s = { ...state, ...change };
  const f = s.filters;
  const join = (v: string[] | undefined) => (v && v.length > 0 ? v.join(',') : undefined);
  return urls.datasets({
    q: s.q || undefined,
    [PARAM.access]: join(f.access),
    [PARAM.theme]: join(f.theme),
    [PARAM.los]: join(f.los),
    [PARAM.format]: join(f.format),
    [PARAM.publisher]: join(f.publisher),
    [PARAM.spatial]: join(f.spatial),
    [PARAM.provenance]: join(f.provenance),
    [PARAM.new]: f.isNew ? '1' : undefined,
    sortering: s.sort ? SORT_PARAM[s.sort] : undefined,
    side: s.page > 1 ? s.page : undefined,
  });
}

function spatialName(code: string): string {
  if (/^\d{2}$/.test(code)) return fylkeOf(code)?.name ?? code;
  const k = validateKommunenummer(code);
  return k.valid ? k.name : code;
}

function facetLabel(t: Translate, locale: string, facet: FacetName | 'new', f: FacetCount): string {
  switch (facet) {
    case 'access':
      return f.value === 'OPEN' ? t('search.access.open') : f.value === 'UNKNOWN' ? t('search.access.unknown') : accessRightsLabel(f.value as AccessRights, locale);
    case 'theme': {
      const c = findEuTheme(`${EU_THEME_BASE}${f.value}`);
      return c ? labelIn(c.label, locale) : f.value;
    }
    case 'los':
      return losLabel(f.value, locale) ?? f.value;
    case 'publisher':
      return f.label ?? f.value;
    case 'spatial':
      return spatialName(f.value);
    case 'provenance':
      return t(f.value === 'local' ? 'search.provenance.local' : 'search.provenance.harvested');
    case 'new':
      return t('search.facet.new.value');
    default:
      return f.value;
  }
}

function selectedValues(filters: SearchFilters, facet: FacetName | 'new'): string[] {
  if (facet === 'new') return filters.isNew ? ['true'] : [];
  return filters[facet] ?? [];
}

function withoutValue(filters: SearchFilters, facet: FacetName | 'new', value: string): SearchFilters {
  if (facet === 'new') return { ...filters, isNew: undefined };
  return { ...filters, [facet]: (filters[facet] ?? []).filter((v) => v !== value) };
}

function Facets(props: { request: FastifyRequest; state: PageState; result: SearchResult }): RawHtml {
  const { t, locale } = props.request;
  return (
    <div class="df-facets">
      <h2 class="ds-heading" data-size="xs">{t('search.facets.title')}</h2>
      {FACET_ORDER.map((facet) => {
        const counts = [...props.result.facets[facet]];
        const selected = selectedValues(props.state.filters, facet);
        // A selected value with no hits left still shows (count 0), so it can be unticked.
        for (const v of selected) if (!counts.some((c) => c.value === v)) counts.push({ value: v, count: 0 });
        if (counts.length === 0) return null;
        return (
          <fieldset class="ds-fieldset df-facet">
            <legend class="ds-label">{t(`search.facet.${facet}` as MessageKey)}</legend>
            {counts.map((c, i) => {
              const id = `f-${PARAM[facet]}-${i}`;
              return (
                <div class="ds-field">
                  <input class="ds-input" type="checkbox" id={id} name={PARAM[facet]} value={facet === 'new' ? '1' : c.value} checked={selected.includes(c.value)} />
                  <label class="ds-label" data-weight="regular" for={id}>
                    {`${facetLabel(t, locale, facet, c)} (${c.count})`}
                  </label>
                </div>
              );
            })}
          </fieldset>
        );
      })}
      <button type="submit" class="ds-button" data-variant="secondary">{t('catalog.filter.apply')}</button>
    </div>
  );
}

function ActiveFilters(props: { request: FastifyRequest; state: PageState; result: SearchResult }): RawHtml | null {
  const { t, locale } = props.request;
  const chips: RawHtml[] = [];
  for (const facet of FACET_ORDER) {
    for (const v of selectedValues(props.state.filters, facet)) {
      const known = props.result.facets[facet].find((c) => c.value === v) ?? { value: v, count: 0 };
      const href = searchUrl(props.state, { filters: withoutValue(props.state.filters, facet, v), page: 1 });
      chips.push(
        <li>
          <a class="ds-link" href={href}>{t('search.filter.remove', { label: facetLabel(t, locale, facet, known) })}</a>
        </li>,
      );
    }
  }
  if (chips.length === 0) return null;
  return (
    <nav aria-label={t('search.filter.active')}>
      <ul class="df-actions df-chips">{chips}</ul>
    </nav>
  );
}

function Hit(props: { request: FastifyRequest; d: Dataset }): RawHtml {
  const { t, locale } = props.request;
  const d = props.d;
  const desc = titleIn(d.description, locale);
  return (
    <li>
      <h3 class="ds-heading" data-size="xs">
        <a class="ds-link" href={urls.dataset(d.id)}>{titleIn(d.title, locale)}</a>
      </h3>
      <p class="ds-paragraph" data-size="sm">
        {`${d.publisher.name} · ${accessRightsLabel(d.accessRights, locale)}${d.state !== 'published' ? ` · ${t(d.state === 'archived' ? 'catalog.state.archived' : 'catalog.state.draft')}` : ''}`}
      </p>
      {desc ? <p class="ds-paragraph" data-size="sm">{desc.length > 240 ? `${desc.slice(0, 240)}…` : desc}</p> : null}
    </li>
  );
}

function NoResults(props: { request: FastifyRequest; state: PageState }): RawHtml {
  const { t } = props.request;
  const publishers = props.state.filters.publisher ?? [];
  return (
    <div class="df-stack">
      <p class="ds-paragraph">{t('catalog.list.empty')}</p>
      <p class="ds-paragraph">
        {t('search.empty.ask')} <a class="ds-link" href={urls.dataRequest({ q: props.state.q || undefined })}>{t('search.empty.askLink')}</a>
        {publishers.length === 1 && publishers[0] ? (
          <>
            {' '}
            <a class="ds-link" href={urls.organization(publishers[0])}>{t('search.empty.publisher')}</a>
          </>
        ) : null}
      </p>
    </div>
  );
}

function SearchPage(props: { request: FastifyRequest; state: PageState; result: SearchResult }): RawHtml {
  const { request, state, result } = props;
  const { t, actor, locale } = request;
  const pages = Math.max(1, Math.ceil(Math.min(result.total, SEARCH_OFFSET_MAX + PAGE_SIZE) / PAGE_SIZE));
  const canCreate = Object.values(actor.memberships).some((r) => r === 'admin' || r === 'editor') || actor.user?.isOperator === true;
  const sortChoice = state.sort ?? (state.q ? 'relevance' : 'newest');
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('catalog.list.title')}</h1>
      <p class="ds-paragraph">{t('catalog.list.lead')}</p>
      <form method="get" action={urls.datasets()} class="df-stack" role="search" id="search-form">
        <div class="df-search">
          <div class="ds-field">
            <label class="ds-label" for="q">{t('search.label')}</label>
            <input
              class="ds-input"
              type="search"
              id="q"
              name="q"
              value={state.q}
              list="q-suggestions"
              autocomplete="off"
              data-suggest-url={urls.api.searchSuggestions()}
              data-lang={locale}
            />
            <datalist id="q-suggestions"></datalist>
          </div>
          <button type="submit" class="ds-button" data-variant="primary">{t('catalog.search.button')}</button>
        </div>
        <div class="df-actions">
          <div class="ds-field">
            <label class="ds-label" for="sortering">{t('search.sort.label')}</label>
            <select class="ds-input" id="sortering" name="sortering">
              {SEARCH_SORTS.map((s) => (
                <option value={SORT_PARAM[s]} selected={s === sortChoice}>{t(`search.sort.${s}` as MessageKey)}</option>
              ))}
            </select>
          </div>
          {canCreate ? <a class="ds-button" data-variant="secondary" href={urls.datasetNew()}>{t('catalog.new.link')}</a> : null}
        </div>
        <div class="df-search-layout">
          <Facets request={request} state={state} result={result} />
          <div class="df-stack df-results">
            <h2 class="ds-heading" data-size="sm" role="status">{t('catalog.list.count', { total: result.total })}</h2>
            {result.fuzzy ? <p class="ds-paragraph" data-size="sm">{t('search.fuzzy')}</p> : null}
            <ActiveFilters request={request} state={state} result={result} />
            {result.items.length === 0 ? (
              <NoResults request={request} state={state} />
            ) : (
              <ul class="ds-list df-stack">
                {result.items.map((d) => (
                  <Hit request={request} d={d} />
                ))}
              </ul>
            )}
            {pages > 1 ? (
              <nav aria-label={t('catalog.list.paging')} class="df-actions">
                {state.page > 1 ? <a class="ds-link" rel="prev" href={searchUrl(state, { page: state.page - 1 })}>{t('catalog.list.prev')}</a> : null}
                <span>{t('catalog.list.page', { page: Math.min(state.page, pages), pages })}</span>
                {state.page < pages ? <a class="ds-link" rel="next" href={searchUrl(state, { page: state.page + 1 })}>{t('catalog.list.next')}</a> : null}
              </nav>
            ) : null}
          </div>
        </div>
      </form>
      <script src={urls.static('search.js')} defer></script>
    </section>
  );
}

export const searchPages: DomainPlugin = async (app, { services }) => {
  app.get('/datasett', { schema: { hide: true } }, async (request, reply) => {
    const state = readState(request);
    const offset = Math.min((state.page - 1) * PAGE_SIZE, SEARCH_OFFSET_MAX);
    const result = await services.search.search(request.actor, { q: state.q || undefined, filters: state.filters, sort: state.sort, limit: PAGE_SIZE, offset });
    const f = state.filters;
    const join = (v: string[] | undefined) => (v && v.length > 0 ? v.join(',') : undefined);
    const api = urls.api.datasets({
      q: state.q || undefined,
      access: join(f.access),
      theme: join(f.theme),
      los: join(f.los),
      format: join(f.format),
      publisher: join(f.publisher),
      spatial: join(f.spatial),
      provenance: join(f.provenance),
      new: f.isNew ? 'true' : undefined,
      sort: state.sort,
    });
    return sendPage(
      request,
      reply,
      { title: state.q ? request.t('search.title.q', { q: state.q }) : request.t('catalog.list.title'), alternates: [{ href: api, type: 'application/json', title: request.t('catalog.list.json') }] },
      <SearchPage request={request} state={state} result={result} />,
    );
  });
};
