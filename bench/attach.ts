/**
 * `node --import tsx bench/attach.ts [--blocks N] [--runs N] [--seconds S]`: the figures of issue 13.
 *
 * 1. Naming and detection: the attach test's target (ESM + CommonJS, started without --inspect)
 *    blocks its loop N times for 200–400 ms in spinEsm or spinCjs, and now and then in bcrypt; for
 *    each block, did `attach --json` report a stall named by that function with its file and line,
 *    and how long after the stall began did it notice (`detectedAfterMs`)?
 * 2. Cost: keep-alive GET / against the bench's baseline server (bench/baseline-server.ts),
 *    unwatched vs watched by attach, in pairs whose order alternates (--runs pairs, default 6):
 *    the target's CPU per reply (from /proc, robust to what else the machine runs) and its
 *    replies per second, medians and the median of the per-pair ratios, with the load average.
 *
 * 3. What §12's diagnosis costs (--diagnosis): the same pairs, both watched, one by
 *    `attach --no-diagnosis` (stalls and samples only) and one with the diagnosis probes.
 * 4. False episodes (--false-minutes M): the baseline server watched with diagnosis on for M
 *    minutes idle, then M minutes under a steady paced load (200 GET/s); every `diagnosis` line is
 *    a false one there, given per hour.
 *
 * Prints a small table; the machine it runs on is shared, so say so with the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg as osLoadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AttachStall } from '../common/attach';
import { culpritFrame } from '../common/stalls';
import { startAttach as startAttachCli, type LiveAttach } from '../test/fixtures/attach-stress';
import { processCpuMs } from './proc-cpu';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    blocks: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    'no-naming': { type: 'boolean' },
    'no-throughput': { type: 'boolean' },
    diagnosis: { type: 'boolean' },
    'false-minutes': { type: 'string' },
  },
});
const BLOCKS = Number(values.blocks ?? 40);
const RUNS = Number(values.runs ?? 6);
const SECONDS = Number(values.seconds ?? 10);

const loadavg = (): string =>
  osLoadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** Every child this bench started, killed if it ends early (a leftover target keeps its inspector). */
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startProcess(
  args: string[],
  ready: RegExp,
): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  await waitFor(() => ready.test(out), `${args.join(' ')} to be ready`);
  return { proc, match: ready.exec(out)! };
}

/** attach --json on the target, its events parsed as they come (the tests' reader). */
function startAttach(pid: number, extra: string[] = []): LiveAttach {
  const live = startAttachCli(['--pid', String(pid), '--json', ...extra]);
  children.push(live.proc);
  return live;
}

async function detach(a: { proc: ChildProcess }): Promise<void> {
  a.proc.kill('SIGTERM');
  await once(a.proc, 'exit');
}

