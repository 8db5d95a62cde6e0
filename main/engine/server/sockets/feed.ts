/**
 * ws://HOST:PORT/ws/feed?cursor=C (docs/protocol.md §5b): the feed pushed as text frames, backlog
 * first, then live. Every subscriber is sent the same pre-serialised frame buffer.
 */
import { WebSocket } from 'ws';
import type { ServerContext } from '../context';
import { FeedStream, HIGH_WATER_BYTES, type FeedTransport } from '../feed-stream';

export function serveFeed(ws: WebSocket, after: number, ctx: ServerContext): void {
  const counters = ctx.counters;
  counters.open('wsFeed');
  // Frames from the client carry no meaning here; they are counted and ignored.
  ws.on('message', () => counters.wsIn++);
  const transport: FeedTransport = {
    buffered: () => ws.bufferedAmount,
    send(message, drained) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      const full = ws.bufferedAmount + message.frame.length >= HIGH_WATER_BYTES;
      // The callback runs once this frame reached the kernel, i.e. when the socket has room again.
      ws.send(message.frame, { binary: false }, full ? drained : undefined);
      counters.wsOut++;
      return !full;
    },
    evict: (reason) => ws.close(1013, reason.slice(0, 100)),
  };
  const stream = new FeedStream(ctx.feed, transport, after);
  ws.once('close', () => {
    counters.close('wsFeed');
    stream.stop();
  });
  stream.start();
}
