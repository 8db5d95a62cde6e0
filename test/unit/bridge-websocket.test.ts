/**
 * The browser-mode bridge over a real WebSocket on loopback, with a real app host and engine:
 * it refuses connections without the token, with a wrong token, or from a foreign Origin; with
 * both right, the typed API works; malformed frames get an error reply and the bridge keeps serving.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppInfo } from '../../common/api';
import type { ReplyFrame, ServerFrame } from '../../common/bridge-frames';
import type { EngineSnapshot, QueueStats } from '../../common/snapshot';
import { createAppHost, type AppHost } from '../../main/control/app-host';
import { startDashboard, type Dashboard } from '../../main/dashboard/dashboard';
import { rawStatus, unreadByServer, UPGRADE_HEADERS } from '../fixtures/raw-http';
import { MAX_QUEUED_BYTES } from '../../main/dashboard/bridge';
import { MAX_ECHOED_CHARS } from '../../common/api-schemas';
import { waitForValue } from '../fixtures/load-wait';

let host: AppHost;
let dashboard: Dashboard;
const open: WebSocket[] = [];

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'loopscope-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>fixture</title>');
  host = await createAppHost({ shell: 'browser', engineOptions: { port: 0, sampleIntervalMs: 250 } });
  dashboard = await startDashboard({ host, port: 0, rendererDir });
});

afterAll(async () => {
  for (const ws of open) ws.terminate();
  await dashboard?.close();
  await host?.close();
});

function bridgeUrl(token: string | null): string {
  return `ws://127.0.0.1:${dashboard.port}/bridge${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
}

/** Resolves with the HTTP status of a refused upgrade; fails if the upgrade is accepted. */
async function refusal(url: string, origin: string | undefined): Promise<number> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  open.push(ws);
  const [, res] = (await Promise.race([
    once(ws, 'unexpected-response'),
    once(ws, 'open').then(() => {
      throw new Error('the bridge accepted a connection it should refuse');
    }),
  ])) as [unknown, { statusCode: number }];
  return res.statusCode;
}

/** Status of a raw request to the dashboard's port. */
const statusOf = (text: string) => rawStatus(dashboard.port, text);

class Client {
  private nextId = 1;
  private readonly frames: ServerFrame[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(): Promise<Client> {
    const ws = new WebSocket(bridgeUrl(dashboard.token), { origin: dashboard.origin });
    open.push(ws);
    const client = new Client(ws);
    await once(ws, 'open');
    return client;
  }

  /**
   * Waits (bounded) for the first frame that matches, consuming it. Generous: a command may fork the
   * load generator, which takes seconds on a loaded two-core machine.
   */
  async next<T extends ServerFrame>(match: (f: ServerFrame) => f is T, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching frame before the deadline');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  reply(id: number | null): Promise<ReplyFrame> {
    return this.next((f): f is ReplyFrame => f.type === 'reply' && f.id === id);
  }

  async call(name: string, payload: unknown): Promise<ReplyFrame> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, name, payload }));
    return this.reply(id);
  }
}

describe('bridge: who may connect', () => {
  it('refuses a connection without a token', async () => {
    expect(await refusal(bridgeUrl(null), dashboard.origin)).toBe(401);
  });

  it('refuses a wrong token, including one of the right length', async () => {
    expect(await refusal(bridgeUrl('not-the-token'), dashboard.origin)).toBe(401);
    const sameLength = dashboard.token.replace(/./g, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await refusal(bridgeUrl(sameLength), dashboard.origin)).toBe(401);
  });

  it('refuses a foreign Origin even with the right token (cross-site WebSocket hijacking)', async () => {
    expect(await refusal(bridgeUrl(dashboard.token), 'http://evil.example')).toBe(403);
    expect(await refusal(bridgeUrl(dashboard.token), `http://127.0.0.1:${dashboard.port + 1}`)).toBe(403);
    expect(await refusal(bridgeUrl(dashboard.token), 'null')).toBe(403);
    expect(await refusal(bridgeUrl(dashboard.token), undefined)).toBe(403);
  });

  it('serves the page itself only under its loopback host name, with the strict CSP', async () => {
    const get = (path: string, hostHeader: string) =>
      new Promise<{ status: number; csp: string | undefined }>((resolve, reject) => {
        request({ host: '127.0.0.1', port: dashboard.port, path, headers: { host: hostHeader } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, csp: res.headers['content-security-policy'] as string });
        })
          .on('error', reject)
          .end();
      });
    const own = `127.0.0.1:${dashboard.port}`;
    const page = await get('/', own);
    expect(page.status).toBe(200);
    expect(page.csp).toContain("script-src 'self'");
    expect(page.csp).toContain("frame-ancestors 'none'");
    expect((await get('/', `rebound.example:${dashboard.port}`)).status).toBe(403);
    expect((await get('/../package.json', own)).status).toBe(404);
    expect((await get('/%2e%2e/package.json', own)).status).toBe(404);
  });
});

