/**
 * A tiny chart.js plugin: a dashed vertical line, labelled, at each of some moments — bcrypt runs
 * on the loop, stalls — so a spike is visibly tied to its cause. Hand-drawn; no annotation
 * dependency.
 */
import type { Chart, Plugin } from 'chart.js';

export interface MarkerStyle {
  id: string;
  label: string;
  color: string;
  /** Pixels below the chart's top where the label sits; lets two marker kinds share a chart. */
  labelY: number;
}

export function timeMarkers(style: MarkerStyle, times: () => readonly number[]): Plugin<'line'> {
  return {
    id: style.id,
    afterDatasetsDraw(chart: Chart<'line'>) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      if (!x || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = style.color;
      ctx.fillStyle = style.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.font = '10px system-ui, sans-serif';
      ctx.textAlign = 'center';
      let lastLabelX = -Infinity;
      for (const t of times()) {
        const px = x.getPixelForValue(t);
        if (px < area.left || px > area.right) continue;
        ctx.beginPath();
        ctx.moveTo(px, area.top + style.labelY + 3);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        // Marks close together share one label so they stay readable.
        if (px - lastLabelX > 44) {
          // Kept inside the chart at either edge rather than cut in half.
          const half = ctx.measureText(style.label).width / 2;
          const labelX = Math.min(Math.max(px, area.left + half), area.right - half);
          ctx.fillText(style.label, labelX, area.top + style.labelY);
          lastLabelX = px;
        }
      }
      ctx.restore();
    },
  };
}
