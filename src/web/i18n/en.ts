import type { Catalogue } from './nb';

// English. Missing keys fall back to bokmål.
export const en: Catalogue = {
  // --- layout ---
  'site.tagline': 'Share data, find data and use data – for organisations all over Norway.',
  'layout.skip': 'Skip to main content',
  'layout.nav.label': 'Main menu',
  'layout.nav.datasets': 'Datasets',
  'layout.nav.organizations': 'Organisations',
  'layout.nav.api': 'API',
  'layout.nav.account': 'My account',
  'layout.nav.signin': 'Sign in',
  'layout.nav.signup': 'Create account',
  'layout.nav.signout': 'Sign out',
  'layout.language': 'Language',
  'layout.footer': 'Datafabrikken is open source. Data from public sources is marked with its source and licence.',
  // --- errors ---
  'error.title': 'Something went wrong',
  'error.back': 'Go to the front page',
  'error.not_found': 'We could not find the page you were looking for.',
  'error.forbidden': 'You do not have access to this.',
  'error.unauthenticated': 'You need to sign in to do this.',
  'error.csrf_failed': 'The form had expired or was invalid. Reload the page and try again.',
  'error.rate_limited': 'Too many attempts. Try again in {seconds} seconds.',
  'error.payload_too_large': 'What you sent is too large.',
  'error.unsupported_media_type': 'This type of content cannot be sent here.',
  'error.validation_failed': 'Some fields need fixing.',
  'error.internal': 'An unexpected error occurred. Please try again later.',
  'error.bad_request': 'The request was invalid.',
  // --- home ---
  'home.lead': 'An open platform where organisations share data, and others find, link and use it.',
  'home.search.label': 'Search datasets',
  'home.search.button': 'Search',
  'home.newest': 'Newest datasets',
  'home.counts': 'The platform in numbers',
  'home.count.datasets': 'published datasets',
  'home.count.organizations': 'organisations',
  'home.count.tables': 'tables',
  'home.none': 'No datasets have been published yet.',
  'apidocs.title': 'API for developers',
  'apidocs.lead': 'Everything you see on Datafabrikken is also available as JSON. Create an API token under My account and send it as "Authorization: Bearer <token>".',
  'apidocs.openapi': 'The OpenAPI document (JSON)',
  'apidocs.auth': 'needs sign-in or a token',
  'apidocs.parameters': 'Parameters',
  'apidocs.required': 'required',
  // --- accounts ---
  // --- organisations ---
  // --- catalog ---
  // --- tables ---
};
