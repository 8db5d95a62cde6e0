import type { Diagnosis } from './diagnosis';
import type { StallWindow } from './stalls';

/**
 * The engine's fixed-size view of itself, published once per sampling interval.
 * Its size never depends on how many clients are connected: the renderer, /stats and
 * /metrics all read this one shape.
 */

export interface ConnectionCounts {
  /** Open /ws/prime sockets. */
  wsPrime: number;
  /** Open /ws/feed sockets. */
  wsFeed: number;
  /** Open /feed/events streams. */
  sse: number;
  /** /feed/poll requests currently held open. */
  longPoll: number;
  /** Plain HTTP requests in flight (not counting held long polls or SSE streams). */
  http: number;
}

/** Every TCP connection of the demo server, whatever it carries or does not carry yet. */
export interface SocketStats {
  /** Open sockets: every kind above, plus idle keep-alive ones and requests still arriving. */
  open: number;
  /** Open sockets with no request, stream or WebSocket on them (keep-alive, or headers not complete). */
  idle: number;
  /** The open-socket cap in force, null when there is none. */
  max: number | null;
  /**
   * Connections refused at accept since start (over the cap or out of descriptors). When this
   * grows, `ulimit -n` is too low for the load.
   */
  refusedAccepts: number;
}

export interface EventLoopStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Event-loop utilization over the window, 0..1. */
  utilization: number;
}

export interface QueueStats {
  depth: number;
  capacity: number;
  workers: number;
  busy: number;
  accepted: number;
  done: number;
}

export interface FeedStats {
  lastSeq: number;
  oldestSeq: number;
}

export interface RateStats {
  httpPerS: number;
  wsInPerS: number;
  wsOutPerS: number;
  publishedPerS: number;
  jobsDonePerS: number;
  connectionsOpenedPerS: number;
  connectionsClosedPerS: number;
}

/** docs/protocol.md §8 `requests`: one route's requests in the window (method and path, no query). */
export interface RouteRequests {
  route: string;
  count: number;
  p99Ms: number;
}

/**
 * docs/protocol.md §8 `requests`: the HTTP requests the process served in the window, timed from
 * inside it (arrival to the end of the response), whatever the client; at most 20 routes.
 */
export interface RequestStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  routes: RouteRequests[];
}

export interface BcryptWindowStats {
  /** bcrypt hashes run synchronously on the event loop during this window. */
  loopRuns: number;
  /** Milliseconds the loop spent inside those hashes. */
  loopMs: number;
  /** Hashes completed on the worker-thread pool during this window. */
  poolRuns: number;
}

/** One server process's own figures, when several serve behind one port (docs/protocol.md §10). */
export interface ProcessFigures {
  /** The worker id (kept for the process's life; a replacement gets a new one). */
  id: number;
  pid: number;
  connections: ConnectionCounts;
  openSockets: number;
  eventLoop: EventLoopStats;
  cpu: { percent: number };
  rssBytes: number;
}

export interface EngineSnapshot {
  /** Wall-clock time of the sample, ms since the epoch. */
  time: number;
  uptimeS: number;
  /** Length of the window this sample covers. */
  intervalMs: number;
  connections: ConnectionCounts;
  sockets: SocketStats;
  eventLoop: EventLoopStats;
  queue: QueueStats;
  feed: FeedStats;
  rates: RateStats;
  bcrypt: BcryptWindowStats;
  requests: RequestStats;
  memory: { rssBytes: number; heapUsedBytes: number };
  cpu: { percent: number };
  /** docs/protocol.md §9 totals plus the stalls new since the previous snapshot (capped); absent where no one watches. */
  stalls?: StallWindow;
  /** docs/protocol.md §12: the episodes opened or closed since the previous snapshot, in order. */
  diagnoses?: Diagnosis[];
  /**
   * docs/protocol.md §10: one entry per server process, by id, when several run (the figures above are
   * then summed over them, event-loop ones from the worst); absent for a single process.
   */
  processes?: ProcessFigures[];
}
