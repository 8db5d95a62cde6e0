/**
 * The shared engine of request/response kinds (http, publisher, job-producer). Each client is one
 * keep-alive connection (ConnectionPool: N clients = N connections, ramped, with connect timeouts)
 * carrying at most `inFlight` requests at once, written as ready-made bytes (http-connection.ts).
 *
 * Open model: a request is due every intervalMs whether or not the last one was answered; a due
 * request that finds its connection full waits in the client's backlog and its latency still counts
 * from the due time (no coordinated omission). intervalMs 0 is the closed model instead: each
 * connection keeps `inFlight` requests outstanding, the next one written as a reply arrives.
 * The aggregate rate sender (publishRate / jobRate) has lanes of its own, opened as its rate needs.
 * One timer per kind drives every client.
 */
import type { ClientKind, KindOptions } from '../../common/load';
import { ConnectionPool, type Connection } from './connection-pool';
import { DueQueue, DueTimer } from './due-queue';
import { STOP_GRACE_MS } from './kind-driver';
import { HttpConnection, requestHead } from './http-connection';
import type { Target } from './target';

/** Due requests a client holds while its connection is full; beyond that sends are skipped (skipped_backlog). */
const MAX_BACKLOG = 1000;
/** Connections the aggregate rate sender may open (each with `inFlight` requests outstanding). */
const MAX_RATE_LANES = 64;
/** A connection idle this long is replaced before use: a Node server drops idle ones after 5 s. */
export const KEEP_ALIVE_IDLE_MS = 4000;
const MAX_SENDS_PER_TICK = 5000;
const MAX_REPLY_BYTES = 1024 * 1024;

export class RequestClient implements Connection {
  state: Connection['state'] = 'connecting';
  readonly startedAt = performance.now();
  conn!: HttpConnection;
  /** Requests written and not yet answered, oldest first: their due times, and whether RTT counts them. */
  readonly waiting: number[] = [];
  readonly measured: boolean[] = [];
  /** Due times of requests waiting for room on the connection. */
  readonly backlog: number[] = [];
  replies = 0;
  closing = false;
  resumes = 0;

  constructor(
    /** A lane of the aggregate rate sender rather than a spawned client. */
    readonly rate: boolean,
    readonly localAddress: string | undefined,
  ) {}

  close(): void {
    this.closing = true;
    this.conn.close();
  }

  destroy(): void {
    this.closing = true;
    this.conn.destroy();
  }
}

interface RateSender {
  stopped: boolean;
  intervalMs: number;
}

