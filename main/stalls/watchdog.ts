/**
 * The watched side of the stall explorer: starts the watchdog thread (watchdog-worker.ts), beats
 * the heartbeat from this thread's event loop, and records the stalls the watchdog reports into a
 * StallLog. One per process: the demo server's and the load generator's.
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { entryPoint } from '../engine/entry-points';
import { SharedHeartbeat } from './heartbeat';
import { HEARTBEAT_MS, WATCHDOG_CLOSE_MS } from './limits';
import type { FromWatchdog, ToWatchdog, WatchdogData } from './messages';
import { ExplorerPublication } from './published';
import { StallLog } from './stall-log';

export interface StallWatchOptions {
  /** Where the stalls go; its threshold is the one watched. Default: a new log. */
  log?: StallLog;
  /** docs/protocol.md §9 `process`. */
  processName: string;
}

export interface StallWatch {
  readonly log: StallLog;
  /** Disconnects the inspector session and stops the thread; the process can then exit at once. */
  close(): Promise<void>;
}

/** Run from source, the worker is TypeScript: tsx is registered inside the thread first. */
function startWorker(data: WatchdogData): Worker {
  const entry = entryPoint('stall-watchdog');
  if (!entry.file.endsWith('.ts')) return new Worker(entry.file, { workerData: data });
  const url = pathToFileURL(entry.file).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/**
 * The process's one watchdog. A process has one event loop, so one thread watches it for every
 * engine the process hosts (tests and the app's port move run two at once). Two inspector sessions
 * pausing and resuming the same thread independently were seen to starve its timers under load.
 */
interface SharedWatch {
  heartbeat: SharedHeartbeat;
  worker: Worker;
  /** Settles when the thread has exited, whenever that was: closing must not wait for an exit already past. */
  exited: Promise<void>;
  beat: NodeJS.Timeout;
  logs: Set<StallLog>;
  /** What attach reads instead of pausing and profiling this process itself (published.ts). */
  publication: ExplorerPublication;
  /** The threshold attach asked for while it holds the explorer, else null. */
  readerThresholdMs: number | null;
}

let current: Promise<SharedWatch> | null = null;

async function startShared(processName: string): Promise<SharedWatch> {
  const heartbeat = new SharedHeartbeat();
  heartbeat.beat();
  let shared: SharedWatch | null = null;
  const publication = new ExplorerPublication({
    onHold(thresholdMs) {
      heartbeat.pausesHeld = thresholdMs !== null;
      if (shared) {
        shared.readerThresholdMs = thresholdMs;
        watchLowest(shared);
      }
    },
  });
  const beat = setInterval(() => {
    heartbeat.beat();
    publication.beat();
  }, HEARTBEAT_MS);
  // Watching must never be what keeps the process alive.
  beat.unref();
  const logs = new Set<StallLog>();
  const worker = startWorker({ buffer: heartbeat.buffer, processName });
  const exited = once(worker, 'exit').then(() => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: FromWatchdog) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'stall') {
        // Watched at the lowest threshold of all; each log keeps what passes its own.
        for (const log of logs) if (msg.stall.durationMs >= log.thresholdMs) log.add(msg.stall, msg.profile);
        publication.add(msg.stall, msg.profile);
      } else console.error(`loopscope: stall watchdog: ${msg.message}`);
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the stall watchdog exited (code ${code}) before it was ready`)),
    );
  });
  try {
    await ready;
  } catch (err) {
    clearInterval(beat);
    publication.unpublish();
    await worker.terminate();
    throw err;
  }
  worker.unref();
  shared = { heartbeat, worker, exited, beat, logs, publication, readerThresholdMs: null };
  const started = shared;
  void exited.then(() => {
    // A thread that died on its own (an error inside it) watches nothing any more: stop beating
    // for it, and let the next start make a new one instead of joining a dead one.
    clearInterval(beat);
    publication.unpublish();
    if (current !== null) void current.then((s) => s === started && (current = null)).catch(() => undefined);
  });
  return started;
}

async function stopShared(shared: SharedWatch): Promise<void> {
  clearInterval(shared.beat);
  shared.publication.unpublish();
  shared.worker.postMessage({ type: 'close' } satisfies ToWatchdog);
  const timer = setTimeout(() => void shared.worker.terminate(), WATCHDOG_CLOSE_MS);
  await shared.exited;
  clearTimeout(timer);
}

function watchLowest(shared: SharedWatch): void {
  const wanted = [...shared.logs].map((l) => l.thresholdMs);
  if (shared.readerThresholdMs !== null) wanted.push(shared.readerThresholdMs);
  if (wanted.length === 0) return;
  shared.heartbeat.thresholdMs = Math.min(...wanted);
}

/** Resolves once the watchdog is connected and the profiler runs, so the first stall is caught. */
export async function startStallWatch(options: StallWatchOptions): Promise<StallWatch> {
  const log = options.log ?? new StallLog();
  current ??= startShared(options.processName).catch((err: unknown) => {
    current = null;
    throw err;
  });
  const mine = current;
  const shared = await mine;
  shared.logs.add(log);
  log.followThreshold(() => watchLowest(shared));

  let closing: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    shared.logs.delete(log);
    watchLowest(shared);
    if (shared.logs.size > 0) return;
    // The last one out stops the thread; a later start makes a new one.
    if (current === mine) current = null;
    await stopShared(shared);
  };
  return {
    log,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
