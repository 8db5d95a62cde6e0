/**
 * `loopscope load`: drive simulated clients at a server for a bounded time, show live progress on a
 * terminal, print a summary (or one JSON document with --json), and turn thresholds into an exit
 * code for CI: 0 all good, 1 a threshold was breached, 2 the command could not run as asked.
 */
import { parseArgs } from 'node:util';
import {
  CLIENT_KINDS,
  type ClientKind,
  type KindReport,
  type LoadCommand,
  type LoadReport,
} from '../../common/load';
import { isLoopscopeError, LoopscopeError } from '../engine/errors';
import { startLoadGenerator, type LoadController } from '../engine/load/controller';

export const DEFAULT_TARGET = 'http://127.0.0.1:8888';
const DEFAULT_DURATION_S = 10;
const MAX_DURATION_S = 3600;

const USAGE = `Usage: npm run load -- [options]

Simulated clients (counts, spawned at --ramp per second per kind; 0 = as fast as possible):
  --ws N                 ws-prime clients (/ws/prime), one number every --ws-interval ms
  --ws-interval MS       ms between numbers per ws-prime client (default 1000; 0 = idle)
  --feed N               ws-feed followers (/ws/feed)
  --sse N                server-sent-events followers (/feed/events)
  --long-poll N          long-polling followers (/feed/poll)
  --http N               http clients, one GET every --http-interval ms
  --http-path PATH       /, /slow or /aggregate (default /)
  --http-interval MS     default 1000
  --slow-ms N            ms parameter for /slow and /aggregate (default 100)
  --publish-rate N       POST /feed N times per second in total
  --job-rate N           POST /jobs N times per second in total
  --jobs-per-request N   jobs per POST /jobs (default 1)
  --work-ms N            workMs of each job (default 0)
  --ramp N               new clients per second per kind (default 0 = all at once)

Run:
  --target URL           server to load (default ${DEFAULT_TARGET}); loopback only
  --allow-non-loopback   permit a non-loopback target: only for servers you own
  --duration S           seconds to run, 1..${MAX_DURATION_S} (default ${DEFAULT_DURATION_S})
  --processes N|auto     generator processes (default auto: more only when fds run out)
  --interval MS          report interval (default 250)
  --connect-timeout-ms N a connection not up after N ms counts as a timeout failure (default 10000)
  --json                 print one JSON document on stdout instead of the table

Thresholds (exit code 1 when breached):
  --max-wrong N          wrong prime answers
  --max-lost N           missing + duplicated + out-of-order + expired feed messages
  --max-p99-rtt-ms N     worst per-kind p99 round trip over the run
  --max-failures N       connection/request failures of any cause

Exit codes: 0 ok, 1 threshold breached, 2 usage error or refused (bad flag, target, fd limit).`;

interface Plan {
  target: string;
  allowNonLoopback: boolean;
  durationS: number;
  processes: number | 'auto';
  intervalMs: number;
  connectTimeoutMs: number;
  json: boolean;
  commands: LoadCommand[];
  thresholds: Partial<Record<ThresholdName, number>>;
}

type ThresholdName = 'maxWrong' | 'maxLost' | 'maxP99RttMs' | 'maxFailures';

export interface ThresholdResult {
  name: string;
  limit: number;
  value: number;
  ok: boolean;
}

function usage(message: string): LoopscopeError {
  return new LoopscopeError('usage', message, 400);
}

function int(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw usage(`--${name} must be a number from ${min} to ${max} (got "${String(raw)}").`);
  }
  return n;
}

