// Web pages of the catalogue: the dataset list with search, filters and paging (plain GET forms, no JavaScript), one
// dataset with all its metadata, its distributions and its tables, and the create/edit form for editors. Forms
// re-render with the input and translated messages on errors (422) and redirect with 303 after a change.
import { ProvenanceBox } from '../interop/harvest/pages';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessNotice } from '../access-requests/pages';
import { ConflictError, ValidationError, type FieldProblem } from '../errors';
import { fylkeOf, validateKommunenummer } from '../identifiers/kommunenummer';
import type { DomainPlugin } from '../platform/http/plugin';
import type { Services } from '../services';
import { tableAnchor, tablesSection } from '../tables/pages';
import type { Locale, MessageKey, Translate } from '../web/i18n/index';
import { Fragment, h, type RawHtml } from '../web/jsx';
import { setFlash, takeFlash } from '../web/flash';
import { CsrfField, ErrorSummary, sendPage, TextField } from '../web/layout';
import { urls } from '../web/urls';
import { assessmentWarning } from '../wizard/dataset-pages';
import { qualityEditorHints, qualitySection } from '../quality/pages';
import { commaList, errorFor, formBody, list, localiseProblems, queryParams, str, type Form } from './forms';
import { ACCESS_RIGHTS, type AccessRights, type Dataset, type DatasetInput, type DatasetPatch, type LangText } from './model';
import { missingForPublish, titleIn } from './service';
import {
  FREQUENCIES,
  LICENCES,
  accessRightsLabel,
  euDataThemes,
  findEuTheme,
  findLicence,
  frequencyLabel,
  isOpenLicence,
  labelIn,
  losLabel,
  losThemes,
} from './vocabularies';

void Fragment;

const LANGS = ['nb', 'nn', 'en'] as const;

// --- helpers ----------------------------------------------------------------------------------------------------

function textIn(t: LangText, locale: string): string {
  return titleIn(t, locale);
}

function formatDateTime(iso: string | null, locale: Locale): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeZone: 'Europe/Oslo' }).format(d);
}

function stateLabel(t: Translate, state: string): string {
  return state === 'published' ? t('catalog.state.published') : state === 'archived' ? t('catalog.state.archived') : t('catalog.state.draft');
}

function spatialName(code: string): string {
  if (/^\d{2}$/.test(code)) return fylkeOf(code)?.name ?? code;
  const k = validateKommunenummer(code);
  return k.valid ? k.name : code;
}

/** Service field ("/title/nb", "/spatial/2") → the form control it belongs to. */
function datasetFieldId(field: string): string {
  const parts = field.split('/').filter(Boolean);
  const [head, sub] = parts;
  switch (head) {
    case 'title':
    case 'description':
    case 'keywords':
      return `${head}_${sub && (LANGS as readonly string[]).includes(sub) ? sub : 'nb'}`;
    case 'contactPoint':
      return `contact_${sub ?? 'name'}`;
    case 'temporal':
      return `temporal_${sub ?? 'start'}`;
    case 'legalBasis':
      return `legal_${sub ?? 'restriction'}`;
    case 'themes':
    case 'losThemes':
    case 'spatial':
      return head;
    default:
      return head ?? 'title_nb';
  }
}

function localiseDatasetProblems(t: Translate, problems: FieldProblem[], form: Form): FieldProblem[] {
  const spatial = commaList(form.spatial);
  return localiseProblems(t, 'catalog', problems, datasetFieldId, (p) => {
    const m = /^\/spatial\/(\d+)$/.exec(p.field);
    return { value: m ? (spatial[Number(m[1])] ?? '') : '' };
  });
}

const FIELD_LABELS: Record<string, MessageKey> = {
  orgnr: 'catalog.field.publisher',
  themes: 'catalog.field.themes',
  losThemes: 'catalog.field.losThemes',
  accessRights: 'catalog.field.accessRights',
  licence: 'catalog.field.licence',
  spatial: 'catalog.field.spatial',
  temporal_start: 'catalog.field.temporal.start',
  temporal_end: 'catalog.field.temporal.end',
  frequency: 'catalog.field.frequency',
  provenance: 'catalog.field.provenance',
  issued: 'catalog.field.issued',
  modified: 'catalog.field.modified',
  landingPage: 'catalog.field.landingPage',
  contact_name: 'catalog.field.contact.name',
  contact_email: 'catalog.field.contact.email',
  contact_phone: 'catalog.field.contact.phone',
  contact_url: 'catalog.field.contact.url',
  hidden: 'catalog.field.hidden',
  legal_restriction: 'catalog.field.legal.restriction',
  legal_processing: 'catalog.field.legal.processing',
  legal_access: 'catalog.field.legal.access',
};

