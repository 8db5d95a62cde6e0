/**
 * One flat row per engine snapshot, joined with the latest load report: what the charts draw and
 * what the session export contains. Fixed columns, so a row costs the same with 10 or 10,000 clients.
 */
import type { ClientKind, KindReport, LoadReport } from '../../common/load';
import type { EngineSnapshot } from '../../common/snapshot';
import { PROCESS_COLUMNS, ProcessSlots, type ProcessColumn } from './process-slots';
import { latestValue, SampleRing, worstValue } from './ring-buffer';

const ENGINE_COLUMNS = [
  'time',
  'conn_ws_prime',
  'conn_ws_feed',
  'conn_sse',
  'conn_long_poll',
  'conn_http',
  'conn_total',
  'opened_per_s',
  'closed_per_s',
  'loop_p50_ms',
  'loop_p99_ms',
  'loop_max_ms',
  'loop_utilization',
  'bcrypt_loop_runs',
  'bcrypt_loop_ms',
  'bcrypt_pool_runs',
  'queue_depth',
  'queue_busy',
  'queue_workers',
  'jobs_done_per_s',
  'http_per_s',
  'ws_in_per_s',
  'ws_out_per_s',
  'published_per_s',
  'clients_active',
  'client_sent_per_s',
  'client_received_per_s',
  'rtt_p50_ms',
  'rtt_p99_ms',
  'delivery_long_poll_p50_ms',
  'delivery_long_poll_p99_ms',
  'delivery_ws_feed_p50_ms',
  'delivery_ws_feed_p99_ms',
  'delivery_sse_p50_ms',
  'delivery_sse_p99_ms',
  'integrity_wrong',
  'integrity_missing',
  'integrity_duplicated',
  'integrity_out_of_order',
  'integrity_expired_lost',
  'generator_loop_p99_ms',
  'generator_cpu_percent',
  'server_cpu_percent',
  'server_rss_mb',
  /** docs/protocol.md §8: the requests the server answered in the window, timed inside it. */
  'served_count',
  'served_p99_ms',
] as const;
/** The engine-wide columns, then one loop-delay and one connections column per process slot. */
export const SAMPLE_COLUMNS: readonly SampleColumn[] = [...ENGINE_COLUMNS, ...PROCESS_COLUMNS];
export type SampleColumn = (typeof ENGINE_COLUMNS)[number] | ProcessColumn;
export type SampleRow = Record<SampleColumn, number>;

/** The session export keeps the last 4 hours at 1 Hz; charts show at most 15 minutes of it. */
export const SESSION_CAPACITY = 4 * 3600;

const kindsOf = (report: LoadReport | null): KindReport[] => (report ? Object.values(report.kinds) : []);

function sum(report: LoadReport | null, pick: (k: KindReport) => number): number {
  if (!report) return Number.NaN;
  return kindsOf(report).reduce((total, k) => total + pick(k), 0);
}

function kind(report: LoadReport | null, name: ClientKind): KindReport | null {
  return report?.kinds[name] ?? null;
}

/** Round trips across the request/response kinds: median weighted by count, worst p99. */
function rtt(report: LoadReport | null): { p50: number; p99: number } {
  const measured = kindsOf(report).filter((k) => k.rtt.count > 0);
  const count = measured.reduce((t, k) => t + k.rtt.count, 0);
  if (count === 0) return { p50: Number.NaN, p99: Number.NaN };
  return {
    p50: measured.reduce((t, k) => t + k.rtt.p50Ms * k.rtt.count, 0) / count,
    p99: Math.max(...measured.map((k) => k.rtt.p99Ms)),
  };
}

const delivery = (report: LoadReport | null, name: ClientKind, p: 'p50Ms' | 'p99Ms'): number => {
  const k = kind(report, name);
  return k && k.delivery.count > 0 ? k.delivery[p] : Number.NaN;
};

