/**
 * Exact primality for the /ws/prime socket (docs/protocol.md §4): parse a client's text frame into a
 * canonical integer, then run deterministic Miller–Rabin with the first thirteen primes as bases
 * (fewer where fewer are proven enough), which has no false positives below 3.3×10^24 — every
 * number of at most 24 digits.
 */
import { PRIME_MAX_DIGITS } from '../../common/limits';

/** The first thirteen primes: Miller–Rabin bases, and the trial divisors tried before it. */
const BASES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41] as const;
const BIG_BASES = BASES.map(BigInt);

/**
 * ψ_k, the least odd composite that is a strong pseudoprime to each of the first k prime bases
 * (OEIS A014233; Jaeschke, Sorenson & Webster). Below ψ_k those k bases decide exactly, so a
 * 12-digit number needs 5 modular exponentiations, not 13 — the answer is exactly as exact.
 */
const PSI = [
  2047n,
  1373653n,
  25326001n,
  3215031751n,
  2152302898747n,
  3474749660383n,
  341550071728321n,
  341550071728321n,
  3825123056546413051n,
  3825123056546413051n,
  3825123056546413051n,
  318665857834031151167461n,
  3317044064679887385961981n,
] as const;

function basesNeeded(n: bigint): number {
  let k = 0;
  while (k < PSI.length - 1 && n >= PSI[k]!) k++;
  return k + 1;
}

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
  if (digits.length > PRIME_MAX_DIGITS) {
    return { ok: false, message: `at most ${PRIME_MAX_DIGITS} digits allowed, got ${digits.length}` };
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

/** a·b mod m for a, b < m < 2^32 in doubles: a·b may pass 2^53, so multiply by b's 16-bit halves. */
function mulMod32(a: number, b: number, m: number): number {
  return (((a * (b >>> 16)) % m) * 65536 + a * (b & 0xffff)) % m;
}

function modPow32(base: number, exponent: number, modulus: number): number {
  let result = 1;
  let b = base % modulus;
  for (let e = exponent; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = mulMod32(result, b, modulus);
    b = mulMod32(b, b, modulus);
  }
  return result;
}

/** Miller–Rabin for odd n < 2^32 with the first `bases` primes, in doubles (BigInt costs ~30× more). */
function isPrime32(n: number, bases: number): boolean {
  let d = n - 1;
  let s = 0;
  while (d % 2 === 0) {
    d /= 2;
    s++;
  }
  for (let i = 0; i < bases; i++) {
    let x = modPow32(BASES[i]!, d, n);
    if (x === 1 || x === n - 1) continue;
    let witness = true;
    for (let r = 1; r < s; r++) {
      x = mulMod32(x, x, n);
      if (x === n - 1) {
        witness = false;
        break;
      }
    }
    if (witness) return false;
  }
  return true;
}

/** Exact for |n| < 3.3×10^24; numbers below 2 are not prime. */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of BIG_BASES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  const bases = basesNeeded(n);
  if (n < 0x1_0000_0000n) return isPrime32(Number(n), bases);
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let i = 0; i < bases; i++) {
    let x = modPow(BIG_BASES[i]!, d, n);
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
