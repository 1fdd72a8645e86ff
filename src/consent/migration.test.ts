// The consent migration's down and up run on the configured database (SQLite, or PostgreSQL with DATABASE_URL).
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as consentMigration from '../platform/db/migrations/20261202-003-consent';
import { migrations } from '../platform/db/migrations/index';
import { createTestApp, type TestApp } from '../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

it('20261202-003-consent is listed, and goes down and up again', async () => {
  expect(migrations['20261202-003-consent']).toBe(consentMigration);
  const db = t.db as unknown as Kysely<unknown>;
  await consentMigration.down(db);
  await expect(t.db.selectFrom('consents').selectAll().execute()).rejects.toThrow();
  await consentMigration.up(db);
  expect(await t.db.selectFrom('consents').selectAll().execute()).toEqual([]);
  expect(await t.db.selectFrom('consent_events').selectAll().execute()).toEqual([]);
});
