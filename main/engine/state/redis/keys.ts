/**
 * Every Redis key the shared state uses, in one place. The Lua scripts get these as KEYS (and the
 * per-process prefixes as ARGV), so a key's name is never spelled in two languages.
 */
export interface RedisKeys {
  /** The feed's last seq (INCR). */
  seq: string;
  /** The feed's Stream, trimmed to the protocol's window. */
  stream: string;
  /** The queue's counters (a hash). */
  state: string;
  /** Jobs waiting, as runs of `workMs:count`. */
  runs: string;
  /** Every process that has held a lease (a set of ids). */
  procs: string;
  /** The pub/sub channel that wakes the other processes. */
  kick: string;
  /** `alivePrefix + id` is a process's lease; it lapses when the process dies. */
  alivePrefix: string;
  /** `heldPrefix + id` lists the jobs a process is running. */
  heldPrefix: string;
  /** This process's lease. */
  alive: string;
  /** The jobs this process is running. */
  held: string;
}

/** Two servers share state when they share Redis and prefix. */
export function redisKeys(prefix: string, me: string): RedisKeys {
  const alivePrefix = `${prefix}alive:`;
  const heldPrefix = `${prefix}held:`;
  return {
    seq: `${prefix}feed:seq`,
    stream: `${prefix}feed:stream`,
    state: `${prefix}queue:state`,
    runs: `${prefix}queue:runs`,
    procs: `${prefix}queue:procs`,
    kick: `${prefix}queue:kick`,
    alivePrefix,
    heldPrefix,
    alive: `${alivePrefix}${me}`,
    held: `${heldPrefix}${me}`,
  };
}