function get(agent: Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function naming(): Promise<void> {
  const { proc: target, match } = await startProcess(
    ['test/fixtures/attach-target/server.mjs'],
    /listening (\d+)/,
  );
  const base = `http://127.0.0.1:${match[1]}`;
  const a = startAttach(target.pid!);
  await waitFor(() => a.events.some((e) => e.type === 'attached'), 'attached');
  const agent = new Agent({ keepAlive: true });
  const results: Array<{ fn: string; named: boolean; detectedAfterMs: number | null }> = [];
  for (let i = 0; i < BLOCKS; i++) {
    const kind = i % 10 === 9 ? 'native' : i % 2 === 0 ? 'esm' : 'cjs';
    const fn = { esm: 'spinEsm', cjs: 'spinCjs', native: 'hashNative' }[kind];
    const file = kind === 'esm' ? 'server.mjs' : 'blockers.cjs';
    const ms = 200 + Math.round(Math.random() * 200);
    const sentAt = Date.now();
    await get(agent, `${base}/block?fn=${kind}&ms=${ms}&cost=12`);
    const doneAt = Date.now();
    // The stall of this block: the reported one that overlaps the request the most (on a loaded
    // machine other stalls, with no code of the target running, are reported around it).
    const overlap = (e: AttachStall): number =>
      Math.min(doneAt, e.startedAt + e.durationMs) - Math.max(sentAt, e.startedAt);
    const stallOf = (): AttachStall | undefined =>
      a.events
        .filter((e): e is AttachStall => e.type === 'stall' && e.durationMs >= 200 && overlap(e) > 100)
        .sort((x, y) => overlap(y) - overlap(x))[0];
    try {
      await waitFor(() => stallOf() !== undefined, `the stall of block ${i}`, 5_000);
    } catch {
      results.push({ fn, named: false, detectedAfterMs: null });
      continue;
    }
    const s = stallOf()!;
    const c = culpritFrame(s);
    if (process.env.BENCH_VERBOSE)
      console.log(fn, s.stackFrom, JSON.stringify(c), s.durationMs, s.detectedAfterMs);
    results.push({
      fn,
      named: c?.functionName === fn && c.url.endsWith(`/attach-target/${file}`) && c.lineNumber > 0,
      detectedAfterMs: s.detectedAfterMs,
    });
    // Let the target's loop settle between blocks (and the profiler restart).
    await new Promise((r) => setTimeout(r, 300));
  }
  agent.destroy();
  await detach(a);
  target.kill();
  const detections = results.flatMap((r) => (r.detectedAfterMs === null ? [] : [r.detectedAfterMs]));
  const named = results.filter((r) => r.named).length;
  console.log(
    `naming: ${named}/${results.length} blocks of 200–400 ms named by function and file:line (${((100 * named) / results.length).toFixed(1)} %)`,
  );
  for (const fn of ['spinEsm', 'spinCjs', 'hashNative']) {
    const of = results.filter((r) => r.fn === fn);
    console.log(`  ${fn}: ${of.filter((r) => r.named).length}/${of.length}`);
  }
  console.log(
    `detection: median ${percentile(detections, 50).toFixed(1)} ms, p95 ${percentile(detections, 95).toFixed(1)} ms, ` +
      `max ${Math.max(...detections).toFixed(1)} ms; ≤ 150 ms: ${detections.filter((d) => d <= 150).length}/${detections.length}`,
  );
}

interface Run {
  perS: number;
  /** The target's CPU per reply: what watching costs it, whatever else the machine runs. */
  cpuUsPerReply: number;
}

/** 32 keep-alive GETs in flight until `end`; returns how many were answered. */
async function drive(agent: Agent, url: string, end: number): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < end) {
        await get(agent, url);
        done++;
      }
    }),
  );
  return done;
}

