/**
 * The load generator's life in the app host: forked on first use, its reports handed on, its death
 * told at once and a dead one replaced by the next command; the publish and job rates in force; and,
 * around a restart of the demo server, its clients held and carried over to the new one.
 *
 * Plain Node: never imports electron.
 */
import type { ParsedCommandPayload } from '../../common/api';
import { hasCode, type LoopscopeError, type NoticeCode } from '../../common/errors';
import { startLoadGenerator, type LoadController } from '../load/controller';
import { spawnedCounts, type ClientCounts, type Rates } from './carried-clients';
import { clientsIn } from './spawn-capacity';
import type { RestartClients } from './engine-lifecycle';
import type { EventHub } from './event-hub';
import { ReportForwarder } from './report-forwarder';
import { announceRestart } from './restart-notice';

export interface GeneratorHooks {
  /** The demo server's URL now: the generator's target unless another one is set. */
  serverUrl(): string;
  closing(): boolean;
  /**
   * Refuses (throws) a spawn of `count` more clients this box or the demo server cannot hold;
   * `atDemoServer` says whether they would aim at it. spawn-capacity.ts.
   */
  checkSpawn?(count: number, clients: number, atDemoServer: boolean): void;
}

export class GeneratorLifecycle implements RestartClients {
  readonly reports: ReportForwarder;
  private generator: Promise<LoadController> | null = null;
  /** Unsubscribes from the current generator's reports and exit. */
  private unsubscribeReports: (() => void) | null = null;
  private target: string | null = null;
  /** The feed publish rate in force in the current generator (publishRate; Stop all and a new target end it). */
  private publishRatePerS = 0;
  /** The job rate in force likewise (its sender is counted as one active job producer). */
  private jobRatePerS = 0;

  constructor(
    private readonly hub: EventHub,
    reportForwardMs: number,
    private readonly hooks: GeneratorHooks,
  ) {
    this.reports = new ReportForwarder(hub, () => this.publishRatePerS, reportForwardMs);
  }

  /** The target set by setTarget; null while the generator aims at the demo server. */
  get externalTarget(): string | null {
    return this.target;
  }

  /** Forks the load generator on first use; a failed start is retried by the next command. */
  ready(): Promise<LoadController> {
    if (!this.generator) {
      // A new generator publishes nothing until told to.
      this.publishRatePerS = 0;
      this.jobRatePerS = 0;
      // 'auto': a spawn past one process's descriptors forks more generator processes.
      const starting = startLoadGenerator({
        target: this.target ?? this.hooks.serverUrl(),
        processes: 'auto',
      });
      this.generator = starting;
      starting.then(
        (controller) => {
          const offReport = controller.onReport((report) => this.reports.add(report));
          const offExit = controller.onGeneratorExit((err) => this.died(starting, err));
          this.unsubscribeReports = () => {
            offReport();
            offExit();
          };
        },
        () => {
          if (this.generator === starting) this.generator = null;
        },
      );
    }
    return this.generator;
  }

  /** The API's load command, keeping the rates in force in step with it. */
  async command(cmd: ParsedCommandPayload<'load'>): Promise<void> {
    if (cmd.type === 'spawn')
      this.hooks.checkSpawn?.(cmd.count, clientsIn(this.reports.latest), this.target === null);
    const stopping = cmd.type === 'stopAll' || cmd.type === 'target' || cmd.type === 'hold';
    if (stopping) this.reports.muteWarnings();
    try {
      await this.withGenerator((generator) => generator.command(cmd));
    } finally {
      if (stopping) this.reports.unmuteWarningsLater();
    }
    if (cmd.type === 'publishRate') this.publishRatePerS = cmd.perS;
    if (cmd.type === 'jobRate') this.jobRatePerS = cmd.perS;
    if (stopping && !(cmd.type === 'target' && cmd.keepClients)) {
      this.publishRatePerS = 0;
      this.jobRatePerS = 0;
    }
  }

  /** Aims the generator at `url` (null: the demo server), without its clients. */
  async retarget(url: string | null): Promise<void> {
    const target = url ?? this.hooks.serverUrl();
    await this.withGenerator((generator) => generator.command({ type: 'target', url: target }));
    this.publishRatePerS = 0;
    this.jobRatePerS = 0;
    this.target = url;
  }

  /**
   * Before the demo server restarts: the generator stops the clients aimed at it, remembering how
   * many of each kind ran (and the rates), so none counts as failed while the server is away.
   * Null when there is nothing to carry (no generator yet, or clients aimed elsewhere).
   */
  async hold(): Promise<ClientCounts | null> {
    if (!this.generator || this.target !== null) return null;
    const generator = await this.generator.catch(() => null);
    if (!generator) return null;
    const before = spawnedCounts(this.reports.latest, this.rates());
    // Every client closing at once keeps the generator busy: that is the restart, not a saturation.
    this.reports.muteWarnings();
    await generator.command({ type: 'hold' });
    return before;
  }

  /** After it: the held clients (and rates) start again against the new server at `url`. */
  async carry(carried: ClientCounts | null, url: string): Promise<void> {
    if (carried === null) return;
    try {
      const generator = await this.generator;
      await generator?.command({ type: 'target', url, keepClients: true });
    } finally {
      this.reports.unmuteWarningsLater();
    }
  }

  announce(carried: ClientCounts | null, code: NoticeCode, text: string): void {
    announceRestart(
      this.hub,
      {
        latestReport: () => this.reports.latest,
        rates: () => this.rates(),
        closing: () => this.hooks.closing(),
      },
      carried,
      code,
      text,
    );
  }

  /** Stops listening to the generator's reports and exit (the host is closing). */
  detach(): void {
    this.unsubscribeReports?.();
  }

  async close(): Promise<void> {
    const generator = this.generator ? await this.generator.catch(() => null) : null;
    await generator?.close();
  }

  private rates(): Rates {
    return { publishPerS: this.publishRatePerS, jobPerS: this.jobRatePerS };
  }

  /**
   * The generator process died between commands (killed, crashed, out of memory). Say so now rather
   * than at the next command, and show the report in which its clients are gone (the controller
   * published it just before), instead of the last one that still counted them. The next load
   * command starts a new generator.
   */
  private died(dead: Promise<LoadController>, err: LoopscopeError): void {
    if (this.generator !== dead || this.hooks.closing()) return;
    this.unsubscribeReports?.();
    this.unsubscribeReports = null;
    this.generator = null;
    this.publishRatePerS = 0;
    this.jobRatePerS = 0;
    void dead.then((controller) => controller.close());
    // The report's warning repeats the death told below: not again as a generator_warning.
    this.reports.warningTold();
    // The last report first, then the notice: a dashboard greys the client figures on the notice
    // and keeps them grey until a report from a new generator, not this one's last.
    this.reports.forward();
    this.hub.notice(
      'error',
      'generator_exited',
      `${err.message}; its clients are gone. The next load command starts a new one.`,
    );
  }

  /** Runs a generator command; if the generator process has died, starts a new one and retries once. */
  private async withGenerator<T>(task: (generator: LoadController) => Promise<T>): Promise<T> {
    const ready = this.ready();
    const generator = await ready;
    try {
      return await task(generator);
    } catch (err) {
      if (!hasCode(err, 'generator_exited')) throw err;
      // died() may have dropped it already, and another command may have started the next one.
      if (this.generator === ready) {
        this.unsubscribeReports?.();
        this.generator = null;
      }
      await generator.close();
      this.hub.notice('warn', 'generator_restarted', 'the load generator had exited; started a new one');
      return task(await this.ready());
    }
  }
}
