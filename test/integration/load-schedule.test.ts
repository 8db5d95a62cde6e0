/**
 * The WebSocket kinds' one schedule (issue 11, start-up counted as latency): a client that opens
 * with an earlier due time than the one the kind's timer waits for must re-arm the timer. Before,
 * every later client waited for the first client's random phase (up to a whole interval) and those
 * late sends counted as round trips: `load --ws 200` on an idle server reported p99 170–580 ms.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { startLoadGenerator } from '../../main/load/controller';
import { waitForReport } from '../fixtures/load-wait';
import { closeNow, listenOnLoopback } from '../fixtures/loopback-server';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(String(data))));
  base = await listenOnLoopback(server);
});

afterAll(() => closeNow(server));

test('clients opened after the first send on their own phase, not the first client’s', async () => {
  const g = await startLoadGenerator({ target: base, reportIntervalMs: 100 });
  try {
    // One client whose first send is due somewhere in the next 10 minutes...
    await g.command({ type: 'spawn', kind: 'ws-echo', count: 1, options: { intervalMs: 600_000 } });
    await waitForReport(g, (r) => r.kinds['ws-echo'].active === 1, 30_000);
    // ...then 20 clients with 200 ms between sends: they must not wait for it.
    await g.command({ type: 'spawn', kind: 'ws-echo', count: 20, options: { intervalMs: 200 } });
    const r = await waitForReport(g, (x) => (x.kinds['ws-echo'].cumulative?.rtt.count ?? 0) >= 100, 30_000);
    const k = r.kinds['ws-echo'];
    expect(k.integrity.wrong).toBe(0);
    // Generous for a loaded machine; before the fix the sends waited ~minutes (or the run timed out).
    expect(k.cumulative!.rtt.maxMs).toBeLessThan(2_000);
  } finally {
    await g.close();
  }
}, 60_000);
