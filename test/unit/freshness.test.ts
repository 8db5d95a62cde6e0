import { describe, expect, it } from 'vitest';
import { FreshnessWatch } from '../../renderer/state/freshness';

describe('FreshnessWatch: when the figures on screen stop being live', () => {
  it('nothing is stale before anything arrived', () => {
    const w = new FreshnessWatch();
    expect(w.state(1e9, 1000)).toEqual({ server: true, clients: true });
  });

  it('the server goes stale after 8 s without a snapshot at 1 s sampling, 3 periods at 5 s', () => {
    const w = new FreshnessWatch();
    w.snapshot(0);
    expect(w.state(8_000, 1000).server).toBe(true);
    expect(w.state(8_001, 1000).server).toBe(false);
    expect(w.state(15_000, 5000).server).toBe(true);
    expect(w.state(15_001, 5000).server).toBe(false);
    w.snapshot(20_000);
    expect(w.state(20_500, 1000).server).toBe(true);
  });

  it('clients go stale after 5 s without a report, and at once when the generator died', () => {
    const w = new FreshnessWatch();
    w.report(0);
    expect(w.state(5_000, 1000).clients).toBe(true);
    expect(w.state(5_001, 1000).clients).toBe(false);
    w.report(6_000);
    w.generatorDied();
    expect(w.state(6_001, 1000).clients).toBe(false);
    // The next report comes from a new generator.
    w.report(9_000);
    expect(w.state(9_001, 1000).clients).toBe(true);
  });
});
