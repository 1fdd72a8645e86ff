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
  name: string;
  orgForm?: string | null;
  municipality?: string | null;
  homepage?: string | null;
}

export type OrganizationPatch = Partial<Omit<OrganizationInput, 'orgnr'>>;
