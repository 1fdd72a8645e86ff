// Consent (samtykke): data about an organisation, shared by its own choice, with the lifecycle of Altinn's consent
// service. A consumer organisation sends a consent request (samtykkeforespørsel) to the organisation the rows are about
// (the subject) for one consent-based table, with a purpose and `validTo`; an admin of the subject accepts or rejects
// it; an accepted consent can be revoked at any time and expires at `validTo`. Every step, and every read of the rows
// under the consent, is an event the subject sees. The words follow Altinn 3's consent API: a consent request goes
// `from` the party the data is about (here `subject_orgnr`) `to` the data consumer (`consumer_orgnr`), runs until
// `validTo`, and has a list of events (Altinn's consentRequestEvents: created/accepted/rejected/revoked/…; ours add
// `used`, one per read, since here the platform itself serves the data).
//
// The lifecycle is a small state machine, kept pure here so it is tested on its own:
//
//   requested ──accept──▶ accepted ──revoke──▶ revoked
//       │                    │
//       ├──reject──▶ rejected └──(validTo passes)──▶ expired
//       └──(validTo passes)──▶ expired
//
// `used` is an event without a transition: only an accepted consent before its validTo can be used.
import type { Selectable } from 'kysely';

export const CONSENT_STATES = ['requested', 'accepted', 'rejected', 'revoked', 'expired'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

export const CONSENT_EVENTS = ['requested', 'accepted', 'rejected', 'revoked', 'expired', 'used'] as const;
export type ConsentEventKind = (typeof CONSENT_EVENTS)[number];

/** The transitions a person (or the clock) can make; `used` is not one. */
export type ConsentTransition = 'accept' | 'reject' | 'revoke' | 'expire';

const TRANSITIONS: Record<ConsentState, Partial<Record<ConsentTransition, ConsentState>>> = {
  requested: { accept: 'accepted', reject: 'rejected', expire: 'expired' },
  accepted: { revoke: 'revoked', expire: 'expired' },
  rejected: {},
  revoked: {},
  expired: {},
};

export const EVENT_OF: Record<ConsentTransition, ConsentEventKind> = { accept: 'accepted', reject: 'rejected', revoke: 'revoked', expire: 'expired' };

/** The state after `transition`, or null when the transition is not allowed from `state`. */
export function nextState(state: ConsentState, transition: ConsentTransition): ConsentState | null {
  return TRANSITIONS[state][transition] ?? null;
}

/**
 * The state a stored consent is in at `now`: a requested or accepted consent whose validTo has passed is expired even
 * before the sweep has written that down, so no read ever depends on the sweep having run.
 */
export function effectiveState(state: ConsentState, validTo: string, now: string): ConsentState {
  if ((state === 'requested' || state === 'accepted') && validTo <= now) return 'expired';
  return state;
}

/** Whether rows may be read under the consent at `now`. */
export function usable(state: ConsentState, validTo: string, now: string): boolean {
  return effectiveState(state, validTo, now) === 'accepted';
}

/** The longest a consent may run, and the longest purpose text. */
export const MAX_VALIDITY_DAYS = 3 * 366;
export const MAX_PURPOSE_LENGTH = 2000;

// --- tables ------------------------------------------------------------------------------------------------------------

/** A table its owner made consent-based: rows are shared per subject, keyed on `column_name` (an orgnr column). */
export interface ConsentTablesTable {
  table_id: string;
  dataset_id: string;
  column_name: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConsentsTable {
  id: string;
  dataset_id: string;
  table_id: string;
  subject_orgnr: string; // the organisation the rows are about: its admins decide
  consumer_orgnr: string; // the organisation that asks and reads
  purpose: string;
  valid_to: string; // ISO-8601 instant
  state: ConsentState;
  requested_by: string | null; // user id, or `client:<id>` for a machine client
  decided_by: string | null; // user id of the subject admin who accepted, rejected or revoked
  decided_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConsentEventsTable {
  id: string;
  consent_id: string;
  subject_orgnr: string; // copied from the consent so the subject's log is one indexed query
  kind: ConsentEventKind;
  at: string;
  actor_user_id: string | null;
  details: string; // JSON: for `used` { rows, offset, surface }; for decisions { reason? }
}

export type ConsentRow = Selectable<ConsentsTable>;
export type ConsentEventRow = Selectable<ConsentEventsTable>;

// --- presentation -----------------------------------------------------------------------------------------------------

export interface ConsentView {
  id: string;
  datasetId: string;
  datasetTitle: string;
  table: string;
  tableTitle: string;
  subjectOrgnr: string;
  subjectName: string | null;
  consumerOrgnr: string;
  consumerName: string | null;
  purpose: string;
  validTo: string;
  state: ConsentState;
  createdAt: string;
  decidedAt: string | null;
}

export interface ConsentEventView {
  id: string;
  consentId: string;
  kind: ConsentEventKind;
  at: string;
  /** For `used`: rows of the subject that were read, the page offset and the surface. */
  rows?: number;
  offset?: number;
  surface?: string;
  reason?: string;
}
