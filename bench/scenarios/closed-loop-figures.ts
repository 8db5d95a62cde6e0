/**
 * Closed-loop throughput, measured the same way wherever the bench needs it (prime, hello,
 * overhead, bench/stalls.ts, bench/cluster.ts): Loopscope's own load generator, each of N
 * connections keeping `inFlight` requests outstanding and sending the next as a reply arrives
 * (`intervalMs: 0`), like wrk or autocannon. After a warm-up (connections open, JIT warm) the
 * generator restarts its measurement (`restartMeasurement`), so throughput and RTT percentiles
 * cover the measured window only, from the generator's own histograms.
 */
import type { LoadReport } from '../../common/load';
import type { LoadController } from '../../main/load/controller';
import {
  failureCount,
  kindOf,
  processCpuMs,
  sleep,
  waitFor,
  withGenerator,
  type Figures,
  type Metric,
  type ScenarioContext,
  type TargetCheck,
  fmt,
} from './scenario';

export interface ClosedLoopJob {
  /** prime: ws-prime questions on /ws/prime, every answer checked; hello: keep-alive GET /. */
  mode: 'prime' | 'hello';
  url: string;
  connections: number;
  /** Requests each connection keeps outstanding. */
  inFlight: number;
  /** Load before measuring starts. */
  warmupMs: number;
  durationMs: number;
  /**
   * Generator processes (default 1, as the old client had): on two cores the server takes one and
   * the generator the other, so a second generator process would only take CPU from the server.
   */
  processes?: number;
}

export interface ClosedLoopResult {
  /** Replies received in the measured window. */
  replies: number;
  perS: number;
  /** RTT of the requests sent in the window (the generator's cumulative histogram after the restart). */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** ws-prime answers that disagree with the known verdict (a whole-run count: a wrong answer in the warm-up is still wrong). */
  wrong: number;
  /** Failed connections and requests of any cause, over the whole run likewise. */
  errors: number;
  /** Server CPU (user + system) per reply over the window, µs; null without a way to read it. */
  serverCpuUsPerReply: number | null;
  /** The generator's own event-loop p99, worst report of the window: high means it delayed what it measured. */
  generatorLoopP99Ms: number;
  /** CPU of the busiest generator process over the window, % of one core. */
  generatorCpuPct: number;
}

const CONNECT_MS = 30_000;
const REPORT_INTERVAL_MS = 250;

