/**
 * Merges the reports of several generator processes into one. Counts, totals and rates are summed.
 * Percentiles cannot be merged from summaries, so p50, p99 and max are the MAX over processes: an
 * upper bound, exact with one process (the default), conservative with more.
 */
import {
  CLIENT_KINDS,
  type ClientKind,
  type KindReport,
  type LatencySummary,
  type LoadReport,
} from '../../common/load';
import { healthWarning } from './health';

function mergeLatency(a: LatencySummary, b: LatencySummary): LatencySummary {
  return {
    count: a.count + b.count,
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    maxMs: Math.max(a.maxMs, b.maxMs),
  };
}

function mergeKind(a: KindReport, b: KindReport): KindReport {
  const failures = { ...a.failures };
  for (const [cause, n] of Object.entries(b.failures)) failures[cause] = (failures[cause] ?? 0) + n;
  const merged: KindReport = {
    kind: a.kind,
    active: a.active + b.active,
    pending: a.pending + b.pending,
    opened: a.opened + b.opened,
    closed: a.closed + b.closed,
    failures,
    sent: a.sent + b.sent,
    received: a.received + b.received,
    sentPerS: a.sentPerS + b.sentPerS,
    receivedPerS: a.receivedPerS + b.receivedPerS,
    rtt: mergeLatency(a.rtt, b.rtt),
    delivery: mergeLatency(a.delivery, b.delivery),
    integrity: {
      wrong: a.integrity.wrong + b.integrity.wrong,
      missing: a.integrity.missing + b.integrity.missing,
      duplicated: a.integrity.duplicated + b.integrity.duplicated,
      outOfOrder: a.integrity.outOfOrder + b.integrity.outOfOrder,
      expiredLost: a.integrity.expiredLost + b.integrity.expiredLost,
    },
  };
  if (a.connect && b.connect) merged.connect = mergeLatency(a.connect, b.connect);
  if (a.cumulative && b.cumulative) {
    merged.cumulative = {
      rtt: mergeLatency(a.cumulative.rtt, b.cumulative.rtt),
      delivery: mergeLatency(a.cumulative.delivery, b.cumulative.delivery),
    };
    if (a.cumulative.connect && b.cumulative.connect) {
      merged.cumulative.connect = mergeLatency(a.cumulative.connect, b.cumulative.connect);
    }
  }
  return merged;
}

/** `reports` must be non-empty; `extraWarning` reports e.g. a generator process that died. */
export function mergeReports(reports: readonly LoadReport[], extraWarning: string | null = null): LoadReport {
  const [first, ...rest] = reports;
  if (!first) throw new Error('mergeReports needs at least one report');
  const kinds = { ...first.kinds } as Record<ClientKind, KindReport>;
  let loop = first.generator.eventLoopP99Ms;
  let cpu = first.generator.cpuPercent;
  let stalls = first.generator.stalls;
  for (const r of rest) {
    for (const kind of CLIENT_KINDS) kinds[kind] = mergeKind(kinds[kind], r.kinds[kind]);
    loop = Math.max(loop, r.generator.eventLoopP99Ms);
    cpu = Math.max(cpu, r.generator.cpuPercent);
    const s = r.generator.stalls;
    if (s && stalls) {
      stalls = {
        count: stalls.count + s.count,
        totalMs: stalls.totalMs + s.totalMs,
        maxMs: Math.max(stalls.maxMs, s.maxMs),
        worst: s.maxMs > stalls.maxMs ? s.worst : stalls.worst,
      };
    } else {
      stalls ??= s;
    }
  }
  const warnings = [healthWarning(loop, cpu), extraWarning].filter((w): w is string => w !== null);
  return {
    time: Math.max(...reports.map((r) => r.time)),
    intervalMs: first.intervalMs,
    target: first.target,
    kinds,
    // Loop delay and CPU are the busiest process's: saturation of any one skews its clients.
    generator: {
      processes: reports.length,
      eventLoopP99Ms: loop,
      cpuPercent: cpu,
      warning: warnings.length > 0 ? warnings.join('; ') : null,
      ...(stalls ? { stalls } : {}),
    },
  };
}

const NO_LATENCY: LatencySummary = { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };

/**
 * The last report of a process that has died: its totals (opened, failures, integrity, cumulative
 * latency) still happened, but none of its clients is connected or sending any more, and its
 * interval figures describe nothing that is still going on.
 */
export function retiredReport(r: LoadReport): LoadReport {
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS) {
    kinds[kind] = {
      ...r.kinds[kind],
      active: 0,
      pending: 0,
      sentPerS: 0,
      receivedPerS: 0,
      rtt: NO_LATENCY,
      delivery: NO_LATENCY,
      connect: NO_LATENCY,
    };
  }
  return { ...r, kinds, generator: { ...r.generator, eventLoopP99Ms: 0, cpuPercent: 0, warning: null } };
}

/** A retired report after a restartMeasurement: nothing it sent or measured is in the new measurement. */
export function withoutMeasurement(r: LoadReport): LoadReport {
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS) {
    const k = r.kinds[kind];
    kinds[kind] = {
      ...k,
      sent: 0,
      received: 0,
      ...(k.cumulative ? { cumulative: { ...k.cumulative, rtt: NO_LATENCY, delivery: NO_LATENCY } } : {}),
    };
  }
  return { ...r, kinds };
}
