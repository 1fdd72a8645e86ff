// Import of a Frictionless Data Package (a zip with datapackage.json and its CSV files) as a new draft dataset with
// one table per tabular resource, each read in by the normal ingest job. Everything is checked before anything is
// created, so a refused package leaves nothing behind:
//   - the zip: its central directory is listed without inflating anything (fflate's filter); entry names with "..",
//     absolute paths, drive letters or backslashes refuse the package; the declared uncompressed sizes must stay
//     within the upload limit in total (a zip may hold no more than one could upload unpacked) and, for entries over
//     1 MiB, within a compression ratio of 200 (zip bombs); while inflating, the bytes are counted against the
//     declared size, so a header that lies about it is refused too, never silently truncated;
//   - datapackage.json: at most 1 MiB, UTF-8 (a fatal decoder: anything else is a 422), JSON, valid against the
//     official v2 profile (a 422 listing the problems);
//   - the resources: a local `path` only (URLs are refused: the platform fetches nothing from the network here), a
//     file that is in the zip, a delimited-text format, a table name the platform accepts, read options that the
//     tables service's own check accepts.
// Access is decided first, by the access door, before a byte of the zip is read: editors of an approved organisation.
import { Unzip, UnzipInflate, unzipSync } from 'fflate';
import { Readable } from 'node:stream';
import type { Actor } from '../../access/model';
import { authorize } from '../../access/service';
import { ACCESS_RIGHTS, type AccessRights } from '../../catalog/model';
import type { CatalogService } from '../../catalog/service';
import { findLicence } from '../../catalog/vocabularies';
import { ValidationError, type FieldProblem } from '../../errors';
import type { ColumnTypeOverride, CsvReadOptions } from '../../platform/engine/index';
import { checkReadOptions, TABLE_NAME_PATTERN, type TablesService } from '../../tables/service';
import { validateDataPackage } from './validate';

export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
export const MAX_RATIO = 200;
const RATIO_FROM_BYTES = 1024 * 1024;
const MAX_ENTRIES = 1000;
const MAX_RESOURCES = 50;

export interface ImportDeps {
  catalog: CatalogService;
  tables: TablesService;
  /** The most bytes one upload may carry: the cap on the zip's unpacked size too. */
  uploadLimit: number;
}

export interface ImportResult {
  datasetId: string;
  tables: { name: string; jobId: string }[];
}

interface Entry {
  name: string;
  size: number;
  originalSize: number;
}

const problem = (field: string, code: string, message: string): FieldProblem => ({ field, code, message });
const refuse = (field: string, code: string, message: string) => new ValidationError([problem(field, code, message)]);

/** A name inside the zip that could leave the extraction root or means a different thing on another system. */
export function unsafeEntryName(name: string): boolean {
  return name.startsWith('/') || name.includes('\\') || /^[a-zA-Z]:/.test(name) || name.split('/').some((s) => s === '..') || name.includes('\0');
}

/** The resource's path as the name of a zip entry, or a problem: URLs, absolute paths and ".." are refused. */
function localPath(raw: unknown, i: number): string | FieldProblem {
  const field = `/resources/${i}/path`;
  if (Array.isArray(raw)) return problem(field, 'datapackage_multipart_path', `Resource ${i}: a resource split over several files is not supported; give one CSV file.`);
  if (typeof raw !== 'string' || raw === '') return problem(field, 'datapackage_no_path', `Resource ${i}: inline data is not supported; give a CSV file in the zip.`);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(raw)) return problem(field, 'datapackage_remote_path', `Resource ${i}: "${raw.slice(0, 200)}" is a URL; files are not fetched from the network, put the file in the zip.`);
  const p = raw.replace(/^\.\//, '');
  if (unsafeEntryName(p)) return problem(field, 'datapackage_unsafe_path', `Resource ${i}: the path must stay inside the package (no "..", no absolute path).`);
  return p;
}

/** Table Schema field types the engine can be told (others are detected as for any upload). */
const TYPE_TO_COLUMN: Record<string, ColumnTypeOverride> = { string: 'text', integer: 'integer', number: 'decimal', date: 'date', datetime: 'timestamp', boolean: 'boolean' };

