/**
 * The aggregate rate sender of a request kind (publishRate, jobRate): requests at a set rate for
 * the whole kind rather than per client, on lanes (connections of its own) opened as the rate needs
 * them. Its requests are due on the kind's schedule, like open-loop clients' (no coordinated omission).
 */
import { STOP_GRACE_MS } from './kind-driver';
import type { RequestClient } from './request-client';
import type { RequestWriter } from './send-loop';
import type { SendSchedule } from './send-schedule';
import type { KindStats } from './stats';

/** Connections the aggregate rate sender may open (each with `inFlight` requests outstanding). */
export const MAX_RATE_LANES = 64;

export interface RateSender {
  stopped: boolean;
  intervalMs: number;
}

/** What the lanes need from their kind beyond the request pipeline: connections of their own. */
export interface LaneDialer extends RequestWriter {
  /** A client for a new lane, not connected yet. */
  newLane(): RequestClient;
  /** Opens the lane's connection. */
  dial(c: RequestClient): void;
}

export class RateLanes {
  private sender: RateSender | null = null;
  private readonly lanes: RequestClient[] = [];
  private nextLane = 0;
  private laneWaiters: Array<() => void> = [];

  constructor(
    private readonly schedule: Pick<SendSchedule<RateSender>, 'push' | 'arm'>,
    private readonly kind: LaneDialer,
    private readonly stats: KindStats,
  ) {}

  /** The rate in force, requests per second (0: none). */
  perS(): number {
    return this.sender ? 1000 / this.sender.intervalMs : 0;
  }

  /** Sends perS requests per second from now (0 stops the sender and closes its lanes). */
  set(perS: number): void {
    if (this.sender) this.sender.stopped = true;
    this.sender = null;
    if (perS > 0) {
      this.sender = { stopped: false, intervalMs: 1000 / perS };
      this.schedule.push(performance.now(), this.sender);
      this.schedule.arm();
    } else {
      for (const lane of this.lanes) if (!lane.closing) lane.close();
    }
  }

  /** Stops the sender; resolves once every lane is closed, destroying what is left after the grace. */
  stop(): Promise<void> {
    this.set(0);
    if (this.lanes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        for (const lane of this.lanes) lane.destroy();
      }, STOP_GRACE_MS);
      this.laneWaiters.push(() => {
        clearTimeout(grace);
        resolve();
      });
    });
  }

  /** The kind cleared its schedule (it went closed-loop): the sender keeps sending regardless. */
  reschedule(): void {
    if (this.sender) this.schedule.push(performance.now(), this.sender);
  }

  /** A running sender holds at least one descriptor, even before its first lane is open. */
  fdDemand(): number {
    return this.sender ? Math.max(1, this.lanes.length) : this.lanes.length;
  }

  /** The sender counts as one active client of its kind. */
  active(): number {
    return this.sender ? 1 : 0;
  }

  /** The schedule says `sender` has a request due. */
  due(sender: RateSender, due: number): void {
    if (sender.stopped) return;
    this.schedule.push(due + sender.intervalMs, sender);
    this.kind.due(this.lane(), due);
  }

  /** A lane's connection is gone (its requests already dropped); `cause` null when we closed it. */
  ended(lane: RequestClient, cause: string | null): void {
    lane.state = 'closed';
    this.lanes.splice(this.lanes.indexOf(lane), 1);
    if (cause !== null && !lane.closing) this.stats.fail(cause);
    if (this.lanes.length === 0) {
      const waiters = this.laneWaiters;
      this.laneWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** The lane for the next request: one with room, else a new one, else round robin. */
  private lane(): RequestClient {
    for (const lane of this.lanes) {
      if (lane.state === 'open' && lane.waiting.length < this.kind.inFlight() && lane.backlog.length === 0)
        return lane;
    }
    if (this.lanes.length < MAX_RATE_LANES) {
      const lane = this.kind.newLane();
      this.lanes.push(lane);
      this.kind.dial(lane);
      return lane;
    }
    this.nextLane = (this.nextLane + 1) % this.lanes.length;
    return this.lanes[this.nextLane]!;
  }
}
