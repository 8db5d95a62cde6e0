/**
 * The typed API's commands (common/api.ts), each validated and handed to the part of the host that
 * carries it out: the demo server's lifecycle, the load generator's, the process watch.
 *
 * Plain Node: never imports electron.
 */
import { recordingMeta } from '../report/recording-meta';
import type {
  AppInfo,
  CommandName,
  CommandReplies,
  CommandResult,
  ParsedCommandPayload,
} from '../../common/api';
import { validateCommand } from '../../common/api-schemas';
import { LoopscopeError } from '../../common/errors';
import { STALL_LIST_MAX } from '../../common/limits';
import { toApiError } from './api-error';
import { snapshotDir, writeOwnSnapshot } from './heap-snapshot';
import type { EngineLifecycle } from './engine-lifecycle';
import type { GeneratorLifecycle } from './generator-lifecycle';
import type { ProcessWatch } from './process-watch';
import { SerialQueue } from './serial-queue';

type Handlers = { [K in CommandName]: (payload: ParsedCommandPayload<K>) => Promise<CommandReplies[K]> };

const BCRYPT_PASSWORD = 'loopscope-demo-password';

export interface HostParts {
  info(): AppInfo;
  closing(): boolean;
  engines: EngineLifecycle;
  generators: GeneratorLifecycle;
  watch: ProcessWatch;
}

export class Dispatcher {
  /** Commands that replace the engine or retarget the generator run one at a time. */
  readonly serial = new SerialQueue();
  private readonly handlers: Handlers;

  constructor(private readonly host: HostParts) {
    this.handlers = commandHandlers(host, this.serial);
  }

  /** Validates an untrusted command and runs it; never rejects. */
  async handle(name: unknown, payload: unknown): Promise<CommandResult> {
    const checked = validateCommand(name, payload);
    if (!checked.ok) return checked;
    if (this.host.closing())
      return { ok: false, error: { code: 'shutting_down', message: 'the app is shutting down' } };
    const handler = this.handlers[checked.name] as (p: unknown) => Promise<unknown>;
    try {
      return { ok: true, value: await handler(checked.payload) };
    } catch (err) {
      // The caller shows its own failure; notices are for what happens on the app's initiative.
      return { ok: false, error: toApiError(err) };
    }
  }
}

function commandHandlers(host: HostParts, serial: SerialQueue): Handlers {
  const { engines, generators, watch } = host;
  return {
    getInfo: async () => host.info(),
    setServerPort: ({ port }) =>
      serial.run(async () => {
        await engines.move(port);
        return host.info();
      }),
    setServerWorkers: ({ count }) =>
      serial.run(async () => {
        await engines.restartWithWorkers(count);
        return host.info();
      }),
    killServerWorker: async () => engines.killWorker(),
    setTarget: ({ url }) =>
      serial.run(async () => {
        await generators.retarget(url);
        return host.info();
      }),
    load: async (cmd) => {
      await generators.command(cmd);
      return { ok: true };
    },
    enqueueJobs: ({ count, workMs }) => engines.engine.jobs.enqueue(count, workMs, { wait: false }),
    setWorkers: async ({ workers }) => engines.engine.jobs.setWorkers(workers),
    runBcrypt: async ({ cost, mode }) => {
      const result = await engines.engine.bcrypt.hash(BCRYPT_PASSWORD, cost, mode);
      return { mode: result.mode, ms: result.ms, cost };
    },
    setSampleInterval: async ({ ms }) => {
      engines.engine.metrics.setIntervalMs(ms);
      return { ms: engines.engine.metrics.intervalMs };
    },
    setStallThreshold: async ({ thresholdMs }) => {
      engines.engine.stalls.thresholdMs = thresholdMs;
      return { thresholdMs: engines.engine.stalls.thresholdMs };
    },
    listProcesses: async () => ({ processes: await watch.list(), watching: watch.watching }),
    watchProcess: ({ pid, stallMs }) => watch.watch(pid, stallMs),
    unwatchProcess: async () => ({ detached: await watch.unwatch() }),
    stallProfile: async (which) => {
      if (which.source === 'watch') return watch.profile(which.pid, which.id);
      const profile = engines.engine.stalls.profile(which.id);
      if (!profile)
        throw new LoopscopeError(
          'not_found',
          `no profile for stall ${which.id} of the demo server: the latest ${STALL_LIST_MAX} stalls are kept`,
        );
      return profile;
    },
    recordingMeta: async () => {
      const info = host.info();
      return recordingMeta({
        source: 'dashboard',
        commandLine: null,
        target: info.targetUrl ?? info.serverUrl,
        intervalMs: engines.engine.metrics.intervalMs,
      });
    },
    heapSnapshot: async (which) => {
      if (which.source === 'watch') return watch.heapSnapshot(which.pid, snapshotDir(which.dir));
      // Under --workers the servers' heaps are in the workers; this process holds none of them.
      if (engines.workers > 1)
        throw new LoopscopeError(
          'bad_command',
          `the demo server runs as ${engines.workers} processes: its heap snapshot is taken with one (set Workers to 1)`,
        );
      return writeOwnSnapshot(snapshotDir(which.dir));
    },
  };
}
