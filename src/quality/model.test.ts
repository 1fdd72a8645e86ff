// The MQA rules, one by one: the weights are data.norge.no's (checked against the bundled vocabulary), a complete
// dataset reaches what the catalogue can express (430 of 435), and taking away each field loses exactly its points.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'n3';
import { describe, expect, it } from 'vitest';
import type { Dataset, Distribution } from '../catalog/model';
import { bareMediaType, DIMENSIONS, EXPRESSIBLE_MAX, fileTypeCode, METRICS, MQA_MAX, NO_FACTS, ratingOf, scoreDataset, summarise, type DistributionFacts, type UrlCheck } from './model';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHECKED: UrlCheck = { ok: true, status: 200, contentType: 'text/csv; charset=utf-8', syntaxValid: true, error: null, checkedAt: '2026-12-01T00:00:00.000Z' };

function dist(over: Partial<Distribution> = {}): Distribution {
  return {
    id: 'd1',
    datasetId: 'ds',
    title: { nb: 'Fil' },
    description: {},
    accessUrl: 'https://example.no/data',
    downloadUrl: 'https://example.no/data.csv',
    mediaType: 'text/csv',
    format: 'CSV',
    licence: null,
    byteSize: 1234,
    tableId: null,
    tableName: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

function complete(over: Partial<Dataset> = {}): Dataset {
  return {
    id: 'ds',
    hidden: false,
    state: 'published',
    publisher: { orgnr: '991825827', name: 'Digdir' },
    title: { nb: 'Befolkning' },
    description: { nb: 'Folketall per kommune.' },
    keywords: { nb: ['befolkning'] },
    themes: ['http://publications.europa.eu/resource/authority/data-theme/SOCI'],
    losThemes: [],
    accessRights: 'PUBLIC',
    licence: 'http://data.norge.no/nlod/no/2.0',
    contactPoint: { email: 'data@example.no' },
    spatial: ['0301'],
    temporal: { start: '2020-01-01', end: null },
    frequency: null,
    provenance: null,
    issued: '2020-01-01',
    modified: '2026-01-01',
    landingPage: null,
    legalBasis: { restriction: null, processing: null, access: null },
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    publishedAt: '2026-01-01T00:00:00Z',
    distributions: [dist()],
    ...over,
  };
}

const reachable: Record<string, DistributionFacts> = { d1: { ...NO_FACTS, accessCheck: CHECKED, downloadCheck: CHECKED } };
const earned = (r: ReturnType<typeof scoreDataset>, id: string) => r.metrics.find((m) => m.id === id)!.earned;

describe('weights', () => {
  it('are data.norge.no’s: 435 in all, the dimensions as documented, and equal to the bundled vocabulary', () => {
    expect(METRICS.reduce((s, m) => s + m.points, 0)).toBe(MQA_MAX);
    expect(MQA_MAX).toBe(435);
    const byDim = Object.fromEntries(DIMENSIONS.map((d) => [d, METRICS.filter((m) => m.dimension === d).reduce((s, m) => s + m.points, 0)]));
    expect(byDim).toEqual({ findability: 100, accessibility: 100, interoperability: 140, reusability: 75, contextuality: 20 });
    const ttl = fs.readFileSync(path.join(here, '../../resources/quality/dcatno-mqa-vocabulary-default-score-values.ttl'), 'utf8');
    const fromVocabulary: Record<string, number> = {};
    for (const q of new Parser().parse(ttl)) {
      if (q.predicate.value === 'https://data.norge.no/vocabulary/dcatno-mqa#trueScore') fromVocabulary[q.subject.value.split('#')[1]!] = Number(q.object.value);
    }
    expect(Object.fromEntries(METRICS.map((m) => [m.id, m.points]))).toEqual(fromVocabulary);
  });
});

describe('a complete dataset', () => {
  it('gets everything the catalogue can express (430: dct:rights has no field) and is excellent, with no hints', () => {
    const r = scoreDataset(complete(), reachable);
    expect(EXPRESSIBLE_MAX).toBe(430);
    expect(r.score).toBe(430);
    expect(r.max).toBe(435);
    expect(r.rating).toBe('excellent');
    expect(r.hints).toEqual([]);
    expect(r.dimensions.find((d) => d.id === 'contextuality')).toEqual({ id: 'contextuality', score: 15, max: 20 });
    expect(r.bestDistributionId).toBe('d1');
  });
});

// Each removal and the metrics it must cost (and nothing else).
const removals: [string, Partial<Dataset> | ((d: Dataset) => Dataset), string[]][] = [
  ['keywords', { keywords: {} }, ['keywordAvailability']],
  ['blank keywords', { keywords: { nb: ['  '] } }, ['keywordAvailability']],
  ['themes', { themes: [] }, ['categoryAvailability']],
  ['spatial', { spatial: [] }, ['spatialAvailability']],
  ['temporal', { temporal: { start: null, end: null } }, ['temporalAvailability']],
  ['description', { description: {} }, ['dcatApCompliance']],
  ['contact point (a name alone is not one)', { contactPoint: { name: 'Ola' } }, ['contactPointAvailability']],
  ['issued', { issued: null }, ['dateIssuedAvailability']],
  ['modified', { modified: null }, ['dateModifiedAvailability']],
  ['licence', { licence: null }, ['licenceAvailability', 'knownLicence']],
  ['a known licence', { licence: 'https://example.no/min-lisens' }, ['knownLicence']],
  ['access rights', (d) => ({ ...d, accessRights: null as unknown as Dataset['accessRights'] }), ['accessRightsAvailability', 'accessRightsVocabularyAlignment']],
  ['access rights from the vocabulary', (d) => ({ ...d, accessRights: 'OPEN' as unknown as Dataset['accessRights'] }), ['accessRightsVocabularyAlignment']],
  ['publisher', (d) => ({ ...d, publisher: { orgnr: '', name: '' } }), ['publisherAvailability', 'dcatApCompliance']],
  ['download URL', { distributions: [dist({ downloadUrl: null })] }, ['downloadUrlAvailability', 'downloadUrlStatusCode']],
  ['format', { distributions: [dist({ format: null })] }, ['formatAvailability']],
  ['media type', { distributions: [dist({ mediaType: null })] }, ['mediaTypeAvailability']],
  ['byte size', { distributions: [dist({ byteSize: null })] }, ['byteSizeAvailability']],
  ['a format from the vocabulary', { distributions: [dist({ format: 'EGEN', mediaType: 'application/x-egen' })] }, ['formatMediaTypeVocabularyAlignment', 'formatMediaTypeNonProprietary', 'formatMediaTypeMachineInterpretable', 'formatMatch']],
  ['a non-proprietary format', { distributions: [dist({ format: 'XLSX', mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })] }, ['formatMediaTypeNonProprietary', 'formatMatch']],
  ['a machine-readable format', { distributions: [dist({ format: 'PDF', mediaType: 'application/pdf' })] }, ['formatMediaTypeMachineInterpretable', 'formatMatch']],
  ['distributions', { distributions: [] }, METRICS.filter((m) => m.level === 'distribution' && m.expressible).map((m) => m.id)],
];

describe('each missing field loses exactly its points', () => {
  for (const [what, change, lost] of removals) {
    it(what, () => {
      const ds = typeof change === 'function' ? change(complete()) : complete(change);
      const r = scoreDataset(ds, reachable);
      const points = METRICS.filter((m) => lost.includes(m.id)).reduce((s, m) => s + m.points, 0);
      expect(r.score).toBe(430 - points);
      expect(r.metrics.filter((m) => m.expressible && m.earned === 0).map((m) => m.id).sort()).toEqual([...lost].sort());
      expect(r.hints.map((h) => h.metric).sort()).toEqual([...lost].sort());
      for (const h of r.hints) expect(h.points).toBe(METRICS.find((m) => m.id === h.metric)!.points);
    });
  }

  it('LOS themes count as themes', () => {
    const r = scoreDataset(complete({ themes: [], losThemes: ['https://psi.norge.no/los/tema/befolkning'] }), reachable);
    expect(earned(r, 'categoryAvailability')).toBe(30);
  });

  it('the dataset licence counts before the first distribution', () => {
    const r = scoreDataset(complete({ distributions: [] }), {});
    expect(earned(r, 'licenceAvailability') + earned(r, 'knownLicence')).toBe(30);
  });

  it('a distribution licence counts when the dataset has none', () => {
    const r = scoreDataset(complete({ licence: null, distributions: [dist({ licence: 'http://creativecommons.org/licenses/by/4.0/' })] }), reachable);
    expect(earned(r, 'licenceAvailability') + earned(r, 'knownLicence')).toBe(30);
  });

  it('hints are sorted by the points they add', () => {
    const r = scoreDataset(complete({ keywords: {}, issued: null, licence: null }), reachable);
    expect(r.hints.map((h) => [h.metric, h.points])).toEqual([
      ['keywordAvailability', 30],
      ['licenceAvailability', 20],
      ['knownLicence', 10],
      ['dateIssuedAvailability', 5],
    ]);
    expect(r.hints[0]!.target).toEqual({ kind: 'field', field: 'keywords_nb' });
  });
});

describe('reachability', () => {
  it('an unchecked external URL is not reachable; a failed check neither', () => {
    expect(scoreDataset(complete(), {}).score).toBe(430 - 50 - 30 - 15 - 15);
    const failed: UrlCheck = { ...CHECKED, ok: false, status: 404, error: 'status', syntaxValid: null };
    const r = scoreDataset(complete(), { d1: { ...NO_FACTS, accessCheck: failed, downloadCheck: CHECKED } });
    expect(earned(r, 'accessUrlStatusCode')).toBe(0);
    expect(earned(r, 'downloadUrlStatusCode')).toBe(30);
  });

  it('without an access URL the download URL is the access URL', () => {
    const r = scoreDataset(complete({ distributions: [dist({ accessUrl: null })] }), { d1: { ...NO_FACTS, downloadCheck: CHECKED } });
    expect(earned(r, 'accessUrlStatusCode')).toBe(50);
  });

  it('format match compares the served content type with the declared one; syntax needs a parsed body', () => {
    const html: UrlCheck = { ...CHECKED, contentType: 'text/html', syntaxValid: null };
    const r = scoreDataset(complete(), { d1: { ...NO_FACTS, accessCheck: html, downloadCheck: html } });
    expect(earned(r, 'formatMatch')).toBe(0);
    expect(earned(r, 'syntaxValid')).toBe(0);
    expect(earned(r, 'accessUrlStatusCode')).toBe(50);
  });

  it('a hosted table is reachable; with a ready version its syntax, format and size count', () => {
    const table = dist({ id: 't1', accessUrl: null, downloadUrl: null, byteSize: null, tableId: 'tab', tableName: 'befolkning' });
    const ready = scoreDataset(complete({ distributions: [table] }), { t1: { ...NO_FACTS, hosted: true, hostedReady: true, hostedByteSize: 999 } });
    expect(ready.score).toBe(430);
    const pending = scoreDataset(complete({ distributions: [table] }), { t1: { ...NO_FACTS, hosted: true, hostedReady: false, hostedByteSize: null } });
    expect(pending.score).toBe(430 - 15 - 15 - 5);
    expect(pending.hints.map((h) => h.metric).sort()).toEqual(['byteSizeAvailability', 'formatMatch', 'syntaxValid']);
  });

  it('the best distribution counts', () => {
    const poor = dist({ id: 'd0', format: null, mediaType: null, downloadUrl: null, byteSize: null });
    const r = scoreDataset(complete({ distributions: [poor, dist()] }), reachable);
    expect(r.bestDistributionId).toBe('d1');
    expect(r.score).toBe(430);
  });
});

describe('ratings', () => {
  it('follow data.norge.no’s thresholds (75/50/25 % of 435)', () => {
    expect(ratingOf(435)).toBe('excellent');
    expect(ratingOf(327)).toBe('excellent'); // 75.2 %
    expect(ratingOf(326)).toBe('good'); // 74.9 %
    expect(ratingOf(218)).toBe('good'); // 50.1 %
    expect(ratingOf(217)).toBe('sufficient');
    expect(ratingOf(109)).toBe('sufficient'); // 25.06 %
    expect(ratingOf(108)).toBe('poor');
    expect(ratingOf(0)).toBe('poor');
  });

  it('an empty draft is poor and every hint adds up to what it lacks', () => {
    const empty = complete({ keywords: {}, themes: [], spatial: [], temporal: { start: null, end: null }, description: {}, licence: null, contactPoint: {}, issued: null, modified: null, distributions: [] });
    const r = scoreDataset(empty);
    expect(r.rating).toBe('poor');
    expect(r.score + r.hints.reduce((s, h) => s + h.points, 0)).toBe(430);
  });

  it('every dataset-level hint of an empty draft pays exactly what it promises when followed', () => {
    const empty = complete({ keywords: {}, themes: [], spatial: [], temporal: { start: null, end: null }, description: {}, licence: null, contactPoint: {}, issued: null, modified: null, distributions: [] });
    const fixes: Record<string, Partial<Dataset>> = {
      keywordAvailability: { keywords: { nb: ['x'] } },
      categoryAvailability: { losThemes: ['https://psi.norge.no/los/tema/befolkning'] },
      spatialAvailability: { spatial: ['03'] },
      temporalAvailability: { temporal: { start: null, end: '2025-12-31' } },
      dcatApCompliance: { description: { en: 'Something.' } },
      licenceAvailability: { licence: 'https://example.no/lisens' },
      knownLicence: { licence: 'http://creativecommons.org/publicdomain/zero/1.0/' },
      contactPointAvailability: { contactPoint: { phone: '+47 22 00 00 00' } },
      dateIssuedAvailability: { issued: '2024-01-01' },
      dateModifiedAvailability: { modified: '2024-01-01' },
    };
    const r = scoreDataset(empty);
    const datasetHints = r.hints.filter((h) => METRICS.find((m) => m.id === h.metric)!.level === 'dataset');
    expect(datasetHints.map((h) => h.metric).sort()).toEqual(Object.keys(fixes).sort());
    for (const h of datasetHints) {
      const fixed = scoreDataset({ ...empty, ...fixes[h.metric] });
      // A known licence is also a licence: that fix pays both.
      const expected = h.metric === 'knownLicence' ? 30 : h.points;
      expect(fixed.score - r.score, h.metric).toBe(expected);
    }
  });

  it('an organisation summary averages scores and counts ratings', () => {
    const s = summarise('991825827', [
      { score: 430, rating: 'excellent' },
      { score: 100, rating: 'poor' },
    ]);
    expect(s).toMatchObject({ datasets: 2, averageScore: 265, rating: 'good', ratings: { excellent: 1, good: 0, sufficient: 0, poor: 1 } });
    expect(summarise('991825827', [])).toMatchObject({ datasets: 0, averageScore: null, rating: null });
  });
});

describe('format helpers', () => {
  it('read codes, EU URIs and media types with parameters', () => {
    expect(fileTypeCode('http://publications.europa.eu/resource/authority/file-type/CSV')).toBe('CSV');
    expect(fileTypeCode(' json ')).toBe('JSON');
    expect(bareMediaType('Text/CSV; charset=utf-8')).toBe('text/csv');
    expect(bareMediaType('https://www.iana.org/assignments/media-types/application/json')).toBe('application/json');
  });
});
