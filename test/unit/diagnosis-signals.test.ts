/**
 * docs/protocol.md §12's other signals (main/diagnosis/signals.ts, memory-trend.ts) and the
 * Diagnoser that joins them, as tables of windows: when each cause shows, with which figures, and
 * what it must not be mistaken for (a collection for code, a starved process for either).
 */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../common/diagnosis';
import type { Stall } from '../../common/stalls';
import { Diagnoser } from '../../main/diagnosis/diagnoser';
import { Episodes } from '../../main/diagnosis/episodes';
import { MemoryTrend } from '../../main/diagnosis/memory-trend';
import {
  appPoolSignal,
  cpuSignal,
  gcSignal,
  loopSignal,
  POOL_WAIT_MS,
  threadpoolSignal,
} from '../../main/diagnosis/signals';
import type { WaitWindow } from '../../main/diagnosis/wait-probes';

const T0 = 1_764_000_000_000;

function waits(
  over: Partial<{ [K in keyof WaitWindow]: Partial<WaitWindow[K]> }> = {},
  time = T0,
): WaitWindow {
  return {
    time,
    windowMs: 1000,
    gc: { count: 0, totalMs: 0, maxMs: 0, maxKind: null, pauses: [], ...over.gc },
    heap: { usedBytes: 50e6, floorBytes: 40e6, limitBytes: 4e9, ...over.heap },
    pool: { size: 4, waitMs: 0, pending: {}, ...over.pool },
    cpu: { percent: 20, runQueueMs: 5, onCpuMs: 200, loadAverage: 0.5, cores: 2, ...over.cpu },
  };
}

const stall = (startedAt: number, durationMs: number, functionName = 'rank'): Stall => ({
  id: 1,
  startedAt,
  durationMs,
  detectedAfterMs: 100,
  stackFrom: 'profile',
  process: 'server',
  frames: [{ functionName, url: 'file:///srv/app.js', lineNumber: 7, columnNumber: 1 }],
  hot: [],
});

describe('gc', () => {
  it('none for a few short collections; serious for one as long as a stall; else by its share', () => {
    expect(gcSignal(waits({ gc: { count: 5, totalMs: 30, maxMs: 9, maxKind: 'minor' } }), 100)).toBeNull();
    const long = gcSignal(
      waits({
        gc: { count: 2, totalMs: 340, maxMs: 330, maxKind: 'major' },
        heap: { usedBytes: 290e6, limitBytes: 320e6 },
      }),
      100,
    )!;
    expect(long).toMatchObject({
      cause: 'gc',
      serious: true,
      evidence: { gcMs: 340, gcCount: 2, kind: 'major', heapUsedBytes: 290e6, heapLimitBytes: 320e6 },
    });
    expect(long.summary).toMatch(
      /2 collections, 340 ms in all, the longest 330 ms \(major\); heap 290 MB of 320 MB/,
    );
    const many = gcSignal(waits({ gc: { count: 40, totalMs: 150, maxMs: 20, maxKind: 'minor' } }), 100)!;
    expect(many).toMatchObject({ serious: false, evidence: { kind: 'minor' } });
  });
});

describe('loop', () => {
  it('a stall that a collection covered for most of its length is not code holding the loop', () => {
    const s = stall(T0, 400);
    expect(loopSignal([s], [{ startedAt: T0 + 50, durationMs: 300, kind: 'major' }])).toBeNull();
    expect(loopSignal([s], [{ startedAt: T0 + 50, durationMs: 100, kind: 'major' }])).not.toBeNull();
    // Collections elsewhere in time do not count.
    expect(loopSignal([s], [{ startedAt: T0 + 1000, durationMs: 390, kind: 'major' }])).not.toBeNull();
  });

  it("while the thread waited for a CPU as long as it ran, only a stall in the project's code is the code's", () => {
    // The share of its runnable time the loop's thread ran: 0.3, starved.
    const internal = {
      ...stall(T0, 300),
      frames: [
        {
          functionName: 'writeOrBuffer',
          url: 'node:internal/streams/writable',
          lineNumber: 548,
          columnNumber: 1,
        },
      ],
    };
    expect(loopSignal([internal], [], 0.3)).toBeNull();
    expect(loopSignal([stall(T0, 300)], [], 0.3)).toMatchObject({ culprit: { functionName: 'rank' } });
    // Given a CPU, any code that held the loop is named, Node's own included.
    expect(loopSignal([internal], [], 0.8)).toMatchObject({ culprit: { functionName: 'writeOrBuffer' } });
    expect(loopSignal([internal], [], null)).not.toBeNull();
  });
});

