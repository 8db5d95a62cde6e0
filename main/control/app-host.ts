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
  ParsedCommandPayload,
  ApiErrorShape,
} from '../../common/api';
import { validateCommand } from '../../common/api';
import type { LoadReport } from '../../common/load';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine';
import { LoopscopeError } from '../engine/errors';
import { startLoadGenerator, type LoadController } from '../engine/load/controller';
import { toApiError } from './api-error';
import { EventHub } from './event-hub';

export type CommandResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorShape };

export interface AppHostOptions {
  shell: AppInfo['shell'];
  /**
   * An engine that is already running (the `serve` command's). Its creator closes it; an engine the
   * host starts itself (at start, or on setServerPort) is the host's to close.
   */
  engine?: Engine;
  /** Used to create the engine when none is given. */
  engineOptions?: EngineOptions;
  /** 'eager' forks the load generator now; 'lazy' (default) on the first command that needs it. */
  generator?: 'eager' | 'lazy';
  /** Load reports arrive every 250 ms; the renderer gets the latest at most this often. */
  reportForwardMs?: number;
  /** When the demo server's port is taken at start, take a free one and say so instead of failing. */
  fallbackToFreePort?: boolean;
}

export interface AppHost {
  info(): AppInfo;
  /** Validates an untrusted command and runs it; never rejects. */
  handle(name: unknown, payload: unknown): Promise<CommandResult>;
  on: EventHub['on'];
  /** Stops the generator, and the engine when the host started it. */
  close(): Promise<void>;
}

type Handlers = { [K in CommandName]: (payload: ParsedCommandPayload<K>) => Promise<CommandReplies[K]> };

const BCRYPT_PASSWORD = 'loopscope-demo-password';

export async function createAppHost(options: AppHostOptions): Promise<AppHost> {
  const hub = new EventHub();
  const engine = options.engine ?? (await startEngine(options, hub));
  const host = new Host(options, engine, hub);
  if (options.generator === 'eager') {
    // Not fatal: the app is still useful without simulated clients, and the next load command retries.
    await host.generatorReady().catch((err: unknown) => console.error('loopscope: load generator:', err));
  }
  return host;
}

async function startEngine(options: AppHostOptions, hub: EventHub): Promise<Engine> {
  try {
    return await createEngine(options.engineOptions);
  } catch (err) {
    if (!options.fallbackToFreePort || !(err instanceof LoopscopeError) || err.code !== 'port_in_use')
      throw err;
    const engine = await createEngine({ ...options.engineOptions, port: 0 });
    // Kept by the hub until the window listens.
    notice(hub, 'warn', 'port_in_use', `${err.message}; the demo server took ${engine.url} instead`);
    return engine;
  }
}

function notice(hub: EventHub, level: 'info' | 'warn' | 'error', code: string, message: string): void {
  hub.emit('notice', { level, code, message, time: Date.now() });
}

class Host implements AppHost {
  private engine: Engine;
  private ownsEngine: boolean;
  private unsubscribeSnapshots: () => void;
  private generator: Promise<LoadController> | null = null;
  private unsubscribeReports: (() => void) | null = null;
  private externalTarget: string | null = null;
  private latestReport: LoadReport | null = null;
  private forwardedReport: LoadReport | null = null;
  private lastWarning: string | null = null;
  /** Commands that replace the engine or retarget the generator run one at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly forwardTimer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  readonly on: EventHub['on'];

  constructor(
    private readonly options: AppHostOptions,
    engine: Engine,
    private readonly hub: EventHub,
  ) {
    this.on = hub.on.bind(hub);
    this.engine = engine;
    this.ownsEngine = options.engine === undefined;
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
    };
  }

  async handle(name: unknown, payload: unknown): Promise<CommandResult> {
    const checked = validateCommand(name, payload);
    if (!checked.ok) return checked;
    if (this.closing) return { ok: false, error: { code: 'closed', message: 'the app is shutting down' } };
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
    setTarget: ({ url }) => this.inSeries(() => this.retarget(url)),
    load: async (cmd) => {
      await this.withGenerator((generator) => generator.command(cmd));
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
  };

  /** Forks the load generator on first use; a failed start is retried by the next command. */
  generatorReady(): Promise<LoadController> {
    if (!this.generator) {
      const starting = startLoadGenerator({ target: this.externalTarget ?? this.engine.url });
      this.generator = starting;
      starting.then(
        (controller) => {
          this.unsubscribeReports = controller.onReport((report) => {
            this.latestReport = report;
          });
        },
        () => {
          if (this.generator === starting) this.generator = null;
        },
      );
    }
    return this.generator;
  }

  /** Runs a generator command; if the generator process has died, starts a new one and retries once. */
  private async withGenerator<T>(task: (generator: LoadController) => Promise<T>): Promise<T> {
    const generator = await this.generatorReady();
    try {
      return await task(generator);
    } catch (err) {
      if (!(err instanceof LoopscopeError) || err.code !== 'generator_exited') throw err;
      if (this.generator) {
        this.unsubscribeReports?.();
        this.generator = null;
        await generator.close();
      }
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
    const offSnapshots = engine.metrics.subscribe((snapshot) => this.hub.emit('snapshot', snapshot));
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
    const queue = old.jobs.stats();
    const next = await createEngine({
      ...this.options.engineOptions,
      host: old.host,
      port,
      sampleIntervalMs: old.metrics.intervalMs,
      queueCapacity: queue.capacity,
      workers: queue.workers,
      stalls: this.options.engineOptions?.stalls === false ? false : { thresholdMs: old.stalls.thresholdMs },
    });
    this.unsubscribeSnapshots();
    this.engine = next;
    this.ownsEngine = true;
    this.unsubscribeSnapshots = this.watchEngine(next);
    if (this.generator && this.externalTarget === null) {
      // Clients of the old server are stopped by the generator before it points at the new one.
      await (await this.generator).command({ type: 'target', url: next.url });
    }
    await old.close();
    notice(this.hub, 'info', 'server_moved', `demo server moved to ${next.url}`);
    return this.info();
  }

  private async retarget(url: string | null): Promise<AppInfo> {
    const target = url ?? this.engine.url;
    await this.withGenerator((generator) => generator.command({ type: 'target', url: target }));
    this.externalTarget = url;
    return this.info();
  }

  private forwardReport(): void {
    const report = this.latestReport;
    if (!report || report === this.forwardedReport) return;
    this.forwardedReport = report;
    this.hub.emit('loadReport', report);
    // Said once when the generator becomes the bottleneck, not again for every changed figure.
    const warning = report.generator.warning;
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
    await this.serial;
    const generator = this.generator ? await this.generator.catch(() => null) : null;
    // The generator goes first so its clients do not count as failures while the server closes.
    await generator?.close();
    if (this.ownsEngine) await this.engine.close();
    this.hub.clear();
  }
}
