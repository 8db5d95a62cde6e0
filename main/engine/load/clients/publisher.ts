/**
 * publisher: POSTs to /feed, either as spawned clients (one message each per intervalMs) or as the
 * publishRate sender. Each payload carries its publish time (see feed-tracker.ts) so followers can
 * measure delivery latency.
 */
import type { KindOptions } from '../../../../common/load';
import { publisherPayload } from '../feed-tracker';
import { RequestKind, type RequestSpec } from '../request-kind';
import type { Target } from '../target';

export class PublisherKind extends RequestKind {
  private n = 0;

  constructor(target: Target) {
    super('publisher', target);
  }

  configure(options: KindOptions): void {
    if (options.intervalMs !== undefined) this.intervalMs = Math.max(1, options.intervalMs);
  }

  protected request(): RequestSpec {
    this.n++;
    return { method: 'POST', path: '/feed', body: publisherPayload(this.n), expectStatus: 200 };
  }
}
