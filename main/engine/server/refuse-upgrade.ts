/**
 * A refused WebSocket upgrade, answered on the raw socket with the same JSON error body a plain
 * request gets (docs/protocol.md's rules that hold everywhere), then hung up. Shared by the demo server and the
 * dashboard's bridge.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LoopscopeError } from '../../../common/errors';

export function refuseUpgrade(socket: Duplex, err: LoopscopeError): void {
  // A peer that resets while being refused is no server error; the socket is dropped either way.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ error: err.code, message: err.message, ...err.details });
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
