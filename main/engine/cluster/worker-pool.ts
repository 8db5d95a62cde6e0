/**
 * The primary's server processes: N serving, one warm spare. Starting a Node process takes seconds on
 * a busy machine, so a worker that dies is replaced by promoting the spare, which only has to listen,
 * and a new spare boots in the background. Each process keeps its id for life; a replacement is a new
 * process with a new id.
 */
import cluster, { type Worker } from 'node:cluster';
import type { EngineSnapshot } from '../../../common/snapshot';
import type { CpuProfile } from '../../../common/cpuprofile';
import type { Stall } from '../../../common/stalls';
import type { WorkerStats } from './aggregate';
import { MetricsGather } from './gather-metrics';
import {
  WORKER_ENV,
  type PrimaryMessage,
  type WorkerConfig,
  type WorkerEngineOptions,
  type WorkerMessage,
} from './worker';

export interface WorkerPoolOptions {
  workers: number;
  redis: string;
  engine: WorkerEngineOptions;
  /** Added to each process's environment. */
  env: Record<string, string>;
  log: (line: string) => void;
  onSnapshot?: (id: number, pid: number, snapshot: EngineSnapshot) => void;
  onStall?: (stall: Stall, profile: CpuProfile | undefined) => void;
}

/** One forked process; `ready` once it has built its engine (a death before that is a start failure). */
interface Forked {
  id: number;
  worker: Worker;
  ready: boolean;
}

/** Processes that die before they are ready, in a row, before the primary stops starting more. */
const MAX_START_FAILURES = 3;
/** How often the primary relays every process's latest /stats to all of them. */
const RELAY_MS = 500;

