/**
 * What the WebSocket request kinds (ws-prime, ws-echo) share: each client sends a message every
 * intervalMs (0 = hold the connection idle), from one schedule for the whole kind, corked per
 * socket for the tick; replies come back in send order, so each connection keeps a FIFO of what it
 * waits for. With `inFlight` set, an open-loop client skips sends while that many are unanswered,
 * and intervalMs 0 is a closed loop instead of idle: each client keeps `inFlight` messages
 * outstanding, the next one sent as a reply arrives (what the http kind does with intervalMs 0). Round trip runs from the moment a send was due, so a stalled server or generator
 * cannot hide the stall; sends due while the kind was still connecting are not measured.
 * A kind says only what to send and whether a reply is right.
 */
import type { ClientKind, KindOptions } from '../../common/load';
import { ConnectionPool } from './connection-pool';
import { DueQueue, DueTimer } from './due-queue';
import type { Target } from './target';
import { WsConnection } from './ws-connection';

/** Unanswered messages per connection before the client skips sends (counted as skipped_backlog). */
const MAX_OUTSTANDING = 1000;
/** Sends per timer callback before yielding to I/O. */
const MAX_SENDS_PER_TICK = 5000;

interface Waiting<E> {
  due: number;
  expected: E;
  /** False for a send made while the kind was still connecting: not a round trip worth reporting. */
  measured: boolean;
}

export class WsRequestClient<E> extends WsConnection {
  readonly waiting: Waiting<E>[] = [];
  /** Corked until the end of this tick (open loop) or of this burst of replies (closed loop). */
  corked = false;
  /** Messages this client has sent. */
  sent = 0;
  /** Reconnections in a row with no reply since the server dropped this client's place (the pool's). */
  resumes = 0;
}

export abstract class WsRequestKind<E> extends ConnectionPool<WsRequestClient<E>> {
  protected intervalMs = 1000;
  /** Messages a client keeps unanswered at most; null: MAX_OUTSTANDING, and intervalMs 0 is idle. */
  protected inFlight: number | null = null;
  private readonly schedule = new DueQueue<WsRequestClient<E>>();
  private readonly sendTimer = new DueTimer(this.schedule, () => this.sendDue());

  constructor(kind: ClientKind, target: Target, connectTimeoutMs: number) {
    super(kind, target, connectTimeoutMs);
    // A replaced server process drops its sockets: the clients connect again, as followers do.
    this.rejoinOnDrop = true;
  }

  /** The URL a new client connects to. */
  protected abstract url(): string;
  /** The next message of `c`, and what its reply must match. */
  protected abstract message(c: WsRequestClient<E>, due: number): { text: string; expected: E };
  /** Whether a reply (null: a binary frame) is the right one. */
  protected abstract isRight(text: string | null, expected: E): boolean;

  configure(options: KindOptions): void {
    const was = this.mode();
    if (options.intervalMs !== undefined) this.intervalMs = options.intervalMs;
    if (options.inFlight !== undefined) this.inFlight = options.inFlight;
    const now = this.mode();
    if (now === was) return;
    // Leaving the open loop drops every pending send, so a later return cannot schedule a client twice.
    this.schedule.clear();
    for (const c of this.open) this.onOpened(c);
  }

  /** open: sends on the schedule; closed: the next send as a reply arrives; idle: none. */
  private mode(): 'open' | 'closed' | 'idle' {
    if (this.intervalMs > 0) return 'open';
    return this.inFlight === null ? 'idle' : 'closed';
  }

  protected connect(localAddress: string | undefined): WsRequestClient<E> {
    const client: WsRequestClient<E> = new WsRequestClient<E>(this.url(), localAddress, {
      opened: () => this.opened(client),
      ended: (cause) => this.ended(client, cause),
      message: (data, isBinary) => this.reply(client, isBinary ? null : data.toString()),
    });
    return client;
  }

  protected override onOpened(c: WsRequestClient<E>): void {
    const mode = this.mode();
    if (mode === 'closed') this.fill(c);
    else if (mode === 'open') {
      this.enqueue(c);
      this.sendTimer.arm();
    }
  }

  /** Closed loop: tops the client up to inFlight unanswered messages, in one write. */
  private fill(c: WsRequestClient<E>): void {
    if (c.state !== 'open' || this.isStopping(c)) return;
    const now = performance.now();
    this.corkForBurst(c);
    for (let i = c.waiting.length; i < this.inFlight!; i++) this.send(c, now);
  }

  /**
   * Corks the socket until the current callback and its microtasks are done: the replies one
   * socket read delivers each send their successor, and those leave in one write.
   */
  private corkForBurst(c: WsRequestClient<E>): void {
    if (c.corked) return;
    c.corked = true;
    c.socket()?.cork();
    queueMicrotask(() => {
      c.corked = false;
      c.socket()?.uncork();
    });
  }

  private send(c: WsRequestClient<E>, due: number): void {
    const { text, expected } = this.message(c, due);
    c.waiting.push({ due, expected, measured: this.measures(due) });
    c.ws.send(text);
    c.sent++;
    this.stats.sent++;
  }

  private enqueue(c: WsRequestClient<E>): void {
    // A random phase spreads the clients' sends evenly over the interval.
    this.schedule.push(performance.now() + Math.random() * this.intervalMs, c);
  }

  private sendDue(): void {
    const now = performance.now();
    // Corked for the whole tick: what one socket gets in this tick leaves in one write, not one
    // writev per message.
    const corked: WsRequestClient<E>[] = [];
    const limit = this.inFlight ?? MAX_OUTSTANDING;
    for (let sent = 0; sent < MAX_SENDS_PER_TICK;) {
      const entry = this.schedule.popDue(now);
      if (!entry) break;
      const c = entry.item;
      if (c.state !== 'open' || this.isStopping(c) || this.intervalMs === 0) continue;
      this.schedule.push(entry.due + this.intervalMs, c);
      if (c.waiting.length >= limit) {
        this.stats.fail('skipped_backlog');
        continue;
      }
      if (!c.corked) {
        c.corked = true;
        c.socket()?.cork();
        corked.push(c);
      }
      this.send(c, entry.due);
      sent++;
    }
    for (const c of corked) {
      c.corked = false;
      c.socket()?.uncork();
    }
    this.sendTimer.arm();
  }

  private reply(c: WsRequestClient<E>, text: string | null): void {
    const stats = this.stats;
    const waited = c.waiting.shift();
    if (!waited) {
      // A reply to nothing that was sent is as wrong as a wrong reply.
      stats.integrity.wrong++;
      return;
    }
    stats.received++;
    c.resumes = 0;
    if (waited.measured) stats.recordRtt(performance.now() - waited.due);
    if (!this.isRight(text, waited.expected)) stats.integrity.wrong++;
    if (this.intervalMs === 0 && this.inFlight !== null) this.fill(c);
  }
}
