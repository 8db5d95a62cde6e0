/**
 * Liveness for long-lived connections, with one interval per concern over all of them (never a
 * timer per connection): WebSocket pings every 30 s, terminating peers that did not answer the
 * previous ping, and an SSE `: keep-alive` comment every 15 s so proxies keep idle streams open.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';

export const DEFAULT_PING_MS = 30_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;

const KEEPALIVE = Buffer.from(': keep-alive\n\n');

export class Heartbeat {
  private readonly unanswered = new Set<WebSocket>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly keepAliveTimer: NodeJS.Timeout;

  constructor(
    wss: WebSocketServer,
    sseStreams: Set<ServerResponse>,
    pingMs = DEFAULT_PING_MS,
    keepAliveMs = DEFAULT_KEEPALIVE_MS,
  ) {
    this.pingTimer = setInterval(() => {
      for (const ws of wss.clients) {
        if (this.unanswered.has(ws)) {
          this.unanswered.delete(ws);
          ws.terminate();
          continue;
        }
        this.unanswered.add(ws);
        ws.ping();
      }
    }, pingMs);
    this.keepAliveTimer = setInterval(() => {
      for (const res of sseStreams) res.write(KEEPALIVE);
    }, keepAliveMs);
    // Liveness checks alone must not keep a process alive.
    this.pingTimer.unref();
    this.keepAliveTimer.unref();
  }

  /** Registers a socket's pong; call once per accepted socket. */
  watch(ws: WebSocket): void {
    ws.on('pong', () => this.unanswered.delete(ws));
    ws.once('close', () => this.unanswered.delete(ws));
  }

  stop(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.keepAliveTimer);
    this.unanswered.clear();
  }
}