/** The visible label of a form control, e.g. "Tittel (bokmål)". */
function fieldLabel(t: Translate, id: string): string {
  const m = /^(title|description|keywords)_(nb|nn|en)$/.exec(id);
  if (m) return `${t(`catalog.field.${m[1]}` as MessageKey)} (${t(`catalog.lang.${m[2]}` as MessageKey)})`;
  const key = FIELD_LABELS[id];
  return key ? t(key) : id;
}

/** Problems with the field's label in front, for summaries that stand apart from the fields. */
function labelled(t: Translate, problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => ({ ...p, message: `${fieldLabel(t, p.field)}: ${p.message}` }));
}

// --- form <-> input ---------------------------------------------------------------------------------------------

function valuesFromDataset(ds: Dataset): Form {
  const known = findLicence(ds.licence);
  const f: Form = {
    orgnr: ds.publisher.orgnr,
    themes: ds.themes,
    losThemes: ds.losThemes,
    accessRights: ds.accessRights,
    hidden: ds.hidden ? 'yes' : '',
    licence: known ? known.uri : ds.licence ? 'other' : '',
    licenceOther: known ? '' : (ds.licence ?? ''),
    contact_name: ds.contactPoint.name ?? '',
    contact_email: ds.contactPoint.email ?? '',
    contact_phone: ds.contactPoint.phone ?? '',
    contact_url: ds.contactPoint.url ?? '',
    spatial: ds.spatial.join(', '),
    temporal_start: ds.temporal.start ?? '',
    temporal_end: ds.temporal.end ?? '',
    frequency: ds.frequency ?? '',
    provenance: ds.provenance ?? '',
    issued: ds.issued ?? '',
    modified: ds.modified ?? '',
    landingPage: ds.landingPage ?? '',
    legal_restriction: ds.legalBasis.restriction ?? '',
    legal_processing: ds.legalBasis.processing ?? '',
    legal_access: ds.legalBasis.access ?? '',
  };
  for (const l of LANGS) {
    f[`title_${l}`] = ds.title[l] ?? '';
    f[`description_${l}`] = ds.description[l] ?? '';
    f[`keywords_${l}`] = (ds.keywords[l] ?? []).join(', ');
  }
  return f;
}

/** Every field of the form as a patch: a blank field clears its value. */
function patchFromForm(f: Form): DatasetPatch {
  const lang = (prefix: string): LangText => ({ nb: str(f[`${prefix}_nb`]), nn: str(f[`${prefix}_nn`]), en: str(f[`${prefix}_en`]) });
  const licenceChoice = str(f.licence);
  const access = str(f.accessRights);
  return {
    title: lang('title'),
    description: lang('description'),
    keywords: { nb: commaList(f.keywords_nb), nn: commaList(f.keywords_nn), en: commaList(f.keywords_en) },
    themes: list(f.themes),
    losThemes: list(f.losThemes),
    accessRights: access === '' ? undefined : (access as AccessRights),
    hidden: str(f.hidden) === 'yes',
    licence: licenceChoice === 'other' ? str(f.licenceOther) : licenceChoice,
    contactPoint: { name: str(f.contact_name), email: str(f.contact_email), phone: str(f.contact_phone), url: str(f.contact_url) },
    spatial: commaList(f.spatial),
    temporal: { start: str(f.temporal_start), end: str(f.temporal_end) },
    frequency: str(f.frequency),
    provenance: str(f.provenance),
    issued: str(f.issued),
    modified: str(f.modified),
    landingPage: str(f.landingPage),
    legalBasis: { restriction: str(f.legal_restriction), processing: str(f.legal_processing), access: str(f.legal_access) },
  };
}

// --- components -------------------------------------------------------------------------------------------------

function Fieldset(props: { legend: string; id?: string; error?: string; children?: unknown }): RawHtml {
  return (
    <fieldset class="ds-fieldset" id={props.id} aria-describedby={props.error && props.id ? `${props.id}-error` : undefined}>
      <legend class="ds-label">{props.legend}</legend>
      {props.error ? (
        <div class="ds-validation-message" data-field="validation" id={`${props.id}-error`}>
          {props.error}
        </div>
      ) : null}
      {props.children as RawHtml}
    </fieldset>
  );
}

