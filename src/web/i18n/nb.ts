// Norsk bokmål — the default language. One catalogue per language; nn and en fall back to this one for missing keys.
// Keys are grouped by area; add new keys inside your area's block.
export const nb = {
  // --- layout ---
  'site.name': 'Datafabrikken',
  'site.tagline': 'Del data, finn data og bruk data – for virksomheter i hele Norge.',
  'layout.skip': 'Hopp til hovedinnhold',
  'layout.nav.label': 'Hovedmeny',
  'layout.nav.datasets': 'Datasett',
  'layout.nav.organizations': 'Virksomheter',
  'layout.nav.api': 'API',
  'layout.nav.account': 'Min konto',
  'layout.nav.signin': 'Logg inn',
  'layout.nav.signup': 'Opprett konto',
  'layout.nav.signout': 'Logg ut',
  'layout.language': 'Språk',
  'layout.footer': 'Datafabrikken er åpen kildekode. Data fra offentlige kilder er merket med kilde og lisens.',
  // --- errors ---
  'error.title': 'Noe gikk galt',
  'error.back': 'Til forsiden',
  'error.not_found': 'Vi fant ikke siden du lette etter.',
  'error.forbidden': 'Du har ikke tilgang til dette.',
  'error.unauthenticated': 'Du må logge inn for å gjøre dette.',
  'error.csrf_failed': 'Skjemaet var utløpt eller ugyldig. Last siden på nytt og prøv igjen.',
  'error.rate_limited': 'For mange forsøk. Prøv igjen om {seconds} sekunder.',
  'error.payload_too_large': 'Innsendingen er for stor.',
  'error.unsupported_media_type': 'Denne typen innhold kan ikke sendes hit.',
  'error.validation_failed': 'Noen felt må rettes.',
  'error.internal': 'En uventet feil oppstod. Prøv igjen senere.',
  'error.bad_request': 'Forespørselen var ugyldig.',
  // --- home ---
  'home.title': 'Datafabrikken',
  'home.lead': 'En åpen plattform der virksomheter deler data, og andre finner, kobler og bruker dem.',
  'home.search.label': 'Søk i datasett',
  'home.search.button': 'Søk',
  'home.newest': 'Nyeste datasett',
  'home.counts': 'Plattformen i tall',
  'home.count.datasets': 'publiserte datasett',
  'home.count.organizations': 'virksomheter',
  'home.count.tables': 'tabeller',
  'home.none': 'Ingen datasett er publisert ennå.',
  'apidocs.title': 'API for utviklere',
  'apidocs.lead': 'Alt du ser på Datafabrikken kan også hentes som JSON. Opprett et API-token under Min konto og send det som «Authorization: Bearer <token>».',
  'apidocs.openapi': 'OpenAPI-dokumentet (JSON)',
  'apidocs.auth': 'krever innlogging eller token',
  'apidocs.parameters': 'Parametere',
  'apidocs.required': 'påkrevd',
  // --- accounts ---
  // --- organisations ---
  // --- catalog ---
  // --- tables ---
} as const;

export type MessageKey = keyof typeof nb;
export type Catalogue = Partial<Record<MessageKey, string>>;
