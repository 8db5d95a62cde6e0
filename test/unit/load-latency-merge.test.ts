/**
 * Issue 22 item 3: latency percentiles of several generator processes merge exactly. Two
 * processes' real histograms (KindStats, as each generator process keeps them) with different
 * distributions: the merged report's percentiles are those of one histogram that saw every value,
 * not the larger of the two processes' (the old upper bound). Live reports, which carry no
 * buckets, still merge to that upper bound.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type ClientKind, type KindReport, type LoadReport } from '../../common/load';
import { LatencyHistogram, mergeLatencies } from '../../main/load/latency-histogram';
import { mergeReports } from '../../main/load/merge-reports';
import { KindStats } from '../../main/load/stats';

/** A deterministic spread of `n` latencies around `centreMs`. */
function latencies(n: number, centreMs: number, seed: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(centreMs * (0.5 + x / 2 ** 31));
  }
  return out;
}

function reportOf(stats: Map<ClientKind, KindStats>, withBuckets: boolean): LoadReport {
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS)
    kinds[kind] = (stats.get(kind) ?? new KindStats(kind)).snapshot(0, 0, 250, withBuckets);
  return {
    time: Date.now(),
    intervalMs: 250,
    target: 'http://127.0.0.1:1',
    kinds,
    generator: { processes: 1, eventLoopP99Ms: 0, cpuPercent: 0, warning: null },
  };
}

describe('latency merge across generator processes', () => {
  it('buckets of two histograms add up to the histogram of all their values', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (const ms of latencies(9_000, 2, 1)) {
      a.recordMs(ms);
      all.recordMs(ms);
    }
    for (const ms of latencies(1_000, 80, 2)) {
      b.recordMs(ms);
      all.recordMs(ms);
    }
    const merged = mergeLatencies([a.summary(true), b.summary(true)]);
    expect(merged).toEqual(all.summary());
    expect(merged.buckets).toBeUndefined();
    // The upper bound the merge used to give is far off: p50 is the fast process's, not the slow one's.
    expect(mergeLatencies([a.summary(), b.summary()]).p50Ms).toBe(b.summary().p50Ms);
    expect(merged.p50Ms).toBeLessThan(3);
  });

  it('mergeReports: the final reports (with buckets) merge exactly; live ones to the upper bound', () => {
    const procs = [new Map<ClientKind, KindStats>(), new Map<ClientKind, KindStats>()];
    const together = new KindStats('http');
    const values = [latencies(5_000, 1, 3), latencies(500, 200, 4)];
    values.forEach((list, i) => {
      const s = new KindStats('http');
      for (const ms of list) {
        s.recordRtt(ms);
        together.recordRtt(ms);
      }
      procs[i]!.set('http', s);
    });
    const expected = together.snapshot(0, 0, 250).cumulative!.rtt;

    const live = mergeReports(procs.map((p) => reportOf(p, false)));
    expect(live.kinds.http.cumulative!.rtt.p50Ms).toBeGreaterThan(100);

    const final = mergeReports(procs.map((p) => reportOf(p, true)));
    expect(final.kinds.http.cumulative!.rtt).toEqual(expected);
    expect(final.kinds.http.cumulative!.rtt.count).toBe(5_500);
    expect(JSON.stringify(final)).not.toContain('buckets');
  });

  it('buckets from another layout or garbage are skipped, not trusted', () => {
    const h = new LatencyHistogram();
    h.addBuckets([-1, 5, 1e12, 3, 2.5, 1, 10, -4]);
    expect(h.count).toBe(0);
  });
});
