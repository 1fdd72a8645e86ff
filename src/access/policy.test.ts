// The door's rules for hidden datasets and grants (issue 7): pure decide()/tableDetailLevel() cases.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, actingOrganisations, type Actor, type Resource } from './model';
import { datasetVisibility, decide } from './service';
import { tableDetailLevel } from './table-visibility';

const ORG = '981544315';
const user = (memberships: Actor['memberships'] = {}, isOperator = false): Actor => ({
  kind: 'user',
  user: { id: 'u', email: 'u@example.no', name: 'U', isOperator, emailVerified: true },
  memberships,
  scopes: null,
  via: 'session',
});
const ds = (over: Partial<Extract<Resource, { type: 'dataset' }>> = {}): Resource => ({ type: 'dataset', orgnr: ORG, state: 'published', accessRights: 'NON_PUBLIC', ...over });

describe('hidden datasets', () => {
  it('are 404 to everyone but members, the operator and grant holders — for metadata and data alike', () => {
    const hidden = ds({ hidden: true });
    for (const a of [ANONYMOUS, user({ '971526920': 'admin' })]) {
      expect(decide(a, 'dataset:read-metadata', hidden)).toEqual({ allow: false, reason: 'not_visible', status: 404 });
      expect(decide(a, 'dataset:read-data', hidden)).toMatchObject({ status: 404 });
    }
    expect(decide(user({ [ORG]: 'member' }), 'dataset:read-metadata', hidden).allow).toBe(true);
    expect(decide(user({}, true), 'dataset:read-metadata', hidden).allow).toBe(true);
    expect(decide(user({ '971526920': 'admin' }), 'dataset:read-metadata', ds({ hidden: true, grantee: true })).allow).toBe(true);
  });

  it('hide only NON_PUBLIC datasets: the flag on a RESTRICTED or PUBLIC one changes nothing', () => {
    expect(decide(ANONYMOUS, 'dataset:read-metadata', ds({ hidden: true, accessRights: 'RESTRICTED' })).allow).toBe(true);
    expect(decide(ANONYMOUS, 'dataset:read-data', ds({ hidden: true, accessRights: 'PUBLIC' })).allow).toBe(true);
  });
});

describe('grants and machine clients', () => {
  it('a grant holder sees the full table report; others of its kind the schema only', () => {
    const outsider = user({ '971526920': 'admin' });
    expect(tableDetailLevel(outsider, ds({ accessRights: 'RESTRICTED' }))).toBe('schema');
    expect(tableDetailLevel(outsider, ds({ accessRights: 'RESTRICTED', grantee: true }))).toBe('full');
  });

  it('a machine client acts for its organisation (lists and grants apply to it)', () => {
    const client: Actor = { kind: 'user', user: null, memberships: {}, scopes: ['read'], via: 'client', client: { id: 'c1', orgnr: '971526920' } };
    expect(actingOrganisations(client)).toEqual(['971526920']);
    expect(datasetVisibility(client)).toEqual({ allStates: [], grantees: ['971526920'] });
    expect(datasetVisibility(user({ [ORG]: 'member' }))).toEqual({ allStates: [ORG], grantees: [ORG] });
    expect(datasetVisibility(user({}, true))).toEqual({ allStates: 'all', grantees: [] });
  });
});
