/**
 * `npx tsx bench/cluster-hold.ts [--total N] [--hold-s S] [--processes P]`: hold 30,000 idle
 * WebSockets on `serve --workers 2` (docs/protocol.md §10), each worker holding its half, with 0
 * failures; the server's KB per connection is the RSS growth of serve's whole process tree
 * (primary, both workers, the warm spare, the private redis-server) over the connections.
 *
 * `ulimit -n` is 20,000 per process here, so neither side fits in one process: the generator runs
 * several processes (--processes, default 3 × 10,000), and node:cluster hands the connections to
 * the two workers in turn (15,000 each). The generator spreads its sockets over 16 loopback source
 * addresses (127.0.0.1 … 127.0.0.16, see main/load/target.ts), so one source address never
 * runs out of ephemeral ports.
 */
import { readFileSync } from 'node:fs';
import { treeRss } from './proc-rss';
import { parseArgs } from 'node:util';
import { startLoadGenerator, type LoadController } from '../main/load/controller';
import { failureCount, kindOf } from './scenarios/scenario';
import { startServer } from './servers';

const STARTUP_MS = 120_000;
const CONNECT_MS = 420_000;

const { values } = parseArgs({
  options: {
    total: { type: 'string', default: '30000' },
    'hold-s': { type: 'string', default: '30' },
    processes: { type: 'string', default: '3' },
    /** Connections opened per second: all at once overflows the listen backlog (SYN retries, timeouts). */
    'ramp-per-s': { type: 'string', default: '200' },
    /** node:cluster's scheduling: rr (the primary accepts and hands each socket over) or none (the kernel). */
    sched: { type: 'string', default: 'rr' },
  },
});
const TOTAL = Number(values.total);
const HOLD_S = Number(values['hold-s']);
const PROCESSES = Number(values.processes);
const RAMP = Number(values['ramp-per-s']);
const SCHED = values.sched === 'none' ? 'none' : 'rr';

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface WorkerEntry {
  id: number;
  pid: number;
  connections: { wsPrime: number };
}
async function workers(url: string): Promise<WorkerEntry[]> {
  return ((await (await fetch(`${url}/stats`)).json()) as { workers: WorkerEntry[] }).workers;
}

function totals(g: LoadController): { active: number; pending: number; failures: number } {
  const k = kindOf(g.latest(), 'ws-prime');
  return { active: k?.active ?? 0, pending: k?.pending ?? 0, failures: failureCount(k) };
}

const server = await startServer('loopscope', {
  args: ['--workers', '2'],
  env: { NODE_CLUSTER_SCHED_POLICY: SCHED },
  startupMs: STARTUP_MS,
});
const { url } = server;
const serverPid = server.pid;
const g = await startLoadGenerator({ target: url, processes: PROCESSES, connectTimeoutMs: 60_000 });
try {
  await sleep(3000); // the workers settle after start-up
  const rssBefore = treeRss(serverPid);
  console.error(
    `serve --workers 2 (sched ${SCHED}) on ${url}; tree RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB; load ${loadavg()}`,
  );
  const started = performance.now();
  await g.command({
    type: 'spawn',
    kind: 'ws-prime',
    count: TOTAL,
    rampPerS: RAMP,
    options: { intervalMs: 0 },
  });
  const deadline = Date.now() + CONNECT_MS;
  for (;;) {
    const t = totals(g);
    if (t.active >= TOTAL || (t.pending === 0 && t.active + t.failures >= TOTAL) || Date.now() > deadline)
      break;
    await sleep(500);
  }
  const connectS = (performance.now() - started) / 1000;
  console.error(`${totals(g).active}/${TOTAL} connected in ${connectS.toFixed(1)} s; holding ${HOLD_S} s`);
  let lowest = TOTAL;
  const holdUntil = Date.now() + HOLD_S * 1000;
  while (Date.now() < holdUntil) {
    await sleep(1000);
    lowest = Math.min(lowest, totals(g).active);
  }
  const perWorker = await workers(url);
  const rssAfter = treeRss(serverPid);
  const end = totals(g);
  const kb = (rssAfter - rssBefore) / Math.max(1, end.active) / 1024;
  const split = perWorker.map((w) => `worker ${w.id}: ${w.connections.wsPrime}`).join(', ');
  console.log('| figure | value |');
  console.log('| --- | --- |');
  console.log(`| idle WebSockets asked | ${TOTAL} |`);
  console.log(`| connected at the end | ${end.active} |`);
  console.log(`| fewest connected while holding ${HOLD_S} s | ${lowest} |`);
  console.log(`| failures | ${end.failures} |`);
  console.log(`| seconds to connect all | ${connectS.toFixed(1)} |`);
  console.log(`| per worker (/stats.workers) | ${split} |`);
  console.log(`| server KB per connection (RSS of serve's tree) | ${kb.toFixed(2)} |`);
  console.log(`| generator processes | ${PROCESSES} |`);
  console.log(`| node:cluster scheduling | ${SCHED} |`);
  console.log(`| generator ramp | ${RAMP}/s |`);
  console.log(`| load average (1/5/15 min) at the end | ${loadavg()} |`);
} finally {
  await g.close();
  await server.stop();
}
