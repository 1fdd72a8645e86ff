// A small world for the access tests (issue 7): an owner organisation with a PUBLIC, a RESTRICTED, a NON_PUBLIC and a
// hidden NON_PUBLIC dataset, each with a ready table whose rows carry a marker; requester organisations whose access
// requests are pending, approved (active grant), expired and revoked; an outsider, the owner's member/editor/admin and
// the operator — each with an API token, and an Actor for service-level checks (a machine client too).
import { Readable } from 'node:stream';
import type { Actor } from '../../src/access/model';
import { CLI_ACTOR } from '../../src/access/model';
import { bearerFor, type TestApp } from './app';

export const OWNER = '981544315';
export const ORG_PENDING = '971526920';
export const ORG_APPROVED = '991825827';
export const ORG_EXPIRED = '974760673';
export const ORG_REVOKED = '889640782';
export const ORG_OUTSIDER = '974761076';
export const MARK = 'ROWMARK4417';
export const PASSWORD = 'correct horse battery';

export type DatasetKey = 'PUB' | 'RES' | 'NP' | 'HID';
export const DATASET_KEYS: DatasetKey[] = ['PUB', 'RES', 'NP', 'HID'];
export type ActorKey = 'anonymous' | 'outsider' | 'pending' | 'approved' | 'expired' | 'revoked' | 'member' | 'editor' | 'admin' | 'operator';
export const ACTOR_KEYS: ActorKey[] = ['anonymous', 'outsider', 'pending', 'approved', 'expired', 'revoked', 'member', 'editor', 'admin', 'operator'];

export interface World {
  datasets: Record<DatasetKey, string>;
  /** The distribution feeding each dataset's table (CKAN's resource id). */
  resources: Record<DatasetKey, string>;
  tokens: Record<Exclude<ActorKey, 'anonymous'>, string>;
  emails: Record<Exclude<ActorKey, 'anonymous'>, string>;
  requests: { pending: string; approved: string; expired: string; revoked: string };
  grants: { approved: string; approvedHidden: string; expired: string; revoked: string };
  actor(key: ActorKey): Promise<Actor>;
  machineClient(orgnr: string): Actor;
  /** Each dataset's table as SQL names it ("<orgnr>/<slug>/data", from what the operator's schema list says). */
  sqlNames: Record<DatasetKey, string>;
}

const CSV = `navn;kode;belop\n${MARK}-a;0301;10\n${MARK}-b;4601;20\n${MARK}-c;5001;30\n`;

export function requestInput(datasetId: string, orgnr: string, extra: Record<string, unknown> = {}) {
  const from = new Date().toISOString().slice(0, 10);
  const to = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  return {
    datasetId,
    orgnr,
    purpose: 'Statistikk over tilskudd per kommune.',
    intendedUse: 'Aggregert analyse i et lukket miljø.',
    legalBasis: { art6: 'e' },
    dataScope: { data: ['navn', 'belop'] },
    recipients: 'Analyseavdelingen.',
    period: { from, to },
    deletion: 'Slettes ved periodens slutt.',
    ...extra,
  };
}

