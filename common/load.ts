/**
 * The load generator's command set and its aggregated report. Commands travel from the app (or the
 * `load` CLI) to the generator process; one fixed-size report per interval travels back.
 */
import { z } from 'zod';

export const CLIENT_KINDS = [
  'ws-prime',
  'ws-feed',
  'sse',
  'long-poll',
  'http',
  'publisher',
  'job-producer',
] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** Kinds that hold a connection open and follow the feed with a cursor. */
export const FEED_KINDS = ['ws-feed', 'sse', 'long-poll'] as const satisfies readonly ClientKind[];

const count = z.number().int().min(0).max(100_000);
const kind = z.enum(CLIENT_KINDS);

/** Per-kind behaviour; each kind reads the fields that concern it. */
export const kindOptionsSchema = z
  .object({
    /** ws-prime: ms between numbers per client; 0 holds the connection idle. http/publisher/job-producer: ms between requests per client. */
    intervalMs: z.number().int().min(0).max(600_000).optional(),
    /** http: which path to request. */
    path: z.enum(['/', '/slow', '/aggregate']).optional(),
    /** http /slow and /aggregate: the ms parameter. */
    slowMs: z.number().int().min(0).max(60_000).optional(),
    /** job-producer: jobs per POST and their workMs. */
    jobsPerRequest: z.number().int().min(1).max(100_000).optional(),
    workMs: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();
export type KindOptions = z.infer<typeof kindOptionsSchema>;

export const loadCommandSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('spawn'),
      kind,
      count: count.min(1),
      /** New clients per second; 0 means all at once. */
      rampPerS: z.number().min(0).max(100_000).default(0),
      options: kindOptionsSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('stop'), kind, count: count.min(1) }).strict(),
  z.object({ type: z.literal('stopAll') }).strict(),
  z.object({ type: z.literal('configure'), kind, options: kindOptionsSchema }).strict(),
  /** Publish to the feed at this many messages per second in total (0 stops). */
  z.object({ type: z.literal('publishRate'), perS: z.number().min(0).max(10_000) }).strict(),
  /** POST /jobs at this many requests per second (0 stops). */
  z
    .object({
      type: z.literal('jobRate'),
      perS: z.number().min(0).max(1_000),
      jobsPerRequest: z.number().int().min(1).max(100_000).default(1),
      workMs: z.number().int().min(0).max(10_000).default(0),
    })
    .strict(),
  /** Point every client at another server (stops existing clients first). */
  z.object({ type: z.literal('target'), url: z.string().url() }).strict(),
]);
export type LoadCommand = z.input<typeof loadCommandSchema>;
export type ParsedLoadCommand = z.output<typeof loadCommandSchema>;

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
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
  sent: number;
  received: number;
  /** Per-second rates over the last interval. */
  sentPerS: number;
  receivedPerS: number;
  /** Round trip measured from when each request was due (no coordinated omission); last interval. */
  rtt: LatencySummary;
  /** Feed kinds: publish-to-delivery latency, last interval. */
  delivery: LatencySummary;
  integrity: IntegrityCounters;
  /** rtt and delivery since the generator started (for end-of-run summaries). Added by the load generator. */
  cumulative?: { rtt: LatencySummary; delivery: LatencySummary };
}

/** The generator's own stalls (PROTOCOL.md §9 watched in the generator process), since it started. */
export interface GeneratorStalls {
  count: number;
  totalMs: number;
  maxMs: number;
  /** The longest one's innermost project frame, `function file:line`; null before any. */
  worst: string | null;
}

export interface GeneratorHealth {
  processes: number;
  eventLoopP99Ms: number;
  cpuPercent: number;
  /** Set when the generator itself, not the server, is likely the bottleneck. */
  warning: string | null;
  /** Absent where the generator runs without a stall watchdog. */
  stalls?: GeneratorStalls;
}

export interface LoadReport {
  time: number;
  intervalMs: number;
  target: string;
  kinds: Record<ClientKind, KindReport>;
  generator: GeneratorHealth;
}
