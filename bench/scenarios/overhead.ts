/**
 * overhead: the cost of watching. Loopscope with its metrics sampler on and off under the same
 * closed-loop prime and hello load; the ratio column is on/off.
 */
import { runClosedLoop } from '../load/closed-loop';
import { fmt, type Scenario } from './scenario';

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
    { key: 'helloPerS', label: 'hello requests/s (50)', digits: 0 },
    { key: 'helloP99Ms', label: 'hello p99 ms', digits: 2 },
  ],
  async run({ server, quick }) {
    const durationMs = quick ? 3000 : 10_000;
    const warmupMs = quick ? 1000 : 2000;
    const p = await runClosedLoop({
      mode: 'prime',
      url: server.url,
      connections: 50,
      inFlight: 16,
      warmupMs,
      durationMs,
    });
    const h = await runClosedLoop({
      mode: 'hello',
      url: server.url,
      connections: 50,
      inFlight: 1,
      warmupMs,
      durationMs,
    });
    return { primePerS: p.perS, primeP99Ms: p.p99Ms, helloPerS: h.perS, helloP99Ms: h.p99Ms };
  },
  targets(m) {
    const checks = [];
    for (const [key, what] of [
      ['primePerS', 'prime'],
      ['helloPerS', 'hello'],
    ] as const) {
      const on = m['sampler on']?.[key] ?? null;
      const off = m['sampler off']?.[key] ?? null;
      checks.push({
        target: `sampler overhead ≤ 3 % (${what} throughput)`,
        met: on === null || off === null ? null : on >= 0.97 * off,
        measured: on === null || off === null ? 'n/a' : `${fmt((100 * (off - on)) / off, 1)} %`,
      });
    }
    return checks;
  },
};
