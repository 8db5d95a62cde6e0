/**
 * The watched side of the stall explorer: starts the watchdog thread (watchdog-worker.ts), beats
 * the heartbeat from this thread's event loop, and records the stalls the watchdog reports into a
 * StallLog. One per process: the demo server's and the load generator's.
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { entryPoint } from '../entry-points';
import { SharedHeartbeat } from './heartbeat';
import { HEARTBEAT_MS, WATCHDOG_CLOSE_MS } from './limits';
import type { FromWatchdog, ToWatchdog, WatchdogData } from './messages';
import { StallLog } from './stall-log';

export interface StallWatchOptions {
  /** Where the stalls go; its threshold is the one watched. Default: a new log. */
  log?: StallLog;
  /** PROTOCOL.md §9 `process`. */
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

/** Resolves once the watchdog is connected and the profiler runs, so the first stall is caught. */
export async function startStallWatch(options: StallWatchOptions): Promise<StallWatch> {
  const heartbeat = new SharedHeartbeat();
  const log = options.log ?? new StallLog();
  log.followThreshold((ms) => {
    heartbeat.thresholdMs = ms;
  });
  heartbeat.beat();
  const beat = setInterval(() => heartbeat.beat(), HEARTBEAT_MS);
  // Watching must never be what keeps the process alive.
  beat.unref();

  const worker = startWorker({ buffer: heartbeat.buffer, processName: options.processName });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: FromWatchdog) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'stall') log.add(msg.stall);
      else console.error(`loopscope: stall watchdog: ${msg.message}`);
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
    await worker.terminate();
    throw err;
  }
  worker.unref();

  let closing: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    clearInterval(beat);
    const exited = once(worker, 'exit');
    worker.postMessage({ type: 'close' } satisfies ToWatchdog);
    const timer = setTimeout(() => void worker.terminate(), WATCHDOG_CLOSE_MS);
    await exited;
    clearTimeout(timer);
  };
  return {
    log,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
