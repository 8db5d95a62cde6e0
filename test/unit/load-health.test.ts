import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../main/engine/load/health';

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
