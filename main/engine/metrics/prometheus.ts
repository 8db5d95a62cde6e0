/**
 * GET /metrics: the engine snapshot in the Prometheus text format, beside prom-client's standard
 * Node.js process metrics. Each engine owns its registry (never the global one), so two engines
 * in one process, as in the tests, do not clash. Built on the first scrape so an engine nobody
 * scrapes pays nothing for it.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { EngineSnapshot } from '../../../common/snapshot';
import type { EngineCounters } from './counters';
import type { Sampler } from './sampler';

/**
 * prom-client's defaults that break the exposition's naming rules: gauges named `_total`, which
 * `promtool check metrics` rejects (a `_total` suffix promises a counter). Each one is the sum
 * of the labelled gauge without the suffix (`nodejs_active_handles{type=…}`), so nothing is lost.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * prom-client 15 writes NaN as `Nan` (an empty event-loop-lag mean on the first scrape, for one).
 * The text format spells it `NaN`; a strict parser (OpenMetrics) refuses anything else. A sample
 * line ends with its value (no timestamps are written), so the fix is anchored there.
 */
export function spellSpecialValues(exposition: string): string {
  return exposition.replace(/ Nan$/gm, ' NaN');
}

export interface PrometheusExport {
  readonly contentType: string;
  render(): Promise<string>;
}

/** `extra`: metrics kept elsewhere (the stalls' counter and histogram), registered as they are. */
export function createPrometheusExport(
  sampler: Sampler,
  counters: EngineCounters,
  extra: readonly Metric[] = [],
): PrometheusExport {
  let registry: Registry | null = null;
  // Read once per scrape; every metric's collect() below looks at this one object.
  let snap: EngineSnapshot = sampler.current();

  const build = (): Registry => {
    const reg = new Registry();
    collectDefaultMetrics({ register: reg });
    for (const name of MISNAMED_DEFAULTS) reg.removeSingleMetric(name);
    const registers = [reg];
    const gauge = (name: string, help: string, read: (s: EngineSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(snap));
        },
      });
    };
    /** A monotonic total kept by the engine, reported as a Prometheus counter. */
    const total = (name: string, help: string, read: () => number): void => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value > reported) this.inc(value - reported);
          reported = value;
        },
      });
    };

    new Gauge({
      name: 'loopscope_connections',
      help: 'Open connections by kind (http = plain requests in flight)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        for (const [kind, n] of Object.entries(snap.connections)) this.set({ kind }, n);
      },
    });
    gauge('loopscope_sockets_open', 'Open TCP sockets, idle ones included', (s) => s.sockets.open);
    gauge(
      'loopscope_sockets_idle',
      'Open sockets with no request, stream or WebSocket on them',
      (s) => s.sockets.idle,
    );
    gauge('loopscope_uptime_seconds', 'Seconds since the engine started', (s) => s.uptimeS);
    gauge(
      'loopscope_event_loop_delay_p50_seconds',
      'Event-loop delay p50 over the last window',
      (s) => s.eventLoop.p50Ms / 1000,
    );
    gauge(
      'loopscope_event_loop_delay_p99_seconds',
      'Event-loop delay p99 over the last window',
      (s) => s.eventLoop.p99Ms / 1000,
    );
    gauge(
      'loopscope_event_loop_delay_max_seconds',
      'Event-loop delay max over the last window',
      (s) => s.eventLoop.maxMs / 1000,
    );
    gauge(
      'loopscope_event_loop_utilization_ratio',
      'Event-loop utilization over the last window',
      (s) => s.eventLoop.utilization,
    );
    gauge('loopscope_queue_depth', 'Jobs waiting on the queue', (s) => s.queue.depth);
    gauge('loopscope_queue_capacity', 'Queue capacity', (s) => s.queue.capacity);
    gauge('loopscope_queue_workers', 'Queue workers', (s) => s.queue.workers);
    gauge('loopscope_queue_busy', 'Workers running a job', (s) => s.queue.busy);
    gauge('loopscope_feed_last_seq', 'Sequence number of the newest feed message', (s) => s.feed.lastSeq);
    gauge(
      'loopscope_feed_oldest_seq',
      'Sequence number of the oldest retained feed message',
      (s) => s.feed.oldestSeq,
    );
    gauge(
      'loopscope_http_requests_per_second',
      'HTTP requests per second, last window',
      (s) => s.rates.httpPerS,
    );
    gauge(
      'loopscope_ws_messages_in_per_second',
      'WebSocket frames received per second, last window',
      (s) => s.rates.wsInPerS,
    );
    gauge(
      'loopscope_ws_messages_out_per_second',
      'WebSocket frames sent per second, last window',
      (s) => s.rates.wsOutPerS,
    );
    gauge(
      'loopscope_feed_published_per_second',
      'Feed messages published per second, last window',
      (s) => s.rates.publishedPerS,
    );
    gauge(
      'loopscope_jobs_done_per_second',
      'Jobs finished per second, last window',
      (s) => s.rates.jobsDonePerS,
    );
    gauge('loopscope_memory_rss_bytes', 'Resident set size', (s) => s.memory.rssBytes);
    gauge('loopscope_memory_heap_used_bytes', 'V8 heap used', (s) => s.memory.heapUsedBytes);
    gauge('loopscope_cpu_percent', 'Process CPU over the last window (100 = one core)', (s) => s.cpu.percent);
    total('loopscope_http_requests_total', 'HTTP requests received', () => counters.httpRequests);
    total('loopscope_ws_messages_in_total', 'WebSocket frames received', () => counters.wsIn);
    total('loopscope_ws_messages_out_total', 'WebSocket frames sent', () => counters.wsOut);
    total('loopscope_feed_published_total', 'Feed messages published', () => counters.published);
    total('loopscope_connections_opened_total', 'TCP connections accepted', () => counters.connectionsOpened);
    total('loopscope_connections_closed_total', 'TCP connections closed', () => counters.connectionsClosed);
    total(
      'loopscope_refused_accepts_total',
      'Connections refused at accept: over the socket cap or out of file descriptors (ulimit -n)',
      () => counters.refusedAccepts,
    );
    total('loopscope_jobs_accepted_total', 'Jobs accepted onto the queue', () => snap.queue.accepted);
    total('loopscope_jobs_done_total', 'Jobs finished', () => snap.queue.done);
    total(
      'loopscope_bcrypt_loop_runs_total',
      'bcrypt hashes run on the event loop',
      () => counters.bcrypt.loopRuns,
    );
    total(
      'loopscope_bcrypt_loop_seconds_total',
      'Seconds the event loop spent in bcrypt',
      () => counters.bcrypt.loopMs / 1000,
    );
    total(
      'loopscope_bcrypt_pool_runs_total',
      'bcrypt hashes run on the worker pool',
      () => counters.bcrypt.poolRuns,
    );
    for (const metric of extra) reg.registerMetric(metric);
    return reg;
  };

  return {
    get contentType() {
      return registry?.contentType ?? Registry.PROMETHEUS_CONTENT_TYPE;
    },
    async render() {
      registry ??= build();
      snap = sampler.current();
      return spellSpecialValues(await registry.metrics());
    },
  };
}
