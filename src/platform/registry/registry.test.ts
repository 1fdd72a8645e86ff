// The Enhetsregisteret adapter against a loopback server replaying real recorded API responses, and the bulk-file
// reader on generated files (gzipped and plain) built from the same real records plus hostile ones.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRREG, startBrregServer, type BrregServer } from '../../../test/helpers/brreg-server';
import { tempDir } from '../../../test/helpers/db';
import { readRegistryFile, RegistryFileError, type BulkItem } from './bulk-file';
import { createRegistry, type Registry } from './index';

let server: BrregServer;
let registry: Registry;
const dir = tempDir('df-registry-');
const fixtures = path.resolve(__dirname, '../../../test/fixtures/brreg');

beforeAll(async () => {
  server = await startBrregServer();
  registry = createRegistry({ baseUrl: `${server.url}/`, timeoutMs: 300, maxBytes: 256 * 1024 });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('HTTP registry', () => {
  it('maps real records: name, form, municipality from forretningsadresse, parent', async () => {
    expect(await registry.lookup(BRREG.digdir)).toEqual({
      kind: 'found',
      unit: { orgnr: '991825827', kind: 'enhet', name: 'DIGITALISERINGSDIREKTORATET', orgForm: 'ORGL', municipality: '0301', status: 'active', deletedAt: null, parentOrgnr: '972417858' },
    });
    const ha = await registry.lookup(BRREG.haKommune);
    expect(ha).toMatchObject({ kind: 'found', unit: { name: 'HÅ KOMMUNE', orgForm: 'KOMM', municipality: '1119' } });
    const rogaland = await registry.lookup(BRREG.rogaland);
    expect(rogaland).toMatchObject({ kind: 'found', unit: { orgForm: 'FYLK', municipality: '1103' } });
  });

  it('falls through to /underenheter for a sub-unit number', async () => {
    const r = await registry.lookup(BRREG.underenhet);
    expect(r).toMatchObject({ kind: 'found', unit: { kind: 'underenhet', orgForm: 'BEDR', municipality: '1813', parentOrgnr: BRREG.digdir } });
    expect(server.requests).toEqual(expect.arrayContaining([`/enheter/${BRREG.underenhet}`, `/underenheter/${BRREG.underenhet}`]));
  });

  it('404 on both is not_found; 410 and slettedato are deleted', async () => {
    expect(await registry.lookup(BRREG.unknown)).toEqual({ kind: 'not_found', orgnr: BRREG.unknown });
    expect(await registry.lookup(BRREG.gone)).toEqual({ kind: 'deleted', orgnr: BRREG.gone, deletedAt: '2023-05-02' });
    expect(await registry.lookup(BRREG.deletedRecord)).toEqual({ kind: 'deleted', orgnr: BRREG.deletedRecord, deletedAt: '2024-01-15' });
  });

  it('500, a hang, malformed JSON and an oversized body are unavailable, never a crash', async () => {
    expect(await registry.lookup(BRREG.serverError)).toEqual({ kind: 'unavailable', reason: 'http_500' });
    expect(await registry.lookup(BRREG.hang)).toEqual({ kind: 'unavailable', reason: 'timeout' });
    expect(await registry.lookup(BRREG.malformed)).toEqual({ kind: 'unavailable', reason: 'malformed_json' });
    expect(await registry.lookup(BRREG.huge)).toEqual({ kind: 'unavailable', reason: 'response_too_large' });
  });

  it('an unreachable host and a disabled registry are unavailable', async () => {
    const closed = await startBrregServer();
    const url = closed.url;
    await closed.close();
    expect(await createRegistry({ baseUrl: url, timeoutMs: 300 }).lookup(BRREG.digdir)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^unreachable/) });
    const off = createRegistry({ baseUrl: '' });
    expect(off.enabled).toBe(false);
    expect(await off.lookup(BRREG.digdir)).toEqual({ kind: 'unavailable', reason: 'disabled' });
  });
});

async function readAll(file: string, opts?: Parameters<typeof readRegistryFile>[1]): Promise<BulkItem[]> {
  const out: BulkItem[] = [];
  for await (const item of readRegistryFile(file, opts)) out.push(item);
  return out;
}

