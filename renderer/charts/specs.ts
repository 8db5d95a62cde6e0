/** What each chart shows. Columns come from state/samples.ts; colours from charts/setup.ts. */
import { connectionsColumn, loopColumn, SLOT_INDEXES } from '../state/process-slots';
import { COLORS, PROCESS_COLORS } from './setup';
import type { ChartSpec, SeriesSpec } from './time-chart';

type LoopColumn = 'loop_p50_ms' | 'loop_p99_ms' | 'loop_max_ms' | 'loop_utilization';

/** Loop delay p50/p99/max on a log axis and utilization on the right: the demo server's and a watched process's alike. */
export const LOOP_SERIES: readonly SeriesSpec<LoopColumn>[] = [
  { column: 'loop_p50_ms', label: 'p50', color: COLORS.p50 },
  { column: 'loop_p99_ms', label: 'p99', color: COLORS.p99 },
  { column: 'loop_max_ms', label: 'max', color: COLORS.max, dashed: true },
  {
    column: 'loop_utilization',
    label: 'utilization',
    color: COLORS.util,
    axis: 'y2',
    scale: 100,
    fill: true,
  },
];

export const CHART_SPECS: ChartSpec[] = [
  {
    id: 'connections',
    title: 'Connections by kind',
    yTitle: 'open',
    yUnit: 'open',
    y2Title: 'per second',
    y2Unit: '/s',
    stacked: true,
    series: [
      { column: 'conn_ws_prime', label: 'WS prime', color: COLORS.wsPrime, fill: true },
      { column: 'conn_ws_feed', label: 'WS feed', color: COLORS.wsFeed, fill: true },
      { column: 'conn_sse', label: 'SSE', color: COLORS.sse, fill: true },
      { column: 'conn_long_poll', label: 'Long poll held', color: COLORS.longPoll, fill: true },
      { column: 'conn_http', label: 'HTTP in flight', color: COLORS.http, fill: true },
      { column: 'opened_per_s', label: 'opened/s', color: COLORS.opened, axis: 'y2', dashed: true },
      { column: 'closed_per_s', label: 'closed/s', color: COLORS.closed, axis: 'y2', dashed: true },
    ],
  },
  {
    id: 'event-loop',
    title: 'Event-loop delay',
    yTitle: 'ms (log)',
    yUnit: 'ms',
    log: true,
    y2Title: 'utilization %',
    y2Unit: '%',
    y2Max: 100,
    markColumn: 'bcrypt_loop_runs',
    stallMarks: true,
    episodeBands: true,
    series: [...LOOP_SERIES],
  },
  {
    id: 'queue',
    title: 'Job queue',
    yTitle: 'jobs',
    yUnit: 'jobs',
    y2Title: 'done per second',
    y2Unit: '/s',
    emptyHint: 'No jobs yet: press Enqueue, or spawn job producers.',
    series: [
      { column: 'queue_depth', label: 'depth', color: COLORS.depth, fill: true },
      { column: 'queue_busy', label: 'busy workers', color: COLORS.busy },
      { column: 'jobs_done_per_s', label: 'done/s', color: COLORS.done, axis: 'y2', dashed: true },
    ],
  },
  {
    id: 'throughput',
    title: 'Throughput',
    yTitle: 'per second',
    yUnit: '/s',
    series: [
      { column: 'ws_in_per_s', label: 'WS in', color: COLORS.wsIn },
      { column: 'ws_out_per_s', label: 'WS out', color: COLORS.wsOut },
      { column: 'http_per_s', label: 'HTTP requests', color: COLORS.http },
      { column: 'published_per_s', label: 'feed published', color: COLORS.published, dashed: true },
    ],
  },
  {
    id: 'rtt',
    title: 'Client round trip',
    source: 'clients',
    yTitle: 'ms (log)',
    yUnit: 'ms',
    emptyHint: 'No round trips yet: spawn WS prime or HTTP clients.',
    log: true,
    markColumn: 'bcrypt_loop_runs',
    series: [
      { column: 'rtt_p50_ms', label: 'p50', color: COLORS.p50 },
      { column: 'rtt_p99_ms', label: 'p99 (worst kind)', color: COLORS.p99 },
    ],
  },
  {
    id: 'delivery',
    title: 'Feed delivery latency by transport',
    source: 'clients',
    yTitle: 'ms, publish → delivery (log)',
    yUnit: 'ms',
    emptyHint: 'No deliveries yet: set a publish rate and spawn WS feed, SSE or long-poll followers.',
    log: true,
    markColumn: 'bcrypt_loop_runs',
    series: [
      { column: 'delivery_long_poll_p99_ms', label: 'long poll p99', color: COLORS.longPoll },
      { column: 'delivery_ws_feed_p99_ms', label: 'WebSocket p99', color: COLORS.wsFeed },
      { column: 'delivery_sse_p99_ms', label: 'SSE p99', color: COLORS.sse },
      { column: 'delivery_long_poll_p50_ms', label: 'long poll p50', color: COLORS.longPoll, dashed: true },
      { column: 'delivery_ws_feed_p50_ms', label: 'WebSocket p50', color: COLORS.wsFeed, dashed: true },
      { column: 'delivery_sse_p50_ms', label: 'SSE p50', color: COLORS.sse, dashed: true },
    ],
  },
  // docs/protocol.md §10: shown only while several server processes run; labels follow the processes.
  {
    id: 'process-loop',
    title: 'Event-loop delay per process (p99)',
    yTitle: 'ms (log)',
    yUnit: 'ms',
    log: true,
    perProcess: true,
    markColumn: 'bcrypt_loop_runs',
    stallMarks: true,
    series: SLOT_INDEXES.map((slot) => ({
      column: loopColumn(slot),
      label: `process ${slot + 1}`,
      color: PROCESS_COLORS[slot],
    })),
  },
  {
    id: 'process-connections',
    title: 'Connections per process',
    yTitle: 'open',
    yUnit: 'open',
    perProcess: true,
    series: SLOT_INDEXES.map((slot) => ({
      column: connectionsColumn(slot),
      label: `process ${slot + 1}`,
      color: PROCESS_COLORS[slot],
    })),
  },
];