/** The first report the generator publishes after this call. */
function nextReport(g: LoadController): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('the load generator sent no report'));
    }, 20 * REPORT_INTERVAL_MS);
    const off = g.onReport((r) => {
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

/**
 * `serverCpuMs`: the server's CPU time so far (all its processes, for a cluster), to charge it per
 * reply, a figure that varies far less than throughput when other processes compete for the cores.
 */
export function measureClosedLoop(job: ClosedLoopJob, serverCpuMs?: () => number): Promise<ClosedLoopResult> {
  const kind = job.mode === 'prime' ? 'ws-prime' : 'http';
  return withGenerator(
    job.url,
    async (g, health) => {
      await g.command({
        type: 'spawn',
        kind,
        count: job.connections,
        options: { intervalMs: 0, inFlight: job.inFlight, ...(kind === 'http' ? { path: '/' } : {}) },
      });
      await waitFor(() => {
        const k = kindOf(g.latest(), kind);
        return k !== null && k.pending === 0 && k.active + failureCount(k) >= job.connections;
      }, CONNECT_MS);
      const connected = kindOf(g.latest(), kind)?.active ?? 0;
      if (connected < job.connections)
        throw new Error(`${connected} of ${job.connections} ${kind} connections opened`);
      await sleep(job.warmupMs);

      const pids = g.pids();
      const sentAt = Date.now();
      await g.command({ type: 'restartMeasurement' });
      // Each process restarted between the command leaving and its reply: take the middle.
      const startedAt = (sentAt + Date.now()) / 2;
      const started = performance.now();
      const server0 = serverCpuMs?.() ?? null;
      const generator0 = pids.map(processCpuMs);
      health.reset();
      await sleep(job.durationMs);
      const report = await nextReport(g);
      const server1 = serverCpuMs?.() ?? null;
      const wallMs = performance.now() - started;
      const generatorCpuPct = Math.max(
        ...pids.map((pid, i) => ((processCpuMs(pid) - generator0[i]!) / wallMs) * 100),
      );

      const k = report.kinds[kind];
      const rtt = k.cumulative?.rtt;
      const replies = k.received;
      const seconds = (report.time - startedAt) / 1000;
      return {
        replies,
        perS: replies / seconds,
        p50Ms: rtt?.count ? rtt.p50Ms : null,
        p99Ms: rtt?.count ? rtt.p99Ms : null,
        maxMs: rtt?.count ? rtt.maxMs : null,
        wrong: k.integrity.wrong,
        errors: failureCount(k),
        serverCpuUsPerReply:
          server0 !== null && server1 !== null && replies > 0 ? ((server1 - server0) * 1000) / replies : null,
        generatorLoopP99Ms: health.worstLoopP99Ms,
        generatorCpuPct,
      };
    },
    job.processes ?? 1,
  );
}

export function closedLoopMetrics(perS: string, latency: string, digits: number): Metric[] {
  return [
    { key: 'perS', label: perS, digits: 0 },
    { key: 'p50Ms', label: `${latency} p50 ms`, digits },
    { key: 'p99Ms', label: `${latency} p99 ms`, digits },
    { key: 'maxMs', label: `${latency} max ms`, digits },
    { key: 'cpuUs', label: 'server CPU µs per reply', digits: 1 },
    { key: 'wrong', label: 'wrong replies + errors', digits: 0 },
    { key: 'generatorP99Ms', label: 'load generator loop p99 ms (worst)', digits: 1 },
    { key: 'generatorCpuPct', label: 'load generator CPU % of a core', digits: 0 },
  ];
}

/** `connections` connections, `inFlight` requests outstanding on each, after a warm-up. */
export async function closedLoopFigures(
  { server, quick }: ScenarioContext,
  mode: ClosedLoopJob['mode'],
  inFlight: number,
  fullDurationMs: number,
): Promise<Figures> {
  const r = await measureClosedLoop(
    {
      mode,
      url: server.url,
      connections: 50,
      inFlight,
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : fullDurationMs,
    },
    () => processCpuMs(server.pid),
  );
  return {
    perS: r.perS,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    cpuUs: r.serverCpuUsPerReply,
    wrong: r.wrong + r.errors,
    generatorP99Ms: r.generatorLoopP99Ms,
    generatorCpuPct: r.generatorCpuPct,
  };
}

/** Loop p99 and CPU at which the generator's own health check calls it saturated (health.ts). */
const SATURATED_LOOP_P99_MS = 50;
const SATURATED_CPU_PCT = 90;

/**
 * Whether the generator kept up, judged on every variant's medians: when it did not, throughput
 * and RTT are the generator's ceiling as much as the server's (server CPU per reply still holds).
 */
export function generatorKeptUp(medians: Record<string, Figures>): TargetCheck {
  const worst = Object.entries(medians).map(([label, f]) => ({
    label,
    p99: f.generatorP99Ms ?? null,
    cpu: f.generatorCpuPct ?? null,
  }));
  const judged = worst.filter((w) => w.p99 !== null && w.cpu !== null);
  const saturated = judged.filter((w) => w.p99! > SATURATED_LOOP_P99_MS || w.cpu! > SATURATED_CPU_PCT);
  return {
    target: `load generator not saturated (loop p99 ≤ ${SATURATED_LOOP_P99_MS} ms, CPU ≤ ${SATURATED_CPU_PCT} % of a core)`,
    met: judged.length === 0 ? null : saturated.length === 0,
    measured:
      judged.length === 0
        ? 'n/a'
        : judged.map((w) => `${w.label}: ${fmt(w.p99, 1)} ms, ${fmt(w.cpu, 0)} %`).join('; '),
  };
}
