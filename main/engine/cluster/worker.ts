/**
 * One of the server processes behind `serve --workers N` or the app's Workers control
 * (docs/protocol.md §10): an engine on the shared port and the shared Redis. It reports its own figures,
 * snapshots and stalls to the primary, which sums them for /stats and the dashboard, and follows
 * the primary's sample interval and stall threshold.
 */
import type { EngineSnapshot } from '../../../common/snapshot';
import type { CpuProfile } from '../../../common/cpuprofile';
import type { Stall } from '../../../common/stalls';
import { createEngine, type Engine } from '../engine';
import { stallLine } from '../../stalls/stall-line';
import { combineStats, type ProcessStats, type WorkerStats } from './aggregate';

/** The environment variable that carries a worker's WorkerConfig (JSON). */
export const WORKER_ENV = 'LOOPSCOPE_WORKER';

/** What every server process runs with: the part of `serve`'s flags an engine needs. */
export interface WorkerEngineOptions {
  host: string;
  port: number;
  sampleMs: number;
  sampler: boolean;
  maxSockets: number | undefined;
  /** null: no stall explorer. */
  stallMs: number | null;
  /** One line per stall on stdout. */
  logStalls: boolean;
}

/** What the primary hands each worker (in its environment). */
export interface WorkerConfig {
  id: number;
  redis: string;
  /** A warm spare: boots everything but listens only once promoted (replacing a dead worker). */
  spare: boolean;
  engine: WorkerEngineOptions;
}

/** What a worker sends the primary. */
export type WorkerMessage =
  | { type: 'loopscope:ready' }
  | { type: 'loopscope:listening'; url: string }
  | { type: 'loopscope:stats'; stats: WorkerStats }
  | { type: 'loopscope:snapshot'; snapshot: EngineSnapshot }
  /** With its samples, so the primary's own list serves them too (GET /stalls/ID/profile's data). */
  | { type: 'loopscope:stall'; stall: Stall; profile?: CpuProfile }
  /** This process was scraped: the primary gathers every process's text for it. */
  | { type: 'loopscope:metrics-request'; reqId: number }
  | { type: 'loopscope:metrics-text'; reqId: number; text: string };

/** What the primary sends a worker. */
export type PrimaryMessage =
  | { type: 'loopscope:peers'; peers: WorkerStats[] }
  | { type: 'loopscope:promote' }
  | { type: 'loopscope:sample-ms'; ms: number }
  | { type: 'loopscope:stall-ms'; ms: number }
  | { type: 'loopscope:metrics-render'; reqId: number }
  | { type: 'loopscope:metrics'; reqId: number; text: string };

/** How long a scraped process waits for the primary to gather every process's /metrics. */
const METRICS_WAIT_MS = 5_000;

/** Runs until the primary stops it (SIGTERM) or goes away; resolves with the exit code. */
export async function runWorker(config: WorkerConfig): Promise<number> {
  // Ctrl-C reaches every process of the group: the primary decides when workers stop (SIGTERM).
  process.on('SIGINT', () => {});
  let started = false;
  let withdrawn = false;
  let promote: () => void = () => {};
  let withdraw: (err: Error) => void = () => {};
  const promoted = new Promise<void>((resolve, reject) => {
    promote = resolve;
    withdraw = reject;
  });
  promoted.catch(() => {}); // createEngine sees it, and closes what it built
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      if (started) resolve();
      // A spare stopped before its turn: its engine unwinds (stall watch, Redis) and it exits.
      else if (config.spare) {
        withdrawn = true;
        withdraw(new Error('stopped before it was promoted'));
      } else process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
  });
  let peers: WorkerStats[] = [];
  /** Scrapes of this process waiting for the primary's merged /metrics, by request id. */
  const scrapes = new Map<number, (text: string) => void>();
  let nextScrape = 1;
  let engine: Engine | null = null;
  // Settings that arrive while the engine is still starting apply once it runs.
  let sampleMs = config.engine.sampleMs;
  let stallMs = config.engine.stallMs;
  process.on('message', (message: PrimaryMessage) => {
    if (message.type === 'loopscope:peers') peers = message.peers;
    else if (message.type === 'loopscope:promote') promote();
    else if (message.type === 'loopscope:sample-ms') {
      sampleMs = message.ms;
      engine?.metrics.setIntervalMs(message.ms);
    } else if (message.type === 'loopscope:metrics-render') {
      const reqId = message.reqId;
      void (engine?.ownMetrics() ?? Promise.resolve('')).then(
        (text) => send({ type: 'loopscope:metrics-text', reqId, text }),
        () => send({ type: 'loopscope:metrics-text', reqId, text: '' }),
      );
    } else if (message.type === 'loopscope:metrics') {
      scrapes.get(message.reqId)?.(message.text);
      scrapes.delete(message.reqId);
    } else if (message.type === 'loopscope:stall-ms') {
      stallMs = message.ms;
      if (engine && stallMs !== null) engine.stalls.thresholdMs = message.ms;
    }
  });
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send!(message, undefined, {}, () => {});
  };
  // A spare says when it is ready (engine built, waiting to listen), then waits for its turn.
  const listenAfter = config.spare
    ? async () => {
        send({ type: 'loopscope:ready' });
        await promoted;
      }
    : undefined;
  const options = config.engine;
  try {
    engine = await createEngine({
      host: options.host,
      port: options.port,
      sampleIntervalMs: options.sampleMs,
      sampler: options.sampler,
      maxSockets: options.maxSockets,
      stalls: options.stallMs === null ? false : { thresholdMs: options.stallMs },
      redis: config.redis,
      processName: `worker ${config.id}`,
      listenAfter,
      // Every process's metrics, gathered by the primary; this process's own if the primary is slow.
      metricsView: () =>
        new Promise<string>((resolve) => {
          const reqId = nextScrape++;
          const timer = setTimeout(() => {
            scrapes.delete(reqId);
            void engine!.ownMetrics().then(resolve, () => resolve(''));
          }, METRICS_WAIT_MS);
          scrapes.set(reqId, (text) => {
            clearTimeout(timer);
            resolve(text);
          });
          send({ type: 'loopscope:metrics-request', reqId });
        }),
      statsView: (own) =>
        combineStats({ id: config.id, pid: process.pid, stats: own as ProcessStats }, peers),
    });
  } catch (err) {
    if (withdrawn) return leaveCluster();
    throw err;
  }
  const running = engine;
  started = true;
  if (sampleMs !== options.sampleMs) running.metrics.setIntervalMs(sampleMs);
  if (stallMs !== null && stallMs !== options.stallMs) running.stalls.thresholdMs = stallMs;
  const report = (snapshot: EngineSnapshot) => {
    send({
      type: 'loopscope:stats',
      stats: { id: config.id, pid: process.pid, stats: running.ownStats() as ProcessStats },
    });
    send({ type: 'loopscope:snapshot', snapshot });
  };
  running.metrics.subscribe(report);
  report(running.metrics.latest());
  running.stalls.subscribe((stall) => {
    const profile = running.stalls.profile(stall.id);
    send({ type: 'loopscope:stall', stall, ...(profile ? { profile } : {}) });
    if (options.logStalls) console.log(`worker ${config.id}: ${stallLine(stall)}`);
  });
  send({ type: 'loopscope:listening', url: running.url });
  // SIGTERM from the primary, or the primary gone (killed): nobody else would stop this process.
  await stopped;
  await running.close();
  return leaveCluster();
}

/** Everything is closed: the IPC channel to the primary is all that would keep the process alive. */
function leaveCluster(): number {
  if (process.connected) process.disconnect();
  return 0;
}
