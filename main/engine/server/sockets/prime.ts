/**
 * ws://HOST:PORT/ws/prime (PROTOCOL.md §4): one answer per text frame, in order. Answers are
 * computed synchronously as each frame arrives, which is what keeps them in order. A client that
 * sends faster than it reads is paused at the TCP level rather than buffered without bound.
 */
import type { WebSocket } from 'ws';
import { isPrime, parseInteger } from '../../prime';
import type { ServerContext } from '../context';

/** Unsent answer bytes past which we stop reading the client's frames until it catches up. */
const PAUSE_AT_BYTES = 256 * 1024;

export function servePrime(ws: WebSocket, ctx: ServerContext): void {
  const counters = ctx.counters;
  counters.open('wsPrime');
  ws.once('close', () => counters.close('wsPrime'));
  const resume = () => ws.resume();
  ws.on('message', (data, isBinary) => {
    counters.wsIn++;
    if (isBinary) {
      ws.close(1003, 'binary frames are not accepted; send the number as text');
      return;
    }
    const parsed = parseInteger(data.toString());
    const answer = parsed.ok
      ? `{"n":"${parsed.canonical}","prime":${isPrime(parsed.value)}}`
      : JSON.stringify({ error: 'bad_integer', message: parsed.message });
    const full = ws.bufferedAmount + answer.length >= PAUSE_AT_BYTES;
    ws.send(answer, full ? resume : undefined);
    counters.wsOut++;
    if (full) ws.pause();
  });
}
