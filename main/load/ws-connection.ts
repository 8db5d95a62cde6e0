/**
 * A `ws` client wired to a pool: the events every WebSocket kind needs turned into opened()/ended()
 * with a counted cause (errno, "timeout", http_<status> for a refused upgrade, close_<code>).
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { Connection } from './connection-pool';
import { causeOf } from './stats';

export interface WsCallbacks {
  opened(): void;
  ended(cause: string | null): void;
  message(data: WebSocket.RawData, isBinary: boolean): void;
}

export class WsConnection implements Connection {
  state: Connection['state'] = 'connecting';
  readonly startedAt = performance.now();
  readonly ws: WebSocket;

  constructor(url: string, localAddress: string | undefined, cb: WsCallbacks) {
    // No handshakeTimeout: it arms a timer per socket; the pool's single tick enforces the timeout.
    this.ws = new WebSocket(url, { localAddress, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
    const ws = this.ws;
    ws.on('open', () => cb.opened());
    ws.on('message', (data, isBinary) => cb.message(data, isBinary));
    ws.on('unexpected-response', (req, res) => {
      cb.ended(`http_${res.statusCode ?? 0}`);
      res.resume();
      req.destroy();
    });
    ws.on('error', (err) => cb.ended(causeOf(err)));
    // 1000 is a normal close; anything else the server chose (1001 going away, 1013 too slow...).
    ws.on('close', (code) => cb.ended(code === 1000 ? null : `close_${code}`));
  }

  /** The underlying socket once open, for corking a tick's sends (ws keeps it as `_socket`). */
  socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
  }

  destroy(): void {
    this.ws.terminate();
  }
}
