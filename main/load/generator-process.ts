/**
 * The parent's handle on one forked generator process: start it, send it commands, receive its
 * validated reports, and make sure it is gone on close (graceful first, SIGKILL after a deadline).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { LoadReport, ParsedLoadCommand } from '../../common/load';
import { entryPoint } from '../engine/entry-points';
import { LoopscopeError } from '../../common/errors';
import type { FdStatus } from './generator';
import { fromChildSchema, type FromChild, type ToChild } from './messages';
import { carriesBuckets } from './merge-reports';

const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 5_000;

export interface GeneratorProcessOptions {
  target: string;
  reportIntervalMs: number;
  allowNonLoopback: boolean;
  connectTimeoutMs: number;
  /** Run the stall explorer's watchdog in the child (see LoadGeneratorOptions.explainStalls). */
  explainStalls: boolean;
  onReport(report: LoadReport): void;
  /** The process is gone; `err` (code generator_exited) says how, for logs and people alike. */
  onExit(err: LoopscopeError): void;
}

/** "was killed by SIGKILL" / "exited with code 1": how a process ended, in words. */
function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export class GeneratorProcess {
  /** Latest fd figures the child sent (with every reply and report). */
  fd: FdStatus = { limit: 0, base: 0, demand: 0 };
  /** Latest report, used to decide which process to stop clients on. */
  last: LoadReport | null = null;
  exited = false;
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private readonly exitPromise: Promise<void>;

  private constructor(private readonly options: GeneratorProcessOptions) {
    const entry = entryPoint('load-generator');
    const env = { ...process.env };
    // Inside Electron, process.execPath is the Electron binary; this flag makes it plain Node.
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        const pid = this.child.pid;
        const err = new LoopscopeError(
          'generator_exited',
          `the load generator process (pid ${pid}) ${howItEnded(code, signal)}`,
          { pid, code, signal },
        );
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        options.onExit(err);
        resolve();
      });
    });
    this.child.on('message', (raw) => this.receive(raw));
  }

  static async start(options: GeneratorProcessOptions): Promise<GeneratorProcess> {
    const proc = new GeneratorProcess(options);
    await proc.init();
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  command(command: ParsedLoadCommand): Promise<void> {
    if (this.exited) {
      return Promise.reject(new LoopscopeError('generator_exited', 'the load generator process has exited'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ type: 'command', id, command });
    });
  }

  /** Its next report that carries the buckets of its cumulative latencies (merge-reports.ts). */
  reportWithBuckets(): Promise<LoadReport> {
    if (this.exited)
      return Promise.reject(new LoopscopeError('generator_exited', 'the load generator process has exited'));
    this.send({ type: 'buckets' });
    return new Promise((resolve) => this.bucketWaiters.push(resolve));
  }

  private bucketWaiters: Array<(r: LoadReport) => void> = [];

  async shutdown(): Promise<void> {
    if (this.exited) return;
    this.send({ type: 'shutdown' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await this.exitPromise;
    clearTimeout(killer);
  }

  private readyResolve: ((fd: FdStatus) => void) | null = null;
  private readyReject: ((err: Error) => void) | null = null;

  private async init(): Promise<void> {
    const ready = new Promise<FdStatus>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    const timer = setTimeout(
      () =>
        this.readyReject?.(
          new LoopscopeError('generator_start_failed', 'the load generator did not start in time'),
        ),
      START_TIMEOUT_MS,
    );
    const early = this.exitPromise.then(() => {
      throw new LoopscopeError('generator_start_failed', 'the load generator process exited while starting');
    });
    this.send({
      type: 'init',
      target: this.options.target,
      reportIntervalMs: this.options.reportIntervalMs,
      allowNonLoopback: this.options.allowNonLoopback,
      connectTimeoutMs: this.options.connectTimeoutMs,
      explainStalls: this.options.explainStalls,
    });
    try {
      this.fd = await Promise.race([ready, early]);
    } catch (err) {
      this.child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
      early.catch(() => undefined); // settled later by the exit; already reported through the race
    }
  }

  private send(msg: ToChild): void {
    if (this.child.connected) this.child.send(msg);
  }

  private receive(raw: unknown): void {
    const parsed = fromChildSchema.safeParse(raw);
    if (!parsed.success) {
      process.stderr.write(
        `load controller: ignoring malformed message from generator: ${parsed.error.message}\n`,
      );
      return;
    }
    const msg: FromChild = parsed.data;
    switch (msg.type) {
      case 'ready':
        this.readyResolve?.(msg.fd);
        return;
      case 'fatal':
        this.readyReject?.(new LoopscopeError(msg.error.code, msg.error.message, msg.error.details));
        return;
      case 'reply': {
        this.fd = msg.fd;
        const w = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        if (!w) return;
        if (msg.error) w.reject(new LoopscopeError(msg.error.code, msg.error.message, msg.error.details));
        else w.resolve();
        return;
      }
      case 'report':
        this.fd = msg.fd;
        this.last = msg.report;
        if (this.bucketWaiters.length > 0 && carriesBuckets(msg.report)) {
          const waiters = this.bucketWaiters;
          this.bucketWaiters = [];
          for (const w of waiters) w(msg.report);
        }
        this.options.onReport(msg.report);
        return;
    }
  }
}