export class WorkerPool {
  /** Resolves with the URL once every process listens; rejects if they keep failing to start. */
  readonly url: Promise<string>;
  private resolveUrl: (url: string) => void = () => {};
  private rejectUrl: (err: Error) => void = () => {};
  private readonly active = new Map<number, Worker>();
  private spare: { id: number; worker: Worker } | null = null;
  private readonly latest = new Map<number, WorkerStats>();
  private readonly listening = new Set<number>();
  /** Worker id → when the process it replaces died, until it listens. */
  private readonly replacing = new Map<number, number>();
  private readonly metrics = new MetricsGather();
  private nextId = 1;
  private stopping = false;
  private startFailures = 0;
  private relay: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.url = new Promise<string>((resolve, reject) => {
      this.resolveUrl = resolve;
      this.rejectUrl = reject;
    });
  }

  start(): void {
    for (let i = 0; i < this.opts.workers; i++) this.fork('active');
    this.fork('spare');
    this.relay = setInterval(() => this.relayPeers(), RELAY_MS);
  }

  /** The serving processes (not the spare) that are alive. */
  serving(): { id: number; pid: number }[] {
    return [...this.active.entries()]
      .filter(([, worker]) => !worker.isDead())
      .map(([id, worker]) => ({ id, pid: worker.process.pid! }));
  }

  /** SIGKILLs the oldest serving process (the pool replaces it); null when none runs. */
  killOldest(): { id: number; pid: number } | null {
    const victim = [...this.active.entries()].find(([, worker]) => !worker.isDead());
    if (!victim) return null;
    const [id, worker] = victim;
    worker.process.kill('SIGKILL');
    return { id, pid: worker.process.pid! };
  }

  /** To every serving process and the spare: settings that every process must follow. */
  broadcast(message: PrimaryMessage): void {
    for (const worker of this.all()) if (worker.isConnected()) worker.send(message, () => {});
  }

  /** SIGTERM to every process (SIGKILL after 10 s); resolves once all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.relay);
    await Promise.all(
      this.all().map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), 10_000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  }

  private all(): Worker[] {
    return [...this.active.values(), ...(this.spare ? [this.spare.worker] : [])];
  }

  private fork(role: 'active' | 'spare'): number {
    const id = this.nextId++;
    const config: WorkerConfig = {
      id,
      redis: this.opts.redis,
      spare: role === 'spare',
      engine: this.opts.engine,
    };
    const worker = cluster.fork({ ...this.opts.env, [WORKER_ENV]: JSON.stringify(config) });
    if (role === 'active') this.active.set(id, worker);
    else this.spare = { id, worker };
    const forked: Forked = { id, worker, ready: false };
    worker.on('message', (message: WorkerMessage) => this.onMessage(forked, message));
    worker.on('exit', (code, signal) => this.onExit(forked, signal ?? code));
    return id;
  }

  private relayPeers(): void {
    const message: PrimaryMessage = { type: 'loopscope:peers', peers: [...this.latest.values()] };
    for (const worker of this.active.values()) {
      if (worker.isConnected()) worker.send(message, () => {});
    }
  }

  private onMessage(forked: Forked, message: WorkerMessage): void {
    const { id, worker } = forked;
    switch (message.type) {
      case 'loopscope:stats': {
        if (this.active.get(id) !== worker) return;
        const isNew = !this.latest.has(id);
        this.latest.set(id, message.stats);
        // A process joining (or a replacement) is in every view at once, not a relay period later:
        // otherwise two scrapes a moment apart, landing on different processes, disagree.
        if (isNew) this.relayPeers();
        return;
      }
      case 'loopscope:snapshot':
        if (this.active.get(id) === worker) this.opts.onSnapshot?.(id, worker.process.pid!, message.snapshot);
        return;
      case 'loopscope:stall':
        this.opts.onStall?.(message.stall, message.profile);
        return;
      case 'loopscope:metrics-request': {
        const reqId = message.reqId;
        void this.metrics.gather(this.active.entries()).then((text) => {
          if (worker.isConnected())
            worker.send({ type: 'loopscope:metrics', reqId, text } satisfies PrimaryMessage, () => {});
        });
        return;
      }
      case 'loopscope:metrics-text':
        this.metrics.receive(message.reqId, id, message.text);
        return;
      case 'loopscope:ready':
        this.markReady(forked);
        return;
      case 'loopscope:listening':
        this.markReady(forked);
        this.onListening(forked, message.url);
        return;
    }
  }

  private markReady(forked: Forked): void {
    forked.ready = true;
    this.startFailures = 0;
  }

  private onListening({ id, worker }: Forked, url: string): void {
    this.listening.add(id);
    if (this.listening.size === this.opts.workers) this.resolveUrl(url);
    const diedAt = this.replacing.get(id);
    if (diedAt === undefined) return;
    this.replacing.delete(id);
    this.opts.log(
      `worker ${id} (pid ${worker.process.pid}) took over, ${Date.now() - diedAt} ms after the death`,
    );
  }

  private onExit(forked: Forked, cause: string | number): void {
    const { id, worker } = forked;
    // A dead process leaves every view at once too.
    if (this.latest.delete(id) && !this.stopping) this.relayPeers();
    if (this.stopping) return;
    if (!forked.ready && ++this.startFailures >= MAX_START_FAILURES) {
      this.stopping = true;
      this.rejectUrl(new Error(`server processes keep exiting before they are ready (last: ${cause})`));
      return;
    }
    if (this.spare?.worker === worker) {
      this.spare = null;
      this.fork('spare');
      return;
    }
    if (this.active.get(id) !== worker) return;
    this.replaceDead(forked, cause);
  }

  /** The spare takes a dead serving process's place (a fresh process if there is none), and a new spare boots. */
  private replaceDead({ id, worker }: Forked, cause: string | number): void {
    this.active.delete(id);
    const diedAt = Date.now();
    const promoted = this.spare;
    let next: number;
    if (promoted) {
      this.spare = null;
      this.active.set(promoted.id, promoted.worker);
      promoted.worker.send({ type: 'loopscope:promote' } satisfies PrimaryMessage, () => {});
      next = promoted.id;
    } else {
      next = this.fork('active');
    }
    this.replacing.set(next, diedAt);
    this.opts.log(
      `worker ${id} (pid ${worker.process.pid}) exited (${cause}); worker ${next} takes its place`,
    );
    this.fork('spare');
  }
}
