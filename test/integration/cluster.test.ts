/**
 * docs/protocol.md §10 against real processes and a real redis-server: `serve --workers 2` (one feed,
 * one queue, whichever process a connection lands on; a SIGKILLed worker replaced and its
 * followers losing nothing), and two `serve --redis URL` instances sharing one Redis.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../main/engine/cluster/redis-server';
import { WORKER_REPLACE_MS } from '../../common/limits';
import { post, request, stats, until } from './engine-client';
import { followPoll, followSse, followWs, httpText, range, type Follower } from './cluster-followers';
import { baseUrl, serve, type Child } from './serve-child';
import { startLoadGenerator } from '../../main/load/controller';
import { waitForReport } from '../fixtures/load-wait';

/** Starting several processes on a 2-core machine shared with other work can take a while. */
const START_MS = 90_000;

const urlOf = (child: Child) => baseUrl(child, START_MS - 5_000);

interface Workers {
  workers: { id: number; pid: number }[];
}
interface Jobs {
  depth: number;
  capacity: number;
  workers: number;
  busy: number;
  accepted: number;
  done: number;
}

const publish = async (base: string, data: string) => {
  const reply = await post(`${base}/feed`, data);
  if (reply.status !== 200) throw new Error(`publish: ${reply.status} ${reply.text}`);
  return reply.json<{ seq: number }>().seq;
};
/** /stats's process list; undefined when the request met a dying process (it has a deadline). */
async function workersNow(base: string): Promise<{ id: number; pid: number }[] | undefined> {
  try {
    const reply = await httpText(`${base}/stats`, { timeoutMs: 3000 });
    return (JSON.parse(reply.text) as Workers).workers;
  } catch {
    return undefined;
  }
}
const lastSeq = async (base: string) => (await stats(base)).feed!.lastSeq!;
const jobs = async (base: string) => (await request(`${base}/jobs`)).json<Jobs>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
  await child.exit;
}

/** Every follower got exactly from..to, in order, with the data published under each seq. */
function expectExactlyOnce(followers: Follower[], from: number, to: number, dataOf: Map<number, string>) {
  for (const f of followers) {
    expect(f.seqs).toEqual(range(from, to));
    expect(f.data).toEqual(range(from, to).map((s) => dataOf.get(s)));
  }
}

async function publishAll(bases: string[], n: number, prefix: string): Promise<Map<number, string>> {
  const dataOf = new Map<number, string>();
  // Each publish on a fresh connection: node:cluster spreads them over the processes.
  for (let i = 0; i < n; i++) {
    const data = `${prefix}${i}${i % 7 === 0 ? '\nline two' : ''}`;
    dataOf.set(await publish(bases[i % bases.length]!, data), data);
  }
  return dataOf;
}

