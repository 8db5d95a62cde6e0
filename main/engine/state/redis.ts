/**
 * State shared through one Redis (docs/protocol.md §10): every process and every `serve --redis URL`
 * given the same Redis is one feed and one job queue.
 *
 * Feed: one Stream. A Lua script takes the next number (INCR) and adds the message under the
 * explicit ID `seq-0`, trimming the stream to exactly the protocol's window (MAXLEN without `~`),
 * so numbers are consecutive and assigned atomically whichever process publishes. Each process
 * mirrors the stream into its local ring with one blocking XREAD from its last seq: every
 * transport then reads that ring as it does in one process, so each message reaches each follower
 * exactly once and in order.
 *
 * Queue: a hash of counters and a list of runs (`workMs:count`), moved only by Lua scripts, so
 * capacity is exact and accepted = done + depth + busy holds in Redis at every instant. A process
 * takes jobs only while busy < workers (one worker count for all), keeps the jobs it runs in its
 * own list under a lease, and a process whose lease lapses (it died) has its running jobs adopted
 * by a live one: no accepted job is lost. A pub/sub "kick" wakes the other processes when room or
 * work appears.
 *
 * Redis going away: one notice on stderr, publishes and puts answer 503 `state_unavailable`, the
 * transports keep serving what the mirror holds, and everything resumes when Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { FEED_CAPACITY, QUEUE_CAPACITY, QUEUE_WORKERS } from '../../../common/limits';
import { Feed } from '../feed';
import { connectClients, createClients, createLink } from './redis/connection';
import { redisKeys } from './redis/keys';
import { startLeases } from './redis/leases';
import { createMirror } from './redis/mirror';
import { createQueue } from './redis/queue';
import { defineScripts } from './redis/scripts';
import type { SharedState } from './types';

export interface RedisStateOptions {
  /** redis://host:port or a unix socket path. */
  url: string;
  /** Key prefix: two servers share state when they share Redis and prefix. */
  prefix?: string;
  feedCapacity?: number;
  queueCapacity?: number;
  workers?: number;
  /** Where the "Redis went away / is back" notices go; default stderr. */
  log?: (line: string) => void;
}

export async function redisState(options: RedisStateOptions): Promise<SharedState> {
  const { url } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const me = randomUUID();
  const keys = redisKeys(options.prefix ?? 'loopscope:', me);
  const capacity = options.feedCapacity ?? FEED_CAPACITY;
  const feed = new Feed(capacity);

  const clients = createClients(url);
  const { cmd, blocking, sub } = clients;
  const scripts = defineScripts(cmd, keys, me);
  const link = createLink(cmd, url);
  await connectClients(clients, url);

  const queueCapacity = options.queueCapacity ?? QUEUE_CAPACITY;
  const jobs = createQueue({
    cmd,
    keys,
    link,
    scripts,
    initial: await scripts.init(queueCapacity, options.workers ?? QUEUE_WORKERS.default!),
  });
  const { queue } = jobs;
  const leases = startLeases({ cmd, keys, link, scripts, jobs });
  link.watch({
    log,
    closed: jobs.closed,
    // Redis restarted empty (no persistence): numbering carries on from the mirror.
    resync: async () => {
      await scripts.reseed(feed.lastSeq);
      jobs.noteStats(await scripts.init(queueCapacity, queue.latest().workers));
    },
    onBack: () => void leases.beat(),
  });

  await sub.subscribe(keys.kick);
  sub.on('message', () => void jobs.wakeUp());
  await leases.beat();
  const mirror = createMirror(blocking, keys.stream, feed);
  const mirroring = mirror.run(jobs.closed);

  const syncNow = async (): Promise<void> => {
    let target: number;
    try {
      target = Number((await link.call(() => cmd.get(keys.seq))) ?? 0);
    } catch {
      return; // Redis away: readers carry on with what the mirror holds
    }
    await mirror.mirrored(target);
  };
  await syncNow();

  let closing = false;
  return {
    feed,
    queue,
    // The reply waits for this process's mirror too: a publisher reads its own message here at once.
    publish: async (data) => {
      const seq = await link.call(() => scripts.publish(data, capacity));
      await mirror.mirrored(seq);
      return seq;
    },
    sync: () => (link.state() === 'up' ? syncNow() : null),
    async close() {
      if (closing) return;
      closing = true;
      queue.close();
      leases.stop();
      await leases.release();
      blocking.disconnect();
      await mirroring;
      mirror.releaseAll();
      sub.disconnect();
      cmd.disconnect();
    },
  };
}
