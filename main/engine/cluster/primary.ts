/**
 * `serve --workers N` (docs/protocol.md §10, Tornado's fork_processes): the primary forks N server
 * processes that share one port (node:cluster), gives them one Redis (a private redis-server when
 * none is named), replaces a process that dies, and relays each process's /stats to the others so
 * that any of them can answer for all.
 */
import cluster from 'node:cluster';
import type { EngineSnapshot } from '../../../common/snapshot';
import type { CpuProfile } from '../../../common/cpuprofile';
import type { Stall } from '../../../common/stalls';
import { entryPoint } from '../entry-points';
import { startRedisServer, type RedisServer } from './redis-server';
import type { PrimaryMessage, WorkerEngineOptions } from './worker';
import { WorkerPool } from './worker-pool';

export interface ClusterHandle {
  /** Resolves with the URL once every process listens; rejects if they keep failing to start. */
  readonly url: Promise<string>;
  readonly redis: string;
  /** The serving processes (not the spare), by id. */
  active(): { id: number; pid: number }[];
  /** SIGKILLs one serving process (the oldest); the primary replaces it. null when none runs. */
  killWorker(): { id: number; pid: number } | null;
  /** Sent to every serving process and the spare (settings that every process must follow). */
  broadcast(message: PrimaryMessage): void;
  stop(): Promise<void>;
}

/** N serving processes and a warm spare (worker-pool.ts), on one Redis. */
export async function startCluster(opts: {
  workers: number;
  redis: string | undefined;
  engine: WorkerEngineOptions;
  log: (line: string) => void;
  /** Each serving process's snapshots, as its sampler publishes them. */
  onSnapshot?: (id: number, pid: number, snapshot: EngineSnapshot) => void;
  /** Each serving process's stalls, as soon as its watchdog lists them, with their samples. */
  onStall?: (stall: Stall, profile: CpuProfile | undefined) => void;
}): Promise<ClusterHandle> {
  // The worker entry, not this process's own script: the primary may be `serve`, the Electron app
  // or a test. Inside Electron, process.execPath is the Electron binary; the flag makes it Node.
  const entry = entryPoint('server-worker');
  cluster.setupPrimary({ exec: entry.file, execArgv: entry.execArgv, args: [] });
  const electronAsNode: Record<string, string> = process.versions.electron
    ? { ELECTRON_RUN_AS_NODE: '1' }
    : {};
  let privateRedis: RedisServer | null = null;
  if (!opts.redis) privateRedis = await startRedisServer();
  const redis = opts.redis ?? privateRedis!.url;
  const pool = new WorkerPool({
    workers: opts.workers,
    redis,
    engine: opts.engine,
    env: electronAsNode,
    log: opts.log,
    onSnapshot: opts.onSnapshot,
    onStall: opts.onStall,
  });
  pool.start();

  return {
    url: pool.url,
    redis,
    active: () => pool.serving(),
    killWorker: () => pool.killOldest(),
    broadcast: (message) => pool.broadcast(message),
    async stop() {
      await pool.stop();
      await privateRedis?.stop();
    },
  };
}
