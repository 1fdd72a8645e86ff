// Charts of a query result, drawn on the server as SVG (no script needed; the result grid beside it is the data
// table): bar (a label column against a number, at most MAX_BARS bars), line (x in the order the query gives, at most
// MAX_POINTS points), scatter (two numbers, at most MAX_POINTS points). Each has a title and a description a screen
// reader announces, and says when rows were left out.
import type { FastifyRequest } from 'fastify';
import { profileNumberFormat } from '../tables/profile-view';
import { h, type RawHtml } from '../web/jsx';
import type { SqlResult } from '../sql/model';
import { isNumericType, type ChartSpec } from './model';

export const MAX_BARS = 40;
export const MAX_POINTS = 5000;
const W = 640;
const H = 320;
const PAD = { left: 64, right: 16, top: 16, bottom: 48 };

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function label(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Rounded tick values covering [min, max]. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const step0 = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export interface ChartData {
  points: { x: unknown; xv: number; y: number }[];
  skipped: number;
  cut: number;
}

/** The points a chart draws: rows whose y (and x, for numbers) is a number; the rest counted as skipped. */
export function chartData(result: Pick<SqlResult, 'columns' | 'rows'>, spec: ChartSpec): ChartData {
  const xi = result.columns.findIndex((c) => c.name === spec.x);
  const yi = result.columns.findIndex((c) => c.name === spec.y);
  const xNumeric = xi >= 0 && isNumericType(result.columns[xi]!.type);
  const limit = spec.kind === 'bar' ? MAX_BARS : MAX_POINTS;
  const points: ChartData['points'] = [];
  let skipped = 0;
  let cut = 0;
  result.rows.forEach((row, i) => {
    const y = num(row[yi]);
    const xv = spec.kind === 'bar' ? i : xNumeric ? num(row[xi]) : i;
    if (y === null || xv === null) {
      skipped += 1;
      return;
    }
    if (points.length >= limit) {
      cut += 1;
      return;
    }
    points.push({ x: row[xi], xv, y });
  });
  return { points, skipped, cut };
}

export function ResultChart(props: { request: FastifyRequest; result: Pick<SqlResult, 'columns' | 'rows'>; spec: ChartSpec; id?: string }): RawHtml {
  const { t, locale } = props.request;
  const { spec } = props;
  const fmt = profileNumberFormat(locale, 2);
  const data = chartData(props.result, spec);
  const id = props.id ?? 'result-chart';
  const title = t(`workbench.chart.title.${spec.kind}`, { x: spec.x, y: spec.y });
  const ys = data.points.map((p) => p.y);
  const yMin = Math.min(0, ...ys);
  const yMax = Math.max(0, ...ys);
  const desc = data.points.length
    ? t('workbench.chart.desc', { count: data.points.length, min: fmt.format(Math.min(...ys)), max: fmt.format(Math.max(...ys)) })
    : t('workbench.chart.empty');
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const yScale = (v: number) => PAD.top + plotH - ((v - yMin) / (yMax - yMin || 1)) * plotH;
  const marks: RawHtml[] = [];
  for (const tk of ticks(yMin, yMax)) {
    const y = yScale(tk).toFixed(1);
    marks.push(<line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} class="df-chart-grid" />);
    marks.push(<text x={PAD.left - 6} y={Number(y) + 4} text-anchor="end" class="df-chart-label">{fmt.format(tk)}</text>);
  }
  marks.push(<line x1={PAD.left} x2={W - PAD.right} y1={yScale(0)} y2={yScale(0)} class="df-chart-axis" />);
  if (spec.kind === 'bar' && data.points.length) {
    const bw = plotW / data.points.length;
    data.points.forEach((p, i) => {
      const y0 = yScale(0);
      const y1 = yScale(p.y);
      marks.push(
        <rect x={(PAD.left + i * bw + 1).toFixed(1)} y={Math.min(y0, y1).toFixed(1)} width={Math.max(0.5, bw - 2).toFixed(1)} height={Math.max(0.5, Math.abs(y0 - y1)).toFixed(1)} class="df-chart-bar">
          <title>{`${label(p.x)}: ${fmt.format(p.y)}`}</title>
        </rect>,
      );
    });
    const every = Math.ceil(data.points.length / 8);
    data.points.forEach((p, i) => {
      if (i % every !== 0) return;
      const text = label(p.x);
      marks.push(<text x={(PAD.left + (i + 0.5) * bw).toFixed(1)} y={H - PAD.bottom + 16} text-anchor="middle" class="df-chart-label">{text.length > 14 ? `${text.slice(0, 13)}…` : text}</text>);
    });
  } else if (data.points.length) {
    const xs = data.points.map((p) => p.xv);
    const xMin = Math.min(...xs);
    const xMax = Math.max(...xs);
    const xScale = (v: number) => PAD.left + ((v - xMin) / (xMax - xMin || 1)) * plotW;
    if (spec.kind === 'line') {
      const d = data.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${xScale(p.xv).toFixed(1)},${yScale(p.y).toFixed(1)}`).join(' ');
      marks.push(<path d={d} class="df-chart-line" fill="none" />);
    } else {
      for (const p of data.points) marks.push(<circle cx={xScale(p.xv).toFixed(1)} cy={yScale(p.y).toFixed(1)} r="3" class="df-chart-dot" />);
    }
    const numericX = isNumericType(props.result.columns.find((c) => c.name === spec.x)?.type ?? '');
    const first = data.points[0];
    const last = data.points[data.points.length - 1];
    if (numericX) {
      for (const tk of ticks(xMin, xMax)) marks.push(<text x={xScale(tk).toFixed(1)} y={H - PAD.bottom + 16} text-anchor="middle" class="df-chart-label">{fmt.format(tk)}</text>);
    } else if (first && last) {
      marks.push(<text x={PAD.left} y={H - PAD.bottom + 16} class="df-chart-label">{label(first.x)}</text>);
      marks.push(<text x={W - PAD.right} y={H - PAD.bottom + 16} text-anchor="end" class="df-chart-label">{label(last.x)}</text>);
    }
  }
  marks.push(<text x={PAD.left + plotW / 2} y={H - 8} text-anchor="middle" class="df-chart-label">{spec.x}</text>);
  marks.push(<text x={14} y={PAD.top + plotH / 2} text-anchor="middle" transform={`rotate(-90 14 ${PAD.top + plotH / 2})`} class="df-chart-label">{spec.y}</text>);
  return (
    <figure class="df-chart df-result-chart" id={id}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-labelledby={`${id}-title ${id}-desc`} focusable="false" xmlns="http://www.w3.org/2000/svg">
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{desc}</desc>
        {marks}
      </svg>
      <figcaption class="ds-paragraph" data-size="sm">
        {title}
        {data.skipped ? ` ${t('workbench.chart.skipped', { count: data.skipped })}` : ''}
        {data.cut ? ` ${t('workbench.chart.cut', { count: data.cut, limit: spec.kind === 'bar' ? MAX_BARS : MAX_POINTS })}` : ''}
      </figcaption>
    </figure>
  );
}
