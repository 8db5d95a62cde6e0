/**
 * ws://HOST:PORT/ws/echo: a Loopscope extension, not part of docs/protocol.md (docs/protocol.md says
 * so). Every frame comes back as it was sent, text as text and binary as binary, in order, so the
 * load generator's generic WebSocket echo kind has something to aim at on the demo server itself.
 * A client that sends faster than it reads is paused at the TCP level, as on /ws/prime.
 */
import type { WebSocket } from 'ws';
import type { ServerContext } from '../context';

/** Unsent echo bytes past which we stop reading the client's frames until it catches up. */
const PAUSE_AT_BYTES = 256 * 1024;

export function serveEcho(ws: WebSocket, ctx: ServerContext): void {
  const counters = ctx.counters;
  counters.wsEcho++;
  ws.once('close', () => counters.wsEcho--);
  const resume = () => ws.resume();
  ws.on('message', (data, isBinary) => {
    counters.wsIn++;
    // The server's binaryType is ws's default, 'nodebuffer': every frame arrives as one Buffer.
    const bytes = data as Buffer;
    const full = ws.bufferedAmount + bytes.length >= PAUSE_AT_BYTES;
    ws.send(bytes, { binary: isBinary }, full ? resume : undefined);
    counters.wsOut++;
    if (full) ws.pause();
  });
}
