/** What the watchdog thread and the thread it watches tell each other. */
import type { Stall } from '../../common/stalls';

export interface WatchdogData {
  buffer: SharedArrayBuffer;
  /** docs/protocol.md §9 `process`: "server", "generator", ... */
  processName: string;
}

export type FromWatchdog =
  | { type: 'ready' }
  | { type: 'stall'; stall: Omit<Stall, 'id'> }
  /** The inspector refused something; the watchdog keeps going where it can. */
  | { type: 'error'; message: string };

export type ToWatchdog = { type: 'close' };
