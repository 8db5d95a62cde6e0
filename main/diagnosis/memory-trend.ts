/**
 * docs/protocol.md §12 `memory`: the heap after collection keeps growing. Each window brings the
 * lowest heap seen in it (close to the heap after collection, wait-probes.ts); the lowest per
 * BUCKET_MS is the trend's point, so the sawtooth of allocation and collection does not count as
 * growth. A leak is every point above the one before for RISES points in a row (30 s) and at
 * least MIN_GROWTH_BYTES in all: a steady heap's floor goes down as often as up.
 */
import type { Signal } from './episodes';

const BUCKET_MS = 5000;
const RISES = 6;
const MIN_GROWTH_BYTES = 2 * 1024 * 1024;

interface Point {
  at: number;
  floor: number;
}

export class MemoryTrend {
  private readonly points: Point[] = [];
  private bucket: Point | null = null;

  /** One window: when it ended (epoch ms) and the heap's floor, use and limit in it. */
  add(time: number, floorBytes: number, usedBytes: number, limitBytes: number): Signal | null {
    if (this.bucket && time - this.bucket.at >= BUCKET_MS) {
      this.points.push(this.bucket);
      if (this.points.length > RISES + 1) this.points.shift();
      this.bucket = null;
    }
    if (!this.bucket) this.bucket = { at: time, floor: floorBytes };
    else this.bucket.floor = Math.min(this.bucket.floor, floorBytes);
    return this.signal(usedBytes, limitBytes);
  }

  private signal(usedBytes: number, limitBytes: number): Signal | null {
    const floors = this.points.map((q) => q.floor);
    const first = this.points[0];
    const last = this.points[this.points.length - 1];
    if (this.points.length < RISES + 1 || !first || !last) return null;
    if (floors.some((f, i) => i > 0 && f <= (floors[i - 1] ?? f))) return null;
    const grown = last.floor - first.floor;
    if (grown < MIN_GROWTH_BYTES) return null;
    const minutes = (last.at - first.at) / 60_000;
    const bytesPerMin = Math.round(grown / minutes);
    const minutesToLimit = Math.round(((limitBytes - usedBytes) / bytesPerMin) * 10) / 10;
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    return {
      cause: 'memory',
      serious: true,
      waitMs: 0,
      summary:
        `The heap after collection keeps growing: ${mb(bytesPerMin)}/min for ${Math.round(minutes * 60)} s, ` +
        `${mb(usedBytes)} of ${mb(limitBytes)}, the limit in about ${Math.max(0, Math.round(minutesToLimit))} min`,
      evidence: { bytesPerMin, heapUsedBytes: usedBytes, heapLimitBytes: limitBytes, minutesToLimit },
      culprit: {},
    };
  }
}
