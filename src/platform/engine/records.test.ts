// The independent record counter: line ends, quotes, escapes, no quoting, BOM, comments and chunk boundaries.
import { describe, expect, it } from 'vitest';
import { RecordScanner, scanBuffer, type ScanDialect } from './records';

const D: ScanDialect = { delimiter: ';', quote: '"', escape: '"', commentPrefix: '', skipLines: 0 };
const scan = (text: string | Buffer, d: Partial<ScanDialect> = {}) => scanBuffer(Buffer.isBuffer(text) ? text : Buffer.from(text), { ...D, ...d }, { collect: 100 });

describe('record scanner', () => {
  it('counts records with LF, CRLF and CR-only line ends alike', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const r = scan(['a;b', '1;2', '3;4'].join(nl) + nl);
      expect(r.records, JSON.stringify(nl)).toBe(3);
      expect(r.lines).toBe(3);
      expect(r.sample).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
      expect(r.raggedCount).toBe(0);
    }
    expect(scan('a;b\n1;2').records).toBe(2); // no final line break
  });

  it('keeps quoted delimiters and line breaks inside a field and counts physical lines', () => {
    const r = scan('id;tekst\n1;"a;b\r\nc"\n2;"x ""y"""\n3;z;extra\n');
    expect(r.records).toBe(4);
    expect(r.sample[1]).toEqual(['1', 'a;b\r\nc']);
    expect(r.sample[2]).toEqual(['2', 'x "y"']);
    expect(r.ragged).toEqual([{ line: 5, fields: 3 }]);
  });

  it('honours a separate escape character and no quoting at all', () => {
    expect(scan('a;b\n"x\\"y";2\n', { escape: '\\' }).sample[1]).toEqual(['x"y', '2']);
    const none = scan('a;b\n"x;2\n3";4\n', { quote: '', escape: '' });
    expect(none.records).toBe(3);
    expect(none.sample[1]).toEqual(['"x', '2']);
    expect(none.unterminatedQuoteLine).toBeUndefined();
    // A quote in the middle of a field is a plain character.
    expect(scan('a;b\n5" x;2\n').sample[1]).toEqual(['5" x', '2']);
  });

  it('reports an unterminated quote with the line it opened on', () => {
    expect(scan('a;b\n1;2\n"x;3\n4;5\n').unterminatedQuoteLine).toBe(3);
  });

  it('skips a UTF-8 BOM, blank lines, comment lines and leading lines, reporting each', () => {
    const r = scan('\uFEFFTitle\nnavn;alder\n\n# note\nKari;3\n\n', { commentPrefix: '#', skipLines: 1 });
    expect(r.records).toBe(2);
    expect(r.sample[0]).toEqual(['navn', 'alder']);
    expect(r.leading).toEqual({ count: 1, lines: [1] });
    expect(r.blank).toEqual({ count: 2, lines: [3, 6] });
    expect(r.comment).toEqual({ count: 1, lines: [4] });
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const text = Buffer.from('\uFEFFa;b\r\n"1\r\n2";"x""y"\r\n# c\r\n\r\n3;4\r5;6\n', 'utf8');
    const whole = scan(text, { commentPrefix: '#' });
    const scanner = new RecordScanner({ ...D, commentPrefix: '#' }, { collect: 100 });
    for (const byte of text) scanner.push(Buffer.from([byte]));
    const bytewise = scanner.end();
    expect(bytewise).toEqual(whole);
    expect(whole.records).toBe(4);
    expect(whole.lines).toBe(7);
  });

  it('writes a copy without comment lines', () => {
    const parts: Buffer[] = [];
    const scanner = new RecordScanner({ ...D, commentPrefix: '#' }, { emit: (b) => parts.push(Buffer.from(b)) });
    const text = 'a;b\r\n# x;y\r\n1;"#2"\n#z\n3;4';
    for (let i = 0; i < text.length; i += 3) scanner.push(Buffer.from(text.slice(i, i + 3)));
    scanner.end();
    expect(Buffer.concat(parts).toString()).toBe('a;b\r\n1;"#2"\n3;4');
  });

  it('writes line ends outside quotes as LF when asked, and notes mixed line ends', () => {
    const parts: Buffer[] = [];
    const text = 'a;b\r\n1;"x\r\ny"\n# c\r\n2;3\r4;5';
    const scanner = new RecordScanner({ ...D, commentPrefix: '#' }, { emit: (b) => parts.push(Buffer.from(b)), normaliseLineEnds: true });
    for (let i = 0; i < text.length; i += 2) scanner.push(Buffer.from(text.slice(i, i + 2)));
    const r = scanner.end();
    expect(Buffer.concat(parts).toString()).toBe('a;b\n1;"x\r\ny"\n2;3\n4;5');
    expect(r.mixedLineEndLine).toBe(3);
    expect(scan('a;b\r\n1;2\r\n').mixedLineEndLine).toBeUndefined();
  });

  it('measures the longest field and record', () => {
    const r = scan(`a;b\n${'x'.repeat(1000)};2\n`);
    expect(r.maxFieldBytes).toBe(1000);
    expect(r.maxRecordBytes).toBe(1002);
  });
});
