/**
 * A tiny chart.js plugin: a dashed vertical line, labelled, at each moment bcrypt ran on the event
 * loop — so a p99 spike is visibly tied to its cause. Hand-drawn; no annotation dependency.
 */
import type { Chart, Plugin } from 'chart.js';
import { THEME } from './setup';

export function bcryptMarkers(times: () => readonly number[]): Plugin<'line'> {
  return {
    id: 'bcryptMarkers',
    afterDatasetsDraw(chart: Chart<'line'>) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      if (!x || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = THEME.marker;
      ctx.fillStyle = THEME.marker;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.font = '10px system-ui, sans-serif';
      ctx.textAlign = 'center';
      let lastLabelX = -Infinity;
      for (const t of times()) {
        const px = x.getPixelForValue(t);
        if (px < area.left || px > area.right) continue;
        ctx.beginPath();
        ctx.moveTo(px, area.top + 12);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        // Runs close together share one label so they stay readable.
        if (px - lastLabelX > 44) {
          ctx.fillText('bcrypt', px, area.top + 9);
          lastLabelX = px;
        }
      }
      ctx.restore();
    },
  };
}
