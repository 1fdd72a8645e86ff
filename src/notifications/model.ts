// In-app notifications: a user's notices about access requests and grants. Params hold names and ids only (no data).
import type { Selectable } from 'kysely';

export const NOTIFICATION_KINDS = [
  'request.submitted',
  'request.info_requested',
  'request.answered',
  'request.approved',
  'request.rejected',
  'grant.accepted',
  'grant.revoked',
  'grant.renewed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: NotificationKind;
  params: string; // JSON { dataset, org, … } — titles and names for the message
  link: string; // local path
  created_at: string;
  read_at: string | null;
}

export type NotificationRow = Selectable<NotificationsTable>;

export interface Notification {
  id: string;
  kind: NotificationKind;
  params: Record<string, string>;
  link: string;
  createdAt: string;
  readAt: string | null;
}
