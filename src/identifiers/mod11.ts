/**
 * The modulus-11 check digit shared by organisasjonsnummer, fødselsnummer (K2 and the 1964 K1) and kontonummer:
 * 11 - (Σ digit·weight mod 11), where 11 becomes 0 and 10 means no check digit can make the number valid.
 */

/** Σ digit·weight over the first `weights.length` digits of `digits` (a string of ASCII digits). */
export function weightedSum(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits.charCodeAt(i) - 48) * (weights[i] ?? 0);
  return sum;
}

/** The check digit for these digits and weights, or undefined when the remainder leaves 10 (never issued). */
export function mod11CheckDigit(digits: string, weights: readonly number[]): number | undefined {
  const check = 11 - (weightedSum(digits, weights) % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** Removes the whitespace (incl. no-break spaces) people put inside numbers: "991 825 827" → "991825827". */
export function stripSpaces(input: string): string {
  return input.replace(/\s+/g, '');
}
