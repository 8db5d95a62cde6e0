/**
 * Liveness for long-lived connections, with one interval per concern over all of them (never a
 * timer per connection): WebSocket pings every 30 s, terminating peers that did not answer the
 * previous ping, and an SSE `: keep-alive` comment every 15 s so proxies keep idle streams open.
 *
 * Each period is swept in slices: a tick every period/SLICES visits the next 1/SLICES of the set.
 * Pinging 10,000 sockets in one tick is 10,000 writes in a row — a loop stall of well over 100 ms
 * every 30 s that the event-loop chart would show as the server's own doing. Every connection is
 * still visited once per period.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';

export const DEFAULT_PING_MS = 30_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;
const SLICES = 30;

const KEEPALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Visits every member of a live Set once per period, a slice per tick. The Set's own iterator is
 * kept between ticks: it skips members deleted meanwhile and reaches members added meanwhile.
 */
class SlicedSweep<T> {
  private readonly timer: NodeJS.Timeout;
  private cursor: Iterator<T> | null = null;

  constructor(items: Set<T>, periodMs: number, visit: (item: T) => void) {
    this.timer = setInterval(
      () => {
        let budget = Math.ceil(items.size / SLICES);
        while (budget-- > 0) {
          this.cursor ??= items.values();
          const next = this.cursor.next();
          if (next.done) {
            // A pass ends here; the next one starts on the next tick, one period after this one began.
            this.cursor = null;
            return;
          }
          visit(next.value);
        }
      },
      Math.max(1, Math.floor(periodMs / SLICES)),
    );
    // Liveness checks alone must not keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class Heartbeat {
  private readonly unanswered = new Set<WebSocket>();
  private readonly pings: SlicedSweep<WebSocket>;
  private readonly keepAlives: SlicedSweep<ServerResponse>;

  constructor(
    wss: WebSocketServer,
    sseStreams: Set<ServerResponse>,
    pingMs = DEFAULT_PING_MS,
    keepAliveMs = DEFAULT_KEEPALIVE_MS,
  ) {
    this.pings = new SlicedSweep(wss.clients, pingMs, (ws) => {
      if (this.unanswered.has(ws)) {
        this.unanswered.delete(ws);
        ws.terminate();
        return;
      }
      this.unanswered.add(ws);
      ws.ping();
    });
    this.keepAlives = new SlicedSweep(sseStreams, keepAliveMs, (res) => res.write(KEEPALIVE));
  }

  /** Registers a socket's pong; call once per accepted socket. */
  watch(ws: WebSocket): void {
    ws.on('pong', () => this.unanswered.delete(ws));
    ws.once('close', () => this.unanswered.delete(ws));
  }

  stop(): void {
    this.pings.stop();
    this.keepAlives.stop();
    this.unanswered.clear();
  }
}
