/**
 * generator: is the load generator ever the bottleneck? Loopscope's `load`, autocannon 9 and
 * Artillery 2 drive the same target (Loopscope's engine as `serve` runs it, started fresh for each)
 * with the same load, and each is charged the CPU its own processes used over the measured window.
 * Figures: keep-alive GET / requests per client CPU-second in a closed loop (50 connections, one
 * request in flight each) and CPU per request at an equal 5,000 requests/s (Loopscope vs
 * autocannon); WebSocket CPU per 10k answers at 1 question/s from each of 5,000 ws-prime clients
 * (Loopscope vs Artillery, installed on demand by bench/load/artillery.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { KindReport } from '../../common/load';
import type { LoadController } from '../../main/load/controller';
import { buildQuestionPool } from '../../main/load/prime-check';
import type { RunningServer } from '../servers';
import { ARTILLERY_VERSION, ensureArtillery, startArtillery } from '../load/artillery';
import {
  fmt,
  kindOf,
  processCpuMs,
  processTreeCpuMs,
  serverStats,
  sleep,
  waitFor,
  withGenerator,
  type Figures,
  type Scenario,
} from './scenario';

const CONNECTIONS = 50;
const EQUAL_RATE_PER_S = 5000;
const WS_CLIENTS = 5000;
/** Both ws generators ramp their clients in at this rate (Artillery's arrivalRate). */
const WS_RAMP_PER_S = 1000;
/** How long the ws clients may take to connect after the ramp before the phase measures what it got. */
const WS_SETTLE_S = 60;
/**
 * Artillery 2's WebSocket figure measured on this machine for issue 11 (CPU-s per 10k messages):
 * the fallback when Artillery cannot be installed, and the table says so.
 */
const ARTILLERY_WS_CPU_S_PER_10K = 0.63;
/** As many questions as a Loopscope ws-prime client draws from (its pool's size). */
const ARTILLERY_QUESTIONS = 1024;

/** Why Artillery could not be installed in this bench run; null while it could (or was not tried). */
let artilleryMissing: string | null = null;

function failures(k: KindReport): number {
  return Object.values(k.failures).reduce((a, b) => a + b, 0);
}

