/**
 * `load`'s flags: parsed into a Plan (what to spawn, for how long, which thresholds) or refused with
 * a usage error naming the flag and its range. Every bound comes from common/limits.ts.
 */
import { LoopscopeError } from '../../common/errors';
import {
  CLIENT_COUNT,
  CLIENT_INTERVAL_MS,
  CONNECT_TIMEOUT_MS,
  GENERATOR_PROCESSES,
  IN_FLIGHT,
  JOB_COUNT,
  JOB_RATE_PER_S,
  JOB_WORK_MS,
  LOAD_DURATION_S,
  LOAD_WARMUP_S,
  PUBLISH_RATE_PER_S,
  RAMP_PER_S,
  REPORT_INTERVAL_MS,
  REQUEST_PATH_MAX_CHARS,
  SLOW_MS,
  type IntRange,
} from '../../common/limits';
import { isRequestPath, type ClientKind, type LoadCommand } from '../../common/load';
import { MAX_RATE_LANES } from '../load/rate-lanes';
import { intFlag, numberFlag, parseFlags } from './flags';

/** A run in which clients failed fails, unless --max-failures allows it: a dead target is not a pass. */
export const DEFAULT_MAX_FAILURES = 0;
const THRESHOLD: IntRange = { min: 0, max: Number.MAX_SAFE_INTEGER };

export const USAGE = `Usage: npm run load -- [options]

Simulated clients (counts, spawned at --ramp per second per kind; 0 = as fast as possible):
  --ws N                 ws-prime clients (/ws/prime), one number every --ws-interval ms
  --ws-interval MS       ms between numbers per ws-prime client (default 1000; 0 = idle, or
                         with --ws-in-flight a closed loop: the next number as a reply arrives)
  --ws-in-flight N       numbers each ws-prime client keeps unanswered at most (default 1,000)
  --feed N               ws-feed followers (/ws/feed)
  --sse N                server-sent-events followers (/feed/events)
  --long-poll N          long-polling followers (/feed/poll)
  --http N               http clients, one GET every --http-interval ms
  --http-path PATH       any absolute path of the target (default /; /slow, /aggregate get --slow-ms)
  --http-interval MS     default 1000; 0 = closed loop (next request as soon as a reply arrives)
  --in-flight N          requests each http client keeps outstanding on its connection (default 1)
  --slow-ms N            ms parameter for /slow and /aggregate (default 100)
  --ws-echo N            WebSocket echo clients: send, expect the same bytes back
  --ws-echo-path PATH    path of the echo endpoint (default /)
  --ws-echo-interval MS  ms between messages per ws-echo client (default 1000; 0 = idle)
  --publish-rate N       POST /feed N times per second in total
  --job-rate N           POST /jobs N times per second in total
  --jobs-per-request N   jobs per POST /jobs (default 1)
  --work-ms N            workMs of each job (default 0)
  --ramp N               new clients per second per kind (default 0 = all at once)

Run:
  --target URL           server to load (required), e.g. http://127.0.0.1:8888; loopback only
  --allow-non-loopback   permit a non-loopback target: only for servers you own
  --duration S           seconds to measure, ${LOAD_DURATION_S.min}..${LOAD_DURATION_S.max} (default ${LOAD_DURATION_S.default})
  --warmup S             seconds of load before measuring (default 0): sent, recv, rtt and delivery
                         in the summary, and --max-p99-rtt-ms, cover only the --duration after it;
                         connections, failures and wrong/lost counts cover the whole run
  --processes N|auto     generator processes (default auto: more only when fds run out)
  --interval MS          report interval (default 250)
  --connect-timeout-ms N a connection not up after N ms counts as a timeout failure (default 10000)
  --json                 print one JSON document on stdout instead of the table
  --explain-stalls       run the stall explorer in the generator too, naming the function behind
                         its own stalls (costs generator CPU; without it they are only counted)
  --record FILE          write the run as a recording (NDJSON: the generator's every report window,
                         and the target's /stats samples, stalls with their CPU profiles and
                         §12 episodes where it serves them); read by npm run report
  --report FILE          write the run's self-contained HTML report (charts, stalls, verdict)
  --why / --no-why       ask the target's GET /diagnosis (docs/protocol.md §12) why its clients
                         waited, and say it after the run. Default: asked when the run uses the
                         protocol (any kind but http and ws-echo, or --http-path /, /slow,
                         /aggregate); a server of your own only sees the requests you asked for

Thresholds (exit code 1 when breached):
  --max-wrong N          wrong prime answers
  --max-lost N           missing + duplicated + out-of-order + expired feed messages
  --max-p99-rtt-ms N     worst per-kind p99 round trip over the run (after --warmup)
  --max-failures N       connection/request failures of any cause (default ${DEFAULT_MAX_FAILURES})
  --max-pending N        clients still not connected when the run ends: queued by --ramp, connecting
                         or reconnecting (default 0: a run that never reached its count is no pass)

Many connections (e.g. 100,000): each one takes a file descriptor and a local port on this box.
  Before the run, load says how it will hold them, or refuses what the box cannot hold
  (beyond_box_limits, nothing started): --processes auto forks as many generator processes as
  \`ulimit -n\` needs (at most 8), and a 127.x target is reached from 16 source addresses
  (127.0.0.1–127.0.0.16), each with its own ephemeral ports (::1 and localhost: one address). The
  server needs as many descriptors: \`serve --connections N\` runs the processes that takes. E.g.
    npm run serve -- --no-dashboard --connections 100000
    npm run load -- --target http://127.0.0.1:8888 --ws 70000 --ws-interval 0 --feed 10000 \\
      --sse 10000 --long-poll 10000 --publish-rate 10 --ramp 2500 --duration 60

Exit codes: 0 ok, 1 threshold breached, 2 usage error, refused (bad flag, target, fd limit, box limits) or
cut short (a generator process died mid-run: results are incomplete).`;

