// The tolerant readers: publisher references in their known forms, dates with and without zones, language tags,
// themes from other vocabularies, and what each refuses.
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, urlProblem } from './fetch';
import { langOf, langText, langTextFromJson, licenceFromCkan, normaliseAccessRights, normaliseDate, normaliseDay, normaliseFormat, normaliseMediaType, orgnrFromAny, orgnrFromReference, sortThemes, spatialCode } from './normalise';
import { publisherKey } from './store';
import { ckanActionBase, norgeSearchUrl } from './sources';

const DIGDIR = '991825827';

describe('publisher references become the organisation number', () => {
  it.each([
    `https://data.brreg.no/enhetsregisteret/api/enheter/${DIGDIR}`,
    `http://data.brreg.no/enhetsregisteret/api/enheter/${DIGDIR}/`,
    `https://data.brreg.no/enhetsregisteret/enhet/${DIGDIR}`,
    `http://data.brreg.no/enhetsregisteret/enhet/${DIGDIR}.json`,
    `https://data.brreg.no/enhetsregisteret/oppslag/enheter/${DIGDIR}`,
    `https://data.brreg.no/enhetsregisteret/api/underenheter/${DIGDIR}`,
    `https://organization-catalog.fellesdatakatalog.digdir.no/organizations/${DIGDIR}`,
    `https://organization-catalogue.fellesdatakatalog.brreg.no/organizations/${DIGDIR}`,
    `https://data.norge.no/organizations/${DIGDIR}`,
    `https://data.norge.no/nb/organizations/${DIGDIR}`,
    `urn:no:orgnr:${DIGDIR}`,
    DIGDIR,
    '991 825 827',
    `NO ${DIGDIR} MVA`,
  ])('%s', (ref) => expect(orgnrFromReference(ref)).toBe(DIGDIR));

  it('refuses numbers with a wrong check digit and URIs that only contain nine digits', () => {
    expect(orgnrFromReference('https://data.brreg.no/enhetsregisteret/api/enheter/991825826')).toBeNull();
    expect(orgnrFromReference('https://example.no/items/991825827')).toBeNull();
    expect(orgnrFromReference('99182582')).toBeNull();
    expect(orgnrFromReference('')).toBeNull();
    expect(orgnrFromReference(null)).toBeNull();
  });

  it('takes the first reference that gives one (CKAN extras, organisation fields)', () => {
    expect(orgnrFromAny([undefined, 'kartverket', '971040238'])).toBe('971040238');
    expect(orgnrFromAny(['nope', null])).toBeNull();
  });

  it('keys an external agent by its URI, else its name, else the source — stable across runs', () => {
    const a = publisherKey({ orgnr: null, uri: 'http://ex.se/org/smhi', name: 'SMHI' }, 's1');
    expect(a).toMatch(/^ext-[0-9a-f]{16}$/);
    expect(publisherKey({ orgnr: null, uri: 'http://ex.se/org/smhi', name: 'Other name' }, 's2')).toBe(a);
    expect(publisherKey({ orgnr: null, uri: null, name: 'SMHI' }, 's1')).toBe(publisherKey({ orgnr: null, uri: null, name: 'smhi' }, 's2'));
    expect(publisherKey({ orgnr: null, uri: null, name: null }, 's1')).not.toBe(publisherKey({ orgnr: null, uri: null, name: null }, 's2'));
    expect(publisherKey({ orgnr: DIGDIR, uri: 'x', name: 'y' }, 's1')).toBe(DIGDIR);
  });
});

describe('dates', () => {
  it('keeps dates and UTC date-times, and converts offsets to UTC', () => {
    expect(normaliseDate('2024-02-29')).toBe('2024-02-29');
    expect(normaliseDate('2024-03-01T12:00:00Z')).toBe('2024-03-01T12:00:00.000Z');
    expect(normaliseDate('2024-03-01T12:00:00+02:00')).toBe('2024-03-01T10:00:00.000Z');
    expect(normaliseDate('2024-03-01T12:00:00-0130')).toBe('2024-03-01T13:30:00.000Z');
  });
  it('reads date-times without a zone as Norwegian local time, summer and winter, with microseconds', () => {
    expect(normaliseDate('2024-01-15T10:00:00')).toBe('2024-01-15T09:00:00.000Z');
    expect(normaliseDate('2024-07-15T10:00:00')).toBe('2024-07-15T08:00:00.000Z');
    expect(normaliseDate('2017-01-30T15:00:58.631297')).toBe('2017-01-30T14:00:58.631Z');
    expect(normaliseDate('2024-07-15 10:00')).toBe('2024-07-15T08:00:00.000Z');
    // Around the switch to summer time (02:00 → 03:00 on 31 March 2024) the offset in force is used.
    expect(normaliseDate('2024-03-31T01:30:00')).toBe('2024-03-31T00:30:00.000Z');
    expect(normaliseDate('2024-03-31T03:30:00')).toBe('2024-03-31T01:30:00.000Z');
  });
  it('reads the Norwegian dd.mm.yyyy form', () => expect(normaliseDate('7.3.2023')).toBe('2023-03-07'));
  it('refuses what is not a date', () => {
    for (const bad of ['2023-02-30', '2023-13-01', 'yesterday', '2023-01-01T25:00:00', '', '31.02.2023']) expect(normaliseDate(bad), bad).toBeNull();
  });
  it('gives the Norwegian day of a date-time for temporal coverage', () => {
    expect(normaliseDay('2023-12-31T23:30:00Z')).toBe('2024-01-01');
    expect(normaliseDay('2023-06-01')).toBe('2023-06-01');
  });
});

