/**
 * ws-echo: a generic WebSocket client for any echo server, not only one that speaks Loopscope's
 * protocol. Each client connects to the target's `path` (default /), sends a message every
 * intervalMs and expects the same bytes back, in order; anything else counts as wrong. Scheduling,
 * ordering and round trips are ws-request-kind.ts's, as for ws-prime.
 */
import type { KindOptions } from '../../../common/load';
import type { Target } from '../target';
import { WsRequestKind, type WsRequestClient } from '../ws-request-kind';

export class WsEchoKind extends WsRequestKind<string> {
  private path = '/';

  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-echo', target, connectTimeoutMs);
  }

  override configure(options: KindOptions): void {
    // The path applies to clients connected from now on.
    if (options.path !== undefined) this.path = options.path;
    super.configure(options);
  }

  protected url(): string {
    return `${this.target.wsBase}${this.path}`;
  }

  protected message(c: WsRequestClient<string>, due: number): { text: string; expected: string } {
    // Every message differs, so an echo of the wrong one is caught.
    const text = `echo ${c.sent} ${due.toFixed(3)}`;
    return { text, expected: text };
  }

  protected isRight(text: string | null, expected: string): boolean {
    return text === expected;
  }
}
