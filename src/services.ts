// Builds every domain service from the open platform, one visible line per domain (STYLE §3).
import path from 'node:path';
import { createAccountsService } from './accounts/service';
import { createCatalogService } from './catalog/service';
import { createCompetenceService } from './competence/service';
import { createDcatService } from './interop/dcat/service';
import { createDataPackageImporter } from './interop/datapackage/import';
import { createDataPackageUrlImporter } from './interop/datapackage/from-url';
import { createDataPackageService } from './interop/datapackage/service';
import { createOrganisationsService } from './organisations/service';
import type { Platform } from './platform/index';
import { createRegistry } from './platform/registry/index';
import { createTablesService } from './tables/service';
import { urls } from './web/urls';
import { createDatasetAssessmentService } from './wizard/dataset';
import { createCkanService } from './interop/ckan/service';
import { createConsentService } from './consent/service';
import { createIdentityService } from './identity/service';
import { createAccessRequestsService } from './access-requests/service';
import { createAuditLogService } from './access/audit-log';
import { createNotificationsService } from './notifications/service';
import { createSqlService } from './sql/service';
import { createSqlSandbox } from './sql/sandbox';
import { createQualityService } from './quality/service';
import { createDataApiService } from './data-api/service';
import { createSearchService } from './search/service';
import { createHarvestService } from './interop/harvest/service';
import { createWorkbenchService } from './workbench/service';

export function createServices(platform: Platform) {
  const { db } = platform.dbh;
  const accounts = createAccountsService({ db, config: platform.config, mail: platform.mail, logger: platform.logger });
  const organisations = createOrganisationsService({ db, registry: createRegistry({ baseUrl: platform.config.registryUrl }) });
  const catalog = createCatalogService({ db });
  const search = createSearchService({ db, catalog, sqliteFile: platform.dbh.dialect === 'sqlite' ? path.join(platform.config.dataDir, 'datafabrikken.sqlite') : undefined });
  const tables = createTablesService({ db, blobs: platform.blobs, jobs: platform.jobs, engine: platform.engine, dataDir: platform.config.dataDir });
  const dataApi = createDataApiService({ db, blobs: platform.blobs, engine: platform.engine, dataDir: platform.config.dataDir });
  const sharingAssessments = createDatasetAssessmentService({ db, catalog });
  const competence = createCompetenceService({ db });
  const dcat = createDcatService({ catalog, blobs: platform.blobs, baseUrl: platform.config.baseUrl });
  const ckan = createCkanService({ catalog, tables, organisations, baseUrl: platform.config.baseUrl });
  const base = platform.config.baseUrl;
  const identity = createIdentityService({ db, config: platform.config, accounts, logger: platform.logger });
  const dataPackageImports = createDataPackageImporter({ catalog, tables, uploadLimit: platform.config.uploadLimitBytes });
  const dataPackageUrlImports = createDataPackageUrlImporter({ importer: dataPackageImports, uploadLimit: platform.config.uploadLimitBytes, allowPrivate: platform.config.harvest.allowPrivate, timeoutMs: platform.config.harvest.timeoutMs });
  const dataPackages = createDataPackageService({ catalog, tables, urls: { homepage: (id) => `${base}${urls.dataset(id)}`, csv: (id, t) => `${base}${urls.api.rowsCsv(id, t)}` } });
  const consents = createConsentService({ db, mail: platform.mail, baseUrl: base, logger: platform.logger });
  const notifications = createNotificationsService({ db, mail: platform.mail, baseUrl: base, logger: platform.logger });
  const accessRequests = createAccessRequestsService({ db, notifications });
  const auditLog = createAuditLogService({ db });
  const sql = createSqlService({ db, tables, sandbox: createSqlSandbox({ ...platform.config.sql, threads: platform.config.duckdb.threads, tempDir: path.join(platform.config.dataDir, 'tmp', 'sql') }), limits: platform.config.sql });
  const quality = createQualityService({ db, catalog, organisations, jobs: platform.jobs, check: { allowPrivate: platform.config.qualityAllowPrivateUrls } });
  const harvest = createHarvestService({ db, jobs: platform.jobs, policy: platform.config.harvest, baseUrl: platform.config.baseUrl, logger: platform.logger });
  const workbench = createWorkbenchService({ db, sql, catalog, baseUrl: platform.config.baseUrl, datasetUrl: (id) => urls.dataset(id) });
  return { workbench, consents, identity, notifications, accessRequests, auditLog, accounts, organisations, catalog, tables, sharingAssessments, competence, dcat, ckan, dataPackages, dataPackageImports, dataPackageUrlImports, sql, quality, dataApi, search, harvest, jobs: platform.jobs, platform };
}

export type Services = ReturnType<typeof createServices>;
