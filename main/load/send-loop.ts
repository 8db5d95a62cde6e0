/**
 * When a request kind's spawned clients send: on a schedule (open-loop.ts) or as replies arrive
 * (closed-loop.ts). The kind switches between them when intervalMs crosses 0; what they share
 * (writing, the backlog, replies) stays in request-kind.ts.
 */
import type { RequestClient } from './request-client';

export interface SendLoop {
  /** Whether the client writes new requests whenever its connection has room, not only its backlog. */
  readonly refills: boolean;
  /** The client's connection has opened, or the kind has just switched to this loop. */
  start(c: RequestClient): void;
  /** The connection has room and its backlog is written: new requests, if this loop sends them now. */
  topUp(c: RequestClient): void;
  /** A reply came with nothing in the backlog: the next request, if this loop sends it now. */
  replied(c: RequestClient): void;
}

/** What the loops and the rate lanes write through: the kind's settings and its request pipeline. */
export interface RequestWriter {
  intervalMs(): number;
  inFlight(): number;
  /** Writes the request due at `due` on the client's connection now. */
  write(c: RequestClient, due: number): void;
  /** A request falls due: written if the connection has room, else kept in the backlog, else skipped. */
  due(c: RequestClient, due: number): void;
  isStopping(c: RequestClient): boolean;
}
