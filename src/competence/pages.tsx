// Competence pages: /kompetanse (guides, courses and videos, filtered by target group, kind and level with a plain
// GET form and counts per value), one page per item rendered from markdown, the news page and its Atom feed, and the
// operator's content editor (/operator/innhold: list, new, edit with a server-rendered preview, remove an override).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, ConflictError, ValidationError, type FieldProblem } from '../errors';
import { errorFor, formBody, queryParams, str, type Form } from '../catalog/forms';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import { hasKey, type Translate } from '../web/i18n/index';
import { escapeHtml, Fragment, h, raw, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { AUDIENCES, CONTENT_LANGS, KINDS, LEVELS, type StoredItem } from './model';
import { contentLang, LISTED_KINDS, parseFilter, type ContentFilter, type ContentList, type OperatorRow } from './service';

void Fragment;

const label = (t: Translate, group: 'audience' | 'kind' | 'level', value: string) => t(`competence.${group}.${value}` as never);

function formatDate(iso: string | null, locale: string): string {
  if (!iso) return '';
  const d = new Date(`${iso.slice(0, 10)}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeZone: 'Europe/Oslo' }).format(d);
}

/** The text's language when it differs from the page's (nynorsk pages show bokmål; a missing en text shows nb). */
function langAttr(request: FastifyRequest, item: StoredItem): string | undefined {
  return item.lang === (request.locale === 'en' ? 'en' : request.locale) ? undefined : item.lang;
}

function ExternalLink(props: { t: Translate; item: StoredItem }): RawHtml {
  if (!props.item.link) return <></>;
  return (
    <a class="ds-link" href={props.item.link} rel="noopener noreferrer" data-external="true">
      {props.t('competence.external', { provider: props.item.provider })}
    </a>
  );
}

function Facts(props: { request: FastifyRequest; item: StoredItem }): RawHtml {
  const { t, locale } = props.request;
  const i = props.item;
  return (
    <dl class="df-meta">
      <dt>{t('competence.field.audience')}</dt>
      <dd>{label(t, 'audience', i.audience)}</dd>
      <dt>{t('competence.field.kind')}</dt>
      <dd>{label(t, 'kind', i.kind)}</dd>
      <dt>{t('competence.field.level')}</dt>
      <dd>{label(t, 'level', i.level)}</dd>
      {i.duration ? (
        <>
          <dt>{t('competence.field.duration')}</dt>
          <dd>{i.duration}</dd>
        </>
      ) : null}
      <dt>{t('competence.field.provider')}</dt>
      <dd>{i.provider}</dd>
      <dt>{t('competence.field.price')}</dt>
      <dd>{i.free ? t('competence.free') : t('competence.paid')}</dd>
      {i.updated || i.published ? (
        <>
          <dt>{t('competence.field.updated')}</dt>
          <dd>
            <time datetime={i.updated ?? i.published ?? ''}>{formatDate(i.updated ?? i.published, locale)}</time>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function FilterGroup(props: { t: Translate; group: 'audience' | 'kind' | 'level'; values: readonly string[]; current: string | undefined; counts: Record<string, number>; total: number }): RawHtml {
  const { t, group } = props;
  return (
    <fieldset class="ds-fieldset">
      <legend class="ds-label">{t(`competence.filter.${group}`)}</legend>
      <div class="ds-field">
        <input class="ds-input" type="radio" id={`${group}-all`} name={group} value="" checked={!props.current} />
        <label class="ds-label" data-weight="regular" for={`${group}-all`}>{t('competence.filter.all')}</label>
      </div>
      {props.values.map((v) => (
        <div class="ds-field">
          <input class="ds-input" type="radio" id={`${group}-${v}`} name={group} value={v} checked={props.current === v} />
          <label class="ds-label" data-weight="regular" for={`${group}-${v}`}>{`${label(t, group, v)} (${props.counts[v] ?? 0})`}</label>
        </div>
      ))}
    </fieldset>
  );
}

function ListPage(props: { request: FastifyRequest; filter: ContentFilter; list: ContentList; error?: string }): RawHtml {
  const { request, filter, list } = props;
  const t = request.t;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('competence.list.title')}</h1>
      <p class="ds-paragraph">{t('competence.list.lead')}</p>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.competenceNews()}>{t('competence.news.link')}</a>
        {' · '}
        <a class="ds-link" href={urls.sharingWizard()}>{t('competence.wizard.link')}</a>
        {request.actor.user?.isOperator ? (
          <>
            {' · '}
            <a class="ds-link" href={urls.operatorContent()}>{t('competence.op.link')}</a>
          </>
        ) : null}
      </p>
      {props.error ? (
        <div class="ds-alert" data-color="danger" role="alert">
          <p class="ds-paragraph">{props.error}</p>
        </div>
      ) : null}
      <form method="get" action={urls.competence()} class="df-stack" id="filters" aria-label={t('competence.filter.label')}>
        <div class="df-actions">
          <FilterGroup t={t} group="audience" values={AUDIENCES} current={filter.audience} counts={list.counts.audience} total={list.total} />
          <FilterGroup t={t} group="kind" values={LISTED_KINDS} current={filter.kind} counts={list.counts.kind} total={list.total} />
          <FilterGroup t={t} group="level" values={LEVELS} current={filter.level} counts={list.counts.level} total={list.total} />
        </div>
        <div class="df-actions">
          <button type="submit" class="ds-button" data-variant="primary">{t('competence.filter.submit')}</button>
          {filter.audience || filter.kind || filter.level ? <a class="ds-link" href={urls.competence()}>{t('competence.filter.clear')}</a> : null}
        </div>
      </form>
      <p class="ds-paragraph" role="status">{t('competence.list.count', { total: list.total })}</p>
      {list.items.length === 0 ? (
        <p class="ds-paragraph">{t('competence.list.empty')}</p>
      ) : (
        <ul class="ds-list df-stack">
          {list.items.map((i) => (
            <li lang={langAttr(request, i)}>
              <h2 class="ds-heading" data-size="xs">
                <a class="ds-link" href={urls.competenceItem(i.id)}>{i.title}</a>
              </h2>
              <p class="ds-paragraph" data-size="sm">
                {[label(t, 'kind', i.kind), label(t, 'audience', i.audience), label(t, 'level', i.level), i.duration, i.provider, i.free ? t('competence.free') : t('competence.paid')].filter(Boolean).join(' · ')}
              </p>
              <p class="ds-paragraph" data-size="sm">{i.summary}</p>
              {i.link ? (
                <p class="ds-paragraph" data-size="sm">
                  <ExternalLink t={t} item={i} />
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ItemPage(props: { request: FastifyRequest; item: StoredItem & { html: string } }): RawHtml {
  const { request, item } = props;
  const t = request.t;
  return (
    <article class="df-stack" lang={langAttr(request, item)}>
      <p class="ds-paragraph" data-size="sm">
        <a class="ds-link" href={item.kind === 'news' ? urls.competenceNews() : urls.competence()}>{item.kind === 'news' ? t('competence.news.back') : t('competence.back')}</a>
      </p>
      <h1 class="ds-heading" data-size="lg">{item.title}</h1>
      <p class="ds-paragraph" data-size="lg">{item.summary}</p>
      <Facts request={request} item={item} />
      {item.link ? (
        <p class="ds-paragraph">
          <ExternalLink t={t} item={item} />
        </p>
      ) : null}
      <div class="df-prose df-stack">{raw(item.html)}</div>
    </article>
  );
}

function NewsPage(props: { request: FastifyRequest; items: StoredItem[] }): RawHtml {
  const { request } = props;
  const t = request.t;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('competence.news.title')}</h1>
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.competenceFeed()} type="application/atom+xml">{t('competence.news.feed')}</a>
        {' · '}
        <a class="ds-link" href={urls.competence()}>{t('competence.back')}</a>
      </p>
      {props.items.length === 0 ? <p class="ds-paragraph">{t('competence.news.empty')}</p> : null}
      {props.items.map((i) => (
        <article class="df-stack" id={i.id} lang={langAttr(request, i)}>
          <h2 class="ds-heading" data-size="sm">
            <a class="ds-link" href={urls.competenceItem(i.id)}>{i.title}</a>
          </h2>
          <p class="ds-paragraph" data-size="sm">
            <time datetime={i.published ?? ''}>{formatDate(i.published, request.locale)}</time>
          </p>
          <p class="ds-paragraph">{i.summary}</p>
        </article>
      ))}
    </section>
  );
}

/**
 * Atom 1.0 (RFC 4287) for the news. Written out by hand: the feed is a dozen fixed elements, every value goes through
 * escapeHtml (which also escapes quotes, so it is safe in attributes), and no feed library is installed.
 */
export function atomFeed(opts: { baseUrl: string; title: string; lang: string; items: StoredItem[] }): string {
  const abs = (p: string) => new URL(p, opts.baseUrl).toString();
  const stamp = (d: string | null) => `${(d ?? '1970-01-01').slice(0, 10)}T00:00:00Z`;
  const updated = opts.items.reduce((max, i) => (stamp(i.updated ?? i.published) > max ? stamp(i.updated ?? i.published) : max), stamp(null));
  const e = escapeHtml;
  const entries = opts.items.map(
    (i) => `  <entry>
    <id>${e(abs(urls.competenceItem(i.id)))}</id>
    <title>${e(i.title)}</title>
    <link rel="alternate" type="text/html" href="${e(abs(urls.competenceItem(i.id)))}"/>
    <published>${stamp(i.published)}</published>
    <updated>${stamp(i.updated ?? i.published)}</updated>
    <author><name>${e(i.provider)}</name></author>
    <summary>${e(i.summary)}</summary>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${e(opts.lang)}">
  <id>${e(abs(urls.competenceNews()))}</id>
  <title>${e(opts.title)}</title>
  <updated>${updated}</updated>
  <link rel="self" type="application/atom+xml" href="${e(abs(urls.competenceFeed()))}"/>
  <link rel="alternate" type="text/html" href="${e(abs(urls.competenceNews()))}"/>
  <author><name>Datafabrikken</name></author>
${entries.join('\n')}
</feed>
`;
}

// --- operator -------------------------------------------------------------------------------------------------------

function OperatorList(props: { request: FastifyRequest; rows: OperatorRow[]; problems: { file: string; message: string }[]; done?: string }): RawHtml {
  const { request } = props;
  const t = request.t;
  return (
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('competence.op.title')}</h1>
      <p class="ds-paragraph">{t('competence.op.lead')}</p>
      {props.done && hasKey(`competence.op.done.${props.done}`) ? (
        <div class="ds-alert" data-color="success" role="status">
          <p class="ds-paragraph">{t(`competence.op.done.${props.done}` as never)}</p>
        </div>
      ) : null}
      {props.problems.length > 0 ? (
        <div class="ds-alert" data-color="danger" role="alert">
          <p class="ds-paragraph">{t('competence.op.importFailed')}</p>
          <ul class="ds-list">
            {props.problems.map((p) => (
              <li>{`${p.file}: ${p.message}`}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p class="ds-paragraph">
        <a class="ds-link" href={urls.operatorContentNew()}>{t('competence.op.new')}</a>
      </p>
      <div class="df-table-wrap" role="region" tabindex="0" aria-labelledby="content-caption">
        <table class="ds-table">
          <caption id="content-caption">{t('competence.op.caption', { total: props.rows.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('competence.op.col.title')}</th>
              <th scope="col">{t('competence.op.col.lang')}</th>
              <th scope="col">{t('competence.field.kind')}</th>
              <th scope="col">{t('competence.op.col.source')}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr>
                <td>
                  <a class="ds-link" href={urls.operatorContentItem(r.id, r.lang)}>{r.title}</a>
                  <br />
                  <code>{r.id}</code>
                </td>
                <td>{r.lang}</td>
                <td>{label(t, 'kind', r.kind)}</td>
                <td>
                  {r.source === 'operator' ? (r.inRepo ? t('competence.op.source.override') : t('competence.op.source.operator')) : t('competence.op.source.repo')}
                  {r.repoChanged ? (
                    <>
                      {' '}
                      <span class="ds-tag" data-color="warning">{t('competence.op.repoChanged')}</span>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const FIELD_IDS: Record<string, string> = { '/id': 'id', '/lang': 'lang', '/body': 'body' };
const fieldId = (field: string) => FIELD_IDS[field] ?? field.replace(/^\//, '');

function localise(t: Translate, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => {
    const f = fieldId(p.field);
    const key = `competence.problem.${p.code}`;
    return { field: f, code: p.code, message: hasKey(key) ? t(key as never, { field: hasKey(`competence.field.${f}`) ? t(`competence.field.${f}` as never) : f }) : p.message };
  });
}

function Choice(props: { t: Translate; id: string; group: 'audience' | 'kind' | 'level'; values: readonly string[]; value: string; error?: string }): RawHtml {
  const { t } = props;
  return (
    <div class="ds-field">
      <label class="ds-label" for={props.id}>{t(`competence.field.${props.group}`)}</label>
      <select id={props.id} name={props.id} class="ds-input" aria-invalid={props.error ? 'true' : undefined} aria-describedby={props.error ? `${props.id}-error` : undefined}>
        {props.values.map((v) => (
          <option value={v} selected={props.value === v}>{label(t, props.group, v)}</option>
        ))}
      </select>
      {props.error ? <div class="ds-validation-message" data-field="validation" id={`${props.id}-error`}>{props.error}</div> : null}
    </div>
  );
}

function EditPage(props: { request: FastifyRequest; form: Form; row?: OperatorRow; problems: FieldProblem[]; preview?: string }): RawHtml {
  const { request, form, row, problems } = props;
  const t = request.t;
  const f = (k: string) => str(form[k]);
  const action = row ? urls.operatorContentItem(row.id, row.lang) : urls.operatorContentNew();
  return (
    <section class="df-stack">
      <p class="ds-paragraph" data-size="sm">
        <a class="ds-link" href={urls.operatorContent()}>{t('competence.op.back')}</a>
      </p>
      <h1 class="ds-heading" data-size="lg">{row ? t('competence.op.editTitle', { id: row.id, lang: row.lang }) : t('competence.op.newTitle')}</h1>
      {row ? (
        <p class="ds-paragraph">
          {row.source === 'operator' ? (row.inRepo ? t('competence.op.source.override') : t('competence.op.source.operator')) : t('competence.op.source.repo')}
          {' · '}
          <a class="ds-link" href={urls.competenceItem(row.id)}>{t('competence.op.view')}</a>
        </p>
      ) : null}
      {row?.repoChanged ? (
        <div class="ds-alert" data-color="warning">
          <p class="ds-paragraph">{t('competence.op.repoChangedLong')}</p>
        </div>
      ) : null}
      <ErrorSummary title={t('error.validation_failed')} problems={problems} />
      <form method="post" action={action} class="df-form" novalidate>
        <CsrfField token={request.csrfToken} />
        {row ? null : (
          <>
            <TextField id="id" label={t('competence.field.id')} description={t('competence.field.id.desc')} value={f('id')} required error={errorFor(problems, 'id')} />
            <div class="ds-field">
              <label class="ds-label" for="lang">{t('competence.op.col.lang')}</label>
              <select id="lang" name="lang" class="ds-input">
                {CONTENT_LANGS.map((l) => (
                  <option value={l} selected={f('lang') === l}>{l === 'nb' ? 'Norsk bokmål' : 'English'}</option>
                ))}
              </select>
            </div>
          </>
        )}
        <TextField id="title" label={t('competence.field.title')} value={f('title')} required error={errorFor(problems, 'title')} />
        <TextField id="summary" label={t('competence.field.summary')} value={f('summary')} multiline required error={errorFor(problems, 'summary')} />
        <Choice t={t} id="audience" group="audience" values={AUDIENCES} value={f('audience')} error={errorFor(problems, 'audience')} />
        <Choice t={t} id="kind" group="kind" values={KINDS} value={f('kind')} error={errorFor(problems, 'kind')} />
        <Choice t={t} id="level" group="level" values={LEVELS} value={f('level')} error={errorFor(problems, 'level')} />
        <TextField id="duration" label={t('competence.field.duration')} value={f('duration')} error={errorFor(problems, 'duration')} />
        <TextField id="provider" label={t('competence.field.provider')} value={f('provider')} required error={errorFor(problems, 'provider')} />
        <div class="ds-field">
          <input class="ds-input" type="checkbox" id="free" name="free" value="true" checked={f('free') === 'true'} />
          <label class="ds-label" data-weight="regular" for="free">{t('competence.free')}</label>
        </div>
        <TextField id="link" label={t('competence.field.link')} description={t('competence.field.link.desc')} value={f('link')} type="url" error={errorFor(problems, 'link')} />
        <TextField id="published" label={t('competence.field.published')} description={t('competence.field.date.desc')} value={f('published')} error={errorFor(problems, 'published')} />
        <TextField id="updated" label={t('competence.field.updated')} description={t('competence.field.date.desc')} value={f('updated')} error={errorFor(problems, 'updated')} />
        <div class="ds-field">
          <label class="ds-label" for="body">{t('competence.field.body')}</label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="body-desc">{t('competence.field.body.desc')}</div>
          <textarea id="body" name="body" class="ds-input" rows="20" aria-describedby={errorFor(problems, 'body') ? 'body-desc body-error' : 'body-desc'} aria-invalid={errorFor(problems, 'body') ? 'true' : undefined}>{f('body')}</textarea>
          {errorFor(problems, 'body') ? <div class="ds-validation-message" data-field="validation" id="body-error">{errorFor(problems, 'body')}</div> : null}
        </div>
        <div class="df-actions">
          <button type="submit" class="ds-button" data-variant="secondary" name="action" value="preview">{t('competence.op.preview')}</button>
          <button type="submit" class="ds-button" data-variant="primary" name="action" value="save">{t('competence.op.save')}</button>
        </div>
      </form>
      {props.preview !== undefined ? (
        <section class="df-stack" aria-labelledby="preview-heading" id="preview">
          <h2 class="ds-heading" data-size="md" id="preview-heading">{t('competence.op.previewHeading')}</h2>
          <div class="df-prose df-stack">{raw(props.preview)}</div>
        </section>
      ) : null}
      {row && row.source === 'operator' ? (
        <form method="post" action={urls.operatorContentRemove(row.id, row.lang)} class="df-actions">
          <CsrfField token={request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="secondary" data-color="danger">{row.inRepo ? t('competence.op.revert') : t('competence.op.delete')}</button>
        </form>
      ) : null}
    </section>
  );
}

function formFromRow(r: OperatorRow): Form {
  return { title: r.title, summary: r.summary, audience: r.audience, kind: r.kind, level: r.level, duration: r.duration ?? '', provider: r.provider, free: r.free ? 'true' : '', link: r.link ?? '', published: r.published ?? '', updated: r.updated ?? '', body: r.body };
}

/** The form as front matter fields: blank optional fields are absent, the checkbox is a boolean. */
function fieldsFromForm(form: Form): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['title', 'summary', 'audience', 'kind', 'level', 'duration', 'provider', 'link', 'published', 'updated']) {
    const v = str(form[k]).trim();
    if (v !== '') out[k] = v;
  }
  out.free = str(form.free) === 'true';
  return out;
}

async function handleEdit(request: FastifyRequest, reply: FastifyReply, services: Services, row: OperatorRow | undefined): Promise<FastifyReply> {
  const t = request.t;
  const form = formBody(request);
  const body = str(form.body).replace(/\r\n/g, '\n');
  const title = row ? t('competence.op.editTitle', { id: row.id, lang: row.lang }) : t('competence.op.newTitle');
  try {
    if (str(form.action) === 'preview') {
      const preview = services.competence.preview(request.actor, body, t('competence.table'));
      return sendPage(request, reply, { title }, <EditPage request={request} form={form} row={row} problems={[]} preview={preview} />);
    }
    const saved = await services.competence.operatorSave(
      request.actor,
      { id: row ? row.id : str(form.id).trim(), lang: row ? row.lang : str(form.lang), fields: fieldsFromForm(form), body },
      row ? 'update' : 'create',
    );
    return reply.redirect(`${urls.operatorContentItem(saved.id, saved.lang)}?done=saved`, 303);
  } catch (err) {
    let problems: FieldProblem[] | undefined;
    if (err instanceof ValidationError) problems = err.problems;
    else if (err instanceof ConflictError && err.code === 'content_exists') problems = [{ field: '/id', code: err.code, message: err.message }];
    if (!problems) throw err;
    return sendPage(request, reply, { title, status: 422 }, <EditPage request={request} form={form} row={row} problems={localise(t, problems)} />);
  }
}

export const competencePages: DomainPlugin = async (app, { services }) => {
  // Import the repository's content when the server starts (and so after every upgrade).
  app.addHook('onReady', async () => {
    await services.competence.importRepository();
  });

  app.get('/kompetanse', { schema: { hide: true } }, async (request, reply) => {
    const q = queryParams(request);
    const lang = contentLang(request.locale);
    const t = request.t;
    const alternates = (f: ContentFilter) => [{ href: urls.api.content({ ...f, lang: request.locale }), type: 'application/json' }];
    try {
      const filter = parseFilter({ audience: q.audience, kind: q.kind, level: q.level });
      if (filter.kind === 'news') return reply.redirect(urls.competenceNews(), 303);
      const list = await services.competence.list(filter, lang);
      return sendPage(request, reply, { title: t('competence.list.title'), alternates: alternates(filter) }, <ListPage request={request} filter={filter} list={list} />);
    } catch (err) {
      if (!(err instanceof BadRequestError && err.code === 'bad_filter')) throw err;
      const list = await services.competence.list({}, lang);
      return sendPage(request, reply, { title: t('competence.list.title'), status: 400, alternates: alternates({}) }, <ListPage request={request} filter={{}} list={list} error={t('competence.filter.bad')} />);
    }
  });

  app.get('/kompetanse/nyheter', { schema: { hide: true } }, async (request, reply) => {
    const items = await services.competence.news(contentLang(request.locale));
    return sendPage(
      request,
      reply,
      { title: request.t('competence.news.title'), alternates: [{ href: urls.competenceFeed(), type: 'application/atom+xml', title: request.t('competence.news.feed') }] },
      <NewsPage request={request} items={items} />,
    );
  });

  app.get('/kompetanse/nyheter.atom', { schema: { hide: true } }, async (request, reply) => {
    const items = await services.competence.news(contentLang(request.locale));
    const xml = atomFeed({ baseUrl: services.platform.config.baseUrl, title: `${request.t('competence.news.title')} – ${request.t('site.name')}`, lang: contentLang(request.locale), items });
    return reply.type('application/atom+xml; charset=utf-8').send(xml);
  });

  app.get<{ Params: { id: string } }>('/kompetanse/:id', { schema: { hide: true } }, async (request, reply) => {
    const item = await services.competence.get(request.params.id, contentLang(request.locale), request.t('competence.table'));
    return sendPage(request, reply, { title: item.title, alternates: [{ href: urls.api.contentItem(item.id), type: 'application/json' }] }, <ItemPage request={request} item={item} />);
  });

  // --- operator ---

  app.get('/operator/innhold', { schema: { hide: true } }, async (request, reply) => {
    const rows = await services.competence.operatorList(request.actor);
    return sendPage(request, reply, { title: request.t('competence.op.title') }, <OperatorList request={request} rows={rows} problems={services.competence.importProblems()} done={str(queryParams(request).done)} />);
  });

  app.get('/operator/innhold/ny', { schema: { hide: true } }, async (request, reply) => {
    await services.competence.operatorList(request.actor);
    return sendPage(request, reply, { title: request.t('competence.op.newTitle') }, <EditPage request={request} form={{ lang: 'nb', audience: 'both', kind: 'guide', level: 'intro', provider: 'Datafabrikken', free: 'true' }} problems={[]} />);
  });

  app.post('/operator/innhold/ny', { schema: { hide: true } }, async (request, reply) => {
    await services.competence.operatorList(request.actor);
    return handleEdit(request, reply, services, undefined);
  });

  app.get<{ Params: { id: string; lang: string } }>('/operator/innhold/:id/:lang', { schema: { hide: true } }, async (request, reply) => {
    const row = await services.competence.operatorGet(request.actor, request.params.id, request.params.lang);
    const done = str(queryParams(request).done);
    return sendPage(
      request,
      reply,
      { title: request.t('competence.op.editTitle', { id: row.id, lang: row.lang }) },
      <>
        {done === 'saved' ? (
          <div class="ds-alert" data-color="success" role="status">
            <p class="ds-paragraph">{request.t('competence.op.done.saved')}</p>
          </div>
        ) : null}
        <EditPage request={request} form={formFromRow(row)} row={row} problems={[]} />
      </>,
    );
  });

  app.post<{ Params: { id: string; lang: string } }>('/operator/innhold/:id/:lang', { schema: { hide: true } }, async (request, reply) => {
    const row = await services.competence.operatorGet(request.actor, request.params.id, request.params.lang);
    return handleEdit(request, reply, services, row);
  });

  app.post<{ Params: { id: string; lang: string } }>('/operator/innhold/:id/:lang/fjern', { schema: { hide: true } }, async (request, reply) => {
    const { restored } = await services.competence.operatorRemove(request.actor, request.params.id, request.params.lang);
    return reply.redirect(`${urls.operatorContent()}?done=${restored ? 'reverted' : 'deleted'}`, 303);
  });
};
