/**
 * The one in-memory feed of docs/protocol.md §5: a ring of the newest messages and one set of
 * subscribers. Long polls, WebSocket pushes and SSE streams are all subscribers; a publish wakes
 * each of them once, and each reads what it is owed straight from the ring.
 *
 * Wakes are deferred to the end of the current loop turn (setImmediate), so a burst of publishes
 * handled in one turn wakes each subscriber once for the whole burst: under load, fan-out costs
 * one write per subscriber per burst instead of one per message, and the server degrades
 * gracefully instead of collapsing.
 *
 * Every message is serialised once, when published, into the JSON frame that /ws/feed sends and
 * that /feed/poll lists, so fan-out to N subscribers never re-encodes it N times.
 */
import { LoopscopeError } from '../../common/errors';
import { FEED_CAPACITY } from '../../common/limits';

export interface FeedMessage {
  readonly seq: number;
  readonly data: string;
  /** UTF-8 JSON `{"seq":S,"data":"..."}`, shared by every subscriber. */
  readonly frame: Buffer;
  /** Total frame bytes published up to and including this message (measures a subscriber's lag). */
  readonly bytesThrough: number;
  /** The SSE event for this message, built on first use. */
  sse?: Buffer;
}

export interface FeedSubscriber {
  /**
   * Called once after one or more publishes, with the messages already in the ring. It may find
   * nothing new (it subscribed after the publish); it must not throw.
   */
  wake(): void;
}

export class Feed {
  readonly capacity: number;
  private readonly ring: (FeedMessage | undefined)[];
  private last = 0;
  /** Seqs at or below this were never in this ring (a mirror that joined late or skipped a gap). */
  private floor = 0;
  private bytes = 0;
  private readonly subscribers = new Set<FeedSubscriber>();
  private wakePending = false;
  private readonly wakeAll = () => {
    this.wakePending = false;
    for (const subscriber of this.subscribers) subscriber.wake();
  };

  constructor(capacity = FEED_CAPACITY) {
    this.capacity = capacity;
    this.ring = new Array<FeedMessage | undefined>(capacity);
  }

  get lastSeq(): number {
    return this.last;
  }

  /** 0 while the feed is empty. */
  get oldestSeq(): number {
    return this.last === 0 ? 0 : Math.max(1, this.floor + 1, this.last - this.capacity + 1);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(data: string): number {
    return this.append(this.last + 1, data);
  }

  /**
   * Puts the message numbered `seq` (assigned elsewhere: the shared state of state/redis.ts). A seq
   * already held is ignored; a seq past the next one means the messages between are gone for good
   * (they left the shared window before this ring saw them), so the window restarts at `seq`.
   */
  append(seq: number, data: string): number {
    if (seq <= this.last) return seq;
    if (seq !== this.last + 1) this.floor = seq - 1;
    this.last = seq;
    const frame = Buffer.from(JSON.stringify({ seq, data }));
    this.bytes += frame.length;
    this.ring[seq % this.capacity] = { seq, data, frame, bytesThrough: this.bytes };
    if (!this.wakePending && this.subscribers.size > 0) {
      this.wakePending = true;
      setImmediate(this.wakeAll);
    }
    return seq;
  }

  /** The retained message with this seq, or undefined if it is not published yet or evicted. */
  get(seq: number): FeedMessage | undefined {
    const message = this.ring[seq % this.capacity];
    return message?.seq === seq ? message : undefined;
  }

  /**
   * Turns a client's cursor into "the last seq it already has". Omitted means "from now";
   * 0 means "from the oldest retained"; a cursor newer than the feed or older than the window
   * is refused with the protocol's error.
   */
  resolveCursor(cursor: number | undefined): number {
    if (cursor === undefined) return this.last;
    if (cursor === 0) return Math.max(0, this.oldestSeq - 1);
    if (cursor > this.last) {
      throw new LoopscopeError(
        'bad_cursor',
        `cursor ${cursor} is newer than the newest message (${this.last})`,
        { lastSeq: this.last },
      );
    }
    const oldest = this.oldestSeq;
    if (cursor < oldest - 1) {
      throw new LoopscopeError(
        'cursor_expired',
        `cursor ${cursor} is older than the retained window; the oldest message is ${oldest}`,
        { oldest },
      );
    }
    return cursor;
  }

  /** True when the message after `after` has already been evicted (a reader fell out of the window). */
  isExpired(after: number): boolean {
    return after + 1 < this.oldestSeq;
  }

  /** Up to `max` messages after `after`, oldest first. */
  since(after: number, max: number): FeedMessage[] {
    const out: FeedMessage[] = [];
    const from = Math.max(after + 1, this.oldestSeq);
    for (let seq = from; seq <= this.last && out.length < max; seq++) {
      const message = this.get(seq);
      if (message) out.push(message);
    }
    return out;
  }

  /** Frame bytes published after `after` that are still owed to a reader positioned there. */
  bytesAfter(after: number): number {
    if (after >= this.last) return 0;
    const message = this.get(after);
    return this.bytes - (message ? message.bytesThrough : 0);
  }

  subscribe(subscriber: FeedSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  unsubscribe(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
  }
}

/** SSE event text: `id:` then one `data:` line per line of the message (SSE splits on CR, LF, CRLF). */
export function sseEvent(message: FeedMessage): Buffer {
  if (!message.sse) {
    const lines = message.data.split(/\r\n|\r|\n/);
    message.sse = Buffer.from(`id: ${message.seq}\ndata: ${lines.join('\ndata: ')}\n\n`);
  }
  return message.sse;
}
