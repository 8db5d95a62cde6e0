/**
 * The shared engine of request/response kinds (http, publisher, job-producer). Each client is one
 * keep-alive connection (ConnectionPool: N clients = N connections, ramped, with connect timeouts)
 * carrying at most `inFlight` requests at once, written as ready-made bytes (http-connection.ts).
 *
 * When the clients send is their loop's to say: open-loop.ts (intervalMs > 0) or closed-loop.ts
 * (intervalMs 0). The aggregate rate sender (publishRate / jobRate) has lanes of its own
 * (rate-lanes.ts). One timer per kind drives every client (send-schedule.ts); this file writes the
 * requests, keeps the backlogs and counts the replies.
 */
import type { ClientKind, KindOptions } from '../../common/load';
import { ClosedLoop } from './closed-loop';
import { ConnectionPool } from './connection-pool';
import { HttpConnection, requestHead } from './http-connection';
import { OpenLoop } from './open-loop';
import { RateLanes, type LaneDialer, type RateSender } from './rate-lanes';
import { RequestClient } from './request-client';
import type { SendLoop } from './send-loop';
import { SendSchedule } from './send-schedule';
import type { Target } from './target';

export { RequestClient };

/** Due requests a client holds while its connection is full; beyond that sends are skipped (skipped_backlog). */
const MAX_BACKLOG = 1000;
/** A connection idle this long is replaced before use: a Node server drops idle ones after 5 s. */
export const KEEP_ALIVE_IDLE_MS = 4000;
const MAX_REPLY_BYTES = 1024 * 1024;

export abstract class RequestKind extends ConnectionPool<RequestClient> {
  protected intervalMs = 1000;
  protected inFlight = 1;
  /** The status a reply must have to count as received; anything else is counted as http_<status>. */
  protected expectStatus = 200;

  protected accepts(status: number): boolean {
    return status === this.expectStatus;
  }
  /** host[:port] for the Host header. */
  protected hostHeader: string;
  private readonly schedule = new SendSchedule<RequestClient | RateSender>((item, due) => {
    if (item instanceof RequestClient) this.openLoop.due(item, due);
    else this.rate.due(item, due);
  });
  private readonly pipeline: LaneDialer = {
    intervalMs: () => this.intervalMs,
    inFlight: () => this.inFlight,
    write: (c, due) => this.write(c, due),
    due: (c, due) => this.dueNow(c, due),
    isStopping: (c) => this.isStopping(c),
    newLane: () => new RequestClient(true, this.sources.take()),
    dial: (c) => this.dial(c),
  };
  private readonly openLoop = new OpenLoop(this.schedule, this.pipeline);
  private readonly closedLoop = new ClosedLoop(this.pipeline);
  private readonly rate = new RateLanes(this.schedule, this.pipeline, this.stats);

  constructor(kind: ClientKind, target: Target, connectTimeoutMs: number) {
    super(kind, target, connectTimeoutMs);
    this.hostHeader = hostHeader(target);
    // A replaced server process drops its connections: spawned clients connect again.
    this.rejoinOnDrop = true;
  }

  /** The bytes of the request a client (rate = false) or the rate sender makes next, due at `due`. */
  protected abstract request(rate: boolean, due: number): string | Buffer;
  abstract override configure(options: KindOptions): void;

  /** Reads the options every request kind shares. */
  protected configureCommon(options: KindOptions): void {
    const wasClosedLoop = this.intervalMs === 0;
    if (options.intervalMs !== undefined) this.intervalMs = options.intervalMs;
    if (options.inFlight !== undefined) this.inFlight = options.inFlight;
    // Switching between the open and the closed loop moves the running clients along with it.
    if (wasClosedLoop !== (this.intervalMs === 0)) {
      // Going closed drops every client's pending send, so going open again cannot schedule one twice.
      if (this.intervalMs === 0) {
        this.schedule.clear();
        this.rate.reschedule();
      }
      for (const c of this.open) this.loop().start(c);
      this.schedule.arm();
    }
  }

  /** A request's bytes: head and body in one string, so it goes out in one write. */
  protected build(method: 'GET' | 'POST', path: string, body?: string, contentType?: string): string {
    const head = requestHead(
      method,
      `${this.target.basePath}${path}`,
      this.hostHeader,
      body === undefined
        ? undefined
        : { length: Buffer.byteLength(body), contentType: contentType ?? 'text/plain; charset=utf-8' },
    );
    return body === undefined ? head : head + body;
  }

  override setTarget(target: Target): void {
    super.setTarget(target);
    this.hostHeader = hostHeader(target);
  }

  /** The aggregate sender's rate in force, requests per second (0: none). */
  ratePerS(): number {
    return this.rate.perS();
  }

  /** Runs the aggregate sender at perS requests per second (0 stops it). */
  setRate(perS: number): void {
    this.rate.set(perS);
  }

