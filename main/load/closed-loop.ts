/**
 * The closed loop (intervalMs 0): each connection keeps `inFlight` requests outstanding, the next
 * one written as a reply arrives.
 */
import type { RequestClient } from './request-client';
import type { RequestWriter, SendLoop } from './send-loop';

export class ClosedLoop implements SendLoop {
  readonly refills = true;

  constructor(private readonly kind: RequestWriter) {}

  start(c: RequestClient): void {
    this.fill(c);
  }

  topUp(c: RequestClient): void {
    this.fill(c);
  }

  replied(c: RequestClient): void {
    if (!this.kind.isStopping(c)) this.kind.write(c, performance.now());
  }

  /** Tops the connection up to inFlight outstanding requests. */
  private fill(c: RequestClient): void {
    if (c.closing || this.kind.isStopping(c)) return;
    const now = performance.now();
    for (let i = c.waiting.length; i < this.kind.inFlight(); i++) this.kind.write(c, now);
  }
}
