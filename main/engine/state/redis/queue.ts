/**
 * The job queue as this process sees it. The counters and waiting runs live in Redis and only the
 * scripts move them, so capacity is exact across processes; this process takes jobs while there is
 * room for them, runs them on timers, and holds back producers that asked to wait for room.
 */
import type { Redis } from 'ioredis';
import { LoopscopeError } from '../../../../common/errors';
import { JOB_COUNT, JOB_WORK_MS, QUEUE_WORKERS } from '../../../../common/limits';
import { checkInt } from '../../../../common/range';
import type { QueueStats } from '../../../../common/snapshot';
import type { EnqueueResult } from '../../job-queue';
import type { QueueState } from '../types';
import type { RedisLink } from './connection';
import type { RedisKeys } from './keys';
import type { StateScripts } from './scripts';

/** Jobs one take moves to this process at most. */
const TAKE_MAX = 1000;

interface Putter {
  workMs: number;
  remaining: number;
  resolve: () => void;
}

/**
 * 'idle', 'running' a round of take-and-put, or running with 'another' round asked for meanwhile:
 * wake-ups coalesce, so one round at a time talks to Redis.
 */
type Waking = 'idle' | 'running' | 'another';

export interface RedisQueue {
  readonly queue: QueueState;
  closed(): boolean;
  /** Runs one job this process now holds (taken, or adopted from a dead process). */
  runJob(workMs: string): void;
  noteStats(stats: QueueStats): void;
  /** Takes what this process may run, then fills the queue from waiting producers, until stable. */
  wakeUp(): Promise<void>;
}

export function createQueue(deps: {
  cmd: Redis;
  keys: RedisKeys;
  link: RedisLink;
  scripts: StateScripts;
  initial: QueueStats;
}): RedisQueue {
  const { cmd, keys, link, scripts } = deps;
  let closed = false;
  let latest = deps.initial;
  let lastDepth = latest.depth;
  const timers = new Set<NodeJS.Timeout>();
  const putters: Putter[] = [];
  let waking: Waking = 'idle';
  /** Wakes the other processes: there is room or work. */
  const kick = () => void cmd.publish(keys.kick, '1').catch(() => {});

  const runJob = (workMs: string) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void link
        .call(() => scripts.finish(workMs))
        .then(() => {
          kick();
          void wakeUp();
        })
        .catch(() => {}); // Redis away: the heartbeat's adoption settles it when it returns
    }, Number(workMs));
    timers.add(timer);
  };

  /** Moves what it can of the first waiting producer's jobs; false once the queue is full. */
  const putWaiting = async (): Promise<boolean> => {
    const putter = putters[0]!;
    const [n, depth] = await link.call(() => scripts.put(putter.remaining, putter.workMs));
    lastDepth = depth;
    putter.remaining -= n;
    if (n > 0) {
      kick();
      waking = 'another';
    }
    if (putter.remaining > 0) return false;
    putters.shift();
    putter.resolve();
    return true;
  };

  const wakeUp = async (): Promise<void> => {
    if (waking !== 'idle') {
      waking = 'another';
      return;
    }
    try {
      do {
        waking = 'running';
        if (closed || link.state() !== 'up') return;
        const jobs = await link.call(() => scripts.take(TAKE_MAX));
        for (const workMs of jobs) runJob(workMs);
        while (putters.length > 0) {
          if (!(await putWaiting())) break;
        }
        // Set meanwhile by putWaiting or by a wake-up during the awaits (hidden from narrowing).
      } while ((waking as Waking) === 'another');
    } catch {
      // Redis away: the next heartbeat tries again.
    } finally {
      waking = 'idle';
    }
  };

  /** Waits until room takes the rest of a producer's jobs, or the caller gives up. */
  const waitForRoom = (putter: Putter, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve) => {
      putter.resolve = resolve;
      putters.push(putter);
      signal?.addEventListener(
        'abort',
        () => {
          const index = putters.indexOf(putter);
          if (index >= 0) putters.splice(index, 1);
          resolve();
        },
        { once: true },
      );
      void wakeUp();
    });

  const queue: QueueState = {
    async enqueue(count, workMs, opts): Promise<EnqueueResult> {
      if (closed) throw new LoopscopeError('shutting_down', 'the job queue is shut down');
      checkInt('count', count, JOB_COUNT);
      checkInt('workMs', workMs, JOB_WORK_MS);
      let first = 0;
      if (putters.length === 0) {
        const [n, depth] = await link.call(() => scripts.put(count, workMs));
        first = n;
        lastDepth = depth;
        if (n > 0) {
          kick();
          void wakeUp();
        }
      }
      if (!opts.wait || first === count)
        return { accepted: first, rejected: count - first, depth: lastDepth };
      const putter: Putter = { workMs, remaining: count - first, resolve: () => {} };
      await waitForRoom(putter, opts.signal);
      const accepted = count - putter.remaining;
      return { accepted, rejected: count - accepted, depth: lastDepth };
    },
    async setWorkers(n) {
      checkInt('workers', n, QUEUE_WORKERS);
      await link.call(() => cmd.hset(keys.state, 'workers', n));
      kick();
      void wakeUp();
      return queue.stats();
    },
    async stats() {
      latest = await link.call(() => scripts.stats());
      return latest;
    },
    latest: () => latest,
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const putter of putters.splice(0)) putter.resolve();
    },
  };

  return {
    queue,
    closed: () => closed,
    runJob,
    noteStats: (stats) => {
      latest = stats;
    },
    wakeUp,
  };
}
