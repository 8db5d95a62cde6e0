/**
 * docs/protocol.md §12's raw signals from inside a process, besides the stalls and the upstreams:
 * - `gc`: every collection from a `PerformanceObserver` of `gc` entries (kind, pause, start);
 * - `heap`: the lowest heap seen in the window (read as collections are reported, so close to the
 *   heap after collection) and V8's heap limit — main/diagnosis/memory-trend.ts follows its growth;
 * - `pool`: libuv's threadpool, by timing a tiny probe task on it (an `fs.stat` every PROBE_MS).
 *   While probes wait, an `async_hooks` hook counts the pool's requests by resource (crypto, fs,
 *   zlib, dns) to say who fills it; it is switched off as soon as a probe runs at once again;
 * - `cpu`: the process's CPU share, and how long the loop's thread sat ready in the kernel's run
 *   queue without a CPU (/proc/self/schedstat, Linux; null elsewhere), beside the load average.
 *
 * One self-contained function, as main/requests/recorder.ts is: the demo server calls it with
 * Node's modules, and attach installs its source text in a watched process. `remove()` undoes
 * everything it set up (observer, hook, probe timer).
 */
import * as asyncHooks from 'node:async_hooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as perfHooks from 'node:perf_hooks';
import * as v8 from 'node:v8';

export type GcKind = 'major' | 'minor' | 'incremental' | 'weakcb';

/** A collection long enough to be listed one by one (the rest are only counted). */
export interface GcPause {
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  kind: GcKind;
}

export interface WaitWindow {
  /** Epoch ms at the take, and the window's length. */
  time: number;
  windowMs: number;
  gc: { count: number; totalMs: number; maxMs: number; maxKind: GcKind | null; pauses: GcPause[] };
  heap: { usedBytes: number; floorBytes: number; limitBytes: number };
  /** `waitMs`: the longest a probe task waited for a thread (one still waiting counts its age). */
  pool: { size: number; waitMs: number; pending: Record<string, number> };
  /**
   * `runQueueMs`: how long the loop's thread sat ready without a CPU; `onCpuMs`: how long it ran
   * (both null where /proc/self/schedstat is not there).
   */
  cpu: {
    percent: number;
    runQueueMs: number | null;
    onCpuMs: number | null;
    loadAverage: number;
    cores: number;
  };
}

export interface WaitProbes {
  take(): WaitWindow;
  remove(): void;
}

interface Elu {
  idle: number;
  active: number;
  utilization: number;
}
interface GcEntry {
  startTime: number;
  duration: number;
  detail?: { kind?: number };
}
interface PerfModule {
  performance: {
    now(): number;
    timeOrigin: number;
    eventLoopUtilization(since?: Elu): Elu;
  };
  PerformanceObserver: new (fn: (list: { getEntries(): GcEntry[] }) => void) => {
    observe(o: { entryTypes: string[] }): void;
    disconnect(): void;
  };
  constants: {
    NODE_PERFORMANCE_GC_MAJOR: number;
    NODE_PERFORMANCE_GC_MINOR: number;
    NODE_PERFORMANCE_GC_INCREMENTAL: number;
    NODE_PERFORMANCE_GC_WEAKCB: number;
  };
}
interface HookModule {
  createHook(h: {
    init(id: number, type: string): void;
    before(id: number): void;
    destroy(id: number): void;
  }): { enable(): void; disable(): void };
}
interface FsModule {
  stat(path: string, cb: () => void): void;
  readFileSync(path: string, enc: 'utf8'): string;
}
interface OsModule {
  loadavg(): number[];
  availableParallelism?: () => number;
  cpus(): unknown[];
}
interface V8Module {
  getHeapStatistics(): { used_heap_size: number; heap_size_limit: number };
}

