/** http: each client GETs /, /slow?ms=N or /aggregate?ms=N every intervalMs and records latency. */
import type { KindOptions } from '../../../../common/load';
import { RequestKind, type RequestSpec } from '../request-kind';
import type { Target } from '../target';

export class HttpKind extends RequestKind {
  private path: '/' | '/slow' | '/aggregate' = '/';
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
    const path = this.path === '/' ? '/' : `${this.path}?ms=${this.slowMs}`;
    return { method: 'GET', path, expectStatus: 200 };
  }
}
