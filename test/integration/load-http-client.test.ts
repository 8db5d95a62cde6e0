/**
 * The generator's own HTTP client over real sockets: N clients hold exactly N connections, a client
 * keeps exactly `inFlight` requests outstanding, a publisher held back stamps the time it was due,
 * and round trips made while a kind is still connecting stay out of its rtt.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import { epochNow } from '../../main/load/feed-tracker';
import { waitForValue, waitForReport } from '../fixtures/load-wait';

let lg: LoadController | null = null;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await lg?.close();
  lg = null;
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Established TCP connections to a port, made by the given processes (the generator's): other test
 * files run beside this one, and a connection of theirs to a reused port is not the generator's.
 */
function connectionsTo(port: number, pids: number[]): number {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => pids.some((pid) => l.includes(`pid=${pid},`))).length;
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

describe('http client kinds', () => {
  test('50 http clients hold exactly 50 connections, however fast they send', async () => {
    const engine: Engine = await createEngine({ port: 0, sampleIntervalMs: 250 });
    cleanups.push(() => engine.close());
    const port = Number(new URL(engine.url).port);
    lg = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
    // Every 2 ms per client: far more than one request in flight would allow, so requests queue.
    await lg.command({ type: 'spawn', kind: 'http', count: 50, options: { intervalMs: 2 } });
    await waitForReport(lg, (r) => r.kinds.http.active === 50 && r.kinds.http.received > 2000);
    const seen: number[] = [];
    await waitForValue(
      async () => {
        seen.push(connectionsTo(port, lg!.pids()));
        return lg!.latest()!.kinds.http.received;
      },
      (received) => seen.length >= 5 && received > 4000,
    );
    expect(new Set(seen)).toEqual(new Set([50]));
    await lg.command({ type: 'stopAll' });
    await waitForValue(
      async () => connectionsTo(port, lg!.pids()),
      (n) => n === 0,
    );
  });

  test('configure moves running clients from the open to the closed loop and back', async () => {
    const engine: Engine = await createEngine({ port: 0, sampleIntervalMs: 250 });
    cleanups.push(() => engine.close());
    lg = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
    // One request every 10 minutes each: nearly idle until the loop closes.
    await lg.command({ type: 'spawn', kind: 'http', count: 2, options: { intervalMs: 600_000 } });
    await waitForReport(lg, (r) => r.kinds.http.active === 2);
    await lg.command({ type: 'configure', kind: 'http', options: { intervalMs: 0, inFlight: 2 } });
    const closed = await waitForReport(lg, (r) => r.kinds.http.received > 500);
    await lg.command({ type: 'configure', kind: 'http', options: { intervalMs: 600_000 } });
    // Back to one every 10 minutes: after the in-flight replies, the count stops growing.
    const settled = await waitForReport(lg, (r) => r.kinds.http.receivedPerS === 0 && r.time > closed.time);
    const later = await waitForReport(lg, (r) => r.time > settled.time + 300);
    expect(later.kinds.http.received).toBe(settled.kinds.http.received);
    expect(later.kinds.http.failures).toEqual({});
  });

  test('inFlight is honoured: each connection carries exactly that many requests at a time', async () => {
    // A raw server that answers every request 20 ms after it arrives and tracks, per socket, how
    // many requests it holds unanswered.
    const IN_FLIGHT = 4;
    let worst = 0;
    let answered = 0;
    const held = new Map<net.Socket, number>();
    const server = net.createServer((socket) => {
      held.set(socket, 0);
      let pending = '';
      socket.on('data', (chunk) => {
        pending += chunk.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
          pending = pending.slice(end + 4);
          const n = held.get(socket)! + 1;
          held.set(socket, n);
          worst = Math.max(worst, n);
          setTimeout(() => {
            held.set(socket, held.get(socket)! - 1);
            answered++;
            if (!socket.destroyed) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
          }, 20);
        }
      });
      // Counted while open: the check is the connections the clients hold, not every one ever made.
      socket.on('close', () => held.delete(socket));
      socket.on('error', () => held.delete(socket));
    });
    const port = await listen(server);
    lg = await startLoadGenerator({ target: `http://127.0.0.1:${port}`, reportIntervalMs: 100 });
    await lg.command({
      type: 'spawn',
      kind: 'http',
      count: 3,
      options: { intervalMs: 0, inFlight: IN_FLIGHT },
    });
    const r = await waitForReport(lg, (x) => x.kinds.http.received >= 300);
    // Steady state: a connection replaced for idleness (the new one dialled before the old one is
    // cut, when a loaded machine held the first write back past the keep-alive limit) settles.
    await waitForValue(
      async () => held.size,
      (n) => n === 3,
      5_000,
    );
    expect(worst).toBe(IN_FLIGHT);
    expect(answered).toBeGreaterThanOrEqual(300);
    expect(r.kinds.http.failures).toEqual({});
  });

  test('a publisher held back by its connection still stamps the time each message was due', async () => {
    // The first POST is answered only after 400 ms; the publishes due meanwhile wait for the
    // connection (one request in flight) and must carry their due time, not their send time.
    const arrivals: Array<{ at: number; t: number }> = [];
    let first = true;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        arrivals.push({ at: epochNow(), t: (JSON.parse(body) as { t: number }).t });
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"seq":1}');
        };
        if (first) {
          first = false;
          setTimeout(answer, 400);
        } else {
          answer();
        }
      });
    });
    const port = await listen(server);
    lg = await startLoadGenerator({ target: `http://127.0.0.1:${port}`, reportIntervalMs: 100 });
    await lg.command({ type: 'spawn', kind: 'publisher', count: 1, options: { intervalMs: 20 } });
    await waitForValue(
      async () => arrivals.length,
      (n) => n >= 20,
    );
    const waited = arrivals.slice(1).map((a) => a.at - a.t);
    // The one sent right after the held reply was due ~380 ms before it could be written.
    expect(Math.max(...waited)).toBeGreaterThan(250);
    // Nobody stamps a time in the future.
    for (const w of waited) expect(w).toBeGreaterThan(-5);
  });
});

describe('connecting is its own phase', () => {
  test('round trips made while other clients of the kind are still connecting stay out of rtt', async () => {
    // A ws server that answers every message at once, but whose loop is stuck for 800 ms on the
    // last client's handshake: the first clients' numbers sent meanwhile wait for the handshake.
    const CLIENTS = 5;
    const BLOCK_MS = 800;
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    let upgrades = 0;
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      upgrades++;
      const go = (): void => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      if (upgrades < CLIENTS) return go();
      // Let the first clients start sending, then hold the loop as a busy server would.
      setTimeout(() => {
        const until = performance.now() + BLOCK_MS;
        while (performance.now() < until) {
          // busy: the server's loop is blocked
        }
        go();
      }, 100);
    });
    const port = await listen(server);
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    });
    lg = await startLoadGenerator({ target: `http://127.0.0.1:${port}`, reportIntervalMs: 100 });
    await lg.command({ type: 'spawn', kind: 'ws-prime', count: CLIENTS, options: { intervalMs: 20 } });
    const r = await waitForReport(
      lg,
      (x) =>
        x.kinds['ws-prime'].active === CLIENTS && (x.kinds['ws-prime'].cumulative?.rtt.count ?? 0) >= 200,
    );
    const k = r.kinds['ws-prime'];
    expect(k.cumulative!.connect!.maxMs).toBeGreaterThan(BLOCK_MS * 0.9);
    expect(k.cumulative!.connect!.count).toBe(CLIENTS);
    expect(k.cumulative!.rtt.p99Ms).toBeLessThan(BLOCK_MS / 2);
  });
});
