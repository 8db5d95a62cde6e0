/**
 * createEngine(): the demo server of docs/protocol.md v1 with its feed, job queue, bcrypt pool and
 * metrics sampler, in plain Node. The Electron shell, the `serve` command, the benchmarks and the
 * tests all start the engine through this one function.
 */
import { Agent } from 'node:http';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import type { EngineSnapshot, QueueStats } from '../../common/snapshot';
import { BcryptService, type BcryptMode, type BcryptResult } from './bcrypt/service';
import type { EnqueueResult } from './job-queue';
import { memoryState } from './state/memory';
import { redisState } from './state/redis';
import { EngineCounters } from './metrics/counters';
import { createPrometheusExport } from './metrics/prometheus';
import { Sampler } from './metrics/sampler';
import type { ServerContext } from './server/context';
import { DemoServer } from './server/http-server';
import { LongPolls } from './server/long-polls';
import type { SocketLimitOptions } from './server/socket-limits';
import { stallMetrics } from '../stalls/metrics';
import { StallLog } from '../stalls/stall-log';
import { startStallWatch, type StallWatch } from '../stalls/watchdog';
import { DEFAULT_KEEPALIVE_MS, DEFAULT_PING_MS } from './server/sockets/heartbeat';
import { recordRequestsOf } from '../requests/recorder';
import { Diagnoser } from '../diagnosis/diagnoser';
import { timeUpstreams } from '../diagnosis/upstream';
import { probeWaits } from '../diagnosis/wait-probes';
import type { Diagnosis } from '../../common/diagnosis';

/** Timeouts and the socket cap: see server/socket-limits.ts for each default. */
export interface EngineOptions extends SocketLimitOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8888; 0 picks a free port (read it back from engine.port). */
  port?: number;
  /** Default 1000, min 250. */
  sampleIntervalMs?: number;
  /** Default true; false = no periodic sampling (the benchmarks' "overhead" baseline). */
  sampler?: boolean;
  queueCapacity?: number;
  workers?: number;
  /** Default os.availableParallelism(). */
  bcryptThreads?: number;
  /** WebSocket ping interval, default 30000. */
  heartbeatMs?: number;
  /** SSE keep-alive comment interval, default 15000. */
  sseKeepAliveMs?: number;
  /** How long close() lets in-flight requests finish before cutting them, default 5000. */
  closeGraceMs?: number;
  /** Messages the feed retains; the protocol's 10,000 unless a test needs a small window. */
  feedCapacity?: number;
  /**
   * docs/protocol.md §10: share the feed and the job queue through this Redis (redis://host:port or a
   * unix socket path) with every other process given the same; absent = this process's memory.
   */
  redis?: string;
  /** Key prefix in that Redis (default `loopscope:`): servers with the same Redis and prefix are one. */
  redisPrefix?: string;
  /**
   * The stall explorer (docs/protocol.md §9): a watchdog thread and an in-process inspector session.
   * Default on with the default threshold; false runs without it (/stalls then lists nothing).
   */
  stalls?: { thresholdMs?: number } | false;
  /** The §9 `process` name of this server's stalls: "server", or "worker N" under §10. */
  processName?: string;
  /** Under §10: a warm spare builds everything, then listens only once this resolves. */
  listenAfter?: () => Promise<void>;
  /** Under §10: turns this process's /stats body into the one for every process. */
  statsView?: (own: Record<string, unknown>) => Record<string, unknown>;
  /** Under §10: the /metrics text of every process (each sample labelled by worker). */
  metricsView?: () => Promise<string>;
}

export interface EngineMetrics {
  latest(): EngineSnapshot;
  subscribe(listener: (s: EngineSnapshot) => void): () => void;
  setIntervalMs(ms: number): void;
  readonly intervalMs: number;
}

export interface EngineJobs {
  enqueue(count: number, workMs: number, opts: { wait: boolean }): Promise<EnqueueResult>;
  setWorkers(n: number): QueueStats | Promise<QueueStats>;
  /** The latest figures known without waiting (exact in one process; refreshed twice a second from Redis). */
  stats(): QueueStats;
}

export interface EngineBcrypt {
  hash(password: string, cost: number, mode: BcryptMode): Promise<BcryptResult>;
}

