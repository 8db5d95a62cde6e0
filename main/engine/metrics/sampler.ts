/**
 * Turns the engine's counters and Node's own instruments into one fixed-size EngineSnapshot per
 * interval. Each window: event-loop delay percentiles (see loop-delay.ts), event-loop utilization and CPU as deltas, and per-second rates from counter
 * deltas. Nothing here looks at individual connections, so its cost does not grow with them.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { EngineSnapshot, SocketStats } from '../../../common/snapshot';
import type { Feed } from '../feed';
import type { QueueState } from '../state/types';
import type { EngineCounters } from './counters';
import { LoopDelayRecorder } from './loop-delay';
import { SAMPLE_INTERVAL_MS } from '../../../common/limits';
import { checkInt } from '../../../common/range';
import { NO_REQUESTS, type RequestRecorder } from '../../requests/recorder';

/** Fine enough to see a 2 ms stall, coarse enough to cost nothing measurable. */
export const DEFAULT_LOOP_RESOLUTION_MS = 2;

export interface SamplerSources {
  counters: EngineCounters;
  queue: Pick<QueueState, 'latest'>;
  feed: Feed;
  /** The demo server's requests, timed from inside (docs/protocol.md §8); none when absent. */
  requests?: Pick<RequestRecorder, 'take'>;
}

export interface SamplerOptions {
  intervalMs?: number;
  /** false: no interval and no delay histogram; snapshots are computed only when asked for. */
  enabled?: boolean;
  loopResolutionMs?: number;
}

interface Totals {
  http: number;
  wsIn: number;
  wsOut: number;
  published: number;
  jobsDone: number;
  opened: number;
  closed: number;
  loopRuns: number;
  loopMs: number;
  poolRuns: number;
}

const round = (n: number, places = 3): number => {
  const f = 10 ** places;
  return Math.round(n * f) / f;
};

function checkSampleInterval(ms: number | undefined): number {
  return checkInt('sample interval (ms)', ms ?? SAMPLE_INTERVAL_MS.default, SAMPLE_INTERVAL_MS);
}

export class Sampler {
  private readonly sources: SamplerSources;
  private readonly enabled: boolean;
  private readonly startedAt = performance.now();
  private readonly delay: LoopDelayRecorder | null;
  private readonly listeners = new Set<(s: EngineSnapshot) => void>();
  private timer: NodeJS.Timeout | null = null;
  private interval: number;
  private windowStart = performance.now();
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private cpu: NodeJS.CpuUsage = process.cpuUsage();
  private totals: Totals;
  private last: EngineSnapshot;
  private memory: EngineSnapshot['memory'] = { rssBytes: 0, heapUsedBytes: 0 };

  constructor(sources: SamplerSources, options: SamplerOptions = {}) {
    this.sources = sources;
    this.enabled = options.enabled ?? true;
    this.interval = checkSampleInterval(options.intervalMs);
    this.totals = this.readTotals();
    this.delay = this.enabled
      ? new LoopDelayRecorder(options.loopResolutionMs ?? DEFAULT_LOOP_RESOLUTION_MS)
      : null;
    this.last = this.sample();
    if (this.enabled) this.arm();
  }

  get intervalMs(): number {
    return this.interval;
  }

  setIntervalMs(ms: number): void {
    this.interval = checkSampleInterval(ms);
    if (this.timer) this.arm();
  }

  /** The last completed window; with sampling off, a window closed now. */
  latest(): EngineSnapshot {
    if (!this.enabled) this.last = this.sample();
    return this.last;
  }

  /** The last window's figures with the gauges (connections, queue, feed, memory) read live. */
  current(): EngineSnapshot {
    const snap = this.latest();
    return {
      ...snap,
      time: Date.now(),
      uptimeS: round((performance.now() - this.startedAt) / 1000),
      connections: { ...this.sources.counters.connections },
      sockets: this.sockets(),
      queue: this.sources.queue.latest(),
      feed: { lastSeq: this.sources.feed.lastSeq, oldestSeq: this.sources.feed.oldestSeq },
      memory: this.readMemory(),
    };
  }

