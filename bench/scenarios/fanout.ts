/**
 * fanout: 5,000 followers on one transport (long poll, WebSocket, SSE), then 10 publishes, one at a
 * time. Delivery latency is measured by the generator's followers from the publish time the payload
 * carries (the same format its publisher kind uses); every follower must get every message once.
 */
import type { ClientKind } from '../../common/load';
import { epochNow } from '../../main/load/feed-tracker';
import {
  fmt,
  kindOf,
  processCpuMs,
  serverStats,
  waitFor,
  withGenerator,
  type Figures,
  type Metric,
  type Scenario,
} from './scenario';

const TRANSPORTS = [
  { kind: 'long-poll', key: 'poll', stat: 'longPoll' },
  { kind: 'ws-feed', key: 'ws', stat: 'wsFeed' },
  { kind: 'sse', key: 'sse', stat: 'sse' },
] as const satisfies readonly { kind: ClientKind; key: string; stat: string }[];

const PUBLISHES = 10;
const SETTLE_MS = 60_000;
const DELIVER_MS = 10_000;
/**
 * One generator process: one core for the clients, one for the server. Two processes were tried and
 * did not lower the figures on two cores; the generator's own loop p99 is in the table instead.
 */
const GENERATOR_PROCESSES = 1;

async function publish(url: string, n: number): Promise<void> {
  // The generator's payload format: {"t": publish time in epoch ms, "n", "g"}.
  const body = `{"t":${epochNow().toFixed(3)},"n":${n},"g":${process.pid}}`;
  const res = await fetch(`${url}/feed`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`POST /feed answered ${res.status}`);
  await res.arrayBuffer();
}

export const fanout: Scenario = {
  name: 'fanout',
  title: 'fanout: 10 publishes to 5,000 followers per transport',
  metrics: TRANSPORTS.flatMap(({ key }): Metric[] => [
    { key: `${key}.p50Ms`, label: `${key}: delivery p50 ms`, digits: 1 },
    { key: `${key}.p99Ms`, label: `${key}: delivery p99 ms`, digits: 1 },
    { key: `${key}.maxMs`, label: `${key}: delivery max ms`, digits: 1 },
    { key: `${key}.missing`, label: `${key}: missing`, digits: 0 },
    { key: `${key}.duplicated`, label: `${key}: duplicated / out of order`, digits: 0 },
    { key: `${key}.generatorP99Ms`, label: `${key}: load generator loop p99 ms (worst)`, digits: 1 },
    {
      key: `${key}.generatorCpuUs`,
      label: `${key}: load generator CPU µs per delivered message`,
      digits: 1,
    },
  ]),
  async run({ server, quick, log }) {
    const followers = quick ? 500 : 5000;
    const figures: Figures = {};
    for (const { kind, key, stat } of TRANSPORTS) {
      await withGenerator(
        server.url,
        async (g, health) => {
          await g.command({ type: 'spawn', kind, count: followers, rampPerS: 0 });
          const held = () => serverStats(server.url).then((s) => (s.connections?.[stat] ?? 0) >= followers);
          if (!(await waitFor(held, SETTLE_MS))) log(`  ${key}: not all ${followers} followers were held`);
          health.reset();
          // The generator's CPU over the publishes: what each delivery cost it, whatever the machine's load.
          const pids = g.pids();
          const receivedBefore = kindOf(g.latest(), kind)?.received ?? 0;
          const cpuBefore = pids.reduce((t, pid) => t + processCpuMs(pid), 0);
          for (let n = 1; n <= PUBLISHES; n++) {
            await publish(server.url, n);
            const want = followers * n;
            await waitFor(() => (kindOf(g.latest(), kind)?.received ?? 0) >= want, DELIVER_MS);
            // Long polls must be back before the next publish, or the next one is backlog, not fan-out.
            await waitFor(held, DELIVER_MS);
          }
          // One more report so the cumulative figures include the last deliveries.
          const reportedAt = g.latest()?.time ?? 0;
          await waitFor(() => (g.latest()?.time ?? 0) > reportedAt, 2000);
          const cpuMs = pids.reduce((t, pid) => t + processCpuMs(pid), 0) - cpuBefore;
          const k = kindOf(g.latest(), kind);
          const received = k?.received ?? 0;
          const delivered = received - receivedBefore;
          figures[`${key}.generatorCpuUs`] = delivered > 0 ? (cpuMs * 1000) / delivered : null;
          const delivery = k?.cumulative?.delivery ?? k?.delivery;
          figures[`${key}.p50Ms`] = delivery?.count ? delivery.p50Ms : null;
          figures[`${key}.p99Ms`] = delivery?.count ? delivery.p99Ms : null;
          figures[`${key}.maxMs`] = delivery?.count ? delivery.maxMs : null;
          figures[`${key}.missing`] = Math.max(k?.integrity.missing ?? 0, followers * PUBLISHES - received);
          figures[`${key}.duplicated`] = (k?.integrity.duplicated ?? 0) + (k?.integrity.outOfOrder ?? 0);
          figures[`${key}.generatorP99Ms`] = health.worstLoopP99Ms;
          log(
            `  ${key}: ${received}/${followers * PUBLISHES} delivered, p99 ${fmt(figures[`${key}.p99Ms`])} ms, ` +
              `generator loop p99 ${fmt(health.worstLoopP99Ms)} ms, ` +
              `${fmt(figures[`${key}.generatorCpuUs`])} µs generator CPU per delivery`,
          );
        },
        GENERATOR_PROCESSES,
      );
    }
    return figures;
  },
  targets(m) {
    const l = m.loopscope ?? {};
    return TRANSPORTS.map(({ key }) => {
      const p99 = l[`${key}.p99Ms`];
      const lost = (l[`${key}.missing`] ?? 0) + (l[`${key}.duplicated`] ?? 0);
      return {
        target: `fan-out (${key}) p99 ≤ 250 ms, nothing lost or duplicated`,
        met: p99 == null ? null : p99 <= 250 && lost === 0,
        measured: `p99 ${fmt(p99)} ms, ${fmt(l[`${key}.missing`], 0)} missing, ${fmt(l[`${key}.duplicated`], 0)} duplicated`,
      };
    });
  },
};