export interface Engine {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:8888 */
  readonly url: string;
  readonly metrics: EngineMetrics;
  readonly jobs: EngineJobs;
  readonly bcrypt: EngineBcrypt;
  /** This server's stalls and the stall threshold. */
  readonly stalls: StallLog;
  /** This process's own /stats body (docs/protocol.md §8, §9), before any §10 view. */
  ownStats(): Record<string, unknown>;
  /** This process's own /metrics text, before any §10 view. */
  ownMetrics(): Promise<string>;
  /** Graceful: held polls answered, sockets closed with 1001, SSE ended, pool destroyed. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Where the server can call itself: a wildcard bind is reached over loopback. */
function selfHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const host = options.host ?? '127.0.0.1';
  const counters = new EngineCounters();
  const stateOptions = {
    feedCapacity: options.feedCapacity,
    queueCapacity: options.queueCapacity,
    workers: options.workers,
  };
  const state = options.redis
    ? await redisState({ ...stateOptions, url: options.redis, prefix: options.redisPrefix })
    : memoryState(stateOptions);
  const { feed, queue } = state;
  const bcrypt = new BcryptService(counters, options.bcryptThreads ?? os.availableParallelism());
  const sampler = new Sampler(
    { counters, feed, queue },
    { intervalMs: options.sampleIntervalMs, enabled: options.sampler ?? true },
  );
  const agent = new Agent({ keepAlive: true });
  const stalls = new StallLog(options.stalls ? options.stalls.thresholdMs : undefined);
  // Started beside the server: the watchdog thread boots while the port is bound.
  const watching: Promise<StallWatch | null> =
    options.stalls === false
      ? Promise.resolve(null)
      : startStallWatch({ processName: options.processName ?? 'server', log: stalls }).catch(
          (err: unknown) => {
            // The demo server is still worth running without the explorer; say why it is off.
            console.error(
              `loopscope: stall explorer off: ${err instanceof Error ? err.message : String(err)}`,
            );
            return null;
          },
        );
  let watch: StallWatch | null = null;
  let port = 0;
  // docs/protocol.md §12: each opening and closing goes out with the next snapshot.
  let diagnosed: Diagnosis[] = [];
  const diagnoser = new Diagnoser((d) => diagnosed.push(d));
  const upstream = timeUpstreams();
  const waits = options.sampler === false ? null : probeWaits();
  const ctx: ServerContext = {
    counters,
    feed,
    queue,
    state,
    bcrypt,
    sampler,
    stalls,
    diagnoses: diagnoser.episodes,
    prometheus: createPrometheusExport(sampler, counters, stallMetrics(stalls)),
    longPolls: new LongPolls(feed),
    sseStreams: new Set<ServerResponse>(),
    agent,
    statsView: options.statsView,
    metricsView: options.metricsView,
    selfUrl: () => `http://${urlHost(selfHost(host))}:${port}`,
  };
  const server = new DemoServer(ctx, {
    pingMs: options.heartbeatMs ?? DEFAULT_PING_MS,
    keepAliveMs: options.sseKeepAliveMs ?? DEFAULT_KEEPALIVE_MS,
    closeGraceMs: options.closeGraceMs,
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    timeoutCheckMs: options.timeoutCheckMs,
    maxSockets: options.maxSockets,
  });
  // Only the demo server's requests: the dashboard's server may share this process.
  const requests = recordRequestsOf(server.server);
  sampler.timeRequests(requests);
  const stopAll = async (): Promise<void> => {
    requests.remove();
    upstream.remove();
    waits?.remove();
    await watch?.close();
    sampler.stop();
    await state.close();
    agent.destroy();
    await bcrypt.close();
  };
  try {
    if (options.listenAfter) await options.listenAfter();
    port = await server.listen(host, options.port ?? 8888);
    watch = await watching;
  } catch (err) {
    watch = await watching.catch(() => null);
    await server.close();
    await stopAll();
    throw err;
  }
  // Each snapshot carries the stalls new since the previous one, and the §12 episodes they and the
  // window's other figures opened or closed: one window per snapshot, however many listeners read it.
  let windowed: { from: EngineSnapshot; to: EngineSnapshot } | null = null;
  const withStalls = (snapshot: EngineSnapshot): EngineSnapshot => {
    if (windowed?.from === snapshot) return windowed.to;
    const stallWindow = stalls.window();
    if (waits)
      diagnoser.sample({
        stalls: stallWindow.recent,
        waits: waits.take(),
        upstream: upstream.take(),
        requestsP99Ms: snapshot.requests.p99Ms,
        loopDelayP99Ms: snapshot.eventLoop.p99Ms,
        stallMs: stalls.thresholdMs,
        appPool: bcrypt.poolWindow(),
      });
    windowed = { from: snapshot, to: { ...snapshot, stalls: stallWindow, diagnoses: diagnosed } };
    diagnosed = [];
    return windowed.to;
  };
  // Every snapshot is windowed, whether or not anyone else listens: the diagnosis needs each one.
  sampler.subscribe(withStalls);
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url: `http://${urlHost(host)}:${port}`,
    metrics: {
      latest: () => withStalls(sampler.latest()),
      subscribe: (listener) => sampler.subscribe((snapshot) => listener(withStalls(snapshot))),
      setIntervalMs: (ms) => sampler.setIntervalMs(ms),
      get intervalMs() {
        return sampler.intervalMs;
      },
    },
    jobs: {
      enqueue: (count, workMs, opts) => queue.enqueue(count, workMs, opts),
      setWorkers: (n) => queue.setWorkers(n),
      stats: () => queue.latest(),
    },
    bcrypt: { hash: (password, cost, mode) => bcrypt.hash(password, cost, mode) },
    stalls,
    ownStats: () => ({ ...sampler.current(), stalls: stalls.summary() }),
    ownMetrics: () => ctx.prometheus.render(),
    close() {
      closing ??= server.close().then(stopAll);
      return closing;
    },
  };
}
