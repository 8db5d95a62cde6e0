/**
 * The shared life cycle of kinds that hold one connection per client (ws-prime, ws-feed, sse,
 * long-poll): ramping, a cap on simultaneous handshakes, connect timeouts, stopping, and counting
 * every way a connection can end. One interval timer per kind, never one per connection.
 */
import type { ClientKind, KindOptions } from '../../common/load';
import { MAX_RESUMES_IN_A_ROW, RESUME_DELAY_MS } from './feed-tracker';
import { STOP_GRACE_MS, type KindDriver } from './kind-driver';
import { Ramp } from './ramp';
import { KindStats } from './stats';
import { SourceAddresses, type Target } from './target';

/**
 * Handshakes in flight per kind and process. Far more would overflow the server's listen backlog
 * (511 by default) and turn into SYN retransmits, which only makes connecting slower.
 */
const MAX_CONNECTING = 256;
const TICK_MS = 20;
/** Bound on clients started in one synchronous burst; the rest follow on the next tick. */
const MAX_START_PER_PUMP = 512;

export interface Connection {
  state: 'connecting' | 'open' | 'closed';
  /** performance.now() when connecting began. */
  readonly startedAt: number;
  /** Ends the connection politely; the pool then expects ended(). */
  close(): void;
  /** Ends it at once (timeouts, shutdown); the pool then expects ended(). */
  destroy(): void;
  /**
   * Reconnections in a row that brought nothing (no reply, no message) since the server dropped this
   * client; set by the pool on a client that takes a dropped one's place.
   */
  resumes?: number;
}

