/**
 * publisher: POSTs to /feed, either as spawned clients (one message each per intervalMs) or as the
 * publishRate sender. Each payload carries the time it was due (see feed-tracker.ts), not the time
 * it was written: a publisher held back by a full connection or a busy generator cannot hide the
 * wait from the followers' delivery latency.
 */
import type { KindOptions } from '../../../common/load';
import { publisherPayload } from '../feed-tracker';
import { RequestKind } from '../request-kind';
import type { Target } from '../target';

export class PublisherKind extends RequestKind {
  private n = 0;

  constructor(target: Target, connectTimeoutMs: number) {
    super('publisher', target, connectTimeoutMs);
  }

  configure(options: KindOptions): void {
    this.configureCommon(options);
  }

  protected request(_rate: boolean, due: number): string {
    this.n++;
    return this.build('POST', '/feed', publisherPayload(this.n, performance.timeOrigin + due));
  }
}
