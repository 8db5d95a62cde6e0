/**
 * overhead: the cost of watching. Loopscope with its metrics sampler on and off under the same
 * closed-loop prime and hello loads; the ratio column is on/off. Judged on the server's CPU per
 * reply, which other processes on a shared machine disturb far less than throughput.
 */
import { measureClosedLoop } from './closed-loop-figures';
import { fmt, processCpuMs, type Figures, type Scenario, type TargetCheck } from './scenario';

export const overhead: Scenario = {
  name: 'overhead',
  title: 'overhead: Loopscope sampler on vs off',
  variants: [
    { label: 'sampler on', server: 'loopscope', options: { sampler: true } },
    { label: 'sampler off', server: 'loopscope', options: { sampler: false } },
  ],
  metrics: [
    { key: 'primePerS', label: 'prime replies/s (50×16)', digits: 0 },
    { key: 'primeP99Ms', label: 'prime RTT p99 ms', digits: 1 },
    { key: 'primeCpuUs', label: 'prime: server CPU µs per reply', digits: 1 },
    { key: 'helloPerS', label: 'hello requests/s (50)', digits: 0 },
    { key: 'helloP99Ms', label: 'hello p99 ms', digits: 2 },
    { key: 'helloCpuUs', label: 'hello: server CPU µs per reply', digits: 2 },
    { key: 'generatorP99Ms', label: 'load generator loop p99 ms (worst of both)', digits: 1 },
  ],
  async run({ server, quick }) {
    const timing = { warmupMs: quick ? 1000 : 2000, durationMs: quick ? 3000 : 10_000 };
    const common = { url: server.url, connections: 50, ...timing };
    const serverCpuMs = (): number => processCpuMs(server.pid);
    const p = await measureClosedLoop({ mode: 'prime', inFlight: 16, ...common }, serverCpuMs);
    const h = await measureClosedLoop({ mode: 'hello', inFlight: 1, ...common }, serverCpuMs);
    return {
      primePerS: p.perS,
      primeP99Ms: p.p99Ms,
      primeCpuUs: p.serverCpuUsPerReply,
      helloPerS: h.perS,
      helloP99Ms: h.p99Ms,
      helloCpuUs: h.serverCpuUsPerReply,
      generatorP99Ms: Math.max(p.generatorLoopP99Ms, h.generatorLoopP99Ms),
    };
  },
  targets(m) {
    const on: Figures = m['sampler on'] ?? {};
    const off: Figures = m['sampler off'] ?? {};
    const checks: TargetCheck[] = [];
    for (const [cpu, rate, what] of [
      ['primeCpuUs', 'primePerS', 'prime'],
      ['helloCpuUs', 'helloPerS', 'hello'],
    ] as const) {
      const a = on[cpu];
      const b = off[cpu];
      const ra = on[rate];
      const rb = off[rate];
      checks.push({
        target: `sampler overhead ≤ 3 % (${what}: server CPU per reply)`,
        met: a == null || b == null ? null : a <= 1.03 * b,
        measured:
          a == null || b == null
            ? 'n/a'
            : `${fmt((100 * (a - b)) / b, 1)} % CPU per reply; throughput ${ra == null || rb == null ? 'n/a' : fmt((100 * (rb - ra)) / rb, 1)} % lower`,
      });
    }
    return checks;
  },
};
