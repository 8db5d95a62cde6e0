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
import { Redis } from 'ioredis';
import { LoopscopeError } from '../../../common/errors';
import { FEED_CAPACITY, QUEUE_CAPACITY, QUEUE_WORKERS, STATE_LEASE_MS } from '../../../common/limits';
import type { QueueStats } from '../../../common/snapshot';
import { checkInt } from '../../../common/range';
import { JOB_COUNT, JOB_WORK_MS } from '../../../common/limits';
import { Feed } from '../feed';
import type { EnqueueResult } from '../job-queue';
import type { QueueState, SharedState } from './types';

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

/** Messages one XREAD brings into the mirror (the stream holds at most 10,000). */
const MIRROR_BATCH = 1000;
/** How long one XREAD blocks before it is issued again (lets close() and reconnects through). */
const MIRROR_BLOCK_MS = 2000;
/** After a failed read, the mirror waits this long before the next (Redis is away). */
const RETRY_MS = 250;
/** How long sync() waits for the mirror before it lets the request go on with what it has. */
const SYNC_WAIT_MS = 2000;
/** Lease renewal, reaping of dead processes and the stats refresh run on this period. */
const HEARTBEAT_MS = 500;
/** Jobs one take moves to this process at most. */
const TAKE_MAX = 1000;

const PUBLISH = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-0', 'd', ARGV[1])
return seq`;

/** After Redis restarted empty, numbering carries on from what the mirrors already hold. */
const RESEED = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return cur`;

const FIELDS = `'depth', 'capacity', 'workers', 'busy', 'accepted', 'done'`;

const INIT = `
redis.call('HSETNX', KEYS[1], 'capacity', ARGV[1])
redis.call('HSETNX', KEYS[1], 'workers', ARGV[2])
for _, f in ipairs({'depth', 'busy', 'accepted', 'done'}) do redis.call('HSETNX', KEYS[1], f, 0) end
return redis.call('HMGET', KEYS[1], ${FIELDS})`;

const PUT = `
local cap = tonumber(redis.call('HGET', KEYS[1], 'capacity'))
local depth = tonumber(redis.call('HGET', KEYS[1], 'depth'))
local n = math.min(tonumber(ARGV[1]), cap - depth)
if n <= 0 then return {0, depth} end
local w = ARGV[2]
local tail = redis.call('LINDEX', KEYS[2], -1)
local tw, tc
if tail then tw, tc = string.match(tail, '^(%d+):(%d+)$') end
if tw == w then
  redis.call('LSET', KEYS[2], -1, w .. ':' .. (tonumber(tc) + n))
else
  redis.call('RPUSH', KEYS[2], w .. ':' .. n)
end
redis.call('HINCRBY', KEYS[1], 'depth', n)
redis.call('HINCRBY', KEYS[1], 'accepted', n)
return {n, depth + n}`;

const TAKE = `
local workers = tonumber(redis.call('HGET', KEYS[1], 'workers'))
local busy = tonumber(redis.call('HGET', KEYS[1], 'busy'))
local depth = tonumber(redis.call('HGET', KEYS[1], 'depth'))
local n = math.min(workers - busy, depth, tonumber(ARGV[1]))
local out = {}
if n <= 0 then return out end
while #out < n do
  local w, c = string.match(redis.call('LINDEX', KEYS[2], 0), '^(%d+):(%d+)$')
  c = tonumber(c)
  local k = math.min(c, n - #out)
  for i = 1, k do out[#out + 1] = w end
  if k == c then redis.call('LPOP', KEYS[2]) else redis.call('LSET', KEYS[2], 0, w .. ':' .. (c - k)) end
end
redis.call('HINCRBY', KEYS[1], 'depth', -n)
redis.call('HINCRBY', KEYS[1], 'busy', n)
redis.call('RPUSH', KEYS[3], unpack(out))
return out`;

/** Counts a job done only if this process still holds it (a lapsed lease hands it to another). */
const FINISH = `
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'busy', -1)
  redis.call('HINCRBY', KEYS[1], 'done', 1)
  return 1
end
return 0`;

/** Renews this process's lease and adopts the running jobs of processes whose lease lapsed. */
const HEARTBEAT = `
redis.call('SET', ARGV[2] .. 'alive:' .. ARGV[1], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[1], ARGV[1])
local adopted = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. 'alive:' .. id) == 0 then
    local held = ARGV[2] .. 'held:' .. id
    for _, w in ipairs(redis.call('LRANGE', held, 0, -1)) do
      redis.call('RPUSH', ARGV[2] .. 'held:' .. ARGV[1], w)
      adopted[#adopted + 1] = w
    end
    redis.call('DEL', held)
    redis.call('SREM', KEYS[1], id)
  end
end
return {adopted, redis.call('HMGET', KEYS[2], ${FIELDS})}`;

const STATS = `return redis.call('HMGET', KEYS[1], ${FIELDS})`;

