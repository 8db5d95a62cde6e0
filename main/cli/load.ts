/**
 * `loopscope load`: drive simulated clients at a server for a bounded time, show live progress on a
 * terminal, print a summary (or one JSON document with --json), and turn thresholds into an exit
 * code for CI: 0 all good, 1 a threshold was breached, 2 the command could not run as asked or could
 * not finish (a generator process died mid-run). Flags are parsed in load-plan.ts, figures printed
 * by load-summary.ts; this module runs the plan.
 */
import { diagnosisCursor, episodesSince, whyLine } from './why-line';
import { EXIT, isLoopscopeError, type LoopscopeError } from '../../common/errors';
import type { LoadReport } from '../../common/load';
import { AUTO_MAX_PROCESSES, startLoadGenerator, type LoadController } from '../load/controller';
import { windowLine } from '../../common/recording';
import { checkWritable, LoadRecorder } from '../report/load-recorder';
import { runName, writeReport } from '../report/write-report';
import { parsePlan, plannedConnections, USAGE, type Plan, type ThresholdResult } from './load-plan';
import {
  generatorPlanLine,
  planGenerator,
  readBoxLimits,
  refuseBeyondLimits,
  type GeneratorPlan,
} from '../load/capacity';
import { parseTarget } from '../load/target';
import {
  checkThresholds,
  pendingNote,
  progressLine,
  STOPPED_IN_WARMUP,
  summaryTable,
  type Phase,
} from './load-summary';

/**
 * How long the summary waits for the report after the run. With several generator processes it
 * carries their histograms, which a loaded machine may take a few report intervals to send.
 */
const FINAL_REPORT_WAIT_MS = 5_000;

/**
 * Resolves after `ms` ('elapsed'), or earlier on Ctrl-C (the run then ends normally with its
 * summary) or when `cut` aborts (a generator died: waiting out the duration would only delay the
 * failure), both 'stopped'.
 */
function runFor(ms: number, cut: AbortSignal): Promise<'elapsed' | 'stopped'> {
  return new Promise((resolve) => {
    const done = (how: 'elapsed' | 'stopped'): void => {
      clearTimeout(timer);
      process.off('SIGINT', stopped);
      cut.removeEventListener('abort', stopped);
      resolve(how);
    };
    const stopped = (): void => done('stopped');
    const timer = setTimeout(() => done('elapsed'), ms);
    process.once('SIGINT', stopped);
    cut.addEventListener('abort', stopped);
  });
}