describe('threadpool', () => {
  it(`libuv's: a probe waiting ${POOL_WAIT_MS} ms or more, named by the resource with most pending tasks`, () => {
    expect(threadpoolSignal(waits({ pool: { waitMs: POOL_WAIT_MS - 1 } }))).toBeNull();
    const s = threadpoolSignal(waits({ pool: { waitMs: 640, pending: { crypto: 23, fs: 2 } } }))!;
    expect(s).toMatchObject({
      cause: 'threadpool',
      serious: false,
      evidence: { poolSize: 4, queued: 21, waitMs: 640 },
      culprit: { resource: 'crypto', pending: 23 },
    });
    expect(s.summary).toBe(
      "libuv's threadpool is full (4 threads): a probe task waited 640 ms; 23 crypto tasks pending",
    );
    expect(threadpoolSignal(waits({ pool: { waitMs: 200 } }))!.culprit).toEqual({
      resource: 'unknown',
      pending: 0,
    });
  });

  it('no task seen filling the pool: a short wait, or one while other processes held the CPU, is not the pool', () => {
    // Tasks begun before the census are not seen: a long wait still names the pool, as unknown.
    expect(threadpoolSignal(waits({ pool: { waitMs: 120 } }))).toBeNull();
    expect(threadpoolSignal(waits({ pool: { waitMs: 120, pending: { fs: 6 } } }))).not.toBeNull();
    // An idle process on a busy machine: its probe waits for a CPU, not for a pool thread.
    expect(
      threadpoolSignal(waits({ pool: { waitMs: 400 }, cpu: { onCpuMs: 10, runQueueMs: 30 } })),
    ).toBeNull();
    expect(
      threadpoolSignal(waits({ pool: { waitMs: 400 }, cpu: { onCpuMs: 30, runQueueMs: 10 } })),
    ).not.toBeNull();
    // Starved by its own threads (the full pool's work fills both cores): still the pool.
    expect(
      threadpoolSignal(
        waits({ pool: { waitMs: 400 }, cpu: { onCpuMs: 10, runQueueMs: 30, percent: 190, cores: 2 } }),
      ),
    ).not.toBeNull();
  });

  it("the app's own bcrypt pool, said to be the app's and not libuv's", () => {
    expect(appPoolSignal({ size: 2, queued: 0, waitMs: 900 })).toBeNull();
    expect(appPoolSignal({ size: 2, queued: 6, waitMs: 10 })).toBeNull();
    const s = appPoolSignal({ size: 2, queued: 6, waitMs: 850 })!;
    expect(s).toMatchObject({ cause: 'threadpool', culprit: { resource: 'bcrypt pool', pending: 6 } });
    expect(s.summary).toContain("This is the app's pool, not libuv's");
  });
});

describe('cpu', () => {
  it("the loop's thread waiting for a CPU a quarter of the time, while others take the machine", () => {
    expect(cpuSignal(waits({ cpu: { runQueueMs: 200 } }))).toBeNull();
    expect(cpuSignal(waits({ cpu: { runQueueMs: null } }))).toBeNull();
    const s = cpuSignal(waits({ cpu: { runQueueMs: 700, percent: 9, loadAverage: 6.6, cores: 1 } }))!;
    expect(s).toMatchObject({ cause: 'cpu', evidence: { loadAverage: 6.6, cores: 1, cpuPercent: 9 } });
    expect(s.summary).toMatch(
      /got no CPU for 70% of the time it was ready to run: load average 6.6 on 1 core/,
    );
    // Its own threads filling both cores (a full threadpool) starve the loop too: not the machine's doing.
    expect(cpuSignal(waits({ cpu: { runQueueMs: 300, percent: 183, cores: 2 } }))).toBeNull();
  });
});

