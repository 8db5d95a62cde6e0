import { SAMPLE_INTERVAL_MS } from '../../common/limits';
import { describe, expect, it } from 'vitest';
import { Feed } from '../../main/engine/feed';
import { JobQueue } from '../../main/engine/job-queue';
import { EngineCounters } from '../../main/engine/metrics/counters';
import { LoopDelayRecorder } from '../../main/engine/metrics/loop-delay';
import { Sampler } from '../../main/engine/metrics/sampler';
import type { EngineSnapshot } from '../../common/snapshot';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy on purpose: this is the stall being measured.
  }
}

describe('LoopDelayRecorder', () => {
  it('a stall still in progress at take() lands in that window, not nowhere', () => {
    const recorder = new LoopDelayRecorder(2);
    block(120);
    const window = recorder.take();
    expect(window.maxMs).toBeGreaterThanOrEqual(110);
    // The next window starts clean.
    expect(recorder.take().maxMs).toBeLessThan(110);
    recorder.stop();
  });

  it('one stall among many on-time ticks still moves p99 (the ticks it swallowed are counted)', async () => {
    const recorder = new LoopDelayRecorder(2);
    recorder.take();
    // ~150 on-time ticks, then one 150 ms stall: uncorrected, the stall is 1 sample in ~150 and p99 stays ~0.
    await new Promise((r) => setTimeout(r, 300));
    block(150);
    const window = recorder.take();
    expect(window.maxMs).toBeGreaterThanOrEqual(140);
    expect(window.p99Ms).toBeGreaterThanOrEqual(50);
    recorder.stop();
  });

  it('reports ~0 for an idle loop', async () => {
    const recorder = new LoopDelayRecorder(2);
    recorder.take();
    await new Promise((r) => setTimeout(r, 100));
    const window = recorder.take();
    expect(window.p50Ms).toBeLessThan(5);
    recorder.stop();
  });
});

describe('Sampler', () => {
  it('publishes one fixed-shape snapshot per interval with rates from counter deltas', async () => {
    const counters = new EngineCounters();
    const feed = new Feed();
    const queue = new JobQueue();
    const sampler = new Sampler({ counters, feed, queue }, { intervalMs: 250 });
    const snaps: EngineSnapshot[] = [];
    sampler.subscribe((s) => snaps.push(s));
    counters.httpRequests += 500;
    counters.open('wsPrime');
    counters.bcrypt.loopRuns++;
    counters.bcrypt.loopMs += 42;
    await new Promise<void>((resolve) => {
      const off = sampler.subscribe(() => {
        off();
        resolve();
      });
    });
    const first = snaps[0]!;
    expect(first.intervalMs).toBeGreaterThanOrEqual(200);
    expect(first.rates.httpPerS).toBeGreaterThan(500); // 500 requests in ~0.25 s
    expect(first.connections.wsPrime).toBe(1);
    expect(first.bcrypt).toEqual({ loopRuns: 1, loopMs: 42, poolRuns: 0 });
    const keys = (s: EngineSnapshot) => JSON.stringify(Object.keys(s)) + JSON.stringify(Object.keys(s.rates));
    await new Promise<void>((resolve) => {
      const off = sampler.subscribe(() => {
        off();
        resolve();
      });
    });
    const second = snaps[1]!;
    expect(keys(second)).toBe(keys(first));
    expect(second.rates.httpPerS).toBe(0);
    expect(second.bcrypt.loopRuns).toBe(0);
    expect(() => sampler.setIntervalMs(100)).toThrow();
    sampler.setIntervalMs(500);
    expect(sampler.intervalMs).toBe(500);
    sampler.stop();
    queue.close();
  });

  it('with sampling off, snapshots are computed on demand and no timer runs', async () => {
    const counters = new EngineCounters();
    const sources = { counters, feed: new Feed(), queue: new JobQueue() };
    const off = new Sampler(sources, { enabled: false, intervalMs: SAMPLE_INTERVAL_MS.min });
    const on = new Sampler(sources, { intervalMs: SAMPLE_INTERVAL_MS.min });
    let offWindows = 0;
    let onWindows = 0;
    off.subscribe(() => offWindows++);
    on.subscribe(() => onWindows++);
    // The sampler that is on is the clock: by the time it closed two windows, a timer in the one
    // that is off would have fired too.
    const deadline = Date.now() + 10_000;
    while (onWindows < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(onWindows).toBeGreaterThanOrEqual(2);
    expect(offWindows).toBe(0);
    on.stop();

    counters.wsIn += 10;
    const snap = off.latest();
    expect(snap.eventLoop.maxMs).toBe(0);
    expect(snap.rates.wsInPerS).toBeGreaterThan(0);
    off.stop();
  });
});
