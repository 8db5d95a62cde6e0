/**
 * The parent side of the load generator: forks generator process(es), validates and routes commands,
 * and emits one merged LoadReport per interval. Used by the Electron main process, the dashboard
 * and the `load` CLI alike.
 *
 * Several processes exist only to get past one process's file-descriptor limit ('auto') or to use
 * more cores (a number). Spawns and stops are shared as shares.ts says; rates go to the first process.
 */
import type { ClientKind, LoadCommand, LoadReport, ParsedLoadCommand } from '../../common/load';
import { loadCommandSchema } from '../../common/load-commands';
import { LoopscopeError } from '../../common/errors';
import { fdLimitError, freeFds } from './fd-limit';
import { CONNECT_TIMEOUT_MS, GENERATOR_PROCESSES, REPORT_INTERVAL_MS } from '../../common/limits';
import { checkInt } from '../../common/range';
import { GeneratorProcess } from './generator-process';
import { mergeReports, retiredReport, withoutMeasurement } from './merge-reports';
import { spawnShares, stopShares } from './shares';
import { parseTarget } from './target';

export interface LoadGeneratorOptions {
  target: string;
  reportIntervalMs?: number;
  allowNonLoopback?: boolean;
  /** Generator processes: a fixed number, or 'auto' = one, plus more only when fds run out. Default 1. */
  processes?: number | 'auto';
  /**
   * With 'auto': processes forked at the start (main/load/capacity.ts's plan for the run), so a run
   * sized up front does not fork in the middle of its spawns. Default 1.
   */
  startProcesses?: number;
  /** A connection not established after this many ms counts as a "timeout" failure (default 10000). */
  connectTimeoutMs?: number;
  /**
   * Name the culprit of the generator's own stalls with the stall explorer's watchdog (a thread,
   * the debugger and an always-on profiler in every generator process). Default false: stalls are
   * only counted, from the health timer, because the watchdog's cost lands on every message.
   */
  explainStalls?: boolean;
}

export interface LoadController {
  readonly target: string;
  command(cmd: LoadCommand): Promise<void>;
  onReport(listener: (r: LoadReport) => void): () => void;
  /**
   * A generator process died on its own (not through close()): its clients are gone. Called at once,
   * right after a report that no longer counts them as active, with a `generator_exited` error.
   */
  onGeneratorExit(listener: (err: LoopscopeError) => void): () => void;
  latest(): LoadReport | null;
  /**
   * The next report, with its latency percentiles merged exactly across the generator processes
   * (each sends its histograms for it); the latest report if none comes within `timeoutMs`.
   */
  finalReport(timeoutMs: number): Promise<LoadReport | null>;
  /** The generator processes' pids (the bench reads their CPU from /proc). */
  pids(): number[];
  close(): Promise<void>;
}

/** Upper bound on processes 'auto' may fork (each inherits the same fd limit). */
export const AUTO_MAX_PROCESSES = 8;

export async function startLoadGenerator(options: LoadGeneratorOptions): Promise<LoadController> {
  const allowNonLoopback = options.allowNonLoopback ?? false;
  parseTarget(options.target, allowNonLoopback); // refuse bad or non-loopback targets before forking
  const reportIntervalMs = checkInt(
    'reportIntervalMs',
    options.reportIntervalMs ?? REPORT_INTERVAL_MS.default,
    REPORT_INTERVAL_MS,
    'bad_option',
  );
  const connectTimeoutMs = checkInt(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS.default,
    CONNECT_TIMEOUT_MS,
    'bad_option',
  );
  const processes = options.processes ?? 1;
  if (processes !== 'auto')
    checkInt("processes ('auto' or a count)", processes, GENERATOR_PROCESSES, 'bad_option');
  const controller = new Controller(
    options.target,
    reportIntervalMs,
    allowNonLoopback,
    processes,
    connectTimeoutMs,
    options.explainStalls ?? false,
  );
  const first =
    processes === 'auto' ? Math.min(Math.max(1, options.startProcesses ?? 1), AUTO_MAX_PROCESSES) : processes;
  await controller.start(first);
  return controller;
}

