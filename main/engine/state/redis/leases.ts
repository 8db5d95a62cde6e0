/**
 * No accepted job is lost when a process dies: each process renews a lease on a heartbeat, and the
 * first live process to see a lapsed one adopts the jobs it was running. The same beat refreshes the
 * queue's figures and retries what failed while Redis was away.
 */
import type { Redis } from 'ioredis';
import { STATE_LEASE_MS } from '../../../../common/limits';
import type { RedisLink } from './connection';
import type { RedisKeys } from './keys';
import type { RedisQueue } from './queue';
import type { StateScripts } from './scripts';

/** Lease renewal, reaping of dead processes and the stats refresh run on this period. */
const HEARTBEAT_MS = 500;

export interface Leases {
  /** One heartbeat now. */
  beat(): Promise<void>;
  stop(): void;
  /** Gives this process's jobs to a live process at once instead of after the lease. */
  release(): Promise<void>;
}

export function startLeases(deps: {
  cmd: Redis;
  keys: RedisKeys;
  link: RedisLink;
  scripts: StateScripts;
  jobs: RedisQueue;
}): Leases {
  const { cmd, keys, link, scripts, jobs } = deps;
  const beat = async () => {
    try {
      const { adopted, stats } = await link.call(() => scripts.heartbeat(STATE_LEASE_MS));
      for (const workMs of adopted) jobs.runJob(workMs);
      jobs.noteStats(stats);
    } catch {
      return;
    }
    void jobs.wakeUp();
  };
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  return {
    beat,
    stop: () => clearInterval(timer),
    async release() {
      if (link.state() === 'up') await cmd.del(keys.alive).catch(() => {});
    },
  };
}
