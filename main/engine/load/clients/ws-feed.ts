/**
 * ws-feed: follows the feed over /ws/feed from "now" and checks every frame's sequence number
 * (see FeedTracker). Frames that are not {"seq": number, "data": string} count as bad_frame.
 */
import type { KindOptions } from '../../../../common/load';
import { ConnectionPool } from '../connection-pool';
import { FeedTracker } from '../feed-tracker';
import type { Target } from '../target';
import { WsConnection } from '../ws-connection';

class FeedClient extends WsConnection {
  tracker!: FeedTracker;
}

export class WsFeedKind extends ConnectionPool<FeedClient> {
  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-feed', target, connectTimeoutMs);
  }

  configure(_options: KindOptions): void {
    // Nothing to tune: a follower only listens.
  }

  protected connect(localAddress: string | undefined): FeedClient {
    const client: FeedClient = new FeedClient(`${this.target.wsBase}/ws/feed`, localAddress, {
      opened: () => this.opened(client),
      ended: (cause) => this.ended(client, cause),
      message: (data, isBinary) => this.frame(client, isBinary ? null : data.toString()),
    });
    client.tracker = new FeedTracker(this.stats);
    return client;
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
