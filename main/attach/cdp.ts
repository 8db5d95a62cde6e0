/**
 * A minimal Chrome DevTools Protocol client over `ws`: numbered commands, their replies, and
 * events. CDP over one WebSocket is JSON-RPC with ids; this is all attach needs of it, so no CDP
 * library is added (README.md, "attach"). Types of commands and events come from @types/node's
 * `node:inspector` declarations, which are generated from the same protocol.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { LoopscopeError } from '../../common/errors';
import { CDP_COMMAND_TIMEOUT_MS } from '../../common/limits';

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string };
  method?: string;
  params?: unknown;
}

export class CdpClient extends EventEmitter {
  private readonly ws: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedErr: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(ws: WebSocket) {
    super();
    this.ws = ws;
    ws.on('message', (data) => this.onMessage(String(data)));
    this.closed = new Promise((resolve) => {
      ws.on('close', () => {
        this.fail(new LoopscopeError('inspector_unavailable', 'the inspector connection closed'));
        resolve();
      });
    });
    // An error is followed by 'close'; listening keeps it from being thrown.
    ws.on('error', () => undefined);
  }

  static connect(url: string, timeoutMs = CDP_COMMAND_TIMEOUT_MS): Promise<CdpClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      ws.once('open', () => resolve(new CdpClient(ws)));
      ws.once('error', (err) =>
        reject(new LoopscopeError('inspector_unavailable', `cannot connect to ${url}: ${err.message}`)),
      );
    });
  }

  get isOpen(): boolean {
    return this.closedErr === null;
  }

  /**
   * Sends a command; resolves with its result. `timeoutMs` null waits as long as the connection
   * lives (the loop probe waits on the target's loop, however long it stalls).
   */
  send<T = unknown>(
    method: string,
    params: object = {},
    timeoutMs: number | null = CDP_COMMAND_TIMEOUT_MS,
  ): Promise<T> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new LoopscopeError('inspector_unavailable', `${method}: no reply in ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  private onMessage(text: string): void {
    let msg: Reply;
    try {
      msg = JSON.parse(text) as Reply;
    } catch {
      return; // Not CDP; the inspector never sends this.
    }
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.error) p.reject(new LoopscopeError('attach_failed', msg.error.message));
      else p.resolve(msg.result);
      return;
    }
    if (typeof msg.method === 'string') this.emit(msg.method, msg.params);
  }

  private fail(err: Error): void {
    if (this.closedErr) return;
    this.closedErr = err;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

/** A Runtime.evaluate reply with returnByValue. */
export interface RemoteValue<T> {
  result: { value: T };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

/** The value of an evaluation, or attach_failed saying `what` threw in the target. */
export function valueOf<T>(reply: RemoteValue<T>, what: string): T {
  if (reply.exceptionDetails) {
    const d = reply.exceptionDetails;
    throw new LoopscopeError(
      'attach_failed',
      `${what} failed in the target: ${d.exception?.description ?? d.text}`,
    );
  }
  return reply.result.value;
}
