/**
 * The WebSocket kinds' `inFlight` option (issue 11): with intervalMs 0 a client keeps exactly
 * `inFlight` messages unanswered, sending the next as each reply arrives (a closed loop), and never
 * more; without inFlight, intervalMs 0 still holds the connection idle. Seen from a server of the
 * test's own that counts what each connection has outstanding, and against the real engine's
 * /ws/prime with every answer checked.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { createEngine } from '../../main/engine/engine';
import { startLoadGenerator } from '../../main/load/controller';
import { waitForReport } from '../fixtures/load-wait';
import { closeNow, listenOnLoopback } from '../fixtures/loopback-server';

const REPLY_DELAY_MS = 20;
let server: Server;
let base: string;
/** Most messages any connection had unanswered at once, and messages seen in all. */
let maxOutstanding = 0;
let seen = 0;

beforeAll(async () => {
  server = createServer();
  const wss = new WebSocketServer({ server });
  // An echo that answers each message after a delay, counting what each connection waits for.
  wss.on('connection', (ws) => {
    let outstanding = 0;
    ws.on('message', (data) => {
      seen++;
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      setTimeout(() => {
        outstanding--;
        ws.send(String(data));
      }, REPLY_DELAY_MS);
    });
  });
  base = await listenOnLoopback(server);
});

afterAll(() => closeNow(server));

describe('ws inFlight', () => {
  test('intervalMs 0 with inFlight 4 keeps exactly 4 unanswered per connection, paced by replies', async () => {
    const g = await startLoadGenerator({ target: base, reportIntervalMs: 100 });
    try {
      await g.command({
        type: 'spawn',
        kind: 'ws-echo',
        count: 3,
        options: { intervalMs: 0, inFlight: 4 },
      });
      const r = await waitForReport(g, (x) => x.kinds['ws-echo'].received >= 120, 30_000);
      const k = r.kinds['ws-echo'];
      expect(k.integrity.wrong).toBe(0);
      expect(maxOutstanding).toBe(4);
      // Closed loop: what was sent is what was answered plus at most inFlight per connection.
      expect(k.sent - k.received).toBeLessThanOrEqual(3 * 4);
      expect(k.rtt.count + (k.cumulative?.rtt.count ?? 0)).toBeGreaterThan(0);
      await g.command({ type: 'stop', kind: 'ws-echo', count: 3 });
      await waitForReport(g, (x) => x.kinds['ws-echo'].active === 0);
    } finally {
      await g.close();
    }
  }, 60_000);

  test('intervalMs 0 without inFlight stays idle', async () => {
    const g = await startLoadGenerator({ target: base, reportIntervalMs: 100 });
    try {
      await g.command({ type: 'spawn', kind: 'ws-echo', count: 2, options: { intervalMs: 0 } });
      await waitForReport(g, (x) => x.kinds['ws-echo'].active === 2);
      const before = seen;
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toBe(before);
      expect(g.latest()!.kinds['ws-echo'].sent).toBe(0);
    } finally {
      await g.close();
    }
  }, 60_000);

  test('ws-prime closed loop against the engine: every answer checked, none wrong', async () => {
    const engine = await createEngine({ port: 0, sampler: false, stalls: false });
    const g = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
    try {
      await g.command({
        type: 'spawn',
        kind: 'ws-prime',
        count: 4,
        options: { intervalMs: 0, inFlight: 8 },
      });
      const r = await waitForReport(g, (x) => x.kinds['ws-prime'].received >= 2000, 30_000);
      const k = r.kinds['ws-prime'];
      expect(k.integrity.wrong).toBe(0);
      expect(k.failures).toEqual({});
      expect(k.sent - k.received).toBeLessThanOrEqual(4 * 8);
    } finally {
      await g.close();
      await engine.close();
    }
  }, 60_000);
});
