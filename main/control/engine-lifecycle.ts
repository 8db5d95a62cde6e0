/**
 * The demo server's life in the app host: started (on a free port if its own is taken and that is
 * allowed), moved to another port, restarted as a different number of processes, and closed. A
 * restart keeps the running server's settings, and the simulated clients aimed at it come along.
 *
 * Plain Node: never imports electron.
 */
import type { NoticeCode } from '../../common/errors';
import { hasCode, LoopscopeError } from '../../common/errors';
import { SERVER_WORKERS } from '../../common/limits';
import os from 'node:os';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine';
import { createClusterEngine, type ClusterEngine } from '../engine/cluster/cluster-engine';
import type { ClientCounts } from './carried-clients';
import type { EventHub } from './event-hub';

/** The Workers control's top: one server process per core (and never past the protocol's cap). */
export function maxServerWorkers(): number {
  return Math.min(os.availableParallelism(), SERVER_WORKERS.max);
}

/** One engine in this process, or `workers` processes sharing a Redis (a private one unless given). */
function startServer(options: EngineOptions, workers: number): Promise<Engine | ClusterEngine> {
  return workers > 1 ? createClusterEngine({ ...options, workers }) : createEngine(options);
}

function isCluster(engine: Engine): engine is ClusterEngine {
  return 'killWorker' in engine;
}

export interface EngineStart {
  options: EngineOptions | undefined;
  workers: number;
  /** When the port is taken, take a free one and say so instead of failing. */
  fallbackToFreePort: boolean;
}

/** The first demo server. */
export async function startEngine(start: EngineStart, hub: EventHub): Promise<Engine> {
  try {
    return await startServer(start.options ?? {}, start.workers);
  } catch (err) {
    if (!start.fallbackToFreePort || !hasCode(err, 'port_in_use')) throw err;
    const engine = await startServer({ ...start.options, port: 0 }, start.workers);
    // Kept by the hub until the window listens.
    hub.notice('warn', 'port_in_use', `${err.message}; the demo server took ${engine.url} instead`);
    return engine;
  }
}

/** What a restart does with the simulated clients aimed at the demo server. */
export interface RestartClients {
  /** Stops them before the old server goes; null when there is nothing to carry. */
  hold(): Promise<ClientCounts | null>;
  /** Starts as many again against the new server. */
  carry(carried: ClientCounts | null, url: string): Promise<void>;
  /** The restart's notice, once they are back. */
  announce(carried: ClientCounts | null, code: NoticeCode, text: string): void;
}

export class EngineLifecycle {
  private current: Engine;
  private unsubscribeEvents: () => void;

  constructor(
    engine: Engine,
    /** What the host was started with; a restart keeps the running server's settings over these. */
    private readonly options: EngineOptions | undefined,
    private readonly hub: EventHub,
    private readonly clients: RestartClients,
    /** Subscribes the host to an engine's events; returns the unsubscribe. */
    private readonly forwardEvents: (engine: Engine) => () => void,
  ) {
    this.current = engine;
    this.unsubscribeEvents = forwardEvents(engine);
  }

  /** The demo server running now (a restart replaces it: do not keep it). */
  get engine(): Engine {
    return this.current;
  }

  get workers(): number {
    return isCluster(this.current) ? this.current.workers : 1;
  }

  killWorker(): ReturnType<ClusterEngine['killWorker']> {
    const engine = this.current;
    if (!isCluster(engine))
      throw new LoopscopeError(
        'bad_command',
        'the demo server runs as one process: set Workers to 2 or more first',
      );
    return engine.killWorker();
  }

  /** Starts a demo server on the new port first, so a port in use leaves the old one running. */
  async move(port: number): Promise<void> {
    const old = this.current;
    if (port !== 0 && port === old.port) return;
    const next = await startServer(this.optionsLike(old, port), isCluster(old) ? old.workers : 1);
    this.unsubscribeEvents();
    this.adopt(next);
    // The clients leave the old server before it closes, and as many connect to the new one.
    const carried = await this.clients.hold();
    await this.clients.carry(carried, next.url);
    await old.close();
    this.clients.announce(carried, 'server_moved', `demo server moved to ${next.url}`);
  }

  /**
   * The Workers control: the demo server again on the same port as `count` processes (a private
   * redis-server shared by them when count > 1, stopped with them). The port cannot be held by both,
   * so the old server closes first; if the new one cannot start (no redis-server installed), a single
   * process takes the port back and the error says why.
   */
  async restartWithWorkers(count: number): Promise<void> {
    const max = maxServerWorkers();
    if (count > max) {
      throw new LoopscopeError(
        'bad_payload',
        `setServerWorkers: count must be an integer from 1 to ${max} (this machine's cores), got ${count}`,
      );
    }
    const old = this.current;
    if ((isCluster(old) ? old.workers : 1) === count) return;
    const options = this.optionsLike(old, old.port);
    const jobWorkers = old.jobs.stats().workers;
    this.unsubscribeEvents();
    // Stopped before the server closes (so none of them counts as failed), started again after.
    const carried = await this.clients.hold();
    await old.close();
    let next: Engine;
    try {
      next = await startServer(options, count);
    } catch (err) {
      next = await createEngine(options).catch(() => createEngine({ ...options, port: 0 }));
      this.adopt(next);
      await this.clients.carry(carried, next.url);
      const why = err instanceof Error ? err.message : String(err);
      this.hub.notice(
        'error',
        'server_workers',
        `could not start ${count} server processes: ${why}; the demo server runs as one process`,
      );
      throw err;
    }
    this.adopt(next);
    // A fresh Redis queue starts with the default worker count: keep the one the user set.
    await Promise.resolve(next.jobs.setWorkers(jobWorkers)).catch(() => undefined);
    await this.clients.carry(carried, next.url);
    this.clients.announce(
      carried,
      'server_workers',
      count === 1
        ? `demo server restarted as one process on ${next.url}`
        : `demo server restarted as ${count} processes on ${next.url}, sharing one redis-server`,
    );
  }

  /** Stops forwarding the engine's events (the host is closing). */
  stopEvents(): void {
    this.unsubscribeEvents();
  }

  close(): Promise<void> {
    return this.current.close();
  }

  /** What a new demo server keeps from the running one: host, interval, queue settings, threshold. */
  private optionsLike(old: Engine, port: number): EngineOptions {
    const queue = old.jobs.stats();
    return {
      ...this.options,
      host: old.host,
      port,
      sampleIntervalMs: old.metrics.intervalMs,
      queueCapacity: queue.capacity,
      workers: queue.workers,
      stalls: this.options?.stalls === false ? false : { thresholdMs: old.stalls.thresholdMs },
    };
  }

  private adopt(engine: Engine): void {
    this.current = engine;
    this.unsubscribeEvents = this.forwardEvents(engine);
  }
}
