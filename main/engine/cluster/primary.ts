/**
 * `serve --workers N` (PROTOCOL.md §10, Tornado's fork_processes): the primary forks N server
 * processes that share one port (node:cluster), gives them one Redis (a private redis-server when
 * none is named), replaces a process that dies, and relays each process's /stats to the others so
 * that any of them can answer for all.
 */
import cluster, { type Worker } from 'node:cluster';
import { startRedisServer, type RedisServer } from './redis-server';
import type { WorkerStats } from './aggregate';

/** What the primary hands each worker (in its environment) and what workers send back. */
export const WORKER_ENV = 'LOOPSCOPE_WORKER';
export interface WorkerConfig {
  id: number;
  redis: string;
  /** A warm spare: boots everything but listens only once promoted (replacing a dead worker). */
  spare: boolean;
}
export type WorkerMessage =
  | { type: 'loopscope:ready' }
  | { type: 'loopscope:listening'; url: string }
  | { type: 'loopscope:stats'; stats: WorkerStats };
export type PrimaryMessage =
  { type: 'loopscope:peers'; peers: WorkerStats[] } | { type: 'loopscope:promote' };

/** How often the primary relays every process's latest /stats to all of them. */
const RELAY_MS = 500;
/** Processes that die before they are ready, in a row, before the primary stops starting more. */
const MAX_START_FAILURES = 3;

export interface ClusterHandle {
  /** Resolves with the URL once every process listens; rejects if they keep failing to start. */
  readonly url: Promise<string>;
  readonly redis: string;
  stop(): Promise<void>;
}

/**
 * Starting a Node process takes seconds on a busy machine, so one warm spare waits beside the N
 * workers (engine built, Redis mirror current, not listening): a worker that dies is replaced by
 * promoting the spare, which only has to listen, and a new spare boots in the background. Each
 * process keeps its id for life; a replacement is a new process with a new id.
 */
export async function startCluster(opts: {
  workers: number;
  redis: string | undefined;
  log: (line: string) => void;
}): Promise<ClusterHandle> {
  let privateRedis: RedisServer | null = null;
  if (!opts.redis) privateRedis = await startRedisServer();
  const redis = opts.redis ?? privateRedis!.url;
  const active = new Map<number, Worker>();
  let spare: { id: number; worker: Worker } | null = null;
  const latest = new Map<number, WorkerStats>();
  let nextId = 1;
  let stopping = false;
  let startFailures = 0;
  let resolveUrl: (url: string) => void = () => {};
  let rejectUrl: (err: Error) => void = () => {};
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  const listening = new Set<number>();
  /** Worker id → when the process it replaces died, until it listens. */
  const replacing = new Map<number, number>();

  const fork = (role: 'active' | 'spare'): number => {
    const id = nextId++;
    const config: WorkerConfig = { id, redis, spare: role === 'spare' };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(config) });
    if (role === 'active') active.set(id, worker);
    else spare = { id, worker };
    let ready = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'loopscope:stats') {
        if (active.get(id) === worker) latest.set(id, message.stats);
      } else if (message.type === 'loopscope:ready') {
        ready = true;
        startFailures = 0;
      } else if (message.type === 'loopscope:listening') {
        ready = true;
        startFailures = 0;
        listening.add(id);
        if (listening.size === opts.workers) resolveUrl(message.url);
        const diedAt = replacing.get(id);
        if (diedAt === undefined) return;
        replacing.delete(id);
        opts.log(
          `worker ${id} (pid ${worker.process.pid}) took over, ${Date.now() - diedAt} ms after the death`,
        );
      }
    });
    worker.on('exit', (code, signal) => {
      latest.delete(id);
      if (stopping) return;
      if (!ready && ++startFailures >= MAX_START_FAILURES) {
        stopping = true;
        rejectUrl(new Error(`server processes keep exiting before they are ready (last: ${signal ?? code})`));
        return;
      }
      if (spare?.worker === worker) {
        spare = null;
        fork('spare');
        return;
      }
      if (active.get(id) !== worker) return;
      active.delete(id);
      const diedAt = Date.now();
      const promoted = spare;
      let next: number;
      if (promoted) {
        spare = null;
        active.set(promoted.id, promoted.worker);
        promoted.worker.send({ type: 'loopscope:promote' } satisfies PrimaryMessage, () => {});
        next = promoted.id;
      } else {
        next = fork('active');
      }
      replacing.set(next, diedAt);
      opts.log(
        `worker ${id} (pid ${worker.process.pid}) exited (${signal ?? code}); worker ${next} takes its place`,
      );
      fork('spare');
    });
    return id;
  };
  for (let i = 0; i < opts.workers; i++) fork('active');
  fork('spare');

  const relay = setInterval(() => {
    const message: PrimaryMessage = { type: 'loopscope:peers', peers: [...latest.values()] };
    for (const worker of active.values()) {
      if (worker.isConnected()) worker.send(message, () => {});
    }
  }, RELAY_MS);

  return {
    url,
    redis,
    async stop() {
      stopping = true;
      clearInterval(relay);
      const all = [...active.values(), ...(spare ? [spare.worker] : [])];
      await Promise.all(
        all.map(
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
      await privateRedis?.stop();
    },
  };
}
