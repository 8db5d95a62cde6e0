/**
 * Integrity and delivery latency for one feed follower. Every message must arrive exactly once and
 * in order: the next sequence number is always last + 1.
 *
 * Publisher payloads are JSON {"t": <epoch ms, fractional>, "n": <k>, "g": <pid>}; delivery latency
 * is now − t. Payloads from other publishers (curl, a browser) are counted but carry no latency.
 */
import type { KindStats } from './stats';

export const PAYLOAD_PREFIX = '{"t":';

/**
 * docs/protocol.md §10: a follower whose connection drops (a server process died) reconnects and resumes
 * from its cursor, so a replaced process loses it nothing. It gives up, and counts the drop, after
 * this many drops with no message in between.
 */
export const MAX_RESUMES_IN_A_ROW = 10;
/** Pause before a follower reconnects: long enough for a replaced process to be listed again. */
export const RESUME_DELAY_MS = 100;

/** Wall-clock epoch ms with sub-millisecond precision, comparable across processes on one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** `t` is when the message was due to be published (epoch ms), not when its request was built. */
export function publisherPayload(n: number, t: number = epochNow()): string {
  return `{"t":${t.toFixed(3)},"n":${n},"g":${process.pid}}`;
}

export class FeedTracker {
  /** The last sequence number accepted; null until the first message sets the baseline. */
  last: number | null = null;

  constructor(private readonly stats: KindStats) {}

  accept(seq: number, data: string): void {
    const stats = this.stats;
    stats.received++;
    const last = this.last;
    if (last === null || seq === last + 1) {
      this.last = seq;
    } else if (seq > last + 1) {
      stats.integrity.missing += seq - last - 1;
      this.last = seq;
    } else if (seq === last) {
      stats.integrity.duplicated++;
    } else {
      // An older number after a newer one: out of order (or a duplicate of an older one).
      stats.integrity.outOfOrder++;
    }
    if (data.startsWith(PAYLOAD_PREFIX)) {
      const t = publishTime(data);
      if (t !== null) stats.recordDelivery(epochNow() - t);
    }
  }

  /** A cursor_expired answer: everything between our cursor and the oldest retained was lost. */
  expired(cursor: number, oldest: number): void {
    this.stats.integrity.expiredLost += Math.max(0, oldest - cursor - 1);
    this.last = oldest - 1;
  }
}

function publishTime(data: string): number | null {
  const end = data.indexOf(',', PAYLOAD_PREFIX.length);
  const t = Number(data.slice(PAYLOAD_PREFIX.length, end === -1 ? undefined : end));
  return Number.isFinite(t) ? t : null;
}
