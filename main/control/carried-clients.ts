/**
 * What a restart of the demo server does to the simulated clients, in figures and in words: the
 * clients of each kind before it (from the generator's report), whether as many are back against
 * the new server, and the notice's clause ("100 WS prime and 50 SSE clients reconnected").
 * Pure: the app host reads the reports and waits.
 */
import { KIND_LABELS } from '../../common/kind-labels';
import { CLIENT_KINDS, type ClientKind, type LoadReport } from '../../common/load';

export type ClientCounts = Partial<Record<ClientKind, number>>;

export interface Rates {
  publishPerS: number;
  jobPerS: number;
}

/**
 * Spawned clients of each kind a report counts (connected, plus those still to connect when
 * `pending`), without the publish-rate and job-rate senders, which the generator counts as one
 * active client of their kind.
 */
export function spawnedCounts(report: LoadReport | null, rates: Rates, pending = true): ClientCounts {
  const counts: ClientCounts = {};
  if (!report) return counts;
  for (const kind of CLIENT_KINDS) {
    const k = report.kinds[kind];
    let n = k.active + (pending ? k.pending : 0);
    if (kind === 'publisher' && rates.publishPerS > 0) n--;
    if (kind === 'job-producer' && rates.jobPerS > 0) n--;
    if (n > 0) counts[kind] = n;
  }
  return counts;
}

/** Every kind that ran before is connected again (as many, none still connecting). */
export function allBack(before: ClientCounts, report: LoadReport, rates: Rates): boolean {
  const now = spawnedCounts(report, rates, false);
  return Object.entries(before).every(
    ([kind, n]) => report.kinds[kind as ClientKind].pending === 0 && (now[kind as ClientKind] ?? 0) >= n,
  );
}

/** "100 WS prime and 48 of 50 SSE clients reconnected"; '' when there were none. */
export function reconnectedText(before: ClientCounts, report: LoadReport | null, rates: Rates): string {
  const now = spawnedCounts(report, rates, false);
  const parts = Object.entries(before).map(([kind, n]) => {
    const back = Math.min(now[kind as ClientKind] ?? 0, n);
    return `${back === n ? n : `${back} of ${n}`} ${KIND_LABELS[kind as ClientKind]}`;
  });
  if (parts.length === 0) return '';
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${list} clients reconnected`;
}
