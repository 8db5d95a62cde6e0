/**
 * One process's §12 diagnosis (docs/protocol.md): each window's figures through the signals
 * (signals.ts, memory-trend.ts) into the episodes (episodes.ts). The demo server feeds it from its
 * snapshots, attach from the watched process's samples: the same verdicts for both.
 */
import type { Diagnosis } from '../../common/diagnosis';
import type { Stall } from '../../common/stalls';
import { Episodes, SLOW_REQUEST_MS, type Signal } from './episodes';
import { MemoryTrend } from './memory-trend';
import {
  appPoolSignal,
  cpuSignal,
  gcSignal,
  loopSignal,
  runShare,
  threadpoolSignal,
  upstreamSignal,
  type AppPool,
} from './signals';
import type { OriginWindow } from './upstream';
import type { GcPause, WaitWindow } from './wait-probes';

export interface DiagnosisWindow {
  /** The stalls listed in the window. */
  stalls: readonly Stall[];
  waits: WaitWindow;
  upstream: readonly OriginWindow[];
  /** The p99 of the requests the process served in the window (§8). */
  requestsP99Ms: number;
  /**
   * The loop's delay p99 in the window: a request that arrives while the loop is held waits unread
   * in the socket, unseen by the §8 timing, so a late loop keeps clients waiting too.
   */
  loopDelayP99Ms: number;
  /** The stall threshold in force (§9). */
  stallMs: number;
  appPool?: AppPool;
}

export class Diagnoser {
  readonly episodes: Episodes;
  private readonly memory = new MemoryTrend();
  /** A stall is listed up to a window after it ended: the collections it may overlap span two. */
  private previousPauses: GcPause[] = [];
  /** Whether the previous window's process was starved of CPU (its stalls may be listed in this one). */
  private wasStarved = false;

  constructor(onEvent?: (d: Diagnosis) => void) {
    this.episodes = new Episodes(onEvent);
  }

  sample(w: DiagnosisWindow): void {
    const { waits } = w;
    const pools = [threadpoolSignal(waits), appPoolSignal(w.appPool)].filter((s) => s !== null);
    const cpu = cpuSignal(waits);
    // A starved process's collections last longer without its heap being at fault: while it is
    // starved (this window or the one before, whose stalls may be listed in this one) they are
    // `cpu`'s. Its stalls are judged by how much of its runnable time the loop's thread ran.
    const starved = cpu !== null || this.wasStarved;
    this.wasStarved = cpu !== null;
    const signals: (Signal | null)[] = [
      loopSignal(w.stalls, [...this.previousPauses, ...waits.gc.pauses], runShare(waits)),
      starved ? null : gcSignal(waits, w.stallMs),
      // One threadpool episode: the pool that kept its tasks waiting longest.
      pools.sort((a, b) => b.waitMs - a.waitMs)[0] ?? null,
      upstreamSignal(w.upstream),
      cpu,
      this.memory.add(waits.time, waits.heap.floorBytes, waits.heap.usedBytes, waits.heap.limitBytes),
    ];
    this.previousPauses = waits.gc.pauses;
    this.episodes.sample(
      waits.time,
      signals.filter((s) => s !== null),
      w.requestsP99Ms >= SLOW_REQUEST_MS || w.loopDelayP99Ms >= SLOW_REQUEST_MS,
    );
  }
}
