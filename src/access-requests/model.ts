// Access requests and the grants (data-sharing agreements) they produce: tables, states and what services return.
import type { Selectable } from 'kysely';

/**
 * submitted → (info_requested ⇄ submitted) → approved | rejected; withdrawn by the requester before a decision.
 * An approval offers a grant (agreement); the requester's acceptance makes the request 'accepted' and the grant active.
 */
export const REQUEST_STATES = ['submitted', 'info_requested', 'approved', 'rejected', 'withdrawn', 'accepted'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
export const OPEN_REQUEST_STATES: readonly RequestState[] = ['submitted', 'info_requested'];

/** offered: approved, waiting for the requester to accept the agreement; active: in force until valid_to; revoked. */
export const GRANT_STATES = ['offered', 'active', 'revoked'] as const;
export type GrantState = (typeof GRANT_STATES)[number];

/** GDPR art. 6(1) a–f; art. 9(2) a–j when special categories of personal data are involved. */
export const ART6_BASES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
export type Art6Basis = (typeof ART6_BASES)[number];
export const ART9_BASES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] as const;
export type Art9Basis = (typeof ART9_BASES)[number];

export interface AccessRequestsTable {
  id: string;
  dataset_id: string;
  requester_user_id: string | null;
  requester_orgnr: string;
  owner_orgnr: string;
  state: RequestState;
  purpose: string;
  intended_use: string;
  legal_basis_art6: Art6Basis;
  special_categories: number; // 0/1
  legal_basis_art9: Art9Basis | null;
  legal_basis_note: string | null;
  data_scope: string; // JSON { table: [column, …] } — data minimisation
  recipients: string;
  period_from: string; // ISO date
  period_to: string; // ISO date
  deletion: string;
  terms: string | null;
  decision_reason: string | null;
  info_question: string | null;
  info_answer: string | null;
  decided_by: string | null;
  decided_at: string | null;
  grant_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccessGrantsTable {
  id: string;
  request_id: string;
  dataset_id: string;
  grantee_orgnr: string;
  owner_orgnr: string;
  state: GrantState;
  valid_from: string; // ISO date-time
  valid_to: string; // ISO date-time (exclusive)
  terms: string;
  licence: string | null;
  created_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  renewed_at: string | null;
}

export type AccessRequestRow = Selectable<AccessRequestsTable>;
export type AccessGrantRow = Selectable<AccessGrantsTable>;

export interface OrgRef {
  orgnr: string;
  name: string;
}

/** What a requester sends. */
export interface AccessRequestInput {
  datasetId: string;
  orgnr: string;
  purpose: string;
  intendedUse: string;
  legalBasis: { art6: string; specialCategories?: boolean; art9?: string | null; note?: string | null };
  /** Data minimisation: which tables, and which of their columns (an empty list = every column). */
  dataScope: Record<string, string[]>;
  recipients: string;
  period: { from: string; to: string };
  deletion: string;
}

/** The grant's view as both parties see it; `status` adds 'expired' (active past valid_to). */
export interface AccessGrant {
  id: string;
  requestId: string;
  datasetId: string;
  grantee: OrgRef;
  owner: OrgRef;
  state: GrantState;
  status: GrantState | 'expired';
  validFrom: string;
  validTo: string;
  terms: string;
  licence: string | null;
  createdAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  renewedAt: string | null;
}

export interface AccessRequest {
  id: string;
  dataset: { id: string; title: { nb?: string; nn?: string; en?: string } };
  requester: OrgRef & { userId: string | null; userName: string | null };
  owner: OrgRef;
  state: RequestState;
  purpose: string;
  intendedUse: string;
  legalBasis: { art6: Art6Basis; specialCategories: boolean; art9: Art9Basis | null; note: string | null };
  dataScope: Record<string, string[]>;
  recipients: string;
  period: { from: string; to: string };
  deletion: string;
  terms: string | null;
  decisionReason: string | null;
  infoQuestion: string | null;
  infoAnswer: string | null;
  decidedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Whole days since it was submitted (the queue shows the age). */
  ageDays: number;
  grant: AccessGrant | null;
}