export function parsePlan(argv: string[]): Plan | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      target: { type: 'string' },
      'allow-non-loopback': { type: 'boolean' },
      duration: { type: 'string' },
      processes: { type: 'string' },
      interval: { type: 'string' },
      'connect-timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      ws: { type: 'string' },
      'ws-interval': { type: 'string' },
      feed: { type: 'string' },
      sse: { type: 'string' },
      'long-poll': { type: 'string' },
      http: { type: 'string' },
      'http-path': { type: 'string' },
      'http-interval': { type: 'string' },
      'slow-ms': { type: 'string' },
      'publish-rate': { type: 'string' },
      'job-rate': { type: 'string' },
      'jobs-per-request': { type: 'string' },
      'work-ms': { type: 'string' },
      ramp: { type: 'string' },
      'max-wrong': { type: 'string' },
      'max-lost': { type: 'string' },
      'max-p99-rtt-ms': { type: 'string' },
      'max-failures': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const ramp = int(values, 'ramp', 0, 100_000) ?? 0;
  const commands: LoadCommand[] = [];
  const spawn = (kind: ClientKind, flag: string, options?: Record<string, unknown>): void => {
    const count = int(values, flag, 0, 100_000);
    if (count) commands.push({ type: 'spawn', kind, count, rampPerS: ramp, ...(options ? { options } : {}) });
  };
  spawn('ws-prime', 'ws', { intervalMs: int(values, 'ws-interval', 0, 600_000) ?? 1000 });
  spawn('ws-feed', 'feed');
  spawn('sse', 'sse');
  spawn('long-poll', 'long-poll');
  const httpPath = values['http-path'] ?? '/';
  if (httpPath !== '/' && httpPath !== '/slow' && httpPath !== '/aggregate') {
    throw usage(`--http-path must be /, /slow or /aggregate (got "${httpPath}").`);
  }
  spawn('http', 'http', {
    path: httpPath,
    intervalMs: int(values, 'http-interval', 1, 600_000) ?? 1000,
    slowMs: int(values, 'slow-ms', 0, 60_000) ?? 100,
  });
  const publishRate = int(values, 'publish-rate', 0, 10_000);
  if (publishRate) commands.push({ type: 'publishRate', perS: publishRate });
  const jobRate = int(values, 'job-rate', 0, 1_000);
  if (jobRate) {
    commands.push({
      type: 'jobRate',
      perS: jobRate,
      jobsPerRequest: int(values, 'jobs-per-request', 1, 100_000) ?? 1,
      workMs: int(values, 'work-ms', 0, 10_000) ?? 0,
    });
  }
  const processesRaw = values.processes ?? 'auto';
  const processes = processesRaw === 'auto' ? 'auto' : int(values, 'processes', 1, 16)!;
  if (processes !== 'auto' && !Number.isInteger(processes))
    throw usage('--processes must be an integer or auto.');
  const thresholds: Plan['thresholds'] = {};
  const limits: Array<[ThresholdName, string]> = [
    ['maxWrong', 'max-wrong'],
    ['maxLost', 'max-lost'],
    ['maxP99RttMs', 'max-p99-rtt-ms'],
    ['maxFailures', 'max-failures'],
  ];
  for (const [name, flag] of limits) {
    const v = int(values, flag, 0, Number.MAX_SAFE_INTEGER);
    if (v !== undefined) thresholds[name] = v;
  }
  return {
    target: values.target ?? DEFAULT_TARGET,
    allowNonLoopback: values['allow-non-loopback'] ?? false,
    durationS: int(values, 'duration', 1, MAX_DURATION_S) ?? DEFAULT_DURATION_S,
    processes,
    intervalMs: int(values, 'interval', 50, 60_000) ?? 250,
    connectTimeoutMs: int(values, 'connect-timeout-ms', 100, 600_000) ?? 10_000,
    json: values.json ?? false,
    commands,
    thresholds,
  };
}

function sum(report: LoadReport, pick: (k: KindReport) => number): number {
  return CLIENT_KINDS.reduce((total, kind) => total + pick(report.kinds[kind]), 0);
}

function failureCount(k: KindReport): number {
  return Object.values(k.failures).reduce((a, b) => a + b, 0);
}

function lostCount(k: KindReport): number {
  const i = k.integrity;
  return i.missing + i.duplicated + i.outOfOrder + i.expiredLost;
}

export function checkThresholds(report: LoadReport, thresholds: Plan['thresholds']): ThresholdResult[] {
  const values: Record<ThresholdName, number> = {
    maxWrong: sum(report, (k) => k.integrity.wrong),
    maxLost: sum(report, lostCount),
    maxP99RttMs: Math.max(
      0,
      ...CLIENT_KINDS.map((kind) => (report.kinds[kind].cumulative ?? report.kinds[kind]).rtt.p99Ms),
    ),
    maxFailures: sum(report, failureCount),
  };
  const flags: Record<ThresholdName, string> = {
    maxWrong: '--max-wrong',
    maxLost: '--max-lost',
    maxP99RttMs: '--max-p99-rtt-ms',
    maxFailures: '--max-failures',
  };
  return (Object.keys(thresholds) as ThresholdName[]).map((name) => {
    const limit = thresholds[name]!;
    return { name: flags[name], limit, value: values[name], ok: values[name] <= limit };
  });
}

