/**
 * http: each client (one keep-alive connection) GETs a path every intervalMs (0: as fast as replies
 * come, `inFlight` at a time) and records latency. The request's bytes are built once per
 * configuration and written as they are.
 */
import type { KindOptions } from '../../../common/load';
import { RequestKind } from '../request-kind';
import type { Target } from '../target';

export class HttpKind extends RequestKind {
  /** Any path on the target; /slow and /aggregate get the ms parameter. */
  private path = '/';
  private slowMs = 100;
  private bytes: Buffer | null = null;

  constructor(target: Target, connectTimeoutMs: number) {
    super('http', target, connectTimeoutMs);
  }

  configure(options: KindOptions): void {
    this.configureCommon(options);
    if (options.path !== undefined) this.path = options.path;
    if (options.slowMs !== undefined) this.slowMs = options.slowMs;
    this.bytes = null;
  }

  /** Aimed at any server: every 2xx is a right answer (issue 13), not only the demo server's 200. */
  protected override accepts(status: number): boolean {
    return status >= 200 && status < 300;
  }

  override setTarget(target: Target): void {
    super.setTarget(target);
    this.bytes = null;
  }

  protected request(): Buffer {
    if (this.bytes === null) {
      const path =
        this.path === '/slow' || this.path === '/aggregate' ? `${this.path}?ms=${this.slowMs}` : this.path;
      this.bytes = Buffer.from(this.build('GET', path), 'latin1');
    }
    return this.bytes;
  }
}
