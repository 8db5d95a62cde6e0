/**
 * generator: is the load generator ever the bottleneck? Loopscope's `load` and autocannon 9 drive
 * the same target (Loopscope's engine as `serve` runs it, started fresh for each) with the same
 * load, and each is charged the CPU its own process used (/proc for the generator's child,
 * process.cpuUsage inside autocannon's). Figures: keep-alive GET / requests per client CPU-second in
 * a closed loop (50 connections, one request in flight each), CPU per request at an equal 5,000
 * requests/s, and (Loopscope only: Artillery is not installable here) WebSocket CPU per 10k
 * messages at 1 msg/s from each of 5,000 ws-prime clients.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { KindReport } from '../../common/load';
import type { LoadController } from '../../main/engine/load/controller';
import { fmt, kindOf, sleep, waitFor, withGenerator, type Figures, type Scenario } from './scenario';

const CONNECTIONS = 50;
const EQUAL_RATE_PER_S = 5000;
const WS_CLIENTS = 5000;
/** Artillery 2's WebSocket figure measured on this machine for issue 11 (CPU-s per 10k messages). */
const ARTILLERY_WS_CPU_S_PER_10K = 0.63;
const CLOCK_TICKS_PER_S = 100;

function failures(k: KindReport): number {
  return Object.values(k.failures).reduce((a, b) => a + b, 0);
}

/** utime + stime of a process from /proc/<pid>/stat, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

interface ClientRun {
  /** Clients that connected (the ws phase measures what it got, and says so). */
  clients?: number;
  requests: number;
  seconds: number;
  cpuMs: number;
  p99Ms: number | null;
  errors: number;
}

/**
 * autocannon in a process of its own, charged process.cpuUsage() from just before the run (its
 * module load excluded, as the generator's start-up is) to its end.
 */
const AUTOCANNON = `
const autocannon = require('autocannon');
const [url, connections, duration, rate] = process.argv.slice(1).map((a, i) => (i === 0 ? a : Number(a)));
const start = process.cpuUsage();
autocannon({ url, connections, duration, ...(rate > 0 ? { overallRate: rate } : {}) }, (err, r) => {
  const used = process.cpuUsage(start);
  process.stdout.write(JSON.stringify(err ? { error: String(err) } : {
    requests: r.requests.total, seconds: duration, cpuMs: (used.user + used.system) / 1000,
    p99Ms: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx,
  }));
});`;

