/**
 * The load generator's vocabulary: its client kinds, its command types and its aggregated report.
 * Commands travel from the app (or the `load` CLI) to the generator process; one fixed-size report
 * per interval travels back. Zod-free: the renderer imports it without bundling a validator — the
 * command schemas live in load-commands.ts, the report's in main/load/messages.ts (checked
 * against the interfaces here with `satisfies`).
 */
export type { KindOptions, LoadCommand, ParsedLoadCommand } from './load-commands';

export const CLIENT_KINDS = [
  'ws-prime',
  'ws-feed',
  'sse',
  'long-poll',
  'http',
  'publisher',
  'job-producer',
  /** Any WebSocket echo server: sends a message, expects the same bytes back. */
  'ws-echo',
] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * The http kind may request any path of any loopback server: absolute, printable ASCII (a query
 * included), at most REQUEST_PATH_MAX_CHARS. '/slow' and '/aggregate' get the demo server's `ms`.
 */
export function isRequestPath(path: string, maxChars: number): boolean {
  return path.length <= maxChars && /^\/[\x21-\x7e]*$/.test(path);
}

/** Kinds that hold a connection open and follow the feed with a cursor. */
export const FEED_KINDS = ['ws-feed', 'sse', 'long-poll'] as const satisfies readonly ClientKind[];

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Between generator processes only, never in a merged report: the histogram's non-empty buckets
   * (main/load/latency-histogram.ts), so several processes' percentiles merge exactly.
   */
  buckets?: number[];
}

export interface IntegrityCounters {
  /** ws-prime: answers that disagree with the client's own prime test. */
  wrong: number;
  /** Feed kinds: sequence numbers skipped. */
  missing: number;
  duplicated: number;
  outOfOrder: number;
  /** Feed kinds: messages lost to cursor_expired (counted, then resynchronised). */
  expiredLost: number;
}

export interface KindReport {
  kind: ClientKind;
  /** Clients currently connected (or running, for request-based kinds). */
  active: number;
  /** Clients asked for but not yet connected (ramping or connecting). */
  pending: number;
  /** Totals since the generator started. */
  opened: number;
  closed: number;
  /** Failures by cause: ECONNREFUSED, EMFILE, EADDRNOTAVAIL, timeout, http_503, close_1013, ... */
  failures: Record<string, number>;
  /** Totals since the generator started or, if one was given since, the last restartMeasurement. */
  sent: number;
  received: number;
  /** Per-second rates over the last interval. */
  sentPerS: number;
  receivedPerS: number;
  /** Round trip measured from when each request was due (no coordinated omission); last interval. */
  rtt: LatencySummary;
  /** Feed kinds: publish-to-delivery latency, last interval. */
  delivery: LatencySummary;
  /**
   * Time to connect (TCP, plus the upgrade for ws), last interval: connecting is its own phase, and
   * requests sent while a kind's clients are still connecting are not in `rtt`. Set by the generator.
   */
  connect?: LatencySummary;
  /** Since the generator started (a restartMeasurement leaves these alone). */
  integrity: IntegrityCounters;
  /**
   * For end-of-run summaries, added by the load generator: rtt and delivery of everything due since
   * the generator started or the last restartMeasurement; connect since the generator started.
   */
  cumulative?: { rtt: LatencySummary; delivery: LatencySummary; connect?: LatencySummary };
}

/** The generator's own stalls (docs/protocol.md §9 watched in the generator process), since it started. */
export interface GeneratorStalls {
  count: number;
  totalMs: number;
  maxMs: number;
  /**
   * The longest one's innermost project frame, `function file:line`; null before any, and always
   * null unless the generator was asked to explain its stalls (LoadGeneratorOptions.explainStalls).
   */
  worst: string | null;
}

export interface GeneratorHealth {
  processes: number;
  eventLoopP99Ms: number;
  cpuPercent: number;
  /** Set when the generator itself, not the server, is likely the bottleneck. */
  warning: string | null;
  /** Absent from reports of older generators; counted from the health timer unless explained. */
  stalls?: GeneratorStalls;
  /**
   * With several generator processes: how their latency percentiles were merged. `exact` from
   * their histograms (a run's final report), `upperBound` the largest of theirs (live reports).
   * Absent with one process, whose percentiles are its own.
   */
  latencyMerge?: 'exact' | 'upperBound';
}

export interface LoadReport {
  time: number;
  intervalMs: number;
  target: string;
  kinds: Record<ClientKind, KindReport>;
  generator: GeneratorHealth;
  /**
   * Feed messages per second the publishRate sender is set to (0: none). Set by the app host, which
   * sent the command; the generator counts that sender as one active `publisher`, beside the
   * publishers spawned.
   */
  publishRatePerS?: number;
}
