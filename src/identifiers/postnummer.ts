/**
 * Postnummer: 4 digits that exist in the Posten/Bring postal code register (postnummer-data.ts, generated; source in
 * its header). A well-formed code that is not in the register is invalid with reason 'unknown'.
 */
import { POSTNUMMER_DATA } from './postnummer-data';

export type PostnummerCategory = 'B' | 'G' | 'P' | 'S' | 'F';

export interface PostnummerEntry {
  poststed: string;
  /** 2024 kommunenummer, or 2100 (Svalbard) / 2211 (Jan Mayen). */
  kommunenummer: string;
  /** Bring's category: B street addresses and post boxes, G street addresses, P post boxes, S service code. */
  category: PostnummerCategory;
}

export type PostnummerResult =
  | ({ valid: true; value: string } & PostnummerEntry)
  | { valid: false; value?: string; reason: 'format' | 'unknown'; message: string };

let register: Map<string, PostnummerEntry> | undefined;

function postnummerRegister(): Map<string, PostnummerEntry> {
  if (!register) {
    const map = new Map<string, PostnummerEntry>();
    for (const line of POSTNUMMER_DATA.split('\n')) {
      const [postnr, poststed, kommunenummer, category] = line.split('|');
      if (postnr && poststed && kommunenummer && category) {
        map.set(postnr, { poststed, kommunenummer, category: category as PostnummerCategory });
      }
    }
    register = map;
  }
  return register;
}

export function validatePostnummer(input: string): PostnummerResult {
  const value = typeof input === 'string' ? input.trim() : '';
  if (!/^\d{4}$/.test(value)) {
    const shown = typeof input === 'string' ? input.trim().slice(0, 40) : String(input);
    return { valid: false, reason: 'format', message: `"${shown}" is not a postnummer: it must be exactly 4 digits.` };
  }
  const entry = postnummerRegister().get(value);
  if (!entry) {
    return {
      valid: false,
      value,
      reason: 'unknown',
      message: `Postnummer ${value} is not in Posten/Bring's postal code register.`,
    };
  }
  return { valid: true, value, ...entry };
}

export function isPostnummer(input: string): boolean {
  return validatePostnummer(input).valid;
}

/** Number of postal codes in the shipped register. */
export function postnummerCount(): number {
  return postnummerRegister().size;
}
