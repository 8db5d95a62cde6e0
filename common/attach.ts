/**
 * The attach stream (docs/protocol.md §11): what `attach --json` writes, one object per line, while it
 * watches a Node process Loopscope does not host. The app's "Watch a process" panel reads the same
 * events. Zod-free, so the renderer can import it.
 */
import type { Diagnosis } from './diagnosis';
import type { Stall } from './stalls';
import type { RequestStats } from './snapshot';

/** Open handles of the watched process by type (`process.getActiveResourcesInfo()`, renamed). */
export type HandleCounts = Record<string, number>;

export interface AttachSample {
  type: 'sample';
  /** Epoch ms at the end of the window. */
  time: number;
  /** Since the previous sample. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Event-loop utilization since the previous sample, 0..1. */
  utilization: number;
  heapUsedBytes: number;
  /** tcp (sockets: its connections), server (listening sockets), timer, immediate, fs, pipe, ... */
  handles: HandleCounts;
  /** docs/protocol.md §8: the requests every node:http server in the process served in the window. */
  requests: RequestStats;
}

export interface AttachAttached {
  type: 'attached';
  pid: number;
  /** The inspector's loopback address, HOST:PORT. */
  inspector: string;
  /** True when attach opened the inspector (SIGUSR1) and so closes it on detach. */
  openedInspector: boolean;
  nodeVersion: string;
  stallThresholdMs: number;
  /**
   * Who catches the stalls: `attach` itself (it pauses and profiles the target), or `target` —
   * the target runs Loopscope's own stall explorer, and attach passes on what it finds.
   */
  stallsFrom: 'attach' | 'target';
  time: number;
}

export type DetachReason = 'duration' | 'signal' | 'request' | 'target_exited' | 'connection_lost';

export interface AttachDetached {
  type: 'detached';
  pid: number;
  reason: DetachReason;
  /** Whether the inspector port attach opened was closed (null: attach did not open one). */
  inspectorClosed: boolean | null;
  stalls: number;
  time: number;
}

export type AttachStall = { type: 'stall' } & Stall;

/** docs/protocol.md §12: one line when an episode opens, one when it closes (`endedAt` set). */
export type AttachDiagnosis = Diagnosis;

export type AttachEvent = AttachAttached | AttachSample | AttachStall | AttachDiagnosis | AttachDetached;

/** How `process.getActiveResourcesInfo()` names a handle → the short name the stream uses. */
export const HANDLE_NAMES: Readonly<Record<string, string>> = {
  TCPSocketWrap: 'tcp',
  TCPServerWrap: 'server',
  Timeout: 'timer',
  Immediate: 'immediate',
  FSReqCallback: 'fs',
  FSReqPromise: 'fs',
  FileHandle: 'fs',
  PipeWrap: 'pipe',
  PipeServerWrap: 'pipe_server',
  TTYWrap: 'tty',
  UDPWrap: 'udp',
  ProcessWrap: 'child_process',
  GetAddrInfoReqWrap: 'dns',
  SignalWrap: 'signal',
  FSEventWrap: 'fs_watch',
  StatWatcher: 'fs_watch',
};

/** One row of the app's "Watch a process" list: a Node process of this user, not one of the app's own. */
export interface WatchableProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
  /** The loopback port of its inspector when one is already open; attach opens one otherwise. */
  inspectorPort: number | null;
}

/** What the app is watching, as every window sees it. */
export interface WatchState {
  pid: number;
  command: string;
  /** The inspector's loopback address, HOST:PORT. */
  inspector: string;
  /** True when attach opened the inspector, and so closes it on detach. */
  openedInspector: boolean;
  nodeVersion: string;
  stallThresholdMs: number;
  /** Epoch ms of the attach. */
  since: number;
}

/**
 * The app's `watch` event: the attach stream of the watched process, tagged with its pid, so a
 * window can never mistake the samples of a process it stopped watching for those of the next.
 */
export interface WatchEvent {
  pid: number;
  /** Its command line, as the list showed it. */
  command: string;
  event: AttachEvent;
}
