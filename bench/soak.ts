/**
 * `npx tsx bench/soak.ts [--minutes 60] [--warmup-min 10] [--out FILE.json]`: an hour of mixed
 * load with faults (issue 22 item 4), against `serve --workers 2` sharing a Redis server of its
 * own, with the dashboard open in Chromium the whole time:
 *
 * - bcrypt cost 12 on a worker's loop every 2 minutes;
 * - a server worker SIGKILLed every 5 minutes (the primary starts its replacement);
 * - the Redis server stopped and started again once, half-way (persistence off: the feed's retained
 *   window is lost, which the protocol allows; nothing else may be);
 * - one of the two generator processes SIGKILLed once, at three quarters (the other goes on).
 *
 * Every 15 s it reads the RSS of each process by role (serve's primary, its workers, Redis, the
 * generators, the dashboard's renderer); at the end it prints integrity counts, failures by cause
 * and, per role, the RSS slope after the warm-up (least squares, MB per hour; a replaced worker's
 * tenure counts on its own). Shorter runs scale every period down with `--minutes`, or set them
 * (`--bcrypt-every-s`, `--kill-every-s`); `--no-kills` kills and restarts nothing, so each worker's
 * memory is judged over the whole run. test/alone/soak-short.test.ts runs it for 30 seconds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CLIENT_KINDS, type LoadReport } from '../common/load';
import { startRedisServer, type RedisServer } from '../main/engine/cluster/redis-server';
import { processTable, type Proc } from './proc-rss';
import { startLoadGenerator } from '../main/load/controller';
import { CHROMIUM, CHROMIUM_ARGS, startServe } from '../test/e2e/harness';
import { rssByRole, type RssSeries } from './soak-rss';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'warmup-min': { type: 'string' },
    /** Seconds between bcrypt runs and between worker kills (default: an hour's, scaled by --minutes). */
    'bcrypt-every-s': { type: 'string' },
    'kill-every-s': { type: 'string' },
    /** No process killed or restarted (bcrypt still runs): judges memory without replaced workers. */
    'no-kills': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
/** Every period is an hour's, scaled to the run's length. */
const SCALE = MINUTES / 60;
const WARMUP_MS = Number(values['warmup-min'] ?? 10 * SCALE) * 60_000;
const RUN_MS = MINUTES * 60_000;
const BCRYPT_EVERY_MS =
  values['bcrypt-every-s'] === undefined ? 120_000 * SCALE : Number(values['bcrypt-every-s']) * 1000;
const KILL_WORKER_EVERY_MS =
  values['kill-every-s'] === undefined ? 300_000 * SCALE : Number(values['kill-every-s']) * 1000;
const KILLS = values['no-kills'] !== true;
const SAMPLE_EVERY_MS = Math.max(2_000, 15_000 * SCALE);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** pid → its role and RSS samples. */
const series = new Map<number, RssSeries>();

const redisPort = await freePort();
let redis: RedisServer = await startRedisServer({ port: redisPort });
const serve = await startServe(['--workers', '2', '--redis', `redis://127.0.0.1:${redisPort}`]);
const profile = mkdtempSync(join(tmpdir(), 'loopscope-soak-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
});
const page = await browser.newPage();
await page.goto(serve.dashboardUrl);
const lg = await startLoadGenerator({ target: serve.serverUrl, processes: 2, connectTimeoutMs: 30_000 });
const faults: string[] = [];
const started = Date.now();
const at = () => `${((Date.now() - started) / 60_000).toFixed(1)} min`;

/** Whether `p` descends from a process `is` picks. */
function descends(p: Proc, byPid: Map<number, Proc>, is: (q: Proc) => boolean): boolean {
  for (let q = byPid.get(p.ppid); q; q = byPid.get(q.ppid)) if (is(q)) return true;
  return false;
}

function roleOf(p: Proc, byPid: Map<number, Proc>): string | null {
  if (p.pid === serve.child.pid) return 'serve primary';
  if (p.ppid === serve.child.pid && p.cmd.includes('node')) return 'serve worker';
  if (p.pid === redis.pid) return 'redis-server';
  if (lg.pids().includes(p.pid)) return 'generator';
  // The renderers under this profile's browser (no extensions run): the dashboard page's.
  const browser = (q: Proc) => q.cmd.includes(profile) && !q.cmd.includes('--type=');
  if (p.cmd.includes('--type=renderer') && descends(p, byPid, browser)) return 'dashboard renderer';
  return null;
}

