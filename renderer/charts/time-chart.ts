/**
 * A live line chart over the sample ring: each update draws the rows inside the selected window
 * (at most 15 minutes), so its cost depends on the window, never on how many clients there are.
 */
import { Chart, Ticks, type ChartDataset, type Plugin, type Scale, type Tick } from 'chart.js';
import type { SampleRing } from '../state/ring-buffer';
import type { SampleColumn } from '../state/samples';
import { bcryptMarkers } from './bcrypt-markers';
import { setupCharts, THEME } from './setup';
import { timeMarkers } from './time-markers';

export interface SeriesSpec {
  column: SampleColumn;
  label: string;
  color: string;
  /** 'y2' puts the series on the right-hand axis. */
  axis?: 'y' | 'y2';
  dashed?: boolean;
  fill?: boolean;
  /** Multiplies each value, e.g. 100 to show a 0..1 ratio as percent. */
  scale?: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  yTitle: string;
  y2Title?: string;
  y2Max?: number;
  /** Latencies span decades (0.1 ms idle, 1 s stalled): a log axis keeps p50 and a spike both readable. */
  log?: boolean;
  series: SeriesSpec[];
  stacked?: boolean;
  /** Marks the rows where this column is > 0 (bcrypt on the loop). */
  markColumn?: SampleColumn;
  /** Marks each stall of the loop where it began (setStallTimes). */
  stallMarks?: boolean;
}

type Point = { x: number; y: number };

/** chart.js's own log-axis labels (1, 2, 5 per decade), without a trailing ".0". */
function logLabel(this: Scale, value: number | string, index: number, ticks: Tick[]): string {
  const label = Ticks.formatters.logarithmic.call(this, Number(value), index, ticks);
  return String(label).replace(/\.0$/, '');
}

/** Paints the card colour under the chart so an exported PNG is not transparent. */
const opaqueBackground: Plugin<'line'> = {
  id: 'opaqueBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = THEME.card;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

export class TimeChart {
  readonly chart: Chart<'line', Point[]>;
  private markerTimes: number[] = [];
  private stallTimes: readonly number[] = [];

  constructor(
    readonly spec: ChartSpec,
    canvas: HTMLCanvasElement,
  ) {
    setupCharts();
    const plugins: Plugin<'line'>[] = [opaqueBackground];
    if (spec.markColumn) plugins.push(bcryptMarkers(() => this.markerTimes));
    if (spec.stallMarks) {
      const style = { id: 'stallMarkers', label: 'stall', color: THEME.stall, labelY: 20 };
      plugins.push(timeMarkers(style, () => this.stallTimes));
    }
    const datasets: ChartDataset<'line', Point[]>[] = spec.series.map((s) => ({
      label: s.label,
      data: [],
      borderColor: s.color,
      backgroundColor: s.fill ? `${s.color}33` : s.color,
      borderWidth: 1.6,
      borderDash: s.dashed ? [5, 4] : [],
      pointRadius: 0,
      pointHoverRadius: 3,
      fill: s.fill ? (spec.stacked ? 'stack' : 'origin') : false,
      yAxisID: s.axis ?? 'y',
      tension: 0.15,
      spanGaps: false,
    }));
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets },
      plugins,
      options: {
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'time',
            time: { displayFormats: { second: 'HH:mm:ss', minute: 'HH:mm' }, tooltipFormat: 'HH:mm:ss' },
            ticks: { maxRotation: 0, autoSkipPadding: 24, color: THEME.muted },
            grid: { color: THEME.grid },
          },
          y: {
            type: spec.log ? 'logarithmic' : 'linear',
            beginAtZero: !spec.log,
            ...(spec.log ? { min: 0.1, suggestedMax: 100 } : {}),
            stacked: spec.stacked ?? false,
            title: { display: true, text: spec.yTitle, color: THEME.muted },
            ticks: { color: THEME.muted, ...(spec.log ? { callback: logLabel } : {}) },
            grid: { color: THEME.grid },
          },
          ...(spec.y2Title
            ? {
                y2: {
                  position: 'right' as const,
                  beginAtZero: true,
                  ...(spec.y2Max !== undefined ? { max: spec.y2Max } : {}),
                  title: { display: true, text: spec.y2Title, color: THEME.muted },
                  ticks: { color: THEME.muted },
                  grid: { drawOnChartArea: false },
                },
              }
            : {}),
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 2, padding: 10 } },
          tooltip: { enabled: true },
          decimation: { enabled: true, algorithm: 'min-max' },
        },
      },
    });
  }

  /** Redraws the window [end - windowMs, end] of the ring. */
  update(ring: SampleRing<SampleColumn>, windowMs: number): void {
    if (ring.size === 0) return;
    const end = ring.at('time', ring.size - 1);
    const from = ring.lowerBound('time', end - windowMs);
    const datasets = this.chart.data.datasets;
    this.spec.series.forEach((s, d) => {
      const points: Point[] = new Array(ring.size - from);
      const factor = s.scale ?? 1;
      for (let i = from; i < ring.size; i++) {
        const v = ring.at(s.column, i);
        points[i - from] = { x: ring.at('time', i), y: Number.isFinite(v) ? v * factor : Number.NaN };
      }
      const dataset = datasets[d];
      if (dataset) dataset.data = points;
    });
    if (this.spec.markColumn) {
      this.markerTimes = [];
      for (let i = from; i < ring.size; i++) {
        if (ring.at(this.spec.markColumn, i) > 0) this.markerTimes.push(ring.at('time', i));
      }
    }
    const x = this.chart.options.scales?.x;
    if (x) {
      x.min = end - windowMs;
      x.max = end;
    }
    this.chart.update('none');
  }

  /** Start times of the stalls the dashboard holds (bounded by the Stalls panel's list). */
  setStallTimes(times: readonly number[]): void {
    this.stallTimes = times;
  }

  toPng(): string {
    return this.chart.toBase64Image('image/png', 1);
  }
}
