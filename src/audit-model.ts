export interface AuditLogTable {
  id: string;
  at: string;
  actor_user_id: string | null;
  action: string; // e.g. dataset.publish, table.read
  resource_type: string;
  resource_id: string;
  details: string; // JSON
}
