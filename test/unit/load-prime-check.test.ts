import { describe, expect, test } from 'vitest';
import { buildQuestionPool } from '../../main/engine/load/prime-check';
import { independentIsPrime } from '../fixtures/independent-prime';

describe('the ws-prime question pool', () => {
  test('the question pool stays within the protocol (≤ 24 digits) and mixes primes and composites', () => {
    const pool = buildQuestionPool(300);
    for (const q of pool) {
      expect(q.canonical.replace('-', '').length).toBeLessThanOrEqual(24);
      expect(BigInt(q.text.trim()).toString()).toBe(q.canonical);
      // Judged by a primality test that shares no code with the one that built the pool.
      expect(q.prime, q.canonical).toBe(independentIsPrime(BigInt(q.canonical)));
    }
    const primes = pool.filter((q) => q.prime).length;
    expect(primes).toBeGreaterThan(60);
    expect(primes).toBeLessThan(240);
    expect(pool.some((q) => q.canonical.length >= 20)).toBe(true);
    expect(pool.some((q) => q.canonical.startsWith('-'))).toBe(true);
  });
});