  /**
   * RSS comes from /proc/self/stat, which takes a file descriptor: out of descriptors,
   * process.memoryUsage() (and its .rss()) throw EMFILE, and a throw here would end the process
   * from inside a timer. Then the last RSS stands and the heap is read from V8, which needs none.
   */
  private readMemory(): EngineSnapshot['memory'] {
    try {
      const m = process.memoryUsage();
      this.memory = { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
    } catch {
      this.memory = { rssBytes: this.memory.rssBytes, heapUsedBytes: getHeapStatistics().used_heap_size };
    }
    return this.memory;
  }

  /** Counted per accept and close, so idle and half-sent sockets show too (no per-socket walk). */
  private sockets(): SocketStats {
    const c = this.sources.counters;
    const open = c.connectionsOpened - c.connectionsClosed;
    const busy = Object.values(c.connections).reduce((a, b) => a + b, 0) + c.wsEcho;
    return { open, idle: Math.max(0, open - busy), max: c.maxSockets, refusedAccepts: c.refusedAccepts };
  }

  /** From now on each window carries the requests this recorder timed (docs/protocol.md §8). */
  timeRequests(recorder: Pick<RequestRecorder, 'take'>): void {
    this.sources.requests = recorder;
  }

  subscribe(listener: (s: EngineSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.delay?.stop();
    this.listeners.clear();
  }

  private arm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.interval);
    // The sampler watches the server; it must not be what keeps the process alive.
    this.timer.unref();
  }

  private tick(): void {
    this.last = this.sample();
    for (const listener of this.listeners) listener(this.last);
  }

  private readTotals(): Totals {
    const c = this.sources.counters;
    return {
      http: c.httpRequests,
      wsIn: c.wsIn,
      wsOut: c.wsOut,
      published: c.published,
      jobsDone: this.sources.queue.latest().done,
      opened: c.connectionsOpened,
      closed: c.connectionsClosed,
      loopRuns: c.bcrypt.loopRuns,
      loopMs: c.bcrypt.loopMs,
      poolRuns: c.bcrypt.poolRuns,
    };
  }

  /** Closes the current window and opens the next. */
  private sample(): EngineSnapshot {
    const now = performance.now();
    const elapsedMs = Math.max(1, now - this.windowStart);
    const perS = 1000 / elapsedMs;
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage(this.cpu);
    this.cpu = process.cpuUsage();
    const totals = this.readTotals();
    const prev = this.totals;
    const rate = (key: keyof Totals): number => round((totals[key] - prev[key]) * perS, 2);

    const delay = this.delay?.take() ?? { p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const eventLoop = {
      p50Ms: round(delay.p50Ms),
      p99Ms: round(delay.p99Ms),
      maxMs: round(delay.maxMs),
      utilization: round(elu.utilization, 4),
    };

    const counters = this.sources.counters;
    const snapshot: EngineSnapshot = {
      time: Date.now(),
      uptimeS: round((now - this.startedAt) / 1000),
      intervalMs: Math.round(elapsedMs),
      connections: { ...counters.connections },
      sockets: this.sockets(),
      eventLoop,
      queue: this.sources.queue.latest(),
      feed: { lastSeq: this.sources.feed.lastSeq, oldestSeq: this.sources.feed.oldestSeq },
      rates: {
        httpPerS: rate('http'),
        wsInPerS: rate('wsIn'),
        wsOutPerS: rate('wsOut'),
        publishedPerS: rate('published'),
        jobsDonePerS: rate('jobsDone'),
        connectionsOpenedPerS: rate('opened'),
        connectionsClosedPerS: rate('closed'),
      },
      bcrypt: {
        loopRuns: totals.loopRuns - prev.loopRuns,
        loopMs: round(totals.loopMs - prev.loopMs, 1),
        poolRuns: totals.poolRuns - prev.poolRuns,
      },
      requests: this.sources.requests?.take() ?? NO_REQUESTS,
      memory: this.readMemory(),
      cpu: { percent: round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100, 1) },
    };
    this.totals = totals;
    this.windowStart = now;
    return snapshot;
  }
}
