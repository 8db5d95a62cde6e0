/**
 * A stall's CPU samples as a `.cpuprofile` (docs/protocol.md §9 `GET /stalls/ID/profile`): the
 * format Chrome DevTools and speedscope open, the shape of the inspector's `Profiler.Profile`.
 * What the server serves, the app hands the renderer, and the flame graph draws. Zod-free, so the
 * renderer can import it.
 *
 * Positions follow the format's own convention, 0-based lines and columns, where a §9 frame's are
 * 1-based: a node's `lineNumber + 1` is the frame's `lineNumber`. Both point into the source file a
 * person edits (through its source map, where the script has one).
 */

export interface CpuProfileCallFrame {
  /** '' for an anonymous function, and for native code (then `scriptId` is "0" and `url` ''). */
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based start of the function; -1 for V8's own nodes ((root), (program), ...). */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CpuProfileCallFrame;
  /** Samples in which this node was the innermost frame. */
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  /** The root first; every other node is a child of one listed before or after it. */
  nodes: CpuProfileNode[];
  /** V8's monotonic clock, µs: the stall's start and end. */
  startTime: number;
  endTime: number;
  /** Node id of each sample, in time order. */
  samples: number[];
  /** µs from the previous sample (the first: from `startTime`). */
  timeDeltas: number[];
}

/** `stall-ID.cpuprofile`, as the server's content-disposition names it; a watched process's carries its pid. */
export function profileFilename(id: number, pid?: number): string {
  return pid === undefined ? `stall-${id}.cpuprofile` : `pid-${pid}-stall-${id}.cpuprofile`;
}
