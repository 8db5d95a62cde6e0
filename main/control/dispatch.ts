/**
 * The typed API's commands (common/api.ts), each validated and handed to the part of the host that
 * carries it out: the demo server's lifecycle, the load generator's, the process watch.
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
import { toApiError } from './api-error';
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
  };
}
