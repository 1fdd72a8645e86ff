// The web page for importing a Data Package: a form for editors of an organisation (no JavaScript; a multipart form
// whose FIRST field is `_csrf`, checked by readZipUpload before the zip is read) and its result: the new draft
// dataset's page, or the form again with every problem in the reader's language (422).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ValidationError, type FieldProblem } from '../../errors';
import type { DomainPlugin } from '../../platform/http/plugin';
import { hasKey } from '../../web/i18n/index';
import { Fragment, h } from '../../web/jsx';
import { CsrfField, ErrorSummary, sendPage } from '../../web/layout';
import { urls } from '../../web/urls';
import { readZipUpload } from './api';

void Fragment;
void h;

function problemText(request: FastifyRequest, p: FieldProblem): string {
  const key = `datapackage.error.${p.code}`;
  // Problems of the read options come from the tables service in English; the field says where they are.
  const text = hasKey(key) ? request.t(key) : p.message;
  return p.field.startsWith('/datapackage.json') ? `${text} (${p.field.slice(1)})` : text;
}

function importPage(request: FastifyRequest, reply: FastifyReply, orgnr: string, problems: FieldProblem[], status = 200): FastifyReply {
  const { t } = request;
  const summary = problems.map((p) => ({ field: 'file', message: problemText(request, p) }));
  return sendPage(
    request,
    reply,
    { title: t('datapackage.import.title'), status },
    <section class="df-stack">
      <h1 class="ds-heading" data-size="lg">{t('datapackage.import.title')}</h1>
      <p class="ds-paragraph">{t('datapackage.import.lead')}</p>
      <ErrorSummary title={t('datapackage.import.problems')} problems={summary} />
      <form method="post" action={urls.dataPackageImport(orgnr)} enctype="multipart/form-data" class="df-form" novalidate>
        {/* First field on purpose: readZipUpload checks it before it reads the file. */}
        <CsrfField token={request.csrfToken} />
        <div class="ds-field">
          <label class="ds-label" for="file">
            {t('datapackage.import.file')}
          </label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="file-desc">
            {t('datapackage.import.file.desc')}
          </div>
          <input id="file" name="file" type="file" accept=".zip,application/zip" class="ds-input" required aria-describedby="file-desc" aria-invalid={problems.length > 0 ? 'true' : undefined} />
        </div>
        <div class="df-actions">
          <button type="submit" class="ds-button" data-variant="primary">
            {t('datapackage.import.submit')}
          </button>
          <a class="ds-link" href={urls.organization(orgnr)}>
            {t('datapackage.import.cancel')}
          </a>
        </div>
      </form>
    </section>,
  );
}

export const dataPackageImportPages: DomainPlugin = async (app, { services }) => {
  const uploadLimit = services.platform.config.uploadLimitBytes;

  app.get<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/datapakke', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(request.url), 303);
    await services.organisations.get(request.params.orgnr, request.actor);
    services.dataPackageImports.assertCanImport(request.actor, request.params.orgnr);
    return importPage(request, reply, request.params.orgnr, []);
  });

  app.post<{ Params: { orgnr: string } }>('/virksomheter/:orgnr/datapakke', { schema: { hide: true }, config: { csrf: 'handler' } }, async (request, reply) => {
    const { orgnr } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.dataPackageImport(orgnr)), 303);
    await services.organisations.get(orgnr, request.actor);
    services.dataPackageImports.assertCanImport(request.actor, orgnr);
    try {
      const zip = await readZipUpload(request, uploadLimit, { csrf: true });
      const result = await services.dataPackageImports.importZip(request.actor, orgnr, zip);
      return reply.redirect(urls.dataset(result.datasetId), 303);
    } catch (err) {
      if (err instanceof ValidationError) return importPage(request, reply, orgnr, err.problems, 422);
      if (err instanceof DomainError && err.code === 'payload_too_large') return importPage(request, reply, orgnr, [{ field: '/file', code: 'too_large', message: err.message }], 413);
      throw err;
    }
  });
};

