/**
 * Joins consecutive report windows of one generator into one window, so that no window is lost
 * when reports arrive faster than they are shown (generator every 250 ms, host forward every 500 ms,
 * renderer sample every 1 s). Pure and zod-free: the host and the renderer both use it.
 *
 * - Latencies of the window (rtt, delivery): counts summed, p50/p99/max the worst of the two.
 * - Rates: the time-weighted mean over both windows.
 * - Gauges (active, pending) and totals since start (opened, sent, failures, integrity,
 *   cumulative, generator stalls): the later report's.
 * - Generator health (loop p99, CPU): the worst of the two; the warning, the later one's or else
 *   the earlier one's.
 */
import { CLIENT_KINDS, type ClientKind, type KindReport, type LatencySummary, type LoadReport } from './load';

function worst(a: LatencySummary, b: LatencySummary): LatencySummary {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  return {
    count: a.count + b.count,
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    maxMs: Math.max(a.maxMs, b.maxMs),
  };
}

function joinKind(a: KindReport, b: KindReport, wa: number, wb: number): KindReport {
  return {
    ...b,
    sentPerS: a.sentPerS * wa + b.sentPerS * wb,
    receivedPerS: a.receivedPerS * wa + b.receivedPerS * wb,
    rtt: worst(a.rtt, b.rtt),
    delivery: worst(a.delivery, b.delivery),
  };
}

/** `earlier` and `later` are consecutive windows of one generator; the result spans both. */
export function joinReportWindows(earlier: LoadReport, later: LoadReport): LoadReport {
  const span = earlier.intervalMs + later.intervalMs;
  const wa = span > 0 ? earlier.intervalMs / span : 0.5;
  const wb = 1 - wa;
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS) kinds[kind] = joinKind(earlier.kinds[kind], later.kinds[kind], wa, wb);
  return {
    ...later,
    intervalMs: span,
    kinds,
    generator: {
      ...later.generator,
      eventLoopP99Ms: Math.max(earlier.generator.eventLoopP99Ms, later.generator.eventLoopP99Ms),
      cpuPercent: Math.max(earlier.generator.cpuPercent, later.generator.cpuPercent),
      warning: later.generator.warning ?? earlier.generator.warning,
    },
  };
}

/**
 * Collects the windows that arrive between two reads: add() each report, take() the join of all
 * added since the last take() (null when none arrived).
 */
export class ReportWindows {
  private pending: LoadReport | null = null;

  add(report: LoadReport): void {
    this.pending = this.pending ? joinReportWindows(this.pending, report) : report;
  }

  take(): LoadReport | null {
    const joined = this.pending;
    this.pending = null;
    return joined;
  }
}
