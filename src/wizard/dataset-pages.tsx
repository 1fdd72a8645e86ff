// The sharing wizard run from a dataset, as server-rendered pages that need no JavaScript (issue 12 part 2):
//   /datasett/:id/vurdering               — the overview: what it is, the steps with their status, summary and PDF links
//   /datasett/:id/vurdering/steg/:area    — one step per area (GET shows the questions the answers so far make visible;
//                                            POST saves and goes on: the same step when it revealed a follow-up question
//                                            or reached a stop, else the next step)
//   /datasett/:id/vurdering/oppsummering  — the summary: every answer with its question, the stops with advice
//   /datasett/:id/vurdering.pdf           — the same as a PDF
// Editors of the dataset's organisation only; the service decides (401 → sign-in page, 403/404 as the access door says).
// Also exports the warning the catalogue shows on the dataset page, the edit form and the publish confirmation.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { titleIn } from '../catalog/service';
import { NotFoundError, UnauthenticatedError } from '../errors';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import type { Locale, Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { CsrfField, ErrorSummary, sendPage } from '../web/layout';
import { urls } from '../web/urls';
import { treeLang, type DatasetAssessment } from './dataset';
import { AREA_IDS, type AreaId } from './model';
import { pdfFilename, renderAssessmentPdf } from './pdf';
import { getTree, visibleQuestions, type WizardStop, type WizardTree } from './service';

void Fragment;

function isArea(v: string): v is AreaId {
  return (AREA_IDS as readonly string[]).includes(v);
}

function formatDateTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(new Date(iso));
}

const STATUS_COLOR: Record<string, string> = { ok: 'success', stop: 'danger', unanswered: 'neutral' };

/** The anchor of a question on its step page. */
const questionAnchor = (id: string) => `q-${id}`;

