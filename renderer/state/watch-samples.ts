/**
 * The watched process's samples (docs/protocol.md §11 `sample`), one flat row each: what the watch
 * charts draw. Fixed columns, handles folded into the few types worth a line; a ring of bounded
 * size, cleared when another process is watched.
 */
import type { AttachSample } from '../../common/attach';
import { latestValue, SampleRing, worstValue } from './ring-buffer';

export const WATCH_COLUMNS = [
  'time',
  'loop_p50_ms',
  'loop_p99_ms',
  'loop_max_ms',
  'loop_utilization',
  'heap_used_mb',
  /** Open TCP sockets: the process's connections. */
  'handles_tcp',
  'handles_server',
  'handles_timer',
  'handles_other',
  /** docs/protocol.md §8: its HTTP requests in the sample, timed inside it. */
  'requests_p99_ms',
] as const;
export type WatchColumn = (typeof WATCH_COLUMNS)[number];

/** An hour at one sample a second; the charts show at most 15 minutes of it. */
const WATCH_CAPACITY = 3600;

/** Handle types with a column of their own; every other type counts as `handles_other`. */
const OWN_COLUMN: Readonly<Record<string, WatchColumn>> = {
  tcp: 'handles_tcp',
  server: 'handles_server',
  timer: 'handles_timer',
};

export function toWatchRow(s: AttachSample): Record<WatchColumn, number> {
  const row: Record<WatchColumn, number> = {
    time: s.time,
    loop_p50_ms: s.loopDelayMs.p50,
    loop_p99_ms: s.loopDelayMs.p99,
    loop_max_ms: s.loopDelayMs.max,
    loop_utilization: s.utilization,
    heap_used_mb: s.heapUsedBytes / (1024 * 1024),
    handles_tcp: 0,
    handles_server: 0,
    handles_timer: 0,
    handles_other: 0,
    requests_p99_ms: s.requests && s.requests.count > 0 ? s.requests.p99Ms : Number.NaN,
  };
  for (const [type, n] of Object.entries(s.handles)) row[OWN_COLUMN[type] ?? 'handles_other'] += n;
  return row;
}

export class WatchStore {
  ring = new SampleRing<WatchColumn>(WATCH_COLUMNS, WATCH_CAPACITY);

  add(sample: AttachSample): void {
    this.ring.push(toWatchRow(sample));
  }

  /** The newest row's value of `column`; NaN before the first sample. */
  latest(column: WatchColumn): number {
    return latestValue(this.ring, column);
  }

  /** The largest value of `column` over the last `windowMs`; NaN before the first sample. */
  worst(column: WatchColumn, windowMs: number): number {
    return worstValue(this.ring, column, windowMs);
  }

  clear(): void {
    this.ring = new SampleRing<WatchColumn>(WATCH_COLUMNS, WATCH_CAPACITY);
  }
}
