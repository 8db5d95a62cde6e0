/** What each chart shows. Columns come from state/samples.ts; colours from charts/setup.ts. */
import { COLORS } from './setup';
import type { ChartSpec } from './time-chart';

export const CHART_SPECS: ChartSpec[] = [
  {
    id: 'connections',
    title: 'Connections by kind',
    yTitle: 'open',
    y2Title: 'per second',
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
    log: true,
    y2Title: 'utilization %',
    y2Max: 100,
    markColumn: 'bcrypt_loop_runs',
    stallMarks: true,
    series: [
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
    ],
  },
  {
    id: 'queue',
    title: 'Job queue',
    yTitle: 'jobs',
    y2Title: 'done per second',
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
    yTitle: 'ms (log)',
    log: true,
    series: [
      { column: 'rtt_p50_ms', label: 'p50', color: COLORS.p50 },
      { column: 'rtt_p99_ms', label: 'p99 (worst kind)', color: COLORS.p99 },
    ],
  },
  {
    id: 'delivery',
    title: 'Feed delivery latency by transport',
    yTitle: 'ms, publish → delivery (log)',
    log: true,
    series: [
      { column: 'delivery_long_poll_p99_ms', label: 'long poll p99', color: COLORS.longPoll },
      { column: 'delivery_ws_feed_p99_ms', label: 'WebSocket p99', color: COLORS.wsFeed },
      { column: 'delivery_sse_p99_ms', label: 'SSE p99', color: COLORS.sse },
      { column: 'delivery_long_poll_p50_ms', label: 'long poll p50', color: COLORS.longPoll, dashed: true },
      { column: 'delivery_ws_feed_p50_ms', label: 'WebSocket p50', color: COLORS.wsFeed, dashed: true },
      { column: 'delivery_sse_p50_ms', label: 'SSE p50', color: COLORS.sse, dashed: true },
    ],
  },
];
