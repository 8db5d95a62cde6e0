/**
 * The soak's memory verdict (bench/soak.ts): per process role, the RSS slope after the warm-up, by
 * least squares, in MB per hour. Each process is a tenure of its own (a replaced worker starts
 * afresh) and leaves out its own first minute as well.
 */

/** One process's RSS samples: [ms since the soak began, bytes]. */
export interface RssSeries {
  role: string;
  points: [number, number][];
}

export interface RoleRss {
  tenures: number;
  /** Tenures long enough to judge: a few minutes after the warm-ups. */
  measured: number;
  medianSlopeMbPerHour: number;
  slopesMbPerHour: number[];
  rssAtEndMb: number[];
}

/** A process started during the run (a replacement worker) warms up too. */
const TENURE_WARMUP_MS = 60_000;

/** MB per hour, least squares over the points. */
export function slopeMbPerHour(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 3_600_000) / 2 ** 20;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const tenth = (x: number) => Math.round(x * 10) / 10;

export function rssByRole(
  series: readonly RssSeries[],
  warmupMs: number,
  runMs: number,
): Record<string, RoleRss> {
  const roles = new Map<string, { slopes: number[]; lastMb: number[]; tenures: number }>();
  for (const s of series) {
    if (s.points.length === 0) continue;
    const born = s.points[0]![0];
    const from = Math.max(warmupMs, born > 0 ? born + TENURE_WARMUP_MS : 0);
    const after = s.points.filter(([t]) => t >= from);
    const r = roles.get(s.role) ?? { slopes: [], lastMb: [], tenures: 0 };
    r.tenures++;
    if (after.length >= 4 && after.at(-1)![0] - after[0]![0] >= Math.min(180_000, runMs / 4)) {
      r.slopes.push(slopeMbPerHour(after));
      r.lastMb.push(Math.round(after.at(-1)![1] / 2 ** 20));
    }
    roles.set(s.role, r);
  }
  return Object.fromEntries(
    [...roles].map(([role, r]) => [
      role,
      {
        tenures: r.tenures,
        measured: r.slopes.length,
        medianSlopeMbPerHour: tenth(median(r.slopes)),
        slopesMbPerHour: r.slopes.map(tenth),
        rssAtEndMb: r.lastMb,
      },
    ]),
  );
}
