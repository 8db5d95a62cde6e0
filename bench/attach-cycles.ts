/**
 * `node --import tsx bench/attach-cycles.ts [--cycles N] [--seconds S] [--settle S] [--serve-args "…"]
 * [--attach-stall-ms N] [--control]`:
 * issue 24's figures. `serve --stall-ms 20` under `load --http 30 --ws 20` and bcrypt on its loop
 * (test/fixtures/attach-stress.ts), attached to and detached from N times by `attach --json
 * --duration S`. Per cycle: attach's exit, whether /stats answered, whether an inspector was left
 * open, the target's RSS. At the end, after the load stops and the target settles: its RSS
 * against the RSS after the first cycle, so the growth counted is what attach left behind, not
 * the load's own buffers. `--control` runs the same cycles without attaching: the target's own
 * drift under that load, to read the attach figures against.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { attachCycles, rssMb, startStress, statsAnswers } from '../test/fixtures/attach-stress';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string' },
    seconds: { type: 'string' },
    settle: { type: 'string' },
    'serve-args': { type: 'string' },
    'attach-stall-ms': { type: 'string' },
    control: { type: 'boolean' },
  },
});
const CYCLES = Number(values.cycles ?? 100);
const SECONDS = Number(values.seconds ?? 3);
const SETTLE = Number(values.settle ?? 15);
const serveArgs = values['serve-args']?.split(' ').filter(Boolean);

const run = await startStress({ seconds: CYCLES * (SECONDS + 4) + 60, serveArgs });
// Let the load connect before the first reading.
await new Promise((r) => setTimeout(r, 3_000));
const before = rssMb(run.pid);
console.log(`target pid ${run.pid} ${run.base}; rss before ${before} MB; load ${loadavg()[0]!.toFixed(2)}`);

let firstRss = 0;
const started = Date.now();
const results = await attachCycles(run, {
  cycles: CYCLES,
  seconds: () => SECONDS,
  control: values.control === true,
  attachArgs: () => (values['attach-stall-ms'] ? ['--stall-ms', values['attach-stall-ms']] : []),
  onCycle(r) {
    if (r.cycle === 1) firstRss = r.rssMb;
    const stalls = r.events.filter((e) => e.type === 'stall').length;
    const last = r.events.at(-1);
    const closed = last?.type === 'detached' ? last.inspectorClosed : 'n/a';
    if (r.cycle % 10 === 0 || r.statsMs === null || r.inspectorOpen || r.attachExit !== 0)
      console.log(
        `cycle ${r.cycle}: attach exit ${r.attachExit}, stalls ${stalls}, inspectorClosed ${closed}, ` +
          `/stats ${r.statsMs ?? 'NO ANSWER'} ms, inspector open ${r.inspectorOpen}, rss ${r.rssMb} MB` +
          (r.attachExit !== 0 ? `\n  ${r.stderr.trim()}` : ''),
      );
  },
});
const frozen = results.filter((r) => r.statsMs === null).length;
const leftOpen = results.filter((r) => r.inspectorOpen).length;
const failed = results.filter((r) => r.attachExit !== 0).length;
const stalls = results.reduce((n, r) => n + r.events.filter((e) => e.type === 'stall').length, 0);
const s = run.bcrypt;
await run.stopLoad();
// The load and the bcrypt stream are gone: let the target settle, then read what it kept.
await new Promise((r) => setTimeout(r, SETTLE * 1000));
const alive = run.serve.exitCode === null && (await statsAnswers(run.base, 10_000)) !== null;
const settledRss = alive ? rssMb(run.pid) : NaN;
await run.stop();
console.log(
  `\n${results.length} cycles in ${((Date.now() - started) / 1000).toFixed(0)} s: frozen ${frozen}, ` +
    `inspector left open ${leftOpen}, attach failures ${failed}, stalls reported ${stalls}, ` +
    `bcrypt ${s.answered}/${s.sent} answered, load ${loadavg()[0]!.toFixed(2)}`,
);
if (!alive) console.log('the target did not answer after the run');
console.log(
  `rss: before ${before} MB, after cycle 1 ${firstRss} MB, after the last cycle ${results.at(-1)?.rssMb} MB, ` +
    `settled ${SETTLE} s without load ${settledRss} MB (growth from cycle 1: ${(settledRss - firstRss).toFixed(1)} MB)`,
);
process.exit(frozen > 0 || leftOpen > 0 ? 1 : 0);
