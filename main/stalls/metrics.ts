/**
 * The stalls in /metrics: a counter and a duration histogram. Created with the log and fed as
 * stalls arrive, so stalls that happen before the first scrape are counted too; prometheus.ts
 * registers them in the engine's registry when it builds it.
 */
import { Counter, Histogram, type Metric } from 'prom-client';
import type { StallLog } from './stall-log';

/** Seconds; the default threshold is 0.1 s, bcrypt cost 12 about 0.25 s. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function stallMetrics(log: StallLog): Metric[] {
  const count = new Counter({
    name: 'loopscope_stalls_total',
    help: 'Event-loop stalls longer than the stall threshold',
    registers: [],
  });
  const duration = new Histogram({
    name: 'loopscope_stall_duration_seconds',
    help: 'Duration of event-loop stalls',
    buckets: DURATION_BUCKETS,
    registers: [],
  });
  log.subscribe((stall) => {
    count.inc();
    duration.observe(stall.durationMs / 1000);
  });
  return [count, duration];
}
