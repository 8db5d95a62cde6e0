import { describe, expect, test } from 'vitest';
import { buildQuestionPool, isPrime } from '../../main/engine/load/prime-check';

function trialDivision(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

describe('the load generator’s own Miller–Rabin', () => {
  test('agrees with trial division up to 20,000', () => {
    for (let n = -5; n <= 20_000; n++) expect(isPrime(BigInt(n)), String(n)).toBe(trialDivision(n));
  });

  test('rejects strong pseudoprimes to many bases and accepts large primes', () => {
    // Strong pseudoprimes to bases 2..23 and 2..37 (OEIS A014233): only more bases catch them.
    expect(isPrime(3825123056546413051n)).toBe(false);
    expect(isPrime(318665857834031151167461n)).toBe(false);
    expect(isPrime(561n)).toBe(false); // Carmichael
    expect(isPrime(2305843009213693951n)).toBe(true); // 2^61 − 1
    expect(isPrime(170141183460469231731687303715884105727n)).toBe(true); // 2^127 − 1 (beyond 24 digits, still exact here)
    expect(isPrime(999999999999999999999743n)).toBe(true); // largest 24-digit prime (openssl prime agrees)
    expect(isPrime(999999999999999999999989n)).toBe(false);
  });

  test('the question pool stays within the protocol (≤ 24 digits) and mixes primes and composites', () => {
    const pool = buildQuestionPool(300);
    for (const q of pool) {
      expect(q.canonical.replace('-', '').length).toBeLessThanOrEqual(24);
      expect(BigInt(q.text.trim()).toString()).toBe(q.canonical);
      expect(q.prime).toBe(isPrime(BigInt(q.canonical)));
    }
    const primes = pool.filter((q) => q.prime).length;
    expect(primes).toBeGreaterThan(60);
    expect(primes).toBeLessThan(240);
    expect(pool.some((q) => q.canonical.length >= 20)).toBe(true);
    expect(pool.some((q) => q.canonical.startsWith('-'))).toBe(true);
  });
});
