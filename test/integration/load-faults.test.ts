/**
 * The integrity counters can fail: against a server that skips sequence numbers, delivers twice or
 * answers primes wrongly they go non-zero (load-engine.test.ts shows them at zero against the real
 * engine). A target that is down is counted by cause, and the generator carries on.
 */
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import { startFaultyServer, type FaultyServer } from '../fixtures/faulty-server';
import { waitForValue, waitForReport } from '../fixtures/load-wait';

let lg: LoadController | null = null;
let server: FaultyServer | null = null;

afterEach(async () => {
  await lg?.close();
  await server?.close();
  lg = null;
  server = null;
});

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('integrity counters catch injected faults', () => {
  test('a feed that skips and duplicates sequence numbers is caught by ws-feed, sse and long-poll', async () => {
    server = await startFaultyServer({ skipEvery: 3, duplicateEvery: 4 });
    lg = await startLoadGenerator({ target: server.url, reportIntervalMs: 100 });
    for (const kind of ['ws-feed', 'sse', 'long-poll'] as const)
      await lg.command({ type: 'spawn', kind, count: 5 });
    const s = server;
    await waitForValue(
      async () => s.followers(),
      (f) => f.ws === 5 && f.sse === 5 && f.poll === 5,
    );
    // 12 messages: publishes 3, 6, 9, 12 skip a number; 4, 8, 12 are delivered twice.
    for (let i = 1; i <= 12; i++)
      s.publish(i % 2 === 0 ? `{"t":${Date.now()},"n":${i}}` : `foreign payload ${i}`);
    const r = await waitForReport(lg, (x) =>
      (['ws-feed', 'sse', 'long-poll'] as const).every((k) => x.kinds[k].received === 5 * 15),
    );
    for (const kind of ['ws-feed', 'sse', 'long-poll'] as const) {
      expect(r.kinds[kind].integrity).toEqual({
        wrong: 0,
        missing: 5 * 4,
        duplicated: 5 * 3,
        outOfOrder: 0,
        expiredLost: 0,
      });
      // Even publishes carry a publish time: 6 of them, and 4, 8, 12 arrive twice.
      expect(r.kinds[kind].cumulative?.delivery.count).toBe(5 * 9);
    }
  });

  test('long-poll counts messages lost to cursor_expired and resynchronises from the oldest', async () => {
    server = await startFaultyServer({ retain: 5 });
    lg = await startLoadGenerator({ target: server.url, reportIntervalMs: 100 });
    await lg.command({ type: 'spawn', kind: 'long-poll', count: 5 });
    const s = server;
    await waitForValue(
      async () => s.followers(),
      (f) => f.poll === 5,
    );
    // Held polls are answered with message 1; by their next poll 2..20 are published and only 16..20 kept.
    for (let i = 1; i <= 20; i++) s.publish(`m${i}`);
    const r = await waitForReport(lg, (x) => x.kinds['long-poll'].received === 5 * 6);
    expect(r.kinds['long-poll'].integrity).toEqual({
      wrong: 0,
      missing: 0,
      duplicated: 0,
      outOfOrder: 0,
      expiredLost: 5 * 14,
    });
    expect(r.kinds['long-poll'].failures).toEqual({});
    expect(r.kinds['long-poll'].active).toBe(5);
  });

  test('a poll answered 408 (a saturated server closing a connection it read late) resumes from its cursor', async () => {
    // Every 4th poll: with 5 clients polling after each of 12 publishes, each meets some 408s.
    server = await startFaultyServer({ timeoutPollEvery: 4 });
    lg = await startLoadGenerator({ target: server.url, reportIntervalMs: 100 });
    await lg.command({ type: 'spawn', kind: 'long-poll', count: 5 });
    const s = server;
    await waitForValue(
      async () => s.followers(),
      (f) => f.poll === 5,
    );
    for (let i = 1; i <= 12; i++) {
      s.publish(`m${i}`);
      // Each publish after every client polled again (or resumed on a new connection).
      await waitForValue(
        async () => s.followers(),
        (f) => f.poll === 5,
      );
    }
    const r = await waitForReport(lg, (x) => x.kinds['long-poll'].received === 5 * 12);
    expect(r.kinds['long-poll'].integrity).toEqual({
      wrong: 0,
      missing: 0,
      duplicated: 0,
      outOfOrder: 0,
      expiredLost: 0,
    });
    expect(r.kinds['long-poll'].failures).toEqual({});
    expect(r.kinds['long-poll'].active).toBe(5);
    // Each 408 closed a connection: more were opened than clients.
    expect(r.kinds['long-poll'].sent).toBeGreaterThan(5 * 13);
  });

  test('wrong prime answers are counted', async () => {
    server = await startFaultyServer({});
    lg = await startLoadGenerator({ target: server.url, reportIntervalMs: 100 });
    await lg.command({ type: 'spawn', kind: 'ws-prime', count: 5, options: { intervalMs: 20 } });
    const r = await waitForReport(lg, (x) => x.kinds['ws-prime'].received >= 100);
    // About a third of the questions are primes, which this server calls composite.
    expect(r.kinds['ws-prime'].integrity.wrong).toBeGreaterThan(5);
    expect(r.kinds['ws-prime'].integrity.wrong).toBeLessThan(r.kinds['ws-prime'].received);
  });
});

