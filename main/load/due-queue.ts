/**
 * A min-heap of (due time, item): one timer per client kind drives every client's sends, instead
 * of a timer per client. Items removed elsewhere are skipped lazily when popped.
 */
export class DueQueue<T> {
  private readonly dues: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.dues.length;
  }

  peekDue(): number | undefined {
    return this.dues[0];
  }

  push(due: number, item: T): void {
    this.dues.push(due);
    this.items.push(item);
    let i = this.dues.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.dues[parent]! <= due) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the earliest entry if it is due at `now`. */
  popDue(now: number): { due: number; item: T } | undefined {
    const top = this.dues[0];
    if (top === undefined || top > now) return undefined;
    const item = this.items[0]!;
    const lastDue = this.dues.pop()!;
    const lastItem = this.items.pop()!;
    if (this.dues.length > 0) {
      this.dues[0] = lastDue;
      this.items[0] = lastItem;
      this.siftDown(0);
    }
    return { due: top, item };
  }

  clear(): void {
    this.dues.length = 0;
    this.items.length = 0;
  }

  private siftDown(start: number): void {
    const n = this.dues.length;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.dues[l]! < this.dues[smallest]!) smallest = l;
      if (r < n && this.dues[r]! < this.dues[smallest]!) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const d = this.dues[a]!;
    this.dues[a] = this.dues[b]!;
    this.dues[b] = d;
    const t = this.items[a]!;
    this.items[a] = this.items[b]!;
    this.items[b] = t;
  }
}

/**
 * The one timer of a DueQueue, set for its earliest due time. A send due earlier than the one the
 * timer waits for (a client that just opened with an early random phase) re-arms it: otherwise
 * every client opened after the first waited for the first one's phase, up to a whole interval,
 * and those late sends counted as round trips from their due times.
 */
export class DueTimer<T> {
  private timer: NodeJS.Timeout | null = null;
  /** The due time the armed timer fires for. */
  private armedFor = Infinity;

  constructor(
    private readonly queue: DueQueue<T>,
    private readonly fire: () => void,
  ) {}

  arm(): void {
    const next = this.queue.peekDue();
    if (next === undefined) return;
    if (this.timer !== null) {
      if (next >= this.armedFor) return;
      clearTimeout(this.timer);
    }
    this.armedFor = next;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.fire();
      },
      Math.max(0, next - performance.now()),
    );
  }
}
