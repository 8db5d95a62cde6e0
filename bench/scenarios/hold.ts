/**
 * hold: many idle connections held open with the server's heartbeat running. 10,000 WebSockets for
 * 60 s, then a mix of 4,000 ws-prime + 3,000 SSE + 3,000 long-poll for 30 s. Memory per connection
 * is the server's RSS growth divided by the connections (VmRSS of the child, the same for all three);
 * each phase starts on a fresh server.
 */
import type { ClientKind, KindOptions } from '../../common/load';
import type { LoadController } from '../../main/load/controller';
import {
  failureCount,
  fmt,
  kindOf,
  sleep,
  waitFor,
  withGenerator,
  type Figures,
  type Scenario,
  type ScenarioContext,
} from './scenario';

interface Group {
  kind: ClientKind;
  count: number;
  options?: KindOptions;
}

const CONNECT_MS = 120_000;

function totals(g: LoadController, groups: Group[]): { active: number; failures: number; pending: number } {
  const report = g.latest();
  let active = 0;
  let failures = 0;
  let pending = 0;
  for (const { kind } of groups) {
    const k = kindOf(report, kind);
    active += k?.active ?? 0;
    pending += k?.pending ?? 0;
    failures += failureCount(k);
  }
  return { active, failures, pending };
}

async function holdPhase(
  ctx: ScenarioContext,
  prefix: string,
  groups: Group[],
  holdS: number,
): Promise<Figures> {
  const { server } = ctx;
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  return withGenerator(server.url, async (g, health) => {
    await server.loop(); // start a fresh lag window
    const rssBefore = server.rssBytes();
    const started = performance.now();
    for (const { kind, count, options } of groups) {
      await g.command({ type: 'spawn', kind, count, rampPerS: 0, ...(options ? { options } : {}) });
    }
    const allUp = await waitFor(() => {
      const t = totals(g, groups);
      return t.active >= total || (t.pending === 0 && t.active + t.failures >= total);
    }, CONNECT_MS);
    const connectS = allUp ? (performance.now() - started) / 1000 : null;
    ctx.log(
      `  ${prefix}: ${totals(g, groups).active}/${total} connected${connectS === null ? '' : ` in ${fmt(connectS, 1)} s`}, holding ${holdS} s`,
    );

    await server.loop();
    health.reset();
    const p99s: number[] = [];
    let lagMax = 0;
    let lowest = total;
    const holdUntil = Date.now() + holdS * 1000;
    while (Date.now() < holdUntil) {
      await sleep(Math.min(1000, Math.max(0, holdUntil - Date.now())));
      const loop = await server.loop();
      if (loop) {
        p99s.push(loop.p99Ms);
        lagMax = Math.max(lagMax, loop.maxMs);
      }
      lowest = Math.min(lowest, totals(g, groups).active);
    }
    const rssAfter = server.rssBytes();
    const end = totals(g, groups);
    return {
      [`${prefix}.connected`]: end.active,
      [`${prefix}.lowest`]: lowest,
      [`${prefix}.failures`]: end.failures,
      [`${prefix}.connectS`]: connectS,
      [`${prefix}.kbPerConn`]: (rssAfter - rssBefore) / total / 1024,
      [`${prefix}.loopP99Ms`]: p99s.length > 0 ? Math.max(...p99s) : null,
      [`${prefix}.loopMaxMs`]: p99s.length > 0 ? lagMax : null,
      [`${prefix}.generatorP99Ms`]: health.worstLoopP99Ms,
    };
  });
}

export const hold: Scenario = {
  name: 'hold',
  title: 'hold: 10,000 idle WebSockets, then a 4,000 ws + 3,000 SSE + 3,000 long-poll mix',
  metrics: [
    { key: 'ws.connected', label: 'ws: connected at the end', digits: 0 },
    { key: 'ws.lowest', label: 'ws: fewest connected while holding', digits: 0 },
    { key: 'ws.failures', label: 'ws: failures', digits: 0 },
    { key: 'ws.connectS', label: 'ws: seconds to connect all', digits: 2 },
    { key: 'ws.kbPerConn', label: 'ws: server KB per connection', digits: 2 },
    { key: 'ws.loopP99Ms', label: 'ws: loop lag p99 ms (worst 1 s)', digits: 1 },
    { key: 'ws.loopMaxMs', label: 'ws: loop lag max ms', digits: 1 },
    { key: 'ws.generatorP99Ms', label: 'ws: load generator loop p99 ms (worst)', digits: 1 },
    { key: 'mix.connected', label: 'mix: connected at the end', digits: 0 },
    { key: 'mix.failures', label: 'mix: failures', digits: 0 },
    { key: 'mix.connectS', label: 'mix: seconds to connect all', digits: 2 },
    { key: 'mix.kbPerConn', label: 'mix: server KB per connection', digits: 2 },
    { key: 'mix.loopP99Ms', label: 'mix: loop lag p99 ms (worst 1 s)', digits: 1 },
    { key: 'mix.loopMaxMs', label: 'mix: loop lag max ms', digits: 1 },
    { key: 'mix.generatorP99Ms', label: 'mix: load generator loop p99 ms (worst)', digits: 1 },
  ],
  async run(ctx) {
    const scale = ctx.quick ? 10 : 1;
    const ws = await holdPhase(
      ctx,
      'ws',
      [{ kind: 'ws-prime', count: 10_000 / scale, options: { intervalMs: 0 } }],
      ctx.quick ? 3 : 60,
    );
    // A fresh server: memory per connection must not be masked by what the first phase left behind.
    await ctx.fresh();
    const mix = await holdPhase(
      ctx,
      'mix',
      [
        { kind: 'ws-prime', count: 4000 / scale, options: { intervalMs: 0 } },
        { kind: 'sse', count: 3000 / scale },
        { kind: 'long-poll', count: 3000 / scale },
      ],
      ctx.quick ? 3 : 30,
    );
    return { ...ws, ...mix };
  },
  targets(m, quick) {
    const l = m.loopscope ?? {};
    const expected = quick ? 1000 : 10_000;
    return [
      {
        target: `hold ${expected} WebSockets with 0 failures`,
        met:
          l['ws.connected'] == null
            ? null
            : l['ws.connected'] === expected && l['ws.lowest'] === expected && l['ws.failures'] === 0,
        measured: `${fmt(l['ws.connected'], 0)} connected, ${fmt(l['ws.failures'], 0)} failures`,
      },
      {
        target: '≤ 10 KB server memory per idle WebSocket',
        met: l['ws.kbPerConn'] == null ? null : l['ws.kbPerConn'] <= 10,
        measured: `${fmt(l['ws.kbPerConn'], 2)} KB`,
      },
    ];
  },
};
