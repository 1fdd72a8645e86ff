// The export of the seeded demo catalogue validated against the official shapes: DCAT-AP-NO 2.0 (Digdir) and SEMIC
// DCAT-AP 3.0.1 (shapes + range shapes), bundled in resources/dcat. Fails on any violation and prints them.
import fs from 'node:fs';
import path from 'node:path';
import rdf from '@zazuko/env-node';
import { Parser, type Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../seed/index';
import { createTestApp, type TestApp } from '../../../test/helpers/app';
import { DCAT_RESOURCES } from './serialise';
import { vocabularyQuads } from './vocabulary';

let t: TestApp;
let turtle = '';

beforeAll(async () => {
  t = await createTestApp();
  t.services.tables.registerJobs();
  await seedDemo(t.services, { log: { info: () => undefined } });
  await t.services.jobs.start();
  await t.services.jobs.drain(120_000);
  const res = await t.app.inject({ url: '/catalog.ttl' });
  expect(res.statusCode).toBe(200);
  turtle = res.body;
}, 180_000);
afterAll(async () => t?.close());

function parse(text: string): Quad[] {
  return new Parser({ format: 'Turtle' }).parse(text);
}

async function validate(shapeFiles: string[]) {
  const shapes = rdf.dataset();
  for (const f of shapeFiles) for (const q of parse(fs.readFileSync(path.join(DCAT_RESOURCES, f), 'utf8'))) shapes.add(q);
  const data = rdf.dataset();
  for (const q of parse(turtle)) data.add(q);
  // The vocabularies, loaded locally (no network), as a validator loads them beside the catalogue.
  for (const q of vocabularyQuads()) data.add(q);
  const validator = new SHACLValidator(shapes, { factory: rdf });
  const report = await validator.validate(data);
  const violations = report.results
    .filter((r) => r.severity?.value === 'http://www.w3.org/ns/shacl#Violation')
    .map((r) => `${r.focusNode?.value} ${r.path?.value ?? ''} = ${r.value?.value ?? ''}: ${r.message.map((m) => m.value).join(' / ')} [${r.sourceConstraintComponent?.value.replace('http://www.w3.org/ns/shacl#', 'sh:')}]`);
  const nodeShapes = [...shapes.match(null, rdf.ns.rdf.type, rdf.namedNode('http://www.w3.org/ns/shacl#NodeShape'))].length;
  // The focus nodes the shapes' sh:targetClass select in the data: what was actually checked.
  let targets = 0;
  for (const t of shapes.match(null, rdf.namedNode('http://www.w3.org/ns/shacl#targetClass'), null)) targets += [...data.match(null, rdf.ns.rdf.type, t.object)].length;
  return { violations, nodeShapes, targets, results: report.results.length };
}

describe('the seeded catalogue is valid DCAT', () => {
  it('has the datasets, their hosted tables as downloadable CSV files, and the data service serving them', () => {
    const quads = parse(turtle);
    const datasets = quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#dataset');
    expect(datasets.length).toBeGreaterThanOrEqual(5);
    const downloads = quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#downloadURL').map((q) => q.object.value);
    expect(downloads.length).toBeGreaterThanOrEqual(datasets.length);
    for (const d of downloads) expect(d).toMatch(/^http:\/\/localhost:3000\/api\/v1\/datasets\/[^/]+\/tables\/[^/]+\/download\/latest\/csv$/);
    expect(quads.filter((q) => q.predicate.value === 'http://www.w3.org/ns/dcat#servesDataset')).toHaveLength(datasets.length);
  });

  it('DCAT-AP-NO 2.0 shapes: 0 violations', async () => {
    const r = await validate(['DCAT-AP-NO-shacl_shapes_2.00.ttl']);
    if (r.violations.length) console.error(r.violations.join('\n'));
    console.info(`DCAT-AP-NO 2.0: ${r.nodeShapes} node shapes, ${r.targets} shape targets, ${r.results} results, ${r.violations.length} violations`);
    expect(r.targets).toBeGreaterThan(50);
    expect(r.nodeShapes).toBeGreaterThan(20);
    expect(r.violations).toEqual([]);
  });

  it('SEMIC DCAT-AP 3.0.1 shapes and range shapes: 0 violations', async () => {
    const r = await validate(['3.0.1_shacl_shapes.ttl', '3.0.1_shacl_range.ttl']);
    if (r.violations.length) console.error(r.violations.join('\n'));
    console.info(`SEMIC DCAT-AP 3.0.1: ${r.nodeShapes} node shapes, ${r.targets} shape targets, ${r.results} results, ${r.violations.length} violations`);
    expect(r.targets).toBeGreaterThan(50);
    expect(r.nodeShapes).toBeGreaterThan(20);
    expect(r.violations).toEqual([]);
  });
});