export interface Plan {
  target: string;
  allowNonLoopback: boolean;
  /** Seconds measured, after the warm-up. */
  durationS: number;
  /** Seconds of load before the measurement restarts (0: none). */
  warmupS: number;
  processes: number | 'auto';
  intervalMs: number;
  connectTimeoutMs: number;
  json: boolean;
  explainStalls: boolean;
  /** Ask the target's GET /diagnosis before and after the run (docs/protocol.md §12). */
  why: boolean;
  /** Where to write the recording / the HTML report; null when not asked. */
  record: string | null;
  report: string | null;
  commands: LoadCommand[];
  thresholds: Partial<Record<ThresholdName, number>>;
}

export type ThresholdName = 'maxWrong' | 'maxLost' | 'maxP99RttMs' | 'maxFailures' | 'maxPending';

export interface ThresholdResult {
  name: string;
  limit: number;
  value: number;
  ok: boolean;
}

/** The connections a plan opens at most: one per client, and each rate sender's lanes. */
export function plannedConnections(plan: Pick<Plan, 'commands'>): number {
  let total = 0;
  for (const cmd of plan.commands) {
    if (cmd.type === 'spawn') total += cmd.count;
    else if (cmd.type === 'publishRate' || cmd.type === 'jobRate') total += MAX_RATE_LANES;
  }
  return total;
}

