/** The figures every closed-loop throughput scenario reports, measured the same way for each. */
import { runClosedLoop, type ClosedLoopJob } from '../load/closed-loop';
import type { Figures, Metric, ScenarioContext } from './scenario';

export function closedLoopMetrics(perS: string, latency: string, digits: number): Metric[] {
  return [
    { key: 'perS', label: perS, digits: 0 },
    { key: 'p50Ms', label: `${latency} p50 ms`, digits },
    { key: 'p99Ms', label: `${latency} p99 ms`, digits },
    { key: 'cpuUs', label: 'server CPU µs per reply', digits: 1 },
    { key: 'wrong', label: 'wrong replies + errors', digits: 0 },
  ];
}

/** 50 connections, `inFlight` requests outstanding on each, after a warm-up. */
export async function closedLoopFigures(
  { server, quick }: ScenarioContext,
  mode: ClosedLoopJob['mode'],
  inFlight: number,
  fullDurationMs: number,
): Promise<Figures> {
  const r = await runClosedLoop(
    {
      mode,
      url: server.url,
      connections: 50,
      inFlight,
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : fullDurationMs,
    },
    server.pid,
  );
  return {
    perS: r.perS,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuUs: r.serverCpuUsPerReply,
    wrong: r.wrong + r.errors,
  };
}
