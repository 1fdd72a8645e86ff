// Maps an Enhetsregisteret record (API answer or bulk-file element) to the few fields the platform keeps.

export type RegistryUnitStatus = 'active' | 'bankrupt' | 'winding_up' | 'deleted';

/** One Enhetsregisteret record, reduced to what the platform keeps. */
export interface RegistryUnit {
  orgnr: string;
  kind: 'enhet' | 'underenhet';
  name: string;
  orgForm: string | null; // organisasjonsform.kode, e.g. AS, ORGL, KOMM
  municipality: string | null; // kommunenummer of forretningsadresse (beliggenhetsadresse for underenheter)
  status: RegistryUnitStatus;
  deletedAt: string | null; // slettedato
  parentOrgnr: string | null; // overordnetEnhet
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * Maps one record as the API and the bulk files give it (enheter and underenheter share the shape; underenheter have a
 * beliggenhetsadresse instead of a forretningsadresse). Returns a reason instead of a unit when the record lacks what
 * identifies it.
 */
export function mapRegistryRecord(raw: unknown, kind: RegistryUnit['kind']): { unit: RegistryUnit } | { problem: 'not_an_object' | 'missing_orgnr' | 'invalid_orgnr' | 'missing_name' } {
  const r = obj(raw);
  if (!r) return { problem: 'not_an_object' };
  const orgnr = text(r.organisasjonsnummer);
  if (!orgnr) return { problem: 'missing_orgnr' };
  if (!/^\d{9}$/.test(orgnr)) return { problem: 'invalid_orgnr' };
  const name = text(r.navn);
  const deletedAt = text(r.slettedato);
  if (!name && !deletedAt) return { problem: 'missing_name' };
  const address = obj(r.forretningsadresse) ?? obj(r.beliggenhetsadresse);
  const kommunenummer = text(address?.kommunenummer);
  const status: RegistryUnitStatus = deletedAt
    ? 'deleted'
    : r.konkurs === true
      ? 'bankrupt'
      : r.underAvvikling === true || r.underTvangsavviklingEllerTvangsopplosning === true
        ? 'winding_up'
        : 'active';
  return {
    unit: {
      orgnr,
      kind,
      name: name ?? '',
      orgForm: text(obj(r.organisasjonsform)?.kode),
      municipality: kommunenummer && /^\d{4}$/.test(kommunenummer) ? kommunenummer : null,
      status,
      deletedAt,
      parentOrgnr: text(r.overordnetEnhet),
    },
  };
}
