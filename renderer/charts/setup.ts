/**
 * Registers only the chart.js pieces the dashboard uses, with the date-fns time adapter, and sets
 * the dark theme once for every chart.
 */
import {
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LogarithmicScale,
  LineElement,
  PointElement,
  TimeScale,
  Tooltip,
} from 'chart.js';
import 'chartjs-adapter-date-fns';

export const THEME = {
  text: '#c9d4e3',
  muted: '#7d8aa0',
  grid: 'rgba(125, 138, 160, 0.16)',
  marker: '#ff9f43',
  /** bcrypt on the worker pool, beside `marker` for bcrypt on the loop. */
  pool: '#56c2a6',
  stall: '#ff4d6d',
  card: '#141b25',
};

/** One colour per meaning, reused across charts so "ws prime" is the same hue everywhere. */
export const COLORS = {
  wsPrime: '#4cc9f0',
  wsFeed: '#7b61ff',
  sse: '#f72585',
  longPoll: '#ffb703',
  http: '#06d6a0',
  p50: '#4cc9f0',
  p99: '#ff6b6b',
  max: '#ffd166',
  util: '#9b8cff',
  opened: '#06d6a0',
  closed: '#ef476f',
  depth: '#ffb703',
  busy: '#4cc9f0',
  done: '#06d6a0',
  wsIn: '#4cc9f0',
  wsOut: '#7b61ff',
  published: '#f72585',
} as const;

/** One hue per server process slot (docs/protocol.md §10), told apart from each other first. */
export const PROCESS_COLORS = [
  '#4cc9f0',
  '#ff6b6b',
  '#06d6a0',
  '#ffd166',
  '#9b8cff',
  '#f72585',
  '#ff9f43',
  '#c9d4e3',
] as const;

let registered = false;

export function setupCharts(): void {
  if (registered) return;
  registered = true;
  Chart.register(
    LineController,
    LogarithmicScale,
    LineElement,
    PointElement,
    LinearScale,
    TimeScale,
    Legend,
    Tooltip,
    Filler,
    Decimation,
  );
  Chart.defaults.color = THEME.text;
  Chart.defaults.borderColor = THEME.grid;
  Chart.defaults.font.family = "'Inter', system-ui, -apple-system, 'Segoe UI', sans-serif";
  Chart.defaults.font.size = 11;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
}
