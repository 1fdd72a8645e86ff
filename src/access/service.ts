// The one access door. Every surface (pages, JSON API, CKAN API, CLI) asks decide(); lists use datasetVisibility().
// Rules:
// - The platform operator may do everything.
// - Organisation admins manage their organisation and its members; editors create and edit its datasets; members read
//   its internal (draft, NON_PUBLIC) datasets.
// - Published datasets' metadata is public at every access level (DCAT-AP-NO); drafts and archived datasets are seen
//   only by members of the publishing organisation. A hidden NON_PUBLIC dataset is seen only by its members, the
//   operator and holders of an active grant (resource.grantee): everyone else gets 404, never 403.
// - Data: PUBLIC for everyone; RESTRICTED and NON_PUBLIC for the organisation's members here; active grants and
//   consents need the database and are added by resolveDataAccess() in ./data-access.
// - An API token is limited by its scopes: 'read' reads, 'write' changes, 'admin' manages organisations and members.
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import type { TokenScope } from '../accounts/model';
import { actingOrganisations, type Action, type Actor, type Decision, type Resource } from './model';

const WRITE_ACTIONS: ReadonlySet<Action> = new Set(['organization:create', 'dataset:create', 'dataset:update', 'dataset:publish', 'dataset:archive']);
const ADMIN_ACTIONS: ReadonlySet<Action> = new Set(['organization:update', 'organization:manage-members', 'platform:operate']);

function scopeAllows(scopes: TokenScope[] | null, action: Action): boolean {
  if (scopes === null) return true;
  if (ADMIN_ACTIONS.has(action)) return scopes.includes('admin');
  if (WRITE_ACTIONS.has(action)) return scopes.includes('write') || scopes.includes('admin');
  return scopes.length > 0;
}

const deny = (reason: string, status: 401 | 403 | 404 = 403): Decision => ({ allow: false, reason, status });
const allow: Decision = { allow: true };

export function decide(actor: Actor, action: Action, resource: Resource): Decision {
  if (!scopeAllows(actor.scopes, action)) return deny('token_scope');
  // Machine clients (identity, Maskinporten pattern) only read: metadata and data as the rules below say (PUBLIC for
  // everyone; their organisation's grants via resolveDataAccess), and never any change, whatever their scopes.
  if (actor.via === 'client' && action !== 'dataset:read-metadata' && action !== 'dataset:read-data') return deny('machine_client_read_only');
  const user = actor.user;
  const role = 'orgnr' in resource ? actor.memberships[resource.orgnr] : undefined;

  if (resource.type === 'dataset') {
    const member = user?.isOperator === true || role !== undefined;
    const hiddenFromActor = resource.hidden === true && resource.accessRights === 'NON_PUBLIC' && resource.grantee !== true;
    const visible = (resource.state === 'published' && !hiddenFromActor) || member;
    if (action === 'dataset:read-metadata') return visible ? allow : deny('not_visible', 404);
    if (!visible) return deny('not_visible', 404);
    if (action === 'dataset:read-data') {
      if (resource.accessRights === 'PUBLIC') return allow;
      if (!user) return deny('sign_in_required', 401);
      return member ? allow : deny(resource.accessRights === 'RESTRICTED' ? 'access_request_required' : 'non_public');
    }
  }
  if (!user) return deny('sign_in_required', 401);
  if (user.isOperator) return allow;

  switch (action) {
    case 'platform:operate':
    case 'organization:create':
      // Any signed-in user may register an organisation they represent; the operator may register any.
      return action === 'organization:create' ? allow : deny('operator_only');
    case 'organization:update':
    case 'organization:manage-members':
      return role === 'admin' ? allow : deny('org_admin_only');
    case 'organization:view-members':
      return role !== undefined ? allow : deny('members_only');
    case 'dataset:create':
    case 'dataset:update':
    case 'dataset:publish':
    case 'dataset:archive':
      return role === 'admin' || role === 'editor' ? allow : deny('editor_only');
    default:
      return deny('unknown_action');
  }
}

/** decide() that throws the matching domain error; services call this. */
export function authorize(actor: Actor, action: Action, resource: Resource, notFound?: () => NotFoundError): void {
  const d = decide(actor, action, resource);
  if (d.allow) return;
  if (d.status === 404) throw notFound ? notFound() : new NotFoundError('Resource', '');
  if (d.status === 401) throw new UnauthenticatedError();
  throw new ForbiddenError(messageFor(d.reason), d.reason);
}

/**
 * authorize() for things whose existence is itself private (a dataset's ingest jobs): anonymous callers get 401
 * (sign-in is needed whatever the id), every other refusal is the same 404 as an unknown id — never a 403 that would
 * confirm the thing exists.
 */
export function authorizeOrHide(actor: Actor, action: Action, resource: Resource, notFound: () => NotFoundError): void {
  if (!actor.user) throw new UnauthenticatedError();
  if (!decide(actor, action, resource).allow) throw notFound();
}

function messageFor(reason: string): string {
  switch (reason) {
    case 'token_scope':
      return 'Your API token does not have the scope this needs.';
    case 'operator_only':
      return 'Only a platform operator may do this.';
    case 'org_admin_only':
      return 'Only an administrator of the organisation may do this.';
    case 'editor_only':
      return 'Only an administrator or editor of the organisation may do this.';
    case 'members_only':
      return 'Only members of the organisation may see this.';
    case 'access_request_required':
      return 'This dataset has restricted access: ask the publisher for access.';
    case 'non_public':
      return 'This dataset is not public.';
    case 'machine_client_read_only':
      return 'A machine client may only read.';
    default:
      return 'You do not have permission to do this.';
  }
}

/**
 * The query-side filter for dataset lists: which datasets an actor may see in lists, search results, counts and
 * catalogues. Returns the organisations whose unpublished (and hidden) datasets are visible, or 'all' for the
 * operator; and the organisations whose active grants make a hidden dataset visible (whereVisible applies both).
 */
export function datasetVisibility(actor: Actor): { allStates: 'all' | string[]; grantees: string[] } {
  if (actor.user?.isOperator) return { allStates: 'all', grantees: [] };
  return { allStates: Object.keys(actor.memberships), grantees: actingOrganisations(actor) };
}
