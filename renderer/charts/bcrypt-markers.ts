/**
 * bcrypt runs on the latency charts, so a spike is visibly tied to its cause and loop and pool runs
 * can be compared. A run this dashboard started is a shaded band over its duration, labelled with
 * mode, cost and ms — a band, not a line, so it never reads as a data series. A loop run started
 * elsewhere (another tab, curl) is known only from the snapshot's counters: a small tick at the top.
 */
import type { Chart, Plugin } from 'chart.js';
import { THEME } from './setup';

export interface BcryptRun {
  /** Epoch ms when the hash started and ended (as the page saw the reply). */
  start: number;
  end: number;
  mode: 'loop' | 'pool';
  cost: number;
}

export function bcryptMarkers(
  runs: () => readonly BcryptRun[],
  counted: () => readonly number[],
): Plugin<'line'> {
  return {
    id: 'bcryptMarkers',
    afterDatasetsDraw(chart: Chart<'line'>) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      if (!x || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = '10px system-ui, sans-serif';
      ctx.textAlign = 'left';
      const shown = runs();
      let lastLabelRight = -Infinity;
      for (const run of shown) {
        const startPx = x.getPixelForValue(run.start);
        const endPx = x.getPixelForValue(run.end);
        // A run wholly outside the window is not drawn at all (clamped, it would sit on an edge).
        if (endPx < area.left || startPx > area.right) continue;
        const left = Math.max(area.left, startPx);
        const right = Math.min(area.right, Math.max(endPx, left + 2));
        const color = run.mode === 'loop' ? THEME.marker : THEME.pool;
        ctx.fillStyle = `${color}2e`;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        // Labelled where it began; one that began before the window shows its band only.
        if (startPx < area.left) continue;
        const label = `${run.mode} c${run.cost} · ${Math.round(run.end - run.start)} ms`;
        const width = ctx.measureText(label).width;
        // Near the right edge the label ends at the edge instead of running off the chart.
        const labelLeft = Math.max(area.left, Math.min(left + 2, area.right - width - 2));
        if (labelLeft > lastLabelRight + 4) {
          ctx.fillStyle = color;
          ctx.fillText(label, labelLeft, area.top + 9);
          lastLabelRight = labelLeft + width;
        }
      }
      // Counted loop runs that no band explains: a small downward tick under the top edge.
      ctx.fillStyle = THEME.marker;
      for (const t of counted()) {
        if (shown.some((r) => t >= r.start - 1500 && t <= r.end + 1500)) continue;
        const px = x.getPixelForValue(t);
        if (px < area.left || px > area.right) continue;
        ctx.beginPath();
        ctx.moveTo(px - 4, area.top);
        ctx.lineTo(px + 4, area.top);
        ctx.lineTo(px, area.top + 6);
        ctx.fill();
      }
      ctx.restore();
    },
  };
}