describe('bridge: requests it cannot parse, and Host on the upgrade path', () => {
  // Targets node:http lets through but new URL() refuses (TypeError: Invalid URL). On the upgrade
  // path that exception escaped the 'upgrade' listener, before the token check: anyone on the
  // machine could kill the app with one line.
  const BAD_TARGETS = ['http://[', 'http://a:99999/', 'http://[/bridge?token=x'];

  it('answers 400 on both paths, before any token, and keeps serving', async () => {
    const host = `127.0.0.1:${dashboard.port}`;
    for (const target of BAD_TARGETS) {
      expect(await statusOf(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toBe(
        400,
      );
      expect(await statusOf(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${UPGRADE_HEADERS}\r\n`)).toBe(400);
    }
    // What node:http cannot parse at all is its own 400.
    expect(await statusOf('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n')).toBe(400);
    const client = await Client.connect();
    expect(await client.call('getInfo', {})).toMatchObject({ ok: true });
  });

  it('checks Host before the target, on both paths alike', async () => {
    for (const target of ['/', ...BAD_TARGETS]) {
      expect(await statusOf(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe(403);
      expect(await statusOf(`GET ${target} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`)).toBe(403);
    }
  });

  it('refuses an upgrade under a foreign Host even with the right token and Origin (DNS rebinding)', async () => {
    const ws = new WebSocket(bridgeUrl(dashboard.token), {
      origin: dashboard.origin,
      headers: { host: `rebound.example:${dashboard.port}` },
    });
    open.push(ws);
    const [, res] = (await Promise.race([
      once(ws, 'unexpected-response'),
      once(ws, 'open').then(() => {
        throw new Error('the bridge accepted a foreign Host');
      }),
    ])) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(403);
  });
});

describe('bridge: the typed API', () => {
  it('answers commands with typed replies', async () => {
    const client = await Client.connect();
    const info = await client.call('getInfo', {});
    expect(info.ok).toBe(true);
    const value = (info as { value: AppInfo }).value;
    expect(value.shell).toBe('browser');
    expect(value.serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(value.targetUrl).toBe(value.serverUrl);

    const workers = await client.call('setWorkers', { workers: 7 });
    expect(workers.ok && (workers.value as QueueStats).workers).toBe(7);

    const hash = await client.call('runBcrypt', { cost: 4, mode: 'pool' });
    expect(hash).toMatchObject({ ok: true, value: { mode: 'pool', cost: 4 } });

    const interval = await client.call('setSampleInterval', { ms: 300 });
    expect(interval).toMatchObject({ ok: true, value: { ms: 300 } });
  });

  it('pushes engine snapshots as events', async () => {
    const client = await Client.connect();
    const first = await client.next(
      (f): f is Extract<ServerFrame, { type: 'event' }> => f.type === 'event' && f.event === 'snapshot',
    );
    const snapshot = first.data as EngineSnapshot;
    expect(snapshot.connections).toHaveProperty('wsPrime');
    // A real window of the loop, not a placeholder: ordered percentiles, and a next one later on.
    const loop = snapshot.eventLoop;
    expect(loop.p50Ms).toBeLessThanOrEqual(loop.p99Ms);
    expect(loop.p99Ms).toBeLessThanOrEqual(loop.maxMs);
    const second = await client.next(
      (f): f is Extract<ServerFrame, { type: 'event' }> =>
        f.type === 'event' && f.event === 'snapshot' && (f.data as EngineSnapshot).time > snapshot.time,
    );
    expect((second.data as EngineSnapshot).time - snapshot.time).toBeGreaterThanOrEqual(
      snapshot.intervalMs / 2,
    );
  });

  it('refuses bad payloads and unknown commands with their codes', async () => {
    const client = await Client.connect();
    expect(await client.call('setWorkers', { workers: 0 })).toMatchObject({
      ok: false,
      error: { code: 'bad_payload' },
    });
    expect(await client.call('runBcrypt', { cost: 99, mode: 'loop' })).toMatchObject({
      ok: false,
      error: { code: 'bad_payload' },
    });
    expect(await client.call('rm -rf', {})).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    expect(await client.call('__proto__', {})).toMatchObject({
      ok: false,
      error: { code: 'unknown_command' },
    });
  });

  it('answers malformed frames with bad_frame and keeps serving the same socket', async () => {
    const client = await Client.connect();
    for (const frame of ['not json', '[1,2]', 'null', '{"name":"getInfo"}', '{"id":"1","name":"getInfo"}']) {
      client.ws.send(frame);
      expect(await client.reply(null)).toMatchObject({ ok: false, error: { code: 'bad_frame' } });
    }
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.reply(null)).toMatchObject({ ok: false, error: { code: 'bad_frame' } });
    expect(await client.call('getInfo', {})).toMatchObject({ ok: true });
  });

  it('closes only the socket that sends an oversized frame; others carry on', async () => {
    const bystander = await Client.connect();
    const offender = await Client.connect();
    offender.ws.send(JSON.stringify({ id: 1, name: 'getInfo', payload: { pad: 'x'.repeat(70 * 1024) } }));
    const [code] = (await once(offender.ws, 'close')) as [number];
    expect(code).toBe(1009);
    expect(await bystander.call('getInfo', {})).toMatchObject({ ok: true });
  });

  it('echoes at most a bounded piece of an unknown command name or a bad key', async () => {
    const client = await Client.connect();
    const name = 'x'.repeat(60 * 1024);
    const unknown = await client.call(name, {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    expect(JSON.stringify(unknown).length).toBeLessThan(MAX_ECHOED_CHARS + 200);
    const badKey = await client.call('setWorkers', { workers: 1, [name]: 1 });
    expect(badKey).toMatchObject({ ok: false, error: { code: 'bad_payload' } });
    expect(JSON.stringify(badKey).length).toBeLessThan(MAX_ECHOED_CHARS + 200);
  });

  it('closes a client that does not read with 1013 once its queue passes the cap; others carry on', async () => {
    const bystander = await Client.connect();
    const slow = await Client.connect();
    let replies = 0;
    slow.ws.on('message', () => replies++);
    // Stop reading: what the bridge sends now piles up in the kernel, then in the app.
    slow.ws.pause();
    // Each 1-byte frame is answered with a ~100-byte bad_frame reply: ~10 MB of replies, past the
    // cap plus anything the kernel's socket buffers can take.
    const frames = 100_000;
    for (let i = 1; i < frames; i++) slow.ws.send('x');
    await new Promise((resolve) => slow.ws.send('x', resolve));
    await waitForValue(
      async () => unreadByServer(dashboard.port),
      (n) => n === 0,
      20_000,
    );
    expect(await bystander.call('getInfo', {})).toMatchObject({ ok: true });
    const closed = once(slow.ws, 'close') as Promise<[number]>;
    slow.ws.resume();
    const [code] = await Promise.race([
      closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`not closed; ${replies} of ${frames} replies read`)), 30_000),
      ),
    ]);
    expect(code).toBe(1013);
    // It was cut off: far fewer replies than frames, about the cap's worth plus the kernel's.
    expect(replies).toBeLessThan(frames);
    expect(replies * 90).toBeGreaterThan(MAX_QUEUED_BYTES / 2);
    expect(await bystander.call('getInfo', {})).toMatchObject({ ok: true });
  });

  it('points the simulated clients at another loopback server, and refuses anything else', async () => {
    const client = await Client.connect();
    expect(await client.call('setTarget', { url: 'http://example.com:8888' })).toMatchObject({
      ok: false,
      error: { code: 'non_loopback_target' },
    });
    const other = await client.call('setTarget', { url: 'http://127.0.0.1:9' });
    expect(other).toMatchObject({ ok: true, value: { targetUrl: 'http://127.0.0.1:9' } });
    const back = await client.call('setTarget', { url: null });
    const info = (back as { value: AppInfo }).value;
    expect(info.targetUrl).toBe(info.serverUrl);
  });

  it('moves the demo server to another port on setServerPort', async () => {
    const client = await Client.connect();
    const before = ((await client.call('getInfo', {})) as { value: AppInfo }).value;
    const isSnapshot = (f: ServerFrame): f is Extract<ServerFrame, { type: 'event' }> =>
      f.type === 'event' && f.event === 'snapshot';
    const oldUptime = ((await client.next(isSnapshot)).data as EngineSnapshot).uptimeS;
    const moved = await client.call('setServerPort', { port: 0 });
    expect(moved.ok).toBe(true);
    const after = (moved as { value: AppInfo }).value;
    expect(after.serverUrl).not.toBe(before.serverUrl);
    const res = await fetch(`${after.serverUrl}/`);
    expect(await res.text()).toBe('Hello, world');
    await expect(fetch(`${before.serverUrl}/`)).rejects.toThrow();
    // Snapshots keep flowing, now from the new engine: its uptime starts again from zero.
    const fresh = await client.next(
      (f): f is Extract<ServerFrame, { type: 'event' }> =>
        isSnapshot(f) && (f.data as EngineSnapshot).uptimeS < oldUptime,
    );
    expect((fresh.data as EngineSnapshot).uptimeS).toBeLessThan(oldUptime);
  });
});