class Controller implements LoadController {
  private readonly procs: GeneratorProcess[] = [];
  private readonly listeners = new Set<(r: LoadReport) => void>();
  private readonly exitListeners = new Set<(err: LoopscopeError) => void>();
  /** Processes that reported since the last merged report. */
  private readonly fresh = new Set<GeneratorProcess>();
  /** Last reports of dead processes, zeroed: their totals stay in every later report. */
  private readonly retired: LoadReport[] = [];
  private latestReport: LoadReport | null = null;
  private deathNotice: string | null = null;
  /** Commands run one at a time so fd accounting sees each one's effect before the next. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | null = null;

  constructor(
    private currentTarget: string,
    private readonly reportIntervalMs: number,
    private readonly allowNonLoopback: boolean,
    private readonly processes: number | 'auto',
    private readonly connectTimeoutMs: number,
    private readonly explainStalls: boolean,
  ) {}

  get target(): string {
    return this.currentTarget;
  }

  /** The generator processes' pids (the bench reads their CPU from /proc). */
  pids(): number[] {
    return this.procs.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  async start(count: number): Promise<void> {
    try {
      for (let i = 0; i < count; i++) await this.fork();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  command(cmd: LoadCommand): Promise<void> {
    if (this.closed)
      return Promise.reject(new LoopscopeError('shutting_down', 'the load generator is closed'));
    const parsed = loadCommandSchema.safeParse(cmd);
    if (!parsed.success) {
      return Promise.reject(
        new LoopscopeError('bad_command', `invalid load command: ${parsed.error.message}`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        }),
      );
    }
    const run = this.queue.then(() => this.apply(parsed.data));
    this.queue = run.catch(() => undefined); // the caller gets the error; the queue moves on
    return run;
  }

  onReport(listener: (r: LoadReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onGeneratorExit(listener: (err: LoopscopeError) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  latest(): LoadReport | null {
    return this.latestReport;
  }

  async finalReport(timeoutMs: number): Promise<LoadReport | null> {
    const live = this.live();
    if (live.length < 2) return this.nextReport(timeoutMs);
    // Each process's next report with its histograms; they arrive at different moments, and a
    // later one without buckets may replace it as that process's latest, so they are kept here.
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
    const all = Promise.all(live.map((p) => p.reportWithBuckets())).catch(() => null);
    const reports = await Promise.race([all, timeout]);
    if (!reports) return this.latestReport;
    const merged = mergeReports([...reports, ...this.retired], this.deathNotice);
    return { ...merged, generator: { ...merged.generator, processes: live.length } };
  }

  private nextReport(timeoutMs: number): Promise<LoadReport | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(this.latestReport);
      }, timeoutMs);
      const off = this.onReport((r) => {
        clearTimeout(timer);
        off();
        resolve(r);
      });
    });
  }

  close(): Promise<void> {
    this.closed ??= Promise.all(this.procs.map((p) => p.shutdown())).then(() => undefined);
    return this.closed;
  }

  private live(): GeneratorProcess[] {
    return this.procs.filter((p) => !p.exited);
  }

  private async fork(): Promise<GeneratorProcess> {
    // The callbacks can fire before start() resolves (a child that reports or dies at once).
    const started: { proc?: GeneratorProcess } = {};
    const proc = await GeneratorProcess.start({
      target: this.currentTarget,
      reportIntervalMs: this.reportIntervalMs,
      allowNonLoopback: this.allowNonLoopback,
      connectTimeoutMs: this.connectTimeoutMs,
      explainStalls: this.explainStalls,
      onReport: () => {
        if (started.proc) this.received(started.proc);
      },
      onExit: (err) => {
        // A process that dies while starting is reported by start() itself; one stopped by close() is expected.
        if (this.closed || !started.proc) return;
        this.died(started.proc, err);
      },
    });
    started.proc = proc;
    this.procs.push(proc);
    return proc;
  }

  private received(proc: GeneratorProcess): void {
    this.fresh.add(proc);
    if (this.live().some((p) => !this.fresh.has(p))) return;
    this.fresh.clear();
    this.publish();
  }

