// Enhetsregisteret (Brønnøysundregistrene's register of legal entities) as the platform sees it: look one unit up by
// organisasjonsnummer, or read the bulk download. The adapter only fetches and maps records; what a lookup means for
// an organisation (refuse, verify, fall back to the local copy) is decided in src/organisations/service.ts.
import { createHttpRegistry } from './http';
import type { RegistryUnit } from './record';

export { mapRegistryRecord, type RegistryUnit, type RegistryUnitStatus } from './record';

export type RegistryLookup =
  | { kind: 'found'; unit: RegistryUnit }
  | { kind: 'deleted'; orgnr: string; deletedAt: string | null }
  | { kind: 'not_found'; orgnr: string }
  /** The registry could not answer: disabled, unreachable, timed out, 5xx, malformed or oversized answer. */
  | { kind: 'unavailable'; reason: string };

export interface Registry {
  /** False when no REGISTRY_URL is configured: every lookup is then `unavailable` without a request. */
  readonly enabled: boolean;
  lookup(orgnr: string): Promise<RegistryLookup>;
}

export interface RegistryOptions {
  /** Base URL, e.g. https://data.brreg.no/enhetsregisteret/api; empty or undefined disables the registry. */
  baseUrl: string | undefined;
  /** Per-request timeout (default 3000 ms): a registry that hangs must not hold a claim or a test. */
  timeoutMs?: number;
  /** Largest response body accepted (default 256 KiB; one unit is about 2 KB). */
  maxBytes?: number;
}

export const disabledRegistry: Registry = {
  enabled: false,
  lookup: async () => ({ kind: 'unavailable', reason: 'disabled' }),
};

export function createRegistry(opts: RegistryOptions): Registry {
  const base = opts.baseUrl?.trim();
  if (!base) return disabledRegistry;
  return createHttpRegistry({ baseUrl: base, timeoutMs: opts.timeoutMs ?? 3000, maxBytes: opts.maxBytes ?? 256 * 1024 });
}