interface Scripts {
  lsPublish(seqKey: string, stream: string, data: string, maxLen: number): Promise<number>;
  lsReseed(seqKey: string, last: number): Promise<number>;
  lsInit(state: string, capacity: number, workers: number): Promise<string[]>;
  lsPut(state: string, runs: string, count: number, workMs: number): Promise<[number, number]>;
  lsTake(state: string, runs: string, held: string, max: number): Promise<string[]>;
  lsFinish(state: string, held: string, workMs: string): Promise<number>;
  lsHeartbeat(
    procs: string,
    state: string,
    me: string,
    prefix: string,
    leaseMs: number,
  ): Promise<[string[], string[]]>;
  lsStats(state: string): Promise<string[]>;
}

function toStats(fields: (string | null)[]): QueueStats {
  const [depth, capacity, workers, busy, accepted, done] = fields.map((f) => Number(f ?? 0));
  return {
    depth: depth!,
    capacity: capacity!,
    workers: workers!,
    busy: busy!,
    accepted: accepted!,
    done: done!,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function redisState(options: RedisStateOptions): Promise<SharedState> {
  const prefix = options.prefix ?? 'loopscope:';
  const log = options.log ?? ((line: string) => console.error(line));
  const keys = {
    seq: `${prefix}feed:seq`,
    stream: `${prefix}feed:stream`,
    state: `${prefix}queue:state`,
    runs: `${prefix}queue:runs`,
    procs: `${prefix}queue:procs`,
    kick: `${prefix}queue:kick`,
  };
  const me = randomUUID();
  const held = `${prefix}held:${me}`;
  const capacity = options.feedCapacity ?? FEED_CAPACITY;
  const feed = new Feed(capacity);

  const connection = {
    lazyConnect: true,
    // Commands fail at once while Redis is away (503), instead of queueing without bound.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
  const unixSocket = options.url.startsWith('/');
  const cmd = unixSocket
    ? new Redis({ ...connection, path: options.url })
    : new Redis(options.url, connection);
  const blocking = cmd.duplicate();
  const sub = cmd.duplicate();
  for (const client of [cmd, blocking, sub]) client.on('error', () => {}); // reported once, below
  const scripts = cmd as unknown as Scripts;
  cmd.defineCommand('lsPublish', { numberOfKeys: 2, lua: PUBLISH });
  cmd.defineCommand('lsReseed', { numberOfKeys: 1, lua: RESEED });
  cmd.defineCommand('lsInit', { numberOfKeys: 1, lua: INIT });
  cmd.defineCommand('lsPut', { numberOfKeys: 2, lua: PUT });
  cmd.defineCommand('lsTake', { numberOfKeys: 3, lua: TAKE });
  cmd.defineCommand('lsFinish', { numberOfKeys: 2, lua: FINISH });
  cmd.defineCommand('lsHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
  cmd.defineCommand('lsStats', { numberOfKeys: 1, lua: STATS });

  let closed = false;
  let shut = false;
  let up = true;
  const unavailable = (err: unknown) =>
    new LoopscopeError(
      'state_unavailable',
      `the shared state (Redis at ${options.url}) is unreachable: ${errorText(err)}`,
    );
  /** Runs one command; a failure while Redis is away is the protocol's 503. */
  async function call<T>(run: () => Promise<T>): Promise<T> {
    if (!up || cmd.status !== 'ready') throw unavailable('not connected');
    try {
      return await run();
    } catch (err) {
      if (cmd.status !== 'ready') throw unavailable(err);
      throw err;
    }
  }

  try {
    await Promise.all([cmd.connect(), blocking.connect(), sub.connect()]);
  } catch (err) {
    for (const client of [cmd, blocking, sub]) client.disconnect();
    throw unavailable(err);
  }

  // ---- feed ----
  const waiters: { target: number; resolve: () => void }[] = [];
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (feed.lastSeq >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
  const mirror = async () => {
    while (!closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await blocking.xread(
          'COUNT',
          MIRROR_BATCH,
          'BLOCK',
          MIRROR_BLOCK_MS,
          'STREAMS',
          keys.stream,
          `${feed.lastSeq}-0`,
        )) as [string, [string, string[]][]][] | null;
      } catch {
        if (!closed) await pause(RETRY_MS);
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) feed.append(Number.parseInt(id, 10), fields[1] ?? '');
      }
      settle();
    }
  };

  // ---- queue ----
  const qCapacity = options.queueCapacity ?? QUEUE_CAPACITY;
  let latest = toStats(
    await scripts.lsInit(keys.state, qCapacity, options.workers ?? QUEUE_WORKERS.default!),
  );
  const timers = new Set<NodeJS.Timeout>();
  interface Putter {
    workMs: number;
    remaining: number;
    resolve: () => void;
  }
  const putters: Putter[] = [];
  let lastDepth = latest.depth;
  const kick = () => void cmd.publish(keys.kick, '1').catch(() => {});

  const run = (workMs: string) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void call(() => scripts.lsFinish(keys.state, held, workMs))
        .then(() => {
          kick();
          void wakeUp();
        })
        .catch(() => {}); // Redis away: the heartbeat's adoption settles it when it returns
    }, Number(workMs));
    timers.add(timer);
  };

  let busyWaking = false;
  let wakeAgain = false;
  /** Takes what this process may run, then fills the queue from waiting producers, until stable. */
  const wakeUp = async (): Promise<void> => {
    if (busyWaking) {
      wakeAgain = true;
      return;
    }
    busyWaking = true;
    try {
      do {
        wakeAgain = false;
        if (closed || !up) return;
        const jobs = await call(() => scripts.lsTake(keys.state, keys.runs, held, TAKE_MAX));
        for (const workMs of jobs) run(workMs);
        while (putters.length > 0) {
          const putter = putters[0]!;
          const [n, depth] = await call(() =>
            scripts.lsPut(keys.state, keys.runs, putter.remaining, putter.workMs),
          );
          lastDepth = depth;
          putter.remaining -= n;
          if (n > 0) {
            kick();
            wakeAgain = true;
          }
          if (putter.remaining > 0) break;
          putters.shift();
          putter.resolve();
        }
      } while (wakeAgain);
    } catch {
      // Redis away: the next heartbeat tries again.
    } finally {
      busyWaking = false;
    }
  };

  const queue: QueueState = {
    async enqueue(count, workMs, opts): Promise<EnqueueResult> {
      if (closed) throw new LoopscopeError('shutting_down', 'the job queue is shut down');
      checkInt('count', count, JOB_COUNT);
      checkInt('workMs', workMs, JOB_WORK_MS);
      let first = 0;
      if (putters.length === 0) {
        const [n, depth] = await call(() => scripts.lsPut(keys.state, keys.runs, count, workMs));
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
      await new Promise<void>((resolve) => {
        putter.resolve = resolve;
        putters.push(putter);
        opts.signal?.addEventListener(
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
      const accepted = count - putter.remaining;
      return { accepted, rejected: count - accepted, depth: lastDepth };
    },
    async setWorkers(n) {
      checkInt('workers', n, QUEUE_WORKERS);
      await call(() => cmd.hset(keys.state, 'workers', n));
      kick();
      void wakeUp();
      return queue.stats();
    },
    async stats() {
      latest = toStats(await call(() => scripts.lsStats(keys.state)));
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

  const heartbeat = async () => {
    try {
      const [adopted, fields] = await call(() =>
        scripts.lsHeartbeat(keys.procs, keys.state, me, prefix, STATE_LEASE_MS),
      );
      for (const workMs of adopted) run(workMs);
      latest = toStats(fields);
    } catch {
      return;
    }
    void wakeUp();
  };
  const beat = setInterval(() => void heartbeat(), HEARTBEAT_MS);
  beat.unref();

  // ---- Redis going away and coming back ----
  cmd.on('close', () => {
    if (closed || !up) return;
    up = false;
    log(`loopscope: lost Redis at ${options.url}: publishing and jobs are refused (503) until it is back`);
  });
  cmd.on('ready', () => {
    if (closed || up) return;
    void (async () => {
      try {
        // Redis restarted empty (no persistence): numbering carries on from the mirror.
        await scripts.lsReseed(keys.seq, feed.lastSeq);
        latest = toStats(await scripts.lsInit(keys.state, qCapacity, latest.workers));
      } catch {
        return; // gone again; the next 'ready' retries
      }
      up = true;
      log(`loopscope: reconnected to Redis at ${options.url}`);
      void heartbeat();
    })();
  });

  await sub.subscribe(keys.kick);
  sub.on('message', () => void wakeUp());
  await heartbeat();
  const mirroring = mirror();

  const syncNow = async (): Promise<void> => {
    let target: number;
    try {
      target = Number((await call(() => cmd.get(keys.seq))) ?? 0);
    } catch {
      return; // Redis away: readers carry on with what the mirror holds
    }
    await mirrored(target);
  };
  /** Resolves once the mirror holds `target` (or after SYNC_WAIT_MS: readers then go on with what it has). */
  const mirrored = async (target: number): Promise<void> => {
    if (feed.lastSeq >= target) return;
    await new Promise<void>((resolve) => {
      const waiter = { target, resolve };
      waiters.push(waiter);
      setTimeout(() => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        resolve();
      }, SYNC_WAIT_MS).unref();
    });
  };
  await syncNow();

  return {
    feed,
    queue,
    // The reply waits for this process's mirror too: a publisher reads its own message here at once.
    publish: async (data) => {
      const seq = await call(() => scripts.lsPublish(keys.seq, keys.stream, data, capacity));
      await mirrored(seq);
      return seq;
    },
    sync: () => (up ? syncNow() : null),
    async close() {
      if (shut) return;
      shut = true;
      queue.close();
      clearInterval(beat);
      // Jobs this process was running go to a live process at once instead of after the lease.
      if (up) await cmd.del(`${prefix}alive:${me}`).catch(() => {});
      blocking.disconnect();
      await mirroring;
      for (const waiter of waiters.splice(0)) waiter.resolve();
      sub.disconnect();
      cmd.disconnect();
    },
  };
}
