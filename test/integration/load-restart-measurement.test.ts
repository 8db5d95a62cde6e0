/**
 * Measuring after a warm-up (issue 11): the `restartMeasurement` load command and `load --warmup`.
 * The engine runs in this process, so blocking this thread stalls the server exactly as a slow
 * handler would, while the generator processes (and the `load` CLI) keep sending. A stall before
 * the restart must leave the measurement; connections and fault counts must not.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadReport } from '../../common/load';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import { runLoadCli, waitForValue, waitForReport } from '../fixtures/load-wait';

/** Long enough that nothing else on a loaded machine is mistaken for it. */
const STALL_MS = 1200;

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampler: false, stalls: false });
});

afterAll(async () => {
  await engine?.close();
});

/** Blocks this thread, and with it the engine's event loop. */
function stallServer(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The first report published after this call that meets `condition` (never the one held now). */
function nextReport(g: LoadController, condition: (r: LoadReport) => boolean): Promise<LoadReport> {
  const stale = g.latest();
  return waitForReport(g, (r) => r !== stale && condition(r), 30_000);
}

describe('restartMeasurement', () => {
  test('in every generator process: a stall before it leaves the cumulative figures, connections and faults stay', async () => {
    // Two processes: the restart must reach both, since the merged max is the worse of the two.
    const g = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100, processes: 2 });
    try {
      await g.command({
        type: 'spawn',
        kind: 'ws-prime',
        count: 4,
        options: { intervalMs: 0, inFlight: 4 },
      });
      await waitForReport(g, (r) => r.kinds['ws-prime'].active === 4 && r.kinds['ws-prime'].received >= 200);
      stallServer(STALL_MS);
      const stalled = await nextReport(
        g,
        (r) => (r.kinds['ws-prime'].cumulative?.rtt.maxMs ?? 0) >= STALL_MS * 0.9,
      );
      expect(stalled.kinds['ws-prime'].integrity.wrong).toBe(0);

      await g.command({ type: 'restartMeasurement' });
      const after = await nextReport(g, (r) => r.kinds['ws-prime'].received >= 200);
      const k = after.kinds['ws-prime'];
      expect(k.cumulative!.rtt.count).toBeGreaterThan(0);
      expect(k.cumulative!.rtt.count).toBeLessThanOrEqual(k.received);
      expect(k.cumulative!.rtt.maxMs).toBeLessThan(STALL_MS * 0.9);
      // Connections and faults count over the whole run.
      expect(k.opened).toBe(4);
      expect(k.cumulative!.connect!.count).toBe(4);
      expect(k.failures).toEqual({});
      expect(k.integrity.wrong).toBe(0);

      // With nothing in flight, a restart leaves exactly nothing sent or received.
      await g.command({ type: 'stop', kind: 'ws-prime', count: 4 });
      await waitForReport(g, (r) => r.kinds['ws-prime'].active === 0 && r.kinds['ws-prime'].pending === 0);
      await g.command({ type: 'restartMeasurement' });
      const idle = (await nextReport(g, () => true)).kinds['ws-prime'];
      expect([idle.sent, idle.received, idle.cumulative!.rtt.count]).toEqual([0, 0, 0]);
      expect([idle.opened, idle.closed]).toEqual([4, 4]);
    } finally {
      await g.close();
    }
  }, 60_000);
});

describe('load --warmup', () => {
  test('the summary and --max-p99-rtt-ms cover only what came after the warm-up', async () => {
    const run = runLoadCli([
      '--target',
      engine.url,
      // Open loop, 2,000 numbers a second: a stall delays a quarter of the run's numbers by up to
      // its length, so without the warm-up left out the run's p99 would be close to the stall.
      '--ws',
      '20',
      '--ws-interval',
      '10',
      '--warmup',
      '3',
      '--duration',
      '2',
      '--max-p99-rtt-ms',
      String(STALL_MS * 0.6),
      '--json',
    ]);
    // The warm-up has begun once the clients are connected: stall the server inside it.
    await waitForValue(
      async () => (await (await fetch(`${engine.url}/stats`)).json()) as { connections: { wsPrime: number } },
      (s) => s.connections.wsPrime === 20,
      30_000,
    );
    stallServer(STALL_MS);
    const res = await run;
    expect(res.stderr).not.toMatch(/load:/);
    const doc = JSON.parse(res.stdout) as { ok: boolean; warmupS: number; report: LoadReport };
    const k = doc.report.kinds['ws-prime'];
    expect(k.cumulative!.rtt.maxMs).toBeLessThan(STALL_MS * 0.9);
    expect(k.cumulative!.rtt.count).toBeGreaterThan(0);
    expect(res.code).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.warmupS).toBe(3);
    // Connections are counted over the whole run: all 20 were opened in the warm-up.
    expect(k.opened).toBe(20);
    expect(k.failures).toEqual({});
    expect(k.integrity.wrong).toBe(0);
  }, 60_000);
});
