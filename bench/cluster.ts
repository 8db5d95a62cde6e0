/**
 * `npx tsx bench/cluster.ts`: one server process against `serve --workers 2` (docs/protocol.md §10), side
 * by side in one run — hello (keep-alive GET /, 50 connections) and prime (50 WebSockets × 16 in
 * flight) — with the server's CPU per reply summed over every process it runs (primary, workers,
 * the spare and its private redis-server). The closed-loop client is Loopscope's load generator
 * (bench/scenarios/closed-loop-figures.ts), one process, on the same cores: on a 2-core machine
 * it competes with the workers, and its own loop p99 and CPU are printed beside the figures.
 */
import { measureClosedLoop } from './scenarios/closed-loop-figures';
import { processTreeCpuMs } from './proc-cpu';
import { startServer } from './servers';

const STARTUP_MS = 120_000;

const rows: string[] = [];
for (const [label, args] of [
  ['1 process', []],
  ['--workers 2', ['--workers', '2']],
] as const) {
  const server = await startServer('loopscope', { args: [...args], startupMs: STARTUP_MS });
  const url = server.url;
  for (const [mode, inFlight] of [
    ['hello', 1],
    ['prime', 16],
  ] as const) {
    const r = await measureClosedLoop(
      { mode, url, connections: 50, inFlight, warmupMs: 3000, durationMs: 10_000 },
      () => processTreeCpuMs(server.pid),
    );
    rows.push(
      `| ${mode} | ${label} | ${Math.round(r.perS)} | ${r.p50Ms?.toFixed(1)} | ${r.p99Ms?.toFixed(1)} | ${r.serverCpuUsPerReply?.toFixed(0)} | ${r.errors} | ${r.wrong} | ${r.generatorLoopP99Ms.toFixed(1)} / ${r.generatorCpuPct.toFixed(0)} % |`,
    );
    console.error(rows[rows.length - 1]);
  }
  await server.stop();
}
console.log(
  '| load | server | replies/s | p50 ms | p99 ms | server CPU µs/reply (all processes) | errors | wrong | generator loop p99 / CPU |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
