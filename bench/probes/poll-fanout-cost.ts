/**
 * Probe for long-poll fan-out from the generator's side (issue 11): `serve` fresh, FOLLOWERS
 * long-poll followers in one generator process, then PUBLISHES publishes one at a time (each waits
 * for every delivery and for every poll to be held again). Prints delivery p50/p99, the
 * generator's worst loop p99 and its CPU per delivered message (/proc), with the load average.
 *
 *   node --import tsx bench/probes/poll-fanout-cost.ts [FOLLOWERS] [PUBLISHES]
 */
import { loadavg } from 'node:os';
import { epochNow } from '../../main/load/feed-tracker';
import { startServer } from '../servers';
import { kindOf, processCpuMs, serverStats, waitFor, withGenerator } from '../scenarios/scenario';

const FOLLOWERS = Number(process.argv[2] ?? 5000);
const PUBLISHES = Number(process.argv[3] ?? 10);

const server = await startServer('loopscope');
try {
  await withGenerator(
    server.url,
    async (g, health) => {
      await g.command({ type: 'spawn', kind: 'long-poll', count: FOLLOWERS });
      const held = () => serverStats(server.url).then((s) => (s.connections?.longPoll ?? 0) >= FOLLOWERS);
      await waitFor(held, 60_000);
      health.reset();
      const pid = g.pids()[0]!;
      const before = kindOf(g.latest(), 'long-poll')!.received;
      const cpu0 = processCpuMs(pid);
      const w0 = Number(process.hrtime.bigint() / 1000n);
      for (let n = 1; n <= PUBLISHES; n++) {
        const body = `{"t":${epochNow().toFixed(3)},"n":${n},"g":${process.pid}}`;
        const res = await fetch(`${server.url}/feed`, { method: 'POST', body });
        await res.arrayBuffer();
        await waitFor(
          () => (kindOf(g.latest(), 'long-poll')?.received ?? 0) >= before + FOLLOWERS * n,
          10_000,
        );
        await waitFor(held, 10_000);
      }
      const cpuMs = processCpuMs(pid) - cpu0;
      const w1 = Number(process.hrtime.bigint() / 1000n);
      const reportedAt = g.latest()!.time;
      await waitFor(() => g.latest()!.time > reportedAt, 2000);
      const k = kindOf(g.latest(), 'long-poll')!;
      const delivered = k.received - before;
      console.log(
        JSON.stringify({
          followers: FOLLOWERS,
          delivered,
          of: FOLLOWERS * PUBLISHES,
          deliveryP50Ms: k.cumulative?.delivery.p50Ms,
          deliveryP99Ms: k.cumulative?.delivery.p99Ms,
          generatorLoopP99Ms: +health.worstLoopP99Ms.toFixed(1),
          generatorCpuUsPerDelivery: +((cpuMs * 1000) / delivered).toFixed(1),
          missing: k.integrity.missing,
          failures: k.failures,
          windowUs: [w0, w1],
          loadavg: loadavg()
            .map((x) => x.toFixed(2))
            .join(' '),
        }),
      );
    },
    1,
  );
} finally {
  await server.stop();
}
