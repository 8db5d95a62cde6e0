/**
 * This process's copy of the shared feed: one blocking XREAD from the last seq it holds, appended to
 * the local ring in order, so every transport reads that ring exactly as it does in one process.
 */
import type { Redis } from 'ioredis';
import type { Feed } from '../../feed';

/** Messages one XREAD brings into the mirror (the stream holds at most 10,000). */
const MIRROR_BATCH = 1000;
/** How long one XREAD blocks before it is issued again (lets close() and reconnects through). */
const MIRROR_BLOCK_MS = 2000;
/** After a failed read, the mirror waits this long before the next (Redis is away). */
const RETRY_MS = 250;
/** How long sync() waits for the mirror before it lets the request go on with what it has. */
const SYNC_WAIT_MS = 2000;

type XreadReply = [string, [string, string[]][]][] | null;

export interface Mirror {
  /** Reads until `stopped()`; resolves once the last read has returned. */
  run(stopped: () => boolean): Promise<void>;
  /** Resolves once the mirror holds `target` (or after SYNC_WAIT_MS: readers then go on with what it has). */
  mirrored(target: number): Promise<void>;
  /** Lets every waiting reader go on (the mirror has stopped). */
  releaseAll(): void;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createMirror(blocking: Redis, stream: string, feed: Feed): Mirror {
  const waiters: { target: number; resolve: () => void }[] = [];
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (feed.lastSeq >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  return {
    async run(stopped) {
      while (!stopped()) {
        let reply: XreadReply;
        try {
          reply = (await blocking.xread(
            'COUNT',
            MIRROR_BATCH,
            'BLOCK',
            MIRROR_BLOCK_MS,
            'STREAMS',
            stream,
            `${feed.lastSeq}-0`,
          )) as XreadReply;
        } catch {
          if (!stopped()) await pause(RETRY_MS);
          continue;
        }
        // Each entry is ['d', data], as the publish script writes it.
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) feed.append(Number.parseInt(id, 10), fields[1] ?? '');
        }
        settle();
      }
    },
    async mirrored(target) {
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
    },
    releaseAll() {
      for (const waiter of waiters.splice(0)) waiter.resolve();
    },
  };
}
