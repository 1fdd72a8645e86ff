// exceljs's streaming reader, loaded privately with one fix. exceljs 4.4.0 (lib/utils/parse-sax.js) decodes every
// inflated chunk of a part on its own, so a letter whose UTF-8 bytes straddle two chunks ("Å" = C3 85) becomes two
// U+FFFD — measured: 1 of 24,899 names of the Landbruksdirektoratet fixture lost its "Å" in an XLSX round trip. The
// fix decodes with one streaming, fatal TextDecoder per part (invalid UTF-8 fails instead of becoming U+FFFD). When
// exceljs is not loaded yet the fixed module is put in the shared module cache (everyone gets the fix); when it is,
// a private copy of exceljs's modules is loaded with the fix and the shared cache restored, so others are untouched.
import { createRequire, Module } from 'node:module';
import { dirname, sep } from 'node:path';
import type ExcelJSType from 'exceljs';

const require = createRequire(import.meta.url);

interface SaxEvent { eventType: string; value: unknown }

function fixedParseSax(SaxesParser: new () => { on(e: string, cb: (v: unknown) => void): void; write(s: string): void }) {
  return async function* parseSax(iterable: AsyncIterable<Buffer | string>): AsyncGenerator<SaxEvent[]> {
    const parser = new SaxesParser();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let error: unknown;
    let events: SaxEvent[] = [];
    parser.on('error', (err) => { error = err; });
    parser.on('opentag', (value) => events.push({ eventType: 'opentag', value }));
    parser.on('text', (value) => events.push({ eventType: 'text', value }));
    parser.on('closetag', (value) => events.push({ eventType: 'closetag', value }));
    for await (const chunk of iterable) {
      parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      if (error) throw error;
      yield events;
      events = [];
    }
    const rest = decoder.decode();
    if (rest !== '') {
      parser.write(rest);
      if (error) throw error;
      yield events;
    }
  };
}

function load(): typeof ExcelJSType {
  const saxPath = require.resolve('exceljs/lib/utils/parse-sax.js');
  const entry = require.resolve('exceljs/lib/exceljs.nodejs.js');
  const cache = require.cache;
  const fixed = () => {
    const saxes = createRequire(saxPath)('saxes') as { SaxesParser: Parameters<typeof fixedParseSax>[0] };
    const mod = new Module(saxPath);
    mod.filename = saxPath;
    mod.loaded = true;
    mod.exports = fixedParseSax(saxes.SaxesParser);
    return mod;
  };
  // exceljs not loaded yet: the fix goes into the shared module cache, so every user of exceljs in the process gets
  // it. (The entry file is required, not the package main, which an ES module import may have registered unloaded.)
  if (!cache[saxPath]) {
    cache[saxPath] = fixed();
    return require(entry) as typeof ExcelJSType;
  }
  // Loaded already with the broken decoder: a private copy of its modules, the shared cache restored afterwards.
  const root = dirname(require.resolve('exceljs/package.json')) + sep;
  const saved = Object.entries(cache).filter(([k]) => k.startsWith(root));
  for (const [k] of saved) delete cache[k];
  try {
    cache[saxPath] = fixed();
    return require(entry) as typeof ExcelJSType;
  } finally {
    for (const k of Object.keys(cache)) if (k.startsWith(root)) delete cache[k];
    for (const [k, v] of saved) cache[k] = v;
  }
}

/** exceljs with the UTF-8 fix, for reading. */
export const ExcelJS: typeof ExcelJSType = load();
