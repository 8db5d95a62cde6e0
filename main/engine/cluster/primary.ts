/**
 * `serve --workers N` (PROTOCOL.md §10, Tornado's fork_processes): the primary forks N server
 * processes that share one port (node:cluster), gives them one Redis (a private redis-server when
 * none is named), replaces a process that dies, and relays each process's /stats to the others so
 * that any of them can answer for all.
 */
import cluster, { type Worker } from 'node:cluster';
import { WORKER_REPLACE_MS } from '../../../common/limits';
import { startRedisServer, type RedisServer } from './redis-server';
import type { WorkerStats } from './aggregate';

/** What the primary hands each worker (in its environment) and what workers send back. */
export const WORKER_ENV = 'LOOPSCOPE_WORKER';
export interface WorkerConfig {
  id: number;
  redis: string;
}
export type WorkerMessage =
  { type: 'loopscope:listening'; url: string } | { type: 'loopscope:stats'; stats: WorkerStats };
export type PrimaryMessage = { type: 'loopscope:peers'; peers: WorkerStats[] };

/** How often the primary relays every process's latest /stats to all of them. */
const RELAY_MS = 500;

export interface ClusterHandle {
  /** Resolves with the URL once every process listens. */
  readonly url: Promise<string>;
  readonly redis: string;
  stop(): Promise<void>;
}

export async function startCluster(opts: {
  workers: number;
  redis: string | undefined;
  log: (line: string) => void;
}): Promise<ClusterHandle> {
  let privateRedis: RedisServer | null = null;
  if (!opts.redis) privateRedis = await startRedisServer();
  const redis = opts.redis ?? privateRedis!.url;
  const byId = new Map<number, Worker>();
  const latest = new Map<number, WorkerStats>();
  let stopping = false;
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  const listening = new Set<number>();
  /** Worker id → when its previous process died, until the new one listens. */
  const replacing = new Map<number, number>();

  const fork = (id: number) => {
    const config: WorkerConfig = { id, redis };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(config) });
    byId.set(id, worker);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'loopscope:stats') latest.set(id, message.stats);
      else if (message.type === 'loopscope:listening') {
        listening.add(id);
        if (listening.size === opts.workers) resolveUrl(message.url);
        const diedAt = replacing.get(id);
        if (diedAt === undefined) return;
        replacing.delete(id);
        const ms = Date.now() - diedAt;
        opts.log(
          `worker ${id} replaced by pid ${worker.process.pid} in ${ms} ms${ms > WORKER_REPLACE_MS ? ' (slow)' : ''}`,
        );
      }
    });
    worker.on('exit', (code, signal) => {
      if (byId.get(id) !== worker) return;
      latest.delete(id);
      if (stopping) return;
      opts.log(`worker ${id} (pid ${worker.process.pid}) exited (${signal ?? code}); starting another`);
      replacing.set(id, Date.now());
      fork(id);
    });
  };
  for (let id = 1; id <= opts.workers; id++) fork(id);

  const relay = setInterval(() => {
    const message: PrimaryMessage = { type: 'loopscope:peers', peers: [...latest.values()] };
    for (const worker of byId.values()) {
      if (worker.isConnected()) worker.send(message, () => {});
    }
  }, RELAY_MS);

  return {
    url,
    redis,
    async stop() {
      stopping = true;
      clearInterval(relay);
      await Promise.all(
        [...byId.values()].map(
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
