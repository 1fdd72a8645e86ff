// The metadata database as Kysely sees it: every domain's tables in one interface.
import type { Kysely, Transaction } from 'kysely';
import type { AccountTokensTable, ApiTokensTable, RateLimitsTable, SessionsTable, UsersTable } from './accounts/model';
import type { AuditLogTable } from './access/audit';
import type { DatasetsTable, DistributionsTable } from './catalog/model';
import type { ContentItemsTable } from './competence/model';
import type { ConsentEventsTable, ConsentsTable, ConsentTablesTable } from './consent/model';
import type { ClientAccessTokensTable, ClientAssertionJtisTable, MachineClientsTable, OidcFlowsTable, OidcLinksTable } from './identity/model';
import type { MembershipsTable, OrganizationsTable, RegistryUnitsTable } from './organisations/model';
import type { HarvestRecordsTable, HarvestRunsTable, HarvestSourcesTable, HarvestStagedTable } from './interop/harvest/model';
import type { JobsTable } from './platform/jobs/model';
import type { QualityUrlChecksTable } from './quality/model';
import type { TablesTable, TableVersionsTable } from './tables/model';
import type { ColumnProfilesTable } from './tables/profile';
import type { SharingAssessmentsTable } from './wizard/dataset';
import type { AccessGrantsTable, AccessRequestsTable } from './access-requests/model';
import type { NotificationsTable } from './notifications/model';
import type { SearchDocsTable, SearchFacetsTable, SearchTermsTable } from './search/model';
import type { SavedQueriesTable } from './workbench/model';

export interface Database {
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  registry_units: RegistryUnitsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  rate_limits: RateLimitsTable;
  account_tokens: AccountTokensTable;
  datasets: DatasetsTable;
  distributions: DistributionsTable;
  tables: TablesTable;
  table_versions: TableVersionsTable;
  jobs: JobsTable;
  audit_log: AuditLogTable;
  sharing_assessments: SharingAssessmentsTable;
  content_items: ContentItemsTable;
  consent_tables: ConsentTablesTable;
  consents: ConsentsTable;
  consent_events: ConsentEventsTable;
  oidc_links: OidcLinksTable;
  oidc_flows: OidcFlowsTable;
  machine_clients: MachineClientsTable;
  client_assertion_jtis: ClientAssertionJtisTable;
  client_access_tokens: ClientAccessTokensTable;
  access_requests: AccessRequestsTable;
  access_grants: AccessGrantsTable;
  notifications: NotificationsTable;
  quality_url_checks: QualityUrlChecksTable;
  search_docs: SearchDocsTable;
  search_facets: SearchFacetsTable;
  search_terms: SearchTermsTable;
  saved_queries: SavedQueriesTable;
  harvest_sources: HarvestSourcesTable;
  harvest_runs: HarvestRunsTable;
  harvest_records: HarvestRecordsTable;
  harvest_staged: HarvestStagedTable;
  column_profiles: ColumnProfilesTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Query functions take either the database or an open transaction as their first argument (STYLE §6). */
export type DbOrTx = Kysely<Database> | Transaction<Database>;
