/**
 * What the three feed followers (ws-feed, sse, long-poll) share: each client has a FeedTracker
 * that checks every message's sequence, and a follower whose connection drops (its server process
 * died, docs/protocol.md §10) dials again from its cursor. The drop counts as a failure only after
 * MAX_RESUMES_IN_A_ROW redials in a row bring nothing, so losses stay visible. Each kind supplies
 * its transport: how a client dials, and what its connection reads.
 */
import type { KindOptions } from '../../common/load';
import { ConnectionPool, type Connection } from './connection-pool';
import { FeedTracker, MAX_RESUMES_IN_A_ROW, RESUME_DELAY_MS } from './feed-tracker';

export abstract class FollowerClient implements Connection {
  state: Connection['state'] = 'connecting';
  readonly startedAt = performance.now();
  /** Redials since the last message: reset by every message that arrives. */
  resumesInARow = 0;

  constructor(readonly tracker: FeedTracker) {}

  abstract close(): void;
  abstract destroy(): void;
}

export abstract class FollowerPool<C extends FollowerClient> extends ConnectionPool<C> {
  configure(_options: KindOptions): void {
    // Nothing to tune: a follower only listens.
  }

  protected connect(localAddress: string | undefined): C {
    const c = this.createClient(new FeedTracker(this.stats));
    this.dial(c, localAddress);
    return c;
  }

  protected abstract createClient(tracker: FeedTracker): C;

  /** Opens the client's connection: the first one, or again after a drop. */
  protected abstract dial(c: C, localAddress: string | undefined): void;

  /**
   * After a drop: dials again from the cursor after RESUME_DELAY_MS, and says true; false when the
   * client must end instead (it never opened, is being stopped, has no cursor yet, or has redialled
   * too often in a row). `hasCursor` is where this kind keeps its cursor.
   */
  protected resumeAfterDrop(c: C, localAddress: string | undefined, hasCursor: boolean): boolean {
    if (c.state !== 'open' || this.isStopping(c) || !hasCursor || c.resumesInARow >= MAX_RESUMES_IN_A_ROW)
      return false;
    c.resumesInARow++;
    setTimeout(() => {
      if (this.isStopping(c)) this.ended(c, null);
      else this.dial(c, localAddress);
    }, RESUME_DELAY_MS);
    return true;
  }
}
