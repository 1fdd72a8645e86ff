// exceljs's streaming reader, loaded privately with one fix. exceljs 4.4.0 (lib/utils/parse-sax.js) decodes every
// inflated chunk of a part on its own, so a letter whose UTF-8 bytes straddle two chunks ("Å" = C3 85) becomes two
// U+FFFD — measured: 1 of 24,899 names of the Landbruksdirektoratet fixture lost its "Å" in an XLSX round trip. The
// fix decodes with one streaming, fatal TextDecoder per part (invalid UTF-8 fails instead of becoming U+FFFD). It is
// loaded into a private copy of exceljs's modules (the shared module cache is restored afterwards), so other users
// of exceljs in the process are not touched whatever the load order.
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
  const root = dirname(require.resolve('exceljs/package.json')) + sep;
  const cache = require.cache;
  const saved = Object.entries(cache).filter(([k]) => k.startsWith(root));
  for (const [k] of saved) delete cache[k];
  try {
    const saxPath = require.resolve('exceljs/lib/utils/parse-sax.js');
    const saxes = createRequire(saxPath)('saxes') as { SaxesParser: Parameters<typeof fixedParseSax>[0] };
    const mod = new Module(saxPath);
    mod.filename = saxPath;
    mod.loaded = true;
    mod.exports = fixedParseSax(saxes.SaxesParser);
    cache[saxPath] = mod;
    return require('exceljs') as typeof ExcelJSType;
  } finally {
    for (const k of Object.keys(cache)) if (k.startsWith(root)) delete cache[k];
    for (const [k, v] of saved) cache[k] = v;
  }
}

/** exceljs with the UTF-8 fix, for reading. */
export const ExcelJS: typeof ExcelJSType = load();
