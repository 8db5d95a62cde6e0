/**
 * The app host: one implementation of the typed API (common/api.ts) over the engine and the load
 * generator. The Electron shell (main/ipc.ts) and the browser-mode bridge (main/dashboard/) are
 * both thin adapters over this; neither knows how a command is carried out.
 *
 * Plain Node: never imports electron.
 */
import type {
  AppInfo,
  CommandName,
  CommandReplies,
  CommandResult,
  ParsedCommandPayload,
} from '../../common/api';
import { validateCommand } from '../../common/api-schemas';
import type { LoadReport } from '../../common/load';
import { ReportWindows } from '../../common/report-windows';
import os from 'node:os';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine';
import { createClusterEngine, type ClusterEngine } from '../engine/cluster/cluster-engine';
import { hasCode, LoopscopeError, type NoticeCode } from '../../common/errors';
import { SERVER_WORKERS } from '../../common/limits';
import { startLoadGenerator, type LoadController } from '../load/controller';
import { toApiError } from './api-error';
import { allBack, reconnectedText, spawnedCounts, type ClientCounts } from './carried-clients';
import { EventHub } from './event-hub';
import { ProcessWatch } from './process-watch';

export interface AppHostOptions {
  shell: AppInfo['shell'];
  /**
   * The demo server the host starts, and restarts on setServerPort. The host always owns its engine:
   * nobody else holds a reference that a restart could leave stale.
   */
  engineOptions?: EngineOptions;
  /** 'eager' forks the load generator now; 'lazy' (default) on the first command that needs it. */
  generator?: 'eager' | 'lazy';
  /** Load reports arrive every 250 ms; the renderer gets them, joined, at most this often. */
  reportForwardMs?: number;
  /** When the demo server's port is taken at start, take a free one and say so instead of failing. */
  fallbackToFreePort?: boolean;
  /** docs/protocol.md §10: server processes behind the demo server's port (default 1: this process). */
  serverWorkers?: number;
}

/** The Workers control's top: one server process per core (and never past the protocol's cap). */
export function maxServerWorkers(): number {
  return Math.min(os.availableParallelism(), SERVER_WORKERS.max);
}

/** One engine in this process, or `workers` processes sharing a Redis (a private one unless given). */
function startServer(options: EngineOptions, workers: number): Promise<Engine | ClusterEngine> {
  return workers > 1 ? createClusterEngine({ ...options, workers }) : createEngine(options);
}

function isCluster(engine: Engine): engine is ClusterEngine {
  return 'killWorker' in engine;
}

export interface AppHost {
  info(): AppInfo;
  /** Validates an untrusted command and runs it; never rejects. */
  handle(name: unknown, payload: unknown): Promise<CommandResult>;
  on: EventHub['on'];
  /** Stops the generator, then the engine. */
  close(): Promise<void>;
}

type Handlers = { [K in CommandName]: (payload: ParsedCommandPayload<K>) => Promise<CommandReplies[K]> };

const BCRYPT_PASSWORD = 'loopscope-demo-password';
/** Refusals this far apart are separate episodes, each told once. */
const REFUSAL_QUIET_MS = 10_000;
/** After Stop all, the generator's own saturation (closing every socket) is not warned about for this long. */
const STOP_ALL_QUIET_MS = 5_000;
/** How long a restart's notice waits for the simulated clients to be connected to the new server. */
const RECONNECT_WAIT_MS = 15_000;

export async function createAppHost(options: AppHostOptions): Promise<AppHost> {
  const hub = new EventHub();
  const engine = await startEngine(options, hub);
  const host = new Host(options, engine, hub);
  if (options.generator === 'eager') {
    // Not fatal: the app is still useful without simulated clients, and the next load command retries.
    await host.generatorReady().catch((err: unknown) => console.error('loopscope: load generator:', err));
  }
  return host;
}