function sample(): void {
  const t = Date.now() - started;
  const all = processTable();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  for (const p of all) {
    const role = roleOf(p, byPid);
    if (!role) continue;
    const s = series.get(p.pid) ?? { role, points: [] };
    s.points.push([t, p.rss]);
    series.set(p.pid, s);
  }
  series.set(process.pid, series.get(process.pid) ?? { role: 'soak driver', points: [] });
  series.get(process.pid)!.points.push([t, process.memoryUsage().rss]);
}

async function workerPids(): Promise<number[]> {
  const stats = (await (await fetch(`${serve.serverUrl}/stats`)).json()) as { workers?: { pid: number }[] };
  return (stats.workers ?? []).map((w) => w.pid);
}

let final: LoadReport | null = null;
try {
  await lg.command({
    type: 'spawn',
    kind: 'ws-prime',
    count: 1000,
    rampPerS: 200,
    options: { intervalMs: 2000 },
  });
  for (const kind of ['ws-feed', 'sse', 'long-poll'] as const)
    await lg.command({ type: 'spawn', kind, count: 200, rampPerS: 100 });
  await lg.command({ type: 'spawn', kind: 'http', count: 10, options: { intervalMs: 200 } });
  await lg.command({ type: 'publishRate', perS: 10 });
  log(`serve --workers 2 on ${serve.serverUrl}; redis :${redisPort}; dashboard open; ${MINUTES} min`);

  let nextBcrypt = BCRYPT_EVERY_MS;
  let nextKill = KILL_WORKER_EVERY_MS;
  let redisRestarted = false;
  let generatorKilled = false;
  let killed = 0;
  let nextSample = 0;
  let loggedFaults = 0;
  while (Date.now() - started < RUN_MS) {
    const t = Date.now() - started;
    if (t >= nextSample) {
      sample();
      nextSample += SAMPLE_EVERY_MS;
    }
    if (t >= nextBcrypt) {
      nextBcrypt += BCRYPT_EVERY_MS;
      const res = await fetch(`${serve.serverUrl}/bcrypt?mode=loop&cost=12`, { method: 'POST', body: 'x' });
      faults.push(`${at()}: bcrypt cost 12 on the loop → HTTP ${res.status}`);
      await res.body?.cancel();
    }
    if (KILLS && t >= nextKill) {
      nextKill += KILL_WORKER_EVERY_MS;
      const pids = await workerPids();
      const pid = pids[killed++ % Math.max(1, pids.length)];
      if (pid) {
        process.kill(pid, 'SIGKILL');
        faults.push(`${at()}: SIGKILL server worker ${pid}`);
      }
    }
    if (KILLS && !redisRestarted && t >= RUN_MS / 2) {
      redisRestarted = true;
      await redis.stop();
      redis = await startRedisServer({ port: redisPort });
      faults.push(`${at()}: redis-server stopped and started again (pid ${redis.pid})`);
    }
    if (KILLS && !generatorKilled && t >= (RUN_MS * 3) / 4) {
      generatorKilled = true;
      const pid = lg.pids()[1];
      if (pid) {
        process.kill(pid, 'SIGKILL');
        faults.push(`${at()}: SIGKILL generator process ${pid}`);
      }
    }
    for (const f of faults.slice(loggedFaults)) log(f);
    loggedFaults = faults.length;
    await sleep(500);
  }
  sample();
  final = await lg.finalReport(10_000);
} finally {
  await lg.close().catch(() => undefined);
  await browser.close().catch(() => undefined);
  await serve.stop();
  await redis.stop().catch(() => undefined);
}

// ---- the report ----
const integrity = { wrong: 0, missing: 0, duplicated: 0, outOfOrder: 0, expiredLost: 0 };
const failures: Record<string, number> = {};
for (const kind of CLIENT_KINDS) {
  const k = final?.kinds[kind];
  if (!k) continue;
  for (const key of Object.keys(integrity) as (keyof typeof integrity)[])
    integrity[key] += k.integrity[key] ?? 0;
  for (const [cause, n] of Object.entries(k.failures)) failures[`${kind}: ${cause}`] = n;
}
const result = {
  minutes: MINUTES,
  warmupMinutes: WARMUP_MS / 60_000,
  faults,
  integrity,
  failures,
  received: Object.fromEntries(CLIENT_KINDS.map((k) => [k, final?.kinds[k]?.received ?? 0])),
  rss: rssByRole([...series.values()], WARMUP_MS, RUN_MS),
};
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, JSON.stringify({ result, series: [...series.values()] }));
