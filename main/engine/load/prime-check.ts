/**
 * The ws-prime clients' own primality test, written independently of the server's
 * (main/engine/prime.ts) on purpose: a check that shares the code it checks cannot catch its bugs.
 * Deterministic Miller–Rabin with the first 13 prime bases is exact below 3.3×10^24.
 */
const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];

function powMod(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
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

export interface PrimeQuestion {
  /** The frame sent: may carry a sign or white space the server must strip. */
  text: string;
  /** The canonical decimal the server must echo in "n". */
  canonical: string;
  prime: boolean;
}

const LIMIT = 10n ** 24n;

function randomDigits(digits: number): bigint {
  let s = String(1 + Math.floor(Math.random() * 9));
  for (let i = 1; i < digits; i++) s += String(Math.floor(Math.random() * 10));
  return BigInt(s);
}

/**
 * A pool of questions with known answers, computed once: testing a 24-digit number costs about a
 * thousand BigInt multiplications, far too much to repeat for every one of 10,000 sends a second.
 * About a third are primes (found by stepping from a random odd start), the rest random integers of
 * 1 to 24 digits, a few negative or decorated with a sign and spaces.
 */
export function buildQuestionPool(size: number): PrimeQuestion[] {
  const pool: PrimeQuestion[] = [];
  for (let i = 0; i < size; i++) {
    const digits = 1 + Math.floor(Math.random() * 24);
    let n = randomDigits(digits);
    if (i % 3 === 0) {
      n |= 1n;
      // Prime gaps below 10^24 are far shorter than these bounds; step down if we crossed 24 digits.
      for (let step = 0; step < 10_000 && !isPrime(n); step++) n += 2n;
      if (n >= LIMIT) {
        n = LIMIT - 1n;
        for (let step = 0; step < 10_000 && !isPrime(n); step++) n -= 2n;
      }
    }
    const canonical = n.toString();
    if (i % 17 === 5) {
      pool.push({ text: `-${canonical}`, canonical: `-${canonical}`, prime: false });
    } else if (i % 13 === 7) {
      pool.push({ text: `  +${canonical} `, canonical, prime: isPrime(n) });
    } else {
      pool.push({ text: canonical, canonical, prime: isPrime(n) });
    }
  }
  return pool;
}
