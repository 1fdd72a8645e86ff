/**
 * Norwegian identifier validators: pure functions, no I/O, data lists compiled in (see kommuner-data.ts and
 * postnummer-data.ts). Each validator returns `{ valid, value, … }` on success and `{ valid: false, reason, message }`
 * otherwise; messages are English sentences fit to show a user.
 */
import { isFodselsnummer } from './fodselsnummer';
import { isKommunenummer } from './kommunenummer';
import { isKontonummer, isNorwegianIban } from './kontonummer';
import { isOrgnr } from './orgnr';
import { isPostnummer } from './postnummer';

export * from './orgnr';
export * from './fodselsnummer';
export * from './kommunenummer';
export * from './postnummer';
export * from './kontonummer';

export type IdentifierKind = 'fodselsnummer' | 'kontonummer' | 'orgnr' | 'iban' | 'kommunenummer' | 'postnummer';

const DETECTORS: readonly [IdentifierKind, (value: string) => boolean][] = [
  ['fodselsnummer', (v) => isFodselsnummer(v)],
  ['kontonummer', isKontonummer],
  ['orgnr', isOrgnr],
  ['iban', isNorwegianIban],
  ['kommunenummer', isKommunenummer],
  ['postnummer', isPostnummer],
];

/**
 * Every identifier kind a single value is valid as, e.g. '991825827' → ['orgnr'], '0150' → ['postnummer'] and
 * '0301' → ['kommunenummer', 'postnummer'] (Oslo and OSLO's post box code).
 *
 * Every valid fødselsnummer is also reported as a kontonummer: its second check digit uses exactly the kontonummer
 * weights. The fødselsnummer adds the first check digit and a real date, so a random valid kontonummer is a valid
 * fødselsnummer only rarely; callers deciding whether a column holds personal data should look at many values, and
 * read ['fodselsnummer', 'kontonummer'] on most of them as fødselsnummer. Each kind applies its validator's own
 * tolerance (spaces, "8601.11.17947").
 */
export function detectIdentifier(value: string): IdentifierKind[] {
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 40) return [];
  return DETECTORS.filter(([, test]) => test(trimmed)).map(([kind]) => kind);
}
