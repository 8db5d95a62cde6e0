/**
 * The one typed surface between the renderer and the app. The preload (Electron IPC) and the
 * browser-mode WebSocket bridge both implement exactly this declaration, so the renderer cannot
 * tell which one it talks to. Every payload is validated on the receiving side with these schemas.
 */
import { z } from 'zod';
import { MAX_STALL_THRESHOLD_MS, MIN_STALL_THRESHOLD_MS } from '../main/engine/stalls/limits';
import { loadCommandSchema } from './load';
import type { LoadReport } from './load';
import type { EngineSnapshot, QueueStats } from './snapshot';
import type { Stall } from './stalls';

export interface AppInfo {
  /** The demo server's base URL, e.g. http://127.0.0.1:8888 */
  serverUrl: string;
  /** Where simulated clients point: the demo server unless an external target is set. */
  targetUrl: string;
  /** 'electron' inside the desktop app, 'browser' for the dashboard served by `serve`. */
  shell: 'electron' | 'browser';
  sampleIntervalMs: number;
}

const port = z.number().int().min(0).max(65_535);

/** Payload schemas, one per command. */
export const commandSchemas = {
  getInfo: z.object({}).strict(),
  /** Restart the demo server on another port (0 picks a free one). */
  setServerPort: z.object({ port }).strict(),
  /** Point simulated clients at another server; null goes back to the demo server. */
  setTarget: z.object({ url: z.string().url().nullable() }).strict(),
  load: loadCommandSchema,
  enqueueJobs: z
    .object({ count: z.number().int().min(1).max(100_000), workMs: z.number().int().min(0).max(10_000) })
    .strict(),
  setWorkers: z.object({ workers: z.number().int().min(1).max(1_000) }).strict(),
  runBcrypt: z.object({ cost: z.number().int().min(4).max(14), mode: z.enum(['loop', 'pool']) }).strict(),
  setSampleInterval: z.object({ ms: z.number().int().min(250).max(10_000) }).strict(),
  /** PROTOCOL.md §9: what counts as a stall of the demo server's loop. */
  setStallThreshold: z
    .object({ thresholdMs: z.number().int().min(MIN_STALL_THRESHOLD_MS).max(MAX_STALL_THRESHOLD_MS) })
    .strict(),
} as const;

export type CommandName = keyof typeof commandSchemas;
export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

export interface CommandReplies {
  getInfo: AppInfo;
  setServerPort: AppInfo;
  setTarget: AppInfo;
  load: { ok: true };
  enqueueJobs: { accepted: number; rejected: number; depth: number };
  setWorkers: QueueStats;
  runBcrypt: { mode: 'loop' | 'pool'; ms: number; cost: number };
  setSampleInterval: { ms: number };
  setStallThreshold: { thresholdMs: number };
}

export type CommandPayload<K extends CommandName> = z.input<(typeof commandSchemas)[K]>;
export type ParsedCommandPayload<K extends CommandName> = z.output<(typeof commandSchemas)[K]>;

/** Pushed from the app to the renderer; each at most once per interval. */
export interface ApiEvents {
  snapshot: EngineSnapshot;
  loadReport: LoadReport;
  /**
   * A stall of the demo server's loop, as soon as it is listed (snapshots carry it too, up to a
   * second later). Bounded by nature: each one is at least the threshold (≥ 20 ms) of blocked loop.
   */
  stall: Stall;
  /** Something the user should see: the generator died, a port was in use, a limit was hit. */
  notice: { level: 'info' | 'warn' | 'error'; code: string; message: string; time: number };
}
export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = ['snapshot', 'loadReport', 'notice', 'stall'];

/** A failed command, as the renderer receives it: a stable code plus a message for people. */
export interface ApiErrorShape {
  code: string;
  message: string;
}

/** What the renderer holds: the same object whether it came from the preload or the WebSocket bridge. */
export interface LoopscopeApi {
  invoke<K extends CommandName>(name: K, payload: CommandPayload<K>): Promise<CommandReplies[K]>;
  on<E extends EventName>(event: E, listener: (data: ApiEvents[E]) => void): () => void;
}

/** Electron IPC channel names, derived from the declaration so none is typed by hand elsewhere. */
export const ipcChannel = {
  command: (name: CommandName) => `loopscope:cmd:${name}`,
  event: (name: EventName) => `loopscope:evt:${name}`,
} as const;

export type ValidationResult<K extends CommandName> =
  { ok: true; name: K; payload: ParsedCommandPayload<K> } | { ok: false; error: ApiErrorShape };

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commandSchemas, name);
}

/** Checks an untrusted (name, payload) pair; never throws. */
export function validateCommand(name: unknown, payload: unknown): ValidationResult<CommandName> {
  if (!isCommandName(name)) {
    return {
      ok: false,
      error: { code: 'unknown_command', message: `unknown command ${JSON.stringify(name)}` },
    };
  }
  const parsed = commandSchemas[name].safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'payload';
    return {
      ok: false,
      error: { code: 'bad_payload', message: `${name}: ${where}: ${issue?.message ?? 'invalid'}` },
    };
  }
  return { ok: true, name, payload: parsed.data } as ValidationResult<CommandName>;
}
