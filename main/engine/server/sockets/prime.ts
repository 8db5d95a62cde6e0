/**
 * ws://HOST:PORT/ws/prime (docs/protocol.md §4): one answer per text frame, in order. Answers are
 * computed synchronously as each frame arrives, which is what keeps them in order. A client that
 * sends faster than it reads is paused at the TCP level rather than buffered without bound.
 *
 * Answers to the frames of one TCP read leave in one write: the socket is corked at the first
 * answer and uncorked once the current tick's frames are handled. Without it, 16 pipelined
 * numbers cost 16 writev system calls (a quarter of the server's CPU in the prime benchmark).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { isPrime, parseInteger } from '../../prime';
import type { ServerContext } from '../context';

/** Unsent answer bytes past which we stop reading the client's frames until it catches up. */
const PAUSE_AT_BYTES = 256 * 1024;

export function servePrime(ws: WebSocket, socket: Duplex, ctx: ServerContext): void {
  const counters = ctx.counters;
  // The upgrade hands us a net.Socket; corking is only an optimisation, so any other Duplex skips it.
  const tcp = typeof (socket as Partial<Socket>).cork === 'function' ? (socket as Socket) : null;
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp?.uncork();
  };
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
    if (tcp && !corked) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    const full = ws.bufferedAmount + answer.length >= PAUSE_AT_BYTES;
    ws.send(answer, full ? resume : undefined);
    counters.wsOut++;
    if (full) ws.pause();
  });
}