async function startEngine(options: AppHostOptions, hub: EventHub): Promise<Engine> {
  const workers = options.serverWorkers ?? 1;
  try {
    return await startServer(options.engineOptions ?? {}, workers);
  } catch (err) {
    if (!options.fallbackToFreePort || !hasCode(err, 'port_in_use')) throw err;
    const engine = await startServer({ ...options.engineOptions, port: 0 }, workers);
    // Kept by the hub until the window listens.
    notice(hub, 'warn', 'port_in_use', `${err.message}; the demo server took ${engine.url} instead`);
    return engine;
  }
}

function notice(hub: EventHub, level: 'info' | 'warn' | 'error', code: NoticeCode, message: string): void {
  hub.emit('notice', { level, code, message, time: Date.now() });
}

class Host implements AppHost {
  private engine: Engine;
  private unsubscribeSnapshots: () => void;
  private generator: Promise<LoadController> | null = null;
  /** Unsubscribes from the current generator's reports and exit. */
  private unsubscribeReports: (() => void) | null = null;
  private externalTarget: string | null = null;
  private latestReport: LoadReport | null = null;
  /** The windows reported since the last forward: every one reaches the renderer, joined. */
  private readonly unforwarded = new ReportWindows();
  private lastWarning: string | null = null;
  /** The feed publish rate in force in the current generator (publishRate; Stop all and a new target end it). */
  private publishRatePerS = 0;
  /** The job rate in force likewise (its sender is counted as one active job producer). */
  private jobRatePerS = 0;
  /** Closing every client keeps the generator busy for a moment: not a saturation to warn about. */
  private warningQuietUntil = 0;
  /** Commands that replace the engine or retarget the generator run one at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly forwardTimer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  /** "Watch a process": one attach at a time, detached when the host closes. */
  private readonly watch: ProcessWatch;
  readonly on: EventHub['on'];

  constructor(
    private readonly options: AppHostOptions,
    engine: Engine,
    private readonly hub: EventHub,
  ) {
    this.on = hub.on.bind(hub);
    this.watch = new ProcessWatch({
      emit: (event) => hub.emit('watch', event),
      notice: (level, code, message) => notice(hub, level, code, message),
    });
    this.engine = engine;
    this.unsubscribeSnapshots = this.watchEngine(engine);
    // One timer for the whole app: the renderer's event rate never depends on the client count.
    this.forwardTimer = setInterval(() => this.forwardReport(), options.reportForwardMs ?? 500);
    this.forwardTimer.unref();
  }

  info(): AppInfo {
    return {
      serverUrl: this.engine.url,
      targetUrl: this.externalTarget ?? this.engine.url,
      shell: this.options.shell,
      sampleIntervalMs: this.engine.metrics.intervalMs,
      serverWorkers: isCluster(this.engine) ? this.engine.workers : 1,
      maxServerWorkers: maxServerWorkers(),
    };
  }

  async handle(name: unknown, payload: unknown): Promise<CommandResult> {
    const checked = validateCommand(name, payload);
    if (!checked.ok) return checked;
    if (this.closing)
      return { ok: false, error: { code: 'shutting_down', message: 'the app is shutting down' } };
    const handler = this.handlers[checked.name] as (p: unknown) => Promise<unknown>;
    try {
      return { ok: true, value: await handler(checked.payload) };
    } catch (err) {
      // The caller shows its own failure; notices are for what happens on the app's initiative.
      return { ok: false, error: toApiError(err) };
    }
  }

