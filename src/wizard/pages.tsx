// The standalone sharing wizard "Kan du dele datasettet?" for anyone, no account, no JavaScript: a start page, one
// server-rendered page per area, and a result page. Every answer travels in the query string (question id → value,
// `v` = tree version), so the address of any page is also its "save for later" link; nothing is stored. Nynorsk pages
// show the bokmål texts of the tree (marked lang="nb") with nynorsk interface labels.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import { isLocale } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { ErrorSummary, sendPage } from '../web/layout';
import { urls } from '../web/urls';
import { treeLang } from './api';
import type { AreaId } from './model';
import { checkAnswers, evaluate, getTree, latestTreeVersion, visibleQuestions, type Evaluation, type WizardStop, type WizardTree } from './service';

void Fragment;

/** The step addresses (Norwegian, like the rest of the site's paths). */
export const AREA_SLUGS: Record<AreaId, string> = {
  personal_data: 'personopplysninger',
  confidentiality: 'taushetsplikt',
  contracts: 'avtaler',
  intellectual_property: 'immaterielle-rettigheter',
  national_security: 'nasjonal-sikkerhet',
  state_aid: 'offentlig-stotte',
  competition: 'konkurranserett',
};
const AREA_BY_SLUG = new Map(Object.entries(AREA_SLUGS).map(([id, slug]) => [slug, id as AreaId]));

/** Query keys that are not answers: the tree version, the submit marker, the questions a form showed, the language. */
const RESERVED = new Set(['v', 'go', 'shown', 'lang']);

interface WizardState {
  version: string;
  answers: Record<string, string>;
  /** Query to carry on every link: the answers, the version, and ?lang= when the visitor used it. */
  carry: Record<string, string>;
}

/**
 * Reads the wizard's state from the query string. A repeated key, an unknown question or value, or an oversized set is
 * a 400 naming them (rendered by wizardBadRequest, answers that fit are not lost: the page offers to start over).
 */
function readState(request: FastifyRequest): WizardState & { query: Record<string, unknown> } {
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (query.v !== undefined && (typeof query.v !== 'string' || !/^[0-9]{1,6}$/.test(query.v))) {
    throw new NotFoundError('Wizard version', String(query.v).slice(0, 20), 'wizard_version_not_found');
  }
  const version = typeof query.v === 'string' ? query.v : latestTreeVersion();
  const answers: Record<string, string> = {};
  const repeated: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (RESERVED.has(k)) continue;
    if (typeof v !== 'string') repeated.push(k.slice(0, 200));
    else if (v !== '') answers[k] = v;
  }
  if (repeated.length > 0) throw new BadRequestError(`Each question takes one answer: ${repeated.join(', ')}.`, { unknownQuestions: repeated, unknownValues: [] }, 'unknown_answer');
  checkAnswers(answers, version);
  // Answers to questions earlier answers hide are dropped from every link, so a changed answer leaves no stale ones.
  const visible = new Set(visibleQuestions(answers, version));
  const kept = Object.fromEntries(Object.entries(answers).filter(([k]) => visible.has(k)));
  const carry: Record<string, string> = { ...kept, v: version };
  if (isLocale(query.lang)) carry.lang = query.lang;
  return { version, answers: kept, carry, query };
}

function treeLangAttr(request: FastifyRequest): string | undefined {
  return request.locale === 'nn' ? 'nb' : undefined;
}

