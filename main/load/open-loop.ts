/**
 * The open loop (intervalMs > 0): a request is due every intervalMs whether or not the last one was
 * answered; a due request that finds its connection full waits in the client's backlog, and its
 * latency still counts from the due time (no coordinated omission).
 */
import type { RequestClient } from './request-client';
import type { RequestWriter, SendLoop } from './send-loop';
import type { SendSchedule } from './send-schedule';

export class OpenLoop implements SendLoop {
  readonly refills = false;

  constructor(
    private readonly schedule: Pick<SendSchedule<RequestClient>, 'push' | 'arm'>,
    private readonly kind: RequestWriter,
  ) {}

  start(c: RequestClient): void {
    // A random phase spreads the clients' requests evenly over the interval.
    this.schedule.push(performance.now() + Math.random() * this.kind.intervalMs(), c);
    this.schedule.arm();
  }

  topUp(): void {}

  replied(): void {}

  /** The schedule says `c` has a request due. */
  due(c: RequestClient, due: number): void {
    const intervalMs = this.kind.intervalMs();
    if (c.state !== 'open' || c.closing || intervalMs === 0) return;
    // Clients pick up a changed interval at their next request.
    this.schedule.push(due + intervalMs, c);
    this.kind.due(c, due);
  }
}
