/**
 * Pushes the feed to one streaming client, /ws/feed or /feed/events (docs/protocol.md §5b, §5c): first
 * the backlog after its cursor, then live, each message exactly once and in order.
 *
 * Frames come straight from the ring, so the backlog is streamed with flow control (stop at a
 * high-water mark, carry on when the socket drains) instead of being copied into the socket all
 * at once. A client that falls more than 1 MiB behind on messages published since it connected,
 * or so far behind that the ring dropped what it still needed, is closed as too slow.
 */
import type { Feed, FeedMessage, FeedSubscriber } from '../feed';
import { UNSENT_BACKLOG_BYTES } from '../../../common/limits';

/** Unsent bytes past which a streaming client is dropped (close 1013, or the SSE stream ends). */
/** Bytes handed to one socket before waiting for it to drain. */
export const HIGH_WATER_BYTES = 64 * 1024;

export interface FeedTransport {
  /** Bytes accepted for this client but not yet handed to the kernel. */
  buffered(): number;
  /**
   * Sends one message. Returns false when the socket is above its high-water mark; the transport
   * then calls `drained` once it has room again.
   */
  send(message: FeedMessage, drained: () => void): boolean;
  /** Drops the client as too slow. */
  evict(reason: string): void;
  /** Optional: hold writes back while several messages are sent, then write them as one. */
  cork?(): void;
  uncork?(): void;
}

export class FeedStream implements FeedSubscriber {
  private readonly feed: Feed;
  private readonly transport: FeedTransport;
  /** Last seq handed to the transport. */
  private sent: number;
  /** The feed's last seq when the client connected: the backlog before it is exempt from the lag limit. */
  private readonly liveFrom: number;
  private waiting = false;
  private stopped = false;
  private readonly drained = () => {
    this.waiting = false;
    this.pump();
  };

  constructor(feed: Feed, transport: FeedTransport, after: number) {
    this.feed = feed;
    this.transport = transport;
    this.sent = after;
    this.liveFrom = feed.lastSeq;
  }

  start(): void {
    this.feed.subscribe(this);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.feed.unsubscribe(this);
  }

  wake(): void {
    if (this.waiting) this.checkLag();
    else this.pump();
  }

  private pump(): void {
    const feed = this.feed;
    const transport = this.transport;
    const batch = feed.lastSeq - this.sent > 1;
    if (batch) transport.cork?.();
    while (!this.stopped && !this.waiting && this.sent < feed.lastSeq) {
      if (feed.isExpired(this.sent)) {
        if (batch) transport.uncork?.();
        this.evict('fell behind the retained window');
        return;
      }
      const message = feed.get(++this.sent)!;
      if (!transport.send(message, this.drained)) this.waiting = true;
    }
    if (batch) transport.uncork?.();
    if (this.waiting) this.checkLag();
  }

  private checkLag(): void {
    const owed = this.feed.bytesAfter(Math.max(this.sent, this.liveFrom));
    if (owed + this.transport.buffered() > UNSENT_BACKLOG_BYTES)
      this.evict('more than 1 MiB of unsent messages');
  }

  private evict(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.transport.evict(reason);
  }
}
