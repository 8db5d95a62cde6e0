/**
 * The bounded work queue of docs/protocol.md §6, after tornado.queues: producers put jobs (waiting for
 * room, or taking only what fits), a resizable set of workers takes them. Each job waits `workMs`
 * of non-blocking "I/O" and is done.
 *
 * Every counter moves in the same synchronous step as the job it describes (put: accepted and
 * depth; take: depth and busy; finish: busy and done), so accepted = done + depth + busy holds at
 * every instant any code can observe.
 */
import type { QueueStats } from '../../common/snapshot';
import { LoopscopeError } from '../../common/errors';
import { JOB_COUNT, JOB_WORK_MS, QUEUE_CAPACITY, QUEUE_WORKERS } from '../../common/limits';
import { checkInt } from '../../common/range';

/** Jobs of one put that share a workMs, stored as a run so 100,000 jobs are one entry, not 100,000. */
interface Run {
  workMs: number;
  count: number;
}

interface Putter {
  workMs: number;
  remaining: number;
  resolve: () => void;
}

export interface EnqueueResult {
  accepted: number;
  rejected: number;
  depth: number;
}

export class JobQueue {
  readonly capacity: number;
  private workers: number;
  private depth = 0;
  private busy = 0;
  private accepted = 0;
  private done = 0;
  private readonly runs: Run[] = [];
  private readonly putters: Putter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(capacity = QUEUE_CAPACITY, workers = QUEUE_WORKERS.default!) {
    this.capacity = capacity;
    this.workers = workers;
  }

  latest(): QueueStats {
    return this.stats();
  }

  stats(): QueueStats {
    return {
      depth: this.depth,
      capacity: this.capacity,
      workers: this.workers,
      busy: this.busy,
      accepted: this.accepted,
      done: this.done,
    };
  }

  /**
   * Puts `count` jobs. With wait, resolves once all are on the queue (back-pressure); without,
   * takes what fits now and rejects the rest. `signal` abandons the jobs not yet put (the
   * producer went away); jobs already accepted still run.
   */
  async enqueue(
    count: number,
    workMs: number,
    opts: { wait: boolean; signal?: AbortSignal },
  ): Promise<EnqueueResult> {
    if (this.closed) throw new LoopscopeError('shutting_down', 'the job queue is shut down');
    // The HTTP route checks these too; this guards the engine API the app calls directly.
    checkInt('count', count, JOB_COUNT);
    checkInt('workMs', workMs, JOB_WORK_MS);
    const room = Math.max(0, this.capacity - this.depth);
    const first = this.putters.length === 0 ? Math.min(count, room) : 0;
    this.put(workMs, first);
    if (!opts.wait || first === count) {
      this.dispatch();
      return { accepted: first, rejected: count - first, depth: this.depth };
    }
    const putter: Putter = { workMs, remaining: count - first, resolve: () => {} };
    await new Promise<void>((resolve) => {
      putter.resolve = resolve;
      this.putters.push(putter);
      opts.signal?.addEventListener(
        'abort',
        () => {
          const index = this.putters.indexOf(putter);
          if (index >= 0) this.putters.splice(index, 1);
          resolve();
        },
        { once: true },
      );
      this.dispatch();
    });
    const accepted = count - putter.remaining;
    return { accepted, rejected: count - accepted, depth: this.depth };
  }

  setWorkers(n: number): QueueStats {
    checkInt('workers', n, QUEUE_WORKERS);
    // Shrinking stops nobody mid-job: busy may exceed workers until the extra jobs finish.
    this.workers = n;
    this.dispatch();
    return this.stats();
  }

  /** Stops every job timer and releases waiting producers; used when the engine shuts down. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const putter of this.putters.splice(0)) putter.resolve();
  }

  private put(workMs: number, count: number): void {
    if (count <= 0) return;
    const tail = this.runs[this.runs.length - 1];
    if (tail && tail.workMs === workMs) tail.count += count;
    else this.runs.push({ workMs, count });
    this.depth += count;
    this.accepted += count;
  }

  /** Starts jobs while workers are free, then refills the queue from waiting producers, until stable. */
  private dispatch(): void {
    if (this.closed) return;
    for (;;) {
      let moved = false;
      while (this.busy < this.workers && this.depth > 0) {
        this.start(this.takeOne());
        moved = true;
      }
      while (this.putters.length > 0 && this.depth < this.capacity) {
        const putter = this.putters[0]!;
        const n = Math.min(putter.remaining, this.capacity - this.depth);
        this.put(putter.workMs, n);
        putter.remaining -= n;
        if (putter.remaining === 0) {
          this.putters.shift();
          putter.resolve();
        }
        moved = true;
      }
      if (!moved || this.busy >= this.workers || this.depth === 0) return;
    }
  }

  private takeOne(): number {
    const head = this.runs[0]!;
    head.count--;
    if (head.count === 0) this.runs.shift();
    this.depth--;
    this.busy++;
    return head.workMs;
  }

  private start(workMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.busy--;
      this.done++;
      this.dispatch();
    }, workMs);
    this.timers.add(timer);
  }
}
