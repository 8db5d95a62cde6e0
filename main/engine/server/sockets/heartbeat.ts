/**
 * Liveness for long-lived connections, with one interval per concern over all of them (never a
 * timer per connection): each WebSocket is pinged once every 30 s and terminated at its next
 * ping if it did not answer the previous one, so a dead peer is gone within two periods; each SSE
 * stream gets a `: keep-alive` comment once every 15 s so proxies keep idle streams open.
 *
 * Each period is swept in slices: every connection belongs to one of SLICES slices, and a tick
 * every period/SLICES visits the next slice. Pinging 10,000 sockets in one tick is 10,000 writes
 * in a row — a loop stall of well over 100 ms every 30 s that the event-loop chart would show as
 * the server's own doing. A connection stays in its slice, so it is visited exactly once per
 * period however many come and go (a sweep that walked the live set with a per-tick budget of
 * size/SLICES visited a lone socket every other tick, 15 times a period, and let churn push
 * others past two periods).
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

export const DEFAULT_PING_MS = 30_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;
/** Slices per period; the period is rounded to a whole number of milliseconds per slice. */
export const SLICES = 30;

const KEEPALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Slices a tick may visit when ticks ran late. Each tick is due every period/SLICES by the clock,
 * not by counting ticks: on a busy machine every tick comes a little late, and counted ticks made a
 * period of 1 s last 2.4 (a dead peer stayed almost 5). Catching up at most this many at once
 * keeps a long stall from ending in a burst of every slice, whose sockets' pongs are still unread.
 */
const CATCH_UP_SLICES = 4;
/**
 * The most slices owed: behind by more (a stall), the rest are let go. Under half a period, a
 * catch-up never comes round to a slice it pinged in the same catch-up, so every socket keeps at
 * least a quarter of a period to answer.
 */
const MAX_OWED_SLICES = SLICES / 2;

/** Visits each member once per period, in SLICES fixed slices, one slice per tick. */
class SlicedSchedule<T> {
  private readonly slices: Set<T>[] = Array.from({ length: SLICES }, () => new Set<T>());
  private readonly sliceOf = new Map<T, Set<T>>();
  private readonly timer: NodeJS.Timeout;
  private next = 0;
  /** Slices visited since the start, and the start: slice k is due at start + k × sliceMs. */
  private visited = 0;
  private readonly startedAt = performance.now();

  constructor(periodMs: number, visit: (item: T) => void, beforeTick: () => void = () => undefined) {
    const sliceMs = Math.max(1, Math.round(periodMs / SLICES));
    this.timer = setInterval(() => {
      beforeTick();
      const due = Math.floor((performance.now() - this.startedAt) / sliceMs);
      if (due - this.visited > MAX_OWED_SLICES) this.visited = due - MAX_OWED_SLICES;
      for (let n = 0; n < CATCH_UP_SLICES && this.visited < due; n++) {
        this.visited++;
        const slice = this.slices[this.next]!;
        this.next = (this.next + 1) % SLICES;
        for (const item of slice) visit(item);
      }
    }, sliceMs);
    // Liveness checks alone must not keep a process alive.
    this.timer.unref();
  }

  get size(): number {
    return this.sliceOf.size;
  }

  has(item: T): boolean {
    return this.sliceOf.has(item);
  }

  /** Into the smallest slice, so the work per tick stays even however connections arrive. */
  add(item: T): void {
    if (this.sliceOf.has(item)) return;
    let smallest = this.slices[0]!;
    for (const slice of this.slices) if (slice.size < smallest.size) smallest = slice;
    smallest.add(item);
    this.sliceOf.set(item, smallest);
  }

  delete(item: T): void {
    this.sliceOf.get(item)?.delete(item);
    this.sliceOf.delete(item);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class Heartbeat {
  private readonly unanswered = new Set<WebSocket>();
  private readonly pings: SlicedSchedule<WebSocket>;
  private readonly keepAlives: SlicedSchedule<ServerResponse>;

  constructor(sseStreams: Set<ServerResponse>, pingMs = DEFAULT_PING_MS, keepAliveMs = DEFAULT_KEEPALIVE_MS) {
    this.pings = new SlicedSchedule(pingMs, (ws) => {
      if (this.unanswered.has(ws)) {
        this.unanswered.delete(ws);
        ws.terminate();
        return;
      }
      this.unanswered.add(ws);
      ws.ping();
    });
    this.keepAlives = new SlicedSchedule(
      keepAliveMs,
      (res) => res.write(KEEPALIVE),
      () => {
        // The SSE route registers its streams in sseStreams only; the ones added since the last
        // tick are taken into a slice here. A stream leaves its slice when it closes.
        if (sseStreams.size <= this.keepAlives.size) return;
        for (const res of sseStreams) {
          if (this.keepAlives.has(res)) continue;
          this.keepAlives.add(res);
          res.once('close', () => this.keepAlives.delete(res));
        }
      },
    );
  }

  /** Starts pinging a socket; call once per accepted socket. */
  watch(ws: WebSocket): void {
    this.pings.add(ws);
    ws.on('pong', () => this.unanswered.delete(ws));
    ws.once('close', () => {
      this.pings.delete(ws);
      this.unanswered.delete(ws);
    });
  }

  stop(): void {
    this.pings.stop();
    this.keepAlives.stop();
    this.unanswered.clear();
  }
}