  private readonly handlers: Handlers = {
    getInfo: async () => this.info(),
    setServerPort: ({ port }) => this.inSeries(() => this.moveServer(port)),
    setServerWorkers: ({ count }) => this.inSeries(() => this.restartWithWorkers(count)),
    killServerWorker: async () => {
      const engine = this.engine;
      if (!isCluster(engine))
        throw new LoopscopeError(
          'bad_command',
          'the demo server runs as one process: set Workers to 2 or more first',
        );
      return engine.killWorker();
    },
    setTarget: ({ url }) => this.inSeries(() => this.retarget(url)),
    load: async (cmd) => {
      const stopping = cmd.type === 'stopAll' || cmd.type === 'target' || cmd.type === 'hold';
      if (stopping) this.warningQuietUntil = Infinity;
      try {
        await this.withGenerator((generator) => generator.command(cmd));
      } finally {
        if (stopping) this.warningQuietUntil = Date.now() + STOP_ALL_QUIET_MS;
      }
      if (cmd.type === 'publishRate') this.publishRatePerS = cmd.perS;
      if (cmd.type === 'jobRate') this.jobRatePerS = cmd.perS;
      if (stopping && !(cmd.type === 'target' && cmd.keepClients)) {
        this.publishRatePerS = 0;
        this.jobRatePerS = 0;
      }
      return { ok: true };
    },
    enqueueJobs: ({ count, workMs }) => this.engine.jobs.enqueue(count, workMs, { wait: false }),
    setWorkers: async ({ workers }) => this.engine.jobs.setWorkers(workers),
    runBcrypt: async ({ cost, mode }) => {
      const result = await this.engine.bcrypt.hash(BCRYPT_PASSWORD, cost, mode);
      return { mode: result.mode, ms: result.ms, cost };
    },
    setSampleInterval: async ({ ms }) => {
      this.engine.metrics.setIntervalMs(ms);
      return { ms: this.engine.metrics.intervalMs };
    },
    setStallThreshold: async ({ thresholdMs }) => {
      this.engine.stalls.thresholdMs = thresholdMs;
      return { thresholdMs: this.engine.stalls.thresholdMs };
    },
    listProcesses: async () => ({ processes: await this.watch.list(), watching: this.watch.watching }),
    watchProcess: ({ pid, stallMs }) => this.watch.watch(pid, stallMs),
    unwatchProcess: async () => ({ detached: await this.watch.unwatch() }),
  };

