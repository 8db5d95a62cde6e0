/**
 * Merges the reports of several generator processes into one. Counts, totals and rates are summed.
 * Latency percentiles are merged from the processes' histograms when their reports carry buckets
 * (the final report of a run asks for them: LoadController.finalReport), exactly; otherwise — the
 * live reports, four a second — each percentile is the largest of the processes', an upper bound
 * (exact with one process, the default). The merged report carries no buckets.
 */
import {
  CLIENT_KINDS,
  type ClientKind,
  type KindReport,
  type LatencySummary,
  type LoadReport,
} from '../../common/load';
import { healthWarning } from './health';
import { mergeLatencies } from './latency-histogram';

function sumFailures(parts: readonly KindReport[]): Record<string, number> {
  const failures: Record<string, number> = {};
  for (const p of parts)
    for (const [cause, n] of Object.entries(p.failures)) failures[cause] = (failures[cause] ?? 0) + n;
  return failures;
}

const sum = (parts: readonly KindReport[], f: (k: KindReport) => number): number =>
  parts.reduce((n, k) => n + f(k), 0);

/** The latencies `pick` gives in every part, merged; null when some part has none. */
function mergeAll(
  parts: readonly KindReport[],
  pick: (k: KindReport) => LatencySummary | undefined,
): LatencySummary | null {
  const all = parts.map(pick);
  return all.every((l): l is LatencySummary => l !== undefined) ? mergeLatencies(all) : null;
}

function mergeKind(parts: readonly KindReport[]): KindReport {
  const first = parts[0]!;
  const merged: KindReport = {
    kind: first.kind,
    active: sum(parts, (k) => k.active),
    pending: sum(parts, (k) => k.pending),
    opened: sum(parts, (k) => k.opened),
    closed: sum(parts, (k) => k.closed),
    failures: sumFailures(parts),
    sent: sum(parts, (k) => k.sent),
    received: sum(parts, (k) => k.received),
    sentPerS: sum(parts, (k) => k.sentPerS),
    receivedPerS: sum(parts, (k) => k.receivedPerS),
    rtt: mergeLatencies(parts.map((k) => k.rtt)),
    delivery: mergeLatencies(parts.map((k) => k.delivery)),
    integrity: {
      wrong: sum(parts, (k) => k.integrity.wrong),
      missing: sum(parts, (k) => k.integrity.missing),
      duplicated: sum(parts, (k) => k.integrity.duplicated),
      outOfOrder: sum(parts, (k) => k.integrity.outOfOrder),
      expiredLost: sum(parts, (k) => k.integrity.expiredLost),
    },
  };
  const connect = mergeAll(parts, (k) => k.connect);
  if (connect) merged.connect = connect;
  if (parts.every((k) => k.cumulative)) {
    merged.cumulative = {
      rtt: mergeLatencies(parts.map((k) => k.cumulative!.rtt)),
      delivery: mergeLatencies(parts.map((k) => k.cumulative!.delivery)),
    };
    const all = mergeAll(parts, (k) => k.cumulative!.connect);
    if (all) merged.cumulative.connect = all;
  }
  return merged;
}

/** `reports` must be non-empty; `extraWarning` reports e.g. a generator process that died. */
export function mergeReports(reports: readonly LoadReport[], extraWarning: string | null = null): LoadReport {
  const [first, ...rest] = reports;
  if (!first) throw new Error('mergeReports needs at least one report');
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS) kinds[kind] = mergeKind(reports.map((r) => r.kinds[kind]));
  let loop = first.generator.eventLoopP99Ms;
  let cpu = first.generator.cpuPercent;
  let stalls = first.generator.stalls;
  for (const r of rest) {
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
  const latencyMerge = reports.length < 2 ? null : reports.every(carriesBuckets) ? 'exact' : 'upperBound';
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
      ...(latencyMerge ? { latencyMerge } : {}),
    },
  };
}

/** Every non-empty cumulative latency of the report carries its histogram's buckets. */
export function carriesBuckets(r: LoadReport): boolean {
  return CLIENT_KINDS.every((kind) => {
    const c = r.kinds[kind].cumulative;
    if (!c) return true;
    return [c.rtt, c.delivery, c.connect].every((l) => !l || l.count === 0 || l.buckets !== undefined);
  });
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