/** `load` resolves a builtin module. Imports nothing: its source is what attach installs. */
export function waitProbes(load: (id: string) => unknown): WaitProbes {
  const PROBE_MS = 200;
  /** A probe that waits this long means every thread was busy. */
  const POOL_FULL_MS = 20;
  const MAX_PAUSES = 50;
  const MAX_TRACKED = 10000;
  /** Collections at least this long are listed one by one; at most MAX_PAUSES a window. */
  const LISTED_MS = 10;
  const { performance, PerformanceObserver, constants } = load('node:perf_hooks') as PerfModule;
  const hooks = load('node:async_hooks') as HookModule;
  const fs = load('node:fs') as FsModule;
  const os = load('node:os') as OsModule;
  const v8 = load('node:v8') as V8Module;
  const kinds: Record<number, GcKind> = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const poolResource = (type: string): string | null => {
    if (type === 'FSREQCALLBACK' || type === 'FSREQPROMISE') return 'fs';
    if (type === 'ZLIB') return 'zlib';
    if (type === 'GETADDRINFOREQWRAP' || type === 'GETNAMEINFOREQWRAP') return 'dns';
    // PBKDF2REQUEST, SCRYPTREQUEST, RANDOMBYTESREQUEST, KEYGENREQUEST, … (HTTPCLIENTREQUEST is no pool task).
    if (/REQUEST$/.test(type) && !type.startsWith('HTTP')) return 'crypto';
    return null;
  };
  const heapNow = (): number => v8.getHeapStatistics().used_heap_size;

  let gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: null as GcKind | null, pauses: [] as GcPause[] };
  let floor = heapNow();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[e.detail?.kind ?? -1] ?? 'major';
      gc.count++;
      gc.totalMs += e.duration;
      if (e.duration > gc.maxMs) {
        gc.maxMs = e.duration;
        gc.maxKind = kind;
      }
      if (e.duration >= LISTED_MS && gc.pauses.length < MAX_PAUSES)
        gc.pauses.push({ startedAt: performance.timeOrigin + e.startTime, durationMs: e.duration, kind });
    }
    floor = Math.min(floor, heapNow());
  });
  observer.observe({ entryTypes: ['gc'] });

  // Who fills the pool: only while probes wait (a hook costs every async resource its calls).
  const pending = new Map<number, string>();
  let probing = false;
  let hookOn = false;
  const hook = hooks.createHook({
    init(id, type) {
      if (probing || pending.size >= MAX_TRACKED) return;
      const resource = poolResource(type);
      if (resource) pending.set(id, resource);
    },
    before(id) {
      pending.delete(id);
    },
    destroy(id) {
      pending.delete(id);
    },
  });
  const watchPool = (on: boolean): void => {
    if (on === hookOn) return;
    hookOn = on;
    if (on) hook.enable();
    else {
      hook.disable();
      pending.clear();
    }
  };
  // A probe's callback also waits for the loop: only the time the loop sat idle meanwhile can be
  // the pool's (a stall delays the callback as much as a full pool does).
  let probeSince: { at: number; elu: Elu } | null = null;
  let poolWaitMs = 0;
  const poolWait = (since: { at: number; elu: Elu }): number =>
    Math.min(performance.now() - since.at, performance.eventLoopUtilization(since.elu).idle);
  const probe = (): void => {
    if (probeSince !== null) {
      if (poolWait(probeSince) >= POOL_FULL_MS) watchPool(true);
      return;
    }
    const since = { at: performance.now(), elu: performance.eventLoopUtilization() };
    probeSince = since;
    probing = true;
    try {
      fs.stat('/', () => {
        const waited = poolWait(since);
        probeSince = null;
        poolWaitMs = Math.max(poolWaitMs, waited);
        watchPool(waited >= POOL_FULL_MS);
      });
    } finally {
      probing = false;
    }
  };
  const probeTimer = setInterval(probe, PROBE_MS) as unknown as { unref(): void };
  probeTimer.unref();
  const poolSize = Math.min(1024, Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4));

  /** The loop thread's [on-CPU, run-queue] ns (the process's main thread is the loop's). */
  const schedNs = (): [number, number] | null => {
    try {
      const [run, wait] = fs.readFileSync('/proc/self/schedstat', 'utf8').split(' ').map(Number);
      return Number.isFinite(run) && Number.isFinite(wait) ? [run!, wait!] : null;
    } catch {
      return null;
    }
  };
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  let lastAt = performance.now();
  let lastCpu = process.cpuUsage();
  let lastSched = schedNs();

  return {
    take(): WaitWindow {
      const now = performance.now();
      const windowMs = Math.max(1, now - lastAt);
      const cpu = process.cpuUsage(lastCpu);
      const sched = schedNs();
      const schedMs = (i: 0 | 1): number | null =>
        sched === null || lastSched === null ? null : Math.round((sched[i] - lastSched[i]) / 1e5) / 10;
      const heap = v8.getHeapStatistics();
      const out: WaitWindow = {
        time: Date.now(),
        windowMs: Math.round(windowMs),
        gc: { ...gc, totalMs: Math.round(gc.totalMs * 10) / 10, maxMs: Math.round(gc.maxMs * 10) / 10 },
        heap: {
          usedBytes: heap.used_heap_size,
          floorBytes: Math.min(floor, heap.used_heap_size),
          limitBytes: heap.heap_size_limit,
        },
        pool: {
          size: poolSize,
          waitMs: Math.round(Math.max(poolWaitMs, probeSince === null ? 0 : poolWait(probeSince))),
          pending: {},
        },
        cpu: {
          percent: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 1000) / 10,
          runQueueMs: schedMs(1),
          onCpuMs: schedMs(0),
          loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
          cores,
        },
      };
      for (const resource of pending.values())
        out.pool.pending[resource] = (out.pool.pending[resource] ?? 0) + 1;
      lastAt = now;
      lastCpu = process.cpuUsage();
      lastSched = sched;
      gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: null, pauses: [] };
      floor = heap.used_heap_size;
      poolWaitMs = 0;
      return out;
    },
    remove(): void {
      clearInterval(probeTimer as unknown as Parameters<typeof clearInterval>[0]);
      observer.disconnect();
      watchPool(false);
    },
  };
}

/** The probes' source as attach evaluates it (see REQUEST_RECORDER_SOURCE for `__name`). */
export const WAIT_PROBES_SOURCE = `((__name) => (${waitProbes.toString()}))((f) => f)`;

/** The probes for this process, with its modules imported as usual. */
export function probeWaits(): WaitProbes {
  const modules: Record<string, unknown> = {
    'node:async_hooks': asyncHooks,
    'node:fs': fs,
    'node:os': os,
    'node:perf_hooks': perfHooks,
    'node:v8': v8,
  };
  return waitProbes((id) => modules[id]);
}