  /** Forks the load generator on first use; a failed start is retried by the next command. */
  generatorReady(): Promise<LoadController> {
    if (!this.generator) {
      // A new generator publishes nothing until told to.
      this.publishRatePerS = 0;
      this.jobRatePerS = 0;
      const starting = startLoadGenerator({ target: this.externalTarget ?? this.engine.url });
      this.generator = starting;
      starting.then(
        (controller) => {
          const offReport = controller.onReport((report) => {
            this.latestReport = report;
            this.unforwarded.add(report);
          });
          const offExit = controller.onGeneratorExit((err) => this.generatorDied(starting, err));
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

  /**
   * The generator process died between commands (killed, crashed, out of memory). Say so now rather
   * than at the next command, and show the report in which its clients are gone (the controller
   * published it just before), instead of the last one that still counted them. The next load
   * command starts a new generator.
   */
  private generatorDied(dead: Promise<LoadController>, err: LoopscopeError): void {
    if (this.generator !== dead || this.closing) return;
    this.unsubscribeReports?.();
    this.unsubscribeReports = null;
    this.generator = null;
    this.publishRatePerS = 0;
    this.jobRatePerS = 0;
    void dead.then((controller) => controller.close());
    // The report's warning repeats the death told below: not again as a generator_warning.
    this.lastWarning = this.latestReport?.generator.warning ?? null;
    // The last report first, then the notice: a dashboard greys the client figures on the notice
    // and keeps them grey until a report from a new generator, not this one's last.
    this.forwardReport();
    notice(
      this.hub,
      'error',
      'generator_exited',
      `${err.message}; its clients are gone. The next load command starts a new one.`,
    );
  }

  /** Runs a generator command; if the generator process has died, starts a new one and retries once. */
  private async withGenerator<T>(task: (generator: LoadController) => Promise<T>): Promise<T> {
    const ready = this.generatorReady();
    const generator = await ready;
    try {
      return await task(generator);
    } catch (err) {
      if (!hasCode(err, 'generator_exited')) throw err;
      // generatorDied() may have dropped it already, and another command may have started the next one.
      if (this.generator === ready) {
        this.unsubscribeReports?.();
        this.generator = null;
      }
      await generator.close();
      notice(this.hub, 'warn', 'generator_restarted', 'the load generator had exited; started a new one');
      return task(await this.generatorReady());
    }
  }

  private inSeries<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serial.then(task, task);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private watchEngine(engine: Engine): () => void {
    let refused = engine.metrics.latest().sockets.refusedAccepts;
    let lastRefusalAt = -Infinity;
    const offSnapshots = engine.metrics.subscribe((snapshot) => {
      // Sent after the I/O already waiting (after a stall of this loop, the generator's reports
      // queued in the pipe while timers run first) and after those reports: each snapshot reaches
      // the renderer with every report window received up to its own time.
      setImmediate(() => {
        this.forwardReport();
        this.hub.emit('snapshot', snapshot);
      });
      // Said once per episode of refusals: when they start after a quiet spell, not every window.
      const now = snapshot.sockets.refusedAccepts;
      const grew = now > refused;
      if (grew && snapshot.time - lastRefusalAt > REFUSAL_QUIET_MS) {
        const cap = snapshot.sockets.max === null ? '' : ` (${snapshot.sockets.max} open sockets)`;
        notice(
          this.hub,
          'warn',
          'fd_limit',
          `The demo server is refusing new connections: it is at its file-descriptor limit${cap}. ` +
            'Raise it with `ulimit -n` before starting Loopscope, or spawn fewer clients.',
        );
      }
      if (grew) lastRefusalAt = snapshot.time;
      refused = now;
    });
    const offStalls = engine.stalls.subscribe((stall) => this.hub.emit('stall', stall));
    return () => {
      offSnapshots();
      offStalls();
    };
  }

  /** Starts a demo server on the new port first, so a port in use leaves the old one running. */
  private async moveServer(port: number): Promise<AppInfo> {
    const old = this.engine;
    if (port !== 0 && port === old.port) return this.info();
    const next = await startServer(this.optionsLike(old, port), isCluster(old) ? old.workers : 1);
    this.unsubscribeSnapshots();
    this.engine = next;
    this.unsubscribeSnapshots = this.watchEngine(next);
    // The clients leave the old server before it closes, and as many connect to the new one.
    const carried = await this.holdClients();
    await this.carryClients(carried, next.url);
    await old.close();
    this.announceRestart(carried, 'server_moved', `demo server moved to ${next.url}`);
    return this.info();
  }

  /** What a new demo server keeps from the running one: host, interval, queue settings, threshold. */
  private optionsLike(old: Engine, port: number): EngineOptions {
    const queue = old.jobs.stats();
    return {
      ...this.options.engineOptions,
      host: old.host,
      port,
      sampleIntervalMs: old.metrics.intervalMs,
      queueCapacity: queue.capacity,
      workers: queue.workers,
      stalls: this.options.engineOptions?.stalls === false ? false : { thresholdMs: old.stalls.thresholdMs },
    };
  }

  /**
   * The Workers control: the demo server again on the same port as `count` processes (a private
   * redis-server shared by them when count > 1, stopped with them). The port cannot be held by both,
   * so the old server closes first; if the new one cannot start (no redis-server installed), a single
   * process takes the port back and the error says why.
   */
  private async restartWithWorkers(count: number): Promise<AppInfo> {
    const max = maxServerWorkers();
    if (count > max) {
      throw new LoopscopeError(
        'bad_payload',
        `setServerWorkers: count must be an integer from 1 to ${max} (this machine's cores), got ${count}`,
      );
    }
    const old = this.engine;
    if ((isCluster(old) ? old.workers : 1) === count) return this.info();
    const options = this.optionsLike(old, old.port);
    const jobWorkers = old.jobs.stats().workers;
    this.unsubscribeSnapshots();
    // Stopped before the server closes (so none of them counts as failed), started again after.
    const carried = await this.holdClients();
    await old.close();
    let next: Engine;
    try {
      next = await startServer(options, count);
    } catch (err) {
      next = await createEngine(options).catch(() => createEngine({ ...options, port: 0 }));
      this.adopt(next);
      await this.carryClients(carried, next.url);
      const why = err instanceof Error ? err.message : String(err);
      notice(
        this.hub,
        'error',
        'server_workers',
        `could not start ${count} server processes: ${why}; the demo server runs as one process`,
      );
      throw err;
    }
    this.adopt(next);
    // A fresh Redis queue starts with the default worker count: keep the one the user set.
    await Promise.resolve(next.jobs.setWorkers(jobWorkers)).catch(() => undefined);
    await this.carryClients(carried, next.url);
    this.announceRestart(
      carried,
      'server_workers',
      count === 1
        ? `demo server restarted as one process on ${next.url}`
        : `demo server restarted as ${count} processes on ${next.url}, sharing one redis-server`,
    );
    return this.info();
  }

  /**
   * Before the demo server restarts: the generator stops the clients aimed at it, remembering how
   * many of each kind ran (and the rates), so none counts as failed while the server is away.
   * Null when there is nothing to carry (no generator yet, or clients aimed elsewhere).
   */
  private async holdClients(): Promise<ClientCounts | null> {
    if (!this.generator || this.externalTarget !== null) return null;
    const generator = await this.generator.catch(() => null);
    if (!generator) return null;
    const before = spawnedCounts(this.latestReport, this.rates());
    // Every client closing at once keeps the generator busy: that is the restart, not a saturation.
    this.warningQuietUntil = Infinity;
    await generator.command({ type: 'hold' });
    return before;
  }

  /** After it: the held clients (and rates) start again against the new server at `url`. */
  private async carryClients(carried: ClientCounts | null, url: string): Promise<void> {
    if (carried === null) return;
    try {
      const generator = await this.generator;
      await generator?.command({ type: 'target', url, keepClients: true });
    } finally {
      this.warningQuietUntil = Date.now() + STOP_ALL_QUIET_MS;
    }
  }

  private rates(): { publishPerS: number; jobPerS: number } {
    return { publishPerS: this.publishRatePerS, jobPerS: this.jobRatePerS };
  }

  /**
   * The restart's notice, once the carried clients are connected to the new server (or after
   * RECONNECT_WAIT_MS, saying how many are): "…; 100 WS prime and 50 SSE clients reconnected".
   */
  private announceRestart(carried: ClientCounts | null, code: NoticeCode, text: string): void {
    if (carried === null || Object.keys(carried).length === 0) {
      notice(this.hub, 'info', code, text);
      return;
    }
    const since = Date.now();
    const deadline = since + RECONNECT_WAIT_MS;
    const check = (): void => {
      if (this.closing) return;
      const report = this.latestReport;
      const back = report !== null && report.time > since && allBack(carried, report, this.rates());
      if (!back && Date.now() <= deadline) {
        setTimeout(check, 100).unref();
        return;
      }
      notice(this.hub, 'info', code, `${text}; ${reconnectedText(carried, report, this.rates())}`);
    };
    check();
  }

  private adopt(engine: Engine): void {
    this.engine = engine;
    this.unsubscribeSnapshots = this.watchEngine(engine);
  }

  private async retarget(url: string | null): Promise<AppInfo> {
    const target = url ?? this.engine.url;
    await this.withGenerator((generator) => generator.command({ type: 'target', url: target }));
    this.publishRatePerS = 0;
    this.jobRatePerS = 0;
    this.externalTarget = url;
    return this.info();
  }

  private forwardReport(): void {
    const report = this.unforwarded.take();
    if (!report) return;
    this.hub.emit('loadReport', { ...report, publishRatePerS: this.publishRatePerS });
    // Said once when the generator becomes the bottleneck, not again for every changed figure; and
    // only while it has clients whose figures it could skew (stopping them all is busy, not a problem).
    const hasClients = Object.values(report.kinds).some((k) => k.active > 0 || k.pending > 0);
    const quiet = Date.now() < this.warningQuietUntil;
    const warning = hasClients && !quiet ? report.generator.warning : null;
    if (warning && this.lastWarning === null) notice(this.hub, 'warn', 'generator_warning', warning);
    this.lastWarning = warning;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.forwardTimer);
    this.unsubscribeSnapshots();
    this.unsubscribeReports?.();
    // First: the watched process is left as it was found, whatever else fails below.
    await this.watch.close();
    await this.serial;
    const generator = this.generator ? await this.generator.catch(() => null) : null;
    // The generator goes first so its clients do not count as failures while the server closes.
    await generator?.close();
    await this.engine.close();
    this.hub.clear();
  }
}
