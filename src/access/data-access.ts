// The one answer to "may this actor read this dataset's rows, and which rows?" — asked by every data surface: the rows
// API, downloads and conversions, SQL, previews, charts and profiles that show values, the CKAN DataStore, linking and
// exports. Metadata questions stay with decide() in ./service; this adds what needs the database: active grants (access
// requests, src/access-requests) and consents (row-level, src/consent).
//
// Contract for every caller:
// - `allow: false` is final: throw with authorizeData() (401 anonymous, 403 visible dataset, 404 hidden dataset).
// - `rows: 'all'` reads the whole table; a `RowRestriction` MUST be applied to every query, count, aggregate and
//   download on that table (WHERE CAST(column AS VARCHAR) IN values): the actor sees exactly those rows, nothing else,
//   and totals are computed over them.
// - `basis`, `grantId` and `consentIds` go into the audit entry of the read (recordAudit), so every use of a grant or
//   consent is on record.
import type { DbOrTx } from '../database';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import type { AccessRights, DatasetState } from '../catalog/model';
import type { Actor } from './model';
import { decide } from './service';
import { consentRowRestriction } from '../consent/access';

/** The dataset facts the decision needs (what the tables and catalog services already load). */
export interface DataResource {
  id: string;
  orgnr: string;
  state: DatasetState;
  accessRights: AccessRights;
}

/** Only rows whose `column` (as text) is one of `values`: a consent-based table read under consents. */
export interface RowRestriction {
  column: string;
  values: string[];
  consentIds: string[];
}

export type DataAccess =
  | { allow: true; basis: 'public' | 'member' | 'operator' | 'grant' | 'consent'; grantId?: string; rows: 'all' | RowRestriction }
  | { allow: false; reason: string; status: 401 | 403 | 404 };

/**
 * Decide data access for one dataset (and, where the surface reads one table, that table: consent is per table).
 * Today: public data for everyone, the owner organisation's members and the operator; grants and consents are added
 * here by their domains, never in the surfaces.
 */
export async function resolveDataAccess(_db: DbOrTx, actor: Actor, dataset: DataResource, _table?: { id: string }): Promise<DataAccess> {
  const d = decide(actor, 'dataset:read-data', { type: 'dataset', orgnr: dataset.orgnr, state: dataset.state, accessRights: dataset.accessRights });
  if (d.allow) {
    const basis = dataset.accessRights === 'PUBLIC' ? 'public' : actor.user?.isOperator ? 'operator' : 'member';
    return { allow: true, basis, rows: 'all' };
  }
  // Consent (src/consent): last, so any access to all rows wins; only for a visible non-open dataset the actor may not
  // otherwise read (not for a hidden one, an anonymous caller or a token without the scope), and only per table. A
  // machine client has no user (decide() says sign_in_required) but acts for its organisation.
  const consentMayApply = d.reason === 'access_request_required' || d.reason === 'non_public' || (d.reason === 'sign_in_required' && !!actor.client);
  if (_table && consentMayApply) {
    const rows = await consentRowRestriction(_db, actor, dataset.id, _table.id);
    if (rows) return { allow: true, basis: 'consent', rows };
  }
  return d;
}

/** Throw the refusal of a DataAccess (404 for hidden things, never a 403 that confirms they exist). */
export function authorizeData(access: DataAccess, notFound: () => NotFoundError): asserts access is Extract<DataAccess, { allow: true }> {
  if (access.allow) return;
  if (access.status === 404) throw notFound();
  if (access.status === 401) throw new UnauthenticatedError();
  throw new ForbiddenError(
    access.reason === 'access_request_required' ? 'This dataset has restricted access: ask the publisher for access.' : 'This dataset is not public.',
    access.reason,
  );
}
