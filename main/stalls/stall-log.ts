/**
 * The stalls one process has seen: numbered, the latest STALL_LIST_MAX kept for GET /stalls (each
 * with its CPU samples, for GET /stalls/ID/profile), totals since start for /stats, and the stalls
 * new since the previous snapshot for the dashboard. The threshold is kept here too, so the routes
 * need nothing else.
 */
import type { CpuProfile } from '../../common/cpuprofile';
import type { Stall, StallTotals, StallWindow } from '../../common/stalls';
import { SNAPSHOT_STALLS_MAX, STALL_LIST_MAX, STALL_THRESHOLD_MS } from '../../common/limits';
import { checkInt } from '../../common/range';

export function checkStallThreshold(value: unknown, name = 'thresholdMs'): number {
  return checkInt(name, value, STALL_THRESHOLD_MS);
}

export class StallLog {
  private readonly kept: Stall[] = [];
  /** By stall id, for the kept stalls only: a profile goes when its stall does. */
  private readonly profiles = new Map<number, CpuProfile>();
  private readonly listeners = new Set<(stall: Stall) => void>();
  private nextId = 1;
  private totals: StallTotals = { count: 0, totalMs: 0, maxMs: 0 };
  /** Highest id already handed to a snapshot. */
  private windowedId = 0;
  private threshold: number;
  private onThreshold: (ms: number) => void = () => undefined;

  constructor(thresholdMs = STALL_THRESHOLD_MS.default!) {
    this.threshold = checkStallThreshold(thresholdMs);
  }

  /** The watchdog follows the threshold from here (one watcher per log). */
  followThreshold(apply: (ms: number) => void): void {
    this.onThreshold = apply;
    apply(this.threshold);
  }

  get thresholdMs(): number {
    return this.threshold;
  }

  set thresholdMs(ms: number) {
    this.threshold = checkStallThreshold(ms);
    this.onThreshold(ms);
  }

  /** `profile`: the stall window's samples, as the watchdog cut them (stall-profile.ts). */
  add(raw: Omit<Stall, 'id'>, profile?: CpuProfile): Stall {
    const stall: Stall = { id: this.nextId++, ...raw };
    this.kept.push(stall);
    if (profile) this.profiles.set(stall.id, profile);
    if (this.kept.length > STALL_LIST_MAX) this.profiles.delete(this.kept.shift()!.id);
    this.totals = {
      count: this.totals.count + 1,
      totalMs: Math.round((this.totals.totalMs + stall.durationMs) * 10) / 10,
      maxMs: Math.max(this.totals.maxMs, stall.durationMs),
    };
    for (const listener of this.listeners) listener(stall);
    return stall;
  }

  /** Newest last, only ids above `afterId`, at most STALL_LIST_MAX. */
  since(afterId = 0): Stall[] {
    return this.kept.filter((s) => s.id > afterId);
  }

  /** The CPU samples of stall `id`; null when it is not kept (any more), or had none. */
  profile(id: number): CpuProfile | null {
    return this.profiles.get(id) ?? null;
  }

  summary(): StallTotals {
    return { ...this.totals };
  }

  /** For one snapshot: the totals and the stalls not yet sent in an earlier one (capped, newest kept). */
  window(): StallWindow {
    const fresh = this.since(this.windowedId).slice(-SNAPSHOT_STALLS_MAX);
    this.windowedId = this.nextId - 1;
    return { ...this.totals, thresholdMs: this.threshold, recent: fresh };
  }

  subscribe(listener: (stall: Stall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
