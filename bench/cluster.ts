/**
 * `npx tsx bench/cluster.ts`: one server process against `serve --workers 2` (docs/protocol.md §10), side
 * by side in one run — hello (keep-alive GET /, 50 connections) and prime (50 WebSockets × 16 in
 * flight) — with the server's CPU per reply summed over every process it runs (primary, workers,
 * the spare and its private redis-server). The closed-loop client is Loopscope's load generator
 * (bench/scenarios/closed-loop-figures.ts), one process, on the same cores: on a 2-core machine
 * it competes with the workers, and its own loop p99 and CPU are printed beside the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { measureClosedLoop } from './scenarios/closed-loop-figures';
import { processTreeCpuMs } from './proc-cpu';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_MS = 120_000;

async function startServe(args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--no-dashboard', '--port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve ${args.join(' ')}: no URL in ${STARTUP_MS} ms`)),
      STARTUP_MS,
    );
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { proc, url };
}

const rows: string[] = [];
for (const [label, args] of [
  ['1 process', []],
  ['--workers 2', ['--workers', '2']],
] as const) {
  const { proc, url } = await startServe([...args]);
  for (const [mode, inFlight] of [
    ['hello', 1],
    ['prime', 16],
  ] as const) {
    const r = await measureClosedLoop(
      { mode, url, connections: 50, inFlight, warmupMs: 3000, durationMs: 10_000 },
      () => processTreeCpuMs(proc.pid!),
    );
    rows.push(
      `| ${mode} | ${label} | ${Math.round(r.perS)} | ${r.p50Ms?.toFixed(1)} | ${r.p99Ms?.toFixed(1)} | ${r.serverCpuUsPerReply?.toFixed(0)} | ${r.errors} | ${r.wrong} | ${r.generatorLoopP99Ms.toFixed(1)} / ${r.generatorCpuPct.toFixed(0)} % |`,
    );
    console.error(rows[rows.length - 1]);
  }
  const exit = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exit;
}
console.log(
  '| load | server | replies/s | p50 ms | p99 ms | server CPU µs/reply (all processes) | errors | wrong | generator loop p99 / CPU |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