/**
 * Read options from the resource: its dialect (delimiter, quoteChar → quote, header, commentChar), its encoding and
 * the types its Table Schema declares (a column declared string stays text even when its values look like numbers:
 * the package's word counts over detection).
 */
export function readOptionsOf(res: Record<string, unknown>): CsvReadOptions {
  const o: CsvReadOptions = {};
  const d = res.dialect && typeof res.dialect === 'object' ? (res.dialect as Record<string, unknown>) : {};
  if (typeof d.delimiter === 'string') o.delimiter = d.delimiter;
  if (typeof d.quoteChar === 'string') o.quote = d.quoteChar;
  if (typeof d.header === 'boolean') o.header = d.header;
  if (typeof d.commentChar === 'string') o.commentPrefix = d.commentChar;
  if (d.doubleQuote === false && typeof d.escapeChar === 'string') o.escape = d.escapeChar;
  // Checked by the tables service's checkReadOptions with everything else (an unknown encoding is a 422).
  const fields = res.schema && typeof res.schema === 'object' ? (res.schema as { fields?: unknown }).fields : undefined;
  if (Array.isArray(fields)) {
    const types: Record<string, ColumnTypeOverride> = {};
    for (const f of fields as { name?: unknown; type?: unknown }[]) {
      const type = typeof f?.type === 'string' ? TYPE_TO_COLUMN[f.type] : undefined;
      if (typeof f?.name === 'string' && type) types[f.name] = type;
    }
    if (Object.keys(types).length > 0) o.columnTypes = types;
  }
  if (typeof res.encoding === 'string') o.encoding = (res.encoding.toLowerCase() === 'utf8' ? 'utf-8' : res.encoding.toLowerCase()) as CsvReadOptions['encoding'];
  return o;
}

function listEntries(zip: Uint8Array): Entry[] {
  const entries: Entry[] = [];
  try {
    // The filter sees every central-directory record and returns false: nothing is inflated here.
    unzipSync(zip, {
      filter: (f) => {
        entries.push({ name: f.name, size: f.size, originalSize: f.originalSize });
        if (entries.length > MAX_ENTRIES) throw refuse('/file', 'datapackage_too_many_files', `The zip holds more than ${MAX_ENTRIES} files.`);
        return false;
      },
    });
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw refuse('/file', 'datapackage_not_zip', 'The file is not a readable zip archive.');
  }
  return entries;
}

