/**
 * A stall's own `.cpuprofile` (docs/protocol.md §9 GET /stalls/ID/profile): the samples V8 took
 * between the stall's start and its end, the nodes they stand on, and every position mapped to the
 * source a person edits, as the stall's `frames` are.
 *
 * The profile the explorer reads holds up to 10 s of samples (60 s for attach) around the stall;
 * only the window is kept, capped in size (limits.ts), because the latest 100 stalls keep theirs.
 */
import type { Profiler } from 'node:inspector';
import type { CpuProfile, CpuProfileCallFrame, CpuProfileNode } from '../../common/cpuprofile';
import { STALL_PROFILE_NODES_MAX, STALL_PROFILE_SAMPLES_MAX } from './limits';
import type { ScriptCatalog } from './scripts';

export interface TrimLimits {
  samples: number;
  nodes: number;
}

const LIMITS: TrimLimits = { samples: STALL_PROFILE_SAMPLES_MAX, nodes: STALL_PROFILE_NODES_MAX };

/**
 * The samples of `profile` from `fromUs` to `toUs` (the profile's clock, as analyseWindow reads
 * them) and the nodes on their stacks; positions untouched. `startTime` and `endTime` are the
 * window's, so the profile's time is the stall's.
 */
export function trimProfile(
  profile: Profiler.Profile,
  fromUs: number,
  toUs: number,
  limits: TrimLimits = LIMITS,
): CpuProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const root = profile.nodes.find((n) => !parent.has(n.id)) ?? profile.nodes[0]!;

  let kept: { id: number; t: number }[] = [];
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t >= fromUs && t <= toUs && byId.has(samples[i]!)) kept.push({ id: samples[i]!, t });
  }
  if (kept.length > limits.samples) {
    // Every k-th: each kept sample then stands for the time until the next kept one.
    const k = Math.ceil(kept.length / limits.samples);
    kept = kept.filter((_, i) => i % k === 0);
  }

  // Nodes are taken root-down along each sample's stack, so what is kept is always a tree.
  const included = new Set<number>([root.id]);
  const onKept = (id: number): number => {
    const path: number[] = [];
    let at: number | undefined = id;
    while (at !== undefined && !included.has(at)) {
      path.push(at);
      at = parent.get(at);
    }
    // `at` is kept (the root at worst); add the rest of the stack while the budget lasts.
    let deepest = at ?? root.id;
    for (let i = path.length - 1; i >= 0 && included.size < limits.nodes; i--) {
      included.add(path[i]!);
      deepest = path[i]!;
    }
    return deepest;
  };
  const sampleIds = kept.map((s) => onKept(s.id));

  const hits = new Map<number, number>();
  for (const id of sampleIds) hits.set(id, (hits.get(id) ?? 0) + 1);
  const nodes: CpuProfileNode[] = [root, ...profile.nodes.filter((n) => n !== root)]
    .filter((n) => included.has(n.id))
    .map((n) => ({
      id: n.id,
      callFrame: { ...n.callFrame },
      hitCount: hits.get(n.id) ?? 0,
      children: (n.children ?? []).filter((c) => included.has(c)),
    }));
  const timeDeltas = kept.map((s, i) => s.t - (i === 0 ? fromUs : kept[i - 1]!.t));
  return { nodes, startTime: fromUs, endTime: toUs, samples: sampleIds, timeDeltas };
}

/**
 * Each node's position in the source a person edits, 0-based as the format has it: the frame
 * `catalog.frame` gives a §9 stack, one line and column less. V8's own nodes ((root), (program),
 * (garbage collector)) and native code have no script and stay as they are.
 */
export function mapProfile(catalog: ScriptCatalog, profile: CpuProfile): CpuProfile {
  const map = (cf: CpuProfileCallFrame): CpuProfileCallFrame => {
    if (cf.scriptId === '0' || cf.lineNumber < 0) return cf;
    const frame = catalog.frame(cf.functionName, cf);
    return {
      ...cf,
      // A script the catalog never saw keeps the URL V8 gave.
      url: frame.url || cf.url,
      lineNumber: frame.lineNumber - 1,
      columnNumber: frame.columnNumber - 1,
    };
  };
  return { ...profile, nodes: profile.nodes.map((n) => ({ ...n, callFrame: map(n.callFrame) })) };
}

/** The stall's window of `profile`, trimmed and source-mapped. */
export function stallProfile(
  catalog: ScriptCatalog,
  profile: Profiler.Profile,
  fromUs: number,
  toUs: number,
): CpuProfile {
  return mapProfile(catalog, trimProfile(profile, fromUs, toUs));
}
