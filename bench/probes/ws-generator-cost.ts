/**
 * Probe for the generator's WebSocket cost (issue 11): `serve` fresh, one generator process with
 * CLIENTS ws-prime clients at 1 msg/s each, then generator CPU-s per 10k messages over SECONDS from
 * /proc (user and system apart), plus the idle generator's CPU before any client. `windowUs` is the
 * measured window on the monotonic clock in µs, the clock of a `--cpu-prof` profile's timestamps,
 * so a profile of the generator can be cut to it.
 *
 *   node --import tsx bench/probes/ws-generator-cost.ts [CLIENTS] [SECONDS] [KIND]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startLoadGenerator } from '../../main/load/controller';
import { startServer } from '../servers';
import { kindOf, sleep, waitFor } from '../scenarios/scenario';

const CLIENTS = Number(process.argv[2] ?? 5000);
const SECONDS = Number(process.argv[3] ?? 10);
const KIND = (process.argv[4] ?? 'ws-prime') as 'ws-prime' | 'ws-echo';

function cpuMs(pid: number): number {
  const [u, s] = userSys(pid);
  return u + s;
}
/** utime and stime of a process in ms (/proc/<pid>/stat, 100 ticks a second). */
function userSys(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * 10, Number(f[12]) * 10];
}

const server = await startServer('loopscope');
const g = await startLoadGenerator({ target: server.url, reportIntervalMs: 250, processes: 1 });
try {
  const pid = g.pids()[0]!;
  await sleep(2000);
  const idle0 = cpuMs(pid);
  await sleep(5000);
  const idleMsPerS = (cpuMs(pid) - idle0) / 5;
  await g.command({ type: 'spawn', kind: KIND, count: CLIENTS, options: { intervalMs: 1000 } });
  await waitFor(() => {
    const k = kindOf(g.latest(), KIND);
    return k !== null && k.pending === 0 && k.active >= CLIENTS * 0.99;
  }, 60_000);
  await sleep(2000);
  const before = kindOf(g.latest(), KIND)!;
  const c0 = cpuMs(pid);
  const us0 = userSys(pid);
  const windowStartUs = Number(process.hrtime.bigint() / 1000n);
  const t0 = performance.now();
  let worstLoop = 0;
  const off = g.onReport((r) => (worstLoop = Math.max(worstLoop, r.generator.eventLoopP99Ms)));
  await sleep(SECONDS * 1000);
  off();
  const windowEndUs = Number(process.hrtime.bigint() / 1000n);
  const after = kindOf(g.latest(), KIND)!;
  const cpu = cpuMs(pid) - c0;
  const us1 = userSys(pid);
  const msgs = after.received - before.received;
  console.log(
    JSON.stringify({
      kind: KIND,
      clients: after.active,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
      messages: msgs,
      cpuS: cpu / 1000,
      cpuSPer10k: +((cpu / 1000) * (10_000 / msgs)).toFixed(3),
      userS: (us1[0] - us0[0]) / 1000,
      sysS: (us1[1] - us0[1]) / 1000,
      idleCpuMsPerS: idleMsPerS,
      wrong: after.integrity.wrong,
      failures: after.failures,
      rttP99Ms: after.rtt.p99Ms,
      worstLoopP99Ms: worstLoop,
      windowUs: [windowStartUs, windowEndUs],
      loadavg: loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    }),
  );
} finally {
  await g.close();
  await server.stop();
}
