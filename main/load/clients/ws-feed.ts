/**
 * ws-feed: follows the feed over /ws/feed from "now" and checks every frame's sequence number
 * (see FeedTracker). Frames that are not {"seq": number, "data": string} count as bad_frame.
 * A dropped socket is reconnected at the follower's cursor (docs/protocol.md §10); a drop counts as a
 * failure only after MAX_RESUMES_IN_A_ROW attempts bring nothing.
 */
import type { FeedTracker } from '../feed-tracker';
import { FollowerClient, FollowerPool } from '../follower-pool';
import type { Target } from '../target';
import { WsConnection } from '../ws-connection';

/** One follower: a WebSocket, replaced by a new one at its cursor when the old one drops. */
class FeedClient extends FollowerClient {
  /** null while waiting to resume (the pool's close then ends it when the wait is over). */
  conn: WsConnection | null = null;

  close(): void {
    this.conn?.close();
  }

  destroy(): void {
    this.conn?.destroy();
  }
}

export class WsFeedKind extends FollowerPool<FeedClient> {
  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-feed', target, connectTimeoutMs);
  }

  protected createClient(tracker: FeedTracker): FeedClient {
    return new FeedClient(tracker);
  }

  protected dial(client: FeedClient, localAddress: string | undefined): void {
    const cursor = client.tracker.last === null ? '' : `?cursor=${client.tracker.last}`;
    const conn: WsConnection = new WsConnection(`${this.target.wsBase}/ws/feed${cursor}`, localAddress, {
      opened: () => this.opened(client),
      ended: (cause) => {
        if (client.conn !== conn) return;
        // Dropped (its server process died): resume from the cursor on a new connection.
        if (cause !== null && this.resumeAfterDrop(client, localAddress, client.tracker.last !== null))
          client.conn = null;
        else this.ended(client, cause);
      },
      message: (data, isBinary) => {
        client.resumesInARow = 0;
        this.frame(client, isBinary ? null : data.toString());
      },
    });
    client.conn = conn;
  }

  private frame(c: FeedClient, text: string | null): void {
    const msg = text === null ? null : parseFeedMessage(text);
    if (msg === null) {
      this.stats.fail('bad_frame');
      return;
    }
    c.tracker.accept(msg.seq, msg.data);
  }
}

export function parseFeedMessage(text: string): { seq: number; data: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null; // a malformed frame is the server's fault; the caller counts it
  }
  if (typeof value !== 'object' || value === null) return null;
  const { seq, data } = value as { seq?: unknown; data?: unknown };
  if (typeof seq !== 'number' || !Number.isInteger(seq) || typeof data !== 'string') return null;
  return { seq, data };
}
