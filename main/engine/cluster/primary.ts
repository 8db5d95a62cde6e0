/**
 * `serve --workers N` (docs/protocol.md §10, Tornado's fork_processes): the primary forks N server
 * processes that share one port (node:cluster), gives them one Redis (a private redis-server when
 * none is named), replaces a process that dies, and relays each process's /stats to the others so
 * that any of them can answer for all.
 */
import cluster, { type Worker } from 'node:cluster';
import type { EngineSnapshot } from '../../../common/snapshot';
import type { Stall } from '../../../common/stalls';
import { entryPoint } from '../entry-points';
import { mergeMetrics } from './merge-metrics';
import { startRedisServer, type RedisServer } from './redis-server';
import type { WorkerStats } from './aggregate';
import {
  WORKER_ENV,
  type PrimaryMessage,
  type WorkerConfig,
  type WorkerEngineOptions,
  type WorkerMessage,
} from './worker';

/** How often the primary relays every process's latest /stats to all of them. */
const RELAY_MS = 500;
/** How long a scrape waits for every serving process's metrics (a stalled loop answers late). */
const METRICS_GATHER_MS = 3_000;
/** Processes that die before they are ready, in a row, before the primary stops starting more. */
const MAX_START_FAILURES = 3;

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

/**
 * Starting a Node process takes seconds on a busy machine, so one warm spare waits beside the N
 * workers (engine built, Redis mirror current, not listening): a worker that dies is replaced by
 * promoting the spare, which only has to listen, and a new spare boots in the background. Each
 * process keeps its id for life; a replacement is a new process with a new id.
 */
export async function startCluster(opts: {
  workers: number;
  redis: string | undefined;
  engine: WorkerEngineOptions;
  log: (line: string) => void;
  /** Each serving process's snapshots, as its sampler publishes them. */
  onSnapshot?: (id: number, pid: number, snapshot: EngineSnapshot) => void;
  /** Each serving process's stalls, as soon as its watchdog lists them. */
  onStall?: (stall: Stall) => void;
}): Promise<ClusterHandle> {
  // The worker entry, not this process's own script: the primary may be `serve`, the Electron app
  // or a test. Inside Electron, process.execPath is the Electron binary; the flag makes it Node.
  const entry = entryPoint('server-worker');
  cluster.setupPrimary({ exec: entry.file, execArgv: entry.execArgv, args: [] });
  const electronAsNode = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
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
  function relayPeers(): void {
    const message: PrimaryMessage = { type: 'loopscope:peers', peers: [...latest.values()] };
    for (const worker of active.values()) {
      if (worker.isConnected()) worker.send(message, () => {});
    }
  }
  /** Worker id → when the process it replaces died, until it listens. */
  const replacing = new Map<number, number>();

  const fork = (role: 'active' | 'spare'): number => {
    const id = nextId++;
    const config: WorkerConfig = { id, redis, spare: role === 'spare', engine: opts.engine };
    const worker = cluster.fork({ ...electronAsNode, [WORKER_ENV]: JSON.stringify(config) });
    if (role === 'active') active.set(id, worker);
    else spare = { id, worker };
    let ready = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'loopscope:stats') {
        if (active.get(id) !== worker) return;
        const isNew = !latest.has(id);
        latest.set(id, message.stats);
        // A process joining (or a replacement) is in every view at once, not a relay period later:
        // otherwise two scrapes a moment apart, landing on different processes, disagree.
        if (isNew) relayPeers();
      } else if (message.type === 'loopscope:snapshot') {
        if (active.get(id) === worker) opts.onSnapshot?.(id, worker.process.pid!, message.snapshot);
      } else if (message.type === 'loopscope:stall') {
        opts.onStall?.(message.stall);
      } else if (message.type === 'loopscope:metrics-request') {
        const reqId = message.reqId;
        void gatherMetrics().then((text) => {
          if (worker.isConnected())
            worker.send({ type: 'loopscope:metrics', reqId, text } satisfies PrimaryMessage, () => {});
        });
      } else if (message.type === 'loopscope:metrics-text') {
        renders.get(message.reqId)?.(id, message.text);
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
      // A dead process leaves every view at once too.
      if (latest.delete(id) && !stopping) relayPeers();
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
  /** Scrapes in flight: each serving process's text is handed to the scrape that asked, by id. */
  const renders = new Map<number, (id: number, text: string) => void>();
  let nextRender = 1;
  /** Every serving process's /metrics, labelled; a process that does not answer in time is left out. */
  const gatherMetrics = (): Promise<string> => {
    const reqId = nextRender++;
    const asked = [...active.entries()].filter(([, w]) => w.isConnected());
    const parts: { id: number; text: string }[] = [];
    return new Promise<string>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        renders.delete(reqId);
        resolve(mergeMetrics(parts.filter((p) => p.text !== '')));
      };
      const timer = setTimeout(finish, METRICS_GATHER_MS);
      renders.set(reqId, (id, text) => {
        parts.push({ id, text });
        if (parts.length === asked.length) finish();
      });
      for (const [, w] of asked)
        w.send({ type: 'loopscope:metrics-render', reqId } satisfies PrimaryMessage, () => {});
      if (asked.length === 0) finish();
    });
  };
  for (let i = 0; i < opts.workers; i++) fork('active');
  fork('spare');

  const relay = setInterval(relayPeers, RELAY_MS);

  return {
    url,
    redis,
    active: () =>
      [...active.entries()]
        .filter(([, worker]) => !worker.isDead())
        .map(([id, worker]) => ({ id, pid: worker.process.pid! })),
    killWorker() {
      const victim = [...active.entries()].find(([, worker]) => !worker.isDead());
      if (!victim) return null;
      const [id, worker] = victim;
      worker.process.kill('SIGKILL');
      return { id, pid: worker.process.pid! };
    },
    broadcast(message) {
      const all = [...active.values(), ...(spare ? [spare.worker] : [])];
      for (const worker of all) if (worker.isConnected()) worker.send(message, () => {});
    },
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
