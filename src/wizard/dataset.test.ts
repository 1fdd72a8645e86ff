// Rules of the dataset integration that need no database: the prefill's question ids and values exist in the tree
// (agreed by reading the tree, checked here so a renamed question fails the suite), licence URIs map to the licence
// question, hidden answers are dropped, answer sets are shape-checked, and PDF text keeps æøå.
import { describe, expect, it } from 'vitest';
import { checkAnswerShape, LICENCE_QUESTION, licenceAnswer, PERSONAL_DATA_QUESTION, PERSONAL_DATA_YES, pruneHidden } from './dataset';
import { MAX_ANSWERS } from './model';
import { winAnsi } from './pdf';
import { getTree, treeVersions } from './service';

describe('prefill agrees with the tree', () => {
  it.each(treeVersions())('version %s has the personal-data and licence questions with the values the prefill gives', (version) => {
    const tree = getTree('nb', version);
    const pd = tree.questions.find((q) => q.id === PERSONAL_DATA_QUESTION);
    expect(pd?.area).toBe('personal_data');
    expect(pd?.options.map((o) => o.value)).toContain(PERSONAL_DATA_YES);
    const licence = tree.questions.find((q) => q.id === LICENCE_QUESTION);
    expect(licence?.area).toBe('intellectual_property');
    for (const uri of ['http://data.norge.no/nlod/no/2.0', 'http://creativecommons.org/licenses/by/4.0/', 'http://creativecommons.org/publicdomain/zero/1.0/', 'https://example.org/our-terms', null]) {
      expect(licence?.options.map((o) => o.value)).toContain(licenceAnswer(uri));
    }
  });

  it('maps every known form of a licence URI', () => {
    expect(licenceAnswer('http://publications.europa.eu/resource/authority/licence/NLOD_2_0')).toBe('nlod');
    expect(licenceAnswer('http://creativecommons.org/licenses/by/4.0/deed.no')).toBe('cc_by_4');
    expect(licenceAnswer('http://creativecommons.org/publicdomain/zero/1.0')).toBe('cc0');
    expect(licenceAnswer('https://example.org/our-terms')).toBe('other');
    expect(licenceAnswer(null)).toBe('none');
    expect(licenceAnswer('')).toBe('none');
  });
});

describe('answers', () => {
  it('drops answers the other answers hide, through chains', () => {
    expect(pruneHidden({ pd_present: 'no', pd_art6_basis: 'none', pd_special: 'yes', pd_art9_basis: 'none' })).toEqual({ pd_present: 'no' });
    expect(pruneHidden({ pd_present: 'yes', pd_special: 'no', pd_art9_basis: 'none' })).toEqual({ pd_present: 'yes', pd_special: 'no' });
  });

  it('refuses what is not a flat object of short strings, and too many answers', () => {
    expect(() => checkAnswerShape(null)).toThrow(/object/);
    expect(() => checkAnswerShape(['yes'])).toThrow(/object/);
    expect(() => checkAnswerShape({ pd_present: true })).toThrow(/text/);
    expect(() => checkAnswerShape({ pd_present: 'x'.repeat(201) })).toThrow(/at most/);
    expect(() => checkAnswerShape(Object.fromEntries(Array.from({ length: MAX_ANSWERS + 1 }, (_, i) => [`q${i}`, 'yes'])))).toThrow(/at most 200/);
    expect(checkAnswerShape({ pd_present: 'yes' })).toEqual({ pd_present: 'yes' });
  });
});

describe('PDF text', () => {
  it('keeps Norwegian letters and WinAnsi punctuation; replaces what Helvetica cannot print', () => {
    expect(winAnsi('Blåbærsyltetøy ÆØÅ § 13 – «sitat» “x” €')).toBe('Blåbærsyltetøy ÆØÅ § 13 – «sitat» “x” €');
    expect(winAnsi('≥ 5 → ok ✓ 😀')).toBe('>= 5 -> ok ? ?');
  });
});
