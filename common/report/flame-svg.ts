/**
 * A stall's flame graph (icicle) for the report, as inline SVG: the same tree and layout as the
 * dashboard's (common/flame-tree.ts), drawn as markup so the page needs no script for it.
 */
import type { CpuProfile } from '../cpuprofile';
import { fitText, flameLabel, flameLayout, flameTree } from '../flame-tree';
import { isProjectFrame } from '../stalls';
import { escapeHtml } from './html-text';

const WIDTH = 960;
const ROW_PX = 18;
const CHAR_PX = 6.6;

export function flameSvg(profile: CpuProfile): string | null {
  const root = flameTree(profile);
  const rects = flameLayout(root, WIDTH, 0.5);
  if (rects.length === 0) return null;
  const rows = Math.max(...rects.map((r) => r.depth)) + 1;
  const body = rects
    .map((r) => {
      const n = r.node;
      const own = n.url !== '' && isProjectFrame({ url: n.url });
      const fill =
        n.name === '(garbage collector)' ? '#d9a400' : own ? '#e8674a' : n.url === '' ? '#8c8c99' : '#e8a64a';
      const text = fitText(flameLabel(n), Math.floor((r.width - 6) / CHAR_PX));
      const title = `${flameLabel(n)} — ${n.totalMs.toFixed(1)} ms (self ${n.selfMs.toFixed(1)} ms)`;
      const y = r.depth * ROW_PX;
      return (
        `<g class="flame-frame" data-name="${escapeHtml(n.name)}"><title>${escapeHtml(title)}</title>` +
        `<rect x="${r.x.toFixed(1)}" y="${y}" width="${Math.max(0.5, r.width - 0.5).toFixed(1)}" height="${ROW_PX - 1}" fill="${fill}"></rect>` +
        (text ? `<text x="${(r.x + 3).toFixed(1)}" y="${y + 13}">${escapeHtml(text)}</text>` : '') +
        `</g>`
      );
    })
    .join('');
  return (
    `<svg class="flame" viewBox="0 0 ${WIDTH} ${rows * ROW_PX}" width="100%" role="img" ` +
    `aria-label="Flame graph: where the stall's time went">${body}</svg>`
  );
}