type Scheduled = RequestClient | RateSender;

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
  private readonly schedule = new DueQueue<Scheduled>();
  private readonly sendTimer = new DueTimer(this.schedule, () => this.sendDue());
  private rateSender: RateSender | null = null;
  private readonly lanes: RequestClient[] = [];
  private nextLane = 0;
  private laneWaiters: Array<() => void> = [];

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
        if (this.rateSender) this.schedule.push(performance.now(), this.rateSender);
      }
      for (const c of this.open) this.onOpened(c);
      this.sendTimer.arm();
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
    return this.rateSender ? 1000 / this.rateSender.intervalMs : 0;
  }

  /** Runs the aggregate sender at perS requests per second (0 stops it). */
  setRate(perS: number): void {
    if (this.rateSender) this.rateSender.stopped = true;
    this.rateSender = null;
    if (perS > 0) {
      this.rateSender = { stopped: false, intervalMs: 1000 / perS };
      this.schedule.push(performance.now(), this.rateSender);
      this.sendTimer.arm();
    } else {
      for (const lane of this.lanes) if (!lane.closing) lane.close();
    }
  }

  override stopAll(): Promise<void> {
    this.setRate(0);
    const lanesGone =
      this.lanes.length === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const grace = setTimeout(() => {
              for (const lane of this.lanes) lane.destroy();
            }, STOP_GRACE_MS);
            this.laneWaiters.push(() => {
              clearTimeout(grace);
              resolve();
            });
          });
    return Promise.all([super.stopAll(), lanesGone]).then(() => undefined);
  }

  override fdDemand(): number {
    return super.fdDemand() + (this.rateSender ? Math.max(1, this.lanes.length) : this.lanes.length);
  }

  /** Spawned clients connected, plus the rate sender when one is set. */
  override active(): number {
    return super.active() + (this.rateSender ? 1 : 0);
  }

  protected connect(localAddress: string | undefined): RequestClient {
    const c = new RequestClient(false, localAddress);
    this.dial(c);
    return c;
  }

  protected override onOpened(c: RequestClient): void {
    if (this.intervalMs === 0) {
      this.fill(c);
      return;
    }
    // A random phase spreads the clients' requests evenly over the interval.
    this.schedule.push(performance.now() + Math.random() * this.intervalMs, c);
    this.sendTimer.arm();
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
    // A server closing a keep-alive connection that had done its work is not a failure: reconnect.
    if (
      cause === 'server_closed' &&
      !c.closing &&
      c.state === 'open' &&
      c.waiting.length === 0 &&
      conn.connected &&
      c.replies > 0
    ) {
      c.replies = 0;
      this.dial(c);
      return;
    }
    c.waiting.length = 0;
    c.measured.length = 0;
    c.backlog.length = 0;
    if (c.rate) {
      c.state = 'closed';
      this.lanes.splice(this.lanes.indexOf(c), 1);
      if (cause !== null && !c.closing) this.stats.fail(cause);
      if (this.lanes.length === 0) {
        const waiters = this.laneWaiters;
        this.laneWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    this.ended(c, c.closing ? null : cause);
  }

  private sendDue(): void {
    const now = performance.now();
    for (let sent = 0; sent < MAX_SENDS_PER_TICK; sent++) {
      const entry = this.schedule.popDue(now);
      if (!entry) break;
      const item = entry.item;
      if (item instanceof RequestClient) {
        if (item.state !== 'open' || item.closing || this.intervalMs === 0) continue;
        // Clients pick up a changed interval at their next request.
        this.schedule.push(entry.due + this.intervalMs, item);
        this.dueNow(item, entry.due);
      } else {
        if (item.stopped) continue;
        this.schedule.push(entry.due + item.intervalMs, item);
        this.dueNow(this.lane(), entry.due);
      }
    }
    this.sendTimer.arm();
  }

  /** The rate sender's lane for its next request: one with room, else a new one, else round robin. */
  private lane(): RequestClient {
    for (const lane of this.lanes) {
      if (lane.state === 'open' && lane.waiting.length < this.inFlight && lane.backlog.length === 0)
        return lane;
    }
    if (this.lanes.length < MAX_RATE_LANES) {
      const lane = new RequestClient(true, this.sources.take());
      this.lanes.push(lane);
      this.dial(lane);
      return lane;
    }
    this.nextLane = (this.nextLane + 1) % this.lanes.length;
    return this.lanes[this.nextLane]!;
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
    if (c.backlog.length === 0 && !(this.intervalMs === 0 && !c.rate)) return;
    c.conn.cork();
    while (c.backlog.length > 0 && c.waiting.length < this.inFlight) this.write(c, c.backlog.shift()!);
    if (this.intervalMs === 0 && !c.rate) this.fill(c);
    c.conn.uncork();
  }

  /** Closed loop: tops the connection up to inFlight outstanding requests. */
  private fill(c: RequestClient): void {
    if (c.closing || this.isStopping(c)) return;
    const now = performance.now();
    for (let i = c.waiting.length; i < this.inFlight; i++) this.write(c, now);
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
    else if (this.intervalMs === 0 && !c.rate && !this.isStopping(c)) this.write(c, performance.now());
  }
}

function hostHeader(target: Target): string {
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  return `${host}:${target.port}`;
}
