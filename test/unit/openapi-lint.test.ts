// The /api/v1 OpenAPI document lints clean with a standard linter (issue 8 §5): Redocly CLI, `recommended` ruleset,
// on the document the app generates. Any error or warning fails, naming the rule and where.
import { describe, expect, it } from 'vitest';
import { lintOpenApi, openApiDocument } from '../../scripts/openapi-doc';

describe('the OpenAPI document', () => {
  it('lints clean with Redocly’s recommended rules', async () => {
    const problems = lintOpenApi(await openApiDocument());
    expect(problems.map((p) => `${p.severity} ${p.ruleId} ${p.pointer}: ${p.message}`)).toEqual([]);
  });

  it('the linter does find problems (the test can fail)', () => {
    const broken = { openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: { '/a': { get: { responses: {} } } } };
    const problems = lintOpenApi(broken);
    expect(problems.some((p) => p.severity === 'error')).toBe(true);
  });
});
