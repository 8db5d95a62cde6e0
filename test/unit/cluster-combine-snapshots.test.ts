/**
 * combineSnapshots, the dashboard's view of several server processes, checked field by field
 * against sums and maxima computed here from a real engine's snapshot made into three processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSnapshot } from '../../common/snapshot';
import { combineSnapshots, type ProcessSnapshot } from '../../main/engine/cluster/combine-snapshots';
import { createEngine, type Engine } from '../../main/engine/engine';
import { nextSnapshot } from '../fixtures/next-snapshot';

let engine: Engine;
let real: EngineSnapshot;

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampleIntervalMs: 250, stalls: false });
  real = await nextSnapshot(engine);
});

afterAll(() => engine?.close());

/** Process `id`'s snapshot: the real one with every figure the combination reads made distinct. */
function processSnapshot(id: number, over: (s: EngineSnapshot) => void = () => {}): ProcessSnapshot {
  const s = structuredClone(real);
  s.time = real.time + id * 10;
  s.uptimeS = 100 + id;
  for (const key of Object.keys(s.connections) as (keyof typeof s.connections)[])
    s.connections[key] = id * 10 + key.length;
  s.sockets = { open: id * 7, idle: id, max: 1000 * id, refusedAccepts: id - 1 };
  s.eventLoop = { ...s.eventLoop, p50Ms: id, p99Ms: 10 * (4 - id), maxMs: 30 + id };
  s.queue = { ...s.queue, depth: id * 100 };
  s.feed = { ...s.feed, lastSeq: [0, 500, 900, 700][id]! };
  s.memory = { rssBytes: id * 1_000_000, heapUsedBytes: id * 1000 };
  s.cpu = { percent: id * 10.04 };
  over(s);
  return { id, pid: 4000 + id, snapshot: s };
}

describe('combineSnapshots', () => {
  it('sums counts, takes the worst loop and the freshest shared state, and keeps each process', () => {
    // Given out of order: the processes come back sorted by id.
    const list = [processSnapshot(3), processSnapshot(1), processSnapshot(2)];
    const c = combineSnapshots(list);
    const snaps = list.map((p) => p.snapshot);
    const sum = (pick: (s: EngineSnapshot) => number) => snaps.reduce((t, s) => t + pick(s), 0);

    for (const key of Object.keys(real.connections) as (keyof typeof real.connections)[])
      expect(c.connections[key], key).toBe(sum((s) => s.connections[key]));
    expect(c.sockets).toEqual({ open: 42, idle: 6, max: 6000, refusedAccepts: 3 });
    // The worst process per figure: p99 is process 1's, max process 3's.
    expect(c.eventLoop).toMatchObject({ p50Ms: 3, p99Ms: 30, maxMs: 33 });
    // The queue from the freshest report (process 3), the feed from the one furthest along (2).
    expect(c.queue.depth).toBe(300);
    expect(c.feed.lastSeq).toBe(900);
    expect(c.time).toBe(real.time + 30);
    expect(c.uptimeS).toBe(103);
    expect(c.memory).toEqual({ rssBytes: 6_000_000, heapUsedBytes: 6000 });
    expect(c.cpu.percent).toBe(60.2);
    expect(c.processes?.map((p) => [p.id, p.pid, p.openSockets, p.rssBytes])).toEqual([
      [1, 4001, 7, 1_000_000],
      [2, 4002, 14, 2_000_000],
      [3, 4003, 21, 3_000_000],
    ]);
    expect(c.processes?.[0]?.eventLoop.p99Ms).toBe(30);
  });

  it('has no socket cap when any process has none, and carries the stall window it is given', () => {
    const uncapped = processSnapshot(2, (s) => (s.sockets.max = null));
    const window = { thresholdMs: 100, count: 2, totalMs: 300, maxMs: 200, recent: [] };
    const c = combineSnapshots([processSnapshot(1), uncapped], window);
    expect(c.sockets.max).toBeNull();
    expect(c.stalls).toBe(window);
    expect(combineSnapshots([processSnapshot(1)]).stalls).toBeUndefined();
  });
});
