/**
 * long-poll: each client loops GET /feed/poll with the cursor it was last given, exactly as the
 * protocol's guarantee assumes. On 410 cursor_expired it counts the lost messages and resumes from
 * the oldest retained one. A client is one keep-alive connection (http-connection.ts), "open" once
 * it is connected; it re-polls at once, so the server never sees it idle. A connection that drops
 * (its server process died, docs/protocol.md §10; or a 408 closed it, below) is opened again and
 * polls with the same cursor; the drop counts only after MAX_RESUMES_IN_A_ROW in a row bring nothing.
 *
 * Polls are written through a TurnSlicedQueue, not from the reply handler: a publish answers every
 * held poll at once, and writing 5,000 new polls in one go kept the generator's timers waiting.
 */
import type { FeedTracker } from '../feed-tracker';
import { FollowerClient, FollowerPool } from '../follower-pool';
import { HttpConnection, requestHead } from '../http-connection';
import type { Target } from '../target';
import { TurnSlicedQueue } from '../turn-sliced-queue';

const POLL_TIMEOUT_S = 25;
const REQUEST_TIMEOUT = 408;
const TIMED_OUT = `http_${REQUEST_TIMEOUT}`;
/** 1,000 messages of at most 64 KiB each, JSON-escaped, fit well inside this. */
const MAX_BODY_BYTES = 160 * 1024 * 1024;
/** Back-to-back cursor_expired answers before the client gives up (a server stuck answering 410). */
const MAX_EXPIRED_IN_A_ROW = 10;

class PollClient extends FollowerClient {
  conn!: HttpConnection;
  /** The connection a queued poll is meant for: one that dropped since must not get it. */
  pollFor: HttpConnection | null = null;
  /** null until the server tells us one: the first poll asks for "what comes after now". */
  cursor: number | null = null;
  expiredInARow = 0;

  close(): void {
    this.conn.destroy();
  }

  destroy(): void {
    this.conn.destroy();
  }
}

interface PollReply {
  cursor?: unknown;
  messages?: unknown;
  oldest?: unknown;
}

export class LongPollKind extends FollowerPool<PollClient> {
  /** A poll's bytes around its cursor, built once per target: a re-poll only joins three strings. */
  private pollHead = { path: '', rest: '' };
  private readonly polls = new TurnSlicedQueue<PollClient>((c) => this.writePoll(c));

  constructor(target: Target, connectTimeoutMs: number) {
    super('long-poll', target, connectTimeoutMs);
    this.pollHead = pollHead(target);
  }

  override setTarget(target: Target): void {
    super.setTarget(target);
    this.pollHead = pollHead(target);
  }

  protected createClient(tracker: FeedTracker): PollClient {
    return new PollClient(tracker);
  }

  protected dial(c: PollClient, localAddress: string | undefined): void {
    c.conn = new HttpConnection(
      {
        host: this.target.hostname,
        port: this.target.port,
        localAddress,
        keepBody: true,
        maxBodyBytes: MAX_BODY_BYTES,
      },
      {
        connected: () => {
          if (c.state === 'connecting') this.opened(c);
          if (c.state === 'open') this.poll(c);
        },
        reply: (status, body) => {
          if (c.state === 'open') this.reply(c, status, body?.toString('utf8') ?? '');
        },
        ended: (cause) => {
          // The same cursor polls again on a new connection. A 408 to the very first poll (no cursor
          // yet) may too: the client had no place in the feed to lose.
          const resumable = c.cursor !== null || cause === TIMED_OUT;
          if (cause === null || !this.resumeAfterDrop(c, localAddress, resumable)) this.ended(c, cause);
        },
      },
    );
  }

  private poll(c: PollClient): void {
    c.pollFor = c.conn;
    this.polls.push(c);
  }

  private writePoll(c: PollClient): void {
    const conn = c.pollFor;
    c.pollFor = null;
    // Queued a moment ago: the client may have been stopped, or its connection dropped, since.
    if (conn !== c.conn || conn.closed || c.state !== 'open' || this.isStopping(c)) return;
    const { path, rest } = this.pollHead;
    c.conn.send(c.cursor === null ? path + rest : `${path}&cursor=${c.cursor}${rest}`);
    this.stats.sent++;
  }

  private reply(c: PollClient, status: number, body: string): void {
    const reply = parseJson(body);
    if (status === 200 && reply && Number.isInteger(reply.cursor) && Array.isArray(reply.messages)) {
      c.expiredInARow = 0;
      c.resumesInARow = 0;
      for (const m of reply.messages as Array<{ seq?: unknown; data?: unknown }>) {
        if (typeof m?.seq === 'number' && typeof m.data === 'string') c.tracker.accept(m.seq, m.data);
        else this.stats.fail('bad_frame');
      }
      c.cursor = reply.cursor as number;
      // An empty first answer still tells us where "now" is.
      if (c.tracker.last === null) c.tracker.last = c.cursor;
      this.poll(c);
      return;
    }
    if (status === 410 && reply && Number.isInteger(reply.oldest) && c.expiredInARow < MAX_EXPIRED_IN_A_ROW) {
      c.expiredInARow++;
      const oldest = reply.oldest as number;
      c.tracker.expired(c.cursor ?? 0, oldest);
      c.cursor = oldest - 1;
      this.poll(c);
      return;
    }
    if (status === REQUEST_TIMEOUT) {
      // node:http's answer on a keep-alive connection it found idle past its headersTimeout, sent
      // as it closes it: a saturated server reads the next poll late. The connection dropped; the
      // same cursor polls again on a new one (seen 2,241 times in the 100,000-connection run).
      c.conn.drop(TIMED_OUT);
      return;
    }
    this.ended(c, status === 200 ? 'bad_frame' : `http_${status}`);
  }
}

/** `GET …/feed/poll?timeout=T` and the rest of the head after the query string. */
function pollHead(target: Target): { path: string; rest: string } {
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  const marker = '\u0000';
  const head = requestHead(
    'GET',
    `${target.basePath}/feed/poll?timeout=${POLL_TIMEOUT_S}${marker}`,
    `${host}:${target.port}`,
  );
  const at = head.indexOf(marker);
  return { path: head.slice(0, at), rest: head.slice(at + 1) };
}

function parseJson(body: string): PollReply | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as PollReply) : null;
  } catch {
    return null; // not JSON: the caller counts it by status
  }
}
