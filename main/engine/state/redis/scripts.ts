/**
 * The Lua scripts that move the feed and the queue. Each runs atomically in Redis, which is what makes
 * seq numbers consecutive and queue capacity exact across processes; callers get them bound to
 * their keys, so only this file knows which key goes where.
 */
import type { Redis } from 'ioredis';
import type { QueueStats } from '../../../../common/snapshot';
import type { RedisKeys } from './keys';

const PUBLISH = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-0', 'd', ARGV[1])
return seq`;

/** After Redis restarted empty, numbering carries on from what the mirrors already hold. */
const RESEED = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return cur`;

/** The order toStats reads them in. */
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

/**
 * Renews this process's lease and adopts the running jobs of processes whose lease lapsed. The
 * other processes' keys are only known inside the script (from the set), hence the prefixes in ARGV.
 */
const HEARTBEAT = `
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('SADD', KEYS[1], ARGV[1])
local adopted = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. id) == 0 then
    local held = ARGV[3] .. id
    for _, w in ipairs(redis.call('LRANGE', held, 0, -1)) do
      redis.call('RPUSH', KEYS[4], w)
      adopted[#adopted + 1] = w
    end
    redis.call('DEL', held)
    redis.call('SREM', KEYS[1], id)
  end
end
return {adopted, redis.call('HMGET', KEYS[2], ${FIELDS})}`;

const STATS = `return redis.call('HMGET', KEYS[1], ${FIELDS})`;

/** The commands defineCommand adds to the client: KEYS first, then ARGV. */
interface RawScripts {
  lsPublish(seq: string, stream: string, data: string, maxLen: number): Promise<number>;
  lsReseed(seq: string, last: number): Promise<number>;
  lsInit(state: string, capacity: number, workers: number): Promise<string[]>;
  lsPut(state: string, runs: string, count: number, workMs: number): Promise<[number, number]>;
  lsTake(state: string, runs: string, held: string, max: number): Promise<string[]>;
  lsFinish(state: string, held: string, workMs: string): Promise<number>;
  lsHeartbeat(
    procs: string,
    state: string,
    alive: string,
    held: string,
    me: string,
    alivePrefix: string,
    heldPrefix: string,
    leaseMs: number,
  ): Promise<[string[], string[]]>;
  lsStats(state: string): Promise<string[]>;
}

export interface StateScripts {
  /** Numbers one message and appends it to the feed; answers its seq. */
  publish(data: string, maxLen: number): Promise<number>;
  reseed(lastSeq: number): Promise<number>;
  /** Sets the queue's counters where Redis has none yet; answers what it holds. */
  init(capacity: number, workers: number): Promise<QueueStats>;
  /** Adds up to `count` jobs, as many as there is room for: [accepted, depth]. */
  put(count: number, workMs: number): Promise<[number, number]>;
  /** Moves to this process as many jobs as it may run (at most `max`); answers their workMs. */
  take(max: number): Promise<string[]>;
  finish(workMs: string): Promise<number>;
  heartbeat(leaseMs: number): Promise<{ adopted: string[]; stats: QueueStats }>;
  stats(): Promise<QueueStats>;
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

export function defineScripts(client: Redis, keys: RedisKeys, me: string): StateScripts {
  client.defineCommand('lsPublish', { numberOfKeys: 2, lua: PUBLISH });
  client.defineCommand('lsReseed', { numberOfKeys: 1, lua: RESEED });
  client.defineCommand('lsInit', { numberOfKeys: 1, lua: INIT });
  client.defineCommand('lsPut', { numberOfKeys: 2, lua: PUT });
  client.defineCommand('lsTake', { numberOfKeys: 3, lua: TAKE });
  client.defineCommand('lsFinish', { numberOfKeys: 2, lua: FINISH });
  client.defineCommand('lsHeartbeat', { numberOfKeys: 4, lua: HEARTBEAT });
  client.defineCommand('lsStats', { numberOfKeys: 1, lua: STATS });
  const raw = client as unknown as RawScripts;
  return {
    publish: (data, maxLen) => raw.lsPublish(keys.seq, keys.stream, data, maxLen),
    reseed: (lastSeq) => raw.lsReseed(keys.seq, lastSeq),
    init: async (capacity, workers) => toStats(await raw.lsInit(keys.state, capacity, workers)),
    put: (count, workMs) => raw.lsPut(keys.state, keys.runs, count, workMs),
    take: (max) => raw.lsTake(keys.state, keys.runs, keys.held, max),
    finish: (workMs) => raw.lsFinish(keys.state, keys.held, workMs),
    heartbeat: async (leaseMs) => {
      const [adopted, fields] = await raw.lsHeartbeat(
        keys.procs,
        keys.state,
        keys.alive,
        keys.held,
        me,
        keys.alivePrefix,
        keys.heldPrefix,
        leaseMs,
      );
      return { adopted, stats: toStats(fields) };
    },
    stats: async () => toStats(await raw.lsStats(keys.state)),
  };
}
