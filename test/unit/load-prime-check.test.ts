import { describe, expect, it, test } from 'vitest';
import { isRightAnswer } from '../../main/load/clients/ws-prime';
import { buildQuestionPool } from '../../main/load/prime-check';
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

describe('judging a ws-prime answer', () => {
  const pool = buildQuestionPool(60);

  it("the server's exact print is right without parsing; spaced or reordered JSON is judged by its fields", () => {
    for (const q of pool) {
      expect(isRightAnswer(`{"n":"${q.canonical}","prime":${q.prime}}`, q)).toBe(true);
      expect(isRightAnswer(`{ "prime": ${q.prime}, "n": "${q.canonical}" }`, q)).toBe(true);
    }
  });

  it('a wrong verdict, a wrong number, an error or non-JSON is wrong', () => {
    for (const q of pool) {
      expect(isRightAnswer(`{"n":"${q.canonical}","prime":${!q.prime}}`, q)).toBe(false);
      expect(isRightAnswer(`{"n":"${q.canonical}1","prime":${q.prime}}`, q)).toBe(false);
      expect(isRightAnswer('{"error":"bad_integer","message":"x"}', q)).toBe(false);
      expect(isRightAnswer(q.answer.slice(0, -1), q)).toBe(false);
    }
  });
});
