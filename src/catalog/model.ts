import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export const ACCESS_RIGHTS = ['PUBLIC', 'RESTRICTED', 'NON_PUBLIC'] as const;
export type AccessRights = (typeof ACCESS_RIGHTS)[number];
export const ACCESS_RIGHTS_URI = 'http://publications.europa.eu/resource/authority/access-right/';

export const DATASET_STATES = ['draft', 'published', 'archived'] as const;
export type DatasetState = (typeof DATASET_STATES)[number];

/** A text in the three languages the catalogue speaks. Missing languages are absent, not empty strings. */
export interface LangText {
  nb?: string;
  nn?: string;
  en?: string;
}
export interface LangList {
  nb?: string[];
  nn?: string[];
  en?: string[];
}

export interface ContactPoint {
  name?: string;
  email?: string;
  phone?: string;
  url?: string;
}

export interface DatasetsTable {
  id: string;
  orgnr: string; // publisher
  state: DatasetState;
  title: string; // JSON LangText
  description: string; // JSON LangText
  keywords: string; // JSON LangList
  themes: string; // JSON array of EU data theme URIs
  los_themes: string; // JSON array of LOS URIs
  access_rights: AccessRights;
  licence: string | null; // URI
  contact_point: string; // JSON ContactPoint
  spatial: string; // JSON array of kommunenummer / fylkesnummer codes
  temporal_start: string | null; // ISO date
  temporal_end: string | null;
  frequency: string | null; // EU frequency authority code, e.g. ANNUAL
  provenance: string | null;
  issued: string | null; // ISO date
  modified: string | null;
  landing_page: string | null;
  legal_basis_restriction: string | null;
  legal_basis_processing: string | null;
  legal_basis_access: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  /** 0/1: a NON_PUBLIC dataset whose metadata the owner hides (outsiders get 404 everywhere); decided by the access door. */
  hidden: Generated<number>;
  /** 'local', or the id of the harvest source the dataset came from. */
  origin: Generated<string>;
}

export interface DistributionsTable {
  id: string;
  dataset_id: string;
  title: string; // JSON LangText
  description: string; // JSON LangText
  access_url: string | null;
  download_url: string | null;
  media_type: string | null; // IANA media type, e.g. text/csv
  format: string | null; // EU file-type code, e.g. CSV
  licence: string | null;
  byte_size: number | null;
  blob_key: string | null; // hosted file in the blob store
  table_id: string | null; // hosted table this distribution feeds
  created_at: string;
  updated_at: string;
}

export type DatasetRow = Selectable<DatasetsTable>;
export type NewDatasetRow = Insertable<DatasetsTable>;
export type DatasetRowUpdate = Updateable<DatasetsTable>;
export type DistributionRow = Selectable<DistributionsTable>;

export interface Temporal {
  start: string | null; // ISO date
  end: string | null;
}

export interface LegalBasis {
  restriction: string | null;
  processing: string | null;
  access: string | null;
}

/** A distribution as services return it. */
export interface Distribution {
  id: string;
  datasetId: string;
  title: LangText;
  description: LangText;
  accessUrl: string | null;
  downloadUrl: string | null;
  mediaType: string | null;
  format: string | null;
  licence: string | null;
  byteSize: number | null;
  tableId: string | null;
  /** Name of that hosted table, which its rows API is addressed by. */
  tableName: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A dataset as services return it: JSON columns parsed, camelCase, with its publisher and distributions. */
export interface Dataset {
  id: string;
  state: DatasetState;
  publisher: { orgnr: string; name: string };
  title: LangText;
  description: LangText;
  keywords: LangList;
  themes: string[];
  losThemes: string[];
  accessRights: AccessRights;
  licence: string | null;
  contactPoint: ContactPoint;
  spatial: string[];
  temporal: Temporal;
  frequency: string | null;
  provenance: string | null;
  issued: string | null;
  modified: string | null;
  landingPage: string | null;
  legalBasis: LegalBasis;
  /** A hidden NON_PUBLIC dataset: 404 to everyone but its organisation, the operator and grant holders. */
  hidden: boolean;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  distributions: Distribution[];
}

/** What a client sends to create a dataset (JSON API and form alike). Absent fields keep their value on update. */
export interface DatasetInput {
  orgnr: string;
  title?: LangText;
  description?: LangText;
  keywords?: LangList;
  themes?: string[];
  losThemes?: string[];
  accessRights?: AccessRights;
  licence?: string | null;
  contactPoint?: ContactPoint;
  spatial?: string[];
  temporal?: { start?: string | null; end?: string | null };
  frequency?: string | null;
  provenance?: string | null;
  issued?: string | null;
  modified?: string | null;
  landingPage?: string | null;
  legalBasis?: { restriction?: string | null; processing?: string | null; access?: string | null };
  /** Hide a NON_PUBLIC dataset's metadata from outsiders (issue 7). */
  hidden?: boolean;
}

export type DatasetPatch = Partial<Omit<DatasetInput, 'orgnr'>>;

export interface DistributionInput {
  title?: LangText;
  description?: LangText;
  accessUrl?: string | null;
  downloadUrl?: string | null;
  mediaType?: string | null;
  format?: string | null;
  licence?: string | null;
  byteSize?: number | null;
  /** Set by the tables domain when a hosted table feeds this distribution; not accepted from clients. */
  tableId?: string | null;
  blobKey?: string | null;
}

export type DatasetSort = 'newest' | 'updated';
