/**
 * long-poll: each client loops GET /feed/poll with the cursor it was last given, exactly as the
 * protocol's guarantee assumes. On 410 cursor_expired it counts the lost messages and resumes from
 * the oldest retained one. A client is "open" once its first poll's socket is connected. A poll whose
 * connection fails (its server process died, PROTOCOL.md §10) is sent again with the same cursor;
 * it counts only after MAX_RESUMES_IN_A_ROW failures in a row.
 */
import http from 'node:http';
import type { KindOptions } from '../../../../common/load';
import { ConnectionPool, type Connection } from '../connection-pool';
import { FeedTracker, MAX_RESUMES_IN_A_ROW, RESUME_DELAY_MS } from '../feed-tracker';
import { causeOf } from '../stats';
import type { Target } from '../target';

const POLL_TIMEOUT_S = 25;
/** 1,000 messages of at most 64 KiB each, JSON-escaped, fit well inside this. */
const MAX_BODY_BYTES = 160 * 1024 * 1024;
/** Back-to-back cursor_expired answers before the client gives up (a server stuck answering 410). */
const MAX_EXPIRED_IN_A_ROW = 10;

class PollClient implements Connection {
  state: Connection['state'] = 'connecting';
  readonly startedAt = performance.now();
  req: http.ClientRequest | null = null;
  /** null until the server tells us one: the first poll asks for "what comes after now". */
  cursor: number | null = null;
  expiredInARow = 0;
  resumesInARow = 0;

  constructor(
    readonly tracker: FeedTracker,
    readonly localAddress: string | undefined,
  ) {}

  close(): void {
    this.req?.destroy();
  }

  destroy(): void {
    this.req?.destroy();
  }
}

interface PollReply {
  cursor?: unknown;
  messages?: unknown;
  oldest?: unknown;
}

export class LongPollKind extends ConnectionPool<PollClient> {
  private agent = newAgent();

  constructor(target: Target, connectTimeoutMs: number) {
    super('long-poll', target, connectTimeoutMs);
  }

  configure(_options: KindOptions): void {
    // Nothing to tune: a follower only listens.
  }

  protected connect(localAddress: string | undefined): PollClient {
    const c = new PollClient(new FeedTracker(this.stats), localAddress);
    this.poll(c);
    return c;
  }

  protected override onIdle(): void {
    // Idle keep-alive sockets would keep the server's connection gauge above zero.
    this.agent.destroy();
    this.agent = newAgent();
  }

  private poll(c: PollClient, retried = false): void {
    const cursor = c.cursor === null ? '' : `&cursor=${c.cursor}`;
    // An options object rather than a URL string: parsing a URL per poll showed up in profiles.
    const req = http.get({
      host: this.target.hostname,
      port: this.target.port,
      path: `${this.target.basePath}/feed/poll?timeout=${POLL_TIMEOUT_S}${cursor}`,
      agent: this.agent,
      localAddress: c.localAddress,
    });
    c.req = req;
    this.stats.sent++;
    if (c.state === 'connecting') {
      req.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => this.opened(c));
        else this.opened(c);
      });
    }
    req.on('error', (err) => {
      // A reused keep-alive socket the server was closing: polling is idempotent, poll again once.
      if (
        req.reusedSocket &&
        causeOf(err) === 'ECONNRESET' &&
        c.state === 'open' &&
        !this.isStopping(c) &&
        !retried
      ) {
        this.stats.sent--;
        this.poll(c, true);
        return;
      }
      if (
        c.state === 'open' &&
        !this.isStopping(c) &&
        c.cursor !== null &&
        c.resumesInARow < MAX_RESUMES_IN_A_ROW
      ) {
        c.resumesInARow++;
        setTimeout(() => {
          if (this.isStopping(c)) this.ended(c, null);
          else this.poll(c);
        }, RESUME_DELAY_MS);
        return;
      }
      this.ended(c, causeOf(err));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          this.ended(c, 'body_too_large');
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => this.ended(c, causeOf(err)));
      res.on('end', () => {
        if (c.state === 'closed') return;
        this.reply(c, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
      });
    });
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
    this.ended(c, status === 200 ? 'bad_frame' : `http_${status}`);
  }
}

function newAgent(): http.Agent {
  // No socket timeout (that would be a timer per client): a follower re-polls at once, so its
  // socket is never idle long enough for the server's keep-alive timeout; the rare race is retried.
  return new http.Agent({ keepAlive: true });
}

function parseJson(body: string): PollReply | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as PollReply) : null;
  } catch {
    return null; // not JSON: the caller counts it by status
  }
}
