/**
 * A stall's flame graph, drawn as an icicle in SVG: the whole stall across the top, what it called
 * below, each frame as wide as its share of the stall's time. Labels (`function file:line`) where
 * they fit; the hover title gives self and total ms. SVG rather than a canvas: the text is in the
 * page, so it can be selected, read by a screen reader and checked by a test.
 *
 * Redrawn only when it is given another profile or its width changes. A deep stack puts the code
 * that held the loop far below the top: the graph opens scrolled to the frame the stall is named by.
 */
import type { CpuProfile } from '../../common/cpuprofile';
import { isProjectFrame } from '../../common/stalls';
import { fmt } from '../dom';
import {
  fitText,
  flameLabel,
  flameLayout,
  flameTree,
  type FlameNode,
  type FlameRect,
} from '../../common/flame-tree';

const SVG = 'http://www.w3.org/2000/svg';
const ROW_PX = 18;
/** 11px monospace: about this wide a character, so a label is cut without measuring it. */
const CHAR_PX = 6.7;
const PAD_PX = 4;
/** Deeper rows are not drawn: the panel stays a panel. */
const MAX_ROWS = 40;
/** Rows of callers left in view above the frame scrolled to. */
const CONTEXT_ROWS = 4;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/** Project code warm, libraries blue, Node's own and V8's grey: what a person can edit stands out. */
function colour(n: FlameNode): string {
  let hash = 0;
  for (const ch of n.name) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  const vary = Math.abs(hash) % 12;
  if (isProjectFrame(n)) return `hsl(${18 + vary * 2}, 75%, ${55 + (vary % 4) * 3}%)`;
  if (n.url.includes('/node_modules/')) return `hsl(${200 + vary * 2}, 55%, ${58 + (vary % 4) * 3}%)`;
  return `hsl(215, 12%, ${52 + (vary % 4) * 4}%)`;
}

export class FlameGraph {
  readonly root: HTMLDivElement;
  private readonly note: HTMLParagraphElement;
  private readonly box: HTMLDivElement;
  private tree: FlameNode | null = null;
  private drawnWidth = 0;

  constructor(testid: string) {
    this.note = document.createElement('p');
    this.note.className = 'muted flame-note';
    this.box = document.createElement('div');
    this.box.className = 'flame-box';
    this.box.dataset.testid = testid;
    this.root = document.createElement('div');
    this.root.className = 'flame';
    this.root.append(this.note, this.box);
    // The width is known only once the panel is laid out, and changes with the window.
    new ResizeObserver(() => {
      if (this.tree && this.box.clientWidth !== this.drawnWidth) this.draw();
    }).observe(this.box);
  }

  /** Nothing drawn, and why (no stall chosen, the profile on its way, or gone). */
  message(text: string): void {
    this.tree = null;
    this.note.textContent = text;
    this.box.replaceChildren();
    this.drawnWidth = 0;
  }

  /** `focus`: the frame the stall is named by, scrolled into view (matched by function and file). */
  show(profile: CpuProfile, caption: string, focus: { functionName: string; url: string } | null): void {
    this.tree = flameTree(profile);
    this.note.textContent =
      this.tree.totalMs > 0
        ? `${caption}: ${fmt(this.tree.totalMs, 0)} ms sampled. Width is the share of the stall's time; hover for ms.`
        : `${caption}: no CPU sample fell inside this stall.`;
    const rects = this.draw();
    const at = focus
      ? rects
          .filter((r) => r.node.name === focus.functionName && r.node.url === focus.url)
          .reduce<FlameRect | null>((widest, r) => (widest && widest.width >= r.width ? widest : r), null)
      : null;
    this.box.scrollTop = at ? Math.max(0, (at.depth - CONTEXT_ROWS) * ROW_PX) : 0;
  }

  /** Draws the tree held; returns the rectangles drawn. */
  private draw(): FlameRect[] {
    const tree = this.tree;
    if (!tree) return [];
    const width = this.box.clientWidth || 800;
    this.drawnWidth = this.box.clientWidth;
    const rects = flameLayout(tree, width).filter((r) => r.depth < MAX_ROWS);
    const rows = rects.reduce((most, r) => Math.max(most, r.depth + 1), 0);
    const graph = svg('svg', {
      width,
      height: rows * ROW_PX,
      viewBox: `0 0 ${width} ${rows * ROW_PX}`,
      role: 'img',
      'aria-label': "Flame graph: where the stall's time went",
    });
    for (const r of rects) {
      const n = r.node;
      const label = r.depth === 0 ? `whole stall` : flameLabel(n);
      const share = tree.totalMs > 0 ? (n.totalMs / tree.totalMs) * 100 : 0;
      const title =
        `${label}\n` +
        `total ${fmt(n.totalMs, 1)} ms (${fmt(share, 0)} %), self ${fmt(n.selfMs, 1)} ms` +
        (n.url ? `\n${n.url}:${n.line}` : '');
      const text = fitText(label, Math.floor((r.width - 2 * PAD_PX) / CHAR_PX));
      const y = r.depth * ROW_PX;
      const frame = svg(
        'g',
        { class: 'flame-frame', 'data-name': n.name },
        svg('title', {}, title),
        svg('rect', {
          x: r.x.toFixed(1),
          y,
          width: Math.max(0.5, r.width - 1).toFixed(1),
          height: ROW_PX - 1,
          rx: 2,
          fill: r.depth === 0 ? 'hsl(215, 15%, 40%)' : colour(n),
        }),
      );
      if (text) frame.append(svg('text', { x: (r.x + PAD_PX).toFixed(1), y: y + ROW_PX - 5 }, text));
      graph.append(frame);
    }
    this.box.replaceChildren(graph);
    return rects;
  }
}
