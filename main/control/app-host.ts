/**
 * The app host: one implementation of the typed API (common/api.ts) over the engine and the load
 * generator. The Electron shell (main/ipc.ts) and the browser-mode bridge (main/dashboard/) are
 * both thin adapters over this; neither knows how a command is carried out.
 *
 * The host only assembles the parts and closes them in order: dispatch.ts runs the commands,
 * engine-lifecycle.ts and generator-lifecycle.ts own the demo server and the load generator,
 * engine-events.ts and report-forwarder.ts carry what they push to the renderer.
 *
 * Plain Node: never imports electron.
 */
import type { AppInfo, CommandResult } from '../../common/api';
import type { Engine, EngineOptions } from '../engine/engine';
import type { LoadController } from '../load/controller';
import { Dispatcher } from './dispatch';
import { forwardEngineEvents } from './engine-events';
import { EngineLifecycle, maxServerWorkers, startEngine } from './engine-lifecycle';
import { checkSpawn } from './spawn-capacity';
import { readBoxLimits } from '../load/capacity';
import { parseTarget } from '../load/target';
import { EventHub } from './event-hub';
import { GeneratorLifecycle } from './generator-lifecycle';
import { defaultSnapshotDir } from './heap-snapshot';
import { ProcessWatch } from './process-watch';

export { maxServerWorkers };

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

export interface AppHost {
  info(): AppInfo;
  /** Validates an untrusted command and runs it; never rejects. */
  handle(name: unknown, payload: unknown): Promise<CommandResult>;
  on: EventHub['on'];
  /** Stops the generator, then the engine. */
  close(): Promise<void>;
}

export async function createAppHost(options: AppHostOptions): Promise<AppHost> {
  const hub = new EventHub();
  const engine = await startEngine(
    {
      options: options.engineOptions,
      workers: options.serverWorkers ?? 1,
      fallbackToFreePort: options.fallbackToFreePort ?? false,
    },
    hub,
  );
  const host = new Host(options, engine, hub);
  if (options.generator === 'eager') {
    // Not fatal: the app is still useful without simulated clients, and the next load command retries.
    await host.generatorReady().catch((err: unknown) => console.error('loopscope: load generator:', err));
  }
  return host;
}

class Host implements AppHost {
  readonly on: EventHub['on'];
  private readonly generators: GeneratorLifecycle;
  private readonly engines: EngineLifecycle;
  /** "Watch a process": one attach at a time, detached when the host closes. */
  private readonly watch: ProcessWatch;
  private readonly dispatcher: Dispatcher;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: AppHostOptions,
    engine: Engine,
    private readonly hub: EventHub,
  ) {
    this.on = hub.on.bind(hub);
    this.watch = new ProcessWatch({
      emit: (event) => hub.emit('watch', event),
      notice: (level, code, message) => hub.notice(level, code, message),
    });
    this.generators = new GeneratorLifecycle(hub, options.reportForwardMs ?? 500, {
      serverUrl: () => this.engines.engine.url,
      closing: () => this.closing !== null,
      checkSpawn: (count, clients, atDemoServer) => {
        const target = parseTarget(this.generators.externalTarget ?? this.engines.engine.url, true);
        const sockets = this.engines.engine.metrics.latest().sockets;
        checkSpawn(count, {
          clients,
          server: atDemoServer
            ? {
                open: sockets.open,
                max: sockets.max,
                workers: this.engines.workers,
                maxWorkers: maxServerWorkers(),
              }
            : null,
          sourceAddresses: target.localAddresses?.length ?? 1,
          box: readBoxLimits(),
        });
      },
    });
    this.engines = new EngineLifecycle(engine, options.engineOptions, hub, this.generators, (next) =>
      // Each snapshot goes after the report windows received before it.
      forwardEngineEvents(next, hub, () => this.generators.reports.forward()),
    );
    this.dispatcher = new Dispatcher({
      info: () => this.info(),
      closing: () => this.closing !== null,
      engines: this.engines,
      generators: this.generators,
      watch: this.watch,
    });
  }

  info(): AppInfo {
    const engine = this.engines.engine;
    return {
      serverUrl: engine.url,
      targetUrl: this.generators.externalTarget ?? engine.url,
      shell: this.options.shell,
      sampleIntervalMs: engine.metrics.intervalMs,
      serverWorkers: this.engines.workers,
      maxServerWorkers: maxServerWorkers(),
      heapSnapshotDir: defaultSnapshotDir(),
    };
  }

  handle(name: unknown, payload: unknown): Promise<CommandResult> {
    return this.dispatcher.handle(name, payload);
  }

  generatorReady(): Promise<LoadController> {
    return this.generators.ready();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.generators.reports.stop();
    this.engines.stopEvents();
    this.generators.detach();
    // First: the watched process is left as it was found, whatever else fails below.
    await this.watch.close();
    await this.dispatcher.serial.idle();
    // The generator goes first so its clients do not count as failures while the server closes.
    await this.generators.close();
    await this.engines.close();
    this.hub.clear();
  }
}
