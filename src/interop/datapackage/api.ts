// Routes of the Frictionless export: the Data Package of a dataset (JSON API twin and the conventional
// /datasets/{id}/datapackage.json address) and the CSV download of a table that the package's resources point at.
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { DomainPlugin } from '../../platform/http/plugin';
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

export const dataPackageApi: DomainPlugin = async (app, { services }) => {
  const { dataPackages } = services;

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
        description: `The current version of the table as CSV (RFC 4180: comma, double quotes, CRLF line ends, UTF-8, a header line with the column names; empty cell = missing value), streamed. ${CSV_INJECTION_NOTE} Data of RESTRICTED and NON_PUBLIC datasets needs access: 401 without sign-in, 403 without access; every download of non-open data is written to the audit log. 409 while the table has no ready version.`,
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