function realRecords(): Record<string, unknown>[] {
  return fs
    .readdirSync(fixtures)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const body = JSON.parse(fs.readFileSync(path.join(fixtures, f), 'utf8')) as { _embedded?: { enheter: Record<string, unknown>[] } } & Record<string, unknown>;
      return body._embedded?.enheter ?? [body];
    });
}

describe('bulk file reader', () => {
  it('streams a gzipped array of real records, skipping a malformed one, and reads plain JSON the same', async () => {
    const recs = realRecords();
    const text = `[\n${recs.map((r) => JSON.stringify(r, null, 2)).join(',\n')},\n{"organisasjonsnummer": "123", navn: broken},\n{"navn": "UTEN NUMMER"},\n{"organisasjonsnummer":"910000020","navn":"SLETTET AS","slettedato":"2024-01-15"}\n]\n`;
    const gz = path.join(dir, 'enheter_alle.json.gz');
    fs.writeFileSync(gz, gzipSync(text));
    const plain = path.join(dir, 'enheter.json');
    fs.writeFileSync(plain, `\uFEFF${text}`);
    for (const file of [gz, plain]) {
      const items = await readAll(file);
      expect(items).toHaveLength(recs.length + 3);
      const units = items.flatMap((i) => ('unit' in i ? [i.unit] : []));
      expect(units.map((u) => u.orgnr).sort()).toEqual([...recs.map((r) => String(r.organisasjonsnummer)), '910000020'].sort());
      expect(units.find((u) => u.orgnr === '910000020')).toMatchObject({ status: 'deleted', deletedAt: '2024-01-15' });
      expect(items.flatMap((i) => ('skipped' in i ? [i.skipped] : []))).toEqual(['invalid_json', 'missing_orgnr']);
    }
  });

  it('keeps records whole across read chunks (strings with brackets, escapes and multi-byte letters)', async () => {
    const n = 3000; // ~600 KB: several 256 KB reads, records straddle the boundaries
    const recs = Array.from({ length: n }, (_, i) => ({ organisasjonsnummer: String(100000000 + i), navn: `ÆØÅ "sitat" {ikke} [en] \\ tekst ${i} ${'ø'.repeat(100)}`, forretningsadresse: { kommunenummer: '0301' } }));
    const file = path.join(dir, 'many.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify(recs)));
    const items = await readAll(file);
    expect(items).toHaveLength(n);
    expect(items.every((i) => 'unit' in i)).toBe(true);
    const last = items[n - 1] as { unit: { name: string; municipality: string } };
    expect(last.unit.name).toBe(recs[n - 1]?.navn);
    expect(last.unit.municipality).toBe('0301');
  });

  it('skips a record over the size limit without buffering it, then goes on', async () => {
    const file = path.join(dir, 'huge-record.json');
    fs.writeFileSync(file, `[{"organisasjonsnummer":"100000001","navn":"${'x'.repeat(3 * 1024 * 1024)}"},{"organisasjonsnummer":"100000002","navn":"LITEN AS"}]`);
    const items = await readAll(file, { maxRecordChars: 1024 * 1024 });
    expect(items).toEqual([{ index: 0, skipped: 'record_too_large' }, expect.objectContaining({ index: 1, unit: expect.objectContaining({ name: 'LITEN AS' }) })]);
  });

  it('throws for a file that is not one JSON array: truncated, an object, garbage gzip, empty, missing comma', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['truncated.json.gz', gzipSync('[{"organisasjonsnummer":"100000001","navn":"A"},{"organisasjonsnummer":"1000'), /ends before/],
      ['object.json', '{"_embedded":{"enheter":[]}}', /Expected a JSON array/],
      ['bad.json.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]), /gzip/],
      ['empty.json', '', /empty/],
      ['nocomma.json', '[{"organisasjonsnummer":"100000001","navn":"A"} {"organisasjonsnummer":"100000002","navn":"B"}]', /Expected "," or "]"/],
      ['trailing.json', '[{"organisasjonsnummer":"100000001","navn":"A"}] [', /after the end/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      const err = await readAll(file).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(RegistryFileError);
      expect((err as Error).message, name).toMatch(message);
    }
  });
});
