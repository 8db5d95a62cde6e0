/**
 * The connections to Redis, and whether this process may use them: while Redis is away commands are
 * refused with the protocol's 503, and when it is back the state it may have lost is restored before
 * anything is let through again.
 */
import { Redis } from 'ioredis';
import { LoopscopeError } from '../../../../common/errors';

export interface RedisClients {
  /** Commands and scripts. */
  cmd: Redis;
  /** The mirror's blocking XREAD, which would hold up every command behind it on a shared connection. */
  blocking: Redis;
  /** The kick channel: a subscribed connection takes no other commands. */
  sub: Redis;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function unavailable(url: string, err: unknown): LoopscopeError {
  return new LoopscopeError(
    'state_unavailable',
    `the shared state (Redis at ${url}) is unreachable: ${errorText(err)}`,
  );
}

/** `url`: redis://host:port or a unix socket path. */
export function createClients(url: string): RedisClients {
  const connection = {
    lazyConnect: true,
    // Commands fail at once while Redis is away (503), instead of queueing without bound.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
  const cmd = url.startsWith('/') ? new Redis({ ...connection, path: url }) : new Redis(url, connection);
  const clients = { cmd, blocking: cmd.duplicate(), sub: cmd.duplicate() };
  // Reported once, by the link below, rather than by every client on every retry.
  for (const client of Object.values(clients)) client.on('error', () => {});
  return clients;
}

export async function connectClients(clients: RedisClients, url: string): Promise<void> {
  const all = [clients.cmd, clients.blocking, clients.sub];
  try {
    await Promise.all(all.map((client) => client.connect()));
  } catch (err) {
    for (const client of all) client.disconnect();
    throw unavailable(url, err);
  }
}

/**
 * 'up': commands go through. 'down': the command connection closed. 'resyncing': it is back and
 * the state Redis may have lost is being restored; commands are still refused.
 */
export type LinkState = 'up' | 'down' | 'resyncing';

export interface RedisLink {
  state(): LinkState;
  /** Runs one command; a failure while Redis is away is the protocol's 503. */
  call<T>(run: () => Promise<T>): Promise<T>;
  /** Follows the command connection down and back up (from here on: not while connecting). */
  watch(hooks: {
    log: (line: string) => void;
    /** Once the state is closed, the link stays as it is. */
    closed: () => boolean;
    /** Restores what a Redis that restarted empty has lost. */
    resync: () => Promise<void>;
    onBack: () => void;
  }): void;
}

export function createLink(cmd: Redis, url: string): RedisLink {
  let state: LinkState = 'up';
  return {
    state: () => state,
    async call(run) {
      if (state !== 'up' || cmd.status !== 'ready') throw unavailable(url, 'not connected');
      try {
        return await run();
      } catch (err) {
        if (cmd.status !== 'ready') throw unavailable(url, err);
        throw err;
      }
    },
    watch({ log, closed, resync, onBack }) {
      cmd.on('close', () => {
        if (closed() || state !== 'up') return;
        state = 'down';
        log(`loopscope: lost Redis at ${url}: publishing and jobs are refused (503) until it is back`);
      });
      // A 'ready' while resyncing starts another resync: the one under way ran on a connection that
      // has dropped since.
      cmd.on('ready', () => {
        if (closed() || state === 'up') return;
        state = 'resyncing';
        void (async () => {
          try {
            await resync();
          } catch {
            if (state === 'resyncing') state = 'down';
            return; // gone again; the next 'ready' retries
          }
          state = 'up';
          log(`loopscope: reconnected to Redis at ${url}`);
          onBack();
        })();
      });
    },
  };
}
