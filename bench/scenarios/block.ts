/**
 * block: bcrypt cost 12, one hash after another, on the event loop and then on the worker pool,
 * while 1,000 ws-prime clients each ask one question a second. What the other clients feel (their
 * round-trip p99) and what the loop feels (Loopscope's own lag figures). Loopscope only: the
 * baseline has no /bcrypt, and Debian's python3 here has no bcrypt module for a Tornado version.
 */
import {
  fmt,
  kindOf,
  serverStats,
  sleep,
  waitFor,
  withGenerator,
  type Figures,
  type Scenario,
} from './scenario';

const MODES = ['loop', 'pool'] as const;

export const block: Scenario = {
  name: 'block',
  title: 'block: bcrypt cost 12 on the loop vs on the pool, 1,000 clients pinging',
  variants: [{ label: 'loopscope', server: 'loopscope' }],
  metrics: MODES.flatMap((mode) => [
    { key: `${mode}.hashes`, label: `${mode}: hashes done`, digits: 0 },
    { key: `${mode}.loopMaxMs`, label: `${mode}: worst loop delay ms`, digits: 1 },
    { key: `${mode}.loopP99Ms`, label: `${mode}: loop delay p99 ms (worst 1 s)`, digits: 1 },
    { key: `${mode}.rttP99Ms`, label: `${mode}: other clients' RTT p99 ms (worst 250 ms)`, digits: 1 },
    { key: `${mode}.rttMaxMs`, label: `${mode}: other clients' RTT max ms`, digits: 1 },
    { key: `${mode}.generatorP99Ms`, label: `${mode}: load generator loop p99 ms (worst)`, digits: 1 },
  ]),
  async run({ server, quick, log }) {
    const clients = quick ? 200 : 1000;
    const phaseMs = quick ? 4000 : 10_000;
    const figures: Figures = {};
    for (const mode of MODES) {
      await withGenerator(server.url, async (g, health) => {
        // One client first makes the generator build its question pool (a stall of its own); then
        // the rest join and settle, so the measured windows hold only steady pinging.
        const spawn = (count: number) =>
          g.command({ type: 'spawn', kind: 'ws-prime', count, rampPerS: 0, options: { intervalMs: 1000 } });
        await spawn(1);
        await waitFor(() => (kindOf(g.latest(), 'ws-prime')?.received ?? 0) >= 1, 30_000);
        await spawn(clients - 1);
        await waitFor(() => (kindOf(g.latest(), 'ws-prime')?.active ?? 0) >= clients, 30_000);
        await sleep(2000);
        await serverStats(server.url); // fresh window
        health.reset();
        // The generator's cumulative figures include connecting; judge the phase by its own windows.
        let rttP99 = 0;
        let rttMax = 0;
        const off = g.onReport((r) => {
          const rtt = r.kinds['ws-prime'].rtt;
          if (rtt.count === 0) return;
          rttP99 = Math.max(rttP99, rtt.p99Ms);
          rttMax = Math.max(rttMax, rtt.maxMs);
        });
        let hashes = 0;
        let loopMax = 0;
        let loopP99 = 0;
        const until = Date.now() + phaseMs;
        const hashing = (async () => {
          while (Date.now() < until) {
            const res = await fetch(`${server.url}/bcrypt?cost=12&mode=${mode}`, {
              method: 'POST',
              body: 'correct horse battery staple',
              signal: AbortSignal.timeout(30_000),
            });
            if (!res.ok) throw new Error(`POST /bcrypt answered ${res.status}: ${await res.text()}`);
            await res.arrayBuffer();
            hashes++;
          }
        })();
        // /stats is itself stuck behind a loop-mode hash, which is the point: it reports the stall after.
        while (Date.now() < until + 1000) {
          const stats = await serverStats(server.url);
          loopMax = Math.max(loopMax, stats.eventLoop?.maxMs ?? 0);
          loopP99 = Math.max(loopP99, stats.eventLoop?.p99Ms ?? 0);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        await hashing;
        off();
        figures[`${mode}.hashes`] = hashes;
        figures[`${mode}.loopMaxMs`] = loopMax;
        figures[`${mode}.loopP99Ms`] = loopP99;
        figures[`${mode}.rttP99Ms`] = rttP99;
        figures[`${mode}.rttMaxMs`] = rttMax;
        figures[`${mode}.generatorP99Ms`] = health.worstLoopP99Ms;
        log(
          `  ${mode}: ${hashes} hashes, loop max ${fmt(loopMax)} ms, clients' p99 ${fmt(figures[`${mode}.rttP99Ms`])} ms`,
        );
      });
    }
    return figures;
  },
};