describe('failures', () => {
  test('a target that is down is counted as ECONNREFUSED per kind, and the generator carries on', async () => {
    const port = await closedPort();
    lg = await startLoadGenerator({ target: `http://127.0.0.1:${port}`, reportIntervalMs: 100 });
    for (const kind of ['ws-prime', 'ws-feed', 'sse', 'long-poll'] as const)
      await lg.command({ type: 'spawn', kind, count: 7 });
    await lg.command({ type: 'spawn', kind: 'http', count: 2, options: { intervalMs: 20 } });
    await lg.command({ type: 'publishRate', perS: 50 });
    const r = await waitForReport(
      lg,
      (x) =>
        (['ws-prime', 'ws-feed', 'sse', 'long-poll'] as const).every(
          (k) => x.kinds[k].failures.ECONNREFUSED === 7,
        ) &&
        // One connection per http client: each is refused once and, like a follower, not retried.
        x.kinds.http.failures.ECONNREFUSED === 2 &&
        (x.kinds.publisher.failures.ECONNREFUSED ?? 0) > 5,
    );
    expect(r.kinds['ws-prime'].active).toBe(0);
    expect(r.kinds['ws-prime'].pending).toBe(0);
    // Still alive and obeying commands.
    await lg.command({ type: 'stopAll' });
    const after = await waitForReport(lg, (x) => x.kinds.http.active === 0 && x.kinds.publisher.active === 0);
    expect(after.time).toBeGreaterThan(r.time);
  });

  test('a server that accepts but never answers: connections time out and are counted as timeout', async () => {
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => held.add(socket)); // holds every socket, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      lg = await startLoadGenerator({
        target: `http://127.0.0.1:${port}`,
        reportIntervalMs: 100,
        connectTimeoutMs: 300,
      });
      for (const kind of ['ws-prime', 'ws-feed', 'sse'] as const)
        await lg.command({ type: 'spawn', kind, count: 4 });
      const r = await waitForReport(lg, (x) =>
        (['ws-prime', 'ws-feed', 'sse'] as const).every((k) => x.kinds[k].failures.timeout === 4),
      );
      expect(r.kinds['ws-prime'].pending).toBe(0);
      expect(r.kinds['ws-prime'].active).toBe(0);
    } finally {
      await lg?.close();
      lg = null;
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('non-loopback targets and malformed commands are refused with stable codes', async () => {
    await expect(startLoadGenerator({ target: 'http://192.0.2.1:8888' })).rejects.toMatchObject({
      code: 'non_loopback_target',
    });
    await expect(startLoadGenerator({ target: 'not a url' })).rejects.toMatchObject({ code: 'bad_target' });
    server = await startFaultyServer({});
    lg = await startLoadGenerator({ target: server.url });
    await expect(lg.command({ type: 'target', url: 'http://example.com/' })).rejects.toMatchObject({
      code: 'non_loopback_target',
    });
    await expect(lg.command({ type: 'spawn', kind: 'ws-prime', count: -1 })).rejects.toMatchObject({
      code: 'bad_command',
    });
    await expect(lg.command({ type: 'spawn', kind: 'nope' } as never)).rejects.toMatchObject({
      code: 'bad_command',
    });
    expect(lg.target).toBe(server.url);
  });
});
