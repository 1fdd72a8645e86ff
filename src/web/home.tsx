// The front page: what Datafabrikken is and for whom, a search box, the newest published datasets, the platform in
// numbers and the way in for publishers. All of it comes from the catalogue service the other pages use.
import { titleIn } from '../catalog/service';
import { accessRightsLabel } from '../catalog/vocabularies';
import type { DomainPlugin } from '../platform/http/plugin';
import { Fragment, h } from './jsx';
import { sendPage, TextField } from './layout';
import { urls } from './urls';

void Fragment;

export const homePages: DomainPlugin = async (app, { services }) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const { t, locale, actor } = request;
    const [newest, counts] = await Promise.all([
      services.catalog.listDatasets(actor, { state: 'published', limit: 6, offset: 0, sort: 'newest' }),
      services.catalog.counts(),
    ]);
    const canPublish = Object.values(actor.memberships).some((r) => r === 'admin' || r === 'editor') || actor.user?.isOperator === true;
    return sendPage(
      request,
      reply,
      { title: t('home.title'), alternates: [{ href: urls.api.datasets(), type: 'application/json' }] },
      <div class="df-stack">
        <section class="df-stack">
          <h1 class="ds-heading" data-size="xl">{t('home.title')}</h1>
          <p class="ds-paragraph" data-size="lg">{t('home.lead')}</p>
          <form method="get" action={urls.datasets()} class="df-search" role="search">
            <TextField id="q" label={t('home.search.label')} type="search" />
            <button type="submit" class="ds-button" data-variant="primary">{t('home.search.button')}</button>
          </form>
        </section>
        <section class="df-stack" aria-labelledby="about-heading">
          <h2 class="ds-heading" data-size="md" id="about-heading">{t('home.about.title')}</h2>
          <p class="ds-paragraph">{t('home.about.text')}</p>
          <p class="df-actions">
            {actor.user ? (
              canPublish ? (
                <a class="ds-button" data-variant="secondary" href={urls.datasetNew()}>{t('home.cta.publish')}</a>
              ) : (
                <a class="ds-button" data-variant="secondary" href={urls.organizationNew()}>{t('org.new.link')}</a>
              )
            ) : (
              <a class="ds-button" data-variant="secondary" href={urls.signUp()}>{t('home.cta.signup')}</a>
            )}
            <a class="ds-link" href={urls.datasets()}>{t('home.cta.browse')}</a>
          </p>
        </section>
        <section class="df-stack" aria-labelledby="newest-heading">
          <h2 class="ds-heading" data-size="md" id="newest-heading">{t('home.newest')}</h2>
          {newest.items.length === 0 ? (
            <p class="ds-paragraph">{t('home.none')}</p>
          ) : (
            <ul class="df-cards">
              {newest.items.map((d) => (
                <li class="ds-card">
                  <h3 class="ds-heading" data-size="xs">
                    <a class="ds-link" href={urls.dataset(d.id)}>{titleIn(d.title, locale)}</a>
                  </h3>
                  <p class="ds-paragraph" data-size="sm">{`${d.publisher.name} · ${accessRightsLabel(d.accessRights, locale)}`}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="df-stack" aria-labelledby="counts-heading">
          <h2 class="ds-heading" data-size="md" id="counts-heading">{t('home.counts')}</h2>
          <ul class="df-counts">
            <li>
              <strong>{counts.datasets}</strong> {t('home.count.datasets')}
            </li>
            <li>
              <strong>{counts.organizations}</strong> {t('home.count.organizations')}
            </li>
            <li>
              <strong>{counts.tables}</strong> {t('home.count.tables')}
            </li>
          </ul>
        </section>
      </div>,
    );
  });
};