function usage(message: string): LoopscopeError {
  return new LoopscopeError('usage', message);
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  target: { type: 'string' },
  'allow-non-loopback': { type: 'boolean' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  processes: { type: 'string' },
  interval: { type: 'string' },
  'connect-timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  'explain-stalls': { type: 'boolean' },
  why: { type: 'boolean' },
  record: { type: 'string' },
  report: { type: 'string' },
  'no-why': { type: 'boolean' },
  ws: { type: 'string' },
  'ws-interval': { type: 'string' },
  feed: { type: 'string' },
  sse: { type: 'string' },
  'long-poll': { type: 'string' },
  http: { type: 'string' },
  'http-path': { type: 'string' },
  'http-interval': { type: 'string' },
  'in-flight': { type: 'string' },
  'ws-in-flight': { type: 'string' },
  'slow-ms': { type: 'string' },
  'ws-echo': { type: 'string' },
  'ws-echo-path': { type: 'string' },
  'ws-echo-interval': { type: 'string' },
  'publish-rate': { type: 'string' },
  'job-rate': { type: 'string' },
  'jobs-per-request': { type: 'string' },
  'work-ms': { type: 'string' },
  ramp: { type: 'string' },
  'max-wrong': { type: 'string' },
  'max-lost': { type: 'string' },
  'max-p99-rtt-ms': { type: 'string' },
  'max-failures': { type: 'string' },
  'max-pending': { type: 'string' },
} as const;

/** The demo server's routes an http client may be aimed at (docs/protocol.md). */
const PROTOCOL_HTTP_PATHS = new Set(['/', '/slow', '/aggregate']);

/**
 * Whether the run assumes a server that speaks the protocol. The generic kinds (any path over http,
 * ws-echo) are for servers of the user's own, which must see only the requests asked for.
 */
function speaksProtocol(commands: readonly LoadCommand[], httpPath: string): boolean {
  return commands.some((c) => {
    if (c.type !== 'spawn') return true;
    if (c.kind === 'ws-echo') return false;
    if (c.kind === 'http') return PROTOCOL_HTTP_PATHS.has(new URL(httpPath, 'http://x').pathname);
    return true;
  });
}

export function parsePlan(argv: string[]): Plan | 'help' {
  const { values } = parseFlags(argv, OPTIONS);
  if (values.help) return 'help';
  const ramp = numberFlag(values, 'ramp', RAMP_PER_S) ?? 0;
  const commands: LoadCommand[] = [];
  const spawn = (kind: ClientKind, flag: string, options?: Record<string, unknown>): void => {
    const count = intFlag(values, flag, CLIENT_COUNT);
    if (count) commands.push({ type: 'spawn', kind, count, rampPerS: ramp, ...(options ? { options } : {}) });
  };
  const wsInFlight = intFlag(values, 'ws-in-flight', IN_FLIGHT);
  spawn('ws-prime', 'ws', {
    intervalMs: intFlag(values, 'ws-interval', CLIENT_INTERVAL_MS) ?? 1000,
    ...(wsInFlight === undefined ? {} : { inFlight: wsInFlight }),
  });
  spawn('ws-feed', 'feed');
  spawn('sse', 'sse');
  spawn('long-poll', 'long-poll');
  const httpPath = values['http-path'] ?? '/';
  if (!isRequestPath(httpPath, REQUEST_PATH_MAX_CHARS)) {
    throw usage(
      `--http-path must be an absolute path (e.g. /, /slow, /api/items?x=1), got ${JSON.stringify(httpPath)}`,
    );
  }
  spawn('http', 'http', {
    path: httpPath,
    intervalMs: intFlag(values, 'http-interval', CLIENT_INTERVAL_MS) ?? 1000,
    inFlight: intFlag(values, 'in-flight', IN_FLIGHT) ?? IN_FLIGHT.default!,
    slowMs: intFlag(values, 'slow-ms', SLOW_MS) ?? SLOW_MS.default!,
  });
  const echoPath = values['ws-echo-path'] ?? '/';
  if (!isRequestPath(echoPath, REQUEST_PATH_MAX_CHARS)) {
    throw usage(`--ws-echo-path must be an absolute path, got ${JSON.stringify(echoPath)}`);
  }
  spawn('ws-echo', 'ws-echo', {
    path: echoPath,
    intervalMs: intFlag(values, 'ws-echo-interval', CLIENT_INTERVAL_MS) ?? 1000,
  });
  const publishRate = numberFlag(values, 'publish-rate', PUBLISH_RATE_PER_S);
  if (publishRate) commands.push({ type: 'publishRate', perS: publishRate });
  const jobRate = numberFlag(values, 'job-rate', JOB_RATE_PER_S);
  if (jobRate) {
    commands.push({
      type: 'jobRate',
      perS: jobRate,
      jobsPerRequest: intFlag(values, 'jobs-per-request', JOB_COUNT) ?? 1,
      workMs: intFlag(values, 'work-ms', JOB_WORK_MS) ?? 0,
    });
  }
  const processesRaw = values.processes ?? 'auto';
  const processes = processesRaw === 'auto' ? 'auto' : intFlag(values, 'processes', GENERATOR_PROCESSES)!;
  const thresholds: Plan['thresholds'] = {};
  const limits: Array<[ThresholdName, string]> = [
    ['maxWrong', 'max-wrong'],
    ['maxLost', 'max-lost'],
    ['maxP99RttMs', 'max-p99-rtt-ms'],
    ['maxFailures', 'max-failures'],
    ['maxPending', 'max-pending'],
  ];
  const defaults: Plan['thresholds'] = { maxFailures: DEFAULT_MAX_FAILURES, maxPending: 0 };
  for (const [name, flag] of limits) {
    const v = numberFlag(values, flag, THRESHOLD) ?? defaults[name];
    if (v !== undefined) thresholds[name] = v;
  }
  const durationS = intFlag(values, 'duration', LOAD_DURATION_S) ?? LOAD_DURATION_S.default!;
  const warmupS = intFlag(values, 'warmup', LOAD_WARMUP_S) ?? LOAD_WARMUP_S.default!;
  const intervalMs = intFlag(values, 'interval', REPORT_INTERVAL_MS) ?? REPORT_INTERVAL_MS.default!;
  const connectTimeoutMs =
    intFlag(values, 'connect-timeout-ms', CONNECT_TIMEOUT_MS) ?? CONNECT_TIMEOUT_MS.default!;
  // Checked last, so a bad flag is named first. No default: a silent :8888 loads whatever happens
  // to listen there, or fails against nothing.
  if (values.target === undefined)
    throw usage('--target URL is required, e.g. --target http://127.0.0.1:8888 for `npm run serve`');
  if (values.why && values['no-why']) throw usage('--why and --no-why contradict each other: give one');
  const why = values.why ? true : values['no-why'] ? false : speaksProtocol(commands, httpPath);
  return {
    target: values.target,
    allowNonLoopback: values['allow-non-loopback'] ?? false,
    durationS,
    warmupS,
    processes,
    intervalMs,
    connectTimeoutMs,
    json: values.json ?? false,
    explainStalls: values['explain-stalls'] ?? false,
    why,
    record: values.record ?? null,
    report: values.report ?? null,
    commands,
    thresholds,
  };
}
