// The first operator account: created once when the platform has no operator, with a random password printed once.
import crypto from 'node:crypto';
import type { Services } from '../services';

export const DEFAULT_OPERATOR_EMAIL = 'operator@datafabrikken.local';

export async function ensureOperator(services: Services): Promise<{ created: boolean; email: string; password?: string }> {
  const db = services.platform.dbh.db;
  const existing = await db.selectFrom('users').select(['email']).where('is_operator', '=', 1).executeTakeFirst();
  if (existing) return { created: false, email: existing.email };
  const password = crypto.randomBytes(15).toString('base64url');
  const user = await services.accounts.createUser({ email: DEFAULT_OPERATOR_EMAIL, password, name: 'Plattformoperatør', isOperator: true });
  return { created: true, email: user.email, password };
}
