// Routes of the Frictionless export: the Data Package of a dataset (JSON API twin and the conventional
// /datasets/{id}/datapackage.json address) and the CSV download of a table that the package's resources point at.
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, DomainError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../errors';
import type { DomainPlugin } from '../../platform/http/plugin';
import { csrfMatches, CSRF_FIELD } from '../../web/context';
import { urls } from '../../web/urls';
import { CSV_INJECTION_NOTE } from './model';

const DatasetParams = Type.Object({ id: Type.String() });
const TableParams = Type.Object({ id: Type.String(), table: Type.String() });
const tags = ['datapackage'];

const PACKAGE_DESCRIPTION =
  'The dataset as a Frictionless Data Package (standard v2, profiles at https://datapackage.org/profiles/2.0/): title, description, keywords, licence, publisher with organisation number, and one tabular Data Resource per hosted table with a Table Schema (field types from the column types, `constraints.required` for columns without empty cells, `missingValues`) whose `path` is the table\'s CSV download. Metadata follows the catalogue\'s rules (published datasets are public at every access level); what is described of a table follows the table policy (keptAsText notes, semantic types and missing markers only for readers of the data and publishers). For RESTRICTED and NON_PUBLIC datasets the CSV path answers 401/403 without access.';

/** Data Package as an open JSON object in OpenAPI: its shape is the official profile, validated in the test suite. */
const PackageResponse = Type.Object(
  { name: Type.String(), title: Type.String(), homepage: Type.String(), resources: Type.Array(Type.Object({}, { additionalProperties: true })) },
  { additionalProperties: true, description: 'A Data Package descriptor (https://datapackage.org/profiles/2.0/datapackage.json).' },
);

const OrgParams = Type.Object({ orgnr: Type.String() });
const ImportResponse = Type.Object({
  dataset: Type.Object({ id: Type.String(), url: Type.String(), page: Type.String() }),
  tables: Type.Array(Type.Object({ name: Type.String(), job: Type.Object({ id: Type.String(), url: Type.String() }) })),
});

/**
 * Reads the `file` part of a multipart upload (a zip) into memory — a zip is read from its end (the central
 * directory), so it cannot be streamed; multipart's file limit (the upload limit) bounds it. Web forms send `_csrf`
 * first, checked before the file is read.
 */
export async function readZipUpload(request: FastifyRequest, uploadLimit: number, opts: { csrf?: boolean } = {}): Promise<Buffer> {
  if (!request.isMultipart()) throw new UnsupportedMediaTypeError(request.headers['content-type'], ['multipart/form-data']);
  let csrfChecked = !opts.csrf;
  let zip: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (!csrfChecked) {
        if (part.type !== 'field' || part.fieldname !== CSRF_FIELD || !csrfMatches(request, part.value)) {
          if (part.type === 'file') part.file.resume();
          throw new DomainError(403, 'csrf_failed', 'The form was missing a valid CSRF token. Reload the page and try again.');
        }
        csrfChecked = true;
        continue;
      }
      if (part.type !== 'file') continue;
      if (part.fieldname !== 'file' || zip) {
        part.file.resume();
        continue;
      }
      const buf = await part.toBuffer();
      if (part.file.truncated) throw new PayloadTooLargeError(uploadLimit);
      zip = buf;
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const code = (err as { code?: string }).code;
    if (code?.startsWith('FST_')) throw err;
    throw new BadRequestError('The multipart body could not be read: it is malformed or incomplete.', {}, 'invalid_multipart');
  }
  if (!csrfChecked) throw new DomainError(403, 'csrf_failed', 'The form was missing a valid CSRF token. Reload the page and try again.');
  if (!zip || zip.length === 0) throw new ValidationError([{ field: '/file', code: 'required', message: 'Choose a zip file with datapackage.json and its CSV files.' }]);
  return zip;
}

const FromUrlBody = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL of a Data Package zip or of its datapackage.json.' }) }, { additionalProperties: false });

