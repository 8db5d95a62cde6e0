/**
 * http: each client GETs a path every intervalMs and records latency: any absolute path of the target,
 * with the demo server's /slow and /aggregate given ?ms=N.
 */
import type { KindOptions } from '../../../../common/load';
import { RequestKind, type RequestSpec } from '../request-kind';
import type { Target } from '../target';

export class HttpKind extends RequestKind {
  private path = '/';
  private slowMs = 100;

  constructor(target: Target) {
    super('http', target);
  }

  configure(options: KindOptions): void {
    if (options.intervalMs !== undefined) this.intervalMs = Math.max(1, options.intervalMs);
    if (options.path !== undefined) this.path = options.path;
    if (options.slowMs !== undefined) this.slowMs = options.slowMs;
  }

  protected request(): RequestSpec {
    const path =
      this.path === '/slow' || this.path === '/aggregate' ? `${this.path}?ms=${this.slowMs}` : this.path;
    return { method: 'GET', path, expectStatus: 200 };
  }
}