/** Inflates the named entries in one pass, counting bytes against each declared size (a lying header is refused). */
function inflate(zip: Uint8Array, wanted: Map<string, Entry>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let failure: ValidationError | undefined;
  const unzip = new Unzip((file) => {
    const entry = wanted.get(file.name);
    if (!entry || out.has(file.name)) return; // not started: skipped without inflating
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    file.ondata = (err, data, final) => {
      if (failure) return;
      if (err) {
        failure = refuse('/file', 'datapackage_corrupt_zip', `"${file.name}" in the zip is damaged and cannot be unpacked.`);
        return;
      }
      bytes += data.length;
      if (bytes > entry.originalSize) {
        failure = refuse('/file', 'datapackage_zip_bomb', `"${file.name}" unpacks to more than the zip says; the package is refused.`);
        file.terminate();
        return;
      }
      chunks.push(data);
      if (final) {
        if (bytes !== entry.originalSize) failure = refuse('/file', 'datapackage_corrupt_zip', `"${file.name}" in the zip is damaged and cannot be unpacked.`);
        else out.set(file.name, Buffer.concat(chunks));
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    unzip.push(zip, true);
  } catch {
    failure ??= refuse('/file', 'datapackage_corrupt_zip', 'The zip archive is damaged and cannot be unpacked.');
  }
  if (failure) throw failure;
  for (const name of wanted.keys()) if (!out.has(name)) throw refuse('/file', 'datapackage_corrupt_zip', `"${name}" in the zip is damaged and cannot be unpacked.`);
  return out;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function createDataPackageImporter(deps: ImportDeps) {
  const { catalog, tables, uploadLimit } = deps;
  return {
    /** 401/403 before the zip is read: only editors of the (approved) organisation may create datasets for it. */
    assertCanImport(actor: Actor, orgnr: string): void {
      authorize(actor, 'dataset:create', { type: 'organization', orgnr });
    },

    async importZip(actor: Actor, orgnr: string, zip: Uint8Array): Promise<ImportResult> {
      authorize(actor, 'dataset:create', { type: 'organization', orgnr });
      const entries = listEntries(zip);
      for (const e of entries) {
        if (unsafeEntryName(e.name)) throw refuse('/file', 'datapackage_unsafe_path', 'The zip holds a file whose name leaves the package folder (".." or an absolute path); it is refused.');
      }
      const total = entries.reduce((n, e) => n + e.originalSize, 0);
      if (total > uploadLimit) throw refuse('/file', 'datapackage_too_large', `The zip unpacks to ${total} bytes, more than the upload limit of ${uploadLimit} bytes.`);
      for (const e of entries) {
        if (e.originalSize > RATIO_FROM_BYTES && e.originalSize > e.size * MAX_RATIO) throw refuse('/file', 'datapackage_zip_bomb', `"${e.name}" is compressed more than ${MAX_RATIO} times; the package is refused.`);
      }
      // datapackage.json at the root, or in the one folder that holds everything (as zipping a folder makes it).
      const byName = new Map(entries.map((e) => [e.name, e]));
      let base = '';
      let descriptorEntry = byName.get('datapackage.json');
      if (!descriptorEntry) {
        const nested = entries.filter((e) => /^[^/]+\/datapackage\.json$/.test(e.name));
        if (nested.length === 1 && nested[0]) {
          descriptorEntry = nested[0];
          base = descriptorEntry.name.slice(0, -'datapackage.json'.length);
        }
      }
      if (!descriptorEntry) throw refuse('/file', 'datapackage_no_descriptor', 'The zip has no datapackage.json at its top level.');
      if (descriptorEntry.originalSize > MAX_DESCRIPTOR_BYTES) throw refuse('/file', 'datapackage_descriptor_too_large', `datapackage.json is larger than ${MAX_DESCRIPTOR_BYTES} bytes.`);

      const descriptorBytes = inflate(zip, new Map([[descriptorEntry.name, descriptorEntry]])).get(descriptorEntry.name) ?? Buffer.alloc(0);
      let json: string;
      try {
        json = new TextDecoder('utf-8', { fatal: true }).decode(descriptorBytes);
      } catch {
        throw refuse('/datapackage.json', 'datapackage_not_utf8', 'datapackage.json is not UTF-8 text.');
      }
      let descriptor: unknown;
      try {
        descriptor = JSON.parse(json.replace(/^\uFEFF/, ''));
      } catch {
        throw refuse('/datapackage.json', 'datapackage_invalid_json', 'datapackage.json is not valid JSON.');
      }
      const profileProblems = validateDataPackage(descriptor);
      if (profileProblems.length > 0) {
        throw new ValidationError(
          profileProblems.slice(0, 50).map((p) => problem(`/datapackage.json${p.field === '/' ? '' : p.field}`, 'datapackage_profile', `datapackage.json${p.message}`)),
          `datapackage.json does not follow the Data Package profile: ${profileProblems.slice(0, 5).map((p) => p.message).join('; ')}.`,
        );
      }
      const pkg = descriptor as Record<string, unknown>;
      const resources = pkg.resources as Record<string, unknown>[];
      if (resources.length > MAX_RESOURCES) throw refuse('/datapackage.json/resources', 'datapackage_too_many_resources', `A package may have at most ${MAX_RESOURCES} resources.`);

      const problems: FieldProblem[] = [];
      const planned: { name: string; title?: string; entry: Entry; options: CsvReadOptions }[] = [];
      resources.forEach((res, i) => {
        const at = `/datapackage.json/resources/${i}`;
        const p = localPath(res.path, i);
        if (typeof p !== 'string') return void problems.push({ ...p, field: `/datapackage.json${p.field}` });
        const entry = byName.get(base + p);
        if (!entry) return void problems.push(problem(`${at}/path`, 'datapackage_missing_file', `Resource ${i}: the file "${p.slice(0, 200)}" is not in the zip.`));
        const format = (text(res.format) ?? p.split('.').pop() ?? '').toLowerCase();
        if (!['csv', 'tsv', 'txt', 'tab'].includes(format)) return void problems.push(problem(`${at}/format`, 'datapackage_unsupported_format', `Resource ${i}: only CSV and other delimited text can become a table (got "${format.slice(0, 20)}").`));
        if (typeof res.dialect === 'string') return void problems.push(problem(`${at}/dialect`, 'datapackage_dialect_path', `Resource ${i}: a dialect given as a file path is not supported; write it into datapackage.json.`));
        const name = String(res.name ?? '').toLowerCase().replace(/[.\s]/g, '_');
        if (!TABLE_NAME_PATTERN.test(name)) return void problems.push(problem(`${at}/name`, 'invalid_table_name', `Resource ${i}: "${String(res.name).slice(0, 80)}" cannot be a table name (a–z, 0–9, "_" and "-", up to 63 characters).`));
        if (planned.some((x) => x.name === name)) return void problems.push(problem(`${at}/name`, 'datapackage_duplicate_name', `Resource ${i}: the name "${name}" is used twice.`));
        const options = readOptionsOf(res);
        for (const op of checkReadOptions(options)) problems.push({ ...op, field: `${at}/dialect${op.field.replace(/^\/sourceOptions/, '')}` });
        planned.push({ name, title: text(res.title), entry, options });
      });
      if (problems.length > 0) throw new ValidationError(problems);
      if (planned.length === 0) throw refuse('/datapackage.json/resources', 'datapackage_no_tables', 'The package has no CSV resource to read in as a table.');

      const licences = Array.isArray(pkg.licenses) ? (pkg.licenses as Record<string, unknown>[]) : [];
      const licenceUri = licences.map((l) => text(l.path)).find((u) => u && /^https?:\/\//.test(u));
      const known = findLicence(licenceUri);
      const keywords = Array.isArray(pkg.keywords) ? (pkg.keywords as unknown[]).filter((k): k is string => typeof k === 'string' && k.trim() !== '').slice(0, 50) : [];
      const declaredAccess = pkg['x-accessRights'];
      // What the package does not say is the most careful choice; the editor decides before publishing the draft.
      const accessRights: AccessRights = ACCESS_RIGHTS.includes(declaredAccess as AccessRights) ? (declaredAccess as AccessRights) : 'NON_PUBLIC';
      const title = text(pkg.title) ?? text(pkg.name) ?? 'Data Package';
      const description = text(pkg.description);

      const files = inflate(zip, new Map(planned.map((x) => [x.entry.name, x.entry])));
      const dataset = await catalog.createDataset(actor, {
        orgnr,
        title: { nb: title.slice(0, 500) },
        ...(description ? { description: { nb: description } } : {}),
        ...(keywords.length > 0 ? { keywords: { nb: keywords } } : {}),
        accessRights,
        ...(licenceUri ? { licence: known?.uri ?? licenceUri } : {}),
      });
      const created: { name: string; jobId: string }[] = [];
      try {
        for (const t of planned) {
          const bytes = files.get(t.entry.name) ?? Buffer.alloc(0);
          const result = await tables.createTableFromFile(actor, dataset.id, {
            name: t.name,
            title: t.title,
            stream: Readable.from([bytes]),
            filename: t.entry.name.split('/').pop() ?? t.name,
            contentType: 'text/csv',
            options: t.options,
          });
          created.push({ name: t.name, jobId: result.jobId });
        }
      } catch (err) {
        // A table the checks above let through but the tables service refused (an empty file, a refused format):
        // the draft is archived so no half-imported dataset is left among the editor's drafts.
        await catalog.archiveDataset(actor, dataset.id).catch(() => undefined);
        throw err;
      }
      return { datasetId: dataset.id, tables: created };
    },
  };
}

export type DataPackageImporter = ReturnType<typeof createDataPackageImporter>;
