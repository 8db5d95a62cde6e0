/**
 * prime: 50 WebSocket connections, each keeping 16 prime questions in flight, for 20 s. The
 * server's ceiling for small frames with a little CPU each (BigInt Miller–Rabin in Node, Python
 * ints in Tornado), the question mix of Loopscope's own ws-prime clients.
 */
import { runClosedLoop } from '../load/closed-loop';
import { fmt, type Scenario } from './scenario';

export const prime: Scenario = {
  name: 'prime',
  title: 'prime: 50 ws connections × 16 in flight',
  metrics: [
    { key: 'perS', label: 'replies/s', digits: 0 },
    { key: 'p50Ms', label: 'RTT p50 ms', digits: 1 },
    { key: 'p99Ms', label: 'RTT p99 ms', digits: 1 },
    { key: 'cpuUs', label: 'server CPU µs per reply', digits: 1 },
    { key: 'wrong', label: 'wrong answers + errors', digits: 0 },
  ],
  async run({ server, quick }) {
    const r = await runClosedLoop(
      {
        mode: 'prime',
        url: server.url,
        connections: 50,
        inFlight: 16,
        warmupMs: quick ? 1000 : 2000,
        durationMs: quick ? 3000 : 20_000,
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
  },
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
    ];
  },
};