describe('language tags', () => {
  it('treats no, nb, nob, nor and their regional forms as bokmål; nn/nno as nynorsk; en-* as English; untagged as bokmål', () => {
    for (const tag of ['no', 'nb', 'NB-no', 'nob', 'nor', 'no_NO', '', null]) expect(langOf(tag), String(tag)).toBe('nb');
    for (const tag of ['nn', 'nn-NO', 'nno']) expect(langOf(tag)).toBe('nn');
    for (const tag of ['en', 'en-GB', 'eng']) expect(langOf(tag)).toBe('en');
    expect(langOf('sv')).toBeNull();
  });
  it('collects texts: first per language wins; a text only in another language fills bokmål', () => {
    expect(langText([{ value: 'Hei', lang: 'no' }, { value: 'Hallo', lang: 'nb' }, { value: 'Hello', lang: 'en' }])).toEqual({ nb: 'Hei', en: 'Hello' });
    expect(langText([{ value: 'Hej', lang: 'sv' }])).toEqual({ nb: 'Hej' });
    expect(langText([{ value: 'Hej', lang: 'sv' }, { value: 'Hi', lang: 'en' }])).toEqual({ en: 'Hi' });
    expect(langText([{ value: '   ', lang: 'nb' }])).toEqual({});
  });
  it('reads JSON language maps (CKAN fluent, data.norge.no) and plain strings', () => {
    expect(langTextFromJson({ no: 'Veier', en: 'Roads', de: 'Straßen' })).toEqual({ nb: 'Veier', en: 'Roads' });
    expect(langTextFromJson('Veier')).toEqual({ nb: 'Veier' });
    expect(langTextFromJson(42)).toEqual({});
  });
});

describe('vocabularies', () => {
  it('splits themes into EU data themes, LOS and other themes (kept, never rejected)', () => {
    expect(
      sortThemes([
        'http://publications.europa.eu/resource/authority/data-theme/ENVI',
        'https://publications.europa.eu/resource/authority/data-theme/TRAN',
        'GOVE',
        'https://psi.norge.no/los/ord/allergi',
        'https://register.geonorge.no/inspire-tema/hydrografi',
        'http://inspire.ec.europa.eu/theme/hy',
      ]),
    ).toEqual({
      themes: ['http://publications.europa.eu/resource/authority/data-theme/ENVI', 'http://publications.europa.eu/resource/authority/data-theme/TRAN', 'http://publications.europa.eu/resource/authority/data-theme/GOVE'],
      losThemes: ['https://psi.norge.no/los/ord/allergi'],
      otherThemes: ['https://register.geonorge.no/inspire-tema/hydrografi', 'http://inspire.ec.europa.eu/theme/hy'],
    });
  });
  it('reads access rights, licences, formats, media types and spatial codes in their common spellings', () => {
    expect(normaliseAccessRights('http://publications.europa.eu/resource/authority/access-right/RESTRICTED')).toBe('RESTRICTED');
    expect(normaliseAccessRights('public')).toBe('PUBLIC');
    expect(normaliseAccessRights('maybe')).toBeNull();
    expect(licenceFromCkan('cc-by', '')).toBe('http://creativecommons.org/licenses/by/4.0/');
    expect(licenceFromCkan('notspecified', null)).toBeNull();
    expect(normaliseFormat('http://publications.europa.eu/resource/authority/file-type/CSV')).toBe('CSV');
    expect(normaliseFormat('.csv')).toBe('CSV');
    expect(normaliseMediaType('https://www.iana.org/assignments/media-types/text/csv')).toBe('text/csv');
    expect(normaliseMediaType('not a type')).toBeNull();
    expect(spatialCode('https://data.geonorge.no/administrativeEnheter/kommune/id/0301')).toBe('0301');
    expect(spatialCode('https://data.geonorge.no/administrativeEnheter/kommune/id/172833')).toBeNull();
  });
});

describe('source addresses', () => {
  it('finds the CKAN Action API and the search endpoint from the addresses people paste', () => {
    expect(ckanActionBase('https://ckan.example.no')).toBe('https://ckan.example.no/api/3/action');
    expect(ckanActionBase('https://ckan.example.no/data/api/3/action/package_search')).toBe('https://ckan.example.no/data/api/3/action');
    expect(ckanActionBase('https://ckan.example.no/api/3')).toBe('https://ckan.example.no/api/3/action');
    expect(norgeSearchUrl('https://search.api.fellesdatakatalog.digdir.no')).toBe('https://search.api.fellesdatakatalog.digdir.no/search/datasets');
    expect(norgeSearchUrl('https://search.api.fellesdatakatalog.digdir.no/search')).toBe('https://search.api.fellesdatakatalog.digdir.no/search/datasets');
  });
  it('knows private, loopback, link-local and mapped addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['151.101.1.1', '2a02:c7f::1', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
    expect(urlProblem('http://127.0.0.1:8080/x', { allowPrivate: false })).toMatch(/private or loopback/);
    expect(urlProblem('http://[::1]/x', { allowPrivate: false })).toMatch(/private or loopback/);
    expect(urlProblem('http://localhost/x', { allowPrivate: false })).toMatch(/private or loopback/);
    expect(urlProblem('http://127.0.0.1:8080/x', { allowPrivate: true })).toBeNull();
    expect(urlProblem('file:///etc/passwd', { allowPrivate: true })).toMatch(/Only http and https/);
    expect(urlProblem('https://user:pw@example.no/', { allowPrivate: true })).toMatch(/user names or passwords/);
    expect(urlProblem('https://data.norge.no/api', { allowPrivate: false })).toBeNull();
  });
});