/** The run could not finish: one line on stderr, and with --json a document that says why. */
async function cutShort(lg: LoadController, plan: Plan, err: LoopscopeError): Promise<number> {
  const report = lg.latest();
  await lg.close();
  const reason = { code: err.code, message: `${err.message} mid-run; results are incomplete` };
  if (plan.json) {
    const doc = {
      target: plan.target,
      durationS: plan.durationS,
      warmupS: plan.warmupS,
      report,
      thresholds: [],
      ok: false,
      reason,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
  process.stderr.write(`load: ${reason.message} [${reason.code}]\n`);
  return err.exitCode;
}

/**
 * The generator processes and source addresses the run's connections take on this box, said on
 * stderr; refused (nothing started) when its descriptors, ports or memory cannot hold them.
 */
function sizeRun(plan: Plan): GeneratorPlan {
  const box = readBoxLimits();
  const target = parseTarget(plan.target, plan.allowNonLoopback);
  const sized = planGenerator(
    {
      connections: plannedConnections(plan),
      processes: plan.processes,
      autoMax: AUTO_MAX_PROCESSES,
      sourceAddresses: target.localAddresses?.length ?? 1,
    },
    box,
  );
  refuseBeyondLimits(sized);
  // Said when the box's limits shaped the run: one process holding every client is no news.
  if (sized.processes > 1) process.stderr.write(`load: ${generatorPlanLine(sized, box)}\n`);
  return sized;
}

export async function run(argv: string[]): Promise<number> {
  let plan: Plan | 'help';
  try {
    plan = parsePlan(argv);
  } catch (err) {
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`load: ${err.message}\n\n${USAGE}\n`);
    return err.exitCode;
  }
  if (plan === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const live = !plan.json && process.stdout.isTTY === true;
  let sized: GeneratorPlan;
  try {
    sized = sizeRun(plan);
  } catch (err) {
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`load: ${err.message}\nnothing was started [${err.code}]\n`);
    return err.exitCode;
  }
  let recorder: LoadRecorder | null = null;
  let lg: LoadController;
  try {
    if (plan.report !== null) await checkWritable(plan.report, '--report');
    if (plan.record !== null || plan.report !== null)
      recorder = await LoadRecorder.open(
        plan.record,
        plan.target,
        ['loopscope', 'load', ...argv],
        plan.intervalMs,
        plan.report !== null,
      );
    lg = await startLoadGenerator({
      target: plan.target,
      allowNonLoopback: plan.allowNonLoopback,
      processes: plan.processes,
      startProcesses: sized.processes,
      reportIntervalMs: plan.intervalMs,
      connectTimeoutMs: plan.connectTimeoutMs,
      explainStalls: plan.explainStalls,
    });
  } catch (err) {
    await recorder?.finish({
      report: null,
      ok: false,
      note: `not run: ${String((err as Error).message)}`,
      thresholds: [],
    });
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`load: ${err.message} [${err.code}]\n`);
    return err.exitCode;
  }
  const offRecord = recorder ? lg.onReport((report) => recorder.write(windowLine(report))) : () => undefined;
  recorder?.start();
  /** The recording's last lines and the report, whatever way the run ended; then its exit code. */
  const ending = async (
    code: number,
    summary: { report: LoadReport | null; ok: boolean; note: string | null; thresholds?: ThresholdResult[] },
  ): Promise<number> => {
    offRecord();
    if (!recorder) return code;
    const recording = await recorder.finish({ ...summary, thresholds: summary.thresholds ?? [] });
    const failed = recorder.writeError();
    if (failed) {
      process.stderr.write(`load: ${failed.message} [${failed.code}]\n`);
      if (code === 0) code = failed.exitCode;
    } else if (plan.record !== null) process.stderr.write(`load: recorded the run in ${plan.record}\n`);
    if (recording && plan.report !== null) {
      const name = runName(plan.record ?? plan.report.replace(/\.html?$/, ''));
      try {
        const bytes = await writeReport([{ name, recording }], plan.report);
        process.stderr.write(`load: wrote the report ${plan.report} (${(bytes / 1024).toFixed(0)} KB)\n`);
      } catch (err) {
        if (!isLoopscopeError(err)) throw err;
        process.stderr.write(`load: ${err.message}\n`);
        return code === 0 ? err.exitCode : code;
      }
    }
    return code;
  };
  const started = performance.now();
  let final: LoadReport | null = null;
  // A generator that dies mid-run ends the run at once: its report would describe clients that are gone.
  let died: LoopscopeError | null = null;
  /** Ctrl-C before the warm-up was over: the figures then cover the warm-up, and the summary says so. */
  let stoppedInWarmup = false;
  const cut = new AbortController();
  const offExit = lg.onGeneratorExit((err) => {
    died ??= err;
    cut.abort();
  });
  // docs/protocol.md §12 where the target serves it: the episodes of this run, said after it.
  const whyCursor = plan.why ? await diagnosisCursor(plan.target) : null;
  try {
    for (const cmd of plan.commands) await lg.command(cmd);
    let phase: Phase = plan.warmupS > 0 ? 'warm-up' : 'measuring';
    const off = live
      ? lg.onReport((r) =>
          process.stdout.write(`\r${progressLine(r, (performance.now() - started) / 1000, phase)}\x1b[K`),
        )
      : () => undefined;
    if (plan.warmupS > 0) {
      if ((await runFor(plan.warmupS * 1000, cut.signal)) === 'elapsed') {
        await lg.command({ type: 'restartMeasurement' });
        phase = 'measuring';
      }
    }
    if (phase === 'measuring') await runFor(plan.durationS * 1000, cut.signal);
    stoppedInWarmup = phase === 'warm-up';
    // The report right after the run, before clients are stopped, is the one summarised.
    // With several generator processes its percentiles are merged from their histograms.
    if (!died) final = await lg.finalReport(Math.max(plan.intervalMs * 4, FINAL_REPORT_WAIT_MS));
    off();
    if (live) process.stdout.write('\n');
  } catch (err) {
    if (!isLoopscopeError(err)) {
      await lg.close();
      throw err;
    }
    // A command refused because its process had just died is the death, told the same way.
    if (err.code !== 'generator_exited' || !died) {
      const report = lg.latest();
      await lg.close();
      process.stderr.write(`load: ${err.message} [${err.code}]\n`);
      return ending(err.exitCode, { report, ok: false, note: `not finished: ${err.message}` });
    }
  }
  offExit();
  // Set by the exit listener, which the compiler cannot see.
  const deadly = died as LoopscopeError | null;
  if (deadly) {
    const report = lg.latest();
    const code = await cutShort(lg, plan, deadly);
    return ending(code, {
      report,
      ok: false,
      note: `cut short: ${deadly.message} mid-run; results are incomplete`,
    });
  }
  await lg.close();
  if (!final) {
    process.stderr.write('load: the generator sent no report\n');
    return ending(EXIT.notRun, { report: null, ok: false, note: 'the generator sent no report' });
  }
  const results = checkThresholds(final, plan.thresholds);
  const breached = results.filter((t) => !t.ok);
  const neverConnected = pendingNote(final, plan);
  const why = whyCursor === null ? null : await episodesSince(plan.target, whyCursor);
  if (plan.json) {
    const doc = {
      target: plan.target,
      durationS: plan.durationS,
      warmupS: plan.warmupS,
      ...(stoppedInWarmup ? { note: STOPPED_IN_WARMUP } : {}),
      ...(neverConnected ? { neverConnected } : {}),
      report: final,
      ...(why ? { why } : {}),
      thresholds: results,
      ok: breached.length === 0,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`${summaryTable(final, { warmupS: plan.warmupS, stoppedInWarmup })}\n`);
    if (why) process.stdout.write(`${whyLine(why)}\n`);
  }
  if (neverConnected) process.stderr.write(`load: ${neverConnected}\n`);
  for (const t of breached)
    process.stderr.write(`load: threshold breached: ${t.name} ${t.limit}, measured ${t.value}\n`);
  return ending(breached.length === 0 ? 0 : EXIT.failed, {
    report: final,
    ok: breached.length === 0,
    note: stoppedInWarmup ? STOPPED_IN_WARMUP : (neverConnected ?? null),
    thresholds: results,
  });
}
