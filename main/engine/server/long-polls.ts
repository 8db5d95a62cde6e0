/**
 * Held /feed/poll requests (docs/protocol.md §5a, Tornado's chat demo). Each held poll is a feed
 * subscriber; a publish answers every held poll at once. Timeouts use one coarse timer wheel
 * (one interval for all polls, never a timer per request), and a client that hangs up is
 * forgotten immediately.
 */
import type { Feed, FeedMessage, FeedSubscriber } from '../feed';
import type { Exchange } from './exchange';
import { MESSAGES_PER_REPLY } from '../../../common/limits';

/** Timeout resolution: a poll is answered within this long after its deadline. */
const TICK_MS = 100;

const OPEN = Buffer.from('{"cursor":');
const LIST = Buffer.from(',"messages":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/** `{"cursor": L, "messages": [...]}` assembled from the frames the feed already serialised. */
export function pollReply(after: number, messages: FeedMessage[]): Buffer {
  const cursor = messages.length > 0 ? messages[messages.length - 1]!.seq : after;
  const parts: Buffer[] = [OPEN, Buffer.from(String(cursor)), LIST];
  messages.forEach((m, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(m.frame);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

class HeldPoll implements FeedSubscriber {
  constructor(
    readonly ex: Exchange,
    readonly after: number,
    readonly tick: number,
    private readonly owner: LongPolls,
  ) {}

  wake(): void {
    this.owner.wake(this);
  }
}

export class LongPolls {
  private readonly feed: Feed;
  private readonly buckets = new Map<number, Set<HeldPoll>>();
  private held = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextTick = 0;
  /**
   * Replies built during one publish, by cursor: thousands of polls at one cursor share one body.
   * Kept as a string: node:http sends a string body in the same write as the head, while a Buffer
   * body costs a writev of two chunks per reply (7 % of the server's CPU at 5,000 held polls).
   */
  private cache = new Map<number, string>();
  private cacheSeq = -1;
  /** Set on shutdown: from then on nothing is held, every poll gets its current reply at once. */
  private closing = false;

  constructor(feed: Feed) {
    this.feed = feed;
  }

  get size(): number {
    return this.held;
  }

  /** Answers now if there is news after `after`, else holds the request for up to timeoutS. */
  poll(ex: Exchange, after: number, timeoutS: number): void {
    if (this.feed.lastSeq > after || this.closing) {
      this.reply(ex, after);
      return;
    }
    const tick = Math.ceil((performance.now() + timeoutS * 1000) / TICK_MS);
    const poll = new HeldPoll(ex, after, tick, this);
    let bucket = this.buckets.get(tick);
    if (!bucket) this.buckets.set(tick, (bucket = new Set()));
    bucket.add(poll);
    this.held++;
    this.feed.subscribe(poll);
    ex.become('longPoll');
    ex.res.once('close', () => this.forget(poll));
    this.arm();
  }

  /** Answers every held poll with its current (empty) reply; used on shutdown. */
  answerAll(): void {
    this.closing = true;
    for (const bucket of [...this.buckets.values()]) {
      for (const poll of bucket) this.answer(poll, true);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  wake(poll: HeldPoll): void {
    if (this.feed.lastSeq > poll.after) this.answer(poll, false);
  }

  answer(poll: HeldPoll, closing: boolean): void {
    this.forget(poll);
    if (closing) poll.ex.res.setHeader('connection', 'close');
    this.reply(poll.ex, poll.after);
  }

  private reply(ex: Exchange, after: number): void {
    if (this.cacheSeq !== this.feed.lastSeq) {
      this.cache.clear();
      this.cacheSeq = this.feed.lastSeq;
    }
    let body = this.cache.get(after);
    if (!body) {
      body = pollReply(after, this.feed.since(after, MESSAGES_PER_REPLY)).toString();
      this.cache.set(after, body);
    }
    ex.sendRaw(200, 'application/json', body);
  }

  private forget(poll: HeldPoll): void {
    const bucket = this.buckets.get(poll.tick);
    if (!bucket?.delete(poll)) return;
    if (bucket.size === 0) this.buckets.delete(poll.tick);
    this.held--;
    this.feed.unsubscribe(poll);
    if (this.held === 0) this.stop();
  }

  private arm(): void {
    if (this.timer) return;
    this.nextTick = Math.floor(performance.now() / TICK_MS);
    this.timer = setInterval(() => this.expire(), TICK_MS);
  }

  private expire(): void {
    const now = Math.floor(performance.now() / TICK_MS);
    for (; this.nextTick <= now && this.timer; this.nextTick++) {
      const bucket = this.buckets.get(this.nextTick);
      if (!bucket) continue;
      for (const poll of bucket) this.answer(poll, false);
    }
  }
}