  override stopAll(): Promise<void> {
    const lanesGone = this.rate.stop();
    return Promise.all([super.stopAll(), lanesGone]).then(() => undefined);
  }

  override fdDemand(): number {
    return super.fdDemand() + this.rate.fdDemand();
  }

  /** Spawned clients connected, plus the rate sender when one is set. */
  override active(): number {
    return super.active() + this.rate.active();
  }

  protected connect(localAddress: string | undefined): RequestClient {
    const c = new RequestClient(false, localAddress);
    this.dial(c);
    return c;
  }

  protected override onOpened(c: RequestClient): void {
    this.loop().start(c);
  }

  private loop(): SendLoop {
    return this.intervalMs === 0 ? this.closedLoop : this.openLoop;
  }

  /** Rate lanes follow the open loop's rule whatever the clients do: only their backlog fills a gap. */
  private loopOf(c: RequestClient): SendLoop {
    return c.rate ? this.openLoop : this.loop();
  }

  /** Opens (or reopens) the client's connection; events from a replaced connection are ignored. */
  private dial(c: RequestClient): void {
    const conn: HttpConnection = new HttpConnection(
      {
        host: this.target.hostname,
        port: this.target.port,
        localAddress: c.localAddress,
        keepBody: false,
        maxBodyBytes: MAX_REPLY_BYTES,
      },
      {
        connected: () => {
          if (c.conn !== conn) return;
          if (c.state === 'connecting') {
            if (c.rate) c.state = 'open';
            else this.opened(c);
          }
          this.flush(c);
        },
        reply: (status) => {
          if (c.conn === conn) this.reply(c, status);
        },
        ended: (cause) => {
          if (c.conn === conn) this.connectionEnded(c, conn, cause);
        },
      },
    );
    c.conn = conn;
  }

  private connectionEnded(c: RequestClient, conn: HttpConnection, cause: string | null): void {
    const idleClosed =
      cause === 'server_closed' &&
      !c.closing &&
      c.state === 'open' &&
      c.waiting.length === 0 &&
      conn.connected;
    // A rate lane is opened on demand (rate-lanes.ts): one the server closed while it idled is
    // dropped, not reopened to idle again until the server's headers timeout closes it unused.
    if (idleClosed && c.rate && c.backlog.length === 0) {
      this.rate.ended(c, null);
      return;
    }
    // A server closing a keep-alive connection that had done its work is not a failure: reconnect.
    if (idleClosed && c.replies > 0) {
      c.replies = 0;
      this.dial(c);
      return;
    }
    c.waiting.length = 0;
    c.measured.length = 0;
    c.backlog.length = 0;
    if (c.rate) this.rate.ended(c, cause);
    else this.ended(c, c.closing ? null : cause);
  }

  private dueNow(c: RequestClient, due: number): void {
    if (
      c.state === 'open' &&
      c.conn.connected &&
      c.backlog.length === 0 &&
      c.waiting.length < this.inFlight
    ) {
      this.write(c, due);
    } else if (c.backlog.length >= MAX_BACKLOG) {
      this.stats.fail('skipped_backlog');
    } else {
      c.backlog.push(due);
    }
  }

  private write(c: RequestClient, due: number): void {
    // Replace a connection the server may be about to drop for idleness, rather than race it.
    if (c.waiting.length === 0 && performance.now() - c.conn.lastActive > KEEP_ALIVE_IDLE_MS) {
      const old = c.conn;
      this.dial(c);
      old.destroy();
      c.backlog.unshift(due);
      return;
    }
    c.waiting.push(due);
    c.measured.push(this.measures(due));
    this.stats.sent++;
    c.conn.send(this.request(c.rate, due));
  }

  /** Writes what the backlog holds (and, closed loop, new requests) while the connection has room. */
  private flush(c: RequestClient): void {
    if (c.state !== 'open' || !c.conn.connected) return;
    const loop = this.loopOf(c);
    if (c.backlog.length === 0 && !loop.refills) return;
    c.conn.cork();
    while (c.backlog.length > 0 && c.waiting.length < this.inFlight) this.write(c, c.backlog.shift()!);
    loop.topUp(c);
    c.conn.uncork();
  }

  private reply(c: RequestClient, status: number): void {
    const due = c.waiting.shift();
    const measured = c.measured.shift();
    if (due === undefined) return;
    c.replies++;
    c.resumes = 0;
    if (this.accepts(status)) {
      this.stats.received++;
      if (measured) this.stats.recordRtt(performance.now() - due);
    } else {
      this.stats.fail(`http_${status}`);
    }
    if (c.closing || c.state !== 'open') return;
    if (c.backlog.length > 0) this.flush(c);
    else this.loopOf(c).replied(c);
  }
}

function hostHeader(target: Target): string {
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  return `${host}:${target.port}`;
}
