/**
 * The baseline server's prime test (PROTOCOL.md §4): deterministic Miller–Rabin, exact below
 * 3.3×10^24. Kept in bench/ so the baseline does not depend on the engine it is measured against.
 */
const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];
const INTEGER = /^\s*([+-]?)(\d{1,24})\s*$/;

/** A decimal integer of at most 24 digits with optional sign and white space, or null. */
export function parseInteger(text: string): bigint | null {
  const match = INTEGER.exec(text);
  if (!match) return null;
  const value = BigInt(match[2] ?? '');
  return match[1] === '-' ? -value : value;
}

function powMod(base: bigint, exponent: bigint, modulus: bigint): bigint {
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
    let x = powMod(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}
