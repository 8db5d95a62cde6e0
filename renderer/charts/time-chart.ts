/**
 * A live line chart over the sample ring: each update draws the rows inside the selected window
 * (at most 15 minutes), so its cost depends on the window, never on how many clients there are.
 */
import { Chart, type ChartDataset, type Plugin, type Tick } from 'chart.js';
import { CHART_MAX_POINTS } from '../../common/limits';
import type { SampleRing } from '../state/ring-buffer';
import type { SampleColumn } from '../state/samples';
import { bcryptMarkers, type BcryptRun } from './bcrypt-markers';
import { logTickLabel } from './log-ticks';
import { tenureLabel, type Tenure } from '../state/process-slots';
import { setupCharts, THEME } from './setup';
import { timeMarkers } from './time-markers';
import { episodeBands, type EpisodeBand } from './episode-bands';

/** C: the ring's column names (the demo server's sample rows by default, or a watched process's). */
export interface SeriesSpec<C extends string = SampleColumn> {
  column: C;
  label: string;
  color: string;
  /** 'y2' puts the series on the right-hand axis. */
  axis?: 'y' | 'y2';
  dashed?: boolean;
  fill?: boolean;
  /** Multiplies each value, e.g. 100 to show a 0..1 ratio as percent. */
  scale?: number;
}

export interface ChartSpec<C extends string = SampleColumn> {
  id: string;
  title: string;
  yTitle: string;
  /** Units in tooltips, e.g. 'ms'. */
  yUnit: string;
  y2Title?: string;
  y2Unit?: string;
  /** Shown over the chart while its window holds no value: what to do to see something here. */
  emptyHint?: string;
  y2Max?: number;
  /** Latencies span decades (0.1 ms idle, 1 s stalled): a log axis keeps p50 and a spike both readable. */
  log?: boolean;
  series: SeriesSpec<C>[];
  stacked?: boolean;
  /** bcrypt runs: bands for the runs this page started, ticks where this column is > 0 otherwise. */
  markColumn?: C;
  /** Marks each stall of the loop where it began (setStallTimes). */
  stallMarks?: boolean;
  /** A band over each "Why clients wait" episode (setEpisodes). */
  episodeBands?: boolean;
  /**
   * One series per server process slot (docs/protocol.md §10), given as templates: the chart draws
   * one line per process from setTenures, over the rows of its own time in its slot.
   */
  perProcess?: boolean;
  /** Whose figures these are: 'clients' (the load generator's reports) or 'server' (default, snapshots). */
  source?: 'server' | 'clients';
}

type Point = { x: number; y: number };

/** The shortest span a chart draws: its first seconds are not stretched across the whole width. */
const MIN_SPAN_MS = 10_000;

/**
 * The rows [from, until) of one series as points (until: the ring's size unless given). Up to `maxPoints` rows are drawn as they are; more
 * are cut into buckets of consecutive rows, each drawn as its minimum and its maximum in time order
 * (chart.js's min-max decimation, done here so the arrays are never built at full length): a spike
 * of one sample survives, and a bucket with no value stays a gap.
 */
export function seriesPoints<C extends string>(
  ring: SampleRing<C | 'time'>,
  s: SeriesSpec<C>,
  from: number,
  maxPoints: number,
  until = ring.size,
): Point[] {
  const factor = s.scale ?? 1;
  const rows = until - from;
  const value = (i: number): number => {
    const v = ring.at(s.column, i);
    return Number.isFinite(v) ? v * factor : Number.NaN;
  };
  if (rows <= maxPoints) {
    const points: Point[] = new Array(rows);
    for (let i = from; i < until; i++) points[i - from] = { x: ring.at('time', i), y: value(i) };
    return points;
  }
  const per = Math.ceil(rows / Math.floor(maxPoints / 2));
  const points: Point[] = [];
  for (let start = from; start < until; start += per) {
    const stop = Math.min(start + per, until);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < stop; i++) {
      const v = value(i);
      if (Number.isNaN(v)) continue;
      if (lo < 0 || v < value(lo)) lo = i;
      if (hi < 0 || v > value(hi)) hi = i;
    }
    if (lo < 0) {
      points.push({ x: ring.at('time', start), y: Number.NaN });
    } else if (lo === hi) {
      points.push({ x: ring.at('time', lo), y: value(lo) });
    } else {
      const [a, b] = lo < hi ? [lo, hi] : [hi, lo];
      points.push({ x: ring.at('time', a), y: value(a) }, { x: ring.at('time', b), y: value(b) });
    }
  }
  return points;
}

