/**
 * The load generator against the real engine: exact spawn/stop counts seen from both sides, zero
 * integrity errors against a correct server, gauges back to zero after stopAll, no orphan process.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EngineSnapshot } from '../../common/snapshot';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import { waitForValue, waitForReport } from '../fixtures/load-wait';

let engine: Engine;
let lg: LoadController;

async function connections(): Promise<EngineSnapshot['connections']> {
  const res = await fetch(`${engine.url}/stats`);
  return ((await res.json()) as EngineSnapshot).connections;
}

function generatorChildren(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes('load/child.ts'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampleIntervalMs: 250 });
  lg = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
});

afterAll(async () => {
  await lg?.close();
  await engine?.close();
});

describe('load generator against the engine', () => {
  test('spawn and stop counts are exact on both sides, integrity stays clean, gauges return to 0', async () => {
    await lg.command({ type: 'spawn', kind: 'ws-prime', count: 40, options: { intervalMs: 50 } });
    await lg.command({ type: 'spawn', kind: 'ws-feed', count: 30 });
    await lg.command({ type: 'spawn', kind: 'sse', count: 30, rampPerS: 200 });
    await lg.command({ type: 'spawn', kind: 'long-poll', count: 30 });
    await lg.command({ type: 'spawn', kind: 'http', count: 5, options: { intervalMs: 50 } });
    const up = await waitForReport(
      lg,
      (r) =>
        r.kinds['ws-prime'].active === 40 &&
        r.kinds['ws-feed'].active === 30 &&
        r.kinds.sse.active === 30 &&
        r.kinds['long-poll'].active === 30 &&
        r.kinds.http.active === 5,
    );
    expect(up.kinds['ws-prime'].pending).toBe(0);
    await waitForValue(
      connections,
      (c) => c.wsPrime === 40 && c.wsFeed === 30 && c.sse === 30 && c.longPoll === 30,
    );

    await lg.command({ type: 'stop', kind: 'ws-prime', count: 15 });
    await lg.command({ type: 'stop', kind: 'sse', count: 10 });
    const down = await waitForReport(
      lg,
      (r) =>
        r.kinds['ws-prime'].active === 25 && r.kinds.sse.active === 20 && r.kinds['ws-prime'].closed >= 15,
    );
    expect(down.kinds['ws-prime'].closed).toBe(15);
    await waitForValue(connections, (c) => c.wsPrime === 25 && c.sse === 20);

    await lg.command({ type: 'publishRate', perS: 40 });
    await lg.command({ type: 'jobRate', perS: 10, jobsPerRequest: 2, workMs: 1 });
    const busy = await waitForReport(
      lg,
      (r) =>
        r.kinds['ws-prime'].received > 200 &&
        r.kinds['ws-feed'].received >= 30 * 20 &&
        r.kinds.sse.received >= 20 * 20 &&
        r.kinds['long-poll'].received >= 30 * 20 &&
        r.kinds['job-producer'].received >= 5 &&
        r.kinds.http.received >= 20,
    );
    for (const kind of ['ws-prime', 'ws-feed', 'sse', 'long-poll'] as const) {
      expect(busy.kinds[kind].integrity).toEqual({
        wrong: 0,
        missing: 0,
        duplicated: 0,
        outOfOrder: 0,
        expiredLost: 0,
      });
      expect(busy.kinds[kind].failures).toEqual({});
    }
    expect(busy.kinds['ws-feed'].cumulative?.delivery.count).toBeGreaterThan(0);
    expect(busy.kinds['ws-prime'].cumulative?.rtt.count).toBeGreaterThan(200);
    expect(busy.generator.processes).toBe(1);

    await lg.command({ type: 'stopAll' });
    const idle = await waitForReport(lg, (r) =>
      Object.values(r.kinds).every((k) => k.active === 0 && k.pending === 0),
    );
    expect(idle.kinds['ws-feed'].failures).toEqual({});
    // The /stats request itself is the one plain HTTP request in flight.
    const after = await waitForValue(
      connections,
      (c) => c.wsPrime === 0 && c.wsFeed === 0 && c.sse === 0 && c.longPoll === 0 && c.http <= 1,
    );
    expect(after.http).toBeLessThanOrEqual(1);
  });

  test('two generator processes split a spawn and merge their reports', async () => {
    const two = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100, processes: 2 });
    try {
      await two.command({ type: 'spawn', kind: 'ws-prime', count: 21, options: { intervalMs: 0 } });
      const r = await waitForReport(two, (x) => x.kinds['ws-prime'].active === 21);
      expect(r.generator.processes).toBe(2);
      await two.command({ type: 'stop', kind: 'ws-prime', count: 21 });
      await waitForReport(two, (x) => x.kinds['ws-prime'].active === 0);
    } finally {
      await two.close();
    }
  });

  test('close stops the generator process: no orphans', async () => {
    const extra = await startLoadGenerator({ target: engine.url });
    const before = generatorChildren();
    expect(before.length).toBeGreaterThanOrEqual(2); // lg's and extra's
    await extra.close();
    const afterClose = generatorChildren();
    expect(afterClose.length).toBe(before.length - 1);
    await expect(extra.command({ type: 'stopAll' })).rejects.toMatchObject({ code: 'shutting_down' });
  });
});

test('configure switches ws-prime between idle and sending without doubling the rate', async () => {
  const g = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
  try {
    await g.command({ type: 'spawn', kind: 'ws-prime', count: 10, options: { intervalMs: 0 } });
    await waitForReport(g, (r) => r.kinds['ws-prime'].active === 10);
    await g.command({ type: 'configure', kind: 'ws-prime', options: { intervalMs: 100 } });
    await g.command({ type: 'configure', kind: 'ws-prime', options: { intervalMs: 0 } });
    await g.command({ type: 'configure', kind: 'ws-prime', options: { intervalMs: 100 } });
    const first = await waitForReport(g, (r) => r.kinds['ws-prime'].sent > 0);
    // 10 clients × 10/s = 100/s; a doubled schedule would show about 200/s over a second.
    const later = await waitForReport(g, (r) => r.time >= first.time + 1000);
    const perS =
      (later.kinds['ws-prime'].sent - first.kinds['ws-prime'].sent) / ((later.time - first.time) / 1000);
    expect(perS).toBeGreaterThan(60);
    expect(perS).toBeLessThan(140);
    expect(later.kinds['ws-prime'].integrity.wrong).toBe(0);
  } finally {
    await g.close();
  }
});
