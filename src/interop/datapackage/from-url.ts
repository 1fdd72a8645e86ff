// Import of a Data Package by URL (issue 8.4): a URL to a zip, or to a datapackage.json whose resources name their files
// by a relative `path`. Everything is fetched through the harvester's one way out to the network
// (src/interop/harvest/fetch.ts: http(s) only, no private or loopback addresses unless HARVEST_ALLOW_PRIVATE, at most
// five redirects, a timeout, a byte cap) and, for a descriptor, packed into a zip in memory, so the zip importer's
// checks (profile, names, sizes, formats, access) decide exactly as for an upload — one import, two ways in.
// Resource paths that are absolute URLs, or that leave the descriptor's folder, are refused by those checks: nothing
// beyond the package itself is ever fetched. The whole package may not be larger than the upload limit.
import { zipSync } from 'fflate';
import type { Actor } from '../../access/model';
import { ValidationError } from '../../errors';
import { fetchBytesCapped } from './fetch-bytes';
import type { DataPackageImporter, ImportResult } from './import';
import { unsafeEntryName } from './import';

export interface FromUrlDeps {
  importer: DataPackageImporter;
  uploadLimit: number;
  allowPrivate: boolean;
  timeoutMs: number;
}

const MAX_FILES = 50;

function refuse(code: string, message: string): ValidationError {
  return new ValidationError([{ field: '/url', code, message }], message);
}

export function createDataPackageUrlImporter(deps: FromUrlDeps) {
  const policy = (maxBytes: number) => ({ allowPrivate: deps.allowPrivate, timeoutMs: deps.timeoutMs, maxBytes });

  async function get(url: string, maxBytes: number): Promise<{ url: string; bytes: Buffer }> {
    try {
      return await fetchBytesCapped(url, policy(maxBytes));
    } catch (err) {
      throw refuse('datapackage_fetch_failed', `The package could not be fetched: ${(err as Error).message}`);
    }
  }

  return {
    async importUrl(actor: Actor, orgnr: string, rawUrl: string): Promise<ImportResult> {
      deps.importer.assertCanImport(actor, orgnr);
      const first = await get(rawUrl, deps.uploadLimit);
      // A zip (PK\x03\x04, or an empty zip's PK\x05\x06) goes to the zip importer as it is.
      if (first.bytes.length >= 4 && first.bytes[0] === 0x50 && first.bytes[1] === 0x4b) return deps.importer.importZip(actor, orgnr, first.bytes);
      let descriptor: { resources?: unknown };
      try {
        descriptor = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(first.bytes).replace(/^\uFEFF/, '')) as { resources?: unknown };
      } catch {
        throw refuse('datapackage_not_package', 'The URL answers neither a zip nor a datapackage.json (UTF-8 JSON).');
      }
      const files: Record<string, Uint8Array> = { 'datapackage.json': first.bytes };
      let total = first.bytes.length;
      const paths = new Set<string>();
      for (const res of Array.isArray(descriptor.resources) ? descriptor.resources : []) {
        const p = (res as { path?: unknown })?.path;
        for (const one of Array.isArray(p) ? p : [p]) if (typeof one === 'string') paths.add(one);
      }
      if (paths.size > MAX_FILES) throw refuse('datapackage_too_many_files', `The package names ${paths.size} files; at most ${MAX_FILES} are read.`);
      for (const p of paths) {
        // Absolute URLs and paths out of the folder are left for the zip importer to refuse with its own message.
        if (/^[a-z][a-z0-9+.-]*:/i.test(p) || unsafeEntryName(p)) continue;
        const file = await get(new URL(p, first.url).href, deps.uploadLimit - total);
        total += file.bytes.length;
        files[p] = file.bytes;
      }
      return deps.importer.importZip(actor, orgnr, zipSync(files, { level: 0 }));
    },
  };
}

export type DataPackageUrlImporter = ReturnType<typeof createDataPackageUrlImporter>;