function Select(props: { id: string; label: string; value: string; options: { value: string; label: string }[]; error?: string; description?: string }): RawHtml {
  const describedBy = [props.description ? `${props.id}-desc` : '', props.error ? `${props.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="ds-field">
      <label class="ds-label" for={props.id}>{props.label}</label>
      {props.description ? <div class="ds-paragraph" data-size="sm" id={`${props.id}-desc`}>{props.description}</div> : null}
      <select id={props.id} name={props.id} class="ds-input" aria-describedby={describedBy} aria-invalid={props.error ? 'true' : undefined}>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>{o.label}</option>
        ))}
      </select>
      {props.error ? <div class="ds-validation-message" data-field="validation" id={`${props.id}-error`}>{props.error}</div> : null}
    </div>
  );
}

function DatasetForm(props: {
  request: FastifyRequest;
  action: string;
  form: Form;
  problems: FieldProblem[];
  organisations?: { orgnr: string; name: string }[];
  submit: string;
  cancel: string;
}): RawHtml {
  const { t, locale } = props.request;
  const f = props.form;
  const p = props.problems;
  const langLabel = (l: (typeof LANGS)[number]) => t(`catalog.lang.${l}` as MessageKey);
  const selectedThemes = new Set(list(f.themes));
  const selectedLos = new Set(list(f.losThemes));
  const los = losThemes();
  const top = los.filter((x) => x.parent === null);
  return (
    <form method="post" action={props.action} class="df-form" novalidate>
      <CsrfField token={props.request.csrfToken} />
      <p class="ds-paragraph" data-size="sm">
        <a class="ds-link" href={urls.guide('beskrive-datasett')}>{t('competence.link.describe')}</a>
      </p>
      {props.organisations ? (
        <Select id="orgnr" label={t('catalog.field.publisher')} value={str(f.orgnr)} options={props.organisations.map((o) => ({ value: o.orgnr, label: `${o.name} (${o.orgnr})` }))} error={errorFor(p, 'orgnr')} />
      ) : null}
      <Fieldset legend={t('catalog.field.title')}>
        {LANGS.map((l) => (
          <TextField id={`title_${l}`} label={`${t('catalog.field.title')} (${langLabel(l)})`} value={str(f[`title_${l}`])} required={l === 'nb'} error={errorFor(p, `title_${l}`)} />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.field.description')}>
        {LANGS.map((l) => (
          <TextField id={`description_${l}`} label={`${t('catalog.field.description')} (${langLabel(l)})`} value={str(f[`description_${l}`])} multiline error={errorFor(p, `description_${l}`)} />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.field.keywords')}>
        {LANGS.map((l) => (
          <TextField id={`keywords_${l}`} label={`${t('catalog.field.keywords')} (${langLabel(l)})`} description={t('catalog.field.keywords.desc')} value={str(f[`keywords_${l}`])} error={errorFor(p, `keywords_${l}`)} />
        ))}
      </Fieldset>
      <Fieldset legend={t('catalog.field.themes')} id="themes" error={errorFor(p, 'themes')}>
        {euDataThemes().map((th) => (
          <div class="ds-field">
            <input class="ds-input" type="checkbox" id={`theme-${th.code}`} name="themes" value={th.uri} checked={selectedThemes.has(th.uri)} />
            <label class="ds-label" data-weight="regular" for={`theme-${th.code}`}>{labelIn(th.label, locale)}</label>
          </div>
        ))}
      </Fieldset>
      <div class="ds-field">
        <label class="ds-label" for="losThemes">{t('catalog.field.losThemes')}</label>
        <div class="ds-paragraph" data-size="sm" id="losThemes-desc">{t('catalog.field.losThemes.desc')}</div>
        <select id="losThemes" name="losThemes" class="ds-input" multiple size="10" aria-describedby="losThemes-desc">
          {top.map((parent) => (
            <optgroup label={labelIn(parent.label, locale)}>
              <option value={parent.uri} selected={selectedLos.has(parent.uri)}>{labelIn(parent.label, locale)}</option>
              {los
                .filter((x) => x.parent === parent.uri)
                .map((x) => (
                  <option value={x.uri} selected={selectedLos.has(x.uri)}>{`– ${labelIn(x.label, locale)}`}</option>
                ))}
            </optgroup>
          ))}
        </select>
        {errorFor(p, 'losThemes') ? <div class="ds-validation-message" data-field="validation">{errorFor(p, 'losThemes')}</div> : null}
      </div>
      <Fieldset legend={t('catalog.field.accessRights')} id="accessRights" error={errorFor(p, 'accessRights')}>
        {ACCESS_RIGHTS.map((a) => (
          <div class="ds-field">
            <input class="ds-input" type="radio" id={`accessRights-${a}`} name="accessRights" value={a} checked={str(f.accessRights) === a} />
            <label class="ds-label" data-weight="regular" for={`accessRights-${a}`}>{accessRightsLabel(a, locale)}</label>
          </div>
        ))}
        <p class="ds-paragraph" data-size="sm">
          <a class="ds-link" href={urls.guide('tilgangsnivaa')}>{t('competence.link.access')}</a>
          {' · '}
          <a class="ds-link" href={urls.sharingWizard()}>{t('competence.link.wizard')}</a>
        </p>
        <div class="ds-field">
          <input class="ds-input" type="checkbox" id="hidden" name="hidden" value="yes" checked={str(f.hidden) === 'yes'} aria-describedby="hidden-desc" aria-invalid={errorFor(p, 'hidden') ? 'true' : undefined} />
          <label class="ds-label" data-weight="regular" for="hidden">{t('catalog.field.hidden')}</label>
          <div class="ds-paragraph" data-field="description" data-size="sm" id="hidden-desc">{t('catalog.field.hidden.desc')}</div>
          {errorFor(p, 'hidden') ? <div class="ds-validation-message" data-field="validation">{errorFor(p, 'hidden')}</div> : null}
        </div>
      </Fieldset>
      <Select
        id="licence"
        label={t('catalog.field.licence')}
        value={str(f.licence)}
        error={errorFor(p, 'licence')}
        options={[
          { value: '', label: t('catalog.field.licence.none') },
          ...LICENCES.map((l) => ({ value: l.uri, label: labelIn(l.label, locale) })),
          { value: 'other', label: t('catalog.field.licence.other') },
        ]}
      />
      <TextField id="licenceOther" label={t('catalog.field.licenceOther')} value={str(f.licenceOther)} type="url" />
      <Fieldset legend={t('catalog.field.contact')}>
        <TextField id="contact_name" label={t('catalog.field.contact.name')} value={str(f.contact_name)} error={errorFor(p, 'contact_name')} />
        <TextField id="contact_email" label={t('catalog.field.contact.email')} value={str(f.contact_email)} type="email" error={errorFor(p, 'contact_email')} />
        <TextField id="contact_phone" label={t('catalog.field.contact.phone')} value={str(f.contact_phone)} type="tel" error={errorFor(p, 'contact_phone')} />
        <TextField id="contact_url" label={t('catalog.field.contact.url')} value={str(f.contact_url)} type="url" error={errorFor(p, 'contact_url')} />
      </Fieldset>
      <TextField id="spatial" label={t('catalog.field.spatial')} description={t('catalog.field.spatial.desc')} value={str(f.spatial)} error={errorFor(p, 'spatial')} />
      <Fieldset legend={t('catalog.field.temporal')}>
        <TextField id="temporal_start" label={t('catalog.field.temporal.start')} description={t('catalog.field.date.desc')} value={str(f.temporal_start)} type="date" error={errorFor(p, 'temporal_start')} />
        <TextField id="temporal_end" label={t('catalog.field.temporal.end')} description={t('catalog.field.date.desc')} value={str(f.temporal_end)} type="date" error={errorFor(p, 'temporal_end')} />
      </Fieldset>
      <Select
        id="frequency"
        label={t('catalog.field.frequency')}
        value={str(f.frequency)}
        error={errorFor(p, 'frequency')}
        options={[{ value: '', label: t('catalog.field.frequency.none') }, ...FREQUENCIES.map((fr) => ({ value: fr.code, label: labelIn(fr.label, locale) }))]}
      />
      <TextField id="provenance" label={t('catalog.field.provenance')} value={str(f.provenance)} multiline error={errorFor(p, 'provenance')} />
      <TextField id="issued" label={t('catalog.field.issued')} description={t('catalog.field.date.desc')} value={str(f.issued)} error={errorFor(p, 'issued')} />
      <TextField id="modified" label={t('catalog.field.modified')} description={t('catalog.field.date.desc')} value={str(f.modified)} error={errorFor(p, 'modified')} />
      <TextField id="landingPage" label={t('catalog.field.landingPage')} value={str(f.landingPage)} type="url" error={errorFor(p, 'landingPage')} />
      <Fieldset legend={t('catalog.field.legalBasis')}>
        <TextField id="legal_restriction" label={t('catalog.field.legal.restriction')} value={str(f.legal_restriction)} error={errorFor(p, 'legal_restriction')} />
        <TextField id="legal_processing" label={t('catalog.field.legal.processing')} value={str(f.legal_processing)} error={errorFor(p, 'legal_processing')} />
        <TextField id="legal_access" label={t('catalog.field.legal.access')} value={str(f.legal_access)} error={errorFor(p, 'legal_access')} />
      </Fieldset>
      <div class="df-actions">
        <button type="submit" class="ds-button" data-variant="primary">{props.submit}</button>
        <a class="ds-link" href={props.cancel}>{t('catalog.edit.cancel')}</a>
      </div>
    </form>
  );
}

function Fact(props: { label: string; children?: unknown }): RawHtml {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children as RawHtml}</dd>
    </>
  );
}

/** The notices a dataset page shows once after a redirect (see src/web/flash.ts). */
const DATASET_FLASHES = ['published', 'archived'] as const;
type DatasetFlash = (typeof DATASET_FLASHES)[number];

async function renderDataset(request: FastifyRequest, reply: FastifyReply, services: Services, id: string, publishProblems: FieldProblem[] = [], status = 200): Promise<FastifyReply> {
  const { t, locale, actor } = request;
  const ds = await services.catalog.getDataset(actor, id);
  const flash = status === 200 ? takeFlash<DatasetFlash>(request, reply, urls.dataset(id), DATASET_FLASHES, services.platform.config.secureCookies) : undefined;
  const role = actor.memberships[ds.publisher.orgnr];
  const canEdit = actor.user?.isOperator === true || role === 'admin' || role === 'editor';
  const keywords = ds.keywords[locale] ?? ds.keywords.nb ?? ds.keywords.en ?? ds.keywords.nn ?? [];
  const description = textIn(ds.description, locale);
  const missing = canEdit && ds.state !== 'published' ? localiseDatasetProblems(t, missingForPublish(ds), {}) : [];
  const shownProblems = labelled(t, publishProblems.length > 0 ? publishProblems : missing);
  const tables = await tablesSection(request, services, id);
  const quality = await qualitySection(request, services, id, canEdit); // metadata quality (src/quality)
  const hasDataPackage = await services.dataPackages.available(actor, id);
  // The sharing assessment (editors only): stops are a warning here, and publishing then goes through a confirmation.
  const assessment = canEdit ? await assessmentWarning(request, services, id) : null;
  const confirmPublish = ds.state !== 'published' && assessment?.hasStops === true;
  // Harvested datasets say where they came from (src/interop/harvest).
  const provenance = await services.harvest.provenanceOf(id);
  const title = textIn(ds.title, locale);
  const none = t('catalog.field.none');
  return sendPage(
    request,
    reply,
    {
      title,
      status,
      alternates: [
        { href: urls.api.dataset(id), type: 'application/json', title: t('catalog.detail.json') },
        // The DCAT-AP-NO twins exist for published datasets only (src/interop/dcat exports what anyone may see).
        ...(ds.state === 'published'
          ? [
              { href: urls.rdf.dataset(id, 'ttl'), type: 'text/turtle', title: t('dcat.alternate.turtle') },
              { href: urls.rdf.dataset(id, 'jsonld'), type: 'application/ld+json', title: t('dcat.alternate.jsonld') },
              { href: urls.rdf.dataset(id, 'rdf'), type: 'application/rdf+xml', title: t('dcat.alternate.rdfxml') },
              { href: urls.rdf.dataset(id, 'nt'), type: 'application/n-triples', title: t('dcat.alternate.ntriples') },
            ]
          : []),
        ...(hasDataPackage ? [{ href: urls.dataPackage(id), type: 'application/json', title: t('datapackage.link') }] : []),
      ],
    },
    <article class="df-stack df-dataset">
      {flash ? (
        <div class="ds-alert" data-color="success" role="status">
          <p class="ds-paragraph">{t(flash === 'published' ? 'catalog.publish.done' : 'catalog.archive.done')}</p>
        </div>
      ) : null}
      <h1 class="ds-heading" data-size="lg">{title}</h1>
      {ds.state !== 'published' ? (
        <p>
          <span class="ds-tag" data-color="warning">{stateLabel(t, ds.state)}</span>
        </p>
      ) : null}
      {description ? <p class="ds-paragraph df-pre-line">{description}</p> : null}
      {provenance ? <ProvenanceBox t={t} locale={locale} provenance={provenance} /> : null}
      {canEdit ? (
        <div class="df-actions">
          <a class="ds-button" data-variant="secondary" href={urls.datasetEdit(id)}>{t('catalog.edit.link')}</a>
          {ds.state !== 'published' && confirmPublish ? (
            <a class="ds-button" data-variant="primary" href={urls.datasetPublish(id)}>{t('catalog.publish.button')}</a>
          ) : ds.state !== 'published' ? (
            <form method="post" action={urls.datasetPublish(id)} class="df-inline-form">
              <CsrfField token={request.csrfToken} />
              <button type="submit" class="ds-button" data-variant="primary">{t('catalog.publish.button')}</button>
            </form>
          ) : null}
          {ds.state !== 'archived' ? (
            // A link to the confirmation step, not the POST itself: archiving hides the dataset from everyone else.
            <a class="ds-button" data-variant="tertiary" href={urls.datasetArchive(id)}>{t('catalog.archive.button')}</a>
          ) : null}
        </div>
      ) : null}
      {shownProblems.length > 0 ? (
        <div class="ds-alert" data-color="warning" role={publishProblems.length > 0 ? 'alert' : undefined}>
          <p class="ds-paragraph">{t('catalog.publish.missing')}</p>
          <ul class="ds-list">
            {shownProblems.map((pr) => (
              <li>{pr.message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {assessment?.html}
      {await accessNotice(request, services, ds)}
      <h2 class="ds-heading" data-size="md">{t('catalog.section.about')}</h2>
      <dl class="df-meta">
        <Fact label={t('catalog.field.publisher')}>
          <a class="ds-link" href={urls.organization(ds.publisher.orgnr)}>{ds.publisher.name}</a>
        </Fact>
        <Fact label={t('catalog.field.state')}>{stateLabel(t, ds.state)}</Fact>
        <Fact label={t('catalog.field.accessRights')}>
          {accessRightsLabel(ds.accessRights, locale)}
          {ds.accessRights === 'PUBLIC' && isOpenLicence(ds.licence) ? ` (${t('catalog.detail.open')})` : ''}
        </Fact>
        <Fact label={t('catalog.field.licence')}>
          {ds.licence ? <a class="ds-link" href={ds.licence} rel="license noopener">{findLicence(ds.licence) ? labelIn(findLicence(ds.licence)!.label, locale) : ds.licence}</a> : none}
        </Fact>
        <Fact label={t('catalog.field.keywords')}>{keywords.length > 0 ? keywords.join(', ') : none}</Fact>
        <Fact label={t('catalog.field.themes')}>
          {ds.themes.length > 0 ? ds.themes.map((u) => { const th = findEuTheme(u); return th ? labelIn(th.label, locale) : u; }).join(', ') : none}
        </Fact>
        <Fact label={t('catalog.field.losThemes')}>{ds.losThemes.length > 0 ? ds.losThemes.map((u) => losLabel(u, locale) ?? u).join(', ') : none}</Fact>
        <Fact label={t('catalog.field.spatial')}>{ds.spatial.length > 0 ? ds.spatial.map((c) => `${spatialName(c)} (${c})`).join(', ') : none}</Fact>
        <Fact label={t('catalog.field.temporal')}>{ds.temporal.start || ds.temporal.end ? `${ds.temporal.start ?? '…'} – ${ds.temporal.end ?? '…'}` : none}</Fact>
        <Fact label={t('catalog.field.frequency')}>{frequencyLabel(ds.frequency, locale) ?? none}</Fact>
        <Fact label={t('catalog.field.contact')}>
          {ds.contactPoint.name || ds.contactPoint.email || ds.contactPoint.phone || ds.contactPoint.url ? (
            <>
              {ds.contactPoint.name ? <span>{ds.contactPoint.name} </span> : null}
              {ds.contactPoint.email ? <a class="ds-link" href={`mailto:${ds.contactPoint.email}`}>{ds.contactPoint.email}</a> : null}
              {ds.contactPoint.phone ? <span>{` ${ds.contactPoint.phone}`}</span> : null}
              {ds.contactPoint.url ? <> <a class="ds-link" href={ds.contactPoint.url} rel="noopener">{ds.contactPoint.url}</a></> : null}
            </>
          ) : (
            none
          )}
        </Fact>
        {ds.provenance ? <Fact label={t('catalog.field.provenance')}>{ds.provenance}</Fact> : null}
        <Fact label={t('catalog.field.issued')}>{ds.issued ?? none}</Fact>
        <Fact label={t('catalog.field.modified')}>{ds.modified ?? none}</Fact>
        {ds.publishedAt ? <Fact label={t('catalog.field.published')}><time datetime={ds.publishedAt}>{formatDateTime(ds.publishedAt, locale)}</time></Fact> : null}
        <Fact label={t('catalog.field.updated')}><time datetime={ds.updatedAt}>{formatDateTime(ds.updatedAt, locale)}</time></Fact>
        {ds.landingPage ? (
          <Fact label={t('catalog.field.landingPage')}>
            <a class="ds-link" href={ds.landingPage} rel="noopener">{ds.landingPage}</a>
          </Fact>
        ) : null}
        {ds.legalBasis.restriction ? <Fact label={t('catalog.field.legal.restriction')}>{ds.legalBasis.restriction}</Fact> : null}
        {ds.legalBasis.processing ? <Fact label={t('catalog.field.legal.processing')}>{ds.legalBasis.processing}</Fact> : null}
        {ds.legalBasis.access ? <Fact label={t('catalog.field.legal.access')}>{ds.legalBasis.access}</Fact> : null}
      </dl>
      <section class="df-stack" aria-labelledby="distributions-heading">
        <h2 class="ds-heading" data-size="md" id="distributions-heading">{t('catalog.field.distributions')}</h2>
        {ds.distributions.length === 0 ? (
          <p class="ds-paragraph">{t('catalog.field.distributions.none')}</p>
        ) : (
          <ul class="ds-list">
            {ds.distributions.map((d) => (
              <li>
                {textIn(d.title, locale) || d.format || d.mediaType || d.id}
                {d.format || d.mediaType ? ` (${[d.format, d.mediaType].filter(Boolean).join(', ')})` : ''}
                {d.downloadUrl ? <> – <a class="ds-link" href={d.downloadUrl} rel="noopener">{t('catalog.field.download')}</a></> : null}
                {d.accessUrl ? <> – <a class="ds-link" href={d.accessUrl} rel="noopener">{t('catalog.field.access')}</a></> : null}
                {d.tableName ? (
                  <>
                    {' – '}
                    <a class="ds-link" href={`#${tableAnchor(d.tableName)}`}>{t('catalog.field.table.preview')}</a>
                    {' – '}
                    <a class="ds-link" href={urls.api.rows(ds.id, d.tableName)} type="application/json">{t('catalog.field.table.api')}</a>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {tables}
      {quality}
      <p>
        <a class="ds-link" href={urls.api.dataset(id)} type="application/json">{t('catalog.detail.json')}</a>
        {hasDataPackage ? ' · ' : null}
        {hasDataPackage ? (
          <a class="ds-link" href={urls.dataPackage(id)} type="application/json">{t('datapackage.link')}</a>
        ) : null}
      </p>
    </article>,
  );
}

