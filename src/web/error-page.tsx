// The HTML rendering of an error, in the reader's language. Codes with a message in the catalogue ("error.<code>") are
// translated; other 4xx messages are shown as the service wrote them; 5xx never shows internals.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldProblem } from '../errors';
import { hasKey } from './i18n/index';
import { h } from './jsx';
import { sendPage } from './layout';
import { urls } from './urls';

export function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  body: { status: number; code: string; message: string; params: Record<string, string | number> },
  problems: FieldProblem[],
): FastifyReply {
  const t = request.t;
  const key = `error.${body.code}`;
  const message = hasKey(key) ? t(key, body.params) : body.status >= 500 ? t('error.internal') : body.message;
  return sendPage(
    request,
    reply,
    { title: t('error.title'), status: body.status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">
        {t('error.title')}
      </h1>
      <p class="ds-paragraph">{message}</p>
      {problems.length ? (
        <ul class="ds-list">
          {problems.map((p) => (
            <li>{p.message}</li>
          ))}
        </ul>
      ) : null}
      <p class="ds-paragraph" data-size="sm">
        {`Status ${body.status} · ${request.id}`}
      </p>
      <p>
        <a class="ds-link" href={urls.home()}>
          {t('error.back')}
        </a>
      </p>
    </section>,
  );
}
