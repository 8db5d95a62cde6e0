/**
 * "Why clients wait" on the time charts: a faint band over each episode's span (to the chart's
 * right edge while it is open) with a strip of its cause's colour along the bottom, labelled with
 * the cause. Faint and at the bottom so it never hides a line nor reads as bcrypt's bands (top).
 */
import type { Chart, Plugin } from 'chart.js';
import type { DiagnosisCause } from '../../common/diagnosis';

export interface EpisodeBand {
  cause: DiagnosisCause;
  label: string;
  /** Epoch ms. */
  from: number;
  /** null: still open. */
  to: number | null;
}

/** One hue per cause, here and in the panel's rows. */
export const CAUSE_COLORS: Record<DiagnosisCause, string> = {
  loop: '#ff4d6d',
  gc: '#ffd166',
  threadpool: '#56c2a6',
  upstream: '#4cc9f0',
  cpu: '#9b8cff',
  memory: '#ff9f43',
};

const STRIP_PX = 4;

export function episodeBands(bands: () => readonly EpisodeBand[]): Plugin<'line'> {
  return {
    id: 'episodeBands',
    afterDatasetsDraw(chart: Chart<'line'>) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      if (!x || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = '10px system-ui, sans-serif';
      ctx.textAlign = 'left';
      let lastLabelRight = -Infinity;
      for (const band of bands()) {
        const startPx = x.getPixelForValue(band.from);
        const endPx = band.to === null ? area.right : x.getPixelForValue(band.to);
        if (endPx < area.left || startPx > area.right) continue;
        const left = Math.max(area.left, startPx);
        const right = Math.min(area.right, Math.max(endPx, left + 2));
        const color = CAUSE_COLORS[band.cause];
        ctx.fillStyle = `${color}1a`;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.fillStyle = color;
        ctx.fillRect(left, area.bottom - STRIP_PX, right - left, STRIP_PX);
        const width = ctx.measureText(band.label).width;
        const labelLeft = Math.max(area.left, Math.min(left + 2, area.right - width - 2));
        // Bands side by side share the row: a label that would overlap the previous one is left out.
        if (labelLeft > lastLabelRight + 4) {
          ctx.fillText(band.label, labelLeft, area.bottom - STRIP_PX - 3);
          lastLabelRight = labelLeft + width;
        }
      }
      ctx.restore();
    },
  };
}