/** Unwatched, or watched by attach with `watched` as its extra flags. */
async function throughputOnce(watched: false | string[]): Promise<Run> {
  const { proc: target, match } = await startProcess(
    ['--import', 'tsx', 'bench/baseline-server.ts', '--port', '0'],
    /listening (http:\S+)/,
  );
  const base = match[1]!;
  const pid = target.pid!;
  let a: ReturnType<typeof startAttach> | null = null;
  if (watched) {
    a = startAttach(pid, watched);
    await waitFor(() => a!.events.some((e) => e.type === 'attached'), 'attached');
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  // A warm-up second (JIT, sockets, the profiler's first restart), then the measured window.
  await drive(agent, `${base}/`, Date.now() + 1000);
  const cpu0 = processCpuMs(pid) * 1000;
  const t0 = performance.now();
  const replies = await drive(agent, `${base}/`, Date.now() + (SECONDS - 1) * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = processCpuMs(pid) * 1000 - cpu0;
  agent.destroy();
  if (a) await detach(a);
  target.kill();
  await once(target, 'exit');
  return { perS: replies / seconds, cpuUsPerReply: cpu / replies };
}

/** Pairs of runs, `a` against `b`, the order alternating so a drift of the load falls on both. */
async function pairs(a: false | string[], b: false | string[], names: [string, string]): Promise<void> {
  const off: Run[] = [];
  const on: Run[] = [];
  const load0 = loadavg();
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      off.push(await throughputOnce(a));
      on.push(await throughputOnce(b));
    } else {
      on.push(await throughputOnce(b));
      off.push(await throughputOnce(a));
    }
  }
  const load1 = loadavg();
  const m = (xs: number[]): number => percentile(xs, 50);
  const perS = (rs: Run[]): number[] => rs.map((r) => r.perS);
  const cpu = (rs: Run[]): number[] => rs.map((r) => r.cpuUsPerReply);
  const pairCpu = on.map((r, i) => r.cpuUsPerReply / off[i]!.cpuUsPerReply);
  const pairRate = on.map((r, i) => r.perS / off[i]!.perS);
  const list = (xs: number[], d = 0): string => xs.map((x) => x.toFixed(d)).join(', ');
  const [nameA, nameB] = names.map((n) => n.padEnd(Math.max(names[0].length, names[1].length)));
  const pad = ' '.repeat(26);
  console.log(
    `throughput (GET / keep-alive on bench/baseline-server.ts, 32 in flight, ${SECONDS} s runs of which ` +
      `${SECONDS - 1} s measured, ${RUNS} interleaved pairs; load average ${load0} → ${load1}):`,
  );
  console.log(`  target CPU µs per reply: ${nameA} ${m(cpu(off)).toFixed(1)} [${list(cpu(off), 1)}]`);
  console.log(`${pad}${nameB} ${m(cpu(on)).toFixed(1)} [${list(cpu(on), 1)}]`);
  console.log(
    `    ${names[1]}/${names[0]}, median of pairs: ${(100 * m(pairCpu)).toFixed(1)} % [${list(
      pairCpu.map((x) => 100 * x),
      1,
    )}]`,
  );
  console.log(`  replies/s: ${nameA} ${m(perS(off)).toFixed(0)} [${list(perS(off))}]`);
  console.log(`             ${nameB} ${m(perS(on)).toFixed(0)} [${list(perS(on))}]`);
  console.log(
    `    ${names[1]}/${names[0]}, median of pairs: ${(100 * m(pairRate)).toFixed(1)} % [${list(
      pairRate.map((x) => 100 * x),
      1,
    )}]`,
  );
}

/** Paced GETs (no more than `perS` a second) until `end`: a steadily loaded server. */
async function paced(agent: Agent, url: string, perS: number, end: number): Promise<number> {
  let sent = 0;
  const start = Date.now();
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - start) / 1000) * perS);
    const batch: Promise<void>[] = [];
    for (; sent < due; sent++) batch.push(get(agent, url).catch(() => undefined));
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, 10));
  }
  return sent;
}

async function falseEpisodes(minutes: number): Promise<void> {
  const { proc: target, match } = await startProcess(
    ['--import', 'tsx', 'bench/baseline-server.ts', '--port', '0'],
    /listening (http:\S+)/,
  );
  const a = startAttach(target.pid!);
  await waitFor(() => a.events.some((e) => e.type === 'attached'), 'attached');
  const count = (): number => a.events.filter((e) => e.type === 'diagnosis' && e.endedAt === null).length;
  const load0 = loadavg();
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  const idle = count();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const sent = await paced(agent, `${match[1]!}/`, 200, Date.now() + minutes * 60_000);
  const loaded = count() - idle;
  agent.destroy();
  await detach(a);
  target.kill();
  const perHour = (n: number): string => ((n * 60) / minutes).toFixed(1);
  const causes = a.events.flatMap((e) => (e.type === 'diagnosis' && e.endedAt === null ? [e.cause] : []));
  console.log(
    `false episodes (baseline server watched with diagnosis on; load average ${load0} → ${loadavg()}): ` +
      `idle ${idle} in ${minutes} min (${perHour(idle)}/h); at 200 GET/s (${sent} sent) ${loaded} in ${minutes} min ` +
      `(${perHour(loaded)}/h)${causes.length ? `; causes: ${causes.join(', ')}` : ''}`,
  );
}

async function throughput(): Promise<void> {
  await pairs(false, [], ['unwatched', 'watched']);
}

if (!process.argv.includes('--no-naming')) await naming();
if (!process.argv.includes('--no-throughput')) await throughput();
if (values.diagnosis) await pairs(['--no-diagnosis'], [], ['diagnosis off', 'diagnosis on']);
if (values['false-minutes']) await falseEpisodes(Number(values['false-minutes']));
