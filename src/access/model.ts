import type { TokenScope } from '../accounts/model';
import type { AccessRights, DatasetState } from '../catalog/model';
import type { MemberRole } from '../organisations/model';

/** Who is asking, resolved once per request (STYLE §12) and handed to services. */
export interface Actor {
  kind: 'anonymous' | 'user';
  user: { id: string; email: string; name: string; isOperator: boolean; emailVerified: boolean } | null;
  /** orgnr → role */
  memberships: Record<string, MemberRole>;
  /** Scopes of the API token used; null when the actor came by session (a session may do what the user may). */
  scopes: TokenScope[] | null;
  via: 'anonymous' | 'session' | 'token' | 'cli' | 'client';
  /** A machine client (Maskinporten pattern) acting for one organisation; then `user` is null. */
  client?: { id: string; orgnr: string } | null;
}

/** The organisations an actor acts for: a user's memberships, or a machine client's organisation. Grants belong to these. */
export function actingOrganisations(actor: Actor): string[] {
  if (actor.client) return [actor.client.orgnr];
  return Object.keys(actor.memberships);
}

export const ANONYMOUS: Actor = Object.freeze({ kind: 'anonymous', user: null, memberships: {}, scopes: null, via: 'anonymous' }) as Actor;

/** The command-line tool acts as the platform operator (a synthetic user: decide() requires a user). */
export const CLI_ACTOR: Actor = Object.freeze({
  kind: 'user',
  user: Object.freeze({ id: 'cli', email: 'cli@localhost', name: 'CLI', isOperator: true, emailVerified: true }),
  memberships: {},
  scopes: null,
  via: 'cli',
}) as Actor;

export type Action =
  | 'organization:create'
  | 'organization:update'
  | 'organization:manage-members'
  | 'organization:view-members'
  | 'dataset:create'
  | 'dataset:read-metadata'
  | 'dataset:read-data'
  | 'dataset:update'
  | 'dataset:publish'
  | 'dataset:archive'
  | 'platform:operate';

/** What the door needs to know about the thing being acted on. */
export type Resource =
  | { type: 'platform' }
  | { type: 'organization'; orgnr: string }
  | {
      type: 'dataset';
      orgnr: string;
      state: DatasetState;
      accessRights: AccessRights;
      /** The owner hides this NON_PUBLIC dataset's metadata: outsiders get 404 everywhere. */
      hidden?: boolean;
      /** The actor acts for an organisation holding an active grant on it (datasetResourceFor() looks it up). */
      grantee?: boolean;
    };

export type Decision = { allow: true } | { allow: false; reason: string; status: 401 | 403 | 404 };
