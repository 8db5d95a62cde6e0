import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startRedisServer, type RedisServer } from '../../main/engine/cluster/redis-server';
import { isLoopscopeError } from '../../common/errors';
import { post, request, stats, until } from './engine-client';

let engine: Engine;
let base: string;
/** engine-http-redis.test.ts runs this whole file again with the queue and feed in a real Redis (§10). */
let redis: RedisServer | null = null;

beforeAll(async () => {
  if (process.env.LOOPSCOPE_TEST_STATE === 'redis') redis = await startRedisServer();
  engine = await createEngine({ port: 0, sampleIntervalMs: 250, bcryptThreads: 1, redis: redis?.url });
  base = engine.url;
});
afterAll(async () => {
  await engine.close();
  await redis?.stop();
});

async function expectError(
  promise: Promise<{ status: number; text: string; headers: Record<string, unknown> }>,
  status: number,
  code: string,
  mention?: string,
) {
  const reply = await promise;
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(reply.text) as { error: string; message: string };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  if (mention) expect(body.message).toContain(mention);
  return body;
}

describe('general rules', () => {
  it('GET / says hello in plain text', async () => {
    const reply = await request(`${base}/`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    expect(reply.text).toBe('Hello, world');
  });

  it('HEAD works wherever GET does, except on the SSE stream', async () => {
    const head = await request(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe('12');
    const stream = await request(`${base}/feed/events`, { method: 'HEAD' });
    expect(stream.status).toBe(405);
  });

  it('reports the chosen port for port 0', () => {
    expect(engine.port).toBeGreaterThan(0);
    expect(engine.url).toBe(`http://127.0.0.1:${engine.port}`);
  });

  it('unknown paths are 404 not_found for any method', async () => {
    await expectError(request(`${base}/nope`), 404, 'not_found');
    await expectError(request(`${base}/slow/extra`, { method: 'POST' }), 404, 'not_found');
  });

  it('known path, wrong method: 405 with an Allow header', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/', 'GET'],
      ['POST', '/stats', 'GET'],
      ['GET', '/feed', 'POST'],
      ['PUT', '/bcrypt', 'POST'],
      ['GET', '/jobs/workers', 'PUT'],
    ];
    for (const [method, path, allowed] of cases) {
      const reply = await request(`${base}${path}`, { method });
      await expectError(Promise.resolve(reply), 405, 'method_not_allowed');
      expect(String(reply.headers.allow)).toContain(allowed);
    }
    const jobs = await request(`${base}/jobs`, { method: 'DELETE' });
    expect(String(jobs.headers.allow).split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('a plain request to a WebSocket path is told to upgrade', async () => {
    await expectError(request(`${base}/ws/prime`), 426, 'upgrade_required');
  });

  it('bodies over 64 KiB get 413 without being read, announced or chunked; the server carries on', async () => {
    const limit = 64 * 1024;
    expect((await post(`${base}/feed`, Buffer.alloc(limit, 'a'))).status).toBe(200);
    await expectError(post(`${base}/feed`, Buffer.alloc(limit + 1, 'a')), 413, 'payload_too_large');
    // The rule is general: a route that reads no body refuses one that is too big as well.
    await expectError(
      request(`${base}/slow?ms=0`, {
        body: Buffer.alloc(limit + 1),
        headers: { 'content-length': String(limit + 1) },
      }),
      413,
      'payload_too_large',
    );
    // Chunked, no content-length, 4 MiB: the server must answer 413 and stop reading.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/feed`, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'b');
      let sent = 0;
      const pump = () => {
        while (sent < 64) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }).catch((err: NodeJS.ErrnoException) => ({ status: -1, body: err.code ?? String(err) }));
    // Either the 413 arrived or the server cut the upload; it must never have read it all.
    if (chunked.status !== -1) {
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error).toBe('payload_too_large');
    }
    const s = await stats(base);
    expect(s.feed!.lastSeq).toBe(1);
    expect((await request(`${base}/`)).status).toBe(200);
  });
});

describe('400 bad_request names the parameter and its range', () => {
  const cases: [string, string, string | Buffer | undefined, string][] = [
    ['GET', '/slow?ms=-1', undefined, 'ms'],
    ['GET', '/slow?ms=60001', undefined, '60000'],
    ['GET', '/slow?ms=abc', undefined, 'ms'],
    ['GET', '/slow?ms=1.5', undefined, 'ms'],
    ['GET', '/slow?ms=', undefined, 'ms'],
    ['GET', '/slow?ms=1e3', undefined, 'ms'],
    ['GET', '/aggregate?calls=0', undefined, 'calls'],
    ['GET', '/aggregate?calls=51', undefined, '50'],
    ['GET', '/aggregate?ms=60001', undefined, 'ms'],
    ['GET', '/aggregate?sequential=yes', undefined, 'sequential'],
    ['GET', '/feed/poll?cursor=-1', undefined, 'cursor'],
    ['GET', '/feed/poll?cursor=abc', undefined, 'cursor'],
    ['GET', '/feed/poll?timeout=0', undefined, 'timeout'],
    ['GET', '/feed/poll?timeout=121', undefined, '120'],
    ['GET', '/feed/events?cursor=x', undefined, 'cursor'],
    ['POST', '/feed', Buffer.from([0xff, 0xfe, 0x41]), 'UTF-8'],
    ['POST', '/jobs', 'not json', 'JSON'],
    ['POST', '/jobs', '[1,2]', 'JSON'],
    ['POST', '/jobs', '{"workMs": 1}', 'count'],
    ['POST', '/jobs', '{"count": 0, "workMs": 1}', 'count'],
    ['POST', '/jobs', '{"count": 100001, "workMs": 1}', '100000'],
    ['POST', '/jobs', '{"count": 1.5, "workMs": 1}', 'count'],
    ['POST', '/jobs', '{"count": "5", "workMs": 1}', 'count'],
    ['POST', '/jobs', '{"count": 1, "workMs": -1}', 'workMs'],
    ['POST', '/jobs', '{"count": 1, "workMs": 10001}', '10000'],
    ['POST', '/jobs', '{"count": 1}', 'workMs'],
    ['POST', '/jobs?wait=2', '{"count": 1, "workMs": 1}', 'wait'],
    ['PUT', '/jobs/workers', '{"workers": 0}', 'workers'],
    ['PUT', '/jobs/workers', '{"workers": 1001}', '1000'],
    ['PUT', '/jobs/workers', '{}', 'workers'],
    ['POST', '/bcrypt?mode=loop&cost=3', 'pw', 'cost'],
    ['POST', '/bcrypt?mode=loop&cost=15', 'pw', '14'],
    ['POST', '/bcrypt', 'pw', 'mode'],
    ['POST', '/bcrypt?mode=gpu', 'pw', 'mode'],
    ['POST', '/bcrypt?mode=loop', '', 'password'],
    ['POST', '/bcrypt?mode=loop', 'x'.repeat(73), '72'],
  ];
  for (const [method, path, body, mention] of cases) {
    it(`${method} ${path} ${body === undefined ? '' : JSON.stringify(String(body).slice(0, 30))}`, async () => {
      await expectError(request(`${base}${path}`, { method, body }), 400, 'bad_request', mention);
    });
  }
});

describe('§2 /slow and §3 /aggregate', () => {
  it('waits N ms without blocking anyone else', async () => {
    const start = performance.now();
    const slow = request(`${base}/slow?ms=400`);
    const hello = await request(`${base}/`);
    const helloMs = performance.now() - start;
    expect(hello.status).toBe(200);
    expect(helloMs).toBeLessThan(300);
    const reply = await slow;
    expect(reply.json()).toEqual({ waitedMs: 400 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(399);
    expect((await request(`${base}/slow`)).json()).toEqual({ waitedMs: 100 });
  });

  it('counts an in-flight /slow as a plain HTTP connection', async () => {
    const slow = request(`${base}/slow?ms=1500`);
    // /stats itself is in flight too, hence 2.
    await until(async () => (await stats(base)).connections!.http === 2, 'http gauge = 2');
    await slow;
    await until(async () => (await stats(base)).connections!.http === 1, 'http gauge back to 1');
  });

  it('concurrent fan-out takes about N ms, sequential about K×N', async () => {
    const concurrent = (await request(`${base}/aggregate?calls=10&ms=300`)).json();
    expect(concurrent).toMatchObject({ calls: 10, ms: 300, mode: 'concurrent' });
    expect(concurrent.elapsedMs).toBeGreaterThanOrEqual(299);
    expect(concurrent.elapsedMs).toBeLessThan(900);
    const sequential = (await request(`${base}/aggregate?calls=4&ms=150&sequential=1`)).json();
    expect(sequential).toMatchObject({ calls: 4, ms: 150, mode: 'sequential' });
    expect(sequential.elapsedMs).toBeGreaterThanOrEqual(600);
    expect((await request(`${base}/aggregate?ms=0`)).json()).toMatchObject({ calls: 5, ms: 0 });
  });
});

describe('§6 jobs', () => {
  it('accepts with back-pressure, keeps the invariant at every sample, resizes live', async () => {
    const put = post(`${base}/jobs`, JSON.stringify({ count: 3000, workMs: 2 }));
    let samples = 0;
    let sawFull = false;
    let resized = false;
    for (;;) {
      const s = (await request(`${base}/jobs`)).json<Record<string, number>>();
      expect(Object.keys(s).sort()).toEqual(['accepted', 'busy', 'capacity', 'depth', 'done', 'workers']);
      expect(s.accepted).toBe(s.done! + s.depth! + s.busy!);
      expect(s.depth).toBeLessThanOrEqual(1000);
      if (s.depth === 1000) sawFull = true;
      samples++;
      if (!resized && s.done! > 200) {
        const r = await request(`${base}/jobs/workers`, { method: 'PUT', body: '{"workers": 200}' });
        expect(r.status).toBe(200);
        expect(r.json()).toMatchObject({ workers: 200, capacity: 1000 });
        resized = true;
      }
      if (s.done === 3000) break;
    }
    const reply = await put;
    expect(reply.status).toBe(202);
    expect(reply.json()).toMatchObject({ accepted: 3000 });
    expect(samples).toBeGreaterThan(5);
    expect(sawFull).toBe(true);
    expect(resized).toBe(true);
    engine.jobs.setWorkers(4);
  });

  it('wait=0 takes what fits and rejects the rest', async () => {
    engine.jobs.setWorkers(1);
    const reply = await post(`${base}/jobs?wait=0`, JSON.stringify({ count: 1500, workMs: 0 }));
    expect(reply.status).toBe(202);
    const body = reply.json<Record<string, number>>();
    expect(body.accepted! + body.rejected!).toBe(1500);
    expect(body.rejected).toBeGreaterThanOrEqual(499);
    expect(body.depth).toBeLessThanOrEqual(1000);
    await until(
      () => engine.jobs.stats().depth === 0 && engine.jobs.stats().busy === 0,
      'queue drained',
      20_000,
    );
    engine.jobs.setWorkers(4);
  });

  it('the engine API enqueues too', async () => {
    const result = await engine.jobs.enqueue(10, 0, { wait: true });
    expect(result).toMatchObject({ accepted: 10, rejected: 0 });
  });
});

describe('§8 /stats and /metrics', () => {
  it('/stats carries every field of the protocol', async () => {
    const s = await stats(base);
    expect(typeof s.time).toBe('number');
    expect(typeof s.uptimeS).toBe('number');
    expect(Object.keys(s.connections!).sort()).toEqual(['http', 'longPoll', 'sse', 'wsFeed', 'wsPrime']);
    for (const k of ['p50Ms', 'p99Ms', 'maxMs', 'utilization']) expect(typeof s.eventLoop![k]).toBe('number');
    for (const k of ['depth', 'capacity', 'workers', 'busy', 'accepted', 'done'])
      expect(typeof s.queue![k]).toBe('number');
    for (const k of ['lastSeq', 'oldestSeq']) expect(typeof s.feed![k]).toBe('number');
    for (const k of ['httpPerS', 'wsInPerS', 'wsOutPerS', 'publishedPerS'])
      expect(typeof s.rates![k]).toBe('number');
    expect(s.memory!.rssBytes).toBeGreaterThan(0);
    expect(s.memory!.heapUsedBytes).toBeGreaterThan(0);
    expect(typeof s.cpu!.percent).toBe('number');
  });

  it('rates follow traffic and snapshots arrive once per interval', async () => {
    const snaps: number[] = [];
    const off = engine.metrics.subscribe((s) => snaps.push(s.rates.httpPerS));
    await Promise.all(Array.from({ length: 100 }, () => request(`${base}/`)));
    await until(() => snaps.some((r) => r > 0), 'a snapshot with httpPerS > 0', 3_000);
    off();
    expect(engine.metrics.intervalMs).toBe(250);
    engine.metrics.setIntervalMs(300);
    expect(engine.metrics.intervalMs).toBe(300);
    expect(() => engine.metrics.setIntervalMs(249)).toThrow();
    engine.metrics.setIntervalMs(250);
  });

  it('/metrics speaks Prometheus, with Node defaults, on a registry per engine', async () => {
    const other = await createEngine({ port: 0 });
    try {
      for (const url of [base, other.url]) {
        const reply = await request(`${url}/metrics`);
        expect(reply.status).toBe(200);
        expect(reply.headers['content-type']).toMatch(/^text\/plain/);
        expect(reply.text).toMatch(/^loopscope_connections\{kind="wsPrime"\} \d+$/m);
        expect(reply.text).toMatch(/^loopscope_event_loop_delay_p99_seconds [\d.e-]+$/m);
        expect(reply.text).toMatch(/^loopscope_http_requests_total \d+$/m);
        expect(reply.text).toMatch(/^process_cpu_user_seconds_total /m);
        expect(reply.text).toMatch(/^nodejs_heap_size_used_bytes /m);
      }
    } finally {
      await other.close();
    }
  });
});

/** Debian's `prometheus` package; .ci/run installs it. */
const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version']).status === 0;
if (!hasPromtool)
  console.warn(`skipping the promtool check: ${PROMTOOL} is not installed (apt-get install prometheus)`);

/** A sample's value as the text format allows it: a Go float, with NaN/+Inf/-Inf spelled exactly. */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (NaN|[+-]Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/;

describe('§8 /metrics is valid exposition text', () => {
  it.skipIf(!hasPromtool)('promtool check metrics accepts the whole of it', async () => {
    // A fresh engine's first scrape: Node's event-loop-lag histogram is still empty, so its
    // mean is NaN, the value prom-client used to misspell.
    const fresh = await createEngine({ port: 0 });
    try {
      const text = (await request(`${fresh.url}/metrics`)).text;
      expect(text).toMatch(/ NaN$/m);
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('every sample line parses, special values are spelled NaN/+Inf/-Inf, and values round-trip', async () => {
    const fresh = await createEngine({ port: 0, queueCapacity: 321 });
    try {
      const text = (await request(`${fresh.url}/metrics`)).text;
      const typed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const values = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const m = SAMPLE.exec(line);
        expect(m, line).not.toBeNull();
        const [, name, labels, value] = m!;
        const family = name!.replace(/_(bucket|sum|count)$/, '');
        expect(typed.has(name!) || typed.has(family), `${name} has a # TYPE line`).toBe(true);
        values.set(name! + (labels ?? ''), Number(value));
      }
      expect(values.get('loopscope_queue_capacity')).toBe(321);
      expect(values.get('loopscope_connections{kind="http"}')).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe('errors from the engine API', () => {
  it('a port in use rejects with port_in_use', async () => {
    try {
      await createEngine({ port: engine.port });
      expect.unreachable('second engine on the same port');
    } catch (err) {
      expect(isLoopscopeError(err) && err.code).toBe('port_in_use');
      expect(isLoopscopeError(err) && err.details).toEqual({ host: '127.0.0.1', port: engine.port });
    }
  });

  it('an upstream failure during /aggregate is 502 upstream_failed', async () => {
    const victim = await createEngine({ port: 0, closeGraceMs: 5_000 });
    // Calls long enough that a loaded machine still closes the server before the last one starts.
    const pending = request(`${victim.url}/aggregate?calls=3&ms=1500&sequential=1`);
    await until(
      async () => (await stats(victim.url)).connections!.http! >= 3,
      'aggregate and its first call in flight',
    );
    // Stop listening: the next upstream call cannot connect; the aggregate reply still goes out.
    const closing = victim.close();
    const reply = await pending;
    await closing;
    expect(reply.status).toBe(502);
    expect(reply.json().error).toBe('upstream_failed');
  });
});
