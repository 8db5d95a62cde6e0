/**
 * docs/protocol.md §10 for §8 `requests`: several processes' windows as one. Counts are summed;
 * a percentile cannot be summed, so p50, p99 and max are the worst process's (an upper bound,
 * as the event loop's figures are). Routes are merged by name, at most MAX_ROUTES again.
 */
import type { RequestStats, RouteRequests } from '../../common/snapshot';
import { NO_REQUESTS } from './recorder';

const MAX_ROUTES = 20;

export function combineRequests(windows: readonly (RequestStats | undefined)[]): RequestStats {
  const list = windows.filter((w): w is RequestStats => w !== undefined);
  if (list.length === 0) return NO_REQUESTS;
  const routes = new Map<string, RouteRequests>();
  for (const w of list)
    for (const r of w.routes) {
      const seen = routes.get(r.route);
      if (seen) {
        seen.count += r.count;
        seen.p99Ms = Math.max(seen.p99Ms, r.p99Ms);
      } else routes.set(r.route, { ...r });
    }
  const sorted = [...routes.values()].sort((a, b) => b.count - a.count);
  const kept = sorted.slice(0, MAX_ROUTES - 1);
  const rest = sorted.slice(MAX_ROUTES - 1);
  if (rest.length === 1) kept.push(rest[0]!);
  else if (rest.length > 1)
    kept.push({
      route: 'other',
      count: rest.reduce((t, r) => t + r.count, 0),
      p99Ms: Math.max(...rest.map((r) => r.p99Ms)),
    });
  return {
    count: list.reduce((t, w) => t + w.count, 0),
    p50Ms: Math.max(...list.map((w) => w.p50Ms)),
    p99Ms: Math.max(...list.map((w) => w.p99Ms)),
    maxMs: Math.max(...list.map((w) => w.maxMs)),
    routes: kept,
  };
}