export async function buildWorld(t: TestApp): Promise<World> {
  const { organisations, accounts, catalog, tables, accessRequests } = t.services;
  for (const [orgnr, name] of [
    [OWNER, 'Eierdirektoratet'],
    [ORG_PENDING, 'Venter AS'],
    [ORG_APPROVED, 'Godkjent AS'],
    [ORG_EXPIRED, 'Utløpt AS'],
    [ORG_REVOKED, 'Tilbakekalt AS'],
    [ORG_OUTSIDER, 'Utenfor AS'],
  ] as const) {
    await organisations.create(CLI_ACTOR, { orgnr, name });
  }
  const roles: [Exclude<ActorKey, 'anonymous'>, string | null, 'admin' | 'editor' | 'member'][] = [
    ['outsider', ORG_OUTSIDER, 'admin'],
    ['pending', ORG_PENDING, 'admin'],
    ['approved', ORG_APPROVED, 'admin'],
    ['expired', ORG_EXPIRED, 'admin'],
    ['revoked', ORG_REVOKED, 'admin'],
    ['member', OWNER, 'member'],
    ['editor', OWNER, 'editor'],
    ['admin', OWNER, 'admin'],
    ['operator', null, 'member'],
  ];
  const emails = {} as World['emails'];
  const tokens = {} as World['tokens'];
  for (const [key, orgnr, role] of roles) {
    const email = `${key}@example.no`;
    emails[key] = email;
    await accounts.createUser({ email, password: PASSWORD, name: key[0]!.toUpperCase() + key.slice(1), isOperator: key === 'operator', emailVerified: true });
    if (orgnr) await organisations.addMember(CLI_ACTOR, orgnr, { email, role });
    tokens[key] = await bearerFor(t.services, email, ['read', 'write']);
  }

  const datasets = {} as Record<DatasetKey, string>;
  const spec: [DatasetKey, 'PUBLIC' | 'RESTRICTED' | 'NON_PUBLIC'][] = [
    ['PUB', 'PUBLIC'],
    ['RES', 'RESTRICTED'],
    ['NP', 'NON_PUBLIC'],
    ['HID', 'NON_PUBLIC'],
  ];
  for (const [key, accessRights] of spec) {
    const ds = await catalog.createDataset(CLI_ACTOR, {
      orgnr: OWNER,
      title: { nb: `Tilskudd ${key}` },
      description: { nb: `Datasett ${key}.` },
      accessRights,
      licence: 'http://data.norge.no/nlod/no/2.0',
      contactPoint: { email: 'data@eier.example.no' },
    });
    await tables.createTableFromFile(CLI_ACTOR, ds.id, { name: 'data', filename: 'data.csv', stream: Readable.from([Buffer.from(CSV)]) });
    datasets[key] = ds.id;
  }
  await t.services.jobs.drain(60_000);
  for (const key of DATASET_KEYS) await catalog.publishDataset(CLI_ACTOR, datasets[key]);
  const resources = {} as Record<DatasetKey, string>;
  for (const key of DATASET_KEYS) resources[key] = (await catalog.getDataset(CLI_ACTOR, datasets[key])).distributions.find((d) => d.tableName === 'data')?.id ?? '';

  const actors = new Map<ActorKey, Actor>();
  async function actor(key: ActorKey): Promise<Actor> {
    if (key === 'anonymous') return { kind: 'anonymous', user: null, memberships: {}, scopes: null, via: 'anonymous' };
    const cached = actors.get(key);
    if (cached) return cached;
    const u = await accounts.findUserByEmail(emails[key]);
    if (!u) throw new Error(`no user ${key}`);
    const memberships = Object.fromEntries((await organisations.membershipsOf(u.id)).map((m) => [m.orgnr, m.role]));
    const a: Actor = { kind: 'user', user: { id: u.id, email: u.email, name: u.name, isOperator: key === 'operator', emailVerified: true }, memberships, scopes: null, via: 'session' };
    actors.set(key, a);
    return a;
  }

  const editor = await actor('editor');
  const flow = async (who: ActorKey, orgnr: string, datasetId: string, accept: boolean) => {
    const r = await accessRequests.submit(await actor(who), requestInput(datasetId, orgnr));
    await accessRequests.approve(editor, r.id, { terms: 'Ingen videreformidling. Bare aggregerte resultater publiseres.' });
    if (accept) await accessRequests.accept(await actor(who), r.id);
    const after = await accessRequests.get(editor, r.id);
    return { request: r.id, grant: after.grant?.id ?? '' };
  };
  const pending = await accessRequests.submit(await actor('pending'), requestInput(datasets.RES, ORG_PENDING));
  const approved = await flow('approved', ORG_APPROVED, datasets.RES, true);
  // The hidden dataset is requested while still visible, then hidden by its owner: the grant holder keeps seeing it.
  const approvedHidden = await flow('approved', ORG_APPROVED, datasets.HID, true);
  const expired = await flow('expired', ORG_EXPIRED, datasets.RES, true);
  const expiredHidden = await flow('expired', ORG_EXPIRED, datasets.HID, true);
  const revoked = await flow('revoked', ORG_REVOKED, datasets.RES, true);
  const revokedHidden = await flow('revoked', ORG_REVOKED, datasets.HID, true);
  await catalog.updateDataset(editor, datasets.HID, { hidden: true });
  // Expire by moving the end into the past (the grants table has no append-only rule; the audit log does).
  await t.db.updateTable('access_grants').set({ valid_to: new Date(Date.now() - 60_000).toISOString() }).where('id', 'in', [expired.grant, expiredHidden.grant]).execute();
  await accessRequests.revoke(editor, revoked.grant, { reason: 'Avtalen er brutt.' });
  await accessRequests.revoke(editor, revokedHidden.grant, {});

  const sqlNames = {} as Record<DatasetKey, string>;
  for (const item of await t.services.sql.readableTables(await actor('operator'), {}).then((r) => r.items)) {
    const key = DATASET_KEYS.find((k) => datasets[k] === item.datasetId);
    if (key) sqlNames[key] = item.name;
  }
  return {
    sqlNames,
    datasets,
    resources,
    tokens,
    emails,
    requests: { pending: pending.id, approved: approved.request, expired: expired.request, revoked: revoked.request },
    grants: { approved: approved.grant, approvedHidden: approvedHidden.grant, expired: expired.grant, revoked: revoked.grant },
    actor,
    machineClient: (orgnr: string): Actor => ({ kind: 'user', user: null, memberships: {}, scopes: ['read'], via: 'client', client: { id: `client-${orgnr}`, orgnr } }),
  };
}