export const dataPackageApi: DomainPlugin = async (app, { services }) => {
  const { dataPackages, dataPackageImports, organisations } = services;

  app.post<{ Params: Static<typeof OrgParams> }>(
    '/organizations/:orgnr/datapackages',
    {
      schema: {
        tags,
        summary: 'Import a Data Package as a new draft dataset',
        description:
          'multipart/form-data with `file`: a zip holding `datapackage.json` (Frictionless Data Package v1 or v2, valid against the v2 profile, UTF-8, at most 1 MiB) and the CSV files its resources name by relative `path`. Creates a draft dataset of the organisation with the package\'s title, description, keywords and licence (access rights from `x-accessRights`, otherwise NON_PUBLIC until the editor decides), and one table per resource, read in by the ingest job with the resource\'s dialect (delimiter, quoteChar, header, commentChar) and encoding, and the column types its Table Schema declares (string, integer, number, date, datetime, boolean; other columns are detected as for any upload). Refused with 422 and a list of problems, before anything is created: an invalid package, remote `path` URLs (nothing is fetched), paths leaving the package, files missing from the zip, non-CSV resources, a zip that unpacks to more than the upload limit or compresses more than 200 times. Editors of the organisation only. Answers 201 with the dataset and the ingest jobs.',
        consumes: ['multipart/form-data'],
        params: OrgParams,
        security: [{ bearer: [] }],
        response: { 201: ImportResponse },
      },
    },
    async (request, reply) => {
      const { orgnr } = request.params;
      dataPackageImports.assertCanImport(request.actor, orgnr);
      await organisations.get(orgnr, request.actor);
      const zip = await readZipUpload(request, services.platform.config.uploadLimitBytes);
      const result = await dataPackageImports.importZip(request.actor, orgnr, zip);
      const url = urls.api.dataset(result.datasetId);
      return reply
        .status(201)
        .header('location', url)
        .send({
          dataset: { id: result.datasetId, url, page: urls.dataset(result.datasetId) },
          tables: result.tables.map((t) => ({ name: t.name, job: { id: t.jobId, url: urls.api.job(t.jobId) } })),
        });
    },
  );

  app.post<{ Params: Static<typeof OrgParams>; Body: Static<typeof FromUrlBody> }>(
    '/organizations/:orgnr/datapackages/from-url',
    {
      schema: {
        tags,
        summary: 'Import a Data Package from a URL as a new draft dataset',
        description:
          'JSON `{ "url" }`: the URL of a Data Package zip, or of a `datapackage.json` whose resources name their CSV files by a `path` relative to it. The files are fetched (http or https only; never a private, loopback or link-local address unless HARVEST_ALLOW_PRIVATE is set; at most 5 redirects; HARVEST_TIMEOUT_MS per request; the whole package at most the upload limit) and then checked and imported exactly as an uploaded zip (see `POST /organizations/{orgnr}/datapackages`): resource paths that are absolute URLs or leave the folder are refused, nothing else is fetched. A URL that cannot be fetched, or answers neither a zip nor a descriptor, is a 422 naming the problem. Editors of the organisation only. Answers 201 with the dataset and the ingest jobs.',
        params: OrgParams,
        body: FromUrlBody,
        security: [{ bearer: [] }],
        response: { 201: ImportResponse },
      },
    },
    async (request, reply) => {
      const { orgnr } = request.params;
      dataPackageImports.assertCanImport(request.actor, orgnr);
      await organisations.get(orgnr, request.actor);
      const result = await services.dataPackageUrlImports.importUrl(request.actor, orgnr, request.body.url);
      const url = urls.api.dataset(result.datasetId);
      return reply
        .status(201)
        .header('location', url)
        .send({
          dataset: { id: result.datasetId, url, page: urls.dataset(result.datasetId) },
          tables: result.tables.map((t) => ({ name: t.name, job: { id: t.jobId, url: urls.api.job(t.jobId) } })),
        });
    },
  );

  app.get<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id/datapackage',
    {
      schema: { tags, summary: 'The dataset as a Frictionless Data Package', description: PACKAGE_DESCRIPTION, params: DatasetParams, response: { 200: PackageResponse } },
    },
    async (request, reply) => reply.type('application/json; charset=utf-8').send(await dataPackages.dataPackage(request.actor, request.params.id)),
  );

  app.get<{ Params: Static<typeof TableParams> }>(
    '/datasets/:id/tables/:table/rows.csv',
    {
      schema: {
        tags,
        summary: 'Download a table as CSV',
        description: `The current version of the table as CSV (RFC 4180: comma, double quotes, CRLF line ends, UTF-8, a header line with the column names; empty cell = missing value), streamed. ${CSV_INJECTION_NOTE} Data of RESTRICTED and NON_PUBLIC datasets needs access: 401 without sign-in, 403 without access; every download of non-open data is written to the audit log. 409 while the table has no ready version; a new version switched in during the download ends it with an error rather than mixing versions.`,
        params: TableParams,
        security: [{ bearer: [] }, {}],
        produces: ['text/csv'],
        response: { 200: { description: 'The CSV file.', content: { 'text/csv': { schema: { type: 'string' } } } } },
      },
    },
    async (request, reply) => {
      const { filename, lines } = await dataPackages.csv(request.actor, request.params.id, request.params.table);
      return reply
        .type('text/csv; charset=utf-8; header=present')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'private, no-store')
        .send(Readable.from(lines));
    },
  );
};

/** The conventional address of a package, beside the dataset page: /datasets/{id}/datapackage.json. */
export const dataPackagePages: DomainPlugin = async (app, { services }) => {
  app.get<{ Params: Static<typeof DatasetParams> }>('/datasets/:id/datapackage.json', { schema: { hide: true, params: DatasetParams } }, async (request, reply) =>
    reply.type('application/json; charset=utf-8').send(await services.dataPackages.dataPackage(request.actor, request.params.id)),
  );
};
