/**
 * docs/protocol.md §12's signals, one function per cause, from one window's figures. Pure: the
 * figures come in, the signals go out, and test/unit/diagnosis-signals.test.ts feeds them tables
 * of cases. Each returns null when its cause did not show in the window.
 */
import { culpritFrame, frameText, isProjectFrame, type Stall } from '../../common/stalls';
import { GARBAGE_COLLECTOR } from '../stalls/profile';
import { SLOW_REQUEST_MS, type Signal } from './episodes';
import type { OriginWindow } from './upstream';
import type { GcPause, WaitWindow } from './wait-probes';

const ms = (n: number): string => `${Math.round(n)} ms`;
const mb = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A probe task that waited this long for a thread: the pool is full. */
export const POOL_WAIT_MS = 50;
/** Collections taking this share of a window hold the loop even when each pause is short. */
const GC_SHARE = 0.1;
/** The loop's thread sat ready without a CPU for this share of the window: the process is starved. */
const STARVED_SHARE = 0.25;
const OWN_SHARE = 0.75;
/** A probe that waited this long with no pool task seen: the pool was full of tasks begun before the census. */
const UNSEEN_POOL_WAIT_MS = 200;
/** At or above this share of its runnable time on a CPU, the process was not kept waiting by others. */
const UNSTARVED_SHARE = 0.5;

/** The share of its runnable time the loop's thread ran in a window, from its schedstat. */
export function runShare(w: WaitWindow): number | null {
  const { onCpuMs, runQueueMs } = w.cpu;
  if (onCpuMs === null || runQueueMs === null || onCpuMs + runQueueMs === 0) return null;
  return onCpuMs / (onCpuMs + runQueueMs);
}

/** How much of a stall a collection covered. */
function collectedMs(stall: Stall, pauses: readonly GcPause[]): number {
  const end = stall.startedAt + stall.durationMs;
  let covered = 0;
  for (const p of pauses)
    covered += Math.max(
      0,
      Math.min(end, p.startedAt + p.durationMs) - Math.max(stall.startedAt, p.startedAt),
    );
  return covered;
}

/**
 * A stall that code held: the process's code was seen running, and no collection covered most of it. A stall with no frame, or held by
 * the collector, says nothing of code: §12 has `cpu` and `gc` for those.
 */
function culpritIsProject(stall: Stall): boolean {
  const frame = culpritFrame(stall);
  return frame !== null && isProjectFrame(frame);
}

function heldByCode(stall: Stall, pauses: readonly GcPause[]): boolean {
  const frame = culpritFrame(stall);
  if (frame === null || frame.functionName === GARBAGE_COLLECTOR) return false;
  return collectedMs(stall, pauses) < stall.durationMs / 2;
}

export function loopSignal(
  stalls: readonly Stall[],
  pauses: readonly GcPause[] = [],
  /** The share of its runnable time the loop's thread actually ran in the window (null: unknown). */
  runShare: number | null = null,
): Signal | null {
  // While the thread waited for a CPU as long as it ran, a stall named by Node's own or a
  // library's code is most likely the loop resuming when it got one again (`cpu`, the machine's
  // doing); one in code a person edits still held the loop, stretched by the wait.
  const starved = runShare !== null && runShare < UNSTARVED_SHARE;
  const recent = stalls.filter((s) => heldByCode(s, pauses) && (!starved || culpritIsProject(s)));
  if (recent.length === 0) return null;
  const stallMs = recent.reduce((t, s) => t + s.durationMs, 0);
  const longest = recent.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
  const frame = culpritFrame(longest);
  return {
    cause: 'loop',
    serious: true,
    waitMs: stallMs,
    summary:
      `Code held the loop: ${plural(recent.length, 'stall')}, ${ms(stallMs)} in all, ` +
      `the longest ${ms(longest.durationMs)} in ${frameText(frame)}`,
    evidence: { stallMs: Math.round(stallMs * 10) / 10, stalls: recent.length },
    culprit: frame ? { functionName: frame.functionName, url: frame.url, lineNumber: frame.lineNumber } : {},
  };
}

/** Serious when one collection lasted a stall; otherwise when collections took GC_SHARE of the window. */
export function gcSignal(w: WaitWindow, stallMs: number): Signal | null {
  const { gc, heap } = w;
  const serious = gc.maxMs >= stallMs;
  if (!serious && gc.totalMs < GC_SHARE * w.windowMs) return null;
  const kind = gc.maxKind ?? 'major';
  return {
    cause: 'gc',
    serious,
    waitMs: gc.totalMs,
    summary:
      `Garbage collection held the loop: ${plural(gc.count, 'collection')}, ${ms(gc.totalMs)} in all, ` +
      `the longest ${ms(gc.maxMs)} (${kind}); heap ${mb(heap.usedBytes)} of ${mb(heap.limitBytes)}`,
    evidence: {
      gcMs: Math.round(gc.totalMs * 10) / 10,
      gcCount: gc.count,
      kind: kind === 'weakcb' ? 'major' : kind,
      heapUsedBytes: heap.usedBytes,
      heapLimitBytes: heap.limitBytes,
    },
    culprit: {},
  };
}

