/** What the watchdog thread and the thread it watches tell each other. */
import type { CpuProfile } from '../../common/cpuprofile';
import type { Stall } from '../../common/stalls';

export interface WatchdogData {
  buffer: SharedArrayBuffer;
  /** docs/protocol.md §9 `process`: "server", "generator", ... */
  processName: string;
}

export type FromWatchdog =
  | { type: 'ready' }
  /** With the samples of the stall's window (stall-profile.ts). */
  | { type: 'stall'; stall: Omit<Stall, 'id'>; profile: CpuProfile }
  /** The inspector refused something; the watchdog keeps going where it can. */
  | { type: 'error'; message: string };

export type ToWatchdog = { type: 'close' };
