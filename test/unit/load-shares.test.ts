/**
 * The controller's share policy (main/load/shares.ts): how a spawn and a stop are split among
 * generator processes.
 */
import { describe, expect, it } from 'vitest';
import { spawnShares, stopShares } from '../../main/load/shares';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('spawn shares', () => {
  it("'fill' ('auto' processes) fills the first processes first", () => {
    expect(spawnShares([100, 100, 100], 150, 'fill')).toEqual([100, 50, 0]);
    expect(spawnShares([0, 30, 100], 50, 'fill')).toEqual([0, 30, 20]);
  });

  it("'even' (a fixed count) gives each an even share, rounded up from the first", () => {
    expect(spawnShares([100, 100, 100], 150, 'even')).toEqual([50, 50, 50]);
    expect(spawnShares([100, 100, 100], 100, 'even')).toEqual([34, 34, 32]);
  });

  it("'even' puts what a process has no descriptors for wherever they are left", () => {
    expect(spawnShares([10, 100, 100], 150, 'even')).toEqual([10, 90, 50]);
  });

  it('never gives a process more than its free descriptors, and shares out exactly the count', () => {
    for (let trial = 0; trial < 200; trial++) {
      const free = Array.from({ length: 1 + (trial % 5) }, (_, i) => (trial * 7 + i * 13) % 60);
      const count = Math.min(sum(free), (trial * 11) % 90);
      for (const policy of ['even', 'fill'] as const) {
        const shares = spawnShares(free, count, policy);
        expect(sum(shares)).toBe(count);
        shares.forEach((n, i) => expect(n).toBeLessThanOrEqual(free[i]!));
      }
    }
  });
});

describe('stop shares', () => {
  it('stops from the fullest process first, each at most what it reported', () => {
    expect(stopShares([30, 100, 0], 50)).toEqual([0, 50, 0]);
    expect(stopShares([30, 100, 0], 120)).toEqual([20, 100, 0]);
  });

  it('asks the fullest process for what the (stale) reports do not count, not the emptiest', () => {
    // 130 reported, 200 asked for: the 70 spawned since the reports are likeliest in the fullest.
    expect(stopShares([30, 100, 0], 200)).toEqual([30, 170, 0]);
    // No report yet: the first process is asked for all of them.
    expect(stopShares([0, 0], 10)).toEqual([10, 0]);
  });

  it('no processes: nothing to ask', () => {
    expect(stopShares([], 5)).toEqual([]);
  });
});
