// Migrations are frozen history (STYLE §8): never edit one that has landed; add a new file and list it here.
import type { Migration } from 'kysely';
import * as m20261126_001_foundation from './20261126-001-foundation';
import * as m20261126_002_jobs_backoff from './20261126-002-jobs-backoff';
import * as m20261201_001_organisation_verification from './20261201-001-organisation-verification';
import * as m20261201_002_account_verification from './20261201-002-account-verification';
import * as m20261201_003_table_import from './20261201-003-table-import';
import * as m20261201_005_sharing_assessments from './20261201-005-sharing-assessments';
import * as m20261201_006_content_items from './20261201-006-content-items';
import * as m20261202_000_dataset_flags from './20261202-000-dataset-flags';
import * as m20261202_003_consent from './20261202-003-consent';
import * as m20261202_004_identity from './20261202-004-identity';
import * as m20261202_002_access_requests from './20261202-002-access-requests';
import * as m20261202_009_quality from './20261202-009-quality';
import * as m20261202_008_formats from './20261202-008-formats';
import * as m20261202_005_search from './20261202-005-search';
import * as m20261202_001_harvest from './20261202-001-harvest';
import * as m20261202_010_profile from './20261202-010-profile';
import * as m20261202_019_workbench from './20261202-019-workbench';

export const migrations: Record<string, Migration> = {
  '20261126-001-foundation': m20261126_001_foundation,
  '20261126-002-jobs-backoff': m20261126_002_jobs_backoff,
  '20261201-001-organisation-verification': m20261201_001_organisation_verification,
  '20261201-002-account-verification': m20261201_002_account_verification,
  '20261201-003-table-import': m20261201_003_table_import,
  '20261201-005-sharing-assessments': m20261201_005_sharing_assessments,
  '20261201-006-content-items': m20261201_006_content_items,
  '20261202-000-dataset-flags': m20261202_000_dataset_flags,
  '20261202-003-consent': m20261202_003_consent,
  '20261202-004-identity': m20261202_004_identity,
  '20261202-002-access-requests': m20261202_002_access_requests,
  '20261202-009-quality': m20261202_009_quality,
  '20261202-008-formats': m20261202_008_formats,
  '20261202-005-search': m20261202_005_search,
  '20261202-001-harvest': m20261202_001_harvest,
  '20261202-010-profile': m20261202_010_profile,
  '20261202-019-workbench': m20261202_019_workbench,
};
