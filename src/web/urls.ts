// Every URL the platform builds goes through here (STYLE §10), so links, redirects and API `next` links never drift
// from the route table.
type Query = Record<string, string | number | undefined>;

function withQuery(path: string, q?: Query): string {
  if (!q) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

const enc = encodeURIComponent;

export const urls = {
  home: () => '/',
  signIn: (next?: string) => withQuery('/logg-inn', { next }),
  signUp: () => '/registrer',
  signOut: () => '/logg-ut',
  account: () => '/konto',
  accountPassword: () => '/konto/passord',
  accountTokens: () => '/konto/tokens',
  accountTokenRevoke: (id: string) => `/konto/tokens/${enc(id)}/tilbakekall`,
  accountVerifyResend: () => '/konto/bekreft-epost',
  /** The page a verification mail links to (GET shows a button; only its POST uses the token). */
  verifyEmail: (token?: string) => withQuery('/bekreft-epost', { token }),
  forgotPassword: () => '/glemt-passord',
  /** The page a reset mail links to (GET shows the new-password form; only its POST uses the token). */
  resetPassword: (token?: string) => withQuery('/nytt-passord', { token }),
  /** The standalone sharing wizard; `q` carries the answers (question id → value) so a link resumes it. */
  sharingWizard: (q?: Query) => withQuery('/kan-du-dele', q),
  sharingWizardStep: (areaSlug: string, q?: Query) => withQuery(`/kan-du-dele/${enc(areaSlug)}`, q),
  sharingWizardResult: (q?: Query) => withQuery('/kan-du-dele/resultat', q),
  organizations: (q?: Query) => withQuery('/virksomheter', q),
  organizationNew: () => '/virksomheter/ny',
  organization: (orgnr: string) => `/virksomheter/${enc(orgnr)}`,
  /** The form that imports a Data Package zip as a new draft dataset of the organisation. */
  dataPackageImport: (orgnr: string) => `/virksomheter/${enc(orgnr)}/datapakke`,
  organizationMembers: (orgnr: string) => `/virksomheter/${enc(orgnr)}/medlemmer`,
  organizationMemberRemove: (orgnr: string, userId: string) => `/virksomheter/${enc(orgnr)}/medlemmer/${enc(userId)}/fjern`,
  // --- identity ---
  /** Starts OpenID Connect sign-in (POST, so a cross-site page cannot start flows); the provider returns to the callback. */
  oidcStart: () => '/logg-inn/oidc',
  oidcCallback: () => '/logg-inn/oidc/callback',
  accountOidc: () => '/konto/innlogging',
  accountOidcLink: () => '/konto/oidc/koble',
  accountOidcUnlink: (id: string) => `/konto/oidc/${enc(id)}/fjern`,
  organizationClients: (orgnr: string) => `/virksomheter/${enc(orgnr)}/klienter`,
  organizationClientDisable: (orgnr: string, id: string) => `/virksomheter/${enc(orgnr)}/klienter/${enc(id)}/deaktiver`,
  // --- end identity ---
  operatorOrganizations: (q?: Query) => withQuery('/operator/virksomheter', q),
  operatorApprove: (orgnr: string) => `/operator/virksomheter/${enc(orgnr)}/godkjenn`,
  operatorReject: (orgnr: string) => `/operator/virksomheter/${enc(orgnr)}/avvis`,
  operatorRecheck: (orgnr: string) => `/operator/virksomheter/${enc(orgnr)}/sjekk`,
  operatorRecheckAll: () => '/operator/virksomheter/sjekk',
  datasets: (q?: Query) => withQuery('/datasett', q),
  /** Ask for data that search did not find (the data-request page; `q` carries what was searched for). */
  dataRequest: (q?: Query) => withQuery('/datasett/etterspor', q),
  datasetNew: (orgnr?: string) => withQuery('/datasett/ny', { org: orgnr }),
  dataset: (id: string) => `/datasett/${enc(id)}`,
  datasetEdit: (id: string) => `/datasett/${enc(id)}/rediger`,
  datasetPublish: (id: string) => `/datasett/${enc(id)}/publiser`,
  datasetArchive: (id: string) => `/datasett/${enc(id)}/arkiver`,
  datasetAssessment: (id: string) => `/datasett/${enc(id)}/vurdering`,
  datasetAssessmentStep: (id: string, area: string, anchor?: string) => `/datasett/${enc(id)}/vurdering/steg/${enc(area)}${anchor ? `#${anchor}` : ''}`,
  datasetAssessmentSummary: (id: string) => `/datasett/${enc(id)}/vurdering/oppsummering`,
  datasetAssessmentPdf: (id: string) => `/datasett/${enc(id)}/vurdering.pdf`,
  tableUpload: (id: string) => `/datasett/${enc(id)}/tabeller/ny`,
  tableImport: (id: string, table: string, q?: Query) => withQuery(`/datasett/${enc(id)}/tabeller/${enc(table)}/innlesing`, q),
  /** The dataset as a Frictionless Data Package (the conventional file name, beside the API twin). */
  dataPackage: (id: string) => `/datasets/${enc(id)}/datapackage.json`,
  /** Consent (samtykke, src/consent): the actor's consents, one consent, the request form, a table's consent setting. */
  consents: (q?: Query) => withQuery('/samtykker', q),
  consentNew: (q?: Query) => withQuery('/samtykker/ny', q),
  consent: (id: string) => `/samtykker/${enc(id)}`,
  consentDecision: (id: string, action: 'godta' | 'avsla' | 'trekk-tilbake') => `/samtykker/${enc(id)}/${action}`,
  consentLog: (orgnr: string) => `/virksomheter/${enc(orgnr)}/samtykkelogg`,
  tableConsent: (id: string, table: string) => `/datasett/${enc(id)}/tabeller/${enc(table)}/samtykke`,
  competence: (q?: Query) => withQuery('/kompetanse', q),
  competenceItem: (id: string) => `/kompetanse/${enc(id)}`,
  competenceNews: () => '/kompetanse/nyheter',
  competenceFeed: () => '/kompetanse/nyheter.atom',
  operatorContent: () => '/operator/innhold',
  operatorContentNew: () => '/operator/innhold/ny',
  operatorContentItem: (id: string, lang: string) => `/operator/innhold/${enc(id)}/${enc(lang)}`,
  operatorContentRemove: (id: string, lang: string) => `/operator/innhold/${enc(id)}/${enc(lang)}/fjern`,
  /** A guide (its id in content/guides/) — a test checks every id linked from code exists. */
  guide: (id: 'beskrive-datasett' | 'velge-lisens' | 'tilgangsnivaa' | 'dele-personopplysninger' | 'bruke-api-et' | 'koble-data') => `/kompetanse/${id}`,
  /** The language switch: a POST form with `lang`, `next` and `_csrf`. */
  language: () => '/sprak',
  /** A local path shown in another language without remembering it (`?lang=`, replacing one already there). */
  inLanguage: (localPath: string, lang?: string) => {
    const noHash = localPath.split('#')[0] ?? '';
    const q = noHash.indexOf('?');
    const path = (q < 0 ? noHash : noHash.slice(0, q)) || '/';
    const params = new URLSearchParams(q < 0 ? '' : noHash.slice(q + 1));
    params.delete('lang');
    if (lang) params.set('lang', lang);
    const s = params.toString();
    return s ? `${path}?${s}` : path;
  },
  // --- access (issue 7: access requests, agreements, notifications, audit log) ---
  accessRequests: () => '/tilgang/soknader',
  accessRequestNew: (datasetId: string) => withQuery('/tilgang/soknader/ny', { datasett: datasetId }),
  accessRequest: (id: string) => `/tilgang/soknader/${enc(id)}`,
  accessRequestAction: (id: string, action: 'godkjenn' | 'avslaa' | 'sporsmal' | 'svar' | 'trekk' | 'aksepter') => `/tilgang/soknader/${enc(id)}/${action}`,
  accessQueue: (orgnr: string, q?: Query) => withQuery(`/virksomheter/${enc(orgnr)}/tilgangssoknader`, q),
  agreement: (grantId: string) => `/tilgang/avtaler/${enc(grantId)}`,
  agreementPdf: (grantId: string) => `/tilgang/avtaler/${enc(grantId)}.pdf`,
  agreementJson: (grantId: string) => `/tilgang/avtaler/${enc(grantId)}.jsonld`,
  grantAction: (grantId: string, action: 'tilbakekall' | 'forny') => `/tilgang/avtaler/${enc(grantId)}/${action}`,
  notifications: () => '/varsler',
  notificationsRead: () => '/varsler/lest',
  datasetAudit: (id: string) => `/datasett/${enc(id)}/logg`,
  datasetAuditCsv: (id: string) => `/datasett/${enc(id)}/logg.csv`,
  apiDocs: () => '/api',
  /** The SQL page (src/sql); `dataset` lists that dataset's tables first and starts the editor with one of them. */
  sql: (q?: Query) => withQuery('/sql', q),
  api: {
    openapi: () => '/api/v1/openapi.json',
    me: () => '/api/v1/me',
    tokens: () => '/api/v1/tokens',
    token: (id: string) => `/api/v1/tokens/${enc(id)}`,
    organizations: (q?: Query) => withQuery('/api/v1/organizations', q),
    organization: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}`,
    members: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}/members`,
    member: (orgnr: string, userId: string) => `/api/v1/organizations/${enc(orgnr)}/members/${enc(userId)}`,
    organizationApprove: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}/approve`,
    organizationReject: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}/reject`,
    organizationRecheck: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}/recheck`,
    claims: (q?: Query) => withQuery('/api/v1/operator/claims', q),
    claim: (orgnr: string) => `/api/v1/operator/claims/${enc(orgnr)}`,
    registryRecheck: () => '/api/v1/operator/registry/recheck',
    datasets: (q?: Query) => withQuery('/api/v1/datasets', q),
    searchSuggestions: (q?: Query) => withQuery('/api/v1/search/suggestions', q),
    dataset: (id: string) => `/api/v1/datasets/${enc(id)}`,
    distributions: (id: string) => `/api/v1/datasets/${enc(id)}/distributions`,
    sharingAssessment: (id: string) => `/api/v1/datasets/${enc(id)}/sharing-assessment`,
    distribution: (id: string, distId: string) => `/api/v1/datasets/${enc(id)}/distributions/${enc(distId)}`,
    tables: (id: string) => `/api/v1/datasets/${enc(id)}/tables`,
    table: (id: string, table: string) => `/api/v1/datasets/${enc(id)}/tables/${enc(table)}`,
    tableVersions: (id: string, table: string) => `/api/v1/datasets/${enc(id)}/tables/${enc(table)}/versions`,
    rows: (id: string, table: string, q?: Query) => withQuery(`/api/v1/datasets/${enc(id)}/tables/${enc(table)}/rows`, q),
    /** A whole table version as a file (src/data-api): `version` a number or 'latest'; `format` original|csv|parquet|xlsx|json. */
    download: (id: string, table: string, version: string | number, format: string) => `/api/v1/datasets/${enc(id)}/tables/${enc(table)}/download/${enc(String(version))}/${enc(format)}`,
    rowsCsv: (id: string, table: string) => `/api/v1/datasets/${enc(id)}/tables/${enc(table)}/rows.csv`,
    dataPackage: (id: string) => `/api/v1/datasets/${enc(id)}/datapackage`,
    job: (id: string) => `/api/v1/jobs/${enc(id)}`,
    sql: (q?: Query) => withQuery('/api/v1/sql', q),
    sqlTables: (q?: Query) => withQuery('/api/v1/sql/tables', q),
    sharingWizard: (q?: Query) => withQuery('/api/v1/sharing-wizard', q),
    sharingWizardEvaluate: () => '/api/v1/sharing-wizard/evaluate',
    content: (q?: Query) => withQuery('/api/v1/content', q),
    consents: (q?: Query) => withQuery('/api/v1/consents', q),
    consent: (id: string) => `/api/v1/consents/${enc(id)}`,
    consentDecision: (id: string, action: 'accept' | 'reject' | 'revoke') => `/api/v1/consents/${enc(id)}/${action}`,
    consentEvents: (orgnr: string, q?: Query) => withQuery(`/api/v1/organizations/${enc(orgnr)}/consent-events`, q),
    tableConsent: (id: string, table: string) => `/api/v1/datasets/${enc(id)}/tables/${enc(table)}/consent`,
    // --- access ---
    accessRequests: () => '/api/v1/access-requests',
    accessRequest: (id: string) => `/api/v1/access-requests/${enc(id)}`,
    accessRequestAction: (id: string, action: 'approve' | 'reject' | 'ask' | 'answer' | 'withdraw' | 'accept') => `/api/v1/access-requests/${enc(id)}/${action}`,
    accessQueue: (orgnr: string, q?: Query) => withQuery(`/api/v1/organizations/${enc(orgnr)}/access-requests`, q),
    grant: (id: string) => `/api/v1/grants/${enc(id)}`,
    grantAction: (id: string, action: 'revoke' | 'renew') => `/api/v1/grants/${enc(id)}/${action}`,
    agreement: (id: string) => `/api/v1/grants/${enc(id)}/agreement`,
    agreementPdf: (id: string) => `/api/v1/grants/${enc(id)}/agreement.pdf`,
    datasetGrants: (id: string) => `/api/v1/datasets/${enc(id)}/grants`,
    datasetAudit: (id: string, q?: Query) => withQuery(`/api/v1/datasets/${enc(id)}/audit`, q),
    datasetAuditCsv: (id: string) => `/api/v1/datasets/${enc(id)}/audit.csv`,
    datasetUsage: (id: string) => `/api/v1/datasets/${enc(id)}/usage`,
    notifications: () => '/api/v1/notifications',
    notificationsRead: () => '/api/v1/notifications/read',
    contentItem: (id: string) => `/api/v1/content/${enc(id)}`,
    // identity
    oauthToken: () => '/api/v1/oauth/token',
    machineClients: (orgnr: string) => `/api/v1/organizations/${enc(orgnr)}/clients`,
    machineClient: (orgnr: string, id: string) => `/api/v1/organizations/${enc(orgnr)}/clients/${enc(id)}`,
    machineClientDisable: (orgnr: string, id: string) => `/api/v1/organizations/${enc(orgnr)}/clients/${enc(id)}/disable`,
  },
  /** The DCAT-AP-NO catalogue and its RDF twins (src/interop/dcat). `format` is a suffix: ttl, jsonld, rdf, nt. */
  rdf: {
    catalog: (q?: { publisher?: string; page?: number; format?: string }) => withQuery(q?.format ? `/catalog.${q.format}` : '/catalog', { publisher: q?.publisher, page: q?.page }),
    dump: () => '/catalog/dump.ttl',
    /** The dataset's URI in the catalogue; dereferenced it negotiates an RDF serialisation. */
    datasetResource: (id: string) => `/datasets/${enc(id)}`,
    dataset: (id: string, format: string) => `/datasets/${enc(id)}.${format}`,
  },
  /** The CKAN-compatible Action API (src/interop/ckan). */
  ckan: {
    action: (action: string) => `/api/3/action/${enc(action)}`,
  },
  static: (file: string) => `/static/${file}`,
  /** The analysis workbench's saved queries and exports (src/workbench), beside the SQL page. */
  workbench: {
    saved: () => '/sql/lagret',
    query: (id: string, q?: Query) => withQuery(`/sql/lagret/${enc(id)}`, q),
    remove: (id: string) => `/sql/lagret/${enc(id)}/slett`,
    exportSaved: (id: string, format: string) => `/sql/lagret/${enc(id)}/eksport?format=${enc(format)}`,
    save: () => '/sql/lagre',
    export: () => '/sql/eksport',
    api: {
      queries: () => '/api/v1/queries',
      query: (id: string) => `/api/v1/queries/${enc(id)}`,
      result: (id: string, q?: Query) => withQuery(`/api/v1/queries/${enc(id)}/result`, q),
      dataCard: (id: string) => `/api/v1/queries/${enc(id)}/datacard`,
      mlExport: (id: string) => `/api/v1/queries/${enc(id)}/ml-export`,
      sqlMlExport: () => '/api/v1/sql/ml-export',
    },
  },
  /** The operator's harvest pages and their JSON twins (src/interop/harvest). */
  harvest: {
    sources: (q?: Query) => withQuery('/operator/hosting', q),
    source: (id: string, q?: Query) => withQuery(`/operator/hosting/${enc(id)}`, q),
    run: (id: string) => `/operator/hosting/${enc(id)}/kjor`,
    remove: (id: string) => `/operator/hosting/${enc(id)}/slett`,
    api: (id?: string) => (id ? `/api/v1/harvest-sources/${enc(id)}` : '/api/v1/harvest-sources'),
  },
};