function logLabel(value: number | string, index: number, ticks: Tick[]): string {
  return logTickLabel(
    Number(value),
    index,
    ticks.map((t) => t.value),
  );
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

function lineDataset<C extends string>(
  spec: ChartSpec<C>,
  s: SeriesSpec<C>,
  label: string,
  color: string,
): ChartDataset<'line', Point[]> {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: s.fill ? `${color}33` : color,
    borderWidth: 1.6,
    borderDash: s.dashed ? [5, 4] : [],
    pointRadius: 0,
    pointHoverRadius: 3,
    fill: s.fill ? (spec.stacked ? 'stack' : 'origin') : false,
    yAxisID: s.axis ?? 'y',
    // Straight segments: curves cost a Bézier per point on every redraw.
    tension: 0,
    spanGaps: false,
  };
}

/** What a process line spans, for the end-to-end tests (the canvas itself is pixels). */
interface DrawnLine {
  label: string;
  /** Times of its first and last drawn value; null when the window holds none of it. */
  first: number | null;
  last: number | null;
}

export class TimeChart<C extends string = SampleColumn> {
  readonly chart: Chart<'line', Point[]>;
  private markerTimes: number[] = [];
  private bcryptRuns: readonly BcryptRun[] = [];
  private stallTimes: readonly number[] = [];
  /**
   * Runs and stalls given since the last update(): drawn from the next one, so a paused chart
   * (no update) shows no new marks when a hover or a resize repaints it.
   */
  private nextBcryptRuns: readonly BcryptRun[] = [];
  private nextStallTimes: readonly number[] = [];
  private episodes: readonly EpisodeBand[] = [];
  private nextEpisodes: readonly EpisodeBand[] = [];
  private tenures: readonly Tenure[] = [];
  /** A process line's dataset lives as long as its line: chart.js keeps its legend toggle on it. */
  private readonly tenureDatasets = new Map<Tenure, ChartDataset<'line', Point[]>>();

