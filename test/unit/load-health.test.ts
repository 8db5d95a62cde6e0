import { describe, expect, it } from 'vitest';
import { GapStalls, HealthMonitor } from '../../main/load/health';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy on purpose: the generator's own stall.
  }
}

describe('generator health', () => {
  it('a stall of the generator itself shows in its loop p99 and raises the saturation warning', async () => {
    const health = new HealthMonitor();
    health.sample();
    await new Promise((r) => setTimeout(r, 100));
    block(200);
    const stalled = health.sample();
    expect(stalled.eventLoopP99Ms).toBeGreaterThan(50);
    expect(stalled.warning).toMatch(/saturated/);
    await new Promise((r) => setTimeout(r, 100));
    const calm = health.sample();
    expect(calm.eventLoopP99Ms).toBeLessThan(50);
    health.close();
  });
});

describe("generator's own stalls, counted without a watchdog", () => {
  it('gaps over the threshold count as stalls with their length; shorter gaps do not', () => {
    const stalls = new GapStalls(100);
    stalls.gap(10);
    stalls.gap(100);
    expect(stalls.summary()).toEqual({ count: 0, totalMs: 0, maxMs: 0, worst: null });
    stalls.gap(250.04);
    stalls.gap(120);
    expect(stalls.summary()).toEqual({ count: 2, totalMs: 370, maxMs: 250, worst: null });
  });

  it("a real block of the loop lands in the health monitor's stall count", async () => {
    const health = new HealthMonitor();
    await new Promise((r) => setTimeout(r, 50));
    // A loaded machine may add gaps of its own: only the block's own effect is asserted.
    const before = health.stalls.summary().count;
    block(250);
    await new Promise((r) => setTimeout(r, 50));
    const s = health.stalls.summary();
    expect(s.count).toBeGreaterThanOrEqual(before + 1);
    expect(s.maxMs).toBeGreaterThanOrEqual(245);
    health.close();
  });
});