async function autocannon(url: string, durationS: number, rate: number): Promise<ClientRun> {
  const child = spawn(
    process.execPath,
    ['-e', AUTOCANNON, `${url}/`, `${CONNECTIONS}`, `${durationS}`, `${rate}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 30) * 1000);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const parsed = JSON.parse(out || '{}') as Partial<ClientRun> & { error?: string };
  if (code !== 0 || parsed.error || parsed.requests === undefined) {
    throw new Error(
      `autocannon failed (exit ${code}): ${parsed.error ?? out.slice(0, 200)} (is autocannon installed? npm i -D autocannon)`,
    );
  }
  return parsed as ClientRun;
}

/** Runs `spawn` on a fresh generator, warms up, then measures received replies and CPU for `durationS`. */
async function generatorRun(
  url: string,
  kind: 'http' | 'ws-prime',
  count: number,
  intervalMs: number,
  warmupMs: number,
  durationS: number,
): Promise<ClientRun> {
  return withGenerator(
    url,
    async (g: LoadController) => {
      await g.command({ type: 'spawn', kind, count, options: { intervalMs } });
      // Settled: every client connected or failed (a shared machine may time a few out).
      const settled = (): boolean => {
        const k = kindOf(g.latest(), kind);
        return k !== null && k.pending === 0 && k.active + failures(k) >= count;
      };
      await waitFor(settled, 60_000);
      const active = kindOf(g.latest(), kind)?.active ?? 0;
      if (active === 0) throw new Error(`none of ${count} ${kind} clients connected`);
      await sleep(warmupMs);
      const pids = g.pids();
      const before = kindOf(g.latest(), kind)!;
      const cpu0 = pids.reduce((t, pid) => t + cpuMs(pid), 0);
      const t0 = performance.now();
      await sleep(durationS * 1000);
      const after = kindOf(g.latest(), kind)!;
      const cpu1 = pids.reduce((t, pid) => t + cpuMs(pid), 0);
      return {
        requests: after.received - before.received,
        seconds: (performance.now() - t0) / 1000,
        cpuMs: cpu1 - cpu0,
        p99Ms: after.rtt.p99Ms,
        errors: failures(after) - failures(before),
        clients: active,
      };
    },
    kind === 'http' ? 1 : 'auto',
  );
}

export const generator: Scenario = {
  name: 'generator',
  title: 'generator: Loopscope `load` vs autocannon 9 on the same target, per client CPU-second',
  variants: [
    { label: 'loopscope load', server: 'loopscope' },
    { label: 'autocannon', server: 'loopscope' },
  ],
  metrics: [
    { key: 'perCpuS', label: 'GET /, 50 conns closed loop: requests per client CPU-second', digits: 0 },
    { key: 'perS', label: 'GET /, 50 conns closed loop: requests/s', digits: 0 },
    { key: 'p99Ms', label: 'GET /, 50 conns closed loop: p99 ms (last interval for load)', digits: 1 },
    { key: 'equalCpuUs', label: `GET / at ${EQUAL_RATE_PER_S} req/s: client CPU µs per request`, digits: 1 },
    { key: 'equalPerS', label: `GET / at ${EQUAL_RATE_PER_S} req/s: achieved requests/s`, digits: 0 },
    { key: 'errors', label: 'errors (all phases)', digits: 0 },
    { key: 'wsCpuSPer10k', label: 'ws 1 msg/s × clients: client CPU-s per 10k messages', digits: 3 },
    { key: 'wsClients', label: 'ws clients connected (of 5,000)', digits: 0 },
  ],
  async run({ server, quick, log, variant }) {
    const durationS = quick ? 3 : 10;
    const warmupMs = quick ? 1000 : 2000;
    const figures: Figures = {};
    let closed: ClientRun;
    let equal: ClientRun;
    if (variant.label === 'autocannon') {
      closed = await autocannon(server.url, durationS + warmupMs / 1000, 0);
      equal = await autocannon(server.url, durationS + warmupMs / 1000, EQUAL_RATE_PER_S);
      figures.wsCpuSPer10k = null;
      figures.wsClients = null;
    } else {
      closed = await generatorRun(server.url, 'http', CONNECTIONS, 0, warmupMs, durationS);
      // 50 clients, one request every 10 ms each: 5,000 requests/s in all.
      const interval = (CONNECTIONS * 1000) / EQUAL_RATE_PER_S;
      equal = await generatorRun(server.url, 'http', CONNECTIONS, interval, warmupMs, durationS);
      const wsClients = quick ? 1000 : WS_CLIENTS;
      const ws = await generatorRun(server.url, 'ws-prime', wsClients, 1000, warmupMs, durationS);
      figures.wsCpuSPer10k = ws.requests > 0 ? (ws.cpuMs / 1000) * (10_000 / ws.requests) : null;
      figures.wsClients = ws.clients ?? null;
      log(
        `  ws: ${ws.requests} messages from ${ws.clients ?? '?'} of ${wsClients} clients, ${fmt(ws.cpuMs / 1000, 2)} CPU-s`,
      );
    }
    figures.perCpuS = closed.cpuMs > 0 ? closed.requests / (closed.cpuMs / 1000) : null;
    figures.perS = closed.requests / closed.seconds;
    figures.p99Ms = closed.p99Ms;
    figures.equalCpuUs = equal.requests > 0 ? (equal.cpuMs * 1000) / equal.requests : null;
    figures.equalPerS = equal.requests / equal.seconds;
    figures.errors = closed.errors + equal.errors;
    log(
      `  ${variant.label}: ${fmt(figures.perCpuS, 0)} req per CPU-s, ${fmt(figures.perS, 0)} req/s; ` +
        `at ${EQUAL_RATE_PER_S}/s ${fmt(figures.equalCpuUs, 1)} µs CPU per request`,
    );
    return figures;
  },
  targets(m) {
    const l = m['loopscope load'] ?? {};
    const a = m.autocannon ?? {};
    const ratio = l.perCpuS != null && a.perCpuS ? l.perCpuS / a.perCpuS : null;
    const ws = l.wsCpuSPer10k;
    return [
      {
        target: 'HTTP requests per generator CPU-second ≥ 1.0× autocannon',
        met: ratio === null ? null : ratio >= 1,
        measured: `${fmt(ratio, 2)}× (${fmt(l.perCpuS, 0)} vs ${fmt(a.perCpuS, 0)})`,
      },
      {
        target: `WS CPU per 10k messages ≥ 1.35× better than Artillery's ${ARTILLERY_WS_CPU_S_PER_10K} CPU-s (issue 11's figure; Artillery is not run here)`,
        met: ws == null ? null : ARTILLERY_WS_CPU_S_PER_10K / ws >= 1.35,
        measured: ws == null ? 'n/a' : `${fmt(ws, 3)} CPU-s, ${fmt(ARTILLERY_WS_CPU_S_PER_10K / ws, 2)}×`,
      },
    ];
  },
};