// --- routes -----------------------------------------------------------------------------------------------------

export const catalogPages: DomainPlugin = async (app, { services }) => {
  const catalog = services.catalog;
  const secure = services.platform.config.secureCookies;

  /** Organisations where the signed-in user may create datasets (editor or admin; every one for operators). */
  async function editableOrganisations(request: FastifyRequest): Promise<{ orgnr: string; name: string }[]> {
    const user = request.actor.user;
    if (!user) return [];
    if (user.isOperator) return (await services.organisations.list({ limit: 100, offset: 0 })).items;
    return (await services.organisations.membershipsOf(user.id)).filter((m) => m.role === 'admin' || m.role === 'editor');
  }

  function newPage(request: FastifyRequest, reply: FastifyReply, form: Form, problems: FieldProblem[], organisations: { orgnr: string; name: string }[], status = 200) {
    const t = request.t;
    return sendPage(
      request,
      reply,
      { title: t('catalog.new.title'), status },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('catalog.new.title')}</h1>
        <p class="ds-paragraph">{t('catalog.new.lead')}</p>
        {organisations.length === 0 ? (
          <p class="ds-paragraph">
            {t('catalog.noOrgs')} <a class="ds-link" href={urls.organizationNew()}>{t('org.new.link')}</a>
          </p>
        ) : (
          <>
            <ErrorSummary title={t('error.validation_failed')} problems={labelled(t, problems)} />
            <DatasetForm request={request} action={urls.datasetNew()} form={form} problems={problems} organisations={organisations} submit={t('catalog.new.submit')} cancel={urls.datasets()} />
          </>
        )}
      </section>,
    );
  }

  async function editPage(request: FastifyRequest, reply: FastifyReply, id: string, form: Form, problems: FieldProblem[], status = 200) {
    const t = request.t;
    // Shown where the access level is chosen: the sharing assessment's stops, with links back to their steps.
    const assessment = await assessmentWarning(request, services, id);
    const quality = await qualityEditorHints(request, services, id); // metadata quality hints (src/quality)
    return sendPage(
      request,
      reply,
      { title: t('catalog.edit.title'), status },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('catalog.edit.title')}</h1>
        <ErrorSummary title={t('error.validation_failed')} problems={labelled(t, problems)} />
        {assessment?.html}
        {quality}
        <DatasetForm request={request} action={urls.datasetEdit(id)} form={form} problems={problems} submit={t('catalog.edit.submit')} cancel={urls.dataset(id)} />
      </section>,
    );
  }

  // GET /datasett (search, facets, paging) lives in src/search/pages.tsx.

  app.get('/datasett/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(request.url), 303);
    const organisations = await editableOrganisations(request);
    const wanted = str(queryParams(request).org);
    const orgnr = organisations.some((o) => o.orgnr === wanted) ? wanted : (organisations[0]?.orgnr ?? '');
    return newPage(request, reply, { orgnr, accessRights: 'PUBLIC' }, [], organisations);
  });

  app.post('/datasett/ny', { schema: { hide: true } }, async (request, reply) => {
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.datasetNew()), 303);
    const form = formBody(request);
    try {
      const input: DatasetInput = { ...patchFromForm(form), orgnr: str(form.orgnr) };
      const ds = await catalog.createDataset(request.actor, input);
      return reply.redirect(urls.dataset(ds.id), 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return newPage(request, reply, form, localiseDatasetProblems(request.t, err.problems, form), await editableOrganisations(request), 422);
    }
  });

  app.get<{ Params: { id: string } }>('/datasett/:id', { schema: { hide: true } }, async (request, reply) => renderDataset(request, reply, services, request.params.id));

  app.get<{ Params: { id: string } }>('/datasett/:id/rediger', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.datasetEdit(id)), 303);
    await catalog.assertCanUpdate(request.actor, id);
    const ds = await catalog.getDataset(request.actor, id);
    return editPage(request, reply, id, valuesFromDataset(ds), []);
  });

  app.post<{ Params: { id: string } }>('/datasett/:id/rediger', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.datasetEdit(id)), 303);
    const form = formBody(request);
    try {
      await catalog.updateDataset(request.actor, id, patchFromForm(form));
      return reply.redirect(urls.dataset(id), 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return editPage(request, reply, id, form, localiseDatasetProblems(request.t, err.problems, form), 422);
    }
  });

  // The publish confirmation (linked from the dataset page when the sharing assessment has stops): the warning, and
  // the real POST form — the owner decides.
  app.get<{ Params: { id: string } }>('/datasett/:id/publiser', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.datasetPublish(id)), 303);
    await catalog.assertCanUpdate(request.actor, id);
    const ds = await catalog.getDataset(request.actor, id);
    if (ds.state === 'published') return reply.redirect(urls.dataset(id), 303);
    const t = request.t;
    const title = textIn(ds.title, request.locale);
    const assessment = await assessmentWarning(request, services, id);
    return sendPage(
      request,
      reply,
      { title: t('wizardDataset.publish.title', { title }) },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('wizardDataset.publish.title', { title })}</h1>
        <p class="ds-paragraph">{t('wizardDataset.publish.lead')}</p>
        {assessment?.html}
        <form method="post" action={urls.datasetPublish(id)} class="df-actions">
          <CsrfField token={request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="primary">{t(assessment?.hasStops ? 'wizardDataset.publish.submit' : 'catalog.publish.button')}</button>
          <a class="ds-link" href={urls.dataset(id)}>{t('wizardDataset.publish.cancel')}</a>
        </form>
      </section>,
    );
  });

  app.post<{ Params: { id: string } }>('/datasett/:id/publiser', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    try {
      await catalog.publishDataset(request.actor, id);
    } catch (err) {
      if (err instanceof ConflictError) return reply.redirect(urls.dataset(id), 303);
      if (!(err instanceof ValidationError)) throw err;
      return renderDataset(request, reply, services, id, localiseDatasetProblems(request.t, err.problems, {}), 422);
    }
    setFlash(reply, urls.dataset(id), 'published', secure);
    return reply.redirect(urls.dataset(id), 303);
  });

  // Archiving asks first: GET shows what it does and the real POST form; cancel goes back to the dataset.
  app.get<{ Params: { id: string } }>('/datasett/:id/arkiver', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    if (!request.actor.user) return reply.redirect(urls.signIn(urls.datasetArchive(id)), 303);
    // The access door grants update, publish and archive to the same roles; the POST asks for archive itself.
    await catalog.assertCanUpdate(request.actor, id);
    const ds = await catalog.getDataset(request.actor, id);
    if (ds.state === 'archived') return reply.redirect(urls.dataset(id), 303);
    const t = request.t;
    const title = textIn(ds.title, request.locale);
    return sendPage(
      request,
      reply,
      { title: t('catalog.archive.confirm.title', { title }) },
      <section class="df-stack">
        <h1 class="ds-heading" data-size="lg">{t('catalog.archive.confirm.title', { title })}</h1>
        <p class="ds-paragraph">{t('catalog.archive.confirm.lead', { org: ds.publisher.name })}</p>
        <p class="ds-paragraph">{t('catalog.archive.confirm.undo')}</p>
        <form method="post" action={urls.datasetArchive(id)} class="df-actions">
          <CsrfField token={request.csrfToken} />
          <button type="submit" class="ds-button" data-variant="primary" data-color="danger">{t('catalog.archive.confirm.submit')}</button>
          <a class="ds-link" href={urls.dataset(id)}>{t('catalog.edit.cancel')}</a>
        </form>
      </section>,
    );
  });

  app.post<{ Params: { id: string } }>('/datasett/:id/arkiver', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    try {
      await catalog.archiveDataset(request.actor, id);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return reply.redirect(urls.dataset(id), 303); // already archived: nothing to announce
    }
    setFlash(reply, urls.dataset(id), 'archived', secure);
    return reply.redirect(urls.dataset(id), 303);
  });
};
