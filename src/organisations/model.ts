import type { Insertable, Selectable, Updateable } from 'kysely';

export type MemberRole = 'admin' | 'editor' | 'member';
export const MEMBER_ROLES: readonly MemberRole[] = ['admin', 'editor', 'member'];

export interface OrganizationsTable {
  orgnr: string; // 9-digit organisasjonsnummer, mod-11 checked
  name: string;
  org_form: string | null; // e.g. AS, ENK, ORGL, KOMM, STAT
  municipality: string | null; // kommunenummer (4 digits)
  homepage: string | null;
  created_at: string; // ISO-8601
  updated_at: string;
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
