/**
 * A request kind's one send timer, shared by its open-loop clients and its rate sender: one timer
 * per kind however many clients it has, and a tick that yields to I/O after MAX_SENDS_PER_TICK.
 */
import { DueQueue, DueTimer } from './due-queue';

const MAX_SENDS_PER_TICK = 5000;

export class SendSchedule<T> {
  private readonly queue = new DueQueue<T>();
  private readonly timer = new DueTimer(this.queue, () => this.sendDue());

  constructor(
    /** Sends what `item` has due at `due`, and puts its next send back on the schedule. */
    private readonly fire: (item: T, due: number) => void,
  ) {}

  push(due: number, item: T): void {
    this.queue.push(due, item);
  }

  arm(): void {
    this.timer.arm();
  }

  clear(): void {
    this.queue.clear();
  }

  private sendDue(): void {
    const now = performance.now();
    for (let sent = 0; sent < MAX_SENDS_PER_TICK; sent++) {
      const entry = this.queue.popDue(now);
      if (!entry) break;
      this.fire(entry.item, entry.due);
    }
    this.timer.arm();
  }
}
