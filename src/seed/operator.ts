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

/**
 * The framed block that shows the first operator's credentials once, on the terminal, never through the logger (a log
 * collector keeps lines forever). Plain ASCII so it reads the same in every terminal and in a copied bug report.
 */
export function operatorPasswordBlock(account: { email: string; password: string }, signInUrl: string): string[] {
  const body = [
    'First operator account created',
    '',
    `  E-mail:   ${account.email}`,
    `  Password: ${account.password}`,
    `  Sign in:  ${signInUrl}`,
    '',
    'This password is shown once. Change it after signing in',
    '(Min konto / My account).',
  ];
  const width = Math.max(...body.map((l) => l.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return [rule, ...body.map((l) => `| ${l.padEnd(width)} |`), rule];
}
