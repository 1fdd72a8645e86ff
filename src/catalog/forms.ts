// Small helpers the organisation and catalogue pages share: reading url-encoded form bodies and translating field
// problems into the reader's language ("<area>.problem.<code>" when the catalogue has it, else the service's text).
import type { FastifyRequest } from 'fastify';
import type { FieldProblem } from '../errors';
import { hasKey, type Translate } from '../web/i18n/index';

export type Form = Record<string, unknown>;

export function formBody(request: FastifyRequest): Form {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Form) : {};
}

export function str(v: unknown): string {
  if (Array.isArray(v)) return str(v[0]);
  return typeof v === 'string' ? v : '';
}

export function list(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '');
}

/** "a, b ,c" → ['a','b','c'] */
export function commaList(v: unknown): string[] {
  return str(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function queryParams(request: FastifyRequest): Record<string, unknown> {
  const q = request.query;
  return q && typeof q === 'object' ? (q as Record<string, unknown>) : {};
}

/**
 * Problems in the reader's language. `fieldId` maps the service's JSON-pointer field ("/title/nb") to the form control
 * id; `params` gives interpolation values per problem.
 */
export function localiseProblems(
  t: Translate,
  area: 'org' | 'catalog',
  problems: FieldProblem[],
  fieldId: (field: string) => string,
  params: (p: FieldProblem) => Record<string, string | number> = () => ({}),
): FieldProblem[] {
  return problems.map((p) => {
    const key = `${area}.problem.${p.code}`;
    return { field: fieldId(p.field), code: p.code, message: hasKey(key) ? t(key, params(p)) : p.message };
  });
}

export function errorFor(problems: FieldProblem[], field: string): string | undefined {
  const msgs = problems.filter((p) => p.field === field).map((p) => p.message);
  return msgs.length > 0 ? [...new Set(msgs)].join(' ') : undefined;
}

/** 1-based page number from ?side= (or ?page=), clamped to ≥ 1. */
export function pageNumber(v: unknown): number {
  const n = Number.parseInt(str(v), 10);
  return Number.isFinite(n) && n >= 1 ? Math.min(n, 100_000) : 1;
}
