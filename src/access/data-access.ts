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
import { nowIso } from '../platform/db/index';
import { actingOrganisations, type Actor, type Resource } from './model';
import { decide } from './service';
import { consentRowRestriction } from '../consent/access';

/** The dataset facts the decision needs (what the tables and catalog services already load). */
export interface DataResource {
  id: string;
  orgnr: string;
  state: DatasetState;
  accessRights: AccessRights;
  /**
   * The owner hides this NON_PUBLIC dataset (404 to outsiders without a grant). Required, not optional: a caller that
   * forgot it would answer 401/403 for a hidden dataset and so confirm that it exists (the leak matrix caught the data
   * API doing exactly that).
   */
  hidden: boolean;
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
 * The active grant (access request approved, agreement accepted, not revoked, not expired) that lets one of the
 * organisations the actor acts for (a user's memberships, a machine client's organisation) read this dataset's data.
 * Checked at every read (every page of a download), so a revocation or expiry takes effect at the next page.
 */
export async function activeGrantFor(db: DbOrTx, actor: Actor, datasetId: string): Promise<{ id: string; granteeOrgnr: string } | undefined> {
  const orgs = actingOrganisations(actor);
  if (orgs.length === 0 || (!actor.user && !actor.client)) return undefined;
  const row = await db
    .selectFrom('access_grants')
    .select(['id', 'grantee_orgnr'])
    .where('dataset_id', '=', datasetId)
    .where('grantee_orgnr', 'in', orgs)
    .where('state', '=', 'active')
    .where('valid_from', '<=', nowIso())
    .where('valid_to', '>', nowIso())
    .orderBy('valid_to', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, granteeOrgnr: row.grantee_orgnr } : undefined;
}

/**
 * The access door's view of a dataset row for this actor: its facts, and — for a published non-open dataset of another
 * organisation — whether the actor holds an active grant (a hidden dataset is visible to grant holders; they see a
 * table's full import report, as readers of the data). Services build the Resource they pass to
 * decide()/authorize() with this, so hidden datasets answer 404 to outsiders on every surface.
 */
export async function datasetResourceFor(
  db: DbOrTx,
  actor: Actor,
  row: { id: string; orgnr: string; state: DatasetState; access_rights: AccessRights; hidden?: number | boolean | null },
): Promise<Extract<Resource, { type: 'dataset' }>> {
  const hidden = Boolean(row.hidden) && row.access_rights === 'NON_PUBLIC';
  const resource: Extract<Resource, { type: 'dataset' }> = { type: 'dataset', orgnr: row.orgnr, state: row.state, accessRights: row.access_rights, hidden };
  const outsider = !actor.user?.isOperator && actor.memberships[row.orgnr] === undefined;
  // Grants matter for non-open published datasets only (hidden ones' visibility, and the table report level).
  if (outsider && row.access_rights !== 'PUBLIC' && row.state === 'published' && (await activeGrantFor(db, actor, row.id))) resource.grantee = true;
  return resource;
}

/**
 * Decide data access for one dataset (and, where the surface reads one table, that table: consent is per table).
 * Public data for everyone; the owner organisation's members and the operator; active grants of the organisations the
 * actor acts for (basis 'grant', with its id for the audit entry). Consents are added here by their domain, never in
 * the surfaces.
 */
export async function resolveDataAccess(db: DbOrTx, actor: Actor, dataset: DataResource, table?: { id: string }): Promise<DataAccess> {
  const resource: Extract<Resource, { type: 'dataset' }> = { type: 'dataset', orgnr: dataset.orgnr, state: dataset.state, accessRights: dataset.accessRights, hidden: dataset.hidden && dataset.accessRights === 'NON_PUBLIC' };
  const d = decide(actor, 'dataset:read-data', resource);
  if (d.allow) {
    const basis = dataset.accessRights === 'PUBLIC' ? 'public' : actor.user?.isOperator ? 'operator' : 'member';
    return { allow: true, basis, rows: 'all' };
  }
  // Grants: only on published datasets, never past a token's missing scope.
  if (d.reason !== 'token_scope' && dataset.state === 'published') {
    const grant = await activeGrantFor(db, actor, dataset.id);
    if (grant) return { allow: true, basis: 'grant', grantId: grant.id, rows: 'all' };
  }
  // Consent (src/consent): last, so any access to all rows wins; only for a visible non-open dataset the actor may not
  // otherwise read (not for a hidden one, an anonymous caller or a token without the scope), and only per table. A
  // machine client has no user (decide() says sign_in_required) but acts for its organisation.
  const consentMayApply = d.reason === 'access_request_required' || d.reason === 'non_public' || (d.reason === 'sign_in_required' && !!actor.client);
  if (table && consentMayApply) {
    const rows = await consentRowRestriction(db, actor, dataset.id, table.id);
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

/**
 * The organisation a data read was made for, for its audit entry and the owner's usage statistics: the grant's grantee,
 * the owner for its own members, a machine client's organisation, else none. One rule for every data surface.
 */
export async function readForOrganisation(db: DbOrTx, actor: Actor, access: Extract<DataAccess, { allow: true }>, ownerOrgnr: string): Promise<string | null> {
  if (access.basis === 'grant' && access.grantId) {
    return (await db.selectFrom('access_grants').select('grantee_orgnr').where('id', '=', access.grantId).executeTakeFirst())?.grantee_orgnr ?? null;
  }
  if (access.basis === 'member') return ownerOrgnr;
  return actor.client?.orgnr ?? null;
}
