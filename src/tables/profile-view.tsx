// The column profile on the dataset page (issue 9.4, 10.2): a table of per-column statistics and automatic charts —
// a histogram for numeric columns, a timeline for dates, a bar chart of the most frequent values for categories —
// as server-rendered SVG: no client JavaScript, no inline style (CSP: colours and sizes are classes in app.css or SVG
// attributes), each chart an <svg role="img"> with <title>/<desc> and its numbers in a table below (the text
// alternative). Numbers are formatted for the page's language (nb/nn: 1 316 303,34; en: 1,316,303.34).
// What is shown is the service's decision (services.tables.profile → resolveDataAccess): this file only presents it;
// under a consent it says the profile is not available, and it is never called for viewers without data access.
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors';
import type { ColumnProfile, HistogramBin, ProfileValue } from '../platform/engine/profile';
import { hasKey } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import type { Services } from '../services';
import type { TableSummary } from './model';

void Fragment;

/** At most this many charts per table (the statistics table lists every column). */
const MAX_CHARTS = 12;
const W = 480;
const H = 160;
const PAD = { left: 8, right: 8, top: 8, bottom: 24 };

export function profileNumberFormat(locale: string, maxFraction = 2): Intl.NumberFormat {
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: maxFraction });
}

function show(v: ProfileValue | null, locale: string): string {
  if (v === null) return '–';
  if (typeof v === 'number') return profileNumberFormat(locale, 6).format(v);
  if (typeof v === 'boolean') return String(v);
  return v;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60);
}

interface Bar {
  label: string;
  count: number;
}

