/**
 * docs/protocol.md §8 `requests` on the demo server: every request it answered, once, in the
 * window it finished in, by route (method and path, no query), timed from inside the process; a
 * second HTTP server in the same process (as the dashboard's is) is not counted; at most 20 routes.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSnapshot, RequestStats } from '../../common/snapshot';
import { createEngine, type Engine } from '../../main/engine/engine';
import { recordRequestsOf } from '../../main/requests/recorder';
import { request } from './engine-client';
import { until } from '../fixtures/poll';

let engine: Engine;
let other: http.Server;
let otherUrl = '';
const windows: RequestStats[] = [];

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampleIntervalMs: 250, stalls: false });
  engine.metrics.subscribe((s: EngineSnapshot) => windows.push(s.requests));
  other = http.createServer((_req, res) => res.end('not the demo server'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
});

afterAll(async () => {
  other?.close();
  await engine?.close();
});

/** Requests counted from now on, by route, once `total` of them have been seen. */
async function countedFrom(
  start: number,
  total: number,
): Promise<Map<string, { count: number; p99Ms: number }>> {
  const sum = () => windows.slice(start).reduce((t, w) => t + w.count, 0);
  await until(() => sum() >= total, `${total} requests in the windows`, 10_000);
  // One more window: a request counted twice would show here.
  const after = windows.length;
  await until(() => windows.length > after, 'one more window', 5_000);
  expect(sum()).toBe(total);
  const routes = new Map<string, { count: number; p99Ms: number }>();
  for (const w of windows.slice(start))
    for (const r of w.routes) {
      const seen = routes.get(r.route) ?? { count: 0, p99Ms: 0 };
      routes.set(r.route, { count: seen.count + r.count, p99Ms: Math.max(seen.p99Ms, r.p99Ms) });
    }
  return routes;
}

describe('requests, timed from inside the demo server (docs/protocol.md §8)', () => {
  it('counts each request once, by route without its query, with its own latency; not another server', async () => {
    const start = windows.length;
    for (let i = 0; i < 12; i++) expect((await request(`${engine.url}/?n=${i}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await request(`${engine.url}/slow?ms=120`)).status).toBe(200);
    for (let i = 0; i < 5; i++) await request(otherUrl);
    const routes = await countedFrom(start, 15);
    expect(routes.get('GET /')?.count).toBe(12);
    expect(routes.get('GET /slow')?.count).toBe(3);
    // Timed inside the server: /slow waits its 120 ms there; GET / answers at once.
    expect(routes.get('GET /slow')!.p99Ms).toBeGreaterThanOrEqual(115);
    expect(routes.get('GET /')!.p99Ms).toBeLessThan(100);
    expect([...routes.keys()].sort()).toEqual(['GET /', 'GET /slow']);
    // /stats carries the same block.
    const stats = (await (await request(`${engine.url}/stats`)).json()) as { requests: RequestStats };
    expect(Object.keys(stats.requests).sort()).toEqual(['count', 'maxMs', 'p50Ms', 'p99Ms', 'routes']);
  });

  it('keeps at most 20 routes a window, the rest summed as "other"', async () => {
    // The recorder alone, over a server of this test's: one window, taken when the test says.
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const recorder = recordRequestsOf(server);
    try {
      for (let i = 0; i < 30; i++) await request(`${url}/path-${i}?q=${i}`);
      for (let i = 0; i < 4; i++) await request(`${url}/path-0`);
      const w = recorder.take();
      expect(w.count).toBe(34);
      expect(w.routes).toHaveLength(20);
      // The first 19 routes seen keep their names; the later ones are "other". Busiest first.
      expect(w.routes.slice(0, 2)).toMatchObject([
        { route: 'other', count: 11 },
        { route: 'GET /path-0', count: 5 },
      ]);
      expect(w.routes.reduce((t, r) => t + r.count, 0)).toBe(34);
      // The next window starts empty, and a removed recorder counts nothing more.
      expect(recorder.take().count).toBe(0);
      recorder.remove();
      await request(`${url}/after`);
      expect(recorder.take().count).toBe(0);
    } finally {
      recorder.remove();
      server.close();
    }
  });
});
