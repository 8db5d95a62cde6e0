/**
 * Issue 9's probes against `serve` as a real process: bad request targets, listener warnings,
 * slow clients, descriptor exhaustion. Each test is one probe that once killed or degraded the
 * server; it checks the process is still there and everyone else is still served.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../main/engine/engine';
import { socketsUnder } from '../../main/engine/server/socket-limits';
import { openSse, post, request, stats, until } from './engine-client';
import { baseUrl, holdSocket, rawExchange, serve, type HeldSocket } from './serve-child';

const UPGRADE_HEADERS =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

function expectBadRequest(reply: string): void {
  expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  expect(reply).toMatch(/\r\ncontent-type: application\/json/i);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: string };
  expect(body.error).toBe('bad_request');
}

describe('request targets that do not parse as URLs', () => {
  it('get 400 bad_request, on plain requests and upgrades, and the server carries on', async () => {
    const child = serve(['--port', '0']);
    try {
      const base = await baseUrl(child);
      // Held across the probes: a client that must not notice them.
      const poll = request(`${base}/feed/poll?timeout=30`);
      for (const target of ['http://[', 'http://a:99999/']) {
        const plain = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
        expectBadRequest(await rawExchange(base, plain));
        const upgrade = `GET ${target} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`;
        expectBadRequest(await rawExchange(base, upgrade));
      }
      expect(child.proc.exitCode).toBeNull();
      expect((await request(`${base}/`)).text).toBe('Hello, world');
      // An absolute-form target that does parse is served by its path, as HTTP/1.1 requires.
      const absolute = await rawExchange(
        base,
        'GET http://x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(absolute).toMatch(/^HTTP\/1\.1 200 [^]*Hello, world$/);
      await request(`${base}/feed`, { method: 'POST', body: 'still here' });
      expect((await poll).json()).toMatchObject({ messages: [{ data: 'still here' }] });
    } finally {
      child.proc.kill('SIGTERM');
      expect(await child.exit).toBe(0);
    }
    expect(child.stderr()).toBe('');
  });
});

describe('/aggregate with the largest fan-out', () => {
  it('prints no MaxListenersExceededWarning', async () => {
    const child = serve(['--port', '0']);
    try {
      const base = await baseUrl(child);
      const reply = await request(`${base}/aggregate?calls=50&ms=0`);
      expect(reply.status).toBe(200);
      expect(reply.json()).toMatchObject({ calls: 50 });
    } finally {
      child.proc.kill('SIGTERM');
      // After exit every byte the server wrote to stderr has arrived.
      expect(await child.exit).toBe(0);
    }
    expect(child.stderr()).not.toMatch(/MaxListenersExceededWarning/);
    expect(child.stderr()).toBe('');
  });
});

describe('slow and silent clients', () => {
  const HEADERS_MS = 300;
  const REQUEST_MS = 800;
  const shortTimeouts = () =>
    createEngine({ port: 0, headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS, timeoutCheckMs: 50 });

  it('time out: partial headers and silent sockets after headersTimeout, a partial body after requestTimeout', async () => {
    const engine = await shortTimeouts();
    try {
      const partialHeader = holdSocket(engine.url, 'GET / HTTP/1.1\r\nHost: x\r\n');
      const silent = holdSocket(engine.url);
      const partialBody = holdSocket(
        engine.url,
        'POST /feed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b',
      );
      await until(() => partialHeader.closed && silent.closed, 'the header timeouts', 5_000);
      for (const s of [partialHeader, silent]) {
        expect(s.data).toMatch(/^HTTP\/1\.1 408 /);
        expect(s.lifetimeMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
      }
      await until(() => partialBody.closed, 'the request timeout', 5_000);
      expect(partialBody.data).toMatch(/^HTTP\/1\.1 408 /);
      expect(partialBody.lifetimeMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
      expect((await request(`${engine.url}/`)).text).toBe('Hello, world');
    } finally {
      await engine.close();
    }
  });

  it('a long poll held longer than requestTimeout, and an SSE stream, are not cut', async () => {
    const engine = await shortTimeouts();
    try {
      const sse = openSse(`${engine.url}/feed/events`);
      await sse.ready;
      const started = Date.now();
      const poll = await request(`${engine.url}/feed/poll?timeout=2`);
      expect(Date.now() - started).toBeGreaterThan(REQUEST_MS * 2);
      expect(poll.status).toBe(200);
      expect(poll.json()).toMatchObject({ messages: [] });
      expect(sse.ended).toBe(false);
      await post(`${engine.url}/feed`, 'late');
      await until(() => sse.events.length === 1, 'the SSE event');
      sse.close();
    } finally {
      await engine.close();
    }
  });

  it('/stats counts idle and half-sent sockets', async () => {
    const engine = await createEngine({ port: 0 });
    const held: HeldSocket[] = [];
    try {
      for (let i = 0; i < 5; i++) held.push(holdSocket(engine.url));
      for (let i = 0; i < 3; i++) held.push(holdSocket(engine.url, 'GET / HTTP/1.1\r\n'));
      await until(async () => ((await stats(engine.url)).sockets!.idle ?? 0) >= 8, '8 idle sockets');
      const s = (await stats(engine.url)).sockets!;
      // The /stats request itself is the one busy socket.
      expect(s.open).toBe(s.idle! + 1);
      expect(s.refusedAccepts).toBe(0);
    } finally {
      for (const h of held) h.close();
      await engine.close();
    }
  });

  it('the socket cap refuses the extra connections; those inside it keep working', async () => {
    const CAP = 10;
    const engine = await createEngine({ port: 0, maxSockets: CAP });
    const held: HeldSocket[] = [];
    try {
      const poll = request(`${engine.url}/feed/poll?timeout=30`);
      await until(async () => (await stats(engine.url)).connections!.longPoll === 1, 'the held poll');
      for (let i = 0; i < CAP - 1; i++) held.push(holdSocket(engine.url));
      // Each of these finds the cap full and is closed at once, without a byte of reply.
      const extra = Array.from({ length: 5 }, () => holdSocket(engine.url, 'GET / HTTP/1.1\r\n\r\n'));
      await until(() => extra.every((s) => s.closed), 'the extra sockets refused');
      expect(extra.map((s) => s.data)).toEqual(['', '', '', '', '']);
      expect(held.some((s) => s.closed)).toBe(false);
      // Room again: the held poll and new clients are served.
      for (const h of held.splice(0, 3)) h.close();
      await until(async () => (await request(`${engine.url}/`).catch(() => null))?.status === 200, 'room');
      const s = (await stats(engine.url)).sockets!;
      expect(s.max).toBe(CAP);
      expect(s.refusedAccepts).toBeGreaterThanOrEqual(5);
      await post(`${engine.url}/feed`, 'inside the cap');
      expect((await poll).json()).toMatchObject({ messages: [{ data: 'inside the cap' }] });
    } finally {
      for (const h of held) h.close();
      await engine.close();
    }
  });
});

describe('out of file descriptors', () => {
  const FD_LIMIT = 256;
  const FLOOD = 300;

  it('under ulimit -n 256, 300 sockets: refused past the cap, counted, said once, recovered', async () => {
    const child = serve(['--port', '0', '--sample-ms', '250'], { fdLimit: FD_LIMIT });
    const flood: HeldSocket[] = [];
    try {
      const base = await baseUrl(child);
      const polls = Array.from({ length: 20 }, () => request(`${base}/feed/poll?timeout=60`));
      await until(async () => (await stats(base)).connections!.longPoll === 20, 'the held polls');
      for (let i = 0; i < FLOOD; i++) flood.push(holdSocket(base, 'GET / HTTP/1.1\r\n'));
      await until(
        () => flood.filter((s) => s.closed).length >= FLOOD + 20 - socketsUnder(FD_LIMIT),
        'refusals',
      );
      // Several sampler windows while full: the sampler, the accept loop and the timers must hold.
      const full = Date.now();
      await until(() => Date.now() - full > 1_000 || child.proc.exitCode !== null, 'a second at the cap');
      expect(child.proc.exitCode).toBeNull();
      for (const s of flood.splice(0, 100)) s.close();
      await until(async () => (await request(`${base}/`).catch(() => null))?.status === 200, 'room again');
      const s = (await stats(base)).sockets!;
      expect(s.max).toBe(socketsUnder(FD_LIMIT));
      expect(s.refusedAccepts).toBeGreaterThan(0);
      const lines = child.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('ulimit -n');
      const metrics = (await request(`${base}/metrics`)).text;
      expect(Number(/^loopscope_refused_accepts_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      // The clients inside the cap never noticed.
      await post(`${base}/feed`, 'after the flood');
      for (const poll of polls)
        expect((await poll).json()).toMatchObject({ messages: [{ data: 'after the flood' }] });
      for (const s of flood.splice(0)) s.close();
      await until(async () => (await stats(base)).sockets!.open! <= 2, 'the flood gone');
    } finally {
      for (const s of flood) s.close();
      child.proc.kill('SIGTERM');
      expect(await child.exit).toBe(0);
    }
  });

  it('with no cap (--max-sockets 0), running out of descriptors is survived, sampler included', async () => {
    const child = serve(['--port', '0', '--sample-ms', '250', '--max-sockets', '0'], { fdLimit: FD_LIMIT });
    const flood: HeldSocket[] = [];
    try {
      const base = await baseUrl(child);
      for (let i = 0; i < FLOOD; i++) flood.push(holdSocket(base, 'GET / HTTP/1.1\r\n'));
      // libuv closes what it cannot accept: some of ours are cut while the server is full.
      await until(() => flood.some((s) => s.closed), 'the server out of descriptors');
      const full = Date.now();
      await until(
        () => Date.now() - full > 1_000 || child.proc.exitCode !== null,
        'a second out of descriptors',
      );
      expect(child.proc.exitCode).toBeNull();
      for (const s of flood.splice(0)) s.close();
      await until(async () => (await request(`${base}/`).catch(() => null))?.status === 200, 'recovery');
      const s = await stats(base);
      expect(s.memory!.rssBytes).toBeGreaterThan(0);
      expect(s.sockets!.max).toBeNull();
    } finally {
      for (const s of flood) s.close();
      child.proc.kill('SIGTERM');
      expect(await child.exit).toBe(0);
    }
  });
});