  constructor(
    readonly spec: ChartSpec<C>,
    canvas: HTMLCanvasElement,
  ) {
    setupCharts();
    const plugins: Plugin<'line'>[] = [opaqueBackground];
    if (spec.markColumn)
      plugins.push(
        bcryptMarkers(
          () => this.bcryptRuns,
          () => this.markerTimes,
        ),
      );
    if (spec.stallMarks) {
      const style = { id: 'stallMarkers', label: 'stall', color: THEME.stall, labelY: 20 };
      plugins.push(timeMarkers(style, () => this.stallTimes));
    }
    if (spec.episodeBands) plugins.push(episodeBands(() => this.episodes));
    const datasets = spec.perProcess ? [] : spec.series.map((s) => lineDataset(spec, s, s.label, s.color));
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
            // Label widths measured on a few ticks, not all: HH:mm:ss labels are all as wide.
            ticks: { maxRotation: 0, autoSkipPadding: 24, color: THEME.muted, sampleSize: 4 },
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
          legend: {
            position: 'bottom',
            labels: {
              boxWidth: 10,
              boxHeight: 2,
              padding: 10,
            },
          },
          tooltip: {
            enabled: true,
            callbacks: {
              label: (item) => {
                const unit = item.dataset.yAxisID === 'y2' ? (spec.y2Unit ?? '') : spec.yUnit;
                const y = item.parsed.y;
                const text =
                  y === null || !Number.isFinite(y)
                    ? '—'
                    : y.toLocaleString('en-US', { maximumFractionDigits: 1 });
                return ` ${item.dataset.label ?? ''}: ${text} ${unit}`;
              },
            },
          },
        },
      },
    });
  }

  /** Redraws the window [end - windowMs, end] of the ring; false when the window holds no value at all. */
  update(ring: SampleRing<C | 'time'>, windowMs: number): boolean {
    if (ring.size === 0) {
      // Nothing held (a recording shown from before its first sample): nothing drawn either.
      if (this.chart.data.datasets.some((d) => d.data.length > 0)) {
        for (const d of this.chart.data.datasets) d.data = [];
        this.chart.canvas.dataset.last = '[]';
        this.chart.update('none');
      }
      return false;
    }
    const end = ring.at('time', ring.size - 1);
    // Nothing is held before the first row (the server, or this page, had not started): the
    // window begins there rather than drawing empty minutes, but spans MIN_SPAN_MS at least.
    const start = Math.min(Math.max(end - windowMs, ring.at('time', 0)), end - MIN_SPAN_MS);
    const from = ring.lowerBound('time', start);
    if (this.spec.perProcess) this.drawTenures(ring, start, end, from);
    const datasets = this.chart.data.datasets;
    if (!this.spec.perProcess)
      this.spec.series.forEach((s, d) => {
        const dataset = datasets[d];
        if (dataset) dataset.data = seriesPoints(ring, s, from, CHART_MAX_POINTS);
      });
    if (this.spec.markColumn) {
      this.bcryptRuns = this.nextBcryptRuns;
      this.markerTimes = [];
      for (let i = from; i < ring.size; i++) {
        if (ring.at(this.spec.markColumn, i) > 0) this.markerTimes.push(ring.at('time', i));
      }
    }
    this.stallTimes = this.nextStallTimes;
    if (this.spec.episodeBands) {
      this.episodes = this.nextEpisodes;
      // What is banded, for the end-to-end tests (the canvas itself is pixels).
      this.chart.canvas.dataset.episodes = JSON.stringify(
        this.episodes.filter((e) => (e.to ?? end) >= start && e.from <= end).map((e) => e.cause),
      );
    }
    const x = this.chart.options.scales?.x;
    if (x) {
      x.min = start;
      x.max = end;
    }
    // The span drawn, for the end-to-end tests (the canvas itself is pixels).
    this.chart.canvas.dataset.from = String(start);
    this.chart.canvas.dataset.to = String(end);
    // Each line's newest point drawn, for the end-to-end tests (a replay must draw what live did).
    this.chart.canvas.dataset.last = JSON.stringify(
      this.chart.data.datasets.map((d) => ({ label: d.label, point: (d.data as Point[]).at(-1) ?? null })),
    );
    this.chart.update('none');
    return datasets.some((d) => d.data.some((p) => Number.isFinite(p.y) && p.y !== 0));
  }

  /** The server processes' lines, drawn from the next update (perProcess charts only). */
  setTenures(tenures: readonly Tenure[]): void {
    this.tenures = tenures;
  }

  /**
   * One dataset per process with a row in the window, over its own rows only: a replacement starts
   * where it started, and a dead worker's line ends where it ended, under its own name. A process's
   * colour follows its worker id, so a replacement in the same slot is told apart.
   */
  private drawTenures(ring: SampleRing<C | 'time'>, start: number, end: number, from: number): void {
    const drawn: DrawnLine[] = [];
    const datasets: ChartDataset<'line', Point[]>[] = [];
    for (const t of this.tenures) {
      if (t.from > end || (t.to !== null && t.to <= start)) continue;
      const s = this.spec.series[t.slot];
      if (!s) continue;
      const first = Math.max(from, ring.lowerBound('time', t.from));
      const until = t.to === null ? ring.size : ring.lowerBound('time', t.to);
      if (until <= first) continue;
      let dataset = this.tenureDatasets.get(t);
      if (!dataset) {
        const color = this.spec.series[t.id % this.spec.series.length]!.color;
        dataset = lineDataset(this.spec, s, tenureLabel(t), color);
        this.tenureDatasets.set(t, dataset);
      }
      dataset.label = tenureLabel(t);
      dataset.data = seriesPoints(ring, s, first, CHART_MAX_POINTS, until);
      if (t.to !== null) dataset.borderDash = [2, 3];
      datasets.push(dataset);
      const values = dataset.data.filter((p) => Number.isFinite(p.y));
      drawn.push({ label: tenureLabel(t), first: values[0]?.x ?? null, last: values.at(-1)?.x ?? null });
    }
    for (const t of this.tenureDatasets.keys()) if (!this.tenures.includes(t)) this.tenureDatasets.delete(t);
    this.chart.data.datasets = datasets;
    this.chart.canvas.dataset.processLines = JSON.stringify(drawn);
  }

  /** The bcrypt runs this page started (bounded by the caller). */
  setBcryptRuns(runs: readonly BcryptRun[]): void {
    this.nextBcryptRuns = runs;
  }

  /** Start times of the stalls the dashboard holds (bounded by the Stalls panel's list). */
  setStallTimes(times: readonly number[]): void {
    this.nextStallTimes = times;
  }

  /** The episodes to band, drawn from the next update (bounded by the panel's store). */
  setEpisodes(bands: readonly EpisodeBand[]): void {
    this.nextEpisodes = bands;
  }

  /** The chart as a PNG, with `title` in a band above it: a saved file says what it shows. */
  toPng(title: string): string {
    const source = this.chart.canvas;
    const scale = source.width / Math.max(1, this.chart.width);
    const band = Math.round(26 * scale);
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = source.height + band;
    const ctx = canvas.getContext('2d');
    if (!ctx) return this.chart.toBase64Image('image/png', 1);
    ctx.fillStyle = THEME.card;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = THEME.text;
    ctx.font = `600 ${Math.round(13 * scale)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(title, Math.round(8 * scale), band / 2);
    ctx.drawImage(source, 0, band);
    return canvas.toDataURL('image/png', 1);
  }
}
