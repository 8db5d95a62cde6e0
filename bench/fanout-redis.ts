/**
 * `npx tsx bench/fanout-redis.ts [FOLLOWERS]`: fan-out through Redis (docs/protocol.md §10). FOLLOWERS
 * (default 5,000) /ws/feed followers, 10 publishes one at a time, delivery latency measured by the
 * load generator's followers from the publish time in each payload:
 *  - in memory: one `serve`, every follower on it;
 *  - through Redis: two `serve --redis` instances over one redis-server, half the followers on each
 *    (one generator per instance), every message published on the first.
 */
import type { LoadReport } from '../common/load';
import { startRedisServer } from '../main/engine/cluster/redis-server';
import { startLoadGenerator, type LoadController } from '../main/load/controller';
import { epochNow } from '../main/load/feed-tracker';
import { startServer } from './servers';

const FOLLOWERS = Number(process.argv[2] ?? 5000);
const PUBLISHES = 10;
const DEADLINE_MS = 180_000;

const startServe = (args: string[]) => startServer('loopscope', { args, startupMs: DEADLINE_MS });

function waitReport(g: LoadController, ok: (r: LoadReport) => boolean): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`deadline; last ${JSON.stringify(g.latest()?.kinds['ws-feed'])}`)),
      DEADLINE_MS,
    );
    const check = (r: LoadReport) => {
      if (!ok(r)) return;
      clearTimeout(timer);
      off();
      resolve(r);
    };
    const off = g.onReport(check);
    const now = g.latest();
    if (now) check(now);
  });
}

async function run(label: string, followUrls: string[], publishUrl: string): Promise<string> {
  const per = Math.floor(FOLLOWERS / followUrls.length);
  const gens = await Promise.all(
    followUrls.map((target) => startLoadGenerator({ target, reportIntervalMs: 250 })),
  );
  try {
    for (const g of gens) await g.command({ type: 'spawn', kind: 'ws-feed', count: per, rampPerS: 0 });
    // Every follower connected or counted as failed (a connect timeout on a busy machine).
    const fails = (r: LoadReport) => Object.values(r.kinds['ws-feed'].failures).reduce((s, v) => s + v, 0);
    const settled = await Promise.all(
      gens.map((g) => waitReport(g, (r) => r.kinds['ws-feed'].active + fails(r) >= per)),
    );
    const connected = settled.map((r) => r.kinds['ws-feed'].active);
    for (let n = 0; n < PUBLISHES; n++) {
      const body = `{"t":${epochNow().toFixed(3)},"n":${n},"g":${process.pid}}`;
      const res = await fetch(`${publishUrl}/feed`, { method: 'POST', body });
      if (!res.ok) throw new Error(`publish: ${res.status}`);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 200)); // spaced publishes, as the fanout scenario
    }
    const reports = await Promise.all(
      gens.map((g, i) => waitReport(g, (r) => r.kinds['ws-feed'].received >= connected[i]! * PUBLISHES)),
    );
    const k = reports.map((r) => r.kinds['ws-feed']);
    const p50 = Math.max(...k.map((x) => x.cumulative!.delivery.p50Ms));
    const p99 = Math.max(...k.map((x) => x.cumulative!.delivery.p99Ms));
    const max = Math.max(...k.map((x) => x.cumulative!.delivery.maxMs));
    const lost = k.reduce((a, x) => a + x.integrity.missing + x.integrity.expiredLost, 0);
    const dup = k.reduce((a, x) => a + x.integrity.duplicated + x.integrity.outOfOrder, 0);
    const failures = k.reduce((a, x) => a + Object.values(x.failures).reduce((s, v) => s + v, 0), 0);
    const row = `| ${label} | ${connected.reduce((x, y) => x + y, 0)} of ${per * followUrls.length} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${max.toFixed(1)} | ${lost} | ${dup} | ${failures} |`;
    console.error(row);
    return row;
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

const rows: string[] = [];
{
  const one = await startServe([]);
  try {
    rows.push(await run('in memory, 1 process', [one.url], one.url));
  } finally {
    await one.stop();
  }
}
{
  const redis = await startRedisServer();
  const a = await startServe(['--redis', redis.url]);
  const b = await startServe(['--redis', redis.url]);
  try {
    rows.push(await run('Redis, 2 instances (publish on the first)', [a.url, b.url], a.url));
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
}
console.log(
  '| feed | ws followers | delivery p50 ms | p99 ms | max ms | lost | duplicated / out of order | failures |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
