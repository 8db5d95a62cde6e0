import { describe, expect, it } from 'vitest';
import { isPrime, parseInteger } from '../../main/engine/prime';
import { probablyPrime, trialDivision } from '../fixtures/independent-prime';

describe('isPrime', () => {
  it('agrees with trial division for every n below 20,000', () => {
    for (let n = -5; n < 20_000; n++) expect(isPrime(BigInt(n)), `n=${n}`).toBe(trialDivision(n));
  });

  it('rejects Carmichael numbers (each checked against a factor)', () => {
    const carmichael: [bigint, bigint][] = [
      [561n, 3n],
      [41041n, 7n],
      [825265n, 5n],
      [321197185n, 5n],
      [5394826801n, 7n],
      [232250619601n, 7n],
      [9746347772161n, 7n],
    ];
    for (const [n, factor] of carmichael) {
      expect(n % factor).toBe(0n);
      expect(isPrime(n), String(n)).toBe(false);
    }
  });

  it('rejects strong pseudoprimes to many small bases', () => {
    // Strong pseudoprime to bases 2..23; 149491 · 747451 · 34233211.
    expect(149491n * 747451n * 34233211n).toBe(3825123056546413051n);
    expect(isPrime(3825123056546413051n)).toBe(false);
    // 24 digits, strong pseudoprime to bases 2..37: only base 41 exposes it.
    expect(399165290221n * 798330580441n).toBe(318665857834031151167461n);
    expect(isPrime(318665857834031151167461n)).toBe(false);
  });

  it('accepts large primes of 19 to 24 digits (cross-checked with random-base Miller–Rabin)', () => {
    const primes = [
      2n ** 61n - 1n,
      999999999999999989n,
      1000000000000000003n,
      99999999999999999989n,
      999999999999999999899n,
      1000000000000000000117n,
      100000000000000000000117n,
      999999999999999999999743n,
    ];
    for (const p of primes) {
      expect(probablyPrime(p), `cross-check ${p}`).toBe(true);
      expect(isPrime(p), String(p)).toBe(true);
      // Its neighbours in the same range: products of two primes are composite by construction.
      expect(isPrime(p * 3n)).toBe(false);
    }
    expect(isPrime(1000000000000000003n * 999999999999999989n)).toBe(false);
  });

  it('rejects every ψ_k (the least strong pseudoprime to the first k prime bases), where fewer bases change over', () => {
    // OEIS A014233; each is composite, as its factor shows.
    const psi: [bigint, bigint][] = [
      [2047n, 23n],
      [1373653n, 829n],
      [25326001n, 2251n],
      [3215031751n, 151n],
      [2152302898747n, 6763n],
      [3474749660383n, 1303n],
      [341550071728321n, 10670053n],
      [3825123056546413051n, 149491n],
      [318665857834031151167461n, 399165290221n],
    ];
    for (const [n, factor] of psi) {
      expect(n % factor, `${factor} divides ${n}`).toBe(0n);
      expect(isPrime(n), String(n)).toBe(false);
    }
  });

  it('matches the independent check around every change in the number of bases and around 2^32', () => {
    const edges = [2047n, 1373653n, 25326001n, 3215031751n, 2n ** 32n, 2152302898747n, 3474749660383n];
    edges.push(341550071728321n, 3825123056546413051n, 318665857834031151167461n);
    for (const edge of edges) {
      for (let n = edge - 601n; n <= edge + 601n; n += 2n) {
        expect(isPrime(n), String(n)).toBe(probablyPrime(n));
      }
    }
  });

  it('matches the independent check on a spread of 20–24 digit odd numbers', () => {
    let n = 12345678901234567890123n;
    for (let i = 0; i < 300; i++, n += 2n * 7919n) expect(isPrime(n), String(n)).toBe(probablyPrime(n));
  });
});

describe('parseInteger', () => {
  const ok = (text: string) => {
    const r = parseInteger(text);
    if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${r.message}`);
    return r.canonical;
  };

  it('canonicalises sign, leading zeros and white space', () => {
    expect(ok('7')).toBe('7');
    expect(ok('+007')).toBe('7');
    expect(ok('  -0042\t')).toBe('-42');
    expect(ok('-0')).toBe('0');
    expect(ok('000')).toBe('0');
    expect(ok('\n999999999999999999999743 ')).toBe('999999999999999999999743');
  });

  it('refuses anything that is not 1..24 digits with an optional sign', () => {
    for (const bad of [
      '',
      '   ',
      '+',
      '-',
      '1.5',
      '1e3',
      '0x10',
      '12 34',
      '--1',
      '+-1',
      'seven',
      '١٢٣',
      '1000000000000000000000000',
    ]) {
      expect(parseInteger(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseInteger('9'.repeat(24)).ok).toBe(true);
    // Leading zeros count towards the 24 digits: the limit is on what was written.
    expect(parseInteger('0'.repeat(25)).ok).toBe(false);
  });
});
