/**
 * The dashboard's rows (renderer/state/samples.ts): a real engine snapshot joined with a load
 * report, and the store's latest/worst over a window, as the tiles read them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type KindReport, type LoadReport } from '../../common/load';
import type { EngineSnapshot } from '../../common/snapshot';
import { createEngine, type Engine } from '../../main/engine/engine';
import { nextSnapshot } from '../fixtures/next-snapshot';
import { SampleStore, toRow } from '../../renderer/state/samples';
import { kindReport } from '../fixtures/kind-report';

let engine: Engine;
let snapshot: EngineSnapshot;

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampleIntervalMs: 250, stalls: false });
  snapshot = await nextSnapshot(engine);
});

afterAll(() => engine?.close());

const lat = (count: number, p50Ms: number, p99Ms: number) => ({ count, p50Ms, p99Ms, maxMs: p99Ms });

function report(over: Partial<Record<(typeof CLIENT_KINDS)[number], Partial<KindReport>>>): LoadReport {
  return {
    time: Date.now(),
    intervalMs: 250,
    target: engine.url,
    kinds: Object.fromEntries(CLIENT_KINDS.map((k) => [k, kindReport(k, over[k])])) as LoadReport['kinds'],
    generator: { eventLoopP99Ms: 4, cpuPercent: 12, processes: 1 } as LoadReport['generator'],
  };
}

describe('toRow', () => {
  it("joins the server's figures with the clients': rtt p50 weighted by count, p99 the worst kind", () => {
    const r = report({
      'ws-prime': {
        active: 30,
        rtt: lat(300, 2, 9),
        integrity: { wrong: 1, missing: 0, duplicated: 0, outOfOrder: 0, expiredLost: 0 },
      },
      http: { active: 10, rtt: lat(100, 6, 40) },
      sse: { active: 5, delivery: lat(50, 3, 7) },
    });
    const row = toRow(snapshot, r);
    const c = snapshot.connections;
    expect(row.conn_total).toBe(c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http);
    expect(row.loop_p99_ms).toBe(snapshot.eventLoop.p99Ms);
    expect(row.server_rss_mb).toBeCloseTo(snapshot.memory.rssBytes / 2 ** 20, 6);
    expect(row.clients_active).toBe(45);
    expect(row.rtt_p50_ms).toBe((300 * 2 + 100 * 6) / 400);
    expect(row.rtt_p99_ms).toBe(40);
    expect(row.delivery_sse_p99_ms).toBe(7);
    // No delivery measured for a kind: no figure, not a zero that would draw as a calm line.
    expect(row.delivery_ws_feed_p99_ms).toBeNaN();
    expect(row.integrity_wrong).toBe(1);
    expect(row.generator_cpu_percent).toBe(12);
  });

  it('has no client figures at all without a load report', () => {
    const row = toRow(snapshot, null);
    expect(row.clients_active).toBeNaN();
    expect(row.rtt_p99_ms).toBeNaN();
    expect(row.generator_loop_p99_ms).toBeNaN();
    expect(row.conn_ws_prime).toBe(snapshot.connections.wsPrime);
  });
});

describe('SampleStore', () => {
  it('gives the newest value, and the worst within the window, skipping rows with no figure', () => {
    const store = new SampleStore();
    expect(store.latest('rtt_p99_ms')).toBeNaN();
    const at = (dt: number, p99: number | null) =>
      store.add(
        { ...snapshot, time: snapshot.time + dt },
        p99 === null ? null : report({ 'ws-prime': { rtt: lat(10, 1, p99) } }),
      );
    at(0, 500); // outside a 10 s window ending at +20 s
    at(12_000, 30);
    at(15_000, null);
    at(20_000, 8);
    expect(store.latest('rtt_p99_ms')).toBe(8);
    expect(store.worst('rtt_p99_ms', 10_000)).toBe(30);
    expect(store.worst('rtt_p99_ms', 60_000)).toBe(500);
    expect(store.ring.size).toBe(4);
  });
});

describe('SampleStore: one line per server process (docs/protocol.md §10)', () => {
  const proc = (id: number, p99Ms: number) => ({
    id,
    pid: 40_000 + id,
    connections: snapshot.connections,
    openSockets: 0,
    eventLoop: { ...snapshot.eventLoop, p99Ms },
    cpu: { percent: 1 },
    rssBytes: snapshot.memory.rssBytes,
  });

  it("a replacement gets its own line from its first row: the dead worker's rows stay under its name", () => {
    const store = new SampleStore();
    const at = (dt: number, procs: ReturnType<typeof proc>[]) =>
      store.add({ ...snapshot, time: snapshot.time + dt, processes: procs }, null);
    at(0, [proc(1, 11), proc(2, 22)]);
    at(1000, [proc(1, 12), proc(2, 23)]);
    at(2000, [proc(2, 24)]); // worker 1 killed
    at(3000, [proc(2, 25), proc(3, 33)]); // its replacement, in the slot worker 1 left
    const tenures = store.processes.tenures();
    expect(
      tenures.map((t) => [t.id, t.from - snapshot.time, t.to === null ? null : t.to - snapshot.time]),
    ).toEqual([
      [1, 0, 2000],
      [2, 0, null],
      [3, 3000, null],
    ]);
    const one = tenures.find((t) => t.id === 1)!;
    const three = tenures.find((t) => t.id === 3)!;
    // Same slot column, two processes: which rows belong to whom is the tenure's time range.
    expect(three.slot).toBe(one.slot);
    const column = `proc${one.slot}_loop_p99_ms` as const;
    const rows = Array.from({ length: store.ring.size }, (_, i) => [
      store.ring.at('time', i) - snapshot.time,
      store.ring.at(column, i),
    ]);
    expect(rows).toEqual([
      [0, 11],
      [1000, 12],
      [2000, Number.NaN],
      [3000, 33],
    ]);
  });
});
