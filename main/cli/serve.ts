/**
 * `npm run serve -- [--port N] [--host H] [--sample-ms N] [--no-sampler] [--stall-ms N] [--log-stalls]
 * [--no-stalls] [--workers N|auto] [--redis URL]`: the demo server, headless.
 * Prints one line with the real URL, runs until SIGINT/SIGTERM, then closes gracefully and exits 0.
 */
import os from 'node:os';
import { hasCode, LoopscopeError } from '../../common/errors';
import {
  DEFAULT_DASHBOARD_PORT,
  DEFAULT_SERVER_PORT,
  MAX_SOCKETS,
  PORT,
  SAMPLE_INTERVAL_MS,
  PLANNED_CONNECTIONS,
  SERVER_WORKERS,
  STALL_THRESHOLD_MS,
} from '../../common/limits';
import {
  planServer,
  readBoxLimits,
  refuseBeyondLimits,
  serverPlanLine,
  type BoxLimits,
} from '../load/capacity';
import { startCluster } from '../engine/cluster/primary';
import type { WorkerEngineOptions } from '../engine/cluster/worker';
import type { Stall } from '../../common/stalls';
import { stallLine } from '../stalls/stall-line';
import { startBrowserMode } from '../dashboard/browser-mode';
import { createEngine, type EngineOptions } from '../engine/engine';
import { intFlag, parseFlags } from './flags';

export { stallLine };

export const SERVE_USAGE =
  `usage: npm run serve -- [--port N (0..65535, default ${DEFAULT_SERVER_PORT}; 0 picks a free port)] ` +
  `[--host H (default 127.0.0.1)] [--sample-ms N (${SAMPLE_INTERVAL_MS.min}..${SAMPLE_INTERVAL_MS.max}, default ${SAMPLE_INTERVAL_MS.default})] ` +
  '[--no-sampler (no periodic sampling; /stats samples on request)] ' +
  '[--max-sockets N (open-socket cap; default: ulimit -n minus a reserve; 0: none)] ' +
  `[--dashboard-port N (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free port)] [--no-dashboard] ` +
  `[--stall-ms N (stall threshold, ${STALL_THRESHOLD_MS.min}..${STALL_THRESHOLD_MS.max}, default ${STALL_THRESHOLD_MS.default})] ` +
  '[--log-stalls (one line per stall on stdout)] [--no-stalls (no stall explorer)] ' +
  `[--workers N|auto (${SERVER_WORKERS.min}..${SERVER_WORKERS.max} server processes on one port; auto: one per core)] ` +
  '[--connections N (plan for N concurrent connections: with --workers auto or no --workers, ' +
  'as many server processes as `ulimit -n` needs; refused before starting when the box cannot hold them)] ' +
  '[--redis URL (share the feed and job queue through this Redis: redis://host:port or a socket path; ' +
  'with --workers and no --redis, a private redis-server is started)]';

export interface ServeFlags {
  host: string;
  port: number;
  sampleMs: number;
  /** false with --no-sampler: measures what watching costs (the bench's overhead scenario). */
  sampler: boolean;
  /** The open-socket cap; undefined: the engine derives it from `ulimit -n`. */
  maxSockets: number | undefined;
  /** The browser dashboard's port; null with --no-dashboard. */
  dashboardPort: number | null;
  /** The default port was taken, not one the user asked for: a taken one is swapped for a free one. */
  dashboardPortIsDefault: boolean;
  stallMs: number;
  logStalls: boolean;
  /** false with --no-stalls: what the explorer costs is measured against this. */
  stalls: boolean;
  /** docs/protocol.md §10: server processes behind the port; null = this one process. */
  workers: number | null;
  /** docs/protocol.md §10: the shared state's Redis; undefined = memory (or a private one with workers). */
  redis: string | undefined;
  /** --connections: what to size the server processes for; null = not asked. */
  connections: number | null;
  /** --workers auto: the count is chosen (one per core, or what --connections needs). */
  workersAuto: boolean;
}

