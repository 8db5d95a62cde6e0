/**
 * Where a stall's time went, as a tree for the flame graph (flame.ts): one node per distinct
 * stack prefix, each with the time of the samples under it (`totalMs`) and of those that stopped at
 * it (`selfMs`). Pure: a .cpuprofile in, a tree and its rectangles out, so both are tested without
 * a page.
 *
 * A sample stands for the time from it to the next one (the last: to the profile's end), as
 * Chrome DevTools reads a profile; the time before the first sample belongs to none.
 */
import type { CpuProfile, CpuProfileCallFrame } from './cpuprofile';
import { shortPath } from './stalls';

export interface FlameNode {
  /** For people: '(anonymous)' and '(native)' where V8 gives no name. */
  name: string;
  /** Source file (file:// URL) or ''. */
  url: string;
  /** 1-based, as a §9 frame's; 0 for V8's own nodes and native code. */
  line: number;
  selfMs: number;
  totalMs: number;
  /** The most time first. */
  children: FlameNode[];
}

/** The same rule as the stall's frames (main/stalls/profile.ts): no name, no script is native code. */
function nameOf(cf: CpuProfileCallFrame): string {
  if (cf.functionName !== '') return cf.functionName;
  return cf.url === '' && cf.scriptId === '0' ? '(native)' : '(anonymous)';
}

const frameKey = (cf: CpuProfileCallFrame): string =>
  `${nameOf(cf)}\u0000${cf.url}\u0000${cf.lineNumber}:${cf.columnNumber}`;

interface Building extends FlameNode {
  byKey: Map<string, Building>;
}

function node(cf: CpuProfileCallFrame | null): Building {
  return {
    name: cf ? nameOf(cf) : '(root)',
    url: cf?.url ?? '',
    line: cf && cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0,
    selfMs: 0,
    totalMs: 0,
    children: [],
    byKey: new Map(),
  };
}

function finish(n: Building): FlameNode {
  const children = n.children.map((c) => finish(c as Building)).sort((a, b) => b.totalMs - a.totalMs);
  return { name: n.name, url: n.url, line: n.line, selfMs: n.selfMs, totalMs: n.totalMs, children };
}

/** The tree of `profile`'s samples; its root stands for the whole stall (V8's "(root)" is not shown). */
export function flameTree(profile: CpuProfile): FlameNode {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const rootId = profile.nodes.find((n) => !parent.has(n.id))?.id;

  const root = node(null);
  let t = profile.startTime;
  const times = profile.samples.map((_, i) => (t += profile.timeDeltas[i] ?? 0));
  profile.samples.forEach((id, i) => {
    const ms = Math.max(0, ((times[i + 1] ?? profile.endTime) - times[i]!) / 1000);
    const stack: CpuProfileCallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined && at !== rootId; at = parent.get(at)) {
      const n = byId.get(at);
      if (!n) break;
      stack.push(n.callFrame);
    }
    let here = root;
    here.totalMs += ms;
    for (let d = stack.length - 1; d >= 0; d--) {
      const cf = stack[d]!;
      const key = frameKey(cf);
      let next = here.byKey.get(key);
      if (!next) {
        next = node(cf);
        here.byKey.set(key, next);
        here.children.push(next);
      }
      next.totalMs += ms;
      here = next;
    }
    here.selfMs += ms;
  });
  return finish(root);
}

export interface FlameRect {
  node: FlameNode;
  /** 0 is the root's row, at the top. */
  depth: number;
  x: number;
  width: number;
}

/**
 * An icicle: the root across `width` at the top, each child under its parent, left to right, as
 * wide as its share of the root's time. Rectangles narrower than `minWidth` are left out, with
 * everything under them.
 */
export function flameLayout(root: FlameNode, width: number, minWidth = 1): FlameRect[] {
  const rects: FlameRect[] = [];
  if (root.totalMs <= 0) return rects;
  const scale = width / root.totalMs;
  const place = (n: FlameNode, depth: number, x: number): void => {
    const w = n.totalMs * scale;
    if (w < minWidth) return;
    rects.push({ node: n, depth, x, width: w });
    let cx = x;
    for (const child of n.children) {
      place(child, depth + 1, cx);
      cx += child.totalMs * scale;
    }
  };
  place(root, 0, 0);
  return rects;
}

/** `function file:line`, as the stall list names a frame (common/stalls.ts frameText). */
export function flameLabel(n: FlameNode): string {
  return n.url === '' ? n.name : `${n.name} ${shortPath(n.url)}:${n.line}`;
}

/** `text` cut to `chars` characters with an ellipsis; '' when not even two fit. */
export function fitText(text: string, chars: number): string {
  if (text.length <= chars) return text;
  return chars < 2 ? '' : `${text.slice(0, chars - 1)}…`;
}
