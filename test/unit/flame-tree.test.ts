/**
 * The flame graph's tree and layout (renderer/charts/flame-tree.ts), over small hand-made profiles
 * whose answer is known: times per stack, self against total, merged prefixes, the ordering, the
 * names V8 leaves empty, and rectangles as wide as their share.
 */
import { describe, expect, it } from 'vitest';
import type { CpuProfile, CpuProfileCallFrame } from '../../common/cpuprofile';
import { fitText, flameLabel, flameLayout, flameTree, type FlameNode } from '../../common/flame-tree';

const SRC = 'file:///app/main/work.ts';
const cf = (functionName: string, line = -1, url = SRC, scriptId = '7'): CpuProfileCallFrame => ({
  functionName,
  scriptId: line < 0 ? '0' : scriptId,
  url: line < 0 ? '' : url,
  lineNumber: line,
  columnNumber: line < 0 ? -1 : 2,
});

/**
 * (root) 1
 *   main 2 (work.ts line 10, 0-based 9)
 *     hash 3
 *       (native) 4
 *     parse 5
 *   (garbage collector) 6
 */
const NODES: CpuProfile['nodes'] = [
  { id: 1, callFrame: cf('(root)'), children: [2, 6] },
  { id: 2, callFrame: cf('main', 9), children: [3, 5] },
  { id: 3, callFrame: cf('hash', 19), children: [4] },
  { id: 4, callFrame: cf(''), children: [] },
  { id: 5, callFrame: cf('', 29), children: [] },
  { id: 6, callFrame: cf('(garbage collector)'), children: [] },
];

/** Samples at 0, 10, 20, … ms after a start of 1,000,000 µs; the profile ends 10 ms after the last. */
function profile(samples: number[], nodes = NODES): CpuProfile {
  return {
    nodes,
    startTime: 1_000_000,
    endTime: 1_000_000 + samples.length * 10_000,
    samples,
    timeDeltas: samples.map(() => 10_000).map((d, i) => (i === 0 ? 0 : d)),
  };
}

const find = (n: FlameNode, name: string): FlameNode | undefined =>
  n.name === name ? n : n.children.map((c) => find(c, name)).find((x) => x !== undefined);

describe('flameTree', () => {
  it('gives each frame the time of the samples under it, and self time to where they stopped', () => {
    // native ×3, main ×1 (self), parse ×2, gc ×1: 10 ms each.
    const tree = flameTree(profile([4, 4, 4, 2, 5, 5, 6]));
    expect(tree.name).toBe('(root)');
    expect(tree.totalMs).toBe(70);
    const main = find(tree, 'main')!;
    expect(main).toMatchObject({ totalMs: 60, selfMs: 10, url: SRC, line: 10 });
    expect(find(tree, 'hash')).toMatchObject({ totalMs: 30, selfMs: 0, line: 20 });
    expect(find(tree, '(native)')).toMatchObject({ totalMs: 30, selfMs: 30, url: '', line: 0 });
    expect(find(tree, '(anonymous)')).toMatchObject({ totalMs: 20, selfMs: 20, line: 30 });
    expect(find(tree, '(garbage collector)')).toMatchObject({ totalMs: 10, selfMs: 10 });
    // The most time first, at every level.
    expect(tree.children.map((c) => c.name)).toEqual(['main', '(garbage collector)']);
    expect(main.children.map((c) => c.name)).toEqual(['hash', '(anonymous)']);
  });

  it('takes a sample to last until the next one, and the last until the end of the profile', () => {
    const p = profile([4, 5]);
    p.timeDeltas = [5_000, 30_000]; // at 5 ms and 35 ms
    p.endTime = p.startTime + 40_000;
    const tree = flameTree(p);
    expect(find(tree, '(native)')!.totalMs).toBe(30);
    expect(find(tree, '(anonymous)')!.totalMs).toBe(5);
    // The 5 ms before the first sample is no frame's.
    expect(tree.totalMs).toBe(35);
  });

  it('merges frames that source maps made one (same function, file and position under one parent)', () => {
    const nodes: CpuProfile['nodes'] = [
      { id: 1, callFrame: cf('(root)'), children: [2, 3] },
      { id: 2, callFrame: cf('main', 9, SRC, '7'), children: [] },
      // Another script (a second bundle chunk) mapped to the same TypeScript function.
      { id: 3, callFrame: cf('main', 9, SRC, '8'), children: [] },
    ];
    const tree = flameTree(profile([2, 3, 3], nodes));
    expect(tree.children).toHaveLength(1);
    expect(tree.children[0]).toMatchObject({ name: 'main', totalMs: 30, selfMs: 30 });
  });

  it('an empty profile is an empty tree', () => {
    const tree = flameTree(profile([]));
    expect(tree).toMatchObject({ totalMs: 0, selfMs: 0, children: [] });
    expect(flameLayout(tree, 500)).toEqual([]);
  });
});

describe('flameLayout', () => {
  it('puts the root across the width and each child under its parent, as wide as its share', () => {
    const tree = flameTree(profile([4, 4, 4, 2, 5, 5, 6]));
    const rects = flameLayout(tree, 700);
    const at = (name: string) => rects.find((r) => r.node.name === name)!;
    expect(at('(root)')).toMatchObject({ depth: 0, x: 0, width: 700 });
    expect(at('main')).toMatchObject({ depth: 1, x: 0, width: 600 });
    expect(at('(garbage collector)')).toMatchObject({ depth: 1, x: 600, width: 100 });
    expect(at('hash')).toMatchObject({ depth: 2, x: 0, width: 300 });
    expect(at('(anonymous)')).toMatchObject({ depth: 2, x: 300, width: 200 });
    expect(at('(native)')).toMatchObject({ depth: 3, x: 0, width: 300 });
  });

  it('leaves out frames narrower than the minimum, with what is under them', () => {
    const tree = flameTree(profile([4, 4, 4, 2, 5, 5, 6]));
    const names = flameLayout(tree, 7, 2).map((r) => r.node.name);
    // At 7 px a 10 ms frame is 1 px wide: the collector goes, main and its callees stay.
    expect(names).toEqual(['(root)', 'main', 'hash', '(native)', '(anonymous)']);
  });
});

describe('labels', () => {
  it('names a frame as the stall list does, cut with an ellipsis to fit', () => {
    const main = find(flameTree(profile([2])), 'main')!;
    expect(flameLabel(main)).toBe('main app/main/work.ts:10');
    expect(fitText('main app/main/work.ts:10', 40)).toBe('main app/main/work.ts:10');
    expect(fitText('main app/main/work.ts:10', 6)).toBe('main …');
    expect(fitText('main', 1)).toBe('');
  });
});