function used(k: KindReport): boolean {
  return k.opened > 0 || k.sent > 0 || k.received > 0 || failureCount(k) > 0 || k.active > 0 || k.pending > 0;
}

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function progressLine(r: LoadReport, elapsedS: number): string {
  const kinds = CLIENT_KINDS.filter((kind) => used(r.kinds[kind]))
    .map(
      (kind) => `${kind} ${r.kinds[kind].active}${r.kinds[kind].pending ? `+${r.kinds[kind].pending}` : ''}`,
    )
    .join(' ');
  const sent = sum(r, (k) => k.sentPerS);
  const recv = sum(r, (k) => k.receivedPerS);
  const p99 = Math.max(0, ...CLIENT_KINDS.map((kind) => r.kinds[kind].rtt.p99Ms));
  const fails = sum(r, failureCount);
  const warn = r.generator.warning ? ' ! generator saturated' : '';
  return (
    `[${elapsedS.toFixed(1)}s] ${kinds || 'no clients'} | ${sent.toFixed(0)} sent/s ${recv.toFixed(0)} recv/s` +
    ` | rtt p99 ${ms(p99)} ms | failures ${fails} | gen loop p99 ${ms(r.generator.eventLoopP99Ms)} ms` +
    ` cpu ${r.generator.cpuPercent.toFixed(0)}%${warn}`
  );
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function summaryTable(r: LoadReport): string {
  const header = [
    'kind',
    'active',
    'pending',
    'opened',
    'sent',
    'recv',
    'rtt p50/p99/max ms',
    'delivery p50/p99 ms',
    'wrong',
    'missing',
    'dup',
    'order',
    'expired',
    'failures',
  ];
  const rows = CLIENT_KINDS.filter((kind) => used(r.kinds[kind])).map((kind) => {
    const k = r.kinds[kind];
    const rtt = (k.cumulative ?? k).rtt;
    const delivery = (k.cumulative ?? k).delivery;
    const failures = Object.entries(k.failures)
      .map(([cause, n]) => `${cause}:${n}`)
      .join(' ');
    return [
      kind,
      String(k.active),
      String(k.pending),
      String(k.opened),
      String(k.sent),
      String(k.received),
      rtt.count ? `${ms(rtt.p50Ms)}/${ms(rtt.p99Ms)}/${ms(rtt.maxMs)}` : '-',
      delivery.count ? `${ms(delivery.p50Ms)}/${ms(delivery.p99Ms)}` : '-',
      String(k.integrity.wrong),
      String(k.integrity.missing),
      String(k.integrity.duplicated),
      String(k.integrity.outOfOrder),
      String(k.integrity.expiredLost),
      failures || '0',
    ];
  });
  if (rows.length === 0) return 'No clients ran.';
  const g = r.generator;
  return (
    table([header, ...rows]) +
    `\ngenerator: ${g.processes} process(es), event-loop p99 ${ms(g.eventLoopP99Ms)} ms, cpu ${g.cpuPercent.toFixed(0)}%` +
    (g.stalls
      ? `\ngenerator stalls: ${g.stalls.count}` +
        (g.stalls.count > 0
          ? ` (${ms(g.stalls.totalMs)} ms in all, worst ${ms(g.stalls.maxMs)} ms in ${g.stalls.worst ?? '?'})`
          : '')
      : '') +
    (g.warning ? `\nwarning: ${g.warning}` : '')
  );
}

/** Resolves after `ms`, or earlier on Ctrl-C (the run then ends normally with its summary). */
function runFor(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    process.once('SIGINT', done);
  });
}

function nextReport(lg: LoadController, timeoutMs: number): Promise<LoadReport | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(lg.latest());
    }, timeoutMs);
    const off = lg.onReport((r) => {
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  let plan: Plan | 'help';
  try {
    plan = parsePlan(argv);
  } catch (err) {
    process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  if (plan === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const live = !plan.json && process.stdout.isTTY === true;
  let lg: LoadController;
  try {
    lg = await startLoadGenerator({
      target: plan.target,
      allowNonLoopback: plan.allowNonLoopback,
      processes: plan.processes,
      reportIntervalMs: plan.intervalMs,
      connectTimeoutMs: plan.connectTimeoutMs,
    });
  } catch (err) {
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`load: ${err.message} [${err.code}]\n`);
    return 2;
  }
  const started = performance.now();
  let final: LoadReport | null = null;
  try {
    for (const cmd of plan.commands) await lg.command(cmd);
    const off = live
      ? lg.onReport((r) =>
          process.stdout.write(`\r${progressLine(r, (performance.now() - started) / 1000)}\x1b[K`),
        )
      : () => undefined;
    await runFor(plan.durationS * 1000);
    // The report right after the run, before clients are stopped, is the one summarised.
    final = await nextReport(lg, plan.intervalMs * 4);
    off();
    if (live) process.stdout.write('\n');
  } catch (err) {
    await lg.close();
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`load: ${err.message} [${err.code}]\n`);
    return 2;
  }
  await lg.close();
  if (!final) {
    process.stderr.write('load: the generator sent no report.\n');
    return 2;
  }
  const results = checkThresholds(final, plan.thresholds);
  const breached = results.filter((t) => !t.ok);
  if (plan.json) {
    const doc = {
      target: plan.target,
      durationS: plan.durationS,
      report: final,
      thresholds: results,
      ok: breached.length === 0,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`${summaryTable(final)}\n`);
  }
  for (const t of breached)
    process.stderr.write(`load: threshold breached: ${t.name} ${t.limit}, measured ${t.value}\n`);
  return breached.length === 0 ? 0 : 1;
}
