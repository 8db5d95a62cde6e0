import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeCode, openSse, openWs, request, stats, until, wsUrl } from './engine-client';
import { baseUrl, serve as serveChild } from './serve-child';

const serve = (...args: string[]) => serveChild(args);

describe('npm run serve', () => {
  it('prints its URL, then on SIGTERM answers held polls, closes sockets with 1001, ends SSE, exits 0', async () => {
    const child = serve('--port', '0', '--sample-ms', '250');
    try {
      await until(() => /\n/.test(child.stdout()), 'the listening line', 20_000);
      const line = child.stdout().trim();
      expect(line).toMatch(/^demo server listening on http:\/\/127\.0\.0\.1:\d+$/);
      const base = line.slice('demo server listening on '.length);
      expect(Number(new URL(base).port)).toBeGreaterThan(0);
      expect((await request(`${base}/`)).text).toBe('Hello, world');

      const poll = request(`${base}/feed/poll?timeout=60`);
      const feed = await openWs(wsUrl(base, '/ws/feed'));
      const prime = await openWs(wsUrl(base, '/ws/prime'));
      const sse = openSse(`${base}/feed/events`);
      await sse.ready;
      await until(async () => {
        const c = (await stats(base)).connections!;
        return c.longPoll === 1 && c.wsFeed === 1 && c.wsPrime === 1 && c.sse === 1;
      }, 'every kind of connection open');
      const feedClosed = closeCode(feed.ws);
      const primeClosed = closeCode(prime.ws);

      child.proc.kill('SIGTERM');
      const reply = await poll;
      expect(reply.status).toBe(200);
      expect(reply.json()).toEqual({ cursor: 0, messages: [] });
      expect(await feedClosed).toBe(1001);
      expect(await primeClosed).toBe(1001);
      await until(() => sse.ended, 'the SSE stream to end');
      // Exits by itself: nothing (timer, socket, worker) is left holding the process open.
      expect(await child.exit).toBe(0);
      expect(child.stderr()).toBe('');
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('SIGINT is graceful too', async () => {
    const child = serve('--port', '0');
    await until(() => child.stdout().includes('listening'), 'the listening line', 20_000);
    child.proc.kill('SIGINT');
    expect(await child.exit).toBe(0);
  });

  it('a port in use: one line naming the port and --port, exit 1, no stack trace', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    try {
      const child = serve('--port', String(port));
      expect(await child.exit).toBe(1);
      const lines = child.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(String(port));
      expect(lines[0]).toContain('--port');
      expect(child.stdout()).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('--no-sampler: no periodic windows, /stats samples on request (what the overhead bench compares)', async () => {
    const child = serve('--port', '0', '--no-sampler');
    try {
      const base = await baseUrl(child);
      // Past the first 1 s window, so a sampler left running would report ~1000 ms windows.
      await new Promise((r) => setTimeout(r, 1300));
      await stats(base);
      await new Promise((r) => setTimeout(r, 100));
      const second = await stats(base);
      expect(second.intervalMs).toBeLessThan(500);
      expect(second.eventLoop).toBeDefined();
    } finally {
      child.proc.kill('SIGTERM');
      expect(await child.exit).toBe(0);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const child = serve('--help');
    expect(await child.exit).toBe(0);
    expect(child.stdout()).toMatch(/^usage: npm run serve -- .*--port N/);
  });

  it('bad flags: a clear message and exit 2', async () => {
    const cases = [['--bogus'], ['--port', '70000'], ['--port', 'abc'], ['--sample-ms', '100'], ['extra']];
    const children = cases.map((args) => serve(...args));
    for (const [i, child] of children.entries()) {
      expect(await child.exit, cases[i]!.join(' ')).toBe(2);
      expect(child.stderr()).toMatch(/^serve: .+\nusage: /);
      expect(child.stderr()).not.toMatch(/\n\s+at /);
    }
  });
});