export abstract class ConnectionPool<C extends Connection> implements KindDriver {
  readonly stats: KindStats;
  protected target: Target;
  protected sources: SourceAddresses;
  protected readonly open = new Set<C>();
  private readonly connecting = new Set<C>();
  private readonly closing = new Set<C>();
  private readonly ramp = new Ramp();
  /**
   * Clients whose open connection the server dropped (its process died, it restarted), waiting to
   * connect again: when, and how many times in a row they have. Kinds that opt in (rejoinOnDrop)
   * carry on as the feed followers do, instead of being lost for the rest of the run.
   */
  private readonly rejoining: { at: number; resumes: number }[] = [];
  /** Whether a client the server dropped connects again (up to MAX_RESUMES_IN_A_ROW times in a row). */
  protected rejoinOnDrop = false;
  /** performance.now() when the last handshake in flight finished (the connect phase ended). */
  private connectedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly kind: ClientKind,
    target: Target,
    /** A client still connecting after this long is dropped and counted as "timeout". */
    private readonly connectTimeoutMs: number,
  ) {
    this.stats = new KindStats(kind);
    this.target = target;
    this.sources = new SourceAddresses(target);
  }

  /** Creates a client and starts connecting; it must later call opened() and/or ended(). */
  protected abstract connect(localAddress: string | undefined): C;
  abstract configure(options: KindOptions): void;
  protected onOpened(_c: C): void {}
  /** Every client is gone: release shared resources (agents). */
  protected onIdle(): void {}

  spawn(count: number, rampPerS: number, options: KindOptions | undefined): void {
    if (options) this.configure(options);
    this.ramp.add(count, rampPerS);
    this.pump();
  }

  stop(count: number): void {
    let left = count - this.ramp.remove(count);
    const waiting = Math.min(left, this.rejoining.length);
    this.rejoining.splice(0, waiting);
    left -= waiting;
    for (const c of this.connecting) {
      if (left <= 0) break;
      this.closing.add(c);
      c.destroy();
      left--;
    }
    for (const c of this.open) {
      if (left <= 0) break;
      this.open.delete(c);
      this.closing.add(c);
      c.close();
      left--;
    }
    this.checkIdle();
  }

  stopAll(): Promise<void> {
    this.ramp.remove(this.ramp.queued);
    this.rejoining.length = 0;
    this.stop(this.connecting.size + this.open.size);
    if (this.closing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const grace = setTimeout(() => {
        for (const c of this.closing) c.destroy();
      }, STOP_GRACE_MS);
      this.drainWaiters.push(() => {
        clearTimeout(grace);
        resolve();
      });
    });
  }

  setTarget(target: Target): void {
    this.target = target;
    this.sources = new SourceAddresses(target);
  }

  fdDemand(): number {
    return this.clients() + this.closing.size;
  }

  /** Spawned clients running, connecting, queued or about to reconnect (never a rate sender). */
  clients(): number {
    return this.ramp.queued + this.rejoining.length + this.connecting.size + this.open.size;
  }

  active(): number {
    return this.open.size;
  }

  pending(): number {
    return this.ramp.queued + this.rejoining.length + this.connecting.size;
  }

  protected opened(c: C): void {
    if (c.state !== 'connecting') return;
    c.state = 'open';
    this.connecting.delete(c);
    if (this.connecting.size === 0) this.connectedAt = performance.now();
    this.stats.opened++;
    this.stats.recordConnect(performance.now() - c.startedAt);
    if (this.closing.has(c)) {
      c.close();
      return;
    }
    this.open.add(c);
    this.onOpened(c);
    this.pump();
  }

  /** The connection is gone. `cause` is null for a close we asked for; otherwise it is counted. */
  protected ended(c: C, cause: string | null): void {
    if (c.state === 'closed') return;
    const wasOpen = c.state === 'open';
    c.state = 'closed';
    if (this.connecting.delete(c) && this.connecting.size === 0) this.connectedAt = performance.now();
    this.open.delete(c);
    const stopping = this.closing.delete(c);
    if (wasOpen) this.stats.closed++;
    const resumes = c.resumes ?? 0;
    const dropped = cause !== null && !stopping && (wasOpen || resumes > 0);
    if (this.rejoinOnDrop && dropped && resumes < MAX_RESUMES_IN_A_ROW) {
      // Counted only if the tries in a row run out: a replaced process loses its clients nothing.
      this.rejoining.push({ at: performance.now() + RESUME_DELAY_MS, resumes: resumes + 1 });
    } else if (cause !== null && !stopping) this.stats.fail(cause);
    this.checkIdle();
    this.pump();
  }

  /**
   * Whether a request due at `due` is a round trip worth reporting. Connecting is its own phase: a
   * request due while handshakes were in flight (or before the last of them finished) measures the
   * generator's and server's connect work, not a round trip, so it is kept out of `rtt`.
   */
  protected measures(due: number): boolean {
    return this.connecting.size === 0 && due >= this.connectedAt;
  }

  protected isStopping(c: C): boolean {
    return this.closing.has(c);
  }

  private pump(): void {
    const now = performance.now();
    while (
      this.rejoining.length > 0 &&
      this.rejoining[0]!.at <= now &&
      this.connecting.size < MAX_CONNECTING
    ) {
      const { resumes } = this.rejoining.shift()!;
      const c = this.connect(this.sources.take());
      c.resumes = resumes;
      if (c.state === 'connecting') this.connecting.add(c);
    }
    const room = Math.min(MAX_CONNECTING - this.connecting.size, MAX_START_PER_PUMP);
    const n = room > 0 ? this.ramp.take(room) : 0;
    for (let i = 0; i < n; i++) {
      const c = this.connect(this.sources.take());
      if (c.state === 'connecting') this.connecting.add(c);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const busy = this.ramp.queued > 0 || this.connecting.size > 0 || this.rejoining.length > 0;
    if (busy && this.timer === null) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
    } else if (!busy && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    const deadline = performance.now() - this.connectTimeoutMs;
    for (const c of this.connecting) {
      if (c.startedAt < deadline) {
        c.destroy();
        this.ended(c, 'timeout');
      }
    }
    this.pump();
  }

  private checkIdle(): void {
    if (this.closing.size > 0) return;
    if (
      this.open.size === 0 &&
      this.connecting.size === 0 &&
      this.ramp.queued === 0 &&
      this.rejoining.length === 0
    )
      this.onIdle();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
