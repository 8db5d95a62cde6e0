/**
 * A latency histogram that several generator processes can merge exactly (issue 22 item 3).
 *
 * Percentiles of a merged run cannot come from each process's percentiles; they need the
 * distributions. Node's own HDR histogram (perf_hooks) cannot be read out bucket by bucket, so this
 * is hdr-histogram-js (the HdrHistogram port autocannon uses), with one addition: its buckets as a
 * plain list of [index, count, index, count, …] for the non-empty ones. Every process builds its
 * histograms with the same layout, so an index means the same value range in each, and adding
 * the counts is exact. The library's own encoding (deflate + base64) cost ~6 ms a histogram here,
 * too much four times a second; walking the buckets is a fraction of that.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from '../../common/load';

/** Microseconds from 1 µs to 1 hour, 3 significant figures: ±0.1 % on every percentile. */
const HIGHEST_US = 3_600_000_000;

function create(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/** What the library's JS histograms expose for walking their buckets. */
interface Buckets {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
}

export class LatencyHistogram {
  private readonly h = create();

  get count(): number {
    return this.h.totalCount;
  }

  recordMs(ms: number): void {
    this.h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
  }

  reset(): void {
    this.h.reset();
  }

  summary(withBuckets = false): LatencySummary {
    const h = this.h;
    const count = h.totalCount;
    if (count === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const s: LatencySummary = {
      count,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      maxMs: h.maxValue / 1000,
    };
    if (withBuckets) s.buckets = this.buckets();
    return s;
  }

  /** The non-empty buckets, [index, count, …], lowest first. */
  buckets(): number[] {
    const b = this.h as unknown as Buckets;
    const out: number[] = [];
    let left = this.h.totalCount;
    for (let i = 0; i < b.countsArrayLength && left > 0; i++) {
      const n = b.getCountAtIndex(i);
      if (n === 0) continue;
      out.push(i, n);
      left -= n;
    }
    return out;
  }

  /** Adds another process's buckets (from buckets()). */
  addBuckets(list: readonly number[]): void {
    const b = this.h as unknown as Buckets;
    for (let k = 0; k + 1 < list.length; k += 2) {
      const index = list[k]!;
      const n = list[k + 1]!;
      if (!Number.isInteger(index) || index < 0 || index >= b.countsArrayLength || !(n > 0)) continue;
      this.h.recordValueWithCount(b.valueFromIndex(index), n);
    }
  }
}

/**
 * Latency summaries of several processes as one: exact from their buckets when every non-empty
 * one carries them, else (an older report, a process that sent none) the upper bound of taking
 * the largest of each percentile. The result carries no buckets.
 */
export function mergeLatencies(parts: readonly LatencySummary[]): LatencySummary {
  const present = parts.filter((p) => p.count > 0);
  if (present.length === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
  if (present.length === 1) {
    const { count, p50Ms, p99Ms, maxMs } = present[0]!;
    return { count, p50Ms, p99Ms, maxMs };
  }
  if (present.every((p) => p.buckets !== undefined)) {
    const merged = new LatencyHistogram();
    for (const p of present) merged.addBuckets(p.buckets!);
    // A bucket holds a range; the largest value itself is known exactly from each part.
    return { ...merged.summary(), maxMs: Math.max(...present.map((p) => p.maxMs)) };
  }
  return {
    count: present.reduce((n, p) => n + p.count, 0),
    p50Ms: Math.max(...present.map((p) => p.p50Ms)),
    p99Ms: Math.max(...present.map((p) => p.p99Ms)),
    maxMs: Math.max(...present.map((p) => p.maxMs)),
  };
}
