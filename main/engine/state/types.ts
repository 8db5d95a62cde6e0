/**
 * The feed's and the job queue's state, behind one interface (docs/protocol.md §5, §6, §10). The server
 * talks to this, never to Redis: memory.ts is one process (today's behaviour), redis.ts is several
 * processes or machines sharing one Redis.
 *
 * Every transport reads the feed from a local ring (`feed`); with shared state that ring is a
 * mirror of the shared stream, filled in order, so exactly-once-in-order holds as it does in memory.
 */
import type { QueueStats } from '../../../common/snapshot';
import type { Feed } from '../feed';
import type { EnqueueResult } from '../job-queue';

export interface QueueState {
  enqueue(
    count: number,
    workMs: number,
    opts: { wait: boolean; signal?: AbortSignal },
  ): Promise<EnqueueResult>;
  setWorkers(n: number): QueueStats | Promise<QueueStats>;
  stats(): QueueStats | Promise<QueueStats>;
  /** The latest figures known without waiting (the sampler reads these every window). */
  latest(): QueueStats;
  close(): void;
}

export interface SharedState {
  /** The ring every transport reads; with shared state, a mirror of the shared feed. */
  readonly feed: Feed;
  readonly queue: QueueState;
  /** Publishes one message; answers its seq. Refused with `state_unavailable` while Redis is away. */
  publish(data: string): number | Promise<number>;
  /**
   * null when `feed` is the feed itself; else resolves once the mirror holds every message
   * published anywhere before the call, so a cursor a client got from another process is valid here.
   */
  sync(): Promise<void> | null;
  close(): Promise<void>;
}