function StopList(props: { t: Translate; stops: WizardStop[]; tree: WizardTree; datasetId?: string }): RawHtml {
  const { t } = props;
  return (
    <ul class="ds-list df-stack">
      {props.stops.map((s) => {
        const area = props.tree.areas.find((a) => a.id === s.area);
        return (
          <li>
            <strong>{`${area?.title ?? s.area}: `}</strong>
            {s.message}
            {s.advice ? (
              <p class="ds-paragraph" data-size="sm">
                {`${t('wizardDataset.advice')}: ${s.advice}`}
              </p>
            ) : null}
            {props.datasetId ? (
              <p class="ds-paragraph" data-size="sm">
                <a class="ds-link" href={urls.datasetAssessmentStep(props.datasetId, s.area, questionAnchor(s.questionId))}>
                  {t('wizardDataset.warning.goto', { area: area?.title ?? s.area })}
                </a>
              </p>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * The warning block for the catalogue (dataset page for editors, edit form at the access-level choice, publish
 * confirmation): the stops of the saved assessment with links back to their steps, or a nudge to run the wizard.
 * Null for anyone who may not update the dataset. `hasStops`: the catalogue then routes "publish" via its confirmation.
 */
export async function assessmentWarning(request: FastifyRequest, services: Services, datasetId: string): Promise<{ html: RawHtml; hasStops: boolean } | null> {
  const w = await services.sharingAssessments.warningFor(request.actor, datasetId, request.locale);
  if (!w) return null;
  const { t } = request;
  const tree = getTree(treeLang(request.locale));
  if (w.stops.length > 0) {
    return {
      hasStops: true,
      html: (
        <section class="ds-alert" data-color="warning" aria-labelledby="assessment-warning-heading" id="assessment-warning">
          <h2 class="ds-heading" data-size="xs" id="assessment-warning-heading">
            {t('wizardDataset.warning.title', { count: w.stops.length })}
          </h2>
          <p class="ds-paragraph">{t('wizardDataset.warning.lead')}</p>
          <StopList t={t} stops={w.stops} tree={tree} datasetId={datasetId} />
          <p class="ds-paragraph">
            <a class="ds-link" href={urls.datasetAssessmentSummary(datasetId)}>{t('wizardDataset.summary.link')}</a>
          </p>
        </section>
      ),
    };
  }
  return {
    hasStops: false,
    html: (
      <section class="ds-alert" data-color={w.saved ? 'success' : 'info'} aria-labelledby="assessment-warning-heading" id="assessment-warning">
        <h2 class="ds-heading" data-size="xs" id="assessment-warning-heading">
          {t(w.saved ? 'wizardDataset.warning.clearTitle' : 'wizardDataset.warning.noneTitle')}
        </h2>
        {!w.saved && w.prefilledPersonalData ? <p class="ds-paragraph">{t('wizardDataset.warning.personal')}</p> : null}
        <p class="ds-paragraph">
          <a class="ds-link" href={urls.datasetAssessment(datasetId)}>{t(w.saved ? 'wizardDataset.summary.change' : 'wizardDataset.start')}</a>
        </p>
      </section>
    ),
  };
}

function Steps(props: { t: Translate; a: DatasetAssessment; tree: WizardTree; current?: AreaId }): RawHtml {
  const { t, a } = props;
  return (
    <nav aria-label={t('wizardDataset.steps.label')}>
      <ol class="ds-list">
        {a.evaluation.summary.map((s) => {
          const title = props.tree.areas.find((x) => x.id === s.area)?.title ?? s.area;
          return (
            <li>
              <a class="ds-link" href={urls.datasetAssessmentStep(a.dataset.id, s.area)} aria-current={props.current === s.area ? 'step' : undefined}>
                {title}
              </a>{' '}
              <span class="ds-tag" data-color={STATUS_COLOR[s.status]}>
                {t(`wizardDataset.areaStatus.${s.status}`)}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

function SavedLine(props: { t: Translate; a: DatasetAssessment; locale: Locale; tree: WizardTree }): RawHtml {
  const { t, a } = props;
  return (
    <p class="ds-paragraph" data-size="sm">
      {a.saved
        ? t('wizardDataset.lastSaved', { date: formatDateTime(a.saved.savedAt, props.locale), name: a.saved.savedBy?.name ?? 'CLI' })
        : t('wizardDataset.notSaved')}{' '}
      {t('wizardDataset.pdf.version')}: {t('wizardDataset.versionLine', { version: props.tree.version, published: props.tree.published })}.
    </p>
  );
}

/** Loads the assessment for a page; anonymous readers are sent to sign in and come back. */
async function load(request: FastifyRequest, services: Services, id: string): Promise<DatasetAssessment> {
  return services.sharingAssessments.get(request.actor, id, request.locale);
}

function signInRedirect(reply: FastifyReply, next: string) {
  return reply.redirect(urls.signIn(next), 303);
}

function formValue(body: unknown, key: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[key];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : undefined;
}

export const datasetAssessmentPages: DomainPlugin = async (app, { services }) => {
  const assessments = services.sharingAssessments;

  function stepPage(request: FastifyRequest, reply: FastifyReply, a: DatasetAssessment, area: AreaId, answers: Record<string, string>, problems: { field: string; message: string }[] = [], status = 200) {
    const { t, locale } = request;
    const tree = getTree(treeLang(locale), a.treeVersion);
    const index = tree.areas.findIndex((x) => x.id === area);
    const areaInfo = tree.areas[index]!;
    const visible = new Set(visibleQuestions(answers, a.treeVersion));
    const questions = tree.questions.filter((q) => q.area === area && visible.has(q.id));
    const stops = a.evaluation.stops.filter((s) => s.area === area);
    const notes = a.evaluation.notes.filter((s) => s.area === area);
    const summary = a.evaluation.summary.find((s) => s.area === area);
    const next = tree.areas[index + 1];
    const prev = tree.areas[index - 1];
    const datasetTitle = titleIn(a.dataset.title, locale);
    const heading = t('wizardDataset.step.heading', { n: index + 1, total: tree.areas.length, area: areaInfo.title });
    return sendPage(
      request,
      reply,
      { title: `${heading} – ${datasetTitle}`, status, alternates: [{ href: urls.api.sharingAssessment(a.dataset.id), type: 'application/json' }] },
      <section class="df-stack">
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.datasetAssessment(a.dataset.id)}>{`${t('wizardDataset.title')} – ${datasetTitle}`}</a>
        </p>
        <h1 class="ds-heading" data-size="lg">{heading}</h1>
        <p class="ds-paragraph">{areaInfo.intro}</p>
        <ErrorSummary title={t('error.validation_failed')} problems={problems} />
        {stops.length > 0 ? (
          <section class="ds-alert" data-color="danger" aria-labelledby="step-stops" id="stops">
            <h2 class="ds-heading" data-size="xs" id="step-stops">{t('wizardDataset.step.stopHere')}</h2>
            <StopList t={t} stops={stops} tree={tree} />
            <p class="ds-paragraph">{t('wizardDataset.step.stopDecide')}</p>
          </section>
        ) : null}
        <form method="post" action={urls.datasetAssessmentStep(a.dataset.id, area)} class="df-stack">
          <CsrfField token={request.csrfToken} />
          <input type="hidden" name="_shown" value={questions.map((q) => q.id).join(' ')} />
          {questions.map((q) => {
            const source = a.prefill.sources[q.id];
            const prefilled = source && a.saved?.answers[q.id] === undefined && answers[q.id] === a.prefill.answers[q.id];
            const problem = problems.find((p) => p.field === questionAnchor(q.id));
            const describedBy = [q.help ? `${questionAnchor(q.id)}-help` : '', prefilled ? `${questionAnchor(q.id)}-prefill` : '', problem ? `${questionAnchor(q.id)}-error` : ''].filter(Boolean).join(' ');
            return (
              <fieldset class="ds-fieldset" id={questionAnchor(q.id)} aria-describedby={describedBy || undefined}>
                <legend class="ds-label">{q.text}</legend>
                {q.help ? (
                  <p class="ds-paragraph" data-size="sm" id={`${questionAnchor(q.id)}-help`}>
                    {q.help}
                  </p>
                ) : null}
                {prefilled ? (
                  <p class="ds-paragraph" data-size="sm" id={`${questionAnchor(q.id)}-prefill`}>
                    <span class="ds-tag" data-color="info">{t('wizardDataset.prefill.tag')}</span>{' '}
                    {source.source === 'fodselsnummer_column'
                      ? t('wizardDataset.prefill.fodselsnummer_column', { tables: (source.tables ?? []).join(', ') })
                      : t('wizardDataset.prefill.dataset_licence')}
                  </p>
                ) : null}
                {problem ? (
                  <div class="ds-validation-message" data-field="validation" id={`${questionAnchor(q.id)}-error`}>
                    {problem.message}
                  </div>
                ) : null}
                {q.options.map((o) => (
                  <div class="ds-field">
                    <input class="ds-input" type="radio" id={`${q.id}-${o.value}`} name={q.id} value={o.value} checked={answers[q.id] === o.value} />
                    <label class="ds-label" data-weight="regular" for={`${q.id}-${o.value}`}>
                      {o.label}
                    </label>
                  </div>
                ))}
              </fieldset>
            );
          })}
          {notes.length > 0 ? (
            <div class="ds-alert" data-color="info">
              <ul class="ds-list">
                {notes.map((n) => (
                  <li>{n.message}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <div class="df-actions">
            <button type="submit" class="ds-button" data-variant="primary">{t('wizardDataset.step.submit')}</button>
            {prev ? <a class="ds-link" href={urls.datasetAssessmentStep(a.dataset.id, prev.id)}>{t('wizardDataset.step.back')}</a> : null}
            {summary && summary.status !== 'unanswered' ? (
              <a class="ds-link" href={next ? urls.datasetAssessmentStep(a.dataset.id, next.id) : urls.datasetAssessmentSummary(a.dataset.id)}>
                {next ? t('wizardDataset.step.next', { area: next.title }) : t('wizardDataset.summary.title')}
              </a>
            ) : null}
          </div>
        </form>
        <SavedLine t={t} a={a} locale={locale} tree={tree} />
        <p class="ds-paragraph" data-size="sm">{t('wizardDataset.disclaimer')}</p>
      </section>,
    );
  }

  app.get<{ Params: { id: string } }>('/datasett/:id/vurdering', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return signInRedirect(reply, urls.datasetAssessment(id));
    const a = await load(request, services, id);
    const { t, locale } = request;
    const tree = getTree(treeLang(locale), a.treeVersion);
    const title = titleIn(a.dataset.title, locale);
    const firstOpen = a.evaluation.summary.find((s) => s.status === 'unanswered')?.area ?? tree.areas[0]!.id;
    return sendPage(
      request,
      reply,
      { title: `${t('wizardDataset.title')} – ${title}`, alternates: [{ href: urls.api.sharingAssessment(id), type: 'application/json' }] },
      <section class="df-stack">
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.dataset(id)}>{title}</a>
        </p>
        <h1 class="ds-heading" data-size="lg">{t('wizardDataset.title')}</h1>
        <p class="ds-paragraph">{t('wizardDataset.lead', { title })}</p>
        <p class="ds-paragraph">{t('wizardDataset.disclaimer')}</p>
        <SavedLine t={t} a={a} locale={locale} tree={tree} />
        <Steps t={t} a={a} tree={tree} />
        <div class="df-actions">
          <a class="ds-button" data-variant="primary" href={urls.datasetAssessmentStep(id, firstOpen)}>
            {t(a.saved ? 'wizardDataset.continue' : 'wizardDataset.start')}
          </a>
          <a class="ds-link" href={urls.datasetAssessmentSummary(id)}>{t('wizardDataset.summary.link')}</a>
        </div>
      </section>,
    );
  });

  app.get<{ Params: { id: string; area: string } }>('/datasett/:id/vurdering/steg/:area', { schema: { hide: true } }, async (request, reply) => {
    const { id, area } = request.params;
    if (!request.actor.user) return signInRedirect(reply, urls.datasetAssessmentStep(id, area));
    const a = await load(request, services, id);
    if (!isArea(area)) throw new NotFoundError('Step', area, 'not_found');
    return stepPage(request, reply, a, area, a.answers);
  });

  app.post<{ Params: { id: string; area: string } }>('/datasett/:id/vurdering/steg/:area', { schema: { hide: true } }, async (request, reply) => {
    const { id, area } = request.params;
    if (!request.actor.user) throw new UnauthenticatedError();
    const a = await load(request, services, id);
    if (!isArea(area)) throw new NotFoundError('Step', area, 'not_found');
    const tree = getTree(treeLang(request.locale), a.treeVersion);
    const answers = { ...a.answers };
    for (const q of tree.questions.filter((x) => x.area === area)) {
      const v = formValue(request.body, q.id);
      if (v !== undefined && v !== '') answers[q.id] = v;
    }
    // Questions the page showed but the form left unanswered: ask again (422) instead of saving half a step.
    const shown = (formValue(request.body, '_shown') ?? '').split(' ').filter(Boolean);
    const visible = new Set(visibleQuestions(answers, a.treeVersion));
    const missing = tree.questions.filter((q) => q.area === area && shown.includes(q.id) && visible.has(q.id) && answers[q.id] === undefined);
    if (missing.length > 0) {
      const problems = missing.map((q) => ({ field: questionAnchor(q.id), message: request.t('wizardDataset.step.required', { question: q.text }) }));
      return stepPage(request, reply, a, area, answers, problems, 422);
    }
    // A hand-made form with unknown ids or values gets the core's 400 naming them.
    const saved = await assessments.save(request.actor, id, { answers, version: a.treeVersion }, request.locale);
    const e = saved.evaluation;
    const index = tree.areas.findIndex((x) => x.id === area);
    const revealed = tree.questions.find((q) => q.area === area && visibleQuestions(saved.saved.answers, a.treeVersion).includes(q.id) && saved.saved.answers[q.id] === undefined);
    if (revealed) return reply.redirect(urls.datasetAssessmentStep(id, area, questionAnchor(revealed.id)), 303);
    if (e.stops.some((s) => s.area === area)) return reply.redirect(urls.datasetAssessmentStep(id, area, 'stops'), 303);
    const next = tree.areas[index + 1];
    return reply.redirect(next ? urls.datasetAssessmentStep(id, next.id) : urls.datasetAssessmentSummary(id), 303);
  });

  app.get<{ Params: { id: string } }>('/datasett/:id/vurdering/oppsummering', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return signInRedirect(reply, urls.datasetAssessmentSummary(id));
    const a = await load(request, services, id);
    const { t, locale } = request;
    const tree = getTree(treeLang(locale), a.treeVersion);
    const title = titleIn(a.dataset.title, locale);
    const e = a.evaluation;
    return sendPage(
      request,
      reply,
      {
        title: `${t('wizardDataset.summary.title')} – ${title}`,
        alternates: [
          { href: urls.api.sharingAssessment(id), type: 'application/json' },
          { href: urls.datasetAssessmentPdf(id), type: 'application/pdf', title: t('wizardDataset.pdf.link') },
        ],
      },
      <article class="df-stack">
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.datasetAssessment(id)}>{t('wizardDataset.title')}</a>
        </p>
        <h1 class="ds-heading" data-size="lg">{`${t('wizardDataset.summary.title')}: ${title}`}</h1>
        <dl class="df-meta">
          <dt>{t('wizardDataset.pdf.dataset')}</dt>
          <dd>
            <a class="ds-link" href={urls.dataset(id)}>{title}</a>
          </dd>
          <dt>{t('wizardDataset.pdf.publisher')}</dt>
          <dd>{`${a.dataset.publisher.name} (${t('wizardDataset.pdf.orgnr')} ${a.dataset.publisher.orgnr})`}</dd>
          <dt>{t('wizardDataset.pdf.date')}</dt>
          <dd>{a.saved ? <time datetime={a.saved.savedAt}>{formatDateTime(a.saved.savedAt, locale)}</time> : t('wizardDataset.notSaved')}</dd>
          {a.saved?.savedBy ? (
            <>
              <dt>{t('wizardDataset.pdf.savedBy')}</dt>
              <dd>{a.saved.savedBy.name}</dd>
            </>
          ) : null}
          <dt>{t('wizardDataset.pdf.version')}</dt>
          <dd>{t('wizardDataset.versionLine', { version: tree.version, published: tree.published })}</dd>
          <dt>{t('wizardDataset.pdf.status')}</dt>
          <dd>{e.stops.length > 0 ? t('wizardDataset.status.stops', { count: e.stops.length }) : e.complete ? t('wizardDataset.status.clear') : t('wizardDataset.status.incomplete')}</dd>
        </dl>
        <p class="ds-paragraph">{t('wizardDataset.disclaimer')}</p>
        {e.stops.length > 0 ? (
          <section class="ds-alert" data-color="danger" aria-labelledby="summary-stops">
            <h2 class="ds-heading" data-size="xs" id="summary-stops">{t('wizardDataset.stops.heading')}</h2>
            <StopList t={t} stops={e.stops} tree={tree} datasetId={id} />
          </section>
        ) : null}
        <h2 class="ds-heading" data-size="md">{t('wizardDataset.answers.heading')}</h2>
        {e.summary.map((s) => (
          <section class="df-stack" aria-labelledby={`area-${s.area}`}>
            <h3 class="ds-heading" data-size="sm" id={`area-${s.area}`}>
              {s.title}{' '}
              <span class="ds-tag" data-color={STATUS_COLOR[s.status]}>{t(`wizardDataset.areaStatus.${s.status}`)}</span>
            </h3>
            {s.answers.length === 0 ? (
              <p class="ds-paragraph">{t('wizardDataset.answers.none')}</p>
            ) : (
              <dl class="df-meta">
                {s.answers.map((ans) => (
                  <>
                    <dt>{ans.question}</dt>
                    <dd>{ans.label}</dd>
                  </>
                ))}
              </dl>
            )}
            <p class="ds-paragraph" data-size="sm">
              <a class="ds-link" href={urls.datasetAssessmentStep(id, s.area)}>{t('wizardDataset.summary.changeArea', { area: s.title })}</a>
            </p>
          </section>
        ))}
        <div class="df-actions">
          <a class="ds-button" data-variant="primary" href={urls.datasetAssessmentPdf(id)} type="application/pdf" download>
            {t('wizardDataset.pdf.link')}
          </a>
          <a class="ds-link" href={urls.dataset(id)}>{t('wizardDataset.backToDataset')}</a>
        </div>
      </article>,
    );
  });

  app.get<{ Params: { id: string } }>('/datasett/:id/vurdering.pdf', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return signInRedirect(reply, urls.datasetAssessmentPdf(id));
    const a = await load(request, services, id);
    const pdf = await renderAssessmentPdf(a, request.t, request.locale);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${pdfFilename(a, request.t)}"`)
      .send(pdf);
  });
};

