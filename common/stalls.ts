/**
 * The one "stall" shape (docs/protocol.md §9): what the hosted server lists at /stalls, what the
 * load generator counts, and what snapshots carry to the dashboard. Plus the few pure helpers
 * every reader needs to show a stall the same way (`function file:line`).
 */

export interface StallFrame {
  functionName: string;
  /** file:// URL of the source a person edits (source-mapped); '' for native code. */
  url: string;
  /** 1-based. */
  lineNumber: number;
  /** 1-based. */
  columnNumber: number;
}

export interface HotEntry {
  functionName: string;
  url: string;
  lineNumber: number;
  /** Self time during the stall, from CPU samples. */
  selfMs: number;
}

export interface Stall {
  id: number;
  /** Epoch ms of the last heartbeat before the loop blocked. */
  startedAt: number;
  durationMs: number;
  /** From the start of the stall to the moment the watchdog noticed it. */
  detectedAfterMs: number;
  /** 'pause': a stack caught mid-stall; 'profile': CPU samples taken during the stall. */
  stackFrom: 'pause' | 'profile';
  process: string;
  /** Innermost first. */
  frames: StallFrame[];
  hot: HotEntry[];
}

export interface StallTotals {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** What a snapshot carries: totals since start and the stalls new since the previous snapshot. */
export interface StallWindow extends StallTotals {
  thresholdMs: number;
  /** New since the previous snapshot, newest last, capped (SNAPSHOT_STALLS_MAX). */
  recent: Stall[];
}

/** Library code, Node's own modules and native frames are not what a person came to edit. */
export function isProjectFrame(frame: { url: string }): boolean {
  return frame.url.startsWith('file://') && !frame.url.includes('/node_modules/');
}

/** The frame to name a stall by: the innermost project frame, else the innermost frame. */
export function culpritFrame(stall: Pick<Stall, 'frames'>): StallFrame | null {
  return stall.frames.find(isProjectFrame) ?? stall.frames[0] ?? null;
}

/** A URL shortened for people: from node_modules/, or the last three path segments. */
export function shortPath(url: string): string {
  if (url === '') return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  return path.split('/').slice(-3).join('/');
}

/** `function file:line`, the way the CLI log and the dashboard name a frame. */
export function frameText(frame: StallFrame | null): string {
  if (!frame) return '(no frame)';
  if (frame.url === '') return frame.functionName;
  return `${frame.functionName} ${shortPath(frame.url)}:${frame.lineNumber}`;
}

/** The whole stack as text (the dashboard's "copy"). */
export function stackText(stall: Stall): string {
  const head = `stall #${stall.id} ${stall.durationMs.toFixed(1)} ms (${stall.process}, stack from ${stall.stackFrom})`;
  const frames = stall.frames.map(
    (f) => `    at ${f.functionName} (${f.url || 'native'}:${f.lineNumber}:${f.columnNumber})`,
  );
  const hot = stall.hot.map(
    (h) => `    ${h.selfMs.toFixed(1)} ms  ${h.functionName} ${shortPath(h.url)}:${h.lineNumber}`,
  );
  return [head, ...frames, ...(hot.length > 0 ? ['  hot:', ...hot] : [])].join('\n');
}
