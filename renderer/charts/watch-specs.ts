/** What the charts show while a process is watched (columns from state/watch-samples.ts). */
import type { WatchColumn } from '../state/watch-samples';
import { COLORS } from './setup';
import type { ChartSpec } from './time-chart';

export const WATCH_CHART_SPECS: ChartSpec<WatchColumn>[] = [
  {
    id: 'watch-event-loop',
    title: 'Watched process: event-loop delay',
    yTitle: 'ms (log)',
    yUnit: 'ms',
    log: true,
    y2Title: 'utilization %',
    y2Unit: '%',
    y2Max: 100,
    stallMarks: true,
    series: [
      { column: 'loop_p50_ms', label: 'p50', color: COLORS.p50 },
      { column: 'loop_p99_ms', label: 'p99', color: COLORS.p99 },
      { column: 'loop_max_ms', label: 'max', color: COLORS.max, dashed: true },
      {
        column: 'loop_utilization',
        label: 'utilization',
        color: COLORS.util,
        axis: 'y2',
        scale: 100,
        fill: true,
      },
    ],
  },
  {
    id: 'watch-handles',
    title: 'Watched process: open handles (TCP sockets are its connections)',
    yTitle: 'open',
    yUnit: 'open',
    stacked: true,
    series: [
      { column: 'handles_tcp', label: 'TCP sockets', color: COLORS.http, fill: true },
      { column: 'handles_server', label: 'listening', color: COLORS.wsFeed, fill: true },
      { column: 'handles_timer', label: 'timers', color: COLORS.longPoll, fill: true },
      { column: 'handles_other', label: 'other', color: COLORS.sse, fill: true },
    ],
  },
  {
    id: 'watch-heap',
    title: 'Watched process: heap used',
    yTitle: 'MB',
    yUnit: 'MB',
    series: [{ column: 'heap_used_mb', label: 'heap used', color: COLORS.depth, fill: true }],
  },
];
