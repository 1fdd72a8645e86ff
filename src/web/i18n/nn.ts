import type { Catalogue } from './nb';

// Norsk nynorsk, where labels exist. Missing keys fall back to bokmål.
export const nn: Catalogue = {
  // --- layout ---
  'site.tagline': 'Del data, finn data og bruk data – for verksemder i heile Noreg.',
  'layout.skip': 'Hopp til hovudinnhald',
  'layout.nav.label': 'Hovudmeny',
  'layout.nav.datasets': 'Datasett',
  'layout.nav.organizations': 'Verksemder',
  'layout.nav.account': 'Kontoen min',
  'layout.nav.signin': 'Logg inn',
  'layout.nav.signup': 'Opprett konto',
  'layout.nav.signout': 'Logg ut',
  'layout.language': 'Språk',
  'layout.footer': 'Datafabrikken er open kjeldekode. Data frå offentlege kjelder er merkte med kjelde og lisens.',
  // --- errors ---
  'error.title': 'Noko gjekk gale',
  'error.back': 'Til framsida',
  'error.not_found': 'Vi fann ikkje sida du leita etter.',
  'error.forbidden': 'Du har ikkje tilgang til dette.',
  'error.unauthenticated': 'Du må logge inn for å gjere dette.',
  'error.csrf_failed': 'Skjemaet hadde gått ut eller var ugyldig. Last sida på nytt og prøv igjen.',
  'error.rate_limited': 'For mange forsøk. Prøv igjen om {seconds} sekund.',
  'error.validation_failed': 'Nokre felt må rettast.',
  'error.internal': 'Ein uventa feil oppstod. Prøv igjen seinare.',
  // --- home ---
  'home.lead': 'Ei open plattform der verksemder deler data, og andre finn, koplar og brukar dei.',
  'home.search.label': 'Søk i datasett',
  'home.search.button': 'Søk',
  'home.newest': 'Nyaste datasett',
  'home.counts': 'Plattforma i tal',
  'home.count.datasets': 'publiserte datasett',
  'home.count.organizations': 'verksemder',
  'home.count.tables': 'tabellar',
  'home.none': 'Ingen datasett er publiserte enno.',
  'apidocs.title': 'API for utviklarar',
  'apidocs.lead': 'Alt du ser på Datafabrikken kan òg hentast som JSON. Opprett eit API-token under Kontoen min og send det som «Authorization: Bearer <token>».',
  'apidocs.openapi': 'OpenAPI-dokumentet (JSON)',
  'apidocs.auth': 'krev innlogging eller token',
  'apidocs.parameters': 'Parametrar',
  'apidocs.required': 'påkravd',
  // --- accounts ---
  // --- organisations ---
  // --- catalog ---
  // --- tables ---
};
