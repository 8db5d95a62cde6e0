/**
 * The demo server as several processes behind one port (docs/protocol.md §10), seen from the process
 * that started them as one Engine: the app host drives it exactly as it drives a single engine.
 * Snapshots are the workers' own, combined once per interval; stalls arrive from whichever worker
 * stalled (named by its `process`); job and bcrypt commands go over HTTP like any client's, so a
 * bcrypt on the loop lands on one process, the one the request reached.
 */
import { SAMPLE_INTERVAL_MS } from '../../../common/limits';
import { checkInt } from '../../../common/range';
import type { EngineSnapshot, QueueStats } from '../../../common/snapshot';
import { isErrorCode, LoopscopeError } from '../../../common/errors';
import type { BcryptMode, BcryptResult } from '../bcrypt/service';
import type { Engine, EngineOptions } from '../engine';
import type { EnqueueResult } from '../job-queue';
import { StallLog } from '../../stalls/stall-log';
import { WorkerEpisodes } from './worker-episodes';
import { combineSnapshots, type ProcessSnapshot } from './combine-snapshots';
import { startCluster, type ClusterHandle } from './primary';

export interface ClusterEngine extends Engine {
  /** Serving processes behind the port. */
  readonly workers: number;
  /** The Redis the processes share (a socket path or URL). */
  readonly redis: string;
  /** SIGKILLs one serving process; the primary replaces it. */
  killWorker(): { id: number; pid: number };
}

/** Longest a job or bcrypt command waits for the server (a cost-14 hash on a busy box takes seconds). */
const REQUEST_TIMEOUT_MS = 60_000;

export async function createClusterEngine(
  options: EngineOptions & { workers: number; log?: (line: string) => void },
): Promise<ClusterEngine> {
  const host = options.host ?? '127.0.0.1';
  let intervalMs = checkInt(
    'sample interval (ms)',
    options.sampleIntervalMs ?? SAMPLE_INTERVAL_MS.default,
    SAMPLE_INTERVAL_MS,
  );
  const stallsOn = options.stalls !== false;
  const stalls = new StallLog(options.stalls ? options.stalls.thresholdMs : undefined);
  const latest = new Map<number, ProcessSnapshot>();
  const episodes = new WorkerEpisodes();
  const listeners = new Set<(s: EngineSnapshot) => void>();
  const handle: ClusterHandle = await startCluster({
    workers: options.workers,
    redis: options.redis,
    log: options.log ?? ((line) => console.error(`loopscope: ${line}`)),
    engine: {
      host,
      port: options.port ?? 8888,
      sampleMs: intervalMs,
      sampler: options.sampler ?? true,
      maxSockets: options.maxSockets,
      stallMs: stallsOn ? stalls.thresholdMs : null,
      logStalls: false,
    },
    onSnapshot: (id, pid, snapshot) => {
      latest.set(id, { id, pid, snapshot });
      episodes.add(id, snapshot.diagnoses);
    },
    // Renumbered here: each worker counts its own stalls from 1, the dashboard needs one sequence.
    onStall: ({ id: _own, ...stall }, profile) => void stalls.add(stall, profile),
  });
  let url: string;
  try {
    url = await handle.url;
  } catch (err) {
    await handle.stop();
    throw err;
  }
  if (stallsOn) stalls.followThreshold((ms) => handle.broadcast({ type: 'loopscope:stall-ms', ms }));

  let current: EngineSnapshot | null = null;
  const combine = (): EngineSnapshot | null => {
    const live = new Set(handle.active().map((w) => w.id));
    for (const id of latest.keys()) if (!live.has(id)) latest.delete(id);
    if (latest.size === 0) return current;
    return combineSnapshots([...latest.values()], stallsOn ? stalls.window() : undefined);
  };
  const tick = () => {
    const combined = combine();
    current = combined && { ...combined, diagnoses: episodes.take() };
    if (current) for (const listener of listeners) listener(current);
  };
  current = combine();
  let timer = setInterval(tick, intervalMs);

  const call = async <T>(method: string, path: string, body?: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const reply = (await res.json()) as T & { error?: string; message?: string };
    if (!res.ok) {
      const code = isErrorCode(reply.error) ? reply.error : 'upstream_failed';
      throw new LoopscopeError(code, reply.message ?? `${method} ${path}: status ${res.status}`);
    }
    return reply;
  };
  const port = Number(new URL(url).port);
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url,
    workers: options.workers,
    redis: handle.redis,
    metrics: {
      latest: () => current ?? combine()!,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      setIntervalMs(ms) {
        intervalMs = checkInt('sample interval (ms)', ms, SAMPLE_INTERVAL_MS);
        handle.broadcast({ type: 'loopscope:sample-ms', ms: intervalMs });
        clearInterval(timer);
        timer = setInterval(tick, intervalMs);
      },
      get intervalMs() {
        return intervalMs;
      },
    },
    jobs: {
      enqueue: (count, workMs, opts) =>
        call<EnqueueResult>('POST', `/jobs${opts.wait ? '' : '?wait=0'}`, JSON.stringify({ count, workMs })),
      setWorkers: (workers) => call<QueueStats>('PUT', '/jobs/workers', JSON.stringify({ workers })),
      stats: () => (current ?? combine()!).queue,
    },
    bcrypt: {
      hash: (password: string, cost: number, mode: BcryptMode) =>
        call<BcryptResult>('POST', `/bcrypt?cost=${cost}&mode=${mode}`, password),
    },
    stalls,
    ownStats: () => ({ ...(current ?? combine()!), stalls: stalls.summary() }),
    ownMetrics: async () => (await fetch(`${url}/metrics`)).text(),
    killWorker() {
      const killed = handle.killWorker();
      if (!killed) throw new LoopscopeError('not_ready', 'no server worker is running to kill');
      return killed;
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        listeners.clear();
        await handle.stop();
      })();
      return closing;
    },
  };
}
