/**
 * What a CPU profile says about one stall: the samples V8 took between the stall's start and its
 * end, the stack that held most of them, and self time by function (`hot`).
 *
 * The profile's timestamps are V8's monotonic clock in µs, the same clock as
 * process.hrtime() / 1000 on Linux and macOS, which is what the heartbeat records; the window needs no
 * conversion.
 */
import type { Debugger, Profiler } from 'node:inspector';
import type { HotEntry, StallFrame } from '../../common/stalls';
import type { ScriptCatalog, V8Position } from './scripts';

/** V8's bookkeeping nodes: not code that ran. (garbage collector) is kept: a GC pause is a stall. */
const META = new Set(['(root)', '(program)', '(idle)']);
/** The name given to a sample in native code with no name of its own (a C++ addon's callback). */
export const NATIVE = '(native)';
/** V8's name for samples taken while the garbage collector held the thread. */
export const GARBAGE_COLLECTOR = '(garbage collector)';

export interface ProfileFunction {
  functionName: string;
  scriptId: string;
  /** 0-based start of the function in the code V8 ran. */
  lineNumber: number;
  columnNumber: number;
}

export interface WindowAnalysis {
  /** Samples inside the window that ran code (meta nodes excluded). */
  samples: number;
  /** The stack of the node with the most samples, innermost first. */
  stack: ProfileFunction[];
  hot: Array<ProfileFunction & { selfMs: number }>;
}

function fn(node: Profiler.ProfileNode): ProfileFunction {
  const cf = node.callFrame;
  // A native callback (bcrypt's C++) has neither name nor script.
  const native = cf.functionName === '' && cf.url === '' && cf.scriptId === '0';
  return {
    functionName: native ? NATIVE : cf.functionName || '(anonymous)',
    scriptId: cf.scriptId,
    lineNumber: cf.lineNumber,
    columnNumber: cf.columnNumber,
  };
}

const key = (f: ProfileFunction): string =>
  `${f.scriptId}:${f.lineNumber}:${f.columnNumber}:${f.functionName}`;

export function analyseWindow(profile: Profiler.Profile, fromUs: number, toUs: number): WindowAnalysis {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const perNode = new Map<number, number>();
  const self = new Map<string, { f: ProfileFunction; us: number }>();
  let counted = 0;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const node = nodes.get(samples[i]!);
    if (!node || META.has(node.callFrame.functionName)) continue;
    counted++;
    perNode.set(node.id, (perNode.get(node.id) ?? 0) + 1);
    // A sample stands for the time until the next one (clipped to the window).
    const next = i + 1 < samples.length ? t + (deltas[i + 1] ?? 0) : profile.endTime;
    const us = Math.max(0, Math.min(next, toUs) - t);
    const f = fn(node);
    const entry = self.get(key(f));
    if (entry) entry.us += us;
    else self.set(key(f), { f, us });
  }

  let top: number | null = null;
  for (const [id, n] of perNode) if (top === null || n > perNode.get(top)!) top = id;
  const stack: ProfileFunction[] = [];
  for (let id = top; id !== null && id !== undefined; id = parent.get(id) ?? null) {
    const node = nodes.get(id);
    if (!node) break;
    if (!META.has(node.callFrame.functionName)) stack.push(fn(node));
  }
  const hot = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .map(({ f, us }) => ({ ...f, selfMs: Math.round(us / 100) / 10 }));
  return { samples: counted, stack, hot };
}

/** Same script, same name: positions differ between the two sources for module top levels. */
export function sameFunction(a: ProfileFunction, b: ProfileFunction): boolean {
  return a.scriptId === b.scriptId && a.functionName === b.functionName;
}

export function mapFrame(catalog: ScriptCatalog, f: ProfileFunction): StallFrame {
  if (f.scriptId === '0') return { functionName: f.functionName, url: '', lineNumber: 0, columnNumber: 0 };
  return catalog.frame(f.functionName, f);
}

/** The stall's frames as listed: the pause's at the lines it caught, or the heaviest sampled stack's. */
export function stallFrames(
  catalog: ScriptCatalog,
  stackFrom: 'pause' | 'profile',
  window: WindowAnalysis,
  pause: PausedStack | null,
): StallFrame[] {
  if (stackFrom === 'pause' && pause) {
    return pause.frames.map((f, i) => catalog.frame(f.functionName, pause.positions[i]!));
  }
  return window.stack.map((f) => mapFrame(catalog, f));
}

export function mapHot(catalog: ScriptCatalog, entry: ProfileFunction & { selfMs: number }): HotEntry {
  const frame = mapFrame(catalog, entry);
  return {
    functionName: frame.functionName,
    url: frame.url,
    lineNumber: frame.lineNumber,
    selfMs: entry.selfMs,
  };
}

/** A stack caught by Debugger.pause: innermost first, with where each frame was when it paused. */
export interface PausedStack {
  atUs: number;
  /** The functions, positioned at their start (as profile samples are). */
  frames: ProfileFunction[];
  /** Where each frame was, in the code V8 ran. */
  positions: V8Position[];
}

export function pausedStack(callFrames: Debugger.CallFrame[], atUs: number): PausedStack {
  return {
    atUs,
    frames: callFrames.map((cf) => ({
      functionName: cf.functionName || '(anonymous)',
      scriptId: cf.functionLocation?.scriptId ?? cf.location.scriptId,
      lineNumber: cf.functionLocation?.lineNumber ?? -1,
      columnNumber: cf.functionLocation?.columnNumber ?? -1,
    })),
    positions: callFrames.map((cf) => ({
      scriptId: cf.location.scriptId,
      lineNumber: cf.location.lineNumber,
      columnNumber: cf.location.columnNumber ?? 0,
    })),
  };
}
