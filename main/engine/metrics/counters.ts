/**
 * Plain numbers the server bumps as things happen. The sampler turns them into per-second rates
 * and gauges; reading them costs the same whether 10 or 10,000 clients are connected.
 */
import type { BcryptWindowStats, ConnectionCounts } from '../../../common/snapshot';

export type ConnectionKind = keyof ConnectionCounts;

export class EngineCounters {
  /** Open connections of each kind right now. */
  readonly connections: ConnectionCounts = { wsPrime: 0, wsFeed: 0, sse: 0, longPoll: 0, http: 0 };
  /**
   * Open /ws/echo sockets (a Loopscope extension): not a protocol connection kind, so not in
   * `connections`, but busy all the same (not idle) in the socket figures.
   */
  wsEcho = 0;
  /** Monotonic totals since start. */
  httpRequests = 0;
  wsIn = 0;
  wsOut = 0;
  published = 0;
  connectionsOpened = 0;
  connectionsClosed = 0;
  /** WebSocket frames that broke the protocol (too big, invalid UTF-8, ...); ws closed those peers. */
  wsProtocolErrors = 0;
  /** Connections refused at accept since start: over the socket cap, or out of descriptors. */
  refusedAccepts = 0;
  /** The open-socket cap in force (socket-limits.ts), null when there is none. */
  maxSockets: number | null = null;
  /** bcrypt totals since start. */
  readonly bcrypt: BcryptWindowStats = { loopRuns: 0, loopMs: 0, poolRuns: 0 };

  open(kind: ConnectionKind): void {
    this.connections[kind]++;
  }

  close(kind: ConnectionKind): void {
    this.connections[kind]--;
  }

  /** A plain request that turned into a held poll or a stream stops counting as in-flight HTTP. */
  move(from: ConnectionKind, to: ConnectionKind): void {
    this.connections[from]--;
    this.connections[to]++;
  }
}
