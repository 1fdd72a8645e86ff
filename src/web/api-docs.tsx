// The human docs page for the JSON API, rendered from the same OpenAPI document served at /api/v1/openapi.json.
import type { DomainPlugin } from '../platform/http/plugin';
import { h } from './jsx';
import { sendPage } from './layout';
import { urls } from './urls';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: { type?: string } }[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export const apiDocsPages: DomainPlugin = async (app) => {
  app.get('/api', { schema: { hide: true } }, async (request, reply) => {
    const t = request.t;
    const doc = app.swagger() as unknown as { info: { title: string; description?: string }; paths: Record<string, Record<string, Operation>> };
    const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const tag = op.tags?.[0] ?? 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag)?.push({ method, path, op });
      }
    }
    return sendPage(
      request,
      reply,
      { title: t('apidocs.title'), alternates: [{ href: urls.api.openapi(), type: 'application/json', title: 'OpenAPI' }] },
      <article class="df-stack">
        <h1 class="ds-heading" data-size="lg">
          {t('apidocs.title')}
        </h1>
        <p class="ds-paragraph">{t('apidocs.lead')}</p>
        <p class="ds-paragraph">
          <a class="ds-link" href={urls.api.openapi()}>
            {t('apidocs.openapi')}
          </a>
        </p>
        <pre>
          <code>{`curl -H "Authorization: Bearer df_…" ${request.protocol}://${request.host}/api/v1/datasets`}</code>
        </pre>
        {[...byTag.entries()].map(([tag, ops]) => (
          <section>
            <h2 class="ds-heading" data-size="md" id={`tag-${tag}`}>
              {tag}
            </h2>
            <ul class="ds-list df-stack">
              {ops.map(({ method, path, op }) => (
                <li>
                  <p class="ds-paragraph">
                    <strong>
                      <code>{`${method.toUpperCase()} /api/v1${path.replace(/^\/api\/v1/, '')}`}</code>
                    </strong>
                    {op.security?.length ? ` · ${t('apidocs.auth')}` : ''}
                  </p>
                  {op.summary ? <p class="ds-paragraph">{op.summary}</p> : null}
                  {op.description ? (
                    <p class="ds-paragraph" data-size="sm">
                      {op.description}
                    </p>
                  ) : null}
                  {op.parameters?.length ? (
                    <p class="ds-paragraph" data-size="sm">
                      {`${t('apidocs.parameters')}: ${op.parameters.map((p) => `${p.name} (${p.in}${p.required ? ', ' + t('apidocs.required') : ''})`).join(', ')}`}
                    </p>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
        ))}
      </article>,
    );
  });
};