describe('memory', () => {
  const feed = (floors: number[]): ReturnType<MemoryTrend['add']>[] => {
    const trend = new MemoryTrend();
    return floors.map((f, i) => trend.add(T0 + i * 1000, f, f + 5e6, 4e9));
  };

  it('the floor rising 30 s in a row opens it, with the rate and the time left', () => {
    const out = feed(Array.from({ length: 40 }, (_, i) => 10e6 + i * 5e6));
    expect(out.slice(0, 30).every((s) => s === null)).toBe(true);
    const s = out.at(-1)!;
    expect(s).toMatchObject({ cause: 'memory', serious: true });
    expect(Number(s.evidence.bytesPerMin)).toBeCloseTo(300e6, -7);
    expect(Number(s.evidence.minutesToLimit)).toBeGreaterThan(10);
  });

  it('a sawtooth, a flat heap or a small rise is not growth', () => {
    expect(feed(Array.from({ length: 60 }, (_, i) => 10e6 + (i % 10) * 3e6)).every((s) => s === null)).toBe(
      true,
    );
    expect(feed(Array.from({ length: 60 }, () => 30e6)).every((s) => s === null)).toBe(true);
    expect(feed(Array.from({ length: 60 }, (_, i) => 30e6 + i * 10e3)).every((s) => s === null)).toBe(true);
  });
});

describe('Diagnoser', () => {
  const run = (windows: Parameters<Diagnoser['sample']>[0][]): Diagnosis[] => {
    const events: Diagnosis[] = [];
    const d = new Diagnoser((e) => events.push(e));
    for (const w of windows) d.sample(w);
    return events;
  };
  const base = { stalls: [], upstream: [], requestsP99Ms: 0, loopDelayP99Ms: 1, stallMs: 100 };

  it("a starved process: cpu, and neither its stretched collections nor a stall in Node's own code are blamed", () => {
    const starved = waits({
      cpu: { runQueueMs: 700, onCpuMs: 90, percent: 10, cores: 1 },
      gc: { count: 9, totalMs: 176, maxMs: 44, maxKind: 'minor' },
    });
    const resumed = {
      ...stall(T0 - 500, 258),
      frames: [
        {
          functionName: 'processTicksAndRejections',
          url: 'node:internal/process/task_queues',
          lineNumber: 95,
          columnNumber: 5,
        },
      ],
    };
    const events = run([{ ...base, waits: starved, stalls: [resumed], loopDelayP99Ms: 400 }]);
    expect(events.map((e) => e.cause)).toEqual(['cpu']);
  });

  it('code that held the loop on a loaded machine is still named: its thread ran a fair share', () => {
    const loaded = waits({ cpu: { runQueueMs: 350, onCpuMs: 300, percent: 60, cores: 2 } });
    const events = run([
      { ...base, waits: loaded, stalls: [stall(T0 - 500, 213, 'hash')], loopDelayP99Ms: 220 },
    ]);
    expect(events.map((e) => e.cause).sort()).toEqual(['cpu', 'loop']);
  });

  it('clients kept waiting by a late loop count as affected: a request waits unread in its socket', () => {
    const pool = waits({ pool: { waitMs: 300, pending: { fs: 9 } } });
    expect(run([{ ...base, waits: pool }])).toEqual([]);
    expect(run([{ ...base, waits: pool, loopDelayP99Ms: 250 }]).map((e) => e.cause)).toEqual(['threadpool']);
    expect(run([{ ...base, waits: pool, requestsP99Ms: 250 }]).map((e) => e.cause)).toEqual(['threadpool']);
  });

  it('one threadpool episode, from whichever pool kept its tasks waiting longest', () => {
    const events = run([
      {
        ...base,
        requestsP99Ms: 900,
        waits: waits({ pool: { waitMs: 60 } }),
        appPool: { size: 2, queued: 8, waitMs: 800 },
      },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]!.culprit.resource).toBe('bcrypt pool');
  });
});

describe('Episodes.closeAll', () => {
  it('closes every open episode at the given time, each listed again with its id', () => {
    const events: Diagnosis[] = [];
    const e = new Episodes((d) => events.push(d));
    const sig = { serious: true, waitMs: 1, summary: 's', evidence: {}, culprit: {} };
    e.sample(
      T0,
      [
        { cause: 'loop', ...sig },
        { cause: 'memory', ...sig },
      ],
      false,
    );
    e.closeAll(T0 + 5000);
    expect(events.map((d) => [d.id, d.endedAt])).toEqual([
      [1, null],
      [2, null],
      [1, T0 + 5000],
      [2, T0 + 5000],
    ]);
    expect(e.openNow()).toEqual([]);
  });
});
