import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type MemberRole = 'admin' | 'editor' | 'member';

/** pending: claimed by an ordinary user, waiting for an operator; approved: may publish; rejected: may do nothing. */
export type OrganizationStatus = 'pending' | 'approved' | 'rejected';
export const ORGANIZATION_STATUSES: readonly OrganizationStatus[] = ['pending', 'approved', 'rejected'];
/** The last check against Enhetsregisteret: the unit's state there, or not_found. */
export type RegistryCheckStatus = 'active' | 'bankrupt' | 'winding_up' | 'deleted' | 'not_found';
export const MEMBER_ROLES: readonly MemberRole[] = ['admin', 'editor', 'member'];

export interface OrganizationsTable {
  orgnr: string; // 9-digit organisasjonsnummer, mod-11 checked
  name: string;
  org_form: string | null; // e.g. AS, ENK, ORGL, KOMM, STAT
  municipality: string | null; // kommunenummer (4 digits)
  homepage: string | null;
  created_at: string; // ISO-8601
  updated_at: string;
  status: Generated<OrganizationStatus>; // the database default (approved) covers rows from before claims existed
  claimed_by: string | null; // user id of the claimant; null when an operator or the CLI created it
  claimed_at: string | null;
  claimed_name: string | null; // the name the claimant typed
  decided_by: string | null;
  decided_at: string | null;
  rejection_reason: string | null;
  registry_checked_at: string | null; // null: not checked against Enhetsregisteret
  registry_source: 'api' | 'file' | null;
  registry_status: RegistryCheckStatus | null;
  /** 1: created by a harvest (migration 20261202-001): no members, never signs in or publishes. */
  harvested: Generated<number>;
  /** The publisher's URI as a harvested source gave it. */
  agent_uri: Generated<string | null>;
}

/** The local copy of Enhetsregisteret: API answers cached on lookup and the imported bulk download. */
export interface RegistryUnitsTable {
  orgnr: string;
  kind: 'enhet' | 'underenhet';
  name: string;
  org_form: string | null;
  municipality: string | null;
  status: 'active' | 'bankrupt' | 'winding_up' | 'deleted';
  deleted_at: string | null;
  parent_orgnr: string | null;
  source: 'api' | 'file';
  fetched_at: string;
}

export interface MembershipsTable {
  orgnr: string;
  user_id: string;
  role: MemberRole;
  created_at: string;
}

export type Organization = Selectable<OrganizationsTable>;
export type NewOrganization = Insertable<OrganizationsTable>;
export type OrganizationUpdate = Updateable<OrganizationsTable>;
export type Membership = Selectable<MembershipsTable>;

/** An organisation as services return it (camelCase, with the municipality's name looked up). */
export interface OrganizationView {
  orgnr: string;
  name: string;
  orgForm: string | null;
  municipality: string | null;
  municipalityName: string | null;
  homepage: string | null;
  createdAt: string;
  updatedAt: string;
  status: OrganizationStatus;
  claimedAt: string | null;
  decidedAt: string | null;
  /** Shown to operators and the claimant only (null otherwise). */
  rejectionReason: string | null;
  registry: { checkedAt: string | null; source: 'api' | 'file' | null; status: RegistryCheckStatus | null };
}

/** What an operator sees for a claim: the organisation, who claimed it, and the registry record beside it. */
export interface ClaimView {
  organization: OrganizationView;
  claimedName: string | null;
  claimant: { id: string; email: string; name: string } | null;
  registryUnit: RegistryUnitView | null;
}

export interface RegistryUnitView {
  orgnr: string;
  kind: 'enhet' | 'underenhet';
  name: string;
  orgForm: string | null;
  municipality: string | null;
  municipalityName: string | null;
  status: 'active' | 'bankrupt' | 'winding_up' | 'deleted';
  deletedAt: string | null;
  parentOrgnr: string | null;
  source: 'api' | 'file';
  fetchedAt: string;
}

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  createdAt: string;
}

export interface OrganizationInput {
  orgnr: string;
  /** Required only when Enhetsregisteret cannot be asked; otherwise the official name is used. */
  name?: string;
  orgForm?: string | null;
  municipality?: string | null;
  homepage?: string | null;
}

export type OrganizationPatch = Partial<Omit<OrganizationInput, 'orgnr'>>;