/** libuv's threadpool: a probe task waited POOL_WAIT_MS or more for a thread. */
export function threadpoolSignal(w: WaitWindow): Signal | null {
  const { pool } = w;
  if (pool.waitMs < POOL_WAIT_MS) return null;
  const [resource, pending] = Object.entries(pool.pending).sort((a, b) => b[1] - a[1])[0] ?? ['unknown', 0];
  // No task seen filling the pool: a probe also waits when the machine gives the pool's threads no
  // CPU. Only a long wait, in a window the process was not kept off the CPU by others, is then the
  // pool's. A process whose own threads fill the cores (a full pool's work) starves itself.
  if (resource === 'unknown') {
    const share = runShare(w);
    const byOthers =
      share !== null && share < UNSTARVED_SHARE && w.cpu.percent < OWN_SHARE * 100 * w.cpu.cores;
    if (pool.waitMs < UNSEEN_POOL_WAIT_MS || byOthers) return null;
  }
  const queued = Math.max(0, Object.values(pool.pending).reduce((t, n) => t + n, 0) - pool.size);
  const who = resource === 'unknown' ? '' : `; ${pending} ${resource} tasks pending`;
  return {
    cause: 'threadpool',
    serious: false,
    waitMs: pool.waitMs,
    summary: `libuv's threadpool is full (${plural(pool.size, 'thread')}): a probe task waited ${ms(pool.waitMs)}${who}`,
    evidence: { poolSize: pool.size, queued, waitMs: pool.waitMs },
    culprit: { resource, pending },
  };
}

/** The demo server's own bcrypt worker pool (not libuv's): hashes queued for a worker. */
export interface AppPool {
  size: number;
  queued: number;
  /** The longest a hash waited in the window for a worker. */
  waitMs: number;
}

export function appPoolSignal(pool: AppPool | undefined): Signal | null {
  if (!pool || pool.queued === 0 || pool.waitMs < POOL_WAIT_MS) return null;
  return {
    cause: 'threadpool',
    serious: false,
    waitMs: pool.waitMs,
    summary:
      `The app's own bcrypt pool is full (${plural(pool.size, 'worker')}, ${pool.queued} queued): ` +
      `hashes waited up to ${ms(pool.waitMs)} for a worker. This is the app's pool, not libuv's`,
    evidence: { poolSize: pool.size, queued: pool.queued, waitMs: pool.waitMs },
    culprit: { resource: 'bcrypt pool', pending: pool.queued },
  };
}

export function upstreamSignal(origins: readonly OriginWindow[]): Signal | null {
  const slowest = origins.find((o) => o.p99Ms >= SLOW_REQUEST_MS);
  if (!slowest) return null;
  return {
    cause: 'upstream',
    serious: false,
    waitMs: slowest.p99Ms * Math.max(1, slowest.count),
    summary: `Requests wait on ${slowest.origin}: p99 ${ms(slowest.p99Ms)}, ${slowest.inFlight} in flight`,
    evidence: { p99Ms: slowest.p99Ms, inFlight: slowest.inFlight, count: slowest.count },
    culprit: { origin: slowest.origin },
  };
}

/**
 * The loop's thread was ready to run but the kernel gave it no CPU for STARVED_SHARE of the window,
 * while the process itself used less than OWN_SHARE of the machine: other processes took the CPU.
 * (A process whose own threads fill every core starves its loop too; that is its threadpool's or
 * its workers' doing, not the machine's.)
 */
export function cpuSignal(w: WaitWindow): Signal | null {
  const { cpu } = w;
  if (cpu.runQueueMs === null || cpu.runQueueMs < STARVED_SHARE * w.windowMs) return null;
  if (cpu.percent >= OWN_SHARE * 100 * cpu.cores) return null;
  const share = Math.round((100 * cpu.runQueueMs) / w.windowMs);
  return {
    cause: 'cpu',
    serious: false,
    waitMs: cpu.runQueueMs,
    summary:
      `The process got no CPU for ${share}% of the time it was ready to run: ` +
      `load average ${cpu.loadAverage.toFixed(1)} on ${plural(cpu.cores, 'core')}, the process used ${Math.round(cpu.percent)}% of a core`,
    evidence: {
      loadAverage: cpu.loadAverage,
      cores: cpu.cores,
      cpuPercent: cpu.percent,
      runQueueMs: cpu.runQueueMs,
    },
    culprit: {},
  };
}