interface ClientRun {
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

/** Spawns http clients on a fresh generator, warms up, then measures received replies and CPU for `durationS`. */
async function generatorRun(
  url: string,
  count: number,
  intervalMs: number,
  warmupMs: number,
  durationS: number,
): Promise<ClientRun> {
  return withGenerator(
    url,
    async (g: LoadController) => {
      await g.command({ type: 'spawn', kind: 'http', count, options: { intervalMs } });
      const settled = (): boolean => {
        const k = kindOf(g.latest(), 'http');
        return k !== null && k.pending === 0 && k.active + failures(k) >= count;
      };
      await waitFor(settled, 60_000);
      if ((kindOf(g.latest(), 'http')?.active ?? 0) === 0)
        throw new Error(`none of ${count} http clients connected`);
      await sleep(warmupMs);
      const pids = g.pids();
      const before = kindOf(g.latest(), 'http')!;
      const cpu0 = pids.reduce((t, pid) => t + processCpuMs(pid), 0);
      const t0 = performance.now();
      await sleep(durationS * 1000);
      const after = kindOf(g.latest(), 'http')!;
      const cpu1 = pids.reduce((t, pid) => t + processCpuMs(pid), 0);
      return {
        requests: after.received - before.received,
        seconds: (performance.now() - t0) / 1000,
        cpuMs: cpu1 - cpu0,
        p99Ms: after.rtt.p99Ms,
        errors: failures(after) - failures(before),
      };
    },
    1,
  );
}

/** Prime answers the server has sent (`loopscope_ws_messages_out_total`; only /ws/prime clients here). */
async function answersSent(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const m = /^loopscope_ws_messages_out_total (\S+)$/m.exec(text);
  if (!res.ok || !m)
    throw new Error(`GET /metrics answered ${res.status} without loopscope_ws_messages_out_total`);
  return Number(m[1]);
}

async function wsConnected(url: string): Promise<number> {
  return (await serverStats(url)).connections?.wsPrime ?? 0;
}

interface WsRun {
  /** Answers the generator itself counted in the window (Loopscope only): a cross-check. */
  ownCount?: number;
  /** Clients connected when the window opened (the server's count). */
  clients: number;
  /** Answers the server sent in the window: one per question, each read by its client. */
  answers: number;
  seconds: number;
  cpuMs: number;
  errors: number;
}

/**
 * Opens the measured window, the same for both ws generators: the server's count of answers sent
 * and the generator's CPU (`cpuMs`, a cumulative reading) now and when the returned function is
 * called. Start-up, module loading, connecting and the warm-up all come before it, so neither side
 * pays for them.
 */
async function openWsWindow(url: string, cpuMs: () => number): Promise<() => Promise<Omit<WsRun, 'errors'>>> {
  const clients = await wsConnected(url);
  const answers0 = await answersSent(url);
  const cpu0 = cpuMs();
  const t0 = performance.now();
  return async () => {
    const answers1 = await answersSent(url);
    const cpu1 = cpuMs();
    return {
      clients,
      answers: answers1 - answers0,
      seconds: (performance.now() - t0) / 1000,
      cpuMs: cpu1 - cpu0,
    };
  };
}

/** Loopscope's ws-prime clients, one question a second each, on a generator of their own. */
async function loopscopeWsRun(
  url: string,
  count: number,
  warmupMs: number,
  durationS: number,
): Promise<WsRun> {
  return withGenerator(url, async (g: LoadController) => {
    await g.command({
      type: 'spawn',
      kind: 'ws-prime',
      count,
      rampPerS: WS_RAMP_PER_S,
      options: { intervalMs: 1000 },
    });
    // Settled: every client connected or failed (a shared machine may time a few out).
    const settled = (): boolean => {
      const k = kindOf(g.latest(), 'ws-prime');
      return k !== null && k.pending === 0 && k.active + failures(k) >= count;
    };
    await waitFor(settled, (count / WS_RAMP_PER_S + WS_SETTLE_S) * 1000);
    if ((kindOf(g.latest(), 'ws-prime')?.active ?? 0) === 0) {
      throw new Error(`none of ${count} ws-prime clients connected`);
    }
    await sleep(warmupMs);
    const pids = g.pids();
    const before = kindOf(g.latest(), 'ws-prime')!;
    const close = await openWsWindow(url, () => pids.reduce((t, pid) => t + processCpuMs(pid), 0));
    await sleep(durationS * 1000);
    const window = await close();
    const after = kindOf(g.latest(), 'ws-prime')!;
    const received = after.received - before.received;
    const errors = failures(after) - failures(before) + after.integrity.wrong - before.integrity.wrong;
    return { ...window, errors, ownCount: received };
  });
}

/**
 * Artillery's ws engine with the same load: the virtual users arrive at the same ramp rate, each
 * asks one question, waits for the answer and thinks 1 s, in a loop. It is charged the CPU of its
 * whole process tree (its worker threads are in its process's own stat).
 */
async function artilleryWsRun(
  url: string,
  count: number,
  warmupMs: number,
  durationS: number,
  log: (line: string) => void,
): Promise<WsRun> {
  let bin: string;
  try {
    bin = await ensureArtillery(log);
  } catch (err) {
    artilleryMissing = err instanceof Error ? err.message : String(err);
    throw new Error(
      `artillery@${ARTILLERY_VERSION} could not be installed into bench/.tools/artillery (${artilleryMissing}); ` +
        `the ws target falls back to issue 11's fixed ${ARTILLERY_WS_CPU_S_PER_10K} CPU-s per 10k`,
    );
  }
  const rampS = count / WS_RAMP_PER_S;
  // Each virtual user outlives the measurement, and stops after it at the latest (a bound if this
  // process dies before it stops them).
  const rounds = Math.ceil(rampS + WS_SETTLE_S + warmupMs / 1000 + durationS) + 30;
  const questions = buildQuestionPool(ARTILLERY_QUESTIONS).map((q) => ({
    text: q.text,
    n: q.canonical,
    prime: q.prime,
  }));
  const artillery = startArtillery(
    bin,
    { url, clients: count, rampPerS: WS_RAMP_PER_S, rounds, questions },
    (rounds + 60) * 1000,
  );
  try {
    // Artillery says nothing until its 10 s report; the server counts its connections meanwhile.
    const started = performance.now();
    let last = -1;
    let stableSince = started;
    await waitFor(
      async () => {
        if (artillery.exited()) throw new Error(`artillery exited early: ${artillery.output().slice(-500)}`);
        const n = await wsConnected(url);
        const now = performance.now();
        if (n !== last) [last, stableSince] = [n, now];
        // Done when all are in, or when the ramp is over and nobody joined for 3 s.
        return n >= count || (now - started > rampS * 1000 + 5000 && now - stableSince > 3000);
      },
      (rampS + WS_SETTLE_S) * 1000,
    );
    if (last <= 0) throw new Error(`none of ${count} Artillery virtual users connected`);
    await sleep(warmupMs);
    const close = await openWsWindow(url, () => processTreeCpuMs(artillery.pid));
    await sleep(durationS * 1000);
    const window = await close();
    return { ...window, errors: artillery.errors() };
  } finally {
    await artillery.stop();
  }
}

function wsFigures(figures: Figures, ws: WsRun | null): void {
  figures.wsCpuSPer10k = ws && ws.answers > 0 ? (ws.cpuMs / 1000) * (10_000 / ws.answers) : null;
  figures.wsPerS = ws ? ws.answers / ws.seconds : null;
  figures.wsClients = ws?.clients ?? null;
  figures.wsErrors = ws?.errors ?? null;
}

function logWs(log: (line: string) => void, who: string, ws: WsRun, asked: number): void {
  log(
    `  ws (${who}): ${ws.answers} answers in ${fmt(ws.seconds, 1)} s from ${ws.clients} of ${asked} clients, ` +
      `${fmt(ws.cpuMs / 1000, 2)} CPU-s: ${fmt((ws.cpuMs / 1000) * (10_000 / Math.max(1, ws.answers)), 3)} per 10k` +
      (ws.ownCount !== undefined ? ` (the generator counted ${ws.ownCount} received)` : '') +
      `; ${ws.errors} errors`,
  );
}

export const generator: Scenario = {
  name: 'generator',
  title:
    'generator: Loopscope `load` vs autocannon 9 (HTTP) and Artillery 2 (WebSocket) on the same target, per client CPU',
  variants: [
    { label: 'loopscope load', server: 'loopscope' },
    { label: 'autocannon', server: 'loopscope' },
    { label: 'artillery', server: 'loopscope' },
  ],
  metrics: [
    { key: 'perCpuS', label: 'GET /, 50 conns closed loop: requests per client CPU-second', digits: 0 },
    { key: 'perS', label: 'GET /, 50 conns closed loop: requests/s', digits: 0 },
    { key: 'p99Ms', label: 'GET /, 50 conns closed loop: p99 ms (last interval for load)', digits: 1 },
    { key: 'equalCpuUs', label: `GET / at ${EQUAL_RATE_PER_S} req/s: client CPU µs per request`, digits: 1 },
    { key: 'equalPerS', label: `GET / at ${EQUAL_RATE_PER_S} req/s: achieved requests/s`, digits: 0 },
    { key: 'errors', label: 'HTTP errors (both phases)', digits: 0 },
    { key: 'wsCpuSPer10k', label: 'ws 1 question/s × clients: client CPU-s per 10k answers', digits: 3 },
    { key: 'wsPerS', label: 'ws: answers/s in the window', digits: 0 },
    { key: 'wsClients', label: 'ws clients connected (of 5,000)', digits: 0 },
    { key: 'wsErrors', label: 'ws errors (load: window; artillery: its reports)', digits: 0 },
  ],
  async run(ctx) {
    const { quick, log, variant } = ctx;
    const durationS = quick ? 3 : 10;
    const warmupMs = quick ? 1000 : 2000;
    const wsClients = quick ? 1000 : WS_CLIENTS;
    const figures: Figures = {};
    if (variant.label === 'artillery') {
      const ws = await artilleryWsRun(ctx.server.url, wsClients, warmupMs, durationS, log);
      logWs(log, 'artillery', ws, wsClients);
      wsFigures(figures, ws);
      return figures;
    }
    let closed: ClientRun;
    let equal: ClientRun;
    if (variant.label === 'autocannon') {
      closed = await autocannon(ctx.server.url, durationS + warmupMs / 1000, 0);
      equal = await autocannon(ctx.server.url, durationS + warmupMs / 1000, EQUAL_RATE_PER_S);
      wsFigures(figures, null);
    } else {
      closed = await generatorRun(ctx.server.url, CONNECTIONS, 0, warmupMs, durationS);
      // 50 clients, one request every 10 ms each: 5,000 requests/s in all.
      const interval = (CONNECTIONS * 1000) / EQUAL_RATE_PER_S;
      equal = await generatorRun(ctx.server.url, CONNECTIONS, interval, warmupMs, durationS);
      // A fresh target, as Artillery's is: nothing left over from the HTTP phases.
      const server: RunningServer = await ctx.fresh();
      const ws = await loopscopeWsRun(server.url, wsClients, warmupMs, durationS);
      logWs(log, 'loopscope load', ws, wsClients);
      wsFigures(figures, ws);
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
    const art = m.artillery?.wsCpuSPer10k ?? null;
    const wsCheck =
      art !== null || artilleryMissing === null
        ? {
            target: 'WS client CPU per 10k answers ≥ 1.35× better than Artillery 2 in this run',
            met: ws == null || art === null ? null : art / ws >= 1.35,
            measured:
              art === null
                ? `n/a (Artillery gave no figure; load ${fmt(ws, 3)} CPU-s)`
                : `${fmt(ws, 3)} vs ${fmt(art, 3)} CPU-s${ws ? `, ${fmt(art / ws, 2)}×` : ''}`,
          }
        : {
            target:
              `WS client CPU per 10k answers ≥ 1.35× better than Artillery's ${ARTILLERY_WS_CPU_S_PER_10K} CPU-s — ` +
              `issue 11's fixed figure: Artillery could not be installed, so it was not run`,
            met: ws == null ? null : ARTILLERY_WS_CPU_S_PER_10K / ws >= 1.35,
            measured: ws == null ? 'n/a' : `${fmt(ws, 3)} CPU-s, ${fmt(ARTILLERY_WS_CPU_S_PER_10K / ws, 2)}×`,
          };
    return [
      {
        target: 'HTTP requests per generator CPU-second ≥ 1.0× autocannon',
        met: ratio === null ? null : ratio >= 1,
        measured: `${fmt(ratio, 2)}× (${fmt(l.perCpuS, 0)} vs ${fmt(a.perCpuS, 0)})`,
      },
      wsCheck,
    ];
  },
};
