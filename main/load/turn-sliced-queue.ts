/**
 * Work that arrives as one burst, done a slice per event-loop turn. One publish answers every held
 * long poll at once: 5,000 replies, each needing a new poll written, and a loopback TCP write is the
 * costliest thing the generator does (~13 µs of its ~23 µs per delivery, CPU profile of
 * bench/probes/poll-fanout-cost.ts). Written from the reply handlers, the whole burst ran without a
 * break and the generator's own timers (its send schedule, its loop-delay gauge) were late by
 * 90–135 ms. Here each turn does at most SLICE_MS of queued work and yields: the timers run between
 * slices, and the replies still arriving are read (and timestamped) as they come.
 *
 * The work is not dropped or reordered: items run first in, first out, each exactly once.
 */
const SLICE_MS = 2;
/** performance.now() is read once per this many items. */
const CHECK_EVERY = 16;

export class TurnSlicedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly run: (item: T) => void) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate queued from a check phase runs on the next turn, after that turn's timers.
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    const deadline = performance.now() + SLICE_MS;
    let n = 0;
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as T; // let it go before the array is trimmed
      this.run(item);
      if (++n % CHECK_EVERY === 0 && performance.now() >= deadline) break;
    }
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
      this.scheduled = false;
      return;
    }
    setImmediate(this.drain);
  };
}
