/**
 * The one typed surface between the renderer and the app. The preload (Electron IPC) and the
 * browser-mode WebSocket bridge both implement exactly this declaration, so the renderer cannot
 * tell which one it talks to. Zod-free, so the preload and the renderer bundle no validator: the
 * payload schemas that check every command on arrival are in api-schemas.ts, keyed by the names
 * declared here.
 */
import type { RecordingMeta } from './recording';
import type { CommandPayload } from './api-schemas';
import type { AttachDetached, WatchableProcess, WatchEvent, WatchState } from './attach';
import type { CpuProfile } from './cpuprofile';
import type { ErrorShape, NoticeCode } from './errors';
import type { LoadReport } from './load';
import type { EngineSnapshot, QueueStats } from './snapshot';
import type { Stall } from './stalls';

export type { CommandPayload, ParsedCommandPayload } from './api-schemas';

export interface AppInfo {
  /** The demo server's base URL, e.g. http://127.0.0.1:8888 */
  serverUrl: string;
  /** Where simulated clients point: the demo server unless an external target is set. */
  targetUrl: string;
  /** 'electron' inside the desktop app, 'browser' for the dashboard served by `serve`. */
  shell: 'electron' | 'browser';
  sampleIntervalMs: number;
  /** docs/protocol.md §10: server processes behind the demo server's port (1: the app's own process). */
  serverWorkers: number;
  /** The Workers control's top: this machine's cores. */
  maxServerWorkers: number;
  /** Where heap snapshots go when the page names no directory (created on first use). */
  heapSnapshotDir: string;
}

export const COMMAND_NAMES = [
  'getInfo',
  /** Restart the demo server on another port (0 picks a free one). */
  'setServerPort',
  /**
   * Restart the demo server as `count` processes on the same port (1 … cores), sharing a private
   * redis-server when count > 1 (docs/protocol.md §10).
   */
  'setServerWorkers',
  /** SIGKILL one server process (with 2 or more); the primary replaces it. */
  'killServerWorker',
  /** Point simulated clients at another server; null goes back to the demo server. */
  'setTarget',
  'load',
  'enqueueJobs',
  'setWorkers',
  'runBcrypt',
  'setSampleInterval',
  /** docs/protocol.md §9: what counts as a stall of the demo server's loop. */
  'setStallThreshold',
  /** The Node processes of this user the app can watch (docs/protocol.md §11), and what it watches now. */
  'listProcesses',
  /** Attaches to one pid of that list: SIGUSR1 opens its inspector if it is not open. */
  'watchProcess',
  /** Detaches: removes what attach installed, closes the inspector port it opened. */
  'unwatchProcess',
  /**
   * One stall's CPU samples as a `.cpuprofile` (docs/protocol.md §9 GET /stalls/ID/profile): the
   * demo server's (`server`, ids as the dashboard's stalls carry them, across every process), or
   * the watched process's (`watch`, that pid's). Only the latest STALL_LIST_MAX are kept.
   */
  'stallProfile',
  /**
   * A V8 heap snapshot (`.heapsnapshot`, for Chrome DevTools' Memory panel) of the demo server
   * (`server`: the app's own process, one-process servers only) or of the watched process
   * (`watch`), written to `dir` (an absolute path to an existing writable directory; absent: the
   * app's default, AppInfo.heapSnapshotDir) under a name the app makes: heap-PID-TIME.heapsnapshot.
   */
  'heapSnapshot',
  /** The first line of a recording the dashboard makes (common/recording.ts): version, machine, target. */
  'recordingMeta',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CommandReplies {
  getInfo: AppInfo;
  setServerPort: AppInfo;
  setServerWorkers: AppInfo;
  killServerWorker: { id: number; pid: number };
  setTarget: AppInfo;
  load: { ok: true };
  enqueueJobs: { accepted: number; rejected: number; depth: number };
  setWorkers: QueueStats;
  runBcrypt: { mode: 'loop' | 'pool'; ms: number; cost: number };
  setSampleInterval: { ms: number };
  setStallThreshold: { thresholdMs: number };
  listProcesses: { processes: WatchableProcess[]; watching: WatchState | null };
  watchProcess: WatchState;
  /** null: nothing was watched. */
  unwatchProcess: { detached: AttachDetached | null };
  stallProfile: CpuProfile;
  heapSnapshot: HeapSnapshotWritten;
  recordingMeta: RecordingMeta;
}

/** A heap snapshot on disk: where, how big, how long it took (the process paused meanwhile). */
export interface HeapSnapshotWritten {
  path: string;
  bytes: number;
  ms: number;
  /** Whose heap it is. */
  pid: number;
}

/** Pushed from the app to the renderer; each at most once per interval. */
export interface ApiEvents {
  snapshot: EngineSnapshot;
  loadReport: LoadReport;
  /** Something the user should see: the generator died, a port was in use, a limit was hit. */
  notice: { level: 'info' | 'warn' | 'error'; code: NoticeCode; message: string; time: number };
  /**
   * A stall of the demo server's loop, as soon as it is listed (snapshots carry it too, up to a
   * few per window): the Stalls panel should not wait for the next snapshot to show it.
   */
  stall: Stall;
  /**
   * The watched process's attach stream (docs/protocol.md §11): `attached`, a `sample` about once a
   * second, each `stall` as it ends (`process` is "pid P"), `detached` last (also when it exited).
   */
  watch: WatchEvent;
}
export type EventName = keyof ApiEvents;
export const EVENT_NAMES = [
  'snapshot',
  'loadReport',
  'notice',
  'stall',
  'watch',
] as const satisfies readonly EventName[];

/** A failed command, as the renderer receives it: a stable code plus a message for people. */
export type ApiErrorShape = ErrorShape;

/** What a command handler answers, over IPC or the bridge. */
export type CommandResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorShape };

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

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}