describe('serve --workers 2 (private redis-server)', () => {
  let child: Child;
  let base: string;

  beforeAll(async () => {
    child = serve(['--port', '0', '--workers', '2']);
    base = await urlOf(child);
  }, START_MS);
  afterAll(() => stop(child));

  it('/stats keeps its shape and lists both processes', async () => {
    // Each process relays its figures through the primary: within a moment both are listed.
    await until(
      async () => new Set((await workersNow(base))?.map((w) => w.pid)).size === 2,
      'both workers listed',
    );
    const body = await stats(base);
    expect(body.eventLoop).toHaveProperty('p99Ms');
    expect(body.connections).toHaveProperty('wsFeed');
    expect(body.queue).toHaveProperty('capacity', 1000);
    const workers = (body as unknown as { workers: Record<string, unknown>[] }).workers;
    for (const w of workers) {
      expect(Object.keys(w).sort()).toEqual([
        'connections',
        'cpu',
        'eventLoop',
        'id',
        'memory',
        'pid',
        'sockets',
      ]);
    }
  });

  it('one feed: every follower on every transport gets each message once, in order', async () => {
    const start = await lastSeq(base);
    const ws = [followWs(base, start), followWs(base, start)];
    const sse = [followSse(base, start), followSse(base, start)];
    const polls = [followPoll(base, start), followPoll(base, start)];
    await Promise.all([...ws, ...sse].map((f) => f.opened));
    const dataOf = await publishAll([base], 150, 'w');
    const end = start + 150;
    const all = [...ws, ...sse, ...polls];
    await until(() => all.every((f) => f.seqs.length >= 150), 'every follower has all 150', 20_000);
    all.forEach((f) => f.stop());
    expectExactlyOnce(all, start + 1, end, dataOf);
    // The numbers are one sequence across both processes.
    expect([...dataOf.keys()]).toEqual(range(start + 1, end));
  });

  it('one queue: one capacity, one worker count, one set of counters', async () => {
    const set = await request(`${base}/jobs/workers`, { method: 'PUT', body: '{"workers": 1}' });
    expect(set.status).toBe(200);
    const first = (await post(`${base}/jobs?wait=0`, '{"count": 1500, "workMs": 5000}')).json<{
      accepted: number;
      rejected: number;
    }>();
    expect(first).toMatchObject({ accepted: 1000, rejected: 500 });
    // However many requests, on whichever process: the queue never holds more than its capacity.
    for (let i = 0; i < 6; i++) {
      const more = (await post(`${base}/jobs?wait=0`, '{"count": 10, "workMs": 0}')).json<{
        accepted: number;
      }>();
      const now = await jobs(base);
      expect(now.depth).toBeLessThanOrEqual(1000);
      expect(now.busy).toBeLessThanOrEqual(now.workers);
      expect(now.accepted).toBe(now.done + now.depth + now.busy);
      expect(more.accepted).toBeLessThanOrEqual(1);
    }
    await request(`${base}/jobs/workers`, { method: 'PUT', body: '{"workers": 1000}' });
    for (let i = 0; i < 4; i++) expect((await jobs(base)).workers).toBe(1000);
    await until(
      async () => {
        const j = await jobs(base);
        return j.done === j.accepted && j.depth === 0 && j.busy === 0;
      },
      'every accepted job done',
      20_000,
    );
    await request(`${base}/jobs/workers`, { method: 'PUT', body: '{"workers": 4}' });
  });

  it('a worker SIGKILLed under load is replaced within 5 s and followers lose nothing', async () => {
    await until(
      async () => ((await stats(base)) as unknown as Workers).workers.length === 2,
      'both workers reported',
    );
    const before = ((await stats(base)) as unknown as Workers).workers;
    const start = await lastSeq(base);
    const followers = [
      followWs(base, start),
      followWs(base, start),
      followSse(base, start),
      followSse(base, start),
    ];
    const polls = [followPoll(base, start)];
    await Promise.all(followers.map((f) => f.opened));
    let published = 0;
    const dataOf = new Map<number, string>();
    let publishing = true;
    const load = (async () => {
      while (publishing && published < 5000) {
        try {
          const data = `k${published}`;
          const reply = await httpText(`${base}/feed`, { method: 'POST', body: data, timeoutMs: 3000 });
          if (reply.status !== 200) continue;
          dataOf.set((JSON.parse(reply.text) as { seq: number }).seq, data);
          published++;
        } catch {
          // The publish landed on the dying process; the publisher tries again.
        }
      }
    })();
    await until(() => published >= 50, 'publishing under way');
    const victim = before[0]!.pid;
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await until(
      async () => {
        const now = await workersNow(base);
        return now?.length === 2 && !now.some((w) => w.pid === victim);
      },
      'a new process in place of the killed one',
      WORKER_REPLACE_MS,
    );
    const replacedMs = Date.now() - killedAt;
    const after = published;
    await until(() => published >= after + 50, 'publishing after the replacement');
    publishing = false;
    await load;
    // A publish whose process died before answering may still have been numbered: the last
    // message, published now that every process is up, bounds what every follower must receive.
    const last = await httpText(`${base}/feed`, { method: 'POST', body: 'last', timeoutMs: 5000 });
    const end = (JSON.parse(last.text) as { seq: number }).seq;
    dataOf.set(end, 'last');
    const all = [...followers, ...polls];
    await until(() => all.every((f) => f.seqs.length >= end - start), 'followers caught up', 20_000);
    all.forEach((f) => f.stop());
    for (const f of all) {
      expect(f.seqs).toEqual(range(start + 1, end));
      expect(f.data).toEqual(all[0]!.data);
      for (const [seq, data] of dataOf) expect(f.data[seq - start - 1]).toBe(data);
    }
    // Some followers were on the killed process and had to resume from their cursor.
    expect(followers.some((f) => f.resumes > 0)).toBe(true);
    expect(replacedMs).toBeLessThan(WORKER_REPLACE_MS);
    expect(child.stderr()).toMatch(/worker \d \(pid \d+\) exited \(SIGKILL\)/);
  }, 60_000);

  it("the load generator's followers resume after a worker kill: nothing lost, doubled or failed", async () => {
    const kinds = ['ws-feed', 'sse', 'long-poll'] as const;
    const lg = await startLoadGenerator({ target: base, reportIntervalMs: 200 });
    try {
      for (const kind of kinds) await lg.command({ type: 'spawn', kind, count: 4 });
      await waitForReport(lg, (r) => kinds.every((k) => r.kinds[k].active === 4), 30_000);
      // Every follower is registered with the server (a held poll included) before the first publish.
      await until(async () => {
        const c = (await stats(base)).connections!;
        return c.wsFeed! >= 4 && c.sse! >= 4 && c.longPoll! >= 4;
      }, 'the followers registered');
      const s0 = await lastSeq(base);
      let published = 0;
      let publishing = true;
      const load = (async () => {
        while (publishing && published < 5000) {
          const reply = await httpText(`${base}/feed`, {
            method: 'POST',
            body: `g${published}`,
            timeoutMs: 3000,
          }).catch(() => null);
          if (reply?.status === 200) published++;
        }
      })();
      await until(() => published >= 30, 'publishing under way');
      let before: { id: number; pid: number }[] = [];
      await until(async () => (before = (await workersNow(base)) ?? []).length === 2, 'both workers listed');
      process.kill(before[1]!.pid, 'SIGKILL');
      await until(
        async () => {
          const now = await workersNow(base);
          return now?.length === 2 && !now.some((w) => w.pid === before[1]!.pid);
        },
        'the killed worker replaced',
        WORKER_REPLACE_MS,
      );
      const after = published;
      await until(() => published >= after + 30, 'publishing after the replacement');
      publishing = false;
      await load;
      const last = await httpText(`${base}/feed`, { method: 'POST', body: 'last', timeoutMs: 5000 });
      const end = (JSON.parse(last.text) as { seq: number }).seq;
      const r = await waitForReport(
        lg,
        (x) => kinds.every((k) => x.kinds[k].received >= 4 * (end - s0)),
        30_000,
      );
      for (const k of kinds) {
        expect(r.kinds[k].received).toBe(4 * (end - s0));
        expect(r.kinds[k].integrity).toEqual({
          wrong: 0,
          missing: 0,
          duplicated: 0,
          outOfOrder: 0,
          expiredLost: 0,
        });
        expect(r.kinds[k].failures).toEqual({});
        expect(r.kinds[k].active).toBe(4);
      }
    } finally {
      await lg.close();
    }
  }, 90_000);
});

