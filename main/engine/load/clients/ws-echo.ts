/**
 * ws-echo: a generic WebSocket client for any echo server, not only one that speaks Loopscope's
 * protocol. Each client connects to the target's `path` (default /), sends a message every
 * intervalMs and expects the same bytes back, in order; anything else counts as wrong. Round trip
 * is measured from the moment a send was due (as ws-prime does), so a stalled server or generator
 * cannot hide the stall.
 */
import type { KindOptions } from '../../../../common/load';
import { ConnectionPool } from '../connection-pool';
import { DueQueue } from '../due-queue';
import type { Target } from '../target';
import { WsConnection } from '../ws-connection';

/** Unanswered messages per connection before the client skips sends (counted as skipped_backlog). */
const MAX_OUTSTANDING = 1000;
/** Sends per timer callback before yielding to I/O. */
const MAX_SENDS_PER_TICK = 5000;

interface Waiting {
  due: number;
  text: string;
}

class EchoClient extends WsConnection {
  readonly waiting: Waiting[] = [];
  sent = 0;
}

export class WsEchoKind extends ConnectionPool<EchoClient> {
  private intervalMs = 1000;
  private path = '/';
  private readonly schedule = new DueQueue<EchoClient>();
  private sendTimer: NodeJS.Timeout | null = null;

  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-echo', target, connectTimeoutMs);
  }

  configure(options: KindOptions): void {
    // The path applies to clients connected from now on.
    if (options.path !== undefined) this.path = options.path;
    if (options.intervalMs === undefined) return;
    const wasIdle = this.intervalMs === 0;
    this.intervalMs = options.intervalMs;
    // Going idle drops every pending send, so a later restart cannot schedule a client twice.
    if (this.intervalMs === 0) this.schedule.clear();
    if (wasIdle && this.intervalMs > 0) {
      for (const c of this.open) this.enqueue(c);
      this.arm();
    }
  }

  protected connect(localAddress: string | undefined): EchoClient {
    const client: EchoClient = new EchoClient(`${this.target.wsBase}${this.path}`, localAddress, {
      opened: () => this.opened(client),
      ended: (cause) => this.ended(client, cause),
      message: (data, isBinary) => this.echoed(client, isBinary ? null : data.toString()),
    });
    return client;
  }

  protected override onOpened(c: EchoClient): void {
    if (this.intervalMs === 0) return;
    this.enqueue(c);
    this.arm();
  }

  private enqueue(c: EchoClient): void {
    // A random phase spreads the clients' sends evenly over the interval.
    this.schedule.push(performance.now() + Math.random() * this.intervalMs, c);
  }

  private arm(): void {
    if (this.sendTimer !== null) return;
    const next = this.schedule.peekDue();
    if (next === undefined) return;
    this.sendTimer = setTimeout(() => this.sendDue(), Math.max(0, next - performance.now()));
  }

  private sendDue(): void {
    this.sendTimer = null;
    const now = performance.now();
    for (let sent = 0; sent < MAX_SENDS_PER_TICK;) {
      const entry = this.schedule.popDue(now);
      if (!entry) break;
      const c = entry.item;
      if (c.state !== 'open' || this.isStopping(c) || this.intervalMs === 0) continue;
      this.schedule.push(entry.due + this.intervalMs, c);
      if (c.waiting.length >= MAX_OUTSTANDING) {
        this.stats.fail('skipped_backlog');
        continue;
      }
      // Every message differs, so an echo of the wrong one is caught.
      const text = `echo ${c.sent++} ${entry.due.toFixed(3)}`;
      c.waiting.push({ due: entry.due, text });
      c.ws.send(text);
      this.stats.sent++;
      sent++;
    }
    this.arm();
  }

  private echoed(c: EchoClient, text: string | null): void {
    const stats = this.stats;
    const waited = c.waiting.shift();
    if (!waited) {
      // An echo of nothing that was sent is as wrong as a wrong echo.
      stats.integrity.wrong++;
      return;
    }
    stats.received++;
    stats.recordRtt(performance.now() - waited.due);
    if (text !== waited.text) stats.integrity.wrong++;
  }
}