/** The row of one snapshot; the per-process columns are NaN until ProcessSlots fills them. */
export function toRow(s: EngineSnapshot, report: LoadReport | null): SampleRow {
  const c = s.connections;
  const round = rtt(report);
  const perProcess = Object.fromEntries(PROCESS_COLUMNS.map((col) => [col, Number.NaN])) as Record<
    ProcessColumn,
    number
  >;
  return {
    ...perProcess,
    time: s.time,
    conn_ws_prime: c.wsPrime,
    conn_ws_feed: c.wsFeed,
    conn_sse: c.sse,
    conn_long_poll: c.longPoll,
    conn_http: c.http,
    conn_total: c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http,
    opened_per_s: s.rates.connectionsOpenedPerS,
    closed_per_s: s.rates.connectionsClosedPerS,
    loop_p50_ms: s.eventLoop.p50Ms,
    loop_p99_ms: s.eventLoop.p99Ms,
    loop_max_ms: s.eventLoop.maxMs,
    loop_utilization: s.eventLoop.utilization,
    bcrypt_loop_runs: s.bcrypt.loopRuns,
    bcrypt_loop_ms: s.bcrypt.loopMs,
    bcrypt_pool_runs: s.bcrypt.poolRuns,
    queue_depth: s.queue.depth,
    queue_busy: s.queue.busy,
    queue_workers: s.queue.workers,
    jobs_done_per_s: s.rates.jobsDonePerS,
    http_per_s: s.rates.httpPerS,
    ws_in_per_s: s.rates.wsInPerS,
    ws_out_per_s: s.rates.wsOutPerS,
    published_per_s: s.rates.publishedPerS,
    clients_active: sum(report, (k) => k.active),
    client_sent_per_s: sum(report, (k) => k.sentPerS),
    client_received_per_s: sum(report, (k) => k.receivedPerS),
    rtt_p50_ms: round.p50,
    rtt_p99_ms: round.p99,
    delivery_long_poll_p50_ms: delivery(report, 'long-poll', 'p50Ms'),
    delivery_long_poll_p99_ms: delivery(report, 'long-poll', 'p99Ms'),
    delivery_ws_feed_p50_ms: delivery(report, 'ws-feed', 'p50Ms'),
    delivery_ws_feed_p99_ms: delivery(report, 'ws-feed', 'p99Ms'),
    delivery_sse_p50_ms: delivery(report, 'sse', 'p50Ms'),
    delivery_sse_p99_ms: delivery(report, 'sse', 'p99Ms'),
    integrity_wrong: sum(report, (k) => k.integrity.wrong),
    integrity_missing: sum(report, (k) => k.integrity.missing),
    integrity_duplicated: sum(report, (k) => k.integrity.duplicated),
    integrity_out_of_order: sum(report, (k) => k.integrity.outOfOrder),
    integrity_expired_lost: sum(report, (k) => k.integrity.expiredLost),
    generator_loop_p99_ms: report ? report.generator.eventLoopP99Ms : Number.NaN,
    generator_cpu_percent: report ? report.generator.cpuPercent : Number.NaN,
    server_cpu_percent: s.cpu.percent,
    server_rss_mb: s.memory.rssBytes / (1024 * 1024),
    served_count: s.requests?.count ?? Number.NaN,
    served_p99_ms: s.requests && s.requests.count > 0 ? s.requests.p99Ms : Number.NaN,
  };
}

export class SampleStore {
  readonly ring = new SampleRing<SampleColumn>(SAMPLE_COLUMNS, SESSION_CAPACITY);
  readonly processes = new ProcessSlots();

  add(snapshot: EngineSnapshot, report: LoadReport | null): void {
    const row = toRow(snapshot, report);
    // A single process has no per-process lines: its figures are the engine-wide ones.
    if ((snapshot.processes?.length ?? 0) > 1 || this.processes.current().length > 0)
      this.processes.fill(row, snapshot.processes, row.time);
    this.ring.push(row);
  }

  /** Forgets every row: a recording is replayed from its start. */
  clear(): void {
    this.ring.clear();
    this.processes.clear();
  }

  /** The newest row's value of `column`; NaN before the first row or where it has none. */
  latest(column: SampleColumn): number {
    return latestValue(this.ring, column);
  }

  /** The largest value of `column` over the rows of the last `windowMs` (what a chart shows); NaN if none. */
  worst(column: SampleColumn, windowMs: number): number {
    return worstValue(this.ring, column, windowMs);
  }
}