/** A vertical bar chart (histogram, timeline) or a horizontal one (top values), with title, desc and a data table. */
function Chart(props: { request: FastifyRequest; id: string; title: string; desc: string; bars: Bar[]; horizontal: boolean; kind: string; headers: [string, string] }): RawHtml {
  const fmt = profileNumberFormat(props.request.locale, 0);
  const max = Math.max(1, ...props.bars.map((b) => b.count));
  const n = Math.max(1, props.bars.length);
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;
  let marks: RawHtml[];
  let height = H;
  if (props.horizontal) {
    const rowH = 20;
    height = PAD.top + n * rowH + 4;
    const labelW = 160;
    const plotW = W - labelW - PAD.right - 56;
    marks = props.bars.map((b, i) => {
      const y = PAD.top + i * rowH;
      const w = Math.max(1, Math.round((b.count / max) * plotW));
      const label = b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label;
      return (
        <g>
          <text x={labelW - 6} y={y + 14} text-anchor="end" class="df-chart-label">{label}</text>
          <rect x={labelW} y={y + 3} width={w} height={rowH - 6} class="df-chart-bar" />
          <text x={labelW + w + 4} y={y + 14} class="df-chart-label">{fmt.format(b.count)}</text>
        </g>
      );
    });
  } else {
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const bw = plotW / n;
    marks = props.bars.map((b, i) => {
      const bh = b.count === 0 ? 0 : Math.max(1, Math.round((b.count / max) * plotH));
      return <rect x={(PAD.left + i * bw + (bw > 4 ? 1 : 0)).toFixed(1)} y={PAD.top + plotH - bh} width={Math.max(0.5, bw - (bw > 4 ? 2 : 0)).toFixed(1)} height={bh} class="df-chart-bar" />;
    });
    const first = props.bars[0]?.label ?? '';
    const last = props.bars[props.bars.length - 1]?.label ?? '';
    marks.push(<line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} class="df-chart-axis" />);
    marks.push(<text x={PAD.left} y={H - 6} class="df-chart-label">{first}</text>);
    marks.push(<text x={W - PAD.right} y={H - 6} text-anchor="end" class="df-chart-label">{last}</text>);
  }
  return (
    <figure class={`df-chart df-chart-${props.kind}`}>
      <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-labelledby={`${titleId} ${descId}`} focusable="false" xmlns="http://www.w3.org/2000/svg">
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>{props.desc}</desc>
        {marks}
      </svg>
      <figcaption class="ds-paragraph" data-size="sm">{props.title}</figcaption>
      <details>
        <summary>{props.request.t('tables.profile.chartData')}</summary>
        <div class="df-table-wrap" role="region" aria-label={props.title} tabindex="0">
          <table class="ds-table" data-size="sm">
            <caption>{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{props.headers[0]}</th>
                <th scope="col">{props.headers[1]}</th>
              </tr>
            </thead>
            <tbody>
              {props.bars.map((b) => (
                <tr>
                  <th scope="row">{b.label}</th>
                  <td class="df-num">{fmt.format(b.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

function binLabel(b: HistogramBin, kind: string, locale: string): string {
  if (kind !== 'numeric') return String(b.from);
  return `${show(b.from, locale)} – ${show(b.to, locale)}`;
}

/** The chart for one column, or null when it has none. */
export function columnChart(request: FastifyRequest, tableName: string, c: ColumnProfile): RawHtml | null {
  const t = request.t;
  const id = `chart-${slug(tableName)}-${slug(c.name)}`;
  const loc = request.locale;
  if (c.histogram && c.histogram.bins.length > 0) {
    const kind = c.histogram.kind;
    const bars = c.histogram.bins.map((b) => ({ label: binLabel(b, kind, loc), count: b.count }));
    const title = kind === 'numeric' ? t('tables.profile.histogram', { column: c.name }) : t('tables.profile.timeline', { column: c.name });
    const desc = t('tables.profile.chartDesc', {
      bins: bars.length,
      from: bars[0]!.label,
      to: bars[bars.length - 1]!.label,
      max: profileNumberFormat(loc, 0).format(Math.max(...bars.map((b) => b.count))),
    });
    const head: [string, string] = [t(kind === 'numeric' ? 'tables.profile.interval' : kind === 'month' ? 'tables.profile.month' : 'tables.profile.year'), t('tables.profile.count')];
    return <Chart request={request} id={id} title={title} desc={desc} bars={bars} horizontal={false} kind={kind === 'numeric' ? 'histogram' : 'timeline'} headers={head} />;
  }
  if (c.topValues.length > 0 && (c.type === 'VARCHAR' || c.type === 'BOOLEAN')) {
    const bars = c.topValues.map((v) => ({ label: show(v.value, loc), count: v.count }));
    const title = t('tables.profile.top', { column: c.name, count: bars.length });
    const desc = t('tables.profile.topDesc', { count: bars.length, first: bars[0]!.label, max: profileNumberFormat(loc, 0).format(bars[0]!.count) });
    return <Chart request={request} id={id} title={title} desc={desc} bars={bars} horizontal={true} kind="top" headers={[t('tables.profile.value'), t('tables.profile.count')]} />;
  }
  return null;
}

function semanticCell(request: FastifyRequest, c: ColumnProfile): string {
  if (!c.semantic) return '–';
  const key = `tables.semantic.${c.semantic.type}`;
  const name = hasKey(key) ? request.t(key) : c.semantic.type;
  if (c.semantic.basis === 'type') return name;
  const pct = new Intl.NumberFormat(request.locale === 'en' ? 'en-GB' : 'nb-NO', { style: 'percent', maximumFractionDigits: 1 }).format(c.semantic.validShare);
  return request.t(c.semantic.confirmed ? 'tables.profile.semanticValid' : 'tables.profile.semanticDoubt', { type: name, share: pct, checked: c.semantic.checked });
}

/** The profile table and charts of a table, for a viewer the service lets see them (or the consent notice). */
export async function ProfileSection(request: FastifyRequest, services: Services, datasetId: string, table: TableSummary): Promise<RawHtml | null> {
  const t = request.t;
  let view;
  try {
    view = await services.tables.profile(request.actor, datasetId, table.name);
  } catch (err) {
    if (err instanceof DomainError && err.status < 500) return null;
    throw err;
  }
  const headingId = `profile-${slug(table.name)}`;
  if (!view.available) {
    return (
      <div class="ds-alert" data-color="info">
        <p class="ds-paragraph">{t(view.reason === 'consent' ? 'tables.profile.consent' : 'tables.profile.notComputed')}</p>
      </div>
    );
  }
  const loc = request.locale;
  const fmt = profileNumberFormat(loc, 0);
  const charts = view.columns.map((c) => columnChart(request, table.name, c)).filter((x): x is RawHtml => x !== null).slice(0, MAX_CHARTS);
  const caption = t('tables.profile.caption', { title: table.title });
  return (
    <section class="df-stack df-profile" aria-labelledby={headingId}>
      <h4 class="ds-heading" data-size="xs" id={headingId}>{t('tables.profile.heading')}</h4>
      <div class="df-table-wrap" role="region" aria-label={caption} tabindex="0">
        <table class="ds-table" data-size="sm">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t('tables.columns.name')}</th>
              <th scope="col">{t('tables.profile.nulls')}</th>
              <th scope="col">{t('tables.profile.distinct')}</th>
              <th scope="col">{t('tables.profile.min')}</th>
              <th scope="col">{t('tables.profile.max')}</th>
              <th scope="col">{t('tables.profile.mean')}</th>
              <th scope="col">{t('tables.profile.semantic')}</th>
            </tr>
          </thead>
          <tbody>
            {view.columns.map((c) => (
              <tr>
                <th scope="row"><code>{c.name}</code></th>
                <td class="df-num">{fmt.format(c.nullCount)}</td>
                <td class="df-num">{c.distinctApproximate ? `≈ ${fmt.format(c.distinctCount)}` : fmt.format(c.distinctCount)}</td>
                <td class={typeof c.min === 'number' ? 'df-num' : undefined}>{show(c.min, loc)}</td>
                <td class={typeof c.max === 'number' ? 'df-num' : undefined}>{show(c.max, loc)}</td>
                <td class="df-num">{c.mean === null ? '–' : profileNumberFormat(loc, 2).format(c.mean)}</td>
                <td>{semanticCell(request, c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {charts.length > 0 ? <div class="df-charts">{charts}</div> : null}
    </section>
  );
}
