// Web parts of metadata quality (issue 9.7), each one call from its host page: the score, rating and dimensions on the
// dataset page (with hints linking into the editor for those who may edit), the hints inside the editor (linking to
// the fields on the same page), and the average and ratings of an organisation on its page.
import type { FastifyRequest } from 'fastify';
import type { Services } from '../services';
import type { MessageKey } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { urls } from '../web/urls';
import { MQA_MAX, RATINGS, type Hint, type Rating } from './model';
import type { DatasetQuality } from './service';

void Fragment;

const ABOUT_URL = 'https://data.norge.no/docs/metadata-quality';
const RATING_COLOR: Record<Rating, string> = { excellent: 'success', good: 'info', sufficient: 'warning', poor: 'danger' };

function percentText(n: number, locale: string): string {
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: 1 }).format(n);
}

function hintHref(datasetId: string, hint: Hint, inEditor: boolean): string {
  if (hint.target.kind === 'distributions') return `${urls.dataset(datasetId)}#distributions-heading`;
  return inEditor ? `#${hint.target.field}` : `${urls.datasetEdit(datasetId)}#${hint.target.field}`;
}

function Summary(props: { request: FastifyRequest; q: DatasetQuality }): RawHtml {
  const { t, locale } = props.request;
  const q = props.q;
  return (
    <>
      <p class="ds-paragraph">
        <strong>{t('quality.score', { score: q.score, max: q.max, percent: percentText(q.percent, locale) })}</strong>{' '}
        <span class="ds-tag" data-color={RATING_COLOR[q.rating]}>{t('quality.rating', { rating: t(`quality.rating.${q.rating}` as MessageKey) })}</span>
      </p>
      <dl class="df-meta">
        {q.dimensions.map((d) => (
          <>
            <dt>{t(`quality.dimension.${d.id}` as MessageKey)}</dt>
            <dd>{t('quality.dimension.value', { score: d.score, max: d.max })}</dd>
          </>
        ))}
      </dl>
      {q.checks.some((c) => c.state === 'pending') ? <p class="ds-paragraph" data-size="sm">{t('quality.pending', { count: q.checks.filter((c) => c.state === 'pending').length })}</p> : null}
    </>
  );
}

function Hints(props: { request: FastifyRequest; q: DatasetQuality; inEditor: boolean }): RawHtml {
  const { t } = props.request;
  const q = props.q;
  return (
    <>
      <h3 class="ds-heading" data-size="xs">{t('quality.hints.title')}</h3>
      {q.hints.length === 0 ? (
        <p class="ds-paragraph">{t('quality.hints.none')}</p>
      ) : (
        <ul class="ds-list df-quality-hints">
          {q.hints.map((hint) => (
            <li>
              <a class="ds-link" href={hintHref(q.datasetId, hint, props.inEditor)}>
                {t('quality.hint.points', { hint: t(`quality.hint.${hint.metric}` as MessageKey), points: hint.points })}
              </a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The dataset page's quality section: score, rating and dimensions for everyone; hints for those who may edit. */
export async function qualitySection(request: FastifyRequest, services: Services, datasetId: string, canEdit: boolean): Promise<RawHtml> {
  const q = await services.quality.datasetQuality(request.actor, datasetId);
  const { t } = request;
  return (
    <section class="df-stack" aria-labelledby="quality-heading" id="quality">
      <h2 class="ds-heading" data-size="md" id="quality-heading">{t('quality.title')}</h2>
      <Summary request={request} q={q} />
      {canEdit ? <Hints request={request} q={q} inEditor={false} /> : null}
      <p class="ds-paragraph" data-size="sm">
        {t('quality.about')} <a class="ds-link" href={ABOUT_URL} rel="noopener">{t('quality.about.link')}</a> ·{' '}
        <a class="ds-link" href={`/api/v1/datasets/${encodeURIComponent(datasetId)}/quality`} type="application/json">{t('quality.json')}</a>
      </p>
    </section>
  );
}

/** The editor's quality box: the score now and hints that jump to the fields of the form below. */
export async function qualityEditorHints(request: FastifyRequest, services: Services, datasetId: string): Promise<RawHtml> {
  const q = await services.quality.datasetQuality(request.actor, datasetId);
  return (
    <section class="ds-alert" data-color="info" aria-labelledby="quality-heading" id="quality">
      <h2 class="ds-heading" data-size="xs" id="quality-heading">{request.t('quality.title')}</h2>
      <Summary request={request} q={q} />
      <Hints request={request} q={q} inEditor={true} />
    </section>
  );
}

/** The organisation page's quality: average score and how many published datasets have each rating. */
export async function organisationQualitySection(request: FastifyRequest, services: Services, orgnr: string): Promise<RawHtml> {
  const s = await services.quality.organisationQuality(request.actor, orgnr);
  const { t, locale } = request;
  return (
    <section class="df-stack" aria-labelledby="org-quality-heading" id="quality">
      <h2 class="ds-heading" data-size="md" id="org-quality-heading">{t('quality.title')}</h2>
      {s.datasets === 0 || s.averageScore === null || s.rating === null ? (
        <p class="ds-paragraph">{t('quality.org.none')}</p>
      ) : (
        <>
          <p class="ds-paragraph">
            {t('quality.org.average', { count: s.datasets, score: percentText(s.averageScore, locale), max: MQA_MAX, percent: percentText(s.averagePercent ?? 0, locale) })}{' '}
            <span class="ds-tag" data-color={RATING_COLOR[s.rating]}>{t('quality.rating', { rating: t(`quality.rating.${s.rating}` as MessageKey) })}</span>
          </p>
          <h3 class="ds-heading" data-size="xs">{t('quality.org.distribution')}</h3>
          <dl class="df-meta">
            {RATINGS.map((r) => (
              <>
                <dt>{t(`quality.rating.${r}` as MessageKey)}</dt>
                <dd>{String(s.ratings[r])}</dd>
              </>
            ))}
          </dl>
        </>
      )}
      <p class="ds-paragraph" data-size="sm">
        <a class="ds-link" href={`/api/v1/organizations/${encodeURIComponent(orgnr)}/quality`} type="application/json">{t('quality.json')}</a>
      </p>
    </section>
  );
}
