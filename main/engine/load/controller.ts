/**
 * The parent side of the load generator: forks generator process(es), validates and routes commands,
 * and emits one merged LoadReport per interval. Used by the Electron main process, the dashboard
 * and the `load` CLI alike.
 *
 * Several processes exist only to get past one process's file-descriptor limit ('auto') or to use
 * more cores (a number). Spawns are split by free descriptors; rates go to the first process.
 */
import type { ClientKind, LoadCommand, LoadReport, ParsedLoadCommand } from '../../../common/load';
import { loadCommandSchema } from '../../../common/load-commands';
import { LoopscopeError } from '../../../common/errors';
import { FD_RESERVE, fdLimitError } from './fd-limit';
import { CONNECT_TIMEOUT_MS, GENERATOR_PROCESSES, REPORT_INTERVAL_MS } from '../../../common/limits';
import { checkInt } from '../../../common/range';
import { GeneratorProcess } from './generator-process';
import { mergeReports } from './merge-reports';
import { parseTarget } from './target';

export interface LoadGeneratorOptions {
  target: string;
  reportIntervalMs?: number;
  allowNonLoopback?: boolean;
  /** Generator processes: a fixed number, or 'auto' = one, plus more only when fds run out. Default 1. */
  processes?: number | 'auto';
  /** A connection not established after this many ms counts as a "timeout" failure (default 10000). */
  connectTimeoutMs?: number;
}

export interface LoadController {
  readonly target: string;
  command(cmd: LoadCommand): Promise<void>;
  onReport(listener: (r: LoadReport) => void): () => void;
  latest(): LoadReport | null;
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
  );
  await controller.start(processes === 'auto' ? 1 : processes);
  return controller;
}

class Controller implements LoadController {
  private readonly procs: GeneratorProcess[] = [];
  private readonly listeners = new Set<(r: LoadReport) => void>();
  /** Processes that reported since the last merged report. */
  private readonly fresh = new Set<GeneratorProcess>();
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
  ) {}

  get target(): string {
    return this.currentTarget;
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

  latest(): LoadReport | null {
    return this.latestReport;
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
      onReport: () => {
        if (started.proc) this.received(started.proc);
      },
      onExit: (code, signal) => {
        if (this.closed) return;
        this.deathNotice = `a load generator process exited unexpectedly (code ${code}, signal ${signal}); its clients are gone`;
        if (started.proc) this.fresh.delete(started.proc);
      },
    });
    started.proc = proc;
    this.procs.push(proc);
    return proc;
  }

  private received(proc: GeneratorProcess): void {
    this.fresh.add(proc);
    const live = this.live();
    if (live.some((p) => !this.fresh.has(p))) return;
    this.fresh.clear();
    const report = mergeReports(
      live.map((p) => p.last!),
      this.deathNotice,
    );
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
      case 'stopAll':
      case 'configure':
        await Promise.all(live.map((p) => p.command(cmd)));
        return;
    }
  }

  private free(p: GeneratorProcess): number {
    return Math.max(0, p.fd.limit - FD_RESERVE - p.fd.base - p.fd.demand);
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
    // Fixed process count: share evenly (for CPU). 'auto': fill the first processes (fewest fds).
    const shares = new Map<GeneratorProcess, number>();
    let left = count;
    if (this.processes === 'auto') {
      for (const p of live) {
        const n = Math.min(left, this.free(p));
        if (n > 0) shares.set(p, n);
        left -= n;
      }
    } else {
      const even = Math.ceil(count / live.length);
      for (const p of live) {
        const n = Math.min(left, even, this.free(p));
        if (n > 0) shares.set(p, n);
        left -= n;
      }
      for (const p of live) {
        if (left <= 0) break;
        const extra = Math.min(left, this.free(p) - (shares.get(p) ?? 0));
        if (extra > 0) shares.set(p, (shares.get(p) ?? 0) + extra);
        left -= Math.max(0, extra);
      }
    }
    const rampShare = (n: number): number => (cmd.rampPerS === 0 ? 0 : (cmd.rampPerS * n) / count);
    await Promise.all([...shares].map(([p, n]) => p.command({ ...cmd, count: n, rampPerS: rampShare(n) })));
  }

  private async stop(kind: ClientKind, count: number): Promise<void> {
    const live = this.live();
    const have = (p: GeneratorProcess): number => {
      const k = p.last?.kinds[kind];
      return k ? k.active + k.pending : 0;
    };
    const ordered = [...live].sort((a, b) => have(b) - have(a));
    let left = count;
    const orders: Array<Promise<void>> = [];
    for (const p of ordered) {
      if (left <= 0) break;
      // Reports may be a quarter second old: ask the fullest process for any remainder.
      const n = p === ordered[ordered.length - 1] ? left : Math.min(left, have(p));
      if (n > 0) orders.push(p.command({ type: 'stop', kind, count: n }));
      left -= n;
    }
    await Promise.all(orders);
  }
}