describe('two serve --redis instances over one redis-server', () => {
  let redis: RedisServer;
  let port: number;
  let a: Child;
  let b: Child;
  let baseA: string;
  let baseB: string;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer({ port });
    a = serve(['--port', '0', '--redis', redis.url]);
    b = serve(['--port', '0', '--redis', redis.url]);
    [baseA, baseB] = await Promise.all([urlOf(a), urlOf(b)]);
  }, START_MS);
  afterAll(async () => {
    await Promise.all([stop(a), stop(b)]);
    await redis.stop();
  });

  it('one feed: published on A, followed on B, exactly once, in order, on every transport', async () => {
    const start = await lastSeq(baseB);
    const ws = followWs(baseB, start);
    const sse = followSse(baseB, start);
    const poll = followPoll(baseB, start);
    await Promise.all([ws.opened, sse.opened]);
    const dataOf = await publishAll([baseA], 100, 'a');
    await until(() => [ws, sse, poll].every((f) => f.seqs.length >= 100), 'B delivered all 100', 20_000);
    [ws, sse, poll].forEach((f) => f.stop());
    expectExactlyOnce([ws, sse, poll], start + 1, start + 100, dataOf);
    // Publishes on both interleave into one sequence.
    const seqA = await publish(baseA, 'from A');
    const seqB = await publish(baseB, 'from B');
    expect(seqB).toBe(seqA + 1);
    expect((await request(`${baseA}/feed/poll?cursor=${seqA}`)).json()).toEqual({
      cursor: seqB,
      messages: [{ seq: seqB, data: 'from B' }],
    });
  });

  it('one queue: what A accepts B counts, and B resizes what A sees', async () => {
    await request(`${baseB}/jobs/workers`, { method: 'PUT', body: '{"workers": 1}' });
    const onA = (await post(`${baseA}/jobs?wait=0`, '{"count": 1000, "workMs": 3000}')).json<{
      accepted: number;
    }>();
    const onB = (await post(`${baseB}/jobs?wait=0`, '{"count": 5, "workMs": 0}')).json<{
      accepted: number;
    }>();
    expect(onA.accepted + onB.accepted).toBeLessThanOrEqual(1001);
    const seenA = await jobs(baseA);
    const seenB = await jobs(baseB);
    expect(seenA.capacity).toBe(1000);
    expect(seenA.accepted).toBe(seenB.accepted);
    expect(seenB.accepted).toBe(seenB.done + seenB.depth + seenB.busy);
    expect(seenA.workers).toBe(1);
    await request(`${baseB}/jobs/workers`, { method: 'PUT', body: '{"workers": 1000}' });
    expect((await jobs(baseA)).workers).toBe(1000);
    await until(
      async () => {
        const j = await jobs(baseA);
        return j.done === j.accepted;
      },
      'every job done',
      20_000,
    );
  });

  it('Redis going away: a notice, publishes refused with 503, recovery when it returns', async () => {
    const before = await publish(baseA, 'before');
    await redis.stop();
    await until(() => /lost Redis/.test(a.stderr()), 'the notice on A');
    const refused = await post(`${baseA}/feed`, 'during');
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ error: 'state_unavailable' });
    // The server keeps serving what does not need Redis.
    expect((await request(`${baseA}/`)).status).toBe(200);
    redis = await startRedisServer({ port });
    await until(
      () => /reconnected to Redis/.test(a.stderr()) && /reconnected to Redis/.test(b.stderr()),
      'both instances reconnected',
      15_000,
    );
    // An empty Redis (no persistence): numbering carries on after what the instances hold.
    const after = await publish(baseA, 'after');
    expect(after).toBe(before + 1);
    const got = (await request(`${baseB}/feed/poll?cursor=${before}`)).json();
    expect(got).toEqual({ cursor: after, messages: [{ seq: after, data: 'after' }] });
  }, 60_000);
});

describe('serve --workers without redis-server', () => {
  it(
    'says in one line to install it or pass --redis, and exits 2',
    async () => {
      const empty = mkdtempSync(join(tmpdir(), 'loopscope-no-redis-'));
      try {
        const proc = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'main/cli/index.ts',
            'serve',
            '--no-dashboard',
            '--workers',
            '2',
            '--port',
            '0',
          ],
          { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { ...process.env, PATH: empty } },
        );
        let err = '';
        proc.stderr.on('data', (c) => (err += c));
        proc.stdout.resume();
        const [code] = (await once(proc, 'exit')) as [number | null];
        expect(code).toBe(2);
        expect(err.trim().split('\n')).toHaveLength(1);
        expect(err).toMatch(/apt-get install redis-server/);
        expect(err).toMatch(/--redis/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    },
    START_MS,
  );
});
