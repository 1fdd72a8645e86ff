// Notifications: the in-app list (bell count in the layout, /varsler) and the same notice by e-mail through the mail
// outbox, in each recipient's language. Params carry titles, names and ids only — never data values.
import { randomUUID } from 'node:crypto';
import type { Actor } from '../access/model';
import type { Db, DbOrTx } from '../database';
import { NotFoundError, UnauthenticatedError } from '../errors';
import { nowIso, parseJson } from '../platform/db/index';
import type { Mailer } from '../platform/mail/index';
import { isLocale } from '../web/i18n/index';
import { composeNotificationMail } from './mails';
import type { Notification, NotificationKind, NotificationRow } from './model';

export interface NotifyInput {
  userIds: string[];
  kind: NotificationKind;
  params: Record<string, string>;
  link: string;
}

function present(r: NotificationRow): Notification {
  return { id: r.id, kind: r.kind, params: parseJson<Record<string, string>>(r.params, {}), link: r.link, createdAt: r.created_at, readAt: r.read_at };
}

export function createNotificationsService(deps: { db: Db; mail?: Mailer; baseUrl: string; logger?: { error(obj: object, msg?: string): void } }) {
  const { db } = deps;
  return {
    /** Writes the notices inside the caller's transaction; returns a function that mails them once it committed. */
    async notify(tx: DbOrTx, input: NotifyInput): Promise<() => void> {
      const ids = [...new Set(input.userIds)];
      if (ids.length === 0) return () => undefined;
      const now = nowIso();
      await tx
        .insertInto('notifications')
        .values(ids.map((userId) => ({ id: randomUUID(), user_id: userId, kind: input.kind, params: JSON.stringify(input.params), link: input.link, created_at: now, read_at: null })))
        .execute();
      return () => {
        const mail = deps.mail;
        if (!mail) return;
        void (async () => {
          const users = await db.selectFrom('users').select(['email', 'name', 'locale']).where('id', 'in', ids).execute();
          for (const u of users) {
            const locale = isLocale(u.locale) ? u.locale : 'nb';
            await mail.send(composeNotificationMail(input.kind, { locale, name: u.name, email: u.email, params: input.params, link: `${deps.baseUrl}${input.link}`, baseUrl: deps.baseUrl }));
          }
        })().catch((err: unknown) => deps.logger?.error({ err, kind: input.kind }, 'notification mail failed'));
      };
    },

    async list(actor: Actor, opts: { limit?: number } = {}): Promise<{ items: Notification[]; unread: number }> {
      if (!actor.user) throw new UnauthenticatedError();
      const limit = Math.max(1, Math.min(200, opts.limit ?? 50));
      const [rows, unread] = await Promise.all([
        db.selectFrom('notifications').selectAll().where('user_id', '=', actor.user.id).orderBy('created_at', 'desc').orderBy('id').limit(limit).execute(),
        db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', actor.user.id).where('read_at', 'is', null).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(present), unread: Number(unread.n) };
    },

    /** Unread count for the layout's bell (0 for anonymous visitors and machine clients). */
    async unreadCount(actor: Actor): Promise<number> {
      if (!actor.user || actor.via === 'cli') return 0;
      const r = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', actor.user.id).where('read_at', 'is', null).executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Marks one (or, without id, all) of the actor's notices read. Another user's id is 404. */
    async markRead(actor: Actor, id?: string): Promise<void> {
      if (!actor.user) throw new UnauthenticatedError();
      let q = db.updateTable('notifications').set({ read_at: nowIso() }).where('user_id', '=', actor.user.id).where('read_at', 'is', null);
      if (id !== undefined) {
        const own = await db.selectFrom('notifications').select('id').where('id', '=', id).where('user_id', '=', actor.user.id).executeTakeFirst();
        if (!own) throw new NotFoundError('Notification', id, 'notification_not_found');
        q = q.where('id', '=', id);
      }
      await q.execute();
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Unread notifications of the signed-in reader, for the layout's bell (HTML pages only). */
    unreadNotifications?: number;
  }
}

/** A preHandler for HTML pages: counts the signed-in reader's unread notifications for the layout. */
export function notificationCountHook(notifications: Pick<NotificationsService, 'unreadCount'>) {
  return async (request: import('fastify').FastifyRequest): Promise<void> => {
    if (request.method !== 'GET' || request.url.startsWith('/api/') || request.url.startsWith('/static/') || !request.actor?.user) return;
    request.unreadNotifications = await notifications.unreadCount(request.actor);
  };
}
