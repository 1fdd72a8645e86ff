// The hand-written pieces of the export: content negotiation, and the RDF/XML writer's escaping and qnames.
import { DataFactory } from 'n3';
import { describe, expect, it } from 'vitest';
import { negotiate, NotAcceptableError } from './api';
import { serialise, splitQName, xmlEscape } from './serialise';

const { namedNode, literal, blankNode, quad } = DataFactory;

async function text(gen: AsyncIterable<string>) {
  let s = '';
  for await (const c of gen) s += c;
  return s;
}

describe('negotiate', () => {
  it('picks Turtle for none or wildcards, the named type otherwise, by q', () => {
    expect(negotiate(undefined)).toBe('turtle');
    expect(negotiate('*/*')).toBe('turtle');
    expect(negotiate('application/*')).toBe('jsonld');
    expect(negotiate('application/rdf+xml')).toBe('rdfxml');
    expect(negotiate('application/n-triples, text/turtle;q=0.1')).toBe('ntriples');
    expect(negotiate('text/html, */*;q=0.1')).toBe('turtle');
  });
  it('refuses what it cannot write, and q=0', () => {
    expect(() => negotiate('text/html')).toThrow(NotAcceptableError);
    expect(() => negotiate('text/turtle;q=0')).toThrow(NotAcceptableError);
  });
});

describe('the RDF/XML writer', () => {
  it('escapes markup in text and attributes, and CR so XML does not fold it', () => {
    expect(xmlEscape('a<b>&"c"\r\n')).toBe('a&lt;b&gt;&amp;"c"&#13;\n');
    expect(xmlEscape('a"b\nc\td', true)).toBe('a&quot;b&#10;c&#9;d');
  });
  it('replaces characters XML 1.0 cannot carry', () => {
    expect(xmlEscape('a\u0001b\uFFFEc')).toBe('a\uFFFDb\uFFFDc');
  });
  it('refuses a property without a valid XML local name', () => {
    expect(splitQName('http://purl.org/dc/terms/title')).toEqual({ ns: 'http://purl.org/dc/terms/', local: 'title' });
    expect(() => splitQName('http://example.org/1abc')).toThrow(/cannot be written as RDF\/XML/);
    expect(() => splitQName('http://example.org/ns/')).toThrow();
  });
  it('writes IRIs, blank nodes, language and datatype literals, and unknown namespaces declared in place', async () => {
    const s = namedNode('http://example.org/a?x=1&y=2');
    const b = blankNode('b1');
    const xml = await text(
      serialise(
        'rdfxml',
        (async function* () {
          yield [
            quad(s, namedNode('http://purl.org/dc/terms/title'), literal('Tittel <&>', 'nb')),
            quad(s, namedNode('http://example.org/vocab#size'), literal('12', namedNode('http://www.w3.org/2001/XMLSchema#integer'))),
            quad(s, namedNode('http://www.w3.org/ns/dcat#contactPoint'), b),
            quad(b, namedNode('http://www.w3.org/2006/vcard/ns#fn'), literal('Plain')),
          ];
        })(),
      ),
    );
    expect(xml).toContain('<rdf:Description rdf:about="http://example.org/a?x=1&amp;y=2">');
    expect(xml).toContain('<dct:title xml:lang="nb">Tittel &lt;&amp;&gt;</dct:title>');
    expect(xml).toContain('<p:size xmlns:p="http://example.org/vocab#" rdf:datatype="http://www.w3.org/2001/XMLSchema#integer">12</p:size>');
    expect(xml).toContain('<dcat:contactPoint rdf:nodeID="b1"/>');
    expect(xml).toContain('<vcard:fn>Plain</vcard:fn>');
    expect(xml.trim().endsWith('</rdf:RDF>')).toBe(true);
  });
});