class HelpRequested extends Error {}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'sample-ms': { type: 'string' },
  'no-sampler': { type: 'boolean' },
  'max-sockets': { type: 'string' },
  'dashboard-port': { type: 'string' },
  'no-dashboard': { type: 'boolean' },
  'stall-ms': { type: 'string' },
  'log-stalls': { type: 'boolean' },
  'no-stalls': { type: 'boolean' },
  workers: { type: 'string' },
  connections: { type: 'string' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseServeFlags(argv: string[]): ServeFlags {
  const { values } = parseFlags(argv, OPTIONS);
  if (values.help === true) throw new HelpRequested();
  if (values.host === '') throw new LoopscopeError('usage', '--host must not be empty');
  if (values.redis === '') throw new LoopscopeError('usage', '--redis must not be empty');
  const workers =
    values.workers === 'auto'
      ? Math.min(os.availableParallelism(), SERVER_WORKERS.max)
      : (intFlag(values, 'workers', SERVER_WORKERS) ?? null);
  return {
    workers,
    workersAuto: values.workers === 'auto',
    connections: intFlag(values, 'connections', PLANNED_CONNECTIONS) ?? null,
    redis: values.redis,
    host: values.host ?? '127.0.0.1',
    port: intFlag(values, 'port', PORT) ?? DEFAULT_SERVER_PORT,
    sampleMs: intFlag(values, 'sample-ms', SAMPLE_INTERVAL_MS) ?? SAMPLE_INTERVAL_MS.default!,
    sampler: values['no-sampler'] !== true,
    maxSockets: intFlag(values, 'max-sockets', MAX_SOCKETS),
    dashboardPort:
      values['no-dashboard'] === true
        ? null
        : (intFlag(values, 'dashboard-port', PORT) ?? DEFAULT_DASHBOARD_PORT),
    dashboardPortIsDefault: values['dashboard-port'] === undefined,
    stallMs: intFlag(values, 'stall-ms', STALL_THRESHOLD_MS) ?? STALL_THRESHOLD_MS.default!,
    logStalls: values['log-stalls'] === true,
    stalls: values['no-stalls'] !== true,
  };
}

/**
 * --connections N: the server processes the connections need under this box's limits (what
 * `--workers` asked is checked, 'auto' or none is chosen), said in one line; refused when the box
 * cannot hold them.
 */
export function withCapacity(flags: ServeFlags, box: BoxLimits): { flags: ServeFlags; line: string | null } {
  if (flags.connections === null) return { flags, line: null };
  const asked = flags.workersAuto ? null : flags.workers;
  const plan = planServer(flags.connections, asked, box);
  refuseBeyondLimits(plan);
  // auto keeps its one per core when that holds enough; none stays one process while one holds them.
  let workers: number | null = asked;
  if (flags.workersAuto) workers = Math.max(flags.workers ?? 1, plan.workers);
  else if (asked === null) workers = plan.workers > 1 ? plan.workers : null;
  const line = serverPlanLine(planServer(flags.connections, workers ?? 1, box), box);
  return { flags: { ...flags, workers }, line };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** What `serve` runs until a signal: the demo server alone, or the app host with the dashboard. */
interface Running {
  url: string;
  /** Stalls of the demo server, whichever engine currently runs it. */
  onStall(listener: (stall: Stall) => void): void;
  close(): Promise<void>;
}

async function start(flags: ServeFlags): Promise<Running> {
  const engineOptions: EngineOptions = {
    host: flags.host,
    port: flags.port,
    sampleIntervalMs: flags.sampleMs,
    sampler: flags.sampler,
    maxSockets: flags.maxSockets,
    stalls: flags.stalls ? { thresholdMs: flags.stallMs } : false,
    redis: flags.redis,
  };
  if (flags.workers !== null && flags.dashboardPort === null) return startWorkers(flags);
  if (flags.dashboardPort === null || (flags.redis !== undefined && flags.workers === null)) {
    // The dashboard hosts its own in-memory engine: with --redis the headless server runs alone.
    const engine = await createEngine(engineOptions);
    return {
      url: engine.url,
      onStall: (listener) => void engine.stalls.subscribe(listener),
      close: () => engine.close(),
    };
  }
  const mode = await startBrowserMode({
    engineOptions,
    serverWorkers: flags.workers ?? 1,
    port: flags.dashboardPort,
    fallbackToFreePort: flags.dashboardPortIsDefault,
  });
  if (mode.fellBack) console.log(`serve: ${mode.fellBack}`);
  if (mode.dashboard) console.log(`dashboard: ${mode.dashboard.url}`);
  else console.error(`serve: no dashboard: ${mode.problem}`);
  // The host owns the engine (and moves it when the dashboard asks for another port).
  return {
    url: mode.host.info().serverUrl,
    onStall: (listener) => void mode.host.on('stall', listener),
    close: () => mode.close(),
  };
}

/** `--workers N`: this process is the primary; the server processes rerun `serve` as workers. */
async function startWorkers(flags: ServeFlags): Promise<Running> {
  const engine: WorkerEngineOptions = {
    host: flags.host,
    port: flags.port,
    sampleMs: flags.sampleMs,
    sampler: flags.sampler,
    maxSockets: flags.maxSockets,
    stallMs: flags.stalls ? flags.stallMs : null,
    logStalls: flags.logStalls,
  };
  const handle = await startCluster({
    workers: flags.workers!,
    redis: flags.redis,
    engine,
    log: (line) => console.error(`serve: ${line}`),
  });
  console.log(`shared state: redis ${flags.redis ? flags.redis : `(private) ${handle.redis}`}`);
  return {
    url: await handle.url,
    onStall: () => {}, // each worker logs its own stalls
    close: () => handle.stop(),
  };
}

export async function run(argv: string[]): Promise<number> {
  let flags: ServeFlags;
  try {
    flags = parseServeFlags(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(SERVE_USAGE);
      return 0;
    }
    if (!hasCode(err, 'usage')) throw err;
    console.error(`serve: ${err.message}\n${SERVE_USAGE}`);
    return err.exitCode;
  }
  try {
    const planned = withCapacity(flags, readBoxLimits());
    flags = planned.flags;
    if (planned.line) console.error(`serve: ${planned.line}`);
  } catch (err) {
    if (!hasCode(err, 'beyond_box_limits')) throw err;
    console.error(`serve: ${err.message}\nnothing was started [${err.code}]`);
    return err.exitCode;
  }
  // Listening before the start, so a Ctrl-C during it still ends in a graceful close.
  const signal = untilSignal();
  let running: Running;
  try {
    running = await start(flags);
  } catch (err) {
    if (hasCode(err, 'port_in_use')) {
      console.error(
        `serve: port ${flags.port} on ${flags.host} is already in use; choose another with --port N`,
      );
      return err.exitCode;
    }
    if (hasCode(err, 'no_redis_server') || hasCode(err, 'state_unavailable')) {
      console.error(`serve: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
  console.log(`demo server listening on ${running.url}`);
  if (flags.logStalls) running.onStall((stall) => console.log(stallLine(stall)));
  await signal;
  await running.close();
  return 0;
}