  /**
   * Without this, the last report would keep counting the dead process's clients as active until
   * some later command failed: a dashboard showing 2,000 clients against a server that has 0.
   */
  private died(proc: GeneratorProcess, err: LoopscopeError): void {
    this.deathNotice = `${err.message}; its clients are gone`;
    this.fresh.delete(proc);
    if (proc.last) this.retired.push(retiredReport(proc.last));
    this.publish();
    for (const l of this.exitListeners) l(err);
  }

  /** Merges the latest report of every live process with the retired ones and hands it out. */
  private publish(): void {
    const live = this.live();
    const reports = [...live.flatMap((p) => (p.last ? [p.last] : [])), ...this.retired];
    if (reports.length === 0) return;
    const merged = mergeReports(reports, this.deathNotice);
    const report = { ...merged, generator: { ...merged.generator, processes: live.length } };
    this.latestReport = report;
    for (const l of this.listeners) l(report);
  }

  private async apply(cmd: ParsedLoadCommand): Promise<void> {
    const live = this.live();
    if (live.length === 0)
      throw new LoopscopeError('generator_exited', 'no load generator process is running');
    switch (cmd.type) {
      case 'spawn':
        return this.spawn(cmd.kind, cmd.count, cmd);
      case 'stop':
        return this.stop(cmd.kind, cmd.count);
      case 'publishRate':
      case 'jobRate':
        // Rates are totals: one process sends them all.
        return live[0]!.command(cmd);
      case 'target':
        parseTarget(cmd.url, this.allowNonLoopback);
        await Promise.all(live.map((p) => p.command(cmd)));
        this.currentTarget = cmd.url;
        return;
      case 'restartMeasurement':
        // A dead process's totals describe what came before: they leave the measurement too.
        for (let i = 0; i < this.retired.length; i++) this.retired[i] = withoutMeasurement(this.retired[i]!);
        await Promise.all(live.map((p) => p.command(cmd)));
        // Reports received so far predate the restart: the next merged one waits for a report of
        // every process sent after it, so it never mixes the old measurement with the new.
        this.fresh.clear();
        return;
      case 'stopAll':
      case 'hold':
      case 'configure':
        await Promise.all(live.map((p) => p.command(cmd)));
        return;
    }
  }

  private free(p: GeneratorProcess): number {
    return Math.max(0, freeFds(p.fd));
  }

  private async spawn(
    kind: ClientKind,
    count: number,
    cmd: Extract<ParsedLoadCommand, { type: 'spawn' }>,
  ): Promise<void> {
    let live = this.live();
    let capacity = live.reduce((sum, p) => sum + this.free(p), 0);
    if (this.processes === 'auto') {
      while (capacity < count && this.procs.length < AUTO_MAX_PROCESSES) {
        const p = await this.fork();
        capacity += this.free(p);
      }
      live = this.live();
    }
    if (capacity < count) {
      const limit = live[0]!.fd.limit;
      const err = fdLimitError(count, capacity, limit, kind);
      err.details.processes = live.length;
      throw err;
    }
    const shares = spawnShares(
      live.map((p) => this.free(p)),
      count,
      this.processes === 'auto' ? 'fill' : 'even',
    );
    const rampShare = (n: number): number => (cmd.rampPerS === 0 ? 0 : (cmd.rampPerS * n) / count);
    await Promise.all(
      live.flatMap((p, i) => {
        const n = shares[i]!;
        return n > 0 ? [p.command({ ...cmd, count: n, rampPerS: rampShare(n) })] : [];
      }),
    );
  }

  private async stop(kind: ClientKind, count: number): Promise<void> {
    const live = this.live();
    const have = (p: GeneratorProcess): number => {
      const k = p.last?.kinds[kind];
      return k ? k.active + k.pending : 0;
    };
    const shares = stopShares(live.map(have), count);
    const orders = live.flatMap((p, i) => {
      const n = shares[i]!;
      return n > 0 ? [p.command({ type: 'stop', kind, count: n })] : [];
    });
    await Promise.all(orders);
  }
}
