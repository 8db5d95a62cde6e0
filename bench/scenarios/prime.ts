/**
 * prime: 50 WebSocket connections, each keeping 16 prime questions in flight, for 20 s. The
 * server's ceiling for small frames with a little CPU each (BigInt Miller–Rabin in Node, Python
 * ints in Tornado), the question mix of Loopscope's own ws-prime clients, every answer checked.
 */
import { closedLoopFigures, closedLoopMetrics, generatorKeptUp } from './closed-loop-figures';
import { fmt, type Scenario } from './scenario';

export const prime: Scenario = {
  name: 'prime',
  title: 'prime: 50 ws connections × 16 in flight',
  metrics: closedLoopMetrics('replies/s', 'RTT', 1),
  run: (ctx) => closedLoopFigures(ctx, 'prime', 16, 20_000),
  targets(m) {
    const l = m.loopscope?.perS ?? null;
    const b = m.baseline?.perS ?? null;
    const t = m.tornado?.perS ?? null;
    return [
      {
        target: 'prime ≥ 90 % of the baseline',
        met: l === null || b === null ? null : l >= 0.9 * b,
        measured: l === null || b === null ? 'n/a' : `${fmt((100 * l) / b, 0)} %`,
      },
      {
        target: 'prime ≥ 1.5× Tornado',
        met: l === null || t === null ? null : l >= 1.5 * t,
        measured: l === null || t === null ? 'n/a' : `${fmt(l / t, 2)}×`,
      },
      generatorKeptUp(m),
    ];
  },
};
