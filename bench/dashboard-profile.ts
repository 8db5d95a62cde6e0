/**
 * `node --import tsx bench/dashboard-profile.ts [clients] [seconds]`: where the dashboard's main
 * thread spends its time in the 1 min window (issue 11). A real `serve`, Debian's Chromium on its
 * dashboard, `clients` simulated clients (as bench/dashboard-cost.ts spawns them); once the 1 min
 * window holds a minute of 1 s samples, the CDP Profiler samples the page for `seconds` and the
 * functions with the most self time are printed, grouped by script.
 */
import { openDashboard, snapshotCount as snapshots, spawnClientMix, waitFor } from '../test/e2e/harness';

const clients = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 20);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

async function main(): Promise<void> {
  const { serve, context, page } = await openDashboard();
  try {
    if (clients > 0) await spawnClientMix(page, clients);
    console.error('clients spawned');
    await waitFor(
      'a minute of samples',
      () => snapshots(page),
      (n) => n >= 62,
      180_000,
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => {
      const { metrics: list } = (await cdp.send('Performance.getMetrics')) as {
        metrics: { name: string; value: number }[];
      };
      return new Map(list.map((m) => [m.name, m.value]));
    };
    const m0 = await metrics();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: Profile };
    const m1 = await metrics();
    const span = (m1.get('Timestamp') ?? 0) - (m0.get('Timestamp') ?? 0);
    for (const name of ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration']) {
      const d = ((m1.get(name) ?? 0) - (m0.get(name) ?? 0)) / span;
      console.log(`${name}: ${(d * 1000).toFixed(0)} ms/s`);
    }
    console.log(
      `load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    );
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const byFn = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const n = byId.get(id);
      if (!n) continue;
      const name = n.callFrame.functionName || '(anonymous)';
      if (name === '(idle)' || name === '(program)') continue;
      busy += us;
      const key = `${name} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
    const wall = profile.endTime - profile.startTime;
    console.log(
      `busy (JS + GC, no idle/program) ${((busy / wall) * 1000).toFixed(0)} ms/s over ${(wall / 1e6).toFixed(1)} s`,
    );
    for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`${((us / wall) * 1000).toFixed(2).padStart(7)} ms/s  ${k}`);
    }
  } finally {
    await context.close();
    await serve.stop();
  }
}

await main();
