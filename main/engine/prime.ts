/**
 * Exact primality for the /ws/prime socket (PROTOCOL.md §4): parse a client's text frame into a
 * canonical integer, then run deterministic Miller–Rabin with the first thirteen primes as bases,
 * which has no false positives below 3.3×10^24 — every number of at most 24 digits.
 */

export const MAX_DIGITS = 24;

/** Bases for which Miller–Rabin is exact below 3,317,044,064,679,887,385,961,981 (Sorenson & Webster). */
const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n] as const;

const INTEGER = /^\s*([+-]?)(\d+)\s*$/;

export type ParsedInteger = { ok: true; value: bigint; canonical: string } | { ok: false; message: string };

/**
 * Accepts an optional sign, optional surrounding white space and 1 to 24 digits as written (leading
 * zeros count, so the length limit is checked before any arithmetic). The canonical form has no
 * sign when positive, no leading zeros, and "-0" becomes "0" because zero has no sign.
 */
export function parseInteger(text: string): ParsedInteger {
  const match = INTEGER.exec(text);
  if (!match) {
    return { ok: false, message: 'expected a decimal integer: optional sign, 1 to 24 digits' };
  }
  const digits = match[2] ?? '';
  if (digits.length > MAX_DIGITS) {
    return { ok: false, message: `at most ${MAX_DIGITS} digits allowed, got ${digits.length}` };
  }
  const magnitude = BigInt(digits);
  const value = match[1] === '-' ? -magnitude : magnitude;
  return { ok: true, value, canonical: value.toString() };
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Exact for |n| < 3.3×10^24; numbers below 2 are not prime. */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of BASES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (const a of BASES) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        witness = false;
        break;
      }
    }
    if (witness) return false;
  }
  return true;
}