function wizardBadRequest(request: FastifyRequest, reply: FastifyReply, err: BadRequestError): FastifyReply {
  const { t } = request;
  const details = (err.details ?? {}) as { unknownQuestions?: string[]; unknownValues?: { questionId: string; value: string }[]; tooLong?: string[] };
  const names = [...(details.unknownQuestions ?? []), ...(details.unknownValues ?? []).map((u) => `${u.questionId}=${u.value}`), ...(details.tooLong ?? [])].slice(0, 20);
  return sendPage(
    request,
    reply,
    { title: t('wizard.bad.title'), status: 400 },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('wizard.bad.title')}</h1>
      <p class="ds-paragraph">{err.code === 'too_many_answers' ? t('wizard.bad.tooMany') : err.code === 'answer_too_long' ? t('wizard.bad.tooLong') : t('wizard.bad.unknown')}</p>
      {names.length > 0 ? (
        <ul class="ds-list">
          {names.map((n) => (
            <li>
              <code>{n}</code>
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <a class="ds-link" href={urls.sharingWizard()}>{t('wizard.restart')}</a>
      </p>
    </section>,
  );
}

/** Runs a page handler, turning a bad answer set into the wizard's own 400 page (other errors go to the handler). */
function guarded(fn: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(request, reply);
    } catch (err) {
      if (err instanceof BadRequestError) return wizardBadRequest(request, reply, err);
      throw err;
    }
  };
}

function StepNav(props: { request: FastifyRequest; tree: WizardTree; state: WizardState; current?: AreaId | 'result'; evaluation: Evaluation }): RawHtml {
  const { t } = props.request;
  return (
    <nav aria-label={t('wizard.steps.label')}>
      <ol class="ds-list">
        {props.tree.areas.map((a) => {
          const status = props.evaluation.summary.find((s) => s.area === a.id)?.status ?? 'unanswered';
          return (
            <li>
              <a class="ds-link" href={urls.sharingWizardStep(AREA_SLUGS[a.id], props.state.carry)} aria-current={props.current === a.id ? 'step' : undefined}>
                <span lang={treeLangAttr(props.request)}>{props.current === a.id ? <strong>{a.title}</strong> : a.title}</span>
              </a>
              {` – ${t(`wizard.status.${status}`)}`}
            </li>
          );
        })}
        <li>
          <a class="ds-link" href={urls.sharingWizardResult(props.state.carry)} aria-current={props.current === 'result' ? 'step' : undefined}>
            {props.current === 'result' ? <strong>{t('wizard.result.title')}</strong> : t('wizard.result.title')}
          </a>
        </li>
      </ol>
    </nav>
  );
}

function SaveLink(props: { request: FastifyRequest; href: string }): RawHtml {
  const { t } = props.request;
  return (
    <p class="ds-paragraph" data-size="sm">
      <a class="ds-link" href={props.href}>{t('wizard.save')}</a>
      {` – ${t('wizard.save.help')}`}
    </p>
  );
}

function StopBox(props: { request: FastifyRequest; tree: WizardTree; stop: WizardStop; state: WizardState; headingLevel: 2 | 3 }): RawHtml {
  const { t } = props.request;
  const { stop } = props;
  const question = props.tree.questions.find((q) => q.id === stop.questionId);
  return (
    <div class="ds-alert" data-color="danger">
      {h(
        props.headingLevel === 2 ? 'h2' : 'h3',
        { class: 'ds-heading', 'data-size': 'xs' },
        `${t('wizard.stop.label')}: `,
        <span lang={treeLangAttr(props.request)}>{stop.message}</span>,
      )}
      {stop.advice ? (
        <>
          <p class="ds-paragraph">
            <strong>{t('wizard.stop.whatNext')}</strong>
          </p>
          <p class="ds-paragraph" lang={treeLangAttr(props.request)}>{stop.advice}</p>
        </>
      ) : null}
      {question ? (
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.sharingWizardStep(AREA_SLUGS[stop.area], props.state.carry) + `#q-${stop.questionId}`}>{t('wizard.stop.change')}</a>
        </p>
      ) : null}
    </div>
  );
}

function Caveat(props: { request: FastifyRequest }): RawHtml {
  return <p class="ds-paragraph" data-size="sm">{props.request.t('wizard.caveat')}</p>;
}

export const wizardPages: DomainPlugin = async (app) => {
  app.get(
    '/kan-du-dele',
    { schema: { hide: true } },
    guarded(async (request, reply) => {
      const { t } = request;
      const state = readState(request);
      const tree = getTree(treeLang(request), state.version);
      const evaluation = evaluate(state.answers, { lang: treeLang(request), version: state.version });
      const started = Object.keys(state.answers).length > 0;
      const firstStep = urls.sharingWizardStep(AREA_SLUGS[tree.areas[0]!.id], state.carry);
      const nextArea = evaluation.next ? tree.questions.find((q) => q.id === evaluation.next)?.area : undefined;
      return sendPage(
        request,
        reply,
        { title: t('wizard.title'), alternates: [{ href: urls.api.sharingWizard({ version: state.version }), type: 'application/json', title: t('wizard.api') }] },
        <div class="df-stack">
          <h1 class="ds-heading" data-size="xl">{t('wizard.title')}</h1>
          <p class="ds-paragraph" data-size="lg">{t('wizard.lead')}</p>
          <Caveat request={request} />
          <h2 class="ds-heading" data-size="md">{t('wizard.areas.title')}</h2>
          <ol class="ds-list" lang={treeLangAttr(request)}>
            {tree.areas.map((a) => (
              <li>
                <strong>{a.title}</strong>
                {`: ${a.intro}`}
              </li>
            ))}
          </ol>
          <p class="df-actions">
            {started ? (
              <>
                <a class="ds-button" data-variant="primary" href={nextArea ? urls.sharingWizardStep(AREA_SLUGS[nextArea], state.carry) : urls.sharingWizardResult(state.carry)}>
                  {t('wizard.continue')}
                </a>
                <a class="ds-link" href={urls.sharingWizard()}>{t('wizard.restart')}</a>
              </>
            ) : (
              <a class="ds-button" data-variant="primary" href={firstStep}>{t('wizard.start')}</a>
            )}
          </p>
          <p class="ds-paragraph" data-size="sm">{t('wizard.private')}</p>
          <p class="ds-paragraph" data-size="sm">
            <a class="ds-link" href={urls.apiDocs()}>{t('wizard.api')}</a>
          </p>
        </div>,
      );
    }),
  );

  app.get(
    '/kan-du-dele/resultat',
    { schema: { hide: true } },
    guarded(async (request, reply) => {
      const { t } = request;
      const state = readState(request);
      const lang = treeLang(request);
      const tree = getTree(lang, state.version);
      const e = evaluate(state.answers, { lang, version: state.version });
      const nextArea = e.next ? tree.questions.find((q) => q.id === e.next)?.area : undefined;
      return sendPage(
        request,
        reply,
        { title: `${t('wizard.result.title')} – ${t('wizard.title')}`, alternates: [{ href: urls.api.sharingWizard({ version: state.version }), type: 'application/json', title: t('wizard.api') }] },
        <div class="df-stack">
          <h1 class="ds-heading" data-size="xl">{`${t('wizard.result.title')}: ${t('wizard.title')}`}</h1>
          <StepNav request={request} tree={tree} state={state} current="result" evaluation={e} />
          {!e.complete ? (
            <div class="ds-alert" data-color="warning">
              <h2 class="ds-heading" data-size="xs">{t('wizard.result.incomplete.title')}</h2>
              <p class="ds-paragraph">{t('wizard.result.incomplete.text')}</p>
              {nextArea ? (
                <p class="ds-paragraph">
                  <a class="ds-link" href={urls.sharingWizardStep(AREA_SLUGS[nextArea], state.carry) + `#q-${e.next}`}>{t('wizard.result.incomplete.link')}</a>
                </p>
              ) : null}
            </div>
          ) : null}
          {e.stops.length > 0 ? (
            <section class="df-stack" aria-labelledby="stops-heading">
              <h2 class="ds-heading" data-size="md" id="stops-heading">{t('wizard.result.stops', { count: e.stops.length })}</h2>
              <p class="ds-paragraph">{t('wizard.result.stopsLead')}</p>
              {tree.areas
                .filter((a) => e.stops.some((s) => s.area === a.id))
                .map((a) => (
                  <section class="df-stack" aria-labelledby={`stops-${a.id}`}>
                    <h3 class="ds-heading" data-size="sm" id={`stops-${a.id}`} lang={treeLangAttr(request)}>{a.title}</h3>
                    {e.stops
                      .filter((s) => s.area === a.id)
                      .map((s) => (
                        <StopBox request={request} tree={tree} stop={s} state={state} headingLevel={3} />
                      ))}
                  </section>
                ))}
            </section>
          ) : e.complete ? (
            <div class="ds-alert" data-color="success">
              <h2 class="ds-heading" data-size="sm">{t('wizard.result.clean.title')}</h2>
              <p class="ds-paragraph">{t('wizard.result.clean.text')}</p>
            </div>
          ) : null}
          <Caveat request={request} />
          <section class="df-stack" aria-labelledby="answers-heading">
            <h2 class="ds-heading" data-size="md" id="answers-heading">{t('wizard.result.answers')}</h2>
            {e.summary.map((s) => (
              <section aria-labelledby={`answers-${s.area}`}>
                <h3 class="ds-heading" data-size="xs" id={`answers-${s.area}`}>
                  <span lang={treeLangAttr(request)}>{s.title}</span>
                  {` – ${t(`wizard.status.${s.status}`)}`}
                </h3>
                {s.answers.length > 0 ? (
                  <dl class="df-meta" lang={treeLangAttr(request)}>
                    {s.answers.map((a) => (
                      <>
                        <dt>{a.question}</dt>
                        <dd>{a.label}</dd>
                      </>
                    ))}
                  </dl>
                ) : (
                  <p class="ds-paragraph" data-size="sm">{t('wizard.result.noAnswers')}</p>
                )}
                {e.notes
                  .filter((n) => n.area === s.area)
                  .map((n) => (
                    <p class="ds-paragraph" data-size="sm">
                      <strong>{`${t('wizard.note.label')}: `}</strong>
                      <span lang={treeLangAttr(request)}>{n.message}</span>
                    </p>
                  ))}
                <p class="ds-paragraph" data-size="sm">
                  <a class="ds-link" href={urls.sharingWizardStep(AREA_SLUGS[s.area], state.carry)}>
                    {t('wizard.result.change')}
                    <span class="ds-sr-only">{` – ${s.title}`}</span>
                  </a>
                </p>
              </section>
            ))}
          </section>
          <p class="ds-paragraph" data-size="sm">{t('wizard.result.version', { version: tree.version, date: tree.published })}</p>
          <SaveLink request={request} href={urls.sharingWizardResult(state.carry)} />
          <p>
            <a class="ds-link" href={urls.sharingWizard()}>{t('wizard.restart')}</a>
          </p>
        </div>,
      );
    }),
  );

  app.get<{ Params: { area: string } }>(
    '/kan-du-dele/:area',
    { schema: { hide: true } },
    guarded(async (request, reply) => {
      const { t } = request;
      const slug = (request.params as { area: string }).area;
      const area = AREA_BY_SLUG.get(slug);
      if (!area) throw new NotFoundError('Wizard step', slug.slice(0, 100));
      const state = readState(request);
      const lang = treeLang(request);
      const tree = getTree(lang, state.version);
      const areaIndex = tree.areas.findIndex((a) => a.id === area);
      const areaInfo = tree.areas[areaIndex]!;
      const visible = new Set(visibleQuestions(state.answers, state.version));
      const questions = tree.questions.filter((q) => q.area === area && visible.has(q.id));
      const submitted = state.query.go === '1';
      const shown = new Set(typeof state.query.shown === 'string' ? state.query.shown.split(',') : []);
      const missing = submitted ? questions.filter((q) => shown.has(q.id) && state.answers[q.id] === undefined) : [];
      const unanswered = questions.filter((q) => state.answers[q.id] === undefined);
      if (submitted && unanswered.length === 0) {
        // The step is done: on to the next area, or the result. `go` and `shown` stay out of the address.
        const next = tree.areas[areaIndex + 1];
        return reply.redirect(next ? urls.sharingWizardStep(AREA_SLUGS[next.id], state.carry) : urls.sharingWizardResult(state.carry), 303);
      }
      const revealed = submitted && missing.length === 0 && unanswered.length > 0;
      const e = evaluate(state.answers, { lang, version: state.version });
      const areaStops = e.stops.filter((s) => s.area === area);
      const otherAnswers = Object.entries(state.answers).filter(([k]) => !questions.some((q) => q.id === k));
      const prev = tree.areas[areaIndex - 1];
      const title = `${areaInfo.title} – ${t('wizard.title')}`;
      return sendPage(
        request,
        reply,
        { title: missing.length > 0 ? `${t('wizard.error.prefix')}: ${title}` : title, status: missing.length > 0 ? 400 : 200 },
        <div class="df-stack">
          <p class="ds-paragraph" data-size="sm">
            <a class="ds-link" href={urls.sharingWizard(state.carry)}>{t('wizard.title')}</a>
            {` · ${t('wizard.step.of', { n: areaIndex + 1, total: tree.areas.length })}`}
          </p>
          <h1 class="ds-heading" data-size="lg" lang={treeLangAttr(request)}>{areaInfo.title}</h1>
          <p class="ds-paragraph" lang={treeLangAttr(request)}>{areaInfo.intro}</p>
          <ErrorSummary
            title={t('wizard.error.title')}
            problems={missing.map((q) => ({ field: `q-${q.id}-${q.options[0]!.value}`, message: t('wizard.error.required', { question: q.text }) }))}
          />
          {revealed ? (
            <div class="ds-alert" data-color="info" role="status">
              <p class="ds-paragraph">{t('wizard.revealed')}</p>
            </div>
          ) : null}
          {areaStops.map((s) => (
            <StopBox request={request} tree={tree} stop={s} state={state} headingLevel={2} />
          ))}
          <form method="get" action={urls.sharingWizardStep(AREA_SLUGS[area])} class="df-form" novalidate>
            {otherAnswers.map(([k, v]) => (
              <input type="hidden" name={k} value={v} />
            ))}
            <input type="hidden" name="v" value={state.version} />
            {state.carry.lang ? <input type="hidden" name="lang" value={state.carry.lang} /> : null}
            <input type="hidden" name="shown" value={questions.map((q) => q.id).join(',')} />
            {questions.length === 0 ? <p class="ds-paragraph">{t('wizard.step.none')}</p> : null}
            {questions.map((q) => {
              const isMissing = missing.includes(q);
              const describedBy = [q.help ? `q-${q.id}-help` : '', isMissing ? `q-${q.id}-error` : ''].filter(Boolean).join(' ') || undefined;
              return (
                <fieldset class="ds-fieldset" id={`q-${q.id}`} aria-describedby={describedBy}>
                  <legend class="ds-label" lang={treeLangAttr(request)}>{q.text}</legend>
                  {q.help ? (
                    <div class="ds-paragraph" data-field="description" data-size="sm" id={`q-${q.id}-help`} lang={treeLangAttr(request)}>
                      {q.help}
                    </div>
                  ) : null}
                  {isMissing ? (
                    <div class="ds-validation-message" data-field="validation" id={`q-${q.id}-error`}>
                      {t('wizard.error.choose')}
                    </div>
                  ) : null}
                  {q.options.map((o) => (
                    <div class="ds-field">
                      <input
                        class="ds-input"
                        type="radio"
                        id={`q-${q.id}-${o.value}`}
                        name={q.id}
                        value={o.value}
                        checked={state.answers[q.id] === o.value}
                        aria-invalid={isMissing ? 'true' : undefined}
                      />
                      <label class="ds-label" data-weight="regular" for={`q-${q.id}-${o.value}`} lang={treeLangAttr(request)}>
                        {o.label}
                      </label>
                    </div>
                  ))}
                </fieldset>
              );
            })}
            <p class="df-actions">
              <button type="submit" class="ds-button" data-variant="primary" name="go" value="1">
                {tree.areas[areaIndex + 1] ? t('wizard.next') : t('wizard.toResult')}
              </button>
              {prev ? <a class="ds-link" href={urls.sharingWizardStep(AREA_SLUGS[prev.id], state.carry)}>{t('wizard.back')}</a> : null}
            </p>
          </form>
          <SaveLink request={request} href={urls.sharingWizardStep(AREA_SLUGS[area], state.carry)} />
          <StepNav request={request} tree={tree} state={state} current={area} evaluation={e} />
          <Caveat request={request} />
        </div>,
      );
    }),
  );
};
